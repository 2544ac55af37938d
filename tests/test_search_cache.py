"""Search shards kept in cache_dir: a build into an empty site folder (CI keeps only the cache)
indexes only what changed, and nothing planted in the cache or the site folder reaches search."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from digest.site import search
from digest.store.markdown_pages import load_secret
from digest.store.search_shards import ShardCache
from tests.test_search import SMALL, _files, _records

SECRET = b"k" * 32


def _listing(site: Path) -> list[str]:
    return json.loads((site / "pagefind" / "shards.json").read_text())["shards"]


def _build(root: Path, name: str, cache: ShardCache | None, count: int = 40) -> search.SearchBundle:
    site = root / name
    site.mkdir(exist_ok=True)
    return search.write_pagefind(_records(count), site, cache=cache, **SMALL)


def test_a_build_into_an_empty_folder_reuses_the_shards_kept_in_the_cache(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    first = _build(tmp_path, "one", cache)
    assert first.indexed_shards == first.shards == 4
    # Another runner: a new site folder, the same cache. Only the newest records are indexed.
    second = _build(tmp_path, "two", cache)
    assert (second.indexed_shards, second.indexed_records) == (1, 4)
    cold = _build(tmp_path, "cold", None)
    assert _files(tmp_path / "two" / "pagefind") == _files(tmp_path / "cold" / "pagefind")
    # The cache holds this bundle's shards only, each with its HMAC.
    kept = sorted(p.name for p in (tmp_path / "cache" / "pagefind-shards").iterdir())
    assert kept == sorted(
        [*_listing(tmp_path / "two"), *(k + ".mac" for k in _listing(tmp_path / "two"))]
    )
    assert cold.indexed_shards == 4


def test_a_shard_the_bundle_no_longer_uses_leaves_the_cache(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "one", cache, count=29)
    old = set(_listing(tmp_path / "one"))
    _build(tmp_path, "two", cache, count=40)
    kept = {p.name for p in (tmp_path / "cache" / "pagefind-shards").iterdir()}
    new = set(_listing(tmp_path / "two"))
    assert {k for k in kept if not k.endswith(".mac")} == new
    assert old - new and not (old - new) & kept


@pytest.mark.parametrize("attack", ["edited", "forged-mac", "link", "other-key"])
def test_a_tampered_cached_shard_is_indexed_again(tmp_path: Path, attack: str) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "one", cache)
    shard = _listing(tmp_path / "one")[0]
    folder = tmp_path / "cache" / "pagefind-shards" / shard
    fragment = sorted((folder / "fragment").iterdir())[0]
    if attack == "edited":
        fragment.write_bytes(fragment.read_bytes()[:-3] + b"XYZ")
    elif attack == "forged-mac":
        # Without the secret a new HMAC cannot be made: one made with another key fails.
        fragment.write_bytes(b"planted")
        ShardCache(tmp_path / "cache", b"x" * 32).put(shard, folder)
    elif attack == "link":
        fragment.unlink()
        fragment.symlink_to("/etc/passwd")
    else:
        # Read with another secret (another machine, or the key changed): nothing verifies.
        cache = ShardCache(tmp_path / "cache", b"o" * 32)
    rebuilt = _build(tmp_path, "two", cache)
    assert rebuilt.indexed_shards >= 2
    _build(tmp_path, "cold", None)
    assert _files(tmp_path / "two" / "pagefind") == _files(tmp_path / "cold" / "pagefind")
    assert not [p for p in (tmp_path / "two").rglob("*") if p.is_symlink()]


def test_a_shard_tampered_in_the_site_folder_is_indexed_again(tmp_path: Path) -> None:
    # The site folder is checked against the cache's HMAC too: a shard a search reads must be
    # one the build made.
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "site", cache)
    shard = _listing(tmp_path / "site")[0]
    fragment = sorted((tmp_path / "site" / "pagefind" / shard / "fragment").iterdir())[0]
    fragment.write_bytes(b"forged record")
    again = _build(tmp_path, "site", cache)
    assert (again.indexed_shards, again.reused_shards) == (1, 3)  # restored from the cache
    _build(tmp_path, "cold", None)
    assert _files(tmp_path / "site" / "pagefind") == _files(tmp_path / "cold" / "pagefind")


def test_a_repository_secret_replaces_the_home_folders_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DIGEST_CACHE_KEY", "a repository secret of more than 32 characters")
    one = load_secret(tmp_path / "one")
    assert one is not None and len(one) == 32
    assert load_secret(tmp_path / "two") == one  # the same on every runner
    assert not (tmp_path / "one").exists()  # no key file is made
    monkeypatch.setenv("DIGEST_CACHE_KEY", "short")
    with caplog.at_level(logging.WARNING):
        assert load_secret(tmp_path / "three") is None
    assert "DIGEST_CACHE_KEY is shorter than 32" in caplog.text
