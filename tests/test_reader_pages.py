"""Reader features in the generated pages: summary first with its sentences highlighted in the
text, stories grouped by day, the archive, the stylesheet, and "what's new since the last build"
kept reproducible. (tests/browser/ checks the same site in a real browser.)"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import markdown
import pytest

from digest.config import DigestConfig
from digest.model import Article, Digest, DigestEntry, Sentence, Summary
from digest.site.render import PageRenderer, highlighted_paragraphs
from digest.store.history import History, record_build
from tests import pagefind
from tests.conftest import REPO, copy_fixture, mkdocs_build


def make_entry(slug: str, title: str, paragraphs: tuple[str, ...], picks=(), content_hash=""):
    article = Article(
        source_path=f"{slug}.md",
        slug=slug,
        title=title,
        date=datetime(2019, 5, 14, tzinfo=timezone.utc),
        paragraphs=paragraphs,
        content_hash=content_hash,
    )
    sentences = tuple(Sentence(text, paragraph, i) for i, (paragraph, text) in enumerate(picks))
    return DigestEntry(article=article, sentences=sentences, summary=Summary(sentences, "test"))


def make_digest(*entries: DigestEntry) -> Digest:
    return Digest(entries=tuple(entries), topics=(), other=tuple(entries))


# --- highlighted sentences -------------------------------------------------------------------


def test_picked_sentences_are_marked_and_everything_else_is_escaped() -> None:
    paragraphs = (
        "Ministers met on Monday. They agreed <b>nothing</b> and left [early](http://x.invalid).",
        "A second paragraph with *stars* and {{ braces }}.",
    )
    picks = (
        (0, "They agreed <b>nothing</b> and left [early](http://x.invalid)."),
        (1, "A second paragraph with *stars* and {{ braces }}."),
    )
    marked = highlighted_paragraphs(make_entry("a", "A", paragraphs, picks))
    html = [lxml.html.fragment_fromstring(str(p), create_parent="p") for p in marked]
    # The unpicked sentence stays plain text; each picked one is one <mark>, shown verbatim.
    assert html[0].text == "Ministers met on Monday. "
    assert [m.text_content() for m in html[0].iter("mark")] == [picks[0][1]]
    assert [m.text_content() for m in html[1].iter("mark")] == [picks[1][1]]
    # Nothing from the article became markup: the only elements are our <mark>s.
    assert {e.tag for p in html for e in p.iter()} == {"p", "mark"}
    for piece in marked:
        assert "<b>" not in piece and "](" not in piece and "{{" not in piece


def test_sentences_split_apart_from_glued_quotes_are_still_found() -> None:
    # The splitter puts a space into 'Sochi.”As'; the highlight must find both halves anyway.
    paragraph = "He spoke in Sochi.”As we said, there was no collusion. Then he left."
    picks = ((0, "He spoke in Sochi.”"), (0, "As we said, there was no collusion."))
    (marked,) = highlighted_paragraphs(make_entry("a", "A", (paragraph,), picks))
    html = lxml.html.fragment_fromstring(str(marked), create_parent="p")
    assert [m.text_content() for m in html.iter("mark")] == [text for _, text in picks]
    assert html.text_content() == paragraph


def test_editor_summary_marks_nothing() -> None:
    entry = make_entry("a", "A", ("One. Two.",), ((-1, "An editor's words."),))
    assert [str(p) for p in highlighted_paragraphs(entry)] == ["One. Two."]


# --- what changed since the last build -------------------------------------------------------


def test_first_build_has_no_changes_and_none_without_a_cache(tmp_path: Path) -> None:
    digest = make_digest(make_entry("a", "A", ("Text.",), content_hash="1"))
    assert record_build(digest, None) is None
    assert record_build(digest, tmp_path) is None  # a fresh clone: nothing to compare with


def test_changes_name_added_updated_and_removed_articles(tmp_path: Path) -> None:
    old = make_entry("kept", "Kept", ("Old text.",), content_hash="1")
    gone = make_entry("gone", "Gone <story>", ("Text.",), content_hash="2")
    record_build(make_digest(old, gone), tmp_path)
    new = make_entry("new", "New", ("Text.",), content_hash="3")
    edited = make_entry("kept", "Kept", ("New text.",), content_hash="4")
    changes = record_build(make_digest(new, edited), tmp_path)
    assert changes is not None
    assert [e.article.slug for e in changes.added] == ["new"]
    assert [e.article.slug for e in changes.updated] == ["kept"]
    assert [(r.slug, r.title) for r in changes.removed] == [("gone", "Gone <story>")]
    assert changes.previous_count == 2


def test_same_content_gives_the_same_changes_in_any_order_of_builds(tmp_path: Path) -> None:
    a = make_digest(make_entry("a", "A", ("x",), content_hash="1"))
    b = make_digest(*a.entries, make_entry("b", "B", ("y",), content_hash="2"))
    c = make_digest(make_entry("c", "C", ("z",), content_hash="3"))
    assert record_build(a, tmp_path) is None
    first_b = record_build(b, tmp_path)
    assert first_b is not None and [e.article.slug for e in first_b.added] == ["b"]
    # Rebuilding B, even after building C, tells the same story; so does going back to A.
    assert record_build(b, tmp_path) == first_b
    assert record_build(c, tmp_path) is not None
    assert record_build(b, tmp_path) == first_b
    assert record_build(a, tmp_path) is None


def test_previews_compare_without_recording(tmp_path: Path) -> None:
    a = make_digest(make_entry("a", "A", ("x",), content_hash="1"))
    b = make_digest(*a.entries, make_entry("b", "B", ("y",), content_hash="2"))
    c = make_digest(*b.entries, make_entry("c", "C", ("z",), content_hash="3"))
    record_build(a, tmp_path)
    files = sorted((tmp_path / "history").iterdir())
    preview = record_build(b, tmp_path, write=False)  # as `mkdocs serve` does
    assert preview is not None and [e.article.slug for e in preview.added] == ["b"]
    assert sorted((tmp_path / "history").iterdir()) == files
    # The next real build still compares with the last real one.
    built = record_build(c, tmp_path)
    assert built is not None and [e.article.slug for e in built.added] == ["b", "c"]


def test_unreadable_history_loses_changes_not_the_build(tmp_path: Path) -> None:
    a = make_digest(make_entry("a", "A", ("x",), content_hash="1"))
    record_build(a, tmp_path)
    for snapshot in (tmp_path / "history").glob("*.json"):
        snapshot.write_text("{not json", encoding="utf-8")
    b = make_digest(make_entry("b", "B", ("y",), content_hash="2"))
    assert record_build(b, tmp_path) is None  # the parent is unreadable: no comparison
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    assert record_build(b, blocked) is None
    assert History(tmp_path)._load("../../etc/passwd") is None


def test_history_keeps_a_bounded_number_of_snapshots(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("digest.store.history.KEEP_SNAPSHOTS", 3)
    digests = [
        make_digest(make_entry(f"s{i}", f"S{i}", ("x",), content_hash=str(i))) for i in range(6)
    ]
    for digest in digests:
        record_build(digest, tmp_path)
    assert len(list((tmp_path / "history").glob("*.json"))) == 3
    # The newest content still compares with the one before it.
    changes = record_build(digests[-1], tmp_path)
    assert changes is not None and [e.article.slug for e in changes.added] == ["s5"]


def test_home_lists_at_most_ten_changes_of_a_kind_and_escapes_titles(tmp_path: Path) -> None:
    many = [make_entry(f"a{i:02d}", f"Story {i}", ("x",), content_hash=str(i)) for i in range(12)]
    hostile = make_entry("gone", "<script>alert(1)</script> [x](http://e.invalid)", ("y",), "", "h")
    record_build(make_digest(hostile), tmp_path)
    changes = record_build(make_digest(*many), tmp_path)
    assert changes is not None
    digest = make_digest(*many)
    config = DigestConfig(cache_dir=tmp_path, templates_dir=None)
    pages = {page.path: page for page in PageRenderer(config).render(digest, changes)}
    home = pages["index.md"].markdown
    assert home.count("digest-change--added") == 10
    assert "- and 2 more" in home
    assert "<script>" not in home and "](http" not in home
    html = markdown.markdown(home)
    assert "<script" not in html
    assert not [h for h in lxml.html.fromstring(html).xpath("//a/@href") if "e.invalid" in h]


# --- the built site ---------------------------------------------------------------------------


def _html(site: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / path).read_bytes())


def _has_class(name: str) -> str:
    return f"contains(concat(' ', @class, ' '), ' {name} ')"


def _article_body(page: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    (body,) = page.xpath(f"//article[{_has_class('md-content__inner')}]")
    return body


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_fixture("browser", tmp_path_factory.mktemp("reader"))
    for seed in (REPO / "content").glob("sochi-2019-05-14.*"):
        shutil.copy(seed, project / "content")
    return project


def build(project: Path) -> Path:
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return project / "site"


@pytest.fixture(scope="module")
def site(project: Path) -> Path:
    return build(project)


def test_article_page_starts_with_the_summary_and_highlights_its_sentences(site: Path) -> None:
    body = _article_body(_html(site, "articles/sochi-2019-05-14/index.html"))
    first = body.xpath("./h1/following-sibling::*")[0]
    assert "digest-summary" in first.get("class", "")
    summary = " ".join(first.text_content().split())
    marks = [
        " ".join(m.text_content().split())
        for m in body.xpath(f".//mark[{_has_class('digest-pick')}]")
    ]
    assert marks, "no sentence of the summary is highlighted in the article text"
    # Every highlighted sentence is in the summary, and together they make up all of it.
    assert all(mark in summary for mark in marks)
    assert " ".join(marks) == summary
    meta = " ".join(body.xpath(f".//*[{_has_class('digest-meta')}]")[0].text_content().split())
    assert meta.startswith("14 May 2019 · Associated Press · SOCHI, Russia")
    assert meta.endswith("min read")


def test_search_shows_the_summary_for_an_article(site: Path) -> None:
    # Articles are searched through Pagefind (the default); its record carries the summary.
    record = pagefind.records(site)["articles/caracas-blackout-2019-05-20/"]
    assert record["meta"]["summary"].startswith("Large parts of Caracas lost power")
    assert record["meta"]["title"] == "Caracas goes dark again as Maduro blames sabotage"
    assert record["meta"]["date"] == "2019-05-20"
    # Words deep in the article text are indexed too (not only the summary).
    assert "Guri dam" in record["content"]
    # Not in Material's index as well, which every visit downloads whole.
    assert not any(p.startswith("articles/") for p in pagefind.material_pages(site))


def test_hostile_article_text_stays_text(site: Path) -> None:
    page = _html(site, "articles/library-hours-2019-06-03/index.html")
    body = _article_body(page)
    assert (
        body.xpath(".//h1")[0]
        .text_content()
        .startswith("Library extends opening hours <after> a petition & a *vote*")
    )
    assert not body.xpath(".//b | .//script | .//img")
    assert all("tracker.invalid" not in (a.get("href") or "") for a in body.iter("a"))


def test_topic_page_groups_stories_by_day_newest_first(site: Path) -> None:
    body = _article_body(_html(site, "topics/venezuela/index.html"))
    days = [h.text_content().strip("¶ ") for h in body.xpath(".//h2")]
    assert days == ["29 May 2019", "20 May 2019", "14 May 2019"]
    assert body.xpath(".//p")[0].text_content().startswith("Venezuela's political crisis")


def test_archive_lists_months_by_year_and_days_within_a_month(site: Path) -> None:
    archive = _article_body(_html(site, "archive/index.html"))
    assert [h.text_content().strip("¶ ") for h in archive.xpath(".//h2")] == ["2019"]
    months = [" ".join(li.text_content().split()) for li in archive.xpath(".//li")]
    assert months == ["June 2019 · 2 stories", "May 2019 · 4 stories", "April 2019 · 1 story"]
    may = _article_body(_html(site, "archive/2019-05/index.html"))
    days = [h.text_content().strip("¶ ") for h in may.xpath(".//h2")]
    assert days == ["29 May 2019", "20 May 2019", "14 May 2019"]


def test_stylesheet_ships_with_the_plugin(site: Path) -> None:
    assert ".digest-summary" in (site / "assets/newsdigest.css").read_text(encoding="utf-8")
    links = _html(site, "index.html").xpath("//link[@rel='stylesheet']")
    assert any(link.get("href") == "assets/newsdigest.css" for link in links)


def test_home_says_what_changed_and_rebuilds_are_byte_identical(tmp_path: Path) -> None:
    project = copy_fixture("browser", tmp_path)
    senate = project / "content" / "senate-hearing-2019-06-03.md"
    held_back = senate.read_bytes()
    senate.unlink()
    first = build(project)
    home = _article_body(_html(first, "index.html"))
    assert not [h for h in home.xpath(".//h2") if "new since" in h.text_content()]

    senate.write_bytes(held_back)
    (project / "content" / "tram-line-2019-04-30.md").unlink()
    second = build(project)
    before = (second / "index.html").read_bytes()
    home = _article_body(_html(second, "index.html"))
    (heading,) = [h for h in home.xpath(".//h2") if "new since" in h.text_content()]
    items = [" ".join(li.text_content().split()) for li in heading.getnext().getnext()]
    assert items == [
        "New Senators press officials on election meddling ahead of 2020 · 3 June 2019",
        "Removed City council approves tram line to the airport",
    ]
    # Same content, same bytes: rebuilding does not turn "new" into "nothing changed".
    assert (build(project) / "index.html").read_bytes() == before


def test_search_summaries_map_article_pages_to_their_summaries(site: Path) -> None:
    summaries = json.loads((site / "assets/newsdigest-summaries.json").read_text("utf-8"))
    card = summaries["articles/caracas-blackout-2019-05-20/"]
    assert card["summary"].startswith("Large parts of Caracas lost power")
    # What a Pagefind result shows under the title, for the theme's own results too.
    assert (card["date"], card["source"], card["topics"]) == (
        "2019-05-20",
        "Fixture Wire",
        "Venezuela",
    )
    assert all((site / page / "index.html").exists() for page in summaries)
    scripts = _html(site, "index.html").xpath("//script/@src")
    assert "assets/newsdigest.js" in scripts


def test_customisation_through_mkdocs_yml_and_docs(tmp_path: Path) -> None:
    project = copy_fixture("browser", tmp_path)
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    # Topic order comes from the config: put Iran first.
    iran = (
        "        - name: Iran\n"
        "          description: Iran, its nuclear programme and its standoff with the United"
        " States.\n"
        "          keywords: [Iran, Iranian, Tehran, Rouhani, Zarif]\n"
    )
    assert iran in text
    text = text.replace(iran, "").replace("      topics:\n", "      topics:\n" + iran)
    text = text.replace("  font: false\n", "  font: false\n  logo: assets/logo.svg\n")
    config.write_text(text, encoding="utf-8")
    assets = project / "docs" / "assets"
    assets.mkdir(parents=True)
    (assets / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', "utf-8")
    (assets / "newsdigest.css").write_text(".digest-summary { color: teal; }\n", "utf-8")
    site = build(project)
    assert (site / "assets/newsdigest.css").read_text(
        "utf-8"
    ) == ".digest-summary { color: teal; }\n"
    home = _html(site, "index.html")
    assert home.xpath("//img[contains(@src, 'assets/logo.svg')]")
    headings = [h.text_content().strip("¶ ") for h in _article_body(home).xpath(".//h2")]
    assert headings[:3] == ["Iran", "Venezuela", "Election interference"]
    nav = [a.text_content().strip() for a in home.xpath("//nav//a[contains(@href, 'topics/')]")]
    assert nav[:3] == ["Iran", "Venezuela", "Election interference"]
