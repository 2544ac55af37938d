"""Search that scales: the Pagefind bundle the build writes, and the `search` option.

What the index holds is read from the bundle's fragments (tests/pagefind.py); that a word finds
its article is checked in Chromium (tests/browser/test_search_browser.py), since only Pagefind's
own script searches its binary word index.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from digest.config import ConfigError, DigestConfig, config_from_mapping
from digest.model import Article, Digest, DigestEntry, Sentence, Summary, TopicMatch
from digest.site import search
from digest.store.search_shards import ShardCache
from tests import pagefind
from tests.conftest import REPO, copy_fixture, mkdocs_build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_fixture("hostile", tmp_path_factory.mktemp("search"))
    result = mkdocs_build(project, strict=False)
    assert result.returncode == 0, result.stderr
    assert "indexed by Pagefind" in result.stderr
    return project


def _articles(site: Path) -> set[str]:
    return {
        p.parent.relative_to(site).as_posix() + "/"
        for p in (site / "articles").glob("*/index.html")
    }


def test_every_article_page_has_one_record_and_nothing_else_has(built: Path) -> None:
    site = built / "site"
    records = pagefind.records(site)
    assert len(records) > 20
    assert set(records) == _articles(site)


def test_a_record_holds_the_headline_summary_and_every_paragraph(built: Path) -> None:
    from digest.pipeline import build_digest, cached_analysis
    from digest.project import load_project

    config = load_project(built / "mkdocs.yml")
    digest = build_digest(config, cached_analysis(config))
    records = pagefind.records(built / "site")
    checked = 0
    for entry in digest.entries:
        record = records[f"articles/{entry.article.slug}/"]
        assert record["meta"]["title"] == entry.article.title
        assert record["meta"]["summary"] == entry.summary.text
        assert record["meta"]["date"] == entry.article.date.date().isoformat()
        assert record["meta"]["source"] == (entry.article.source or "")
        content = record["content"]
        # Pagefind keeps the record's text as given: article text is never rewritten here (the
        # reader's script inserts it as text). Lone surrogates are the one exception ("?").
        text = entry.article.title.encode("utf-8", "replace").decode("utf-8")
        assert text in content
        for paragraph in entry.article.paragraphs:
            assert paragraph.encode("utf-8", "replace").decode("utf-8") in content
        checked += 1
    assert checked > 20


def test_material_keeps_the_navigation_pages_only(built: Path) -> None:
    pages = pagefind.material_pages(built / "site")
    assert "" in pages and "archive/" in pages
    assert not {p for p in pages if search.pagefind_only(p)}
    html = (built / "site" / "index.html").read_text(encoding="utf-8")
    assert '<meta name="newsdigest-search" content="pagefind">' in html


def test_search_material_writes_no_bundle_and_indexes_articles_in_material(
    tmp_path: Path,
) -> None:
    project = copy_fixture("basic", tmp_path)
    path = project / "mkdocs.yml"
    config = yaml.safe_load(path.read_text())
    config["plugins"][1]["digest"]["search"] = "material"
    path.write_text(yaml.safe_dump(config))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    assert not (site / "pagefind").exists()
    assert {p for p in pagefind.material_pages(site) if p.startswith("articles/")} == _articles(
        site
    )
    assert "newsdigest-search" not in (site / "index.html").read_text(encoding="utf-8")


def test_the_option_is_checked() -> None:
    assert config_from_mapping({"search": "material"}, Path(".")).search == "material"
    assert config_from_mapping({}, Path(".")).search == "auto"
    with pytest.raises(ConfigError, match="search: expected one of auto, pagefind, material"):
        config_from_mapping({"search": "Pagefind"}, Path("."))


def test_auto_picks_pagefind_once_the_articles_pass_the_threshold(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    config = config_from_mapping({"content_dir": "content"}, tmp_path)
    assert config.search == "auto"
    assert search.resolved_search(config).search == "material"  # empty
    article = "---\ntitle: A headline\n---\n\n" + "A sentence of the article. " * 150
    size = len(article.encode("utf-8"))
    count = (search.AUTO_PAGEFIND_BYTES - 1) // size  # one article short of the threshold
    for number in range(count):
        (content / f"article-{number:03}.md").write_text(article, encoding="utf-8")
    # Files the reader does not read as articles do not count: hidden ones, hidden folders,
    # other kinds of file, metadata sidecars.
    (content / ".draft.md").write_text(article * 2, encoding="utf-8")
    (content / ".git").mkdir()
    (content / ".git" / "pack.txt").write_text(article * 2, encoding="utf-8")
    (content / "photo.jpg").write_bytes(b"x" * search.AUTO_PAGEFIND_BYTES)
    (content / "article-000.yml").write_text("source: " + "x" * size, encoding="utf-8")
    assert search.resolved_search(config).search == "material"
    (content / "sub").mkdir()
    (content / "sub" / "one-more.txt").write_text(article, encoding="utf-8")
    resolved = search.resolved_search(config)
    assert resolved.search == "pagefind"
    assert search.resolved_search(resolved) is resolved
    # An explicit choice is kept at any size.
    for engine in ("material", "pagefind"):
        chosen = config_from_mapping({"content_dir": "content", "search": engine}, tmp_path)
        assert search.resolved_search(chosen).search == engine


def _entry(paragraphs: tuple[str, ...], summary: str, method: str = "digest") -> DigestEntry:
    article = Article(
        source_path="a.md",
        slug="a",
        title="A <b>headline</b> & more",
        date=datetime(2019, 5, 14, 8, 0, tzinfo=timezone.utc),
        paragraphs=paragraphs,
        source="Wire",
    )
    sentence = Sentence(text=summary, paragraph=0, index=0)
    return DigestEntry(
        article=article,
        sentences=(sentence,),
        summary=Summary(sentences=(sentence,), method=method),
        topics=(TopicMatch(topic="iran", share=0.5, paragraphs=(0,), evidence=("Tehran",)),),
    )


def test_a_summary_drawn_from_the_text_is_not_repeated_but_an_editors_is_added() -> None:
    body = ("Tehran said on Monday it would resume enrichment.", "Talks stalled in Vienna.")
    drawn = search.article_record(_entry(body, body[0]), "articles/a/", {"iran": "Iran"})
    assert drawn.content.count("resume enrichment") == 1
    assert drawn.meta["topics"] == "Iran"
    assert drawn.sort == {"date": "2019-05-14T08:00:00+00:00"}
    editor = search.article_record(
        _entry(body, "Iran restarts its centrifuges.", "editor"), "articles/a/", {}
    )
    assert "centrifuges" in editor.content
    assert editor.meta["title"] == "A <b>headline</b> & more"  # as text: escaped where shown


def test_a_missing_pagefind_binary_is_an_error_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "_executable", lambda: str(tmp_path / "no-pagefind"))
    record = search.article_record(_entry(("Text.",), "Text."), "articles/a/", {})
    with pytest.raises(search.SearchIndexError, match="Pagefind failed"):
        search.write_pagefind([record], tmp_path)
    assert list(tmp_path.iterdir()) == []  # no half-written bundle, no staging folder


# A stand-in for `pagefind --service`: it answers every request with a long reply (longer,
# all together, than a pipe holds) and the third record with an error, then reads on.
_STAND_IN = """import base64, json, sys
data = b""
records = 0
while True:
    chunk = sys.stdin.buffer.read1(65536)
    if not chunk:
        break
    data += chunk
    while b"," in data:
        message, data = data.split(b",", 1)
        request = json.loads(base64.b64decode(message))
        kind = request["payload"]["type"]
        records += kind == "AddRecord"
        if kind == "NewIndex":
            payload = {"type": "NewIndex", "index_id": 1}
        elif records == 3:
            payload = {"type": "Error", "message": "record three refused"}
        else:
            payload = {"type": "IndexedFile", "padding": "x" * 50000}
        reply = json.dumps({"message_id": request["message_id"], "payload": payload})
        sys.stdout.buffer.write(base64.b64encode(reply.encode()) + b",")
        sys.stdout.buffer.flush()
"""


def test_records_go_to_pagefind_ahead_of_its_replies_and_its_error_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "stand-in"
    script.write_text(f"#!{sys.executable}\n{_STAND_IN}", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(search, "_executable", lambda: str(script))
    with pytest.raises(search.SearchIndexError, match="record three refused"):
        search.write_pagefind(_records(40), tmp_path / "site")
    assert not (tmp_path / "site" / "pagefind").exists()


def _records(count: int) -> list[search.Record]:
    """count records a day apart, oldest first, each with a word of its own ("zebra<i>")."""
    config = DigestConfig()
    entries = _entries(count)
    # Newest first, as a digest lists them: the bundle orders them itself.
    digest = Digest(entries=tuple(reversed(entries)), topics=(), other=tuple(entries))
    return search.digest_records(digest, config, lambda e: f"articles/{e.article.slug}/")


def _entries(count: int) -> list[DigestEntry]:
    """The entries of _records(count), oldest first."""
    entries = []
    for i in range(count):
        entry = _entry((f"Paragraph {i} about zebra{i} and {i * 7} elephants.",), f"Summary {i}.")
        article = replace(
            entry.article,
            slug=f"a{i}",
            source_path=f"a{i}.md",
            date=datetime(2019, 1, 1, 8, 0, tzinfo=timezone.utc) + timedelta(days=i),
        )
        entries.append(DigestEntry(article, entry.sentences, entry.summary, entry.topics))
    return entries


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


SMALL = {"base_block": 4, "max_block": 16}


def CACHE(root: Path) -> ShardCache:  # noqa: N802
    """The cache a shard is reused through: one key, one folder per test."""
    return ShardCache(root / "cache", b"k" * 32)


def test_records_made_when_read_give_the_bundle_made_ones_give(tmp_path: Path) -> None:
    made = _records(30)
    digest = Digest(entries=tuple(_entries(3)), topics=(), other=())
    pending = search.pending_records(digest, DigestConfig(), lambda e: f"x/{e.article.slug}/")
    assert [p.order() for p in pending] == [search._oldest_first(p.made()) for p in pending]
    by_url = {record.url: record for record in made}
    lazy = [search.PendingRecord(e, f"articles/{e.article.slug}/", {}) for e in _entries(30)]
    assert [p.made() for p in lazy] == [by_url[p.url] for p in lazy]
    (tmp_path / "made").mkdir()
    (tmp_path / "lazy").mkdir()
    search.write_pagefind(made, tmp_path / "made", **SMALL)
    search.write_pagefind(lazy, tmp_path / "lazy", **SMALL)
    assert _files(tmp_path / "made") == _files(tmp_path / "lazy")


def test_the_same_records_give_the_same_bytes(tmp_path: Path) -> None:
    bundles = []
    for name in ("one", "two"):
        site = tmp_path / name
        site.mkdir()
        bundle = search.write_pagefind(_records(30), site, **SMALL)
        assert bundle.path == site / "pagefind"
        bundles.append(_files(bundle.path))
    assert bundles[0] == bundles[1]
    # 30 records: shards of 16 and 8 (oldest first), then 4 in a shard and 2 in the bundle's own
    # index; one fragment per record.
    listing = json.loads(bundles[0]["shards.json"])
    assert len(listing["shards"]) == 3
    assert len([n for n in bundles[0] if "fragment/" in n]) == 30
    for shard in listing["shards"]:
        # Pagefind's script and WebAssembly once, at the top; a shard has its index only.
        assert not [n for n in bundles[0] if n.startswith(shard) and n.endswith(".js")]
    assert {"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind"} <= set(bundles[0])
    assert not [n for n in bundles[0] if "-ui." in n]  # Pagefind's own UIs: unused


def test_shards_are_blocks_oldest_first_that_newer_records_leave_alone() -> None:
    def blocks_of(count: int) -> list[tuple[int, int]]:
        return search.shard_blocks(count, 256, 2048)

    assert blocks_of(0) == [(0, 0)]
    assert blocks_of(256) == [(0, 256)]
    assert blocks_of(257) == [(0, 256), (256, 257)]
    # 10,000 articles: four blocks of 2,048, then 1,024, 512 and 256, then the newest 16.
    blocks = blocks_of(10_000)
    assert [b - a for a, b in blocks] == [2048] * 4 + [1024, 512, 256, 16]
    previous = blocks
    merged = 0
    for count in range(10_001, 13_001, 50):
        blocks = blocks_of(count)
        assert blocks[0][0] == 0 and blocks[-1][1] == count
        assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))
        assert 1 <= blocks[-1][1] - blocks[-1][0] <= 256
        assert len(blocks) <= count // 2048 + 4 + 1
        changed = [b for b in blocks[:-1] if b not in previous]
        # At most one closed block is new: the newest records' block, or the one blocks merge
        # into; every older one is the same range as before.
        assert len(changed) <= 1
        assert all(b in previous for b in blocks[: len(blocks) - 1 - len(changed)])
        merged += sum(b - a for a, b in changed)
        previous = blocks
    # 3,000 articles added 50 at a time: each was indexed again about 4 times, not 60.
    assert merged < 4 * 3000
    with pytest.raises(ValueError):
        search.shard_blocks(10, 4, 12)


def test_a_bundle_written_elsewhere_reuses_the_published_sites_shards(tmp_path: Path) -> None:
    # The Zensical engine writes its bundle into a fresh docs folder: the published site's
    # shards are seeded there first, so only the changed ones are indexed again.
    records = _records(40)
    live, docs, fresh = tmp_path / "live", tmp_path / "docs", tmp_path / "fresh"
    for folder in (live, docs, fresh):
        folder.mkdir()
    # The site was published with the oldest 36 (blocks of 16 and 16, then the newest 4).
    search.write_pagefind(records[4:], live, **SMALL, cache=CACHE(tmp_path))  # newest first
    shards = json.loads((live / "pagefind" / "shards.json").read_text())["shards"]
    assert len(shards) == 2
    # A shard of the old site holding a link is not seeded: it would carry the link over.
    (live / "pagefind" / shards[1] / "index" / "planted").symlink_to("/etc/passwd")
    assert search.seed_shards(live / "pagefind", docs / "pagefind") == 1
    assert search.seed_shards(tmp_path / "missing", docs / "pagefind") == 0
    # Four newer articles: blocks of 16, 16 and 4, then the newest 4; the first is reused as
    # seeded, the second (its seed refused) from the cache's verified copy.
    bundle = search.write_pagefind(records, docs, **SMALL, cache=CACHE(tmp_path))
    assert (bundle.reused_shards, bundle.reused_records) == (2, 32)
    assert (bundle.indexed_shards, bundle.indexed_records) == (2, 8)
    cold = search.write_pagefind(records, fresh, **SMALL)
    assert _files(docs / "pagefind") == _files(fresh / "pagefind")
    assert not [p for p in (docs / "pagefind").rglob("*") if p.is_symlink()]
    # The published site is untouched.
    assert (live / "pagefind" / shards[0] / "pagefind-entry.json").is_file()
    assert cold.indexed_shards == cold.shards


def test_a_digest_of_a_thousand_articles_is_one_index_and_ten_thousand_six_shards() -> None:
    assert search.shard_blocks(1_000) == [(0, 1_000)]
    assert [b - a for a, b in search.shard_blocks(10_000)] == [2048] * 4 + [1024, 784]


def test_a_rebuild_reuses_the_old_shards_and_writes_what_an_empty_folder_build_writes(
    tmp_path: Path,
) -> None:
    records = _records(40)
    site, fresh = tmp_path / "site", tmp_path / "fresh"
    site.mkdir()
    fresh.mkdir()
    # 29 records: blocks of 16, 8 and 4, then the newest one.
    first = search.write_pagefind(
        records[-29:], site, **SMALL, cache=CACHE(tmp_path)
    )  # newest first: the oldest 29
    assert (first.records, first.shards, first.indexed_shards) == (29, 4, 4)
    old_listing = json.loads((site / "pagefind" / "shards.json").read_text())["shards"]
    # Leftovers a rebuild must not keep: a file of ours that is no longer written, a shard of
    # an older build, a staging folder a killed build left.
    (site / "pagefind" / "stray.txt").write_text("old")
    (site / "pagefind" / "shard-00000000000000000000").mkdir()
    (site / ".pagefind-killed").mkdir()
    kept = (site / "pagefind" / old_listing[0] / "pagefind-entry.json").stat().st_ino
    # Eleven newer articles: 40 records are blocks of 16, 16 (the 8 and 4 before, merged with
    # newer ones) and 4, then the newest 4.
    second = search.write_pagefind(records, site, **SMALL, cache=CACHE(tmp_path))
    assert (second.records, second.shards) == (40, 4)
    assert (second.indexed_shards, second.indexed_records) == (3, 24)
    assert (second.reused_shards, second.reused_records) == (1, 16)
    assert "1 reused (16)" in second.describe()
    listing = json.loads((site / "pagefind" / "shards.json").read_text())["shards"]
    assert listing[0] == old_listing[0]
    # Reused as it was (moved, not written again).
    assert (site / "pagefind" / listing[0] / "pagefind-entry.json").stat().st_ino == kept
    cold = search.write_pagefind(records, fresh, **SMALL)
    assert cold.indexed_shards == 4
    assert _files(site / "pagefind") == _files(fresh / "pagefind")
    assert sorted(p.name for p in site.iterdir()) == ["pagefind"]
    # Nothing changed: nothing is indexed again.
    third = search.write_pagefind(records, site, **SMALL, cache=CACHE(tmp_path))
    assert (third.indexed_shards, third.indexed_records) == (0, 0)  # all verified as they are
    assert _files(site / "pagefind") == _files(fresh / "pagefind")


def test_a_failed_rebuild_leaves_the_old_bundle_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _records(20)
    search.write_pagefind(records[-17:], tmp_path, **SMALL)
    before = _files(tmp_path / "pagefind")
    monkeypatch.setattr(search, "_executable", lambda: str(tmp_path / "no-pagefind"))
    with pytest.raises(search.SearchIndexError, match="Pagefind failed"):
        search.write_pagefind(records, tmp_path, **SMALL)
    assert _files(tmp_path / "pagefind") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pagefind"]


def test_compare_sites_skips_the_same_pages_as_the_plugin() -> None:
    spec = importlib.util.spec_from_file_location("compare_sites", REPO / ".ci/compare_sites.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.PAGEFIND_ONLY.pattern == search._PAGEFIND_ONLY.pattern
    for path in ("articles/a/", "stories/s/", "archive/2019-05/", "topics/iran/page-2/"):
        assert search.pagefind_only(path) and re.search(module.PAGEFIND_ONLY, path)
    for path in ("", "archive/", "topics/iran/", "about/", "subscribe/"):
        assert not search.pagefind_only(path)


def test_topics_and_months_are_filters_in_one_byte_order(tmp_path: Path) -> None:
    from digest.site import pagefind_stable

    records = _records(40)  # 40 days from 1 January 2019: January and February
    bundle = search.write_pagefind(records, tmp_path, **SMALL).path
    months: set[str] = set()
    for folder in [bundle, *(p for p in bundle.iterdir() if p.name.startswith("shard-"))]:
        files = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*")
            if p.is_file() and "shard-" not in p.relative_to(folder).as_posix()
        }
        values = pagefind_stable.filter_values(files)
        assert values["topic"] == ["iran"]  # the topic slug: the config names no topics
        assert values["month"] == sorted(set(values["month"]))  # in order, each once
        months.update(values["month"])
        # Pagefind's own files decode and encode back to the same bytes, and the renamed
        # metadata is the one the entry file names.
        entry = json.loads(files["pagefind-entry.json"])
        meta = f"pagefind.{entry['languages']['en']['hash']}.pf_meta"
        assert meta in files
        for path, data in files.items():
            if path.endswith((".pf_meta", ".pf_filter", ".pf_index")):
                value = pagefind_stable.read(data)
                assert pagefind_stable.read(pagefind_stable.write(value)) == value
                raw = gzip.decompress(data)
                assert pagefind_stable.SIGNATURE + pagefind_stable.encode(value) == raw, path
    assert months == {"2019-01", "2019-02"}


def test_a_shards_key_from_analysis_keys_changes_whenever_its_records_would() -> None:
    # An entry with an analysis key (it stands for the text and summary) is hashed by what its
    # record is made from, not made into a record for it: anything the record shows changes it.
    names = {"iran": "Iran"}
    base = [replace(e, analysis_key=f"{i:064x}") for i, e in enumerate(_entries(3))]

    def key(entries: list[DigestEntry], url: str = "articles/{}/") -> str:
        pending = [search.PendingRecord(e, url.format(e.article.slug), names) for e in entries]
        return search.shard_key(pending, "en")

    def first_changed(**fields: object) -> list[DigestEntry]:
        article = fields.pop("article", {})
        entry = replace(base[0], article=replace(base[0].article, **article), **fields)  # type: ignore[arg-type]
        return [entry, *base[1:]]

    later = base[0].article.date + timedelta(hours=1)
    variants = [
        key(base, "news/{}/"),
        key(first_changed(analysis_key="f" * 64)),
        key(first_changed(article={"source": "Another wire"})),
        key(first_changed(article={"title": "Another headline"})),
        key(first_changed(article={"date": later})),
        key(first_changed(topics=(TopicMatch("venezuela", 0.5, (0,), ("Caracas",)),))),
        key(first_changed(summary=Summary((Sentence("Another summary.", 0, 0),), "editor"))),
    ]
    assert key(base) == key(list(base))
    assert len({key(base), *variants}) == len(variants) + 1
    # Without an analysis key the record itself is made and hashed: another key again.
    assert key([replace(e, analysis_key="") for e in base]) != key(base)
