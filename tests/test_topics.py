"""Topic attribution: the seed article's labels, and each trap on text written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.analysis.tokenizer import sentences_of
from digest.analysis.topics import Keyword, Tokens, TopicMatcher, list_items, stem_variants
from digest.evaluation.topics import evaluate, evaluate_paragraphs, read_article
from digest.model import Topic
from digest.project import load_project
from tests.conftest import REPO, SHARED, require_shared

LABELS = SHARED / "seed" / "labels.yml"


def shipped_topics() -> tuple[Topic, ...]:
    return load_project(REPO / "mkdocs.yml").topics


def analyse(paragraphs: list[str], topics: tuple[Topic, ...] | None = None, **kw: float):
    matcher = TopicMatcher(topics or shipped_topics(), **kw)  # type: ignore[arg-type]
    return matcher.analyse(paragraphs, sentences_of(paragraphs))


def paragraph_topics(paragraphs: list[str], **kw: float) -> list[tuple[str, ...]]:
    return [p.topics for p in analyse(paragraphs, **kw).paragraphs]


def test_seed_article_paragraphs_match_the_labels_exactly() -> None:
    require_shared(LABELS)
    evaluation = evaluate_paragraphs(LABELS, TopicMatcher(shipped_topics()))
    assert len(evaluation.items) == 18
    assert [i.id for i in evaluation.errors] == []
    assert evaluation.micro.f1 == 1.0
    for topic_score in evaluation.scores:
        assert topic_score.f1 == 1.0, topic_score


def test_seed_article_joins_all_three_topics_with_the_shipped_threshold() -> None:
    require_shared(LABELS)
    config = load_project(REPO / "mkdocs.yml")
    matcher = TopicMatcher(config.topics, config.topic_threshold)
    evaluation = evaluate(LABELS, matcher)
    assert evaluation.unit == "paragraph"
    article = read_article(SHARED / "seed" / "sochi-2019-05-14.txt")
    found = matcher.attribute(article.paragraphs, sentences_of(list(article.paragraphs)))
    joined = {a.topic for a in found}
    assert joined == {"venezuela", "iran", "election-interference"}


def test_inflections_and_demonyms_match() -> None:
    iran = Topic("Iran", "iran", keywords=("Iran",))
    venezuela = Topic("Venezuela", "venezuela", keywords=("Venezuela",))
    text = [
        "Iranians marched in the capital.",
        "An Iranian official spoke.",
        "Venezuelans queued for fuel.",
        "The weather was mild.",
    ]
    result = analyse(text, (iran, venezuela))
    assert [p.topics for p in result.paragraphs] == [("iran",), ("iran",), ("venezuela",), ()]


def test_a_noun_and_its_verb_forms_match_a_phrase_by_proximity() -> None:
    topic = Topic("Election interference", "ei", keywords=("election interference",))
    paragraphs = [
        "Russia interfered in the 2016 presidential election, investigators found.",
        "Officials warned of interference in next year's elections.",
        "Electrical interference disrupted the radio signal.",
        "The election was held on Sunday. Interference from the crowd was minor, police said.",
    ]
    assert paragraph_topics(paragraphs, topics=(topic,)) == [("ei",), ("ei",), (), ()]  # type: ignore[arg-type]


def test_exclusion_phrases_stop_a_word_used_in_another_sense() -> None:
    topic = Topic(
        "Election interference",
        "ei",
        keywords=("foreign interference",),
        exclude=("interfering in Venezuela",),
    )
    result = analyse(
        [
            "“We want every foreign country that is interfering in Venezuela to stop.”",
            "Foreign interference in the vote was detected.",
        ],
        (topic,),
    )
    assert [p.topics for p in result.paragraphs] == [(), ("ei",)]
    assert result.paragraphs[0].excluded == (("ei", ("foreign country that is interfering",)),)


def test_a_list_that_names_topics_in_passing_is_not_evidence() -> None:
    paragraphs = [
        "With tensions running high over Iran, Syria, Ukraine and Venezuela, the ministers met.",
        "They talked about trade for an hour.",
    ]
    result = analyse(paragraphs)
    assert [p.topics for p in result.paragraphs] == [(), ()]
    assert dict(result.paragraphs[0].passing) == {"venezuela": ("Venezuela",), "iran": ("Iran",)}
    # Two names joined by "and" are no list: the sentence is about both.
    assert paragraph_topics(["Iran and Venezuela signed an oil deal."]) == [("venezuela", "iran")]


def test_list_items_are_short_capitalised_names() -> None:
    tokens = Tokens("He visited the U.S., Russia, and China before the talks.")
    [items] = list_items(tokens)
    assert sorted(tokens.words[i] for i in items) == ["China", "Russia", "S", "U"]
    assert list_items(Tokens("He said that prices rose, wages fell and people left.")) == []


def test_continuation_between_paragraphs_of_one_topic() -> None:
    paragraphs = [
        "Iran was on the agenda in Tehran.",
        "The minister sought to calm the concern but promised a response to attacks.",
        "“We don't seek war with Iran,” he said.",
        "After the meeting he flew home.",
    ]
    result = analyse(paragraphs)
    assert [p.topics for p in result.paragraphs] == [("iran",), ("iran",), ("iran",), ()]
    assert result.paragraphs[1].continued == (("iran", "between paragraphs 1 and 3 about it"),)


def test_a_paragraph_pointing_back_continues_the_one_before() -> None:
    paragraphs = [
        "Guaido called for new protests in Caracas.",
        "They will start on Saturday, he said.",
        "Separately, the central bank cut rates.",
    ]
    assert paragraph_topics(paragraphs) == [("venezuela",), ("venezuela",), ()]


def test_capitalised_keywords_only_match_capitalised_words() -> None:
    labour = Topic("Politics", "politics", keywords=("Labour",))
    result = analyse(["Labour won the seat.", "The labour market is tight."], (labour,))
    assert [p.topics for p in result.paragraphs] == [("politics",), ()]


def test_a_passing_mention_does_not_make_an_article_join() -> None:
    paragraphs = [
        "The central bank raised interest rates on Thursday.",
        "Inflation rose to 3 percent, the highest in a decade.",
        "Officials said oil prices, pushed up by tension over Iran, were one cause.",
        "Economists expect another increase in March.",
        "Markets fell after the announcement.",
    ]
    result = analyse(paragraphs)
    assert [a.topic for a in result.topics] == ["iran"]
    assert result.joined == ()


def test_an_article_about_a_topic_joins_it_with_share_and_evidence() -> None:
    paragraphs = [
        "Iran's foreign minister said Tehran would not renegotiate the nuclear deal.",
        "He spoke after talks in Vienna.",
        "The Revolutionary Guard held exercises in the Gulf.",
        "Oil prices rose.",
    ]
    (iran,) = analyse(paragraphs).joined
    assert iran.topic == "iran"
    assert iran.paragraphs == (0, 1, 2)
    assert iran.share == 0.75
    assert set(iran.evidence) == {"Iran", "Tehran", "Revolutionary Guard"}


def test_the_strongest_topic_wins_a_sentence() -> None:
    topics = (
        Topic("Business", "business", keywords=("market", "shares", "profits")),
        Topic("Tech", "tech", keywords=("software",)),
    )
    result = analyse(["Shares in the software maker rose as profits beat the market."], topics)
    assert [a.topic for a in result.topics] == ["business"]


def test_stem_variants_cover_demonyms_and_derivations() -> None:
    assert {"iranian", "irani"} <= stem_variants("iran")
    assert "interf" in stem_variants("interfer")
    assert "electr" not in stem_variants("elect")
    keyword = Keyword.parse("Revolutionary Guard")
    assert keyword is not None and keyword.exact


@pytest.mark.parametrize("threshold", [0.1, 0.5])
def test_threshold_decides_joining(threshold: float) -> None:
    # A brief that opens with the topic, a quarter of it about it: the threshold is the share
    # at which the share stops counting against the topic, so it decides here.
    paragraphs = [
        "Maduro spoke in Caracas.",
        "The weather was mild.",
        "Rain fell.",
        "Skies cleared.",
    ]
    joined = analyse(paragraphs, threshold=threshold).joined
    assert bool(joined) is (threshold <= 0.25)


def test_missing_shared_data_skips_cleanly(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception):
        require_shared(tmp_path / "nope")


def test_one_mention_in_a_long_unbroken_paragraph_colours_only_its_neighbours() -> None:
    text = " ".join(
        [
            "The festival opened on Friday with a parade.",
            "Visitors came from across the region.",
            "Organisers said the weather helped.",
            "Ticket sales rose on last year.",
            "One stall sold coffee from Venezuela.",
            "Music played late into the night.",
            "Police reported no trouble.",
            "The event closes on Sunday.",
            "Next year's dates are already set.",
            "Local hotels were full.",
        ]
    )
    sentences = sentences_of([text])
    assert len(sentences) >= 8
    mention = next(s.index for s in sentences if "Venezuela" in s.text)
    result = TopicMatcher(shipped_topics()).analyse([text], sentences)
    (venezuela,) = result.topics
    assert venezuela.sentences == (mention, mention + 1, mention + 2)
    assert result.joined == ()


def test_a_brief_may_name_its_subject_once() -> None:
    brief = ["Iran said on Monday it had seized a foreign tanker. The crew were detained."]
    assert [a.topic for a in analyse(brief).joined] == ["iran"]


# Hard negatives and positives written for these tests, in the style of 2019 wire copy.
HARD_CASES = {
    "interference-in-affairs": (
        [
            "Venezuela's government accused Washington of interference in its internal affairs "
            "after the U.S. recognised opposition leader Juan Guaido.",
            "Maduro said foreign powers were meddling in Venezuela and would fail.",
            "Guaido told supporters in Caracas that protests would continue.",
        ],
        {"venezuela"},
    ),
    "oil-prices-mention-iran": (
        [
            "Oil prices climbed on Tuesday as traders weighed supply worries.",
            "Brent crude rose 2 percent to $71 a barrel, while U.S. crude gained 1.8 percent.",
            "Analysts cited U.S. sanctions on Iran among several factors.",
            "Stocks in Asia were mixed, and the dollar steadied against the yen.",
            "Investors are watching trade talks between Washington and Beijing.",
        ],
        set(),
    ),
    "football-pass-interference": (
        [
            "The referee's missed pass interference call cost the Saints a trip to the Super "
            "Bowl, and the league said it would review its replay rules before next season.",
            "Coaches voted to allow challenges of interference penalties.",
        ],
        set(),
    ),
    "eu-vote-disinformation": (
        [
            "European officials warned that Russian groups were running a disinformation "
            "campaign ahead of the European Parliament elections.",
            "The commission said fake accounts spread false stories about migrants.",
            "Facebook said it had removed networks aimed at election meddling in several states.",
        ],
        {"election-interference"},
    ),
    "tanker-attacks": (
        [
            "The United States blamed Iran for attacks on two tankers near the Strait of Hormuz.",
            "Tehran denied any role and called the accusation baseless.",
            "Shipping companies raised insurance rates for the Gulf.",
        ],
        {"iran"},
    ),
}


@pytest.mark.parametrize("case", sorted(HARD_CASES))
def test_hard_cases_land_on_the_right_topics(case: str) -> None:
    paragraphs, expected = HARD_CASES[case]
    joined = {a.topic for a in analyse(paragraphs).joined}
    assert joined == expected


def test_a_topic_named_in_the_headline_joins_below_the_threshold() -> None:
    filler = [f"Paragraph {n} says nothing about any topic." for n in range(2, 30)]
    lede = ["Guaido urged the army in Caracas to turn on Maduro."]
    matcher = TopicMatcher(shipped_topics())
    (opening,) = matcher.analyse(lede + filler, sentences_of(lede + filler)).topics
    assert opening.share < matcher.threshold and opening.lead
    # The same words deep in the story weigh less: position counts ...
    buried = filler[:10] + lede + filler[10:]
    (deep,) = matcher.analyse(buried, sentences_of(buried)).topics
    assert not deep.lead and not deep.joined
    assert deep.decision is not None and opening.decision is not None
    assert deep.decision.score < opening.decision.score
    # ... and a named mention in the headline or dateline is strong evidence.
    headline = ("Venezuela's army stays loyal", "CARACAS, Venezuela")
    (named,) = matcher.analyse(buried, sentences_of(buried), headline).topics
    assert named.lead and named.joined and named.hits == 6
    assert "headline +" in named.reason


def test_a_name_that_only_describes_something_else_is_passing() -> None:
    paragraphs = ["Iran-backed Houthi rebels fired missiles at Saudi airports on Tuesday."]
    result = analyse(paragraphs + ["The coalition said it shot them down."])
    assert result.topics == ()
    assert result.paragraphs[0].passing == (("iran", ("Iran",)),)
    assert paragraph_topics(["Iran backed the plan, Tehran said."]) == [("iran",)]


def test_a_quotation_by_he_or_she_continues_the_paragraph_before() -> None:
    paragraphs = [
        "Iran's foreign minister said Tehran would not bow to pressure.",
        "“We have been patient, but patience has limits,” he said.",
        "“Markets were calm,” a trader in London said.",
    ]
    assert paragraph_topics(paragraphs) == [("iran",), ("iran",), ()]
