"""What a rebuild keeps of its reading and rendering: unchanged files are not read again, unchanged
article pages not rendered again, and the digest and every page are the same bytes as a build
with no cache at all, whatever happened to the files or the cache in between."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from digest.config import DigestConfig, topics_from_list
from digest.model import Digest
from digest.pipeline import analyze_serially, boilerplate_of, build_digest
from digest.site.render import Page, PageRenderer
from digest.sources import files as files_module
from digest.sources.files import ContentReader
from digest.store import cache as cache_module
from digest.store import read_cache as read_cache_module
from digest.store.cache import CACHE_FILE, CachedAnalysis, _checksum
from digest.store.read_cache import KEY_PREFIX, ReadCache
from tests.conftest import make_read_only

TOPICS = topics_from_list(
    [
        {"name": "Venezuela", "keywords": ["Venezuela", "Maduro", "Caracas"]},
        {"name": "Iran", "keywords": ["Iran", "Tehran", "Rouhani"]},
    ]
)

BODY = {
    "caracas": "Venezuela's government said on Monday that Maduro would address the nation. "
    "Crowds gathered in Caracas ahead of the speech.\n\nMaduro blamed sanctions for shortages "
    "of food and medicine in Venezuela. Opposition leaders called it a distraction.",
    "tehran": "Iran's president Rouhani said on Tuesday that Tehran would keep to the nuclear "
    "deal for now. Officials in Tehran warned that patience was running out.\n\nDiplomats in "
    "Europe urged Iran to stay in the agreement. Talks resume next week in Vienna.",
    "final": "The home side won the cup final 2-1 after extra time on Saturday. Their captain "
    "scored the winning goal in the 112th minute.\n\nThe manager said the players had earned "
    "the trophy. Fans celebrated in the streets until late.",
}


def markdown(title: str, day: int, body: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2019-05-{day:02d}\n{extra}---\n\n{body}\n"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """Articles and every kind of file the reader has something to say about."""
    folder = tmp_path / "content"
    (folder / "world").mkdir(parents=True)
    (folder / "caracas.md").write_text(markdown("Maduro speaks", 2, BODY["caracas"]))
    # The same event from another outlet: a story of two articles, with a page of its own.
    evening = BODY["caracas"].replace("Monday", "Monday evening").replace("Crowds", "Large crowds")
    (folder / "caracas-evening.md").write_text(markdown("Maduro addresses Venezuela", 2, evening))
    # A warning of its own (an unknown key), and the same title as caracas.md.
    (folder / "world" / "again.md").write_text(
        markdown("Maduro speaks", 3, BODY["tehran"], "mood: grim\n")
    )
    (folder / "copy.md").write_text(markdown("Maduro speaks", 2, BODY["caracas"]))
    (folder / "draft.md").write_text(markdown("Not yet", 4, BODY["final"], "draft: true\n"))
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\n\nText.\n")
    (folder / "final-2019-05-04.txt").write_text("Cup final won\n\n" + BODY["final"] + "\n")
    (folder / "final-2019-05-04.yml").write_text("source: Wire\nurl: https://example.org/f\n")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    (folder / ".hidden.md").write_text(markdown("Hidden", 5, BODY["final"]))
    return folder


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Files written by the test are "settled" at once (see files.settled); memory layers off;
    # the page key made in a folder of the test's own.
    monkeypatch.setattr(files_module, "_SETTLED_NS", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    cache_module.clear_memory()
    read_cache_module.clear_memory()


class Counted:
    """Which files a build read, and which pages it rendered (article pages apart)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.read: list[str] = []
        self.rendered: list[str] = []
        self.pages: list[str] = []
        read_outcome = ContentReader.read_outcome
        render = PageRenderer._render

        def counting_read(reader: ContentReader, path: Path, relative: str, *a: Any) -> Any:
            self.read.append(relative)
            return read_outcome(reader, path, relative, *a)

        def counting_render(renderer: PageRenderer, page: Any) -> Page:
            self.pages.append(page.path)
            if page.template == "article.md.j2":
                self.rendered.append(page.path)
            return render(renderer, page)

        monkeypatch.setattr(ContentReader, "read_outcome", counting_read)
        monkeypatch.setattr(PageRenderer, "_render", counting_render)

    def reset(self) -> None:
        self.read.clear()
        self.rendered.clear()
        self.pages.clear()


def config_for(content: Path, cache_dir: Path | None) -> DigestConfig:
    return DigestConfig(content_dir=content, topics=TOPICS, cache_dir=cache_dir, templates_dir=None)


def cached(content: Path, cache_dir: Path) -> tuple[Digest, tuple[Page, ...]]:
    config = config_for(content, cache_dir)
    digest = build_digest(config, CachedAnalysis(cache_dir, workers=1, use_memory=False))
    return digest, PageRenderer(config).render(digest)


def fresh(content: Path) -> tuple[Digest, tuple[Page, ...]]:
    config = config_for(content, None)
    digest = build_digest(config, analyze_serially)
    return digest, PageRenderer(config).render(digest)


def assert_same_as_fresh(content: Path, cache_dir: Path, counted: Counted | None = None) -> None:
    """The cached build gives what a build with no cache gives (counted: what it read)."""
    expected = fresh(content)
    if counted is not None:
        counted.reset()
    assert cached(content, cache_dir) == expected


def test_a_rebuild_reads_and_renders_nothing_unchanged_and_says_the_same(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    counted = Counted(monkeypatch)
    first = cached(content, cache_dir)
    assert len(counted.read) == 7  # the article files (a sidecar is read with its article)
    assert any(path.startswith("stories/") for path in counted.pages)
    counted.reset()
    second = cached(content, cache_dir)
    assert counted.read == []
    assert counted.pages == []
    assert second == first == fresh(content)
    # Every warning and skip is still reported, though the files were not read.
    problems = {(p.path, p.message.split(" (")[0]) for p in second[0].problems}
    assert ("world/again.md", "unknown front matter key ignored: mood") in problems
    assert ("broken.md", "broken YAML front matter") in problems
    assert any(path == "copy.md" for path, _ in problems)
    assert ("draft.md", "draft: not published") in problems
    assert any(path == "world/again.md" and "same title" in m for path, m in problems)


def test_edits_additions_deletions_and_renames_are_read_again(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    counted = Counted(monkeypatch)
    cached(content, cache_dir)

    def step() -> list[str]:
        assert_same_as_fresh(content, cache_dir, counted)
        return counted.read

    caracas = content / "caracas.md"
    # An edit that keeps the size and puts the modification time back: the change time
    # (ctime), which no tool can set, is in the stamp.
    before = caracas.stat()
    caracas.write_text(caracas.read_text().replace("Monday", "Sunday"))
    os.utime(caracas, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (caracas.stat().st_size, caracas.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    assert step() == ["caracas.md"]
    (content / "final-2019-05-04.yml").write_text("source: Other wire\n")  # a sidecar
    assert step() == ["final-2019-05-04.txt"]
    (content / "tehran.md").write_text(markdown("Tehran weighs options", 6, BODY["tehran"]))
    assert step() == ["tehran.md"]
    (content / "tehran.md").rename(content / "world" / "tehran.md")
    assert step() == ["world/tehran.md"]
    (content / "world" / "again.md").unlink()
    assert step() == []
    # Touched (same bytes, new times): read, same outcome.
    os.utime(content / "draft.md")
    assert step() == ["draft.md"]
    # The entry of the file that is gone is gone from the cache too.
    cache = ReadCache(cache_dir, timezone.utc, boilerplate_of(config_for(content, cache_dir)))
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        keys = {k for (k,) in db.execute("SELECT key FROM entries WHERE key LIKE 'read:%'")}
    assert cache.key("world/again.md") not in keys
    assert cache.key("world/tehran.md") in keys
    counted.reset()
    cached(content, cache_dir)
    assert counted.read == []


def test_the_future_date_warning_follows_the_clock_not_the_cache(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (content / "later.md").write_text(markdown("Later", 2, BODY["final"]).replace("2019", "2030"))
    config = config_for(content, tmp_path / "cache")

    def warnings_at(year: int) -> list[str]:
        memo = ReadCache(config.cache_dir, timezone.utc, boilerplate_of(config))
        now = datetime(year, 1, 1, tzinfo=timezone.utc)
        reader = ContentReader(content, timezone.utc, now=now, memo=memo)
        return [p.message for p in reader.read_all().problems if p.path == "later.md"]

    counted = Counted(monkeypatch)
    assert warnings_at(2026) == ["date 2030-05-02 lies in the future"]
    counted.reset()
    assert warnings_at(2031) == []
    assert warnings_at(2026) == ["date 2030-05-02 lies in the future"]
    assert counted.read == []


def test_a_file_changed_just_before_the_build_is_checked_by_its_bytes_next_time(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Within a coarse file system's time-stamp tick a file could change again unseen, its
    # stamp the same: such a reading is kept unsettled, used again only if the bytes agree.
    monkeypatch.setattr(files_module, "_SETTLED_NS", 3_000_000_000)
    cache_dir = tmp_path / "cache"
    counted = Counted(monkeypatch)
    cached(content, cache_dir)
    assert _settled_flags(cache_dir) == {False}  # articles only: errors are read again
    counted.reset()
    assert_same_as_fresh(content, cache_dir, counted)
    assert "caracas.md" not in counted.read
    assert sorted(counted.read) == ["broken.md"]

    # Changed within the tick, same size, and the stamp as it was: read again, not kept.
    caracas = content / "caracas.md"
    stamp_before = files_module.stamp_of(caracas, None)
    caracas.write_text(caracas.read_text().replace("Monday", "Sunday"))
    stamp_of = files_module.stamp_of

    def unchanged_stamp(path: Path, sidecar: Path | None) -> Any:
        return stamp_before if path == caracas else stamp_of(path, sidecar)

    monkeypatch.setattr(files_module, "stamp_of", unchanged_stamp)
    assert_same_as_fresh(content, cache_dir, counted)
    assert "caracas.md" in counted.read

    # Once the times have settled, a checked reading is kept as settled: not even hashed.
    monkeypatch.setattr(files_module, "stamp_of", stamp_of)
    monkeypatch.setattr(files_module, "_SETTLED_NS", 0)
    cached(content, cache_dir)
    assert _settled_flags(cache_dir) == {True}
    hashed = []
    monkeypatch.setattr(ContentReader, "_same_bytes", lambda *a: hashed.append(a) or True)
    counted.reset()
    assert_same_as_fresh(content, cache_dir, counted)
    assert (counted.read, hashed) == ([], [])


def _settled_flags(cache_dir: Path) -> set[bool]:
    return {json.loads(v)[5] for v in _rows(cache_dir).values() if json.loads(v)[2] == "article"}


def _rows(cache_dir: Path) -> dict[str, str]:
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        return dict(
            db.execute("SELECT key, value FROM entries WHERE key LIKE ?", (KEY_PREFIX + "%",))
        )


def _plant(cache_dir: Path, key: str, value: str) -> None:
    """What another program with the cache folder can do: a row with a valid checksum."""
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        db.execute(
            "UPDATE entries SET value = ?, checksum = ? WHERE key = ?",
            (value, _checksum(key, value), key),
        )


def _hostile(value: list[Any], change: str) -> list[Any]:
    fields = value[3]
    if change == "slug":
        fields[0] = "../../../etc/passwd"
    elif change == "url":
        fields[6] = "javascript:alert(1)"
    elif change == "title":
        fields[1] = "\u200b\u200b"
    elif change == "paragraph":
        fields[3] = ["x " * 5_000]
    elif change == "types":
        fields[3] = "one paragraph, not a list"
    elif change == "zone":
        fields[2][8] = ["pickle", "cos\nsystem\n"]
    elif change == "warning":
        value[4] = ["\x1b[2J\x1b[31mall is well"]
    elif change == "other file":
        value[0] = "world/again.md"
    elif change == "stamp":
        value[1] = [0] * 5
    elif change == "furniture":
        fields[12] = [[99, "caption", "Photo"]]
    elif change == "hash":
        fields[11] = "not a hash"
    elif change == "settled":
        value[5] = "yes"
    return value


@pytest.mark.parametrize(
    "change",
    [
        "slug",
        "url",
        "title",
        "paragraph",
        "types",
        "zone",
        "warning",
        "other file",
        "stamp",
        "furniture",
        "hash",
        "settled",
        "not json",
    ],
)
def test_planted_readings_are_never_used(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    cache_dir = tmp_path / "cache"
    cached(content, cache_dir)
    key = ReadCache(cache_dir, timezone.utc, boilerplate_of(config_for(content, cache_dir))).key(
        "caracas.md"
    )
    stored = _rows(cache_dir)[key]
    planted = "[1, 2" if change == "not json" else json.dumps(_hostile(json.loads(stored), change))
    _plant(cache_dir, key, planted)
    counted = Counted(monkeypatch)
    assert_same_as_fresh(content, cache_dir, counted)
    assert counted.read == ["caracas.md"]


def test_a_damaged_cache_file_costs_a_reading_not_the_build(content: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cached(content, cache_dir)
    (cache_dir / CACHE_FILE).write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    for suffix in ("-wal", "-shm"):
        (cache_dir / f"{CACHE_FILE}{suffix}").unlink(missing_ok=True)
    assert_same_as_fresh(content, cache_dir)
    assert_same_as_fresh(content, cache_dir)


def test_a_planted_article_page_is_rendered_afresh(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    cached(content, cache_dir)
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        rows = db.execute("SELECT key, value FROM entries WHERE key LIKE 'md-page:%'").fetchall()
    assert rows
    for key, value in rows:
        mac, _, page = value.partition("\n")
        _plant(cache_dir, key, f"{mac}\n{page}<script>alert(1)</script>")
    counted = Counted(monkeypatch)
    assert_same_as_fresh(content, cache_dir, counted)
    assert len(counted.pages) == len(rows)


def test_article_pages_follow_their_template_and_what_it_reads(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    templates = tmp_path / "templates"
    templates.mkdir()
    config = replace(config_for(content, cache_dir), templates_dir=templates)
    digest = build_digest(config, CachedAnalysis(cache_dir, workers=1, use_memory=False))
    counted = Counted(monkeypatch)

    def pages_match_fresh() -> None:
        expected = PageRenderer(replace(config, cache_dir=None)).render(digest)
        counted.reset()
        assert PageRenderer(config).render(digest) == expected

    pages_match_fresh()
    pages_match_fresh()
    assert counted.rendered == []
    (templates / "article.md.j2").write_text("# {{ entry.article.title }}\n\nMine.\n")
    pages_match_fresh()
    assert len(counted.rendered) == len(digest.entries)
    # A template that reads other articles (a topic's entries) ties each page to all of them:
    # such pages are always rendered.
    (templates / "article.md.j2").write_text(
        "# {{ entry.article.title }}\n\n{% for m in entry.topics %}"
        "{{ topics[m.topic].entries | length }}{% endfor %}\n"
    )
    pages_match_fresh()
    pages_match_fresh()
    assert len(counted.rendered) == len(digest.entries)


@pytest.mark.parametrize(
    ("template", "kept"),
    [
        ("{{ entry.article.title }} {{ topics[entry.topics[0].topic].topic.name }}", True),
        ("{{ story_of(entry) }} {{ link('x', 'index.md') }} {{ config.site_name }}", True),
        ("{{ topics | length }}", False),
        ("{% for t in topics.values() %}{{ t.topic.name }}{% endfor %}", False),
        ("{{ lipsum() }}", False),
        ("{{ entry.topics | random }}", False),
        ("{% include entry.article.slug %}", False),
    ],
)
def test_only_article_pages_whose_inputs_are_bounded_are_kept(
    tmp_path: Path, template: str, kept: bool
) -> None:
    (tmp_path / "article.md.j2").write_text(template)
    renderer = PageRenderer(DigestConfig(templates_dir=tmp_path, cache_dir=tmp_path / "c"))
    reach = renderer._reach("article.md.j2")
    # Article pages see every topic's entries: only a template reading topics' names is kept.
    assert (reach is not None and reach[0] == "topic names") is kept


def test_an_update_renders_only_the_pages_it_changes(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    counted = Counted(monkeypatch)
    cached(content, cache_dir)
    every = len(counted.pages)
    body = (
        "Farmers in the valley began the grape harvest early this year after a dry summer. "
        "Growers said the crop was small but sweet.\n\nThe regional cooperative expects "
        "prices to rise. Buyers from abroad have already placed orders."
    )
    (content / "harvest.md").write_text(markdown("Harvest starts early", 6, body))
    assert_same_as_fresh(content, cache_dir, counted)
    assert "articles/harvest.md" in counted.rendered
    assert len(counted.rendered) == 1
    assert 0 < len(counted.pages) < every


def test_the_page_key_lives_outside_the_cache_folder_and_is_private(tmp_path: Path) -> None:
    from digest.store.markdown_pages import load_secret, secret_folder

    secret = load_secret()
    assert secret is not None and len(secret) == 32
    path = secret_folder() / "page-secret"
    assert path.is_relative_to(tmp_path / "user-cache")
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_secret() == secret
    path.chmod(0o644)
    assert load_secret() is None


def test_relative_links_are_what_posixpath_gives() -> None:
    import posixpath

    from digest.site.paths import relative_path

    targets = ["index.md", "articles/a.md", "topics/x/index.md", "topics/x/page-2/index.md"]
    folders = [".", "articles", "topics/x", "topics/x/page-2", "topics/xy", "archive/2019/05"]
    for target in targets:
        for folder in folders:
            assert relative_path(target, folder) == posixpath.relpath(target, folder)


def test_story_terms_are_found_again_only_for_new_articles(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.analysis import stories

    cache_dir = tmp_path / "cache"
    # Counted in a file: stories may be grouped in a process of their own (forked).
    counted = tmp_path / "computed.txt"
    article_terms = stories.article_terms

    def counting(article: Any) -> dict[str, float]:
        with counted.open("a", encoding="utf-8") as log:
            log.write(article.source_path + "\n")
        return article_terms(article)

    def computed() -> list[str]:
        found = counted.read_text(encoding="utf-8").split() if counted.exists() else []
        counted.unlink(missing_ok=True)
        return found

    monkeypatch.setattr(stories, "article_terms", counting)
    cached(content, cache_dir)
    assert len(computed()) == 4  # the published articles (no draft, no copy)
    body = "Storms closed the harbour on Friday. Ferries stayed in port.\n\nCrews expect calm seas."
    (content / "storm.md").write_text(markdown("Storm closes harbour", 7, body))
    digest, _ = cached(content, cache_dir)
    assert computed() == ["storm.md"]
    assert digest.stories == fresh(content)[0].stories


def test_a_read_only_cache_still_spares_reading_and_rendering(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    cached(content, cache_dir)
    make_read_only(cache_dir, monkeypatch)
    before = (cache_dir / CACHE_FILE).read_bytes()
    counted = Counted(monkeypatch)
    (content / "storm.md").write_text(markdown("Storm closes harbour", 7, BODY["final"]))
    assert_same_as_fresh(content, cache_dir, counted)
    assert counted.read == ["storm.md"]
    assert "articles/caracas.md" not in counted.pages
    assert (cache_dir / CACHE_FILE).read_bytes() == before
