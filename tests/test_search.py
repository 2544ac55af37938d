"""Search that scales: the Pagefind bundle the build writes, and the `search` option.

What the index holds is read from the bundle's fragments (tests/pagefind.py); that a word finds
its article is checked in Chromium (tests/browser/test_search_browser.py), since only Pagefind's
own script searches its binary word index.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from digest.config import ConfigError, DigestConfig, config_from_mapping
from digest.model import Article, Digest, DigestEntry, Sentence, Summary, TopicMatch
from digest.site import search
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
    assert config_from_mapping({}, Path(".")).search == "pagefind"
    with pytest.raises(ConfigError, match="search: expected one of pagefind, material"):
        config_from_mapping({"search": "Pagefind"}, Path("."))


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


def test_the_same_records_give_the_same_bytes(tmp_path: Path) -> None:
    config = DigestConfig()
    entries = tuple(
        _entry((f"Paragraph {i} about zebras and {i * 7} elephants.",), f"Summary {i}.")
        for i in range(30)
    )
    entries = tuple(
        DigestEntry(
            article=Article(**{**e.article.__dict__, "slug": f"a{i}", "source_path": f"a{i}.md"}),
            sentences=e.sentences,
            summary=e.summary,
            topics=e.topics,
        )
        for i, e in enumerate(entries)
    )
    digest = Digest(entries=entries, topics=(), other=entries)
    bundles = []
    for name in ("one", "two"):
        site = tmp_path / name
        site.mkdir()
        records = search.digest_records(digest, config, lambda e: f"articles/{e.article.slug}/")
        bundle = search.write_pagefind(records, site)
        bundles.append(
            {
                p.relative_to(bundle).as_posix(): p.read_bytes()
                for p in bundle.rglob("*")
                if p.is_file()
            }
        )
    assert bundles[0] == bundles[1]
    assert len([n for n in bundles[0] if n.startswith("fragment/")]) == 30


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
