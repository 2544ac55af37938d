"""Summarizers: budgets, the plain sumy algorithms by name, and the digest's default summarizer.

The readability rules are pinned with small articles written for these tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest.analysis.digest_summarizer import DigestSummarizer
from digest.analysis.summarizers import (
    SUMY_ALGORITHMS,
    Budget,
    LeadSummarizer,
    cut_to_words,
    make_summarizer,
    take_budget,
)
from digest.analysis.tokenizer import split_sentences
from digest.pipeline import split_article
from digest.sources.files import ContentReader

REPO = Path(__file__).resolve().parents[1]

HARBOUR_TITLE = "Storm-damaged harbour to reopen in May"
HARBOUR = [
    "The town's storm-damaged harbour will reopen to ferries in May, the council said on Monday.",
    "Engineers spent the winter rebuilding two quay walls that collapsed in the January storm.",
    "The repairs cost 14 million euros, most of it paid by the regional government.",
    "Fishing boats have used a temporary pier on the north shore since the storm.",
    "Ferry operators said they would publish their summer timetables next week.",
    "Shops near the harbour said they had lost about half of their winter trade.",
]


def digest_summary(sentences: list[str], title: str, count: int = 1, **options: object) -> list:
    summarizer = DigestSummarizer(**options)  # type: ignore[arg-type]
    return [sentences[i] for i in summarizer.select(sentences, title, Budget(count))]


# -- budgets -------------------------------------------------------------------------------------


def test_a_budget_is_sentences_or_words_and_at_least_one() -> None:
    assert Budget().sentences == 3
    assert Budget(sentences=None, words=40).words == 40
    for bad in ({"sentences": 2, "words": 40}, {"sentences": None}, {"sentences": 0}):
        with pytest.raises(ValueError):
            Budget(**bad)  # type: ignore[arg-type]


def test_a_word_budget_takes_whole_sentences_until_it_is_met() -> None:
    sentences = ["one two three four", "five six seven", "eight nine", "ten"]
    assert take_budget([2, 0, 1, 3], sentences, Budget(sentences=None, words=5)) == (0, 2)
    assert take_budget([2, 0, 1, 3], sentences, Budget(sentences=2)) == (0, 2)
    assert cut_to_words("a b  c\nd e", 3) == "a b c"


# -- the summarizers by name ------------------------------------------------------------------


def test_every_summarizer_is_available_by_the_name_the_config_uses() -> None:
    for name in ("digest", "lead", *SUMY_ALGORITHMS):
        summarizer = make_summarizer(name)
        assert summarizer.name == name
        picked = summarizer.select(HARBOUR, HARBOUR_TITLE, Budget(2))
        assert len(picked) == 2
        assert list(picked) == sorted(picked), f"{name} does not keep article order"
        order = summarizer.rank(HARBOUR, HARBOUR_TITLE)
        assert sorted(order) == list(range(len(HARBOUR))), f"{name} drops sentences"
    assert make_summarizer("Lex-Rank").name == "lexrank"
    assert make_summarizer("KL_Sum").name == "klsum"


def test_an_unknown_summarizer_names_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of digest, lead, lexrank"):
        make_summarizer("bert")


def test_summarizers_accept_empty_and_one_sentence_articles() -> None:
    for name in ("digest", "lead", *SUMY_ALGORITHMS):
        summarizer = make_summarizer(name)
        assert summarizer.select([], "Nothing", Budget(3)) == ()
        assert summarizer.select(["Just one short line."], "", Budget(3)) == (0,)


def test_lead_takes_the_first_sentences() -> None:
    assert LeadSummarizer().select(HARBOUR, HARBOUR_TITLE, Budget(2)) == (0, 1)


# -- the digest summarizer: what it picks -------------------------------------------------------


def test_a_good_lead_sentence_stays_first() -> None:
    assert digest_summary(HARBOUR, HARBOUR_TITLE) == [HARBOUR[0]]


def test_a_later_sentence_that_tells_the_story_beats_a_scene_setting_opener() -> None:
    title = "Council votes to close the old coal plant by 2030"
    sentences = [
        "The chimneys have stood over the valley for as long as anyone here can remember.",
        "On Thursday the council voted to close the old coal plant by 2030 and build a "
        "solar farm on the site.",
        "The plant employs 300 people, many of whom will be offered jobs at the solar farm.",
        "Closing the coal plant will cut the town's carbon emissions by a third, the council said.",
        "Some residents said they would miss the familiar skyline.",
    ]
    assert digest_summary(sentences, title) == [sentences[1]]
    # Article order is kept however the sentences were ranked.
    two = DigestSummarizer().select(sentences, title, Budget(2))
    assert list(two) == sorted(two) and 1 in two


def test_a_word_budget_gives_whole_sentences() -> None:
    picked = DigestSummarizer().select(HARBOUR, HARBOUR_TITLE, Budget(sentences=None, words=25))
    assert picked[0] == 0 and len(picked) == 2
    words = sum(len(HARBOUR[i].split()) for i in picked)
    assert words >= 25


def test_every_weight_is_a_constructor_argument() -> None:
    title = "Council votes to close the old coal plant by 2030"
    sentences = [
        "The chimneys have stood over the valley for as long as anyone here can remember.",
        "On Thursday the council voted to close the old coal plant by 2030.",
    ]
    # With nothing but the position prior, the digest summarizer is the lead baseline.
    lead_only = {
        "headline_weight": 0.0,
        "centrality_weight": 0.0,
        "forward_weight": 0.0,
        "length_weight": 0.0,
    }
    assert digest_summary(sentences, title, **lead_only) == [sentences[0]]
    assert digest_summary(sentences, title) == [sentences[1]]
    with pytest.raises(ValueError):
        DigestSummarizer(ideal_words=0)


# -- the digest summarizer: readability rules ---------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("The ferries can come back once the inspectors agree,” she said.", "quotation"),
        ("” The council approved the plan on a narrow vote of nine to eight.", "quotation"),
        ("“We have cleared the wreck and checked every metre of the quay walls.", "quotation"),
        ("“We will not give up on the people of this town, not now, not ever.”", "quotation"),
        ("He said the bridge would stay closed until the end of the month.", "attribution"),
        ("She added that the council had not yet decided who would pay.", "attribution"),
        ("READ MORE: Floods close the main road into the valley town", "boilerplate"),
        ("By Anna Berg, Staff Writer", "boilerplate"),
        ("Photo: The flooded market square in the old town on Sunday morning", "boilerplate"),
        ("OSLO (Reuters) — Norway raised its forecast for economic growth on Tuesday.", "label"),
        ("Reporter: What did the minister tell you when you asked about the delay?", "label"),
        ("What happens to the three hundred workers at the plant now?", "question"),
        ("We asked the minister about the delay on Friday morning.", "first person"),
        ("The vote failed.", "fragment"),
    ],
)
def test_sentences_that_read_badly_alone_are_flagged(sentence: str, reason: str) -> None:
    problem = DigestSummarizer().why_unreadable(sentence)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "sentence",
    [
        "“The harbour will reopen in May,” the mayor told reporters on Monday.",
        "The mayor said the harbour would reopen in May, once the repairs are finished.",
        "Engineers rebuilt two quay walls that collapsed in what locals call “the January storm”.",
        "Prices in the euro zone rose 2.1% in March, more than economists had expected.",
        "The U.S. ambassador, Sen. Mary Jones, arrived in Oslo on Jan. 6 for the talks.",
        "The film tells the story of our time through the eyes of one family in Lagos.",
    ],
)
def test_ordinary_news_sentences_are_readable(sentence: str) -> None:
    assert DigestSummarizer().why_unreadable(sentence) is None


def test_a_quotation_that_runs_over_several_sentences_is_never_entered_midway() -> None:
    title = "Harbour to reopen in May after storm repairs"
    text = (
        "The harbour will reopen in May after the storm repairs, the port authority said. "
        "“The harbour in May will be back to normal for ferries. The harbour repairs in May are "
        "finished. Ferries to the harbour can return in May as planned,” its director said. "
        "Ferry companies welcomed the news from the harbour."
    )
    sentences = split_sentences(text)
    assert len(sentences) == 5
    summarizer = DigestSummarizer()
    readable = summarizer.readable(sentences)
    # The quote's opening sentence is left open; the middle and last ones start inside it.
    assert readable == [True, False, False, False, True]
    summary = [sentences[i] for i in summarizer.select(sentences, title, Budget(2))]
    assert summary == [sentences[0], sentences[4]]


def test_duplicates_rank_last_and_never_fill_a_summary_twice() -> None:
    sentences = [HARBOUR[0], HARBOUR[1], HARBOUR[0], HARBOUR[2]]
    summarizer = DigestSummarizer()
    assert summarizer.readable(sentences) == [True, True, False, True]
    assert summarizer.rank(sentences, HARBOUR_TITLE)[-1] == 2
    assert summarizer.select(sentences, HARBOUR_TITLE, Budget(2)) == (0, 1)


def test_questions_can_be_allowed() -> None:
    question = "Will the harbour be ready for the ferries in May after all?"
    assert DigestSummarizer().why_unreadable(question) == "question"
    assert DigestSummarizer(skip_questions=False).why_unreadable(question) is None


def test_an_article_of_only_unreadable_sentences_still_gets_a_summary() -> None:
    sentences = ["Why now?", "Read more: Harbour news", "He said no."]
    assert len(DigestSummarizer().select(sentences, "Harbour", Budget(1))) == 1


# -- determinism and cost --------------------------------------------------------------------

_RANK_SCRIPT = """
import json, sys
from digest.analysis.summarizers import make_summarizer
sentences = json.loads(sys.stdin.read())
print(json.dumps({n: make_summarizer(n).rank(sentences, "Harbour reopens") for n in sys.argv[1:]}))
"""


def test_rankings_do_not_depend_on_pythonhashseed() -> None:
    sentences = HARBOUR * 3 + [s.replace("harbour", "port") for s in HARBOUR]
    results = set()
    for seed in ("0", "4242"):
        run = subprocess.run(
            [sys.executable, "-c", _RANK_SCRIPT, "digest", "lsa", "lexrank"],
            input=json.dumps(sentences),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        results.add(run.stdout)
    assert len(results) == 1


def test_a_huge_article_is_ranked_on_its_first_sentences_only() -> None:
    sentences = [
        f"Report number {i} says the harbour repairs cost {i} thousand euros." for i in range(3000)
    ]
    summarizer = DigestSummarizer(max_sentences=50)
    order = summarizer.rank(sentences, HARBOUR_TITLE)
    assert sorted(order) == list(range(3000))
    # Past the bound, sentences follow in article order, and the bound's ranking is unchanged.
    assert order[50:] == list(range(50, 3000))
    assert order[:50] == summarizer.rank(sentences[:50], HARBOUR_TITLE)


# -- the seed article ----------------------------------------------------------------------------


def test_the_seed_articles_summary_reads_as_a_human_digest() -> None:
    articles = ContentReader(REPO / "content").read_all().articles
    seed = next(a for a in articles if "sochi" in a.slug)
    sentences = [s.text for s in split_article(seed)]
    summary = [
        sentences[i] for i in make_summarizer("digest").select(sentences, seed.title, Budget(3))
    ]
    text = " ".join(summary)
    # What happened: Putin and Pompeo met, both hope relations improve, and they differ over
    # Venezuela and Iran (the dateline, shown beside the summary, says where: Sochi).
    for word in ("Putin", "Pompeo", "relations", "improve", "Venezuela", "Iran"):
        assert word in text, f"{word!r} missing from {summary}"
    assert "hope" in text
    # No broken quotation: every sentence opens and closes its own quotes.
    for sentence in summary:
        assert sentence.count("“") == sentence.count("”"), sentence
        assert sentence[0] not in "”’", sentence
    assert summary[0].startswith("Russia and the United States voiced hope")


# One text per branch of each pattern searched behind Guarded (and, for the case-blind ones,
# the letters re's case folding pairs with i and s that lower() does not).
GUARDED_EXAMPLES = {
    "digest.analysis.digest_summarizer._FURNITURE_SEEN": [
        "READ MORE: the rest",
        "Image caption – the square at night",
        "Reporting by Jane Roe",
        "By Jane Roe, in Caracas",
        "Crowds filled the square (Photos: Jane Roe)",
        "© 2024 The Paper",
        "Text all rights reserved here",
    ],
    "digest.analysis.digest_summarizer._CAPTION_WIDGET_SEEN": [
        "Protesters marched. Toggle Caption",
        "ENLARGE THIS IMAGE",
        "Media Credit: the agency",
        "A crowd, AP Photo",
        "Jane Roe / Getty Images",
        "the rally via Getty Images",
        "HİDE CAPTİON",
    ],
    "digest.analysis.digest_summarizer._PAGE_PROMOTION_SEEN": [
        "Send your letters to the editor",
        "Sign up for our daily newsletter",
        "Visit our website today",
        "Lea nuestra cobertura",
        "Submit it via this form today",
        "Share your e-mail alert settings",
    ],
    "digest.sources.cleanup._CAPTION_LABEL_SEEN": [
        "Crowds gathered. hide caption",
        "Enlarge this image",
        "Image copyright Reuters",
        "Photo credit AP",
        "Caption: the square",
        "Pictured: the minister",
        "Photos: the square",
    ],
    "digest.sources.cleanup._CREDIT_LINE": [
        "A crowd via Reuters",
        "Jane Roe for Getty Images",
        "Photos by Jane Roe",
        "Jane Roe/Bloomberg News",
    ],
    "digest.sources.cleanup._PROMO_ANYWHERE": [
        "Get our NEWSLETTER",
        "Download the app",
        "This story has been updated",
        "It was first published in the Post",
        "For more news, visit the site",
        "SKİP AD",
        "ſkip ad",
        "Support independent journalism",
        "© Agency",
    ],
}


@pytest.mark.parametrize("name", sorted(GUARDED_EXAMPLES))
def test_a_guarded_pattern_finds_what_the_pattern_finds(name: str) -> None:
    import importlib

    module, attribute = name.rsplit(".", 1)
    guarded = getattr(importlib.import_module(module), attribute)
    for text in GUARDED_EXAMPLES[name]:
        assert guarded.pattern.search(text), text  # the example is one of the pattern's
        assert guarded.search(text), text
    plain = "The council met on Tuesday and voted to keep the harbour open through winter."
    assert guarded.search(plain) is None and not guarded.may_match(plain)
