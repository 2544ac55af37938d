"""Extraction defects of issue 25, each on a fixture page shaped like the real one
(tests/fixtures/extraction/, written by tests/fixtures/extraction/make_pages.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from digest.sources.blocks import looks_like_code, markup_problem, template_problem
from digest.sources.extract import Extracted, extract, problem
from digest.sources.store import NewArticle, _markdown_safe, render
from digest.sources.text import markdown_to_text

PAGES = Path(__file__).parent / "fixtures" / "extraction"


def _page(name: str) -> Extracted:
    return extract(
        (PAGES / f"{name}.html").read_text(encoding="utf-8"), f"https://n.example/{name}"
    )


def _expected(name: str) -> list[str]:
    return (PAGES / f"{name}.txt").read_text(encoding="utf-8").splitlines()


def test_hard_wrapped_paragraphs_stay_one_paragraph_each() -> None:
    """<p> text the CMS wrapped in the source around links and bold words ("Seit" /
    "die schwedische Klimaaktivistin") is one paragraph, as the HTML's blocks say."""
    found = _page("hard-wrapped-de")
    assert list(found.paragraphs) == _expected("hard-wrapped-de")
    assert found.paragraphs[0].startswith("Seit die schwedische Klimaaktivistin vor")
    assert problem(found) is None


def test_a_break_inside_a_paragraph_splits_it_only_after_a_sentence() -> None:
    from lxml import etree

    from digest.sources.blocks import body_blocks

    body = etree.fromstring(
        "<body><p>The first sentence ends here.<lb/>A second paragraph follows it"
        "<lb/>and this line continues it.</p><head>Sub head</head>Loose text after it.</body>"
    )
    assert [b.text for b in body_blocks(body)] == [
        "The first sentence ends here.",
        "A second paragraph follows it and this line continues it.",
        "Sub head",
        "Loose text after it.",
    ]


@pytest.mark.parametrize(
    ("name", "label"), [("furniture-es", "Seguir leyendo:"), ("furniture-fi", "Lue seuraavaksi:")]
)
def test_a_link_box_after_the_story_is_dropped_in_any_language(name: str, label: str) -> None:
    """A short label ending in ':' followed by linked headlines, at the end of the text: caught
    by shape and position, with no word list of the language."""
    found = _page(name)
    assert list(found.paragraphs) == _expected(name)
    assert any(label in note for note in found.notes), found.notes


def test_a_story_ending_in_a_short_list_of_its_sources_keeps_it() -> None:
    from digest.sources.blocks import Block, trailing_furniture

    story = [Block("The council voted after a long debate about the budget.", "p")] * 5
    sources = [Block("The budget report", "item", 1.0), Block("The schools plan", "item", 1.0)]
    assert trailing_furniture(story + sources) == 0
    # Three linked headlines are a box; a label before them marks one even when short.
    assert trailing_furniture(story + sources + [Block("Bus times", "item", 1.0)]) == 3
    assert trailing_furniture(story + [Block("Lesen Sie auch:", "p"), *sources]) == 3
    # A box's heading ends the text only as furniture, in any language.
    heading = Block("Empfehlungen der Redaktion", "head")
    assert trailing_furniture(story + [heading, sources[0]]) == 2
    assert trailing_furniture(story + [heading]) == 1
    assert trailing_furniture([heading, *story]) == 0
    # A sentence ending in a colon that introduces the story's own list is not a label.
    intro = Block("The council listed the three schools that will be rebuilt first:", "p")
    assert trailing_furniture(story + [intro, *sources]) == 0


def test_a_short_json_ld_body_does_not_make_a_free_story_a_paywall_stub() -> None:
    """The page shows the whole story; its JSON-LD articleBody is a teaser and it says
    isAccessibleForFree: false. The page's own words decide: written in full."""
    found = _page("paywall-teaser-json-ld")
    assert list(found.paragraphs) == _expected("paywall-teaser-json-ld")
    assert found.paywalled and (found.page_words or 0) > 500
    assert problem(found) is None
    assert any("teaser" in note for note in found.notes)


def test_a_paywall_stub_is_refused_naming_what_the_page_shows_and_says() -> None:
    teaser = (
        "The county's new flood barrier held through the storm on Sunday night, officials "
        "said, as the river rose to within inches of the top of the wall near the old mill."
    )
    html = (
        '<html><head><title>Flood barrier holds</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Flood barrier holds", '
        '"isAccessibleForFree": false}</script></head><body><article><h1>Flood barrier '
        f"holds</h1><p>{teaser}</p><p>{teaser}</p></article></body></html>"
    )
    reason = problem(extract(html, "https://n.example/stub")) or ""
    assert reason.startswith("paywalled (its structured data says isAccessibleForFree: false)")
    assert "words of the story are visible on the page" in reason


def test_an_unrendered_template_page_is_refused_with_the_reason() -> None:
    reason = problem(_page("angular-template")) or ""
    assert reason.startswith("template syntax, not text")
    assert "{{nrco.contentDetailController" in reason


def test_a_page_of_css_and_javascript_is_refused_with_the_reason() -> None:
    reason = problem(_page("css-js-text")) or ""
    assert reason.startswith("code, CSS or JavaScript, not text")


def test_prose_that_mentions_code_or_a_placeholder_is_not_markup() -> None:
    prose = [
        "The vendor said the {{ config.extra }} placeholder appeared on the page for an hour.",
        "Developers use semicolons; the city's web team said it would publish a report.",
        "Prices rose (again) by 3% = the biggest rise since 2019, the office said.",
    ]
    assert markup_problem(prose) is None
    assert not any(looks_like_code(p) for p in prose)
    assert looks_like_code("body { margin: 0; padding: 0; }")


def test_digest_check_flags_an_article_that_is_an_unrendered_template(tmp_path: Path) -> None:
    from digest.sources.files import ContentReader

    content = tmp_path / "content"
    content.mkdir()
    body = "\n\n".join(
        [
            "{{ article.lead }}",
            "{{ article.body }}",
            "{% for tag in article.tags %}{{ tag }}{% endfor %}",
        ]
    )
    (content / "page.md").write_text(
        f"---\ntitle: Nachrichten\ndate: 2026-03-04\n---\n\n{body}\n", encoding="utf-8"
    )
    (content / "fine.md").write_text(
        "---\ntitle: Water plan\ndate: 2026-03-04\n---\n\nThe council approved the water plan "
        "on Tuesday after a long debate.\n",
        encoding="utf-8",
    )
    result = ContentReader(content).read_all()
    flagged = [p for p in result.problems if p.path.endswith("page.md")]
    assert flagged and "never filled in" in flagged[0].message
    assert "{{ article.lead }}" in flagged[0].message
    assert not [p for p in result.problems if p.path.endswith("fine.md")]
    assert (
        template_problem(["A {{ x }} in a long sentence of prose about the city budget."]) is None
    )


@pytest.mark.parametrize(
    "text",
    [
        "-5 degrees at night, the weather service said.",
        "#MeToo spread quickly, she said.",
        "AT&T and Q&A sessions | Reuters",
        "3*4 is 12 and a < b, said the teacher.",
        "snake_case stayed in the report.",
        "C:\\path was the folder.",
    ],
)
def test_fetched_markdown_escapes_only_what_markdown_needs(text: str) -> None:
    written = _markdown_safe(text)
    assert markdown_to_text(written) == text
    if "|" not in text:
        assert written == text


@pytest.mark.parametrize(
    "text",
    [
        "# a heading",
        "- a list",
        "1. First",
        "<script>x</script>",
        "*bold* claim",
        "[a](javascript:x)",
    ],
)
def test_fetched_markdown_still_escapes_markup(text: str) -> None:
    written = _markdown_safe(text)
    assert written != text
    assert markdown_to_text(written) == text


def test_a_table_row_is_written_without_markdown_table_syntax() -> None:
    found = extract(
        "<html><head><title>Results</title></head><body><article><h1>Results</h1>"
        + "".join(
            f"<p>The count in district {n} finished late on Sunday, with turnout higher than "
            "four years ago, and officials said the results would be certified this week.</p>"
            for n in range(4)
        )
        + "<table><tr><th>District</th><th>Votes</th></tr><tr><td>North</td><td>1,204</td></tr>"
        "</table></article></body></html>",
        "https://n.example/results",
    )
    article = NewArticle(
        "Results",
        datetime(2026, 3, 4, tzinfo=timezone.utc),
        "S",
        "https://n.example/r",
        found.paragraphs,
    )
    written = render(article)
    assert "North · 1,204" in written
    assert "&#124;" not in written and "---|" not in written


def test_a_short_line_a_site_repeats_on_its_pages_is_dropped_from_the_third_on() -> None:
    """Furniture by repetition across a site's pages, in any language: a short line on two
    earlier pages of the same site goes; a line seen once before (a shared wire sentence)
    and another site's lines stay."""
    from digest.sources.blocks import SiteLines

    lines = SiteLines()
    sign_off = "Unsere Standards: Die Grundsätze der Redaktion."
    pages = [
        [f"Story {n} says something new about the harbour, the council said.", sign_off]
        for n in range(3)
    ]
    assert lines.without_repeated("news.example", pages[0])[1] == []
    assert lines.without_repeated("news.example", pages[1])[1] == []
    assert lines.without_repeated("other.example", pages[2])[1] == []
    kept, dropped = lines.without_repeated("news.example", pages[2])
    assert dropped == [sign_off] and kept == pages[2][:1]


def test_a_line_with_an_arrow_is_prose_and_a_layout_table_keeps_its_paragraphs() -> None:
    from lxml import etree

    from digest.sources.blocks import body_blocks

    assert not looks_like_code("=> Wie bist Du vorgegangen?")
    body = etree.fromstring(
        "<body><table><row><cell><p>Ich habe am Montag geschrieben:</p><p>Sehr geehrte "
        "Damen und Herren,</p></cell></row><row><cell>Name</cell><cell>Ort</cell></row>"
        "</table></body>"
    )
    assert [b.text for b in body_blocks(body)] == [
        "Ich habe am Montag geschrieben:",
        "Sehr geehrte Damen und Herren,",
        "Name · Ort",
    ]


def test_digest_fetch_writes_the_fixtures_and_says_where_it_parted_from_trafilatura(
    tmp_path: Path,
) -> None:
    """Through `digest fetch` itself: the teaser-JSON-LD page is written in full (its note
    says trafilatura's text was kept), the template and CSS pages are refused with their
    reasons, and the written Markdown of the hard-wrapped page is the plain text."""
    import httpx

    from tests.test_fetch_units import _run, page

    names = ["paywall-teaser-json-ld", "angular-template", "css-js-text", "hard-wrapped-de"]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        name = request.url.path.strip("/")
        return page((PAGES / f"{name}.html").read_text(encoding="utf-8"))

    urls = [f"https://news.example/{name}" for name in names]
    outcomes = {
        o.url.rsplit("/", 1)[1]: o for o in _run(tmp_path, {"name": "N", "urls": urls}, handler)
    }
    teaser = outcomes["paywall-teaser-json-ld"]
    assert teaser.status == "new" and any("teaser" in n for n in teaser.notes)
    assert "template syntax" in outcomes["angular-template"].detail
    assert "code, CSS or JavaScript" in outcomes["css-js-text"].detail
    written = (tmp_path / "content" / outcomes["hard-wrapped-de"].file).read_text()
    body = written.split("---\n", 2)[2].strip().split("\n\n")
    assert body == _expected("hard-wrapped-de")


def test_a_paywall_page_whose_story_only_its_json_ld_holds_is_refused() -> None:
    """Nothing of the story is visible (a caption only); the JSON-LD carries the whole body
    and isAccessibleForFree: false. The visible words decide: 0, refused, and said so."""
    body = " ".join(
        f"The harbour authority said on day {n} that the new cranes would arrive in spring."
        for n in range(30)
    )
    html = (
        '<html><head><title>Harbour cranes</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Harbour cranes", "isAccessibleForFree": false, '
        f'"articleBody": "{body}"}}</script></head><body><article><h1>Harbour cranes</h1>'
        "<p>(AP Photo/Jane Roe)</p></article></body></html>"
    )
    found = extract(html, "https://n.example/cranes")
    assert found.words > 300 and found.page_words == 0
    assert "only 0 words of the story are visible on the page" in (problem(found) or "")
