"""Same content and config, same bytes: every file of the site, whatever the hash seed or the day.

The hostile fixture is built, since it exercises the most paths (warnings, duplicates, every
encoding). Builds run in separate folders, with different PYTHONHASHSEED values, with a cold
and a warm summary cache; SOURCE_DATE_EPOCH, when set, dates the site.
"""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import copy_fixture, mkdocs_build
from tests.test_hostile import make_unstorable_cases

EPOCH = 1_558_000_000  # 2019-05-16T09:46:40Z


def _build(project: Path, seed: int, epoch: int | None = None) -> dict[str, bytes]:
    env = {"PYTHONHASHSEED": str(seed)}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    result = mkdocs_build(project, strict=False, env=env)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _project(root: Path, name: str) -> Path:
    project = copy_fixture("hostile", root / name)
    make_unstorable_cases(project)
    return project


def _differences(first: dict[str, bytes], second: dict[str, bytes]) -> list[str]:
    names = set(first) | set(second)
    return sorted(n for n in names if first.get(n) != second.get(n))


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("reproducible")
    one, two = _project(root, "one"), _project(root, "two")
    # The "no date" plain-text article takes its date from the file's mtime: give both the same.
    stamp = (one / "content" / "plain-no-date.txt").stat().st_mtime_ns
    shutil.copystat(one / "content" / "plain-no-date.txt", two / "content" / "plain-no-date.txt")
    assert (two / "content" / "plain-no-date.txt").stat().st_mtime_ns == stamp
    return {
        "cold-seed-1": _build(one, seed=1),
        "cold-seed-2": _build(two, seed=2),
        "warm-seed-3": _build(one, seed=3),
        "epoch": _build(two, seed=4, epoch=EPOCH),
    }


def test_two_builds_in_two_folders_with_two_hash_seeds_are_identical(
    builds: dict[str, dict[str, bytes]],
) -> None:
    assert len(builds["cold-seed-1"]) > 50
    assert _differences(builds["cold-seed-1"], builds["cold-seed-2"]) == []


def test_a_warm_summary_cache_changes_no_byte(builds: dict[str, dict[str, bytes]]) -> None:
    assert _differences(builds["cold-seed-1"], builds["warm-seed-3"]) == []


def _gzip_mtime(data: bytes) -> int:
    return int(struct.unpack("<I", data[4:8])[0])


def _lastmods(sitemap: bytes) -> dict[str, str]:
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    root = ET.fromstring(sitemap)
    return {
        (url.findtext(f"{ns}loc") or ""): (url.findtext(f"{ns}lastmod") or "")
        for url in root.iter(f"{ns}url")
    }


def test_without_source_date_epoch_the_content_dates_the_site(
    builds: dict[str, dict[str, bytes]],
) -> None:
    """Not the wall clock: an article page's lastmod is its date, the rest the newest date."""
    site = builds["cold-seed-1"]
    lastmods = _lastmods(site["sitemap.xml"])
    article = "https://news.example.org/hostile/articles/good-venezuela-2019-05-20/"
    assert lastmods[article] == "2019-05-20"
    assert lastmods["https://news.example.org/hostile/"] == "2099-01-01"  # date-future.md
    assert gzip.decompress(site["sitemap.xml.gz"]) == site["sitemap.xml"]
    newest = datetime(2099, 1, 1, tzinfo=timezone.utc).timestamp()
    assert _gzip_mtime(site["sitemap.xml.gz"]) == newest


def test_source_date_epoch_dates_the_sitemap_and_feeds(
    builds: dict[str, dict[str, bytes]],
) -> None:
    site = builds["epoch"]
    day = datetime.fromtimestamp(EPOCH, tz=timezone.utc).date().isoformat()
    assert set(_lastmods(site["sitemap.xml"]).values()) == {day}
    assert _gzip_mtime(site["sitemap.xml.gz"]) == int(
        datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp()
    )
    if "feeds/feed.json" in site:
        rss = ET.fromstring(site["feeds/rss.xml"])
        assert rss.findtext("channel/lastBuildDate") == "Thu, 16 May 2019 09:46:40 GMT"
    # Only the dates differ from a build without it.
    changed = _differences(builds["cold-seed-2"], site)
    assert "sitemap.xml" in changed
    assert all(not name.startswith("articles/") for name in changed)


def test_search_index_lists_each_page_section_once(builds: dict[str, dict[str, bytes]]) -> None:
    docs = json.loads(builds["cold-seed-1"]["search/search_index.json"])["docs"]
    locations = [d["location"] for d in docs]
    assert len(locations) == len(set(locations))
    assert len(locations) > 5
    # The articles are searched through the Pagefind bundle (byte-identical above), one record
    # each; Material's index keeps the navigation's pages.
    assert not [loc for loc in locations if loc.startswith("articles/")]
    fragments = [n for n in builds["cold-seed-1"] if n.startswith("pagefind/fragment/")]
    assert len(fragments) > 20
