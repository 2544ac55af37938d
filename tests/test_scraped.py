"""Real scraped copy: page furniture set apart, summaries that read alone, no crash on any URL.

The fixture site `tests/fixtures/scraped/` holds articles written for these tests in the shapes
scraped news takes: a Newsmax-style `/id/NNN/` URL, NPR's caption widget, The Hill's inline
related links, a video player's labels, wire prefixes, a headline repeated in the text, bylines,
sign-up lines, and sentences that point back at the one before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html

from digest.analysis.digest_summarizer import DigestSummarizer
from digest.analysis.summarizers import Budget
from digest.cli import cli
from digest.evaluation.readability import POINTS_BACK, summary_defects
from digest.model import Sentence
from digest.sources.cleanup import (
    BYLINE,
    CAPTION,
    CREDIT,
    HEADLINE,
    PROMO,
    RELATED,
    Boilerplate,
    points_back,
)
from digest.sources.text import split_dateline
from tests import pagefind
from tests.conftest import copy_fixture, mkdocs_build

JUNK = re.compile(
    r"caption|Getty|Handout|Subscribe|inbox|ADVERTISEMENT|MORE\b|JUST WATCHED|Replay|"
    r"Read more|By Maria|Reporting by|Daily Brief|Children Go Hungry|\(CNSNews|\(Reuters\)"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_fixture("scraped", tmp_path_factory.mktemp("scraped"))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


def _summaries(page: Path) -> list[str]:
    tree = html.parse(str(page))
    found = tree.xpath('//p[@class="digest-summary"]')
    if found:  # an article page
        return [found[0].text_content()]
    # A topic page: each story's summary is the paragraph after its meta line.
    return [
        p.text_content()
        for p in tree.xpath('//small[@class="digest-meta"]/parent::p/following-sibling::p[1]')
    ]


def test_an_id_path_segment_in_the_url_builds_and_links(site: Path) -> None:
    page = site / "articles" / "newsmax-pompeo-2019-05-01" / "index.html"
    links = html.parse(str(page)).xpath("//a/@href")
    assert (
        "https://www.newsmax.com/world/globaltalk/pompeo-maduro-moscow/2019/05/01/id/914047/"
        in links
    )


def test_every_article_is_on_its_page_and_no_summary_carries_furniture(site: Path) -> None:
    pages = sorted((site / "articles").glob("*/index.html"))
    assert len(pages) == len(list((site.parent / "content").iterdir()))
    topic_pages = sorted((site / "topics").glob("*/index.html"))
    assert topic_pages
    for page in pages + topic_pages:
        for summary in _summaries(page):
            assert summary.strip(), page
            assert not JUNK.search(summary), (page, summary)


def test_furniture_stays_visible_muted_and_out_of_search(site: Path) -> None:
    page = site / "articles" / "hill-iran-2019-06-20" / "index.html"
    muted = html.parse(str(page)).xpath('//p[contains(@class, "digest-set-apart")]')
    texts = " ".join(p.text_content() for p in muted)
    assert "TrumpPelosi says House will vote" in texts  # the related links, not deleted
    assert "Handout via Reuters" in texts
    assert "Download the Daily Brief" in texts  # the site's own boilerplate pattern
    assert all(p.get("data-search-exclude") is not None for p in muted)
    # Each piece where it stood: a trailing credit after its paragraph, a caption before it.
    blocks = [
        p.text_content() for p in html.parse(str(page)).xpath('//div[@class="digest-text"]/p')
    ]
    rouhani = next(i for i, b in enumerate(blocks) if b.startswith("Iranian President Hassan"))
    assert "Handout via Reuters" in blocks[rouhani + 1]
    assert "Related links" in blocks[0] and "MORE" in blocks[0]
    # Articles are searched through Pagefind (the default): its record is the article's text.
    article = pagefind.records(site)["articles/hill-iran-2019-06-20/"]
    assert "Pelosi says House" not in article["content"]
    assert "President Trump said Thursday that Iran made a very big mistake" in article["content"]


def test_highlighted_sentences_keep_the_space_between_them(site: Path) -> None:
    for page in (site / "articles").glob("*/index.html"):
        text = page.read_text(encoding="utf-8")
        assert "</mark><mark" not in text, page
        body = html.parse(str(page)).xpath('//div[@class="digest-text"]')[0].text_content()
        assert not re.search(r"[a-z][.!?][A-Z]", body), page


def test_wire_prefixes_are_datelines(site: Path) -> None:
    page = site / "articles" / "reuters-iran-2019-07-10" / "index.html"
    strong = html.parse(str(page)).xpath('//div[@class="digest-text"]//strong/text()')
    assert strong == ["WASHINGTON/LONDON (Reuters)"]


@pytest.mark.parametrize(
    ("paragraph", "kind", "kept"),
    [
        (
            "Enlarge this image toggle caption Jane Roe/AFP via Getty Images Jane Roe/AFP via "
            "Getty Images Officials in Caracas said the talks had failed on Monday night.",
            CAPTION,
            "Officials in Caracas said the talks had failed on Monday night.",
        ),
        (
            "In this photo taken March 3, 2019, a man walks past a mural in Caracas.",
            CAPTION,
            "",
        ),
        (
            "The talks ended on Monday. (AP Photo/Jane Roe, File)",
            CREDIT,
            "The talks ended on Monday.",
        ),
        ("Sign up for our newsletter to get the news in your inbox.", PROMO, ""),
        ("POLITICO PRO", PROMO, ""),
        ("By Jane Roe and John Doe", BYLINE, ""),
        ("Updated 2:35 PM ET, Wed May 1, 2019", BYLINE, ""),
        (
            "Senate Majority Leader Mitch McConnell Addison (Mitch) Mitchell McConnellSenate "
            "passes budget deal Trump signs order MORE (R-Ky.) said the vote would wait.",
            RELATED,
            "Senate Majority Leader Mitch McConnell (R-Ky.) said the vote would wait.",
        ),
        (
            "READ MORE: Fatah and Hamas to form unity government There was no immediate claim "
            "of responsibility for the rocket strike.",
            PROMO,
            "There was no immediate claim of responsibility for the rocket strike.",
        ),
    ],
)
def test_furniture_is_set_apart_by_shape(paragraph: str, kind: str, kept: str) -> None:
    paragraphs, aside = Boilerplate().clean("A headline about something else", [paragraph])
    assert " ".join(paragraphs) == kept
    assert kind in {piece.kind for piece in aside}
    # Nothing is lost: every word is either kept or set apart.
    assert sorted((kept + " " + " ".join(a.text for a in aside)).split()) == sorted(
        paragraph.split()
    )


def test_story_text_that_mentions_furniture_words_is_kept() -> None:
    story = [
        "The senator said he would not subscribe to that view of the deal with Iran.",
        "Photographers from Getty Images and Reuters covered the protest in Caracas on Monday.",
        "Maduro watched the parade from a balcony and said more troops would follow.",
    ]
    paragraphs, aside = Boilerplate().clean("Unrelated headline here", story)
    assert paragraphs == tuple(story)
    assert aside == ()


def test_a_repeated_headline_is_taken_off_the_first_paragraph() -> None:
    title = "How The Iran Letter Is Playing In The 2016 Campaign"
    paragraphs, aside = Boilerplate().clean(
        title, [f"{title} Forty-seven Senate Republicans sent a letter to Iran's leaders."]
    )
    assert paragraphs == ("Forty-seven Senate Republicans sent a letter to Iran's leaders.",)
    assert aside[0].kind == HEADLINE


@pytest.mark.parametrize(
    ("paragraph", "dateline"),
    [
        ("(CNN) — President Trump said on Monday that talks would resume.", "(CNN)"),
        ("(CNSNews.com) – The House voted on Tuesday to block the sale.", "(CNSNews.com)"),
        ("WASHINGTON/NEW YORK (Reuters) - Iran said on Friday it would respond.", None),
        ("SOCHI, Russia — Pompeo met Lavrov.", "SOCHI, Russia"),
        ("The U.S. - Iran talks resumed.", False),
    ],
)
def test_wire_prefixes(paragraph: str, dateline: str | None | bool) -> None:
    found, rest = split_dateline(paragraph)
    if dateline is False:
        assert found is None and rest == paragraph
    else:
        assert found == (dateline or "WASHINGTON/NEW YORK (Reuters)")
        assert rest[0].isupper()


def test_a_summary_never_leans_on_a_sentence_it_left_out() -> None:
    sentences = [
        "Venezuela's opposition called a general strike across the country on Monday morning.",
        "Doctors in Caracas reported record numbers of malnourished children this spring.",
        "But the government said the figures were invented by its foreign enemies abroad.",
        "Those conditions, officials said, were caused by American sanctions on oil exports.",
    ]
    summarizer = DigestSummarizer()
    picked = summarizer.select(sentences, "Strike in Venezuela", Budget(sentences=2))
    for index in picked:
        if points_back(sentences[index]):
            assert index - 1 in picked
    # In a topic's passage, a sentence whose neighbour is not in the passage cannot lean on it.
    follows = [False, True, False, True]
    picked = summarizer.select(sentences, "Strike", Budget(sentences=4), follows)
    assert 2 not in picked


def test_readability_counts_a_dangling_opening() -> None:
    summary = (
        Sentence("Iran seized a British tanker in the Strait of Hormuz on Friday.", 0, 0),
        Sentence("But London said the ship was in Omani waters at the time.", 2, 5),
    )
    assert [d.kind for d in summary_defects(summary)] == [POINTS_BACK]
    assert summary_defects(summary[:1]) == []


OPENERS = ["But", "He", "It", "They", "This", "Still", "Meanwhile,", "However,", "Those"]
PLAIN = [
    "Venezuela's opposition leader called for new protests in Caracas on Monday.",
    "Iran's navy seized a foreign tanker in the Gulf early on Thursday morning.",
    "Oil prices rose three percent after the news reached traders in London.",
    "The United Nations asked both governments to return to the negotiating table.",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([None, *OPENERS]), st.sampled_from(PLAIN)),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_property_summaries_never_open_on_a_missing_antecedent(
    parts: list[tuple[str | None, str]], budget: int
) -> None:
    sentences = [
        text if opener is None else f"{opener} {text[0].lower()}{text[1:]}"
        for opener, text in parts
    ]
    picked = DigestSummarizer().select(sentences, "News", Budget(sentences=budget))
    if any(not points_back(s) for s in sentences):
        assert picked, sentences
        for index in picked:
            if points_back(sentences[index]):
                assert index - 1 in picked, (sentences, picked)


def test_eval_readability_reports_per_kind(tmp_path: Path) -> None:
    # Scraped from the middle of a story: the first sentence leans on one that is not there.
    text = (
        "It was the largest protest in years, organisers said on Saturday evening.\n\n"
        "Tens of thousands marched through Caracas to demand new elections in Venezuela."
    )
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps({"title": "Protest", "text": text}), encoding="utf-8")

    def report(*extra: str) -> dict:
        result = CliRunner().invoke(
            cli,
            ["eval", "readability", str(path), "-f", str(tmp_path / "none.yml")]
            + ["--sentences", "1", "--format", "json", *extra],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["article_summaries"]

    ours = report()
    assert (ours["checked"], ours["with_defects"]) == (1, 0)
    lead = report("--summarizer", "lead")
    assert lead["with_defects"] == 1
    assert lead["by_kind"] == {POINTS_BACK: 1}
    assert lead["examples"][POINTS_BACK][0][1].startswith("It was the largest protest")


def test_a_bad_boilerplate_pattern_is_a_config_error(tmp_path: Path) -> None:
    project = copy_fixture("scraped", tmp_path)
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('"^Download the Daily Brief"', '"(unclosed"'),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", "-f", str(config)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "boilerplate[0]" in result.output


def test_the_page_cache_keeps_a_page_whose_anchors_include_none() -> None:
    # MkDocs' raw-HTML scanner records `<https://x/id/1/>` in an HTML line as an `id` attribute
    # without a value: the anchor None. Storing such a page must not crash the build.
    from types import SimpleNamespace

    from digest.mkdocs.steps import Converted

    stored = {}

    class Page:
        markdown = "text"
        toc: list = []
        _title_from_render = "Title"
        links_to_anchors: dict = {}

        def render(self, config: object, files: object) -> None:
            self.content = "<p>text</p>"
            self.present_anchor_ids = {None, "summary"}

    page = Page()
    store = SimpleNamespace(put=lambda key, value: stored.setdefault(key, value))
    clean: dict[str, tuple[str, ...]] = {}
    cache = SimpleNamespace(store=store, clean=clean, converted_ahead=lambda src: None)
    page.file = SimpleNamespace(src_uri="articles/x.md")  # type: ignore[attr-defined]
    page.render = Converted(page, cache, "key", "text", None)  # type: ignore[arg-type, method-assign]
    page.render(None, None)
    assert stored["key"].anchors == ("summary",)
    assert clean == {"articles/x.md": ("summary",)}


def test_a_page_that_fails_to_convert_is_reported_for_its_article(tmp_path: Path) -> None:
    project = copy_fixture("scraped", tmp_path)
    # A Markdown extension of the site that cannot take one article's page.
    (project / "boom_ext.py").write_text(
        "from markdown import Extension\n"
        "from markdown.preprocessors import Preprocessor\n\n"
        "class Boom(Preprocessor):\n"
        "    def run(self, lines):\n"
        "        if 'digest-text' in str(lines) and 'Rosibeth' in str(lines):\n"
        "            raise RuntimeError('cannot take this page')\n"
        "        return lines\n\n"
        "class BoomExtension(Extension):\n"
        "    def extendMarkdown(self, md):\n"
        "        md.preprocessors.register(Boom(md), 'boom', 40)\n\n"
        "def makeExtension(**kwargs):\n"
        "    return BoomExtension(**kwargs)\n",
        encoding="utf-8",
    )
    with (project / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("markdown_extensions:\n  - boom_ext\n")
    env = {"PYTHONPATH": str(project)}
    result = mkdocs_build(project, strict=False, env=env)
    assert result.returncode == 0, result.stderr
    assert "npr-venezuela-2019-08-06.txt: its page articles/npr-venezuela-2019-08-06.md" in (
        result.stderr
    )
    assert "RuntimeError: cannot take this page" in result.stderr
    page = project / "site" / "articles" / "npr-venezuela-2019-08-06" / "index.html"
    assert "Hospitals across Venezuela lack basic supplies" in page.read_text(encoding="utf-8")
    assert len(list((project / "site" / "articles").iterdir())) == 4
    assert mkdocs_build(project, env=env).returncode != 0  # --strict fails on it


def test_summaries_of_every_summarizer_bring_the_sentence_a_pick_leans_on() -> None:
    from datetime import datetime, timezone

    from digest.analysis.analyzer import AnalysisSettings, Analyzer
    from digest.config import topics_from_list
    from digest.model import Article

    paragraphs = (
        "The dockers' union met the port authority for a fourth round of talks on Monday.",
        "Foreign oil tankers have waited outside the harbour for nine days this month.",
        "Meanwhile, in Iran, the navy said Tehran would escort every tanker through the strait.",
        "The union said a vote on the new offer would be held before the end of the week.",
    )
    article = Article(
        source_path="tankers.md",
        slug="tankers",
        title="Port talks go on",
        date=datetime(2019, 5, 20, tzinfo=timezone.utc),
        paragraphs=paragraphs,
    )
    topics = topics_from_list([{"name": "Iran", "keywords": ["Iran", "Tehran"]}])
    # The Iran passage is one sentence that leans on the one before it.
    for name in ("digest", "lead", "luhn", "lsa", "textrank"):
        settings = AnalysisSettings(name, Budget(sentences=1), Budget(sentences=1), topics, 0.1)
        entry = Analyzer(settings).analyze(article)
        summaries = [entry.summary] + [m.summary for m in entry.topics if m.summary]
        assert len(summaries) == 2, name  # the article's, and the Iran topic's
        for summary in summaries:
            assert summary.sentences, name
            indices = {s.index for s in summary.sentences}
            for sentence in summary.sentences:
                if points_back(sentence.text):
                    assert sentence.index - 1 in indices, (name, summary)
