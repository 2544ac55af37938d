"""The engine-neutral build layer in-process: publishing under a lock, the pages kept from the
previous site, and the plan of a build's pages (no MkDocs, no subprocess)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from digest.store.kept_pages import Keepable, KeptPages, publish_files
from digest.store.outputs import record_path
from digest.store.page_cache import PageStore
from digest.store.page_plan import PagePlan
from digest.store.publish import STAGING_PREFIX, lock_folder, staged_site
from digest.store.set_aside import SetAside
from tests.conftest import copy_fixture


def test_a_failed_build_leaves_the_published_site_and_no_staging_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old")
    with pytest.raises(RuntimeError), staged_site(site) as staging:
        (staging / "index.html").write_text("half")
        raise RuntimeError("template broke")
    assert (site / "index.html").read_text() == "old"
    assert not list(tmp_path.glob(STAGING_PREFIX + "*"))
    with staged_site(site) as staging:
        (staging / "index.html").write_text("new")
    assert (site / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_publishing_cleans_up_after_a_killed_build_but_not_a_running_one(tmp_path: Path) -> None:
    site = tmp_path / "site"
    killed = tmp_path / f"{STAGING_PREFIX}killed"
    running = tmp_path / f"{STAGING_PREFIX}running"
    killed.mkdir()
    running.mkdir()
    guard = lock_folder(running)
    assert guard is not None
    said: list[str] = []
    try:
        with staged_site(site, said.append) as staging:
            (staging / "index.html").write_text("new")
    finally:
        os.close(guard)
    assert not killed.exists() and running.is_dir()
    assert said == [f"removing {killed}, left by a build that did not finish"]


def _written(site: Path, pages: dict[str, str]) -> None:
    for dest, text in pages.items():
        (site / dest).parent.mkdir(parents=True, exist_ok=True)
        (site / dest).write_text(text)


def test_kept_pages_are_those_with_the_same_key_still_as_written(tmp_path: Path) -> None:
    cache, site = tmp_path / "cache", tmp_path / "site"
    first = KeptPages(cache, site, None, serving=False)
    first.choose(
        [
            Keepable("a.md", "a/index.html", "ka", (), "", ""),
            Keepable("b.md", "b/index.html", "kb", (), "", ""),
        ]
    )
    # The engine writes every page (nothing was kept), and one more file.
    _written(site, {"a/index.html": "A", "b/index.html": "B", "c/index.html": "C"})
    first.clean.update({"a.md": (), "b.md": ("top",)})
    first.save()
    (site / "b/index.html").write_text("edited by hand")
    second = KeptPages(cache, site, None, serving=False)
    told = second.choose(
        [
            Keepable("a.md", "a/index.html", "ka", (), "", ""),
            Keepable("b.md", "b/index.html", "kb", (), "", ""),
        ]
    )
    assert set(second.kept) == {"a.md"}  # b's file is not the one the record says
    assert told == "1 of 2 pages kept from the previous build (2 files replaced)"
    assert sorted(p.name for p in site.iterdir()) == ["a"]  # b and c go: written afresh
    third = KeptPages(cache, site, None, serving=False)
    third.choose([Keepable("a.md", "a/index.html", "another key", (), "", "")])
    assert third.kept == {}


def test_a_kept_page_reached_through_a_linked_folder_is_not_kept(tmp_path: Path) -> None:
    cache, site, elsewhere = tmp_path / "cache", tmp_path / "site", tmp_path / "elsewhere"
    first = KeptPages(cache, site, None, serving=False)
    first.choose(
        [
            Keepable("a.md", "a/index.html", "ka", (), "", ""),
            Keepable("b.md", "b/index.html", "kb", (), "", ""),
        ]
    )
    _written(site, {"a/index.html": "A", "b/index.html": "B", "b/stray.txt": "S"})
    first.clean.update({"a.md": (), "b.md": ()})
    first.save()
    # The very file the record names, now reached through a link to a folder outside the site.
    (site / "a").rename(elsewhere)
    (site / "a").symlink_to(elsewhere, target_is_directory=True)
    second = KeptPages(cache, site, None, serving=False)
    told = second.choose(
        [
            Keepable("a.md", "a/index.html", "ka", (), "", ""),
            Keepable("b.md", "b/index.html", "kb", (), "", ""),
        ]
    )
    assert set(second.kept) == {"b.md"}
    assert told == "1 of 2 pages kept from the previous build (2 files replaced)"
    assert not (site / "a").exists() and (elsewhere / "index.html").read_text() == "A"
    assert sorted(p.name for p in (site / "b").iterdir()) == ["index.html"]


def test_a_build_into_a_new_folder_links_the_kept_pages_from_the_live_site(
    tmp_path: Path,
) -> None:
    cache, live, staging = tmp_path / "cache", tmp_path / "site", tmp_path / "staging"
    staging.mkdir()
    first = KeptPages(cache, live, None, serving=False)
    first.choose([Keepable("a.md", "a/index.html", "ka", (), "", "")])
    _written(live, {"a/index.html": "A", "pagefind/part.pf": "P"})
    first.clean["a.md"] = ()
    first.save()
    second = KeptPages(cache, staging, live, serving=False)
    second.choose([Keepable("a.md", "a/index.html", "ka", (), "", "")])
    assert (staging / "a/index.html").stat().st_ino == (live / "a/index.html").stat().st_ino
    assert (staging / "pagefind/part.pf").read_text() == "P"


def test_published_files_keep_their_file_when_their_bytes_are_unchanged(tmp_path: Path) -> None:
    live, record = tmp_path / "site", record_path(tmp_path / "cache", tmp_path / "site")
    for round_ in range(2):
        staging = tmp_path / f"staging{round_}"
        staging.mkdir()
        kept = publish_files([("a.html", b"A"), ("b.html", b"B%d" % round_)], staging, live, record)
        assert kept == round_  # a.html the second time only; b.html changed
        before = {p.name: p.stat().st_ino for p in live.iterdir()} if live.exists() else {}
        if live.exists():
            os.rename(live, tmp_path / f"old{round_}")
        os.rename(staging, live)
    assert (live / "a.html").stat().st_ino == before["a.html"]
    assert (live / "b.html").read_bytes() == b"B1"


@dataclass(frozen=True)
class _Page:
    path: str
    title: str
    markdown: str
    key: str | None = None


def test_a_page_with_a_link_to_no_page_is_never_stored(tmp_path: Path) -> None:
    files = {"index.md": ("index.md", "index.html", "./"), "a.md": ("a.md", "a/index.html", "a/")}
    plan = PagePlan(
        PageStore(None),
        None,
        files.get,
        lambda path: files[path][2] if path in files else None,
    )
    pages = [_Page("index.md", "Home", "[A](a.md)"), _Page("a.md", "A", "[gone](gone.md)")]
    assert plan.plan(pages, "setup", "", lambda page: None) is None
    assert plan.expected["index.md"][2] is True
    assert plan.expected["a.md"][2] is False
    assert plan.counts() == (0, 2)


class _Later:
    """Pages whose Markdown comes only when asked for (as a PageFill gives it), counted."""

    def __init__(self, markdown: dict[str, str], keys: dict[str, str]) -> None:
        self.markdown, self.keys = markdown, keys
        self.filled: list[str] = []

    def pages(self) -> list[_Page]:
        return [_Page(path, path, "", self.keys[path]) for path in self.markdown]

    def waiting(self, path: str) -> bool:
        return path in self.markdown and path not in self.filled

    def fill(self, paths: Any) -> dict[str, _Page]:
        found = [path for path in paths if self.waiting(path)]
        self.filled += found
        return {path: _Page(path, path, self.markdown[path], self.keys[path]) for path in found}


def _planned_build(site: Path, cache: Path, later: _Later, files: dict[str, Any]) -> PagePlan:
    """One build of the pages `later` holds into site, as an engine would do it."""
    kept = KeptPages(cache, site, None, serving=False)
    plan = PagePlan(
        PageStore(None), kept, files.get, lambda path: files[path][2] if path in files else None
    )
    plan.plan(later.pages(), "setup", "shared", lambda page: [page.path], later)
    for path in (path for path in later.filled if path not in kept.kept):
        dest = files[path][1]
        (site / dest).parent.mkdir(parents=True, exist_ok=True)
        (site / dest).write_text(later.markdown[path])
        kept.clean[path] = ()
    kept.save()
    return plan


def test_a_kept_page_is_keyed_without_its_markdown_and_follows_its_links(
    tmp_path: Path,
) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    files = {
        "a.md": ("a.md", "a/index.html", "a/"),
        "b.md": ("b.md", "b/index.html", "b/"),
        "c.md": ("c.md", "c/index.html", "c/"),
    }
    markdown = {"a.md": "See [B](b.md).", "b.md": "B's text", "c.md": "C's text"}
    keys = {"a.md": "ka", "b.md": "kb", "c.md": "kc"}
    first = _Later(markdown, keys)
    plan = _planned_build(site, cache, first, files)
    assert first.filled == ["a.md", "b.md", "c.md"]  # nothing to keep yet
    # The next day b's render key and Markdown changed, c's render key only (a context value
    # its page does not show): both are fetched, c is kept; a is kept without being fetched.
    second = _Later({**markdown, "b.md": "B's new text"}, {**keys, "b.md": "kb2", "c.md": "kc2"})
    plan = _planned_build(site, cache, second, files)
    assert sorted(second.filled) == ["b.md", "c.md"]
    assert plan.kept_pages is not None and sorted(plan.kept_pages.kept) == ["a.md", "c.md"]
    assert plan.expected["b.md"][1] == "B's new text"
    # b's page is gone: a's link no longer resolves, so a is keyed again and written.
    del files["b.md"]
    third = _Later({"a.md": markdown["a.md"], "c.md": markdown["c.md"]}, {**keys, "c.md": "kc2"})
    plan = _planned_build(site, cache, third, files)
    assert third.filled == ["a.md"]
    assert plan.kept_pages is not None and sorted(plan.kept_pages.kept) == ["c.md"]
    assert plan.expected["a.md"][2] is False  # its link leads nowhere now


def test_the_search_index_starts_once_the_kept_pages_are_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index is written beside the engine's rendering, into the folder the kept pages
    # (the old bundle among them) are linked into: it may start only after they are there,
    # or the old bundle's files would land on the new one (the new articles unsearchable).
    import json

    from digest.mkdocs.plugin import build_site
    from digest.site import digest_build
    from tests.test_daily_update import make_project

    project = make_project(tmp_path, 12)
    monkeypatch.chdir(project)
    build_site("mkdocs.yml")
    for number in range(3):  # three more articles, as another day brings
        source = project / "content" / f"report-{number:03d}.md"
        text = source.read_text(encoding="utf-8").replace("title:", "title: Later", 1)
        (project / "content" / f"later-{number}.md").write_text(text, encoding="utf-8")
    steps: list[str] = []
    plan, index = digest_build.DigestBuild.plan_pages, digest_build.DigestBuild.index_search

    def planned(self: digest_build.DigestBuild, *args: object, **kwargs: object) -> None:
        steps.append("kept pages in place")
        plan(self, *args, **kwargs)  # type: ignore[arg-type]

    def indexed(self: digest_build.DigestBuild, site: Path) -> None:
        steps.append("index started")
        index(self, site)

    monkeypatch.setattr(digest_build.DigestBuild, "plan_pages", planned)
    monkeypatch.setattr(digest_build.DigestBuild, "index_search", indexed)
    site = build_site("mkdocs.yml")
    assert steps == ["kept pages in place", "index started"]
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["en"]["page_count"] == 15


def test_set_aside_texts_come_back_once_as_they_were(tmp_path: Path) -> None:
    aside = SetAside(tmp_path)
    texts = {
        "a": "<p>Caf\u00e9 \udc80 \u0641\u0627\u0631\u0633\u06cc</p>",
        "b": "x" * 70_000,
    }
    for key, text in texts.items():
        aside.put(key, text)
    assert aside.take("b") == texts["b"] and aside.take("b") is None
    aside.put("c", "later")
    assert aside.take("a") == texts["a"] and aside.take("c") == "later"
    assert aside.take("never put") is None
    aside.close()
    assert list(tmp_path.iterdir()) == []  # its file gone with it


def test_article_pages_html_waits_on_disk_between_converting_and_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MkDocs converts every page before it writes any: the articles' HTML, held in between,
    # came to more than a gigabyte at 100,000 articles.
    from mkdocs.commands import build as mkdocs_building

    from digest.mkdocs.plugin import build_site
    from digest.site.search import pagefind_only

    project = copy_fixture("basic", tmp_path)
    monkeypatch.chdir(project)
    held: list[list[str]] = []
    write_page = mkdocs_building._build_page

    def writing(page: Any, config: Any, doc_files: Any, *args: Any, **kwargs: Any) -> None:
        if not held:  # every page converted, none written yet
            pages = [f.page for f in doc_files if pagefind_only(f.src_uri)]
            held.append([page.content for page in pages])
        write_page(page, config, doc_files, *args, **kwargs)

    monkeypatch.setattr(mkdocs_building, "_build_page", writing)
    site = build_site("mkdocs.yml", strict=True)
    assert held[0] and all(content == "" for content in held[0])
    page = site / "articles" / "harbour-strike-2019-05-20" / "index.html"
    assert "Dock workers" in page.read_text(encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_free_memory_in_the_middle_of_the_heap_goes_back_to_the_system() -> None:
    from digest.memory import give_back_free_memory

    def resident() -> int:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    blocks = [bytes(20_000) + bytes([i % 256]) for i in range(5_000)]  # some 100 MB
    kept = bytes(20_000) + b"!"  # above them: freeing them leaves a hole, not a top to trim
    before = resident()
    del blocks
    freed = resident()
    assert give_back_free_memory()
    assert resident() < freed - 50_000_000 < before
    assert kept.endswith(b"!")
