"""The summary cache: unchanged articles are not summarized again, and the file is never trusted."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from digest.config import DigestConfig, topics_from_list
from digest.model import Digest
from digest.pipeline import AnalysisSettings, analyze_serially, build_digest
from digest.store import cache as cache_module
from digest.store.cache import (
    APPLICATION_ID,
    CACHE_FILE,
    KEEP_DAYS,
    CachedAnalysis,
    CacheFormatError,
    SummaryCache,
    decode_entry,
    encode_entry,
    settings_fingerprint,
)
from tests.conftest import copy_fixture, make_read_only, mkdocs_build

TOPICS = topics_from_list(
    [
        {"name": "Venezuela", "keywords": ["Venezuela", "Maduro", "Caracas"]},
        {"name": "Iran", "keywords": ["Iran", "Tehran", "Rouhani"]},
    ]
)

STORIES = {
    "caracas": (
        "Maduro addresses the nation",
        "Venezuela's government said on Monday that Maduro would address the nation. Crowds "
        "gathered in Caracas ahead of the speech, waving flags and chanting.\n\n"
        "Maduro blamed sanctions for shortages of food and medicine in Venezuela. Opposition "
        "leaders called the speech a distraction from the country's economic collapse.",
    ),
    "tehran": (
        "Tehran weighs its options",
        "Iran's president Rouhani said on Tuesday that Tehran would keep to the nuclear deal for "
        "now. Officials in Tehran warned that patience was running out.\n\n"
        "Diplomats in Europe urged Iran to stay in the agreement. A spokesman said talks would "
        "resume next week in Vienna.",
    ),
    "final": (
        "Cup final won in extra time",
        "The home side won the cup final 2-1 after extra time on Saturday. Their captain scored "
        "the winning goal in the 112th minute.\n\n"
        "The manager said the players had earned the trophy. Fans celebrated in the streets "
        "until late in the evening.",
    ),
    "editor": (
        "Oil prices climb",
        "Oil prices rose sharply on Wednesday as traders weighed supply risks. Brent crude "
        "climbed four percent in early trading.\n\n"
        "Analysts said tensions involving Iran had unsettled markets.",
    ),
}


def write_story(folder: Path, name: str, day: int, extra: str = "") -> Path:
    title, body = STORIES[name]
    path = folder / f"{name}.md"
    path.write_text(
        f"---\ntitle: {title}\ndate: 2019-05-{day:02d}\n{extra}---\n\n{body}\n", encoding="utf-8"
    )
    return path


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    write_story(folder, "caracas", 2)
    write_story(folder, "tehran", 3)
    write_story(folder, "final", 4)
    write_story(folder, "editor", 5, "summary: Oil rose four percent.\ntopics: [Venezuela]\n")
    return folder


@pytest.fixture(autouse=True)
def no_memory() -> None:
    # The in-process layer would hide what the file does; tests that want it say so.
    cache_module.clear_memory()
    # The fingerprint hashes our source: read it afresh, as the worker processes do.
    cache_module.code_fingerprint.cache_clear()


def settings(content: Path, **options: object) -> DigestConfig:
    return DigestConfig(content_dir=content, topics=TOPICS, cache_dir=None, **options)  # type: ignore[arg-type]


def cached_build(
    config: DigestConfig, cache_dir: Path | None, memory: bool = False
) -> tuple[Digest, CachedAnalysis]:
    analysis = CachedAnalysis(cache_dir, workers=1, use_memory=memory)
    return build_digest(config, analysis), analysis


def uncached(config: DigestConfig) -> Digest:
    return build_digest(config, analyze_serially)


def test_a_rebuild_with_nothing_changed_summarizes_nothing(content: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first, analysis = cached_build(settings(content), cache_dir)
    assert (analysis.stats.analysed, analysis.stats.from_file) == (4, 0)
    second, analysis = cached_build(settings(content), cache_dir)
    assert (analysis.stats.analysed, analysis.stats.from_file) == (0, 4)
    # Entries from the cache are exactly what analysing gives.
    assert second == first == uncached(settings(content))


def test_changing_one_article_summarizes_only_that_one(content: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    path = content / "tehran.md"
    path.write_text(
        path.read_text("utf-8") + "\nRouhani later met the cabinet in Tehran for three hours.\n",
        encoding="utf-8",
    )
    digest, analysis = cached_build(settings(content), cache_dir)
    assert (analysis.stats.analysed, analysis.stats.from_file) == (1, 3)
    assert digest == uncached(settings(content))
    changed = next(e for e in digest.entries if e.article.source_path == "tehran.md")
    assert "three hours" in changed.article.paragraphs[-1]


def test_a_renamed_article_is_not_summarized_again_but_gets_its_new_path(
    content: Path, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    (content / "final.md").rename(content / "cup-final.md")
    digest, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.analysed == 0
    assert {e.article.source_path for e in digest.entries} >= {"cup-final.md"}
    assert digest == uncached(settings(content))


@pytest.mark.parametrize(
    "change",
    [
        {"summary_sentences": 1},
        {"summarizer": "lexrank"},
        {"topic_summary_sentences": 1},
        {"topic_threshold": 0.5},
        {"topics": topics_from_list([{"name": "Iran", "keywords": ["Iran", "nuclear"]}])},
    ],
)
def test_changed_settings_invalidate_every_entry(
    content: Path, tmp_path: Path, change: dict[str, object]
) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    config = replace(settings(content), **change)  # type: ignore[arg-type]
    digest, analysis = cached_build(config, cache_dir)
    assert analysis.stats.analysed == 4
    assert digest == uncached(config)


def test_settings_fingerprint_does_not_depend_on_the_hash_seed(content: Path) -> None:
    config = settings(content)
    here = settings_fingerprint(AnalysisSettings.from_config(config))
    program = (
        "from digest.store.cache import settings_fingerprint\n"
        "from digest.config import DigestConfig, topics_from_list\n"
        "from digest.pipeline import AnalysisSettings\n"
        f"topics = topics_from_list({json.dumps([{'name': t.name, 'keywords': list(t.keywords)} for t in TOPICS])})\n"  # noqa: E501
        "print(settings_fingerprint(AnalysisSettings.from_config(DigestConfig(topics=topics))))\n"
    )
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", program],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == here


def test_an_entry_carries_its_analysis_key_however_the_build_got_it(
    content: Path, tmp_path: Path
) -> None:
    # A page's render key hashes the entry's analysis key in place of its text and sentences:
    # analysed now, read back from the file or remembered, the same article gives the same
    # key (else every page would be rendered again); a changed text gives another.
    from digest.site.render import entry_hash

    cache_dir = tmp_path / "cache"
    analysed, _ = cached_build(settings(content), cache_dir)
    stored, analysis = cached_build(settings(content), cache_dir, memory=True)
    remembered, again = cached_build(settings(content), cache_dir, memory=True)
    assert (analysis.stats.from_file, again.stats.from_memory) == (4, 4)
    entries = zip(analysed.entries, stored.entries, remembered.entries, strict=True)
    for one, other, third in entries:
        assert len(one.analysis_key) == 64
        assert one.analysis_key == other.analysis_key == third.analysis_key
        assert entry_hash(one) == entry_hash(other) == entry_hash(third)
    assert len({e.analysis_key for e in analysed.entries}) == 4
    final = content / "final.md"
    final.write_text(final.read_text("utf-8").replace("112th", "113th"), "utf-8")
    changed, _ = cached_build(settings(content), cache_dir)
    before = {e.article.slug: entry_hash(e) for e in analysed.entries}
    after = {e.article.slug: entry_hash(e) for e in changed.entries}
    assert [slug for slug in before if before[slug] != after[slug]] == ["final"]
    # Without a cache there is no key: the text and sentences are hashed themselves.
    assert all(not e.analysis_key for e in uncached(settings(content)).entries)


def test_a_hash_of_texts_tells_apart_every_way_of_splitting_them() -> None:
    # Analysis keys hash the article's texts without JSON (twice as fast): the shape and
    # lengths go first, so texts split otherwise, or a text against a list of it, differ.
    from digest.store.fingerprint import hash_texts

    values = [
        ["ab", "c"],
        ["a", "bc"],
        ["abc"],
        [["abc"]],
        [["ab", "c"]],
        [None],
        [""],
        [[]],
        [["é"]],
        [["e\u0301"]],
    ]
    hashes = [hash_texts(v) for v in values]
    assert len(set(hashes)) == len(values)
    assert hash_texts(("ab", ("c",))) == hash_texts(["ab", ["c"]])  # tuples as lists


def test_entries_round_trip_exactly(content: Path) -> None:
    for summarizer in ("digest", "lexrank", "lsa"):
        config = settings(content, summarizer=summarizer)
        for entry in uncached(config).entries:
            assert decode_entry(encode_entry(entry), entry.article) == entry
    editor = next(e for e in uncached(settings(content)).entries if e.summary.method == "editor")
    assert editor.topics and editor.topics[0].forced


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not json",
        "[]",
        '[[], {"Summary": [[], "digest"]}]',  # too few parts
        '[[], {"PosixPath": ["/etc/passwd"]}, []]',  # not one of our classes
        '[[], {"Summary": [[], "digest"], "x": 1}, []]',
        '[[{"Sentence": ["a", 0]}], {"Summary": [[], "digest"]}, []]',  # wrong arity
        '[[], "a summary", []]',  # wrong shape
    ],
)
def test_values_that_are_not_ours_are_refused(content: Path, value: str) -> None:
    article = uncached(settings(content)).entries[0].article
    with pytest.raises(CacheFormatError):
        decode_entry(value, article)


def test_a_corrupt_cache_file_is_replaced(content: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_bytes(b"SQLite format 3\x00" + os.urandom(5000))
    digest, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.analysed == 4
    assert digest == uncached(settings(content))
    _, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.from_file == 4


def test_a_cache_file_damaged_after_the_header_is_replaced(content: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    path = cache_dir / CACHE_FILE
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    # Keep the 100-byte header (so the file still opens) and scramble the pages.
    data[100:] = bytes((b ^ 0x5A) for b in data[100:])
    path.write_bytes(bytes(data))
    digest, analysis = cached_build(settings(content), cache_dir)
    assert digest == uncached(settings(content))
    assert analysis.stats.analysed == 4
    _, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.from_file == 4


def test_a_foreign_sqlite_file_is_not_trusted(content: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        # Looks like ours, even to the table, but lacks our application id.
        db.execute("CREATE TABLE entries (key TEXT, value TEXT, checksum TEXT, used INTEGER)")
    digest, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.analysed == 4
    assert digest == uncached(settings(content))
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_a_tampered_entry_is_summarized_again(content: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        key, value = db.execute("SELECT key, value FROM entries LIMIT 1").fetchone()
        forged = value.replace("Maduro", "Someone else").replace("Rouhani", "Someone else")
        forged = forged.replace("cup final", "something else").replace("Oil", "Gold")
        assert forged != value
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (forged, key))
    digest, analysis = cached_build(settings(content), cache_dir)
    assert (analysis.stats.analysed, analysis.stats.from_file) == (1, 3)
    assert digest == uncached(settings(content))


def test_unused_entries_are_swept_by_the_index_not_by_reading_every_row(tmp_path: Path) -> None:
    # A file an older version made: the same table, without the index on `used`.
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        db.execute(
            "CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
            "checksum TEXT NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID"
        )
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {cache_module.SCHEMA_VERSION}")
    with SummaryCache(tmp_path) as cache:
        cache.put_many([("old", "x" * 20_000), ("recent", "y" * 20_000)])
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        db.execute("UPDATE entries SET used = used - ? WHERE key = 'old'", (KEEP_DAYS + 1,))
        plan = db.execute("EXPLAIN QUERY PLAN DELETE FROM entries WHERE used < 1").fetchall()
    assert "INDEX entries_used" in " ".join(str(step[-1]) for step in plan)
    with SummaryCache(tmp_path) as cache:
        cache.put_many([("new", "z")])
        assert set(cache.get_many(["old", "recent", "new"])) == {"recent", "new"}


def test_the_memory_layer_serves_rebuilds_in_one_process(content: Path) -> None:
    first, analysis = cached_build(settings(content), None, memory=True)
    assert analysis.stats.analysed == 4
    write_story(content, "final", 6)  # an edited file: its entry is worked out again
    second, analysis = cached_build(settings(content), None, memory=True)
    assert (analysis.stats.from_memory, analysis.stats.analysed) == (3, 1)
    assert second == uncached(settings(content))
    assert second != first


def _build_in_process(content: str, cache_dir: str, queue: multiprocessing.Queue) -> None:
    try:
        cache_module.clear_memory()
        digest = build_digest(
            DigestConfig(content_dir=Path(content), topics=TOPICS, cache_dir=None),
            CachedAnalysis(Path(cache_dir), workers=1, use_memory=False),
        )
        queue.put(len(digest.entries))
    except BaseException as error:  # reported to the test
        queue.put(repr(error))


@pytest.mark.parametrize("start", ["empty", "corrupt"])
def test_concurrent_builds_share_the_cache_safely(
    content: Path, tmp_path: Path, start: str
) -> None:
    cache_dir = tmp_path / "cache"
    if start == "corrupt":
        cache_dir.mkdir()
        (cache_dir / CACHE_FILE).write_bytes(b"garbage" * 1000)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    builds = [
        context.Process(target=_build_in_process, args=(str(content), str(cache_dir), queue))
        for _ in range(4)
    ]
    for build in builds:
        build.start()
    results = [queue.get(timeout=300) for _ in builds]
    for build in builds:
        build.join(timeout=60)
    assert results == [4, 4, 4, 4]
    digest, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.from_file == 4
    assert digest == uncached(settings(content))


def test_mkdocs_rebuild_reports_summaries_from_the_cache(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    first = mkdocs_build(project)
    assert first.returncode == 0, first.stderr
    assert "0 from the cache" in first.stderr
    assert (project / ".digest-cache" / CACHE_FILE).is_file()
    second = mkdocs_build(project)
    assert second.returncode == 0, second.stderr
    assert "0 summarized" in second.stderr
    # Same pages from the cache as from summarizing.
    for page in ("topics/venezuela/index.html", "topics/iran/index.html"):
        assert (project / "site" / page).is_file()


def test_an_unusable_cache_folder_costs_time_not_the_build(
    content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    digest, analysis = cached_build(settings(content), blocked)
    assert analysis.stats.analysed == 4
    assert digest == uncached(settings(content))
    assert "summary cache not used" in caplog.text


# -- trouble that is not the file's fault never throws the cache away ---------------------------


@pytest.fixture
def short_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "LOCK_TIMEOUT", 0.3)
    monkeypatch.setattr(SummaryCache, "_held_elsewhere", {}, raising=False)


def test_a_cache_another_program_holds_locked_is_waited_for_once_and_kept(
    content: Path, tmp_path: Path, short_lock_timeout: None
) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    holder = sqlite3.connect(cache_dir / CACHE_FILE, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE entries SET used = used")
    inode = (cache_dir / CACHE_FILE).stat().st_ino
    try:
        started = time.monotonic()
        digest, analysis = cached_build(settings(content), cache_dir)
        # One wait of the lock timeout, not one per step (it was 61 s with 30 s).
        assert time.monotonic() - started < 10 * cache_module.LOCK_TIMEOUT + 5
        assert analysis.stats.analysed == 4
        assert digest == uncached(settings(content))
        # The holder's file is still there, whole: it was not deleted under it.
        assert (cache_dir / CACHE_FILE).stat().st_ino == inode
        assert holder.execute("SELECT count(*) FROM entries").fetchone()[0] >= 4
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    SummaryCache._held_elsewhere = {}
    _, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.from_file == 4


def test_an_io_error_on_opening_does_not_replace_the_file(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    before = (cache_dir / CACHE_FILE).stat().st_ino
    real_connect = SummaryCache._connect

    def failing(self: SummaryCache) -> sqlite3.Connection:
        db = real_connect(self)
        db.close()
        # What a full disk gives when SQLite cannot create its -shm file.
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SummaryCache, "_connect", failing)
    digest, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.analysed == 4
    monkeypatch.undo()
    assert (cache_dir / CACHE_FILE).stat().st_ino == before
    _, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.from_file == 4


def test_a_full_disk_while_saving_keeps_what_the_file_had(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    real_connect = SummaryCache._connect

    def full(self: SummaryCache) -> sqlite3.Connection:
        db = real_connect(self)
        # No page beyond those the file has: any growth fails as on a full disk (SQLITE_FULL).
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return db

    monkeypatch.setattr(SummaryCache, "_connect", full)
    with SummaryCache(cache_dir) as cache, pytest.raises(sqlite3.OperationalError, match="full"):
        cache.put_many([(f"k{i}", "x" * 5000) for i in range(200)])
    monkeypatch.undo()
    with SummaryCache(cache_dir) as cache:
        assert len(cache) >= 4


def test_a_file_damaged_in_the_middle_is_replaced_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache_dir = tmp_path / "cache"
    items = [(f"key-{i:05d}", f"value {i} " + "x" * 800) for i in range(3000)]
    with SummaryCache(cache_dir) as cache:
        cache.put_many(items)
    path = cache_dir / CACHE_FILE
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    pages = len(data) // page_size
    assert pages > 100
    # Scramble pages in the middle only: the header and the first pages still read.
    middle = pages // 2
    start, end = middle * page_size, (middle + 5) * page_size
    data[start:end] = bytes(b ^ 0x5A for b in data[start:end])
    path.write_bytes(bytes(data))
    with SummaryCache(cache_dir) as cache:
        cache.get_many([key for key, _ in items])
    assert "starting a new one" in caplog.text
    with SummaryCache(cache_dir) as cache:
        cache.put_many(items[:10])
        assert cache.get_many([key for key, _ in items[:10]]) == dict(items[:10])
        assert cache._db is not None
        assert cache._db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_a_read_only_cache_is_still_read(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cache_dir = tmp_path / "cache"
    cached_build(settings(content), cache_dir)
    make_read_only(cache_dir, monkeypatch)
    before = (cache_dir / CACHE_FILE).read_bytes()
    with caplog.at_level("INFO"):
        digest, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.from_file == 4
    assert digest == uncached(settings(content))
    assert "summary cache not used" not in caplog.text
    assert (cache_dir / CACHE_FILE).read_bytes() == before


def test_links_planted_in_a_shared_cache_folder_lead_nowhere(content: Path, tmp_path: Path) -> None:
    """The shipped workflow restores .digest-cache/ from a CI cache other jobs can write."""
    from digest.store.history import record_build

    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victims = [elsewhere / f"keep-{i:02d}.json" for i in range(30)]
    for victim in victims:
        victim.write_text("{}")
    empty_db = elsewhere / "someone.sqlite3"
    sqlite3.connect(empty_db).close()
    os.symlink(empty_db, cache_dir / CACHE_FILE)
    os.symlink(elsewhere / "lock", cache_dir / cache_module.LOCK_FILE)
    os.symlink(elsewhere, cache_dir / "history")
    digest, _ = cached_build(settings(content), cache_dir)
    record_build(digest, cache_dir)
    record_build(digest, cache_dir)
    # Nothing created, written or pruned outside the cache folder.
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(
        [v.name for v in victims] + [empty_db.name]
    )
    with sqlite3.connect(empty_db) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    assert not (cache_dir / CACHE_FILE).is_symlink()
    _, analysis = cached_build(settings(content), cache_dir)
    assert analysis.stats.from_file == 4
