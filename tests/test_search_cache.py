"""Search shards kept in cache_dir: a build into an empty site folder (CI keeps only the cache)
indexes only what changed, and nothing planted in the cache or the site folder reaches search."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from digest.site import search
from digest.store.markdown_pages import load_secret
from digest.store.search_shards import ShardCache, packed, unpacked
from tests.test_search import SMALL, _files, _records

SECRET = b"k" * 32


def _listing(site: Path) -> list[str]:
    return json.loads((site / "pagefind" / "shards.json").read_text())["shards"]


def _build(root: Path, name: str, cache: ShardCache | None, count: int = 40) -> search.SearchBundle:
    site = root / name
    site.mkdir(exist_ok=True)
    return search.write_pagefind(_records(count), site, cache=cache, **SMALL)


def _kept(root: Path) -> set[str]:
    return {p.name for p in (root / "cache" / "pagefind-shards").iterdir()}


def test_a_build_into_an_empty_folder_reuses_the_indexes_kept_in_the_cache(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    first = _build(tmp_path, "one", cache)
    assert first.indexed_shards == first.shards == 4
    # Another runner: a new site folder, the same cache. Nothing changed: nothing is indexed.
    second = _build(tmp_path, "two", cache)
    assert (second.indexed_shards, second.indexed_records) == (0, 0)
    cold = _build(tmp_path, "cold", None)
    assert cold.indexed_shards == 4
    assert _files(tmp_path / "two" / "pagefind") == _files(tmp_path / "cold" / "pagefind")
    # Four newer articles: the newest records and the block they close are indexed again.
    third = search.write_pagefind(_records(44), tmp_path / "two", cache=cache, **SMALL)
    assert 0 < third.indexed_records < 44
    # The cache holds this bundle's indexes only, each with its HMAC.
    listing = json.loads((tmp_path / "two" / "pagefind" / "shards.json").read_text())
    names = [listing["newest"], *listing["shards"]]
    stamps = {name + ".stamp" for name in listing["shards"]}
    assert _kept(tmp_path) == {*names, *(name + ".mac" for name in names), *stamps}


def test_a_packed_index_reads_back_and_anything_else_is_refused() -> None:
    files = {"fragment/a.pf": b"\x00\x01 binary\n", "pagefind-entry.json": b"{}", "x/\u00e9": b""}
    assert unpacked(packed(files)) == files
    whole = packed(files)
    for broken in (whole[:-1], whole[:30], b"other" + whole, whole + b"9 9\nshort"):
        with pytest.raises(ValueError):
            unpacked(broken)


def test_an_older_caches_shard_folder_is_indexed_again_and_replaced(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "one", cache)
    shard = _listing(tmp_path / "one")[0]
    kept = tmp_path / "cache" / "pagefind-shards" / shard
    kept.unlink()
    (kept / "fragment").mkdir(parents=True)  # as an earlier version kept it
    (kept / "fragment" / "a.pf").write_bytes(b"old")
    assert _build(tmp_path, "two", cache).indexed_shards == 1
    assert kept.is_file() and cache.verified(shard) is not None


def test_an_unchanged_bundle_is_left_as_it_is(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "site", cache)
    entry = tmp_path / "site" / "pagefind" / "pagefind-entry.json"
    before = entry.stat().st_ino
    again = _build(tmp_path, "site", cache)
    assert again.indexed_shards == 0 and entry.stat().st_ino == before
    # A file planted beside the bundle's own index: the bundle is written again, without it.
    (tmp_path / "site" / "pagefind" / "planted.js").write_text("alert(1)")
    third = _build(tmp_path, "site", cache)
    assert third.indexed_shards == 0  # everything came from the cache
    assert not (tmp_path / "site" / "pagefind" / "planted.js").exists()
    _build(tmp_path, "cold", None)
    assert _files(tmp_path / "site" / "pagefind") == _files(tmp_path / "cold" / "pagefind")


def test_an_index_the_bundle_no_longer_uses_leaves_the_cache(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "one", cache, count=29)
    old = set(_listing(tmp_path / "one"))
    _build(tmp_path, "two", cache, count=40)
    new = set(_listing(tmp_path / "two"))
    shards = {name for name in _kept(tmp_path) if name.startswith("shard-")}
    assert {name for name in shards if not name.endswith((".mac", ".stamp"))} == new
    assert old - new and not (old - new) & shards


@pytest.mark.parametrize("attack", ["edited", "forged-mac", "link", "other-key"])
def test_a_tampered_cached_shard_is_indexed_again(tmp_path: Path, attack: str) -> None:
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "one", cache)
    shard = _listing(tmp_path / "one")[0]
    kept = tmp_path / "cache" / "pagefind-shards" / shard  # the shard's files, packed
    if attack == "edited":
        kept.write_bytes(kept.read_bytes()[:-3] + b"XYZ")
    elif attack == "forged-mac":
        # Without the secret a new HMAC cannot be made: one made with another key fails.
        ShardCache(tmp_path / "cache", b"x" * 32).put(shard, {"fragment/x": b"planted"})
    elif attack == "link":
        # Its own bytes, reached through a link: a link in the cache is never followed.
        copy = tmp_path / "elsewhere"
        copy.write_bytes(kept.read_bytes())
        kept.unlink()
        kept.symlink_to(copy)
    else:
        # Read with another secret (another machine, or the key changed): nothing verifies.
        cache = ShardCache(tmp_path / "cache", b"o" * 32)
    rebuilt = _build(tmp_path, "two", cache)
    assert rebuilt.indexed_shards >= 1
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
    assert again.indexed_shards == 0  # the shard comes from the cache, verified
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


def test_the_bundles_own_index_is_read_without_the_shards_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 100,000 articles the shards beside the bundle's own index came to more than any one
    # index may: reading them all to keep the own index in the cache failed the build.
    from digest.site import search
    from digest.store import search_shards

    monkeypatch.setattr(search_shards, "_MAX_SHARD_BYTES", 64)
    (tmp_path / "pagefind-entry.json").write_text("{}", encoding="utf-8")
    shard = tmp_path / "shard-0123456789abcdef0123"
    shard.mkdir()
    (shard / "pagefind-entry.json").write_bytes(b"x" * 100)
    (tmp_path / "shards.json").write_text("{}", encoding="utf-8")
    assert search._own_files(tmp_path, primary=True) == {"pagefind-entry.json": b"{}"}
    with pytest.raises(ValueError, match="larger than any search shard"):
        search._own_files(shard, primary=False)


def test_a_kept_shard_is_taken_on_its_stamp_while_its_files_stand_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading every fragment of every shard for its HMAC was 8.9 s of a 100,000-article
    # update: a shard this build verified or wrote is stamped (its files' paths, sizes, times
    # and inodes, under an HMAC), and the next build keeps it on that stamp, unread.
    cache = ShardCache(tmp_path / "cache", SECRET)
    _build(tmp_path, "site", cache)
    bundle = tmp_path / "site" / "pagefind"
    shards = _listing(tmp_path / "site")
    assert all(cache.stamped(shard, bundle / shard) for shard in shards)
    read: list[str] = []
    reader = search.read_plain_tree
    monkeypatch.setattr(
        search, "read_plain_tree", lambda f, *a: read.append(f.name) or reader(f, *a)
    )
    newer = search.write_pagefind(_records(42), tmp_path / "site", cache=cache, **SMALL)
    kept = set(shards) & set(_listing(tmp_path / "site"))
    assert shards[0] in kept and newer.indexed_records < 42 and not set(read) & kept
    # A fragment written again, the same bytes at another time: read, verified, kept, stamped.
    fragment = sorted((bundle / shards[0] / "fragment").iterdir())[0]
    fragment.write_bytes(fragment.read_bytes())
    assert not cache.stamped(shards[0], bundle / shards[0])
    again = search.write_pagefind(_records(43), tmp_path / "site", cache=cache, **SMALL)
    assert shards[0] in read and shards[0] in _listing(tmp_path / "site")
    assert again.indexed_records < 43
    assert cache.stamped(shards[0], bundle / shards[0])
    # A stamp made with another key is no stamp; nor is one for another shard's folder.
    ShardCache(tmp_path / "cache", b"x" * 32).stamp(shards[1], bundle / shards[1])
    assert not cache.stamped(shards[1], bundle / shards[1])
    other = next(key for key in _listing(tmp_path / "site") if key != shards[0])
    assert not cache.stamped(shards[0], bundle / other)
    _build(tmp_path, "cold", None, count=43)
    assert _files(bundle) == _files(tmp_path / "cold" / "pagefind")
