"""Hostile input, round three: caches planted or edited between runs (CI caches other workflows
can write) must never put their bytes into the site or content/."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.site import search
from digest.store.outputs import still_there, written
from digest.store.sealed_files import seal_folder, verify_folder
from digest.store.search_shards import ShardCache
from tests.conftest import copy_fixture, mkdocs_build
from tests.test_daily_update import make_project
from tests.test_search import _files, _records

MARK = "<script>window.planted=1</script>"


@pytest.fixture(autouse=True)
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's own key folder (the kept pages' secret lives outside the cache folder)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def _zensical_build(project: Path, site: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["build", "-f", str(project / "mkdocs.yml"), "--engine", "zensical", "-d", str(site)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def test_a_poisoned_zensical_page_cache_is_not_published(tmp_path: Path) -> None:
    if importlib.util.find_spec("zensical") is None:
        pytest.skip("zensical is not installed (pip install -e '.[zensical]')")
    project = copy_fixture("feeds", tmp_path)
    _zensical_build(project, tmp_path / "first")
    cache = project / ".digest-cache" / "zensical" / ".cache"
    poisoned = 0
    for record in cache.iterdir():
        if not record.name.isdigit():
            continue
        value = json.loads(record.read_text(encoding="utf-8"))
        if "</h1>" in value.get("data", ""):
            value["data"] = value["data"].replace("</h1>", "</h1>" + MARK, 1)
            record.write_text(json.dumps(value), encoding="utf-8")
            poisoned += 1
    assert poisoned
    site = tmp_path / "second"
    _zensical_build(project, site)
    pages = [p for p in site.rglob("*.html") if MARK in p.read_text(encoding="utf-8")]
    assert pages == []


def test_only_files_the_seal_vouches_for_are_left(tmp_path: Path) -> None:
    folder, seal, key = tmp_path / "cache", tmp_path / "seal.json", b"k" * 32
    (folder / "sub").mkdir(parents=True)
    (folder / "a").write_text("kept")
    (folder / "sub" / "b").write_text("kept too")
    seal_folder(folder, seal, key)
    assert verify_folder(folder, seal, key) == 0
    (folder / "sub" / "b").write_text("edited")
    (folder / "planted").write_text("new")
    (folder / "link").symlink_to(folder / "a")
    assert verify_folder(folder, seal, key) == 3
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["a"]
    # Another key (another machine's seal, or a forged one): nothing is kept.
    assert verify_folder(folder, seal, b"x" * 32) == 1
    assert verify_folder(folder, seal, None) == 1 and not folder.exists()


# -- kept pages: the site folder and the record of the previous build ---------------------------


def _daily(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "project", 8)
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return project


def _record(project: Path) -> tuple[Path, dict]:
    """The record of the site's pages (the JSON line; sealed records have a line before it)."""
    [path] = (project / ".digest-cache" / "site").glob("*.json")
    return path, json.loads(path.read_text(encoding="utf-8").rpartition("\n")[2])


def _forge(path: Path, record: dict, dest: str, info: os.stat_result, key: str) -> None:
    """What someone able to write the cache folder, but without the key, can write."""
    record["pages"][dest][:4] = [key, info.st_size, info.st_mtime_ns, info.st_ino]
    path.write_text(json.dumps(record), encoding="utf-8")


ARTICLE = "articles/report-003/index.html"


def test_a_link_and_a_forged_record_never_reach_the_site(tmp_path: Path) -> None:
    project = _daily(tmp_path)
    site = project / "site"
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:root:/root:/bin/sh\n")
    (site / ARTICLE).unlink()
    (site / ARTICLE).symlink_to(outside)
    path, record = _record(project)
    _forge(path, record, ARTICLE, os.lstat(site / ARTICLE), record["pages"][ARTICLE][0])
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert [p for p in site.rglob("*") if p.is_symlink()] == []
    assert "Report 3 from" in (site / ARTICLE).read_text(encoding="utf-8")


def test_a_forged_record_does_not_keep_a_page_from_before_its_correction(tmp_path: Path) -> None:
    project = _daily(tmp_path)
    site, aside = project / "site", tmp_path / "old-site"
    os.rename(site, aside)  # the first build's pages, as they were (same inodes and times)
    article = project / "content" / "report-003.md"
    article.write_text(article.read_text() + "\nCorrection: the talks ended on day 4.\n")
    assert mkdocs_build(project).returncode == 0
    path, record = _record(project)
    corrected_key = record["pages"][ARTICLE][0]
    shutil.rmtree(site)
    os.rename(aside, site)
    # The corrected page's key, with the old page's size, time and inode.
    _forge(path, record, ARTICLE, os.lstat(site / ARTICLE), corrected_key)
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert "the talks ended on day 4" in (site / ARTICLE).read_text(encoding="utf-8")


def test_an_article_folder_swapped_for_a_link_does_not_drop_its_page(tmp_path: Path) -> None:
    project = _daily(tmp_path)
    site = project / "site"
    folder = site / ARTICLE.rsplit("/", 1)[0]
    moved = tmp_path / "elsewhere"
    os.rename(folder, moved)
    folder.symlink_to(moved, target_is_directory=True)
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    page = site / ARTICLE
    assert not page.parent.is_symlink() and page.is_file() and not page.is_symlink()
    assert "Report 3 from" in page.read_text(encoding="utf-8")


def test_a_tampered_pagefind_shard_is_indexed_again(tmp_path: Path) -> None:
    records = _records(30)
    site, fresh = tmp_path / "site", tmp_path / "fresh"
    cache = ShardCache(tmp_path / "cache", b"k" * 32)
    site.mkdir()
    fresh.mkdir()
    search.write_pagefind(records, site, base_block=4, max_block=16, cache=cache)
    shards = json.loads((site / "pagefind" / "shards.json").read_text())["shards"]
    # One shard's fragment swapped for another's under the shard's own folder name: a search
    # would show the other record's text at this one's place.
    fragments = sorted((site / "pagefind" / shards[0] / "fragment").iterdir())
    fragments[0].write_bytes(fragments[1].read_bytes())
    again = search.write_pagefind(records, site, base_block=4, max_block=16, cache=cache)
    assert again.indexed_shards == 0  # the edited one from the cache's own copy
    search.write_pagefind(records, fresh, base_block=4, max_block=16)
    assert _files(site / "pagefind") == _files(fresh / "pagefind")
    # Without the cache's key, nothing in the site folder is trusted: every shard is indexed.
    other = ShardCache(tmp_path / "cache", b"o" * 32)
    third = search.write_pagefind(records, site, base_block=4, max_block=16, cache=other)
    assert third.reused_shards == 0
    none = search.write_pagefind(records, site, base_block=4, max_block=16)
    assert none.reused_shards == 0
    assert _files(site / "pagefind") == _files(fresh / "pagefind")


def test_a_kept_page_must_be_a_regular_file_reached_through_real_folders(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    page = tmp_path / "a" / "index.html"
    page.write_text("page")
    record = written(tmp_path, "a/index.html", "key")
    assert record is not None and still_there(tmp_path, "a/index.html", record)
    os.rename(tmp_path / "a", tmp_path / "b")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    assert not still_there(tmp_path, "a/index.html", record)
    assert written(tmp_path, "a/index.html", "key") is None
