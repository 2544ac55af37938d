"""The readability check's own signals (digest/evaluation/shapes.py) and the summarizer rules
that keep captions, forms, self-promotion and openings that point back (in several languages)
out of summaries. Every sentence here was written for these tests."""

from __future__ import annotations

import pytest

from digest.analysis.digest_summarizer import DigestSummarizer
from digest.analysis.summarizers import Budget
from digest.evaluation import shapes
from digest.evaluation.readability import POINTS_BACK, cleaner_sees, summary_defects
from digest.model import Sentence

DANGLING = [
    "But the ministry said the figures were wrong and would be corrected.",
    "Jedoch lehnte die Regierung in Berlin den Vorschlag am Montag ab.",
    "Dieser Schritt kam für viele Abgeordnete völlig überraschend.",
    "Elle a refusé de commenter la décision du tribunal administratif.",
    "Cependant, le gouvernement n'a pas encore publié le rapport.",
    "Sin embargo, el ministro negó que hubiera recortes en sanidad.",
    "Esto provocó protestas en varias ciudades del sur del país.",
]
STANDALONE = [
    "The ministry said the figures were wrong and would be corrected.",
    "This week the government in Berlin rejected the proposal.",
    "Die Regierung in Berlin lehnte den Vorschlag am Montag ab.",
    "Cette année, le gouvernement a publié trois rapports sur la pauvreté.",
    "Este año el ministerio publicó tres informes sobre la sanidad.",
    "It is unclear whether the talks will resume before the summer.",
    "Il y a deux ans, la ville comptait moins de trottinettes.",
]


@pytest.mark.parametrize("sentence", DANGLING)
def test_an_opening_that_points_back_is_seen_in_several_languages(sentence: str) -> None:
    assert shapes.opens_dangling(sentence)


@pytest.mark.parametrize("sentence", STANDALONE)
def test_an_opening_that_stands_alone_is_not_flagged(sentence: str) -> None:
    assert not shapes.opens_dangling(sentence)


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Hide caption A rescue worker carries a child from the rubble in Aleppo.", shapes.CAPTION),
        ("Protesters in Caracas on Monday (Photo: Ana Ruiz/Reuters).", shapes.CAPTION),
        ("Submit your letter to the editor via this form.", shapes.FORM),
        ("Sign up for our morning newsletter and never miss a story.", shapes.FORM),
        ("Auf unserer Webseite werden Cookies verwendet.", shapes.FORM),
        ("Lesen Sie auch: Wie die Regierung die Mieten bremsen will.", shapes.RELATED_LINK),
        (
            "Senator Smith Jane Ann SmithSenate votes on budget MORE said the vote would pass.",
            shapes.RELATED_LINK,
        ),
        ("JUST WATCHED Flood waters rise in Texas Replay More Videos.", shapes.PLAYER),
    ],
)
def test_furniture_shapes(sentence: str, kind: str) -> None:
    assert kind in shapes.shape_defects(sentence)


def test_plain_news_sentences_have_no_shape_defect() -> None:
    for sentence in [
        *STANDALONE,
        "More than 200 people were evacuated from the site of the blast on Sunday.",
        "The WordPress project said its developers fixed the flaw within a day.",
        '"You can sign up at any post office," the minister told reporters.',
    ]:
        assert shapes.shape_defects(sentence) == [], sentence


def test_a_headline_run_into_the_first_sentence_is_glued() -> None:
    title = "Flood waters rise across southern Texas"
    sentence = "Flood waters rise across southern Texas Rescue teams worked through the night."
    assert shapes.GLUED in shapes.shape_defects(sentence, title)
    assert shapes.GLUED not in shapes.shape_defects("Rescue teams worked all night.", title)


def test_the_check_finds_what_the_cleaner_passes() -> None:
    summary = (
        Sentence("Die Regierung in Berlin legte am Montag ihren Haushalt vor.", 0, 0),
        Sentence("Jedoch fehlen darin Milliarden für die Bahn und die Schulen.", 0, 2),
    )
    defects = summary_defects(summary)
    assert [d.kind for d in defects] == [POINTS_BACK]
    assert not cleaner_sees(defects[0].sentence)


SCRAPED = [
    "Flood waters rose across southern Texas on Sunday, forcing thousands from their homes.",
    "Hide caption Rescue workers carry a resident from a flooded house in Houston on Sunday.",
    "Submit your letter to the editor via this form.",
    "Jedoch warnten Meteorologen vor weiterem Regen in der kommenden Woche.",
    "The governor asked the federal government for emergency aid on Sunday evening.",
]


@pytest.mark.parametrize("index", [1, 2, 3])
def test_the_summarizer_skips_captions_forms_and_dangling_openings(index: int) -> None:
    summarizer = DigestSummarizer()
    assert not summarizer.readable(SCRAPED)[index] or summarizer.leans_back(SCRAPED[index])
    picked = summarizer.select(SCRAPED, "Flood waters rise in Texas", Budget(sentences=3))
    assert index not in picked


def test_a_lead_that_covers_the_headline_stays_first() -> None:
    title = "Flood waters rise across southern Texas"
    sentences = [
        "Flood waters rose across southern Texas on Sunday.",
        "Rescue teams in Houston pulled hundreds of people from homes as rivers rose to record "
        "levels and the governor asked Washington for emergency aid.",
        "Rivers in Houston rose to record levels, rescue teams said.",
        "The governor asked Washington for emergency aid for Houston.",
        "Rescue teams expect rivers to rise again in Houston.",
    ]
    assert DigestSummarizer().select(sentences, title, Budget(sentences=1)) == (0,)
    # Without the rule the more central second sentence, which the rest elaborates, would win.
    loose = DigestSummarizer(keep_lead_coverage=1.01)
    assert loose.select(sentences, title, Budget(sentences=1)) == (1,)
