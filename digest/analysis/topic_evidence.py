"""Whether an article joins a topic: a logistic model over evidence that carries across corpora.

The matcher (digest.analysis.topics) finds a topic's keywords sentence by sentence; this module
turns what it found into one decision. Each signal is a number that means the same in any
corpus and language, never a word of one example:

- where the topic is named: the headline (a named mention there is strong evidence), the lede
  (first two sentences), and how late its first mention comes (a closing aside is weak);
- how much of the article is about it: its share of the sentences, and that share weighted by
  position (a sentence near the top counts fully, the last sentence about a third);
- how many distinct keywords agree, and how many of the matches stand inside a quotation (a
  quote can use the topic's words about something else);
- whether the keyword's sense is unconfirmed (one keyword, too few vocabulary words) while its
  matches sit inside a longer name ("Kayla Mueller" for the keyword Mueller);
- the topic's vocabulary: how many of its ``context`` words the article uses, configured or
  learned from the corpus's clear members (digest.analysis.topic_corpus.learn_vocabulary);
- whether it is the article's main topic: its matches against the best topic's.

The decision is logistic regression: the article joins when the weighted sum of the features
(the log-odds of membership) is above zero. The weights were fitted by L2-regularised maximum
likelihood (Newton's method) on the tune half of the labelled data in
``benchmarks/topics_split.py --fit`` (English coverage of three topics, Spanish coverage of four
crises, BBC News in five sections) and are shipped as constants, so a build is deterministic and
reads no data. Each feature's contribution (weight times value) is kept: `digest topics
explain` prints them, so the numbers that decided are visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The least share the model tells apart from none (a share's log-ratio to the threshold).
SHARE_FLOOR = 0.01
# A sentence's weight by position: full in the lede, falling to LATE_WEIGHT at the end.
LATE_WEIGHT = 0.3


def position_weight(position: int, total: int, lede: int = 2) -> float:
    """How much a sentence at ``position`` (0-based) of ``total`` counts towards the share."""
    if position < lede or total <= lede:
        return 1.0
    return 1.0 - (1.0 - LATE_WEIGHT) * position / max(1, total - 1)


@dataclass(frozen=True)
class Evidence:
    """One topic's evidence in one article, as the features the model weighs."""

    headline: bool  # a keyword named in the headline or dateline
    lede: int  # distinct keywords with evidence in the first two sentences
    # log(share / threshold): the share of the sentences about the topic (with those that
    # continue it) against the configured threshold; 0 at the threshold.
    share: float
    weighted_share: float  # the same, each sentence weighted by its position
    distinct: int  # distinct keywords with evidence, headline included
    sentences: int  # body sentences with evidence
    paragraphs: int  # paragraphs about the topic, by their own words or continuing it
    quoted: float  # share of the matches inside quotations
    vocabulary: int  # distinct context words (configured or learned) in the article
    main: float  # this topic's matches over the article's best topic's (1: the main topic)
    first: float  # where the first body match is, 0 (top) to 1 (last sentence)
    brief: bool  # an article of at most four sentences
    # Half or more of the matches stand inside a longer name ("Kayla Mueller", "Carl Mueller")
    # and nothing else (a second keyword, the topic's vocabulary) confirms the keyword's sense.
    other_name: bool = False

    def features(self) -> dict[str, float]:
        return {
            "headline": float(self.headline),
            "lede": math.log1p(self.lede),
            "share": self.share,
            "weighted share": self.weighted_share,
            "distinct keywords": math.log(max(1, self.distinct)),
            "sentences": math.log1p(self.sentences),
            "quoted": self.quoted,
            "vocabulary": math.log1p(min(self.vocabulary, 12)),
            "main topic": self.main,
            "late first mention": self.first,
            "brief": float(self.brief),
            "another name": float(self.other_name),
        }


# Fitted by `benchmarks/topics_split.py --half tune --fit --penalty 3` (see the module docstring).
# Refitted after a keyword's own words stopped counting as its vocabulary (0b044f2), no weight
# moves by more than 0.06 and no decision on a tune half changes, so these stay.
BIAS = -3.54
WEIGHTS: dict[str, float] = {
    "headline": 1.91,
    "lede": 0.28,
    "share": 0.72,
    "weighted share": 0.52,
    "distinct keywords": 0.95,
    "sentences": -0.32,
    "quoted": -0.82,
    "vocabulary": 0.79,
    "main topic": 2.15,
    "late first mention": -0.66,
    "brief": 1.00,
    "another name": -5.67,
}


@dataclass(frozen=True)
class Decision:
    """The model's verdict and what made it: each feature's contribution to the log-odds."""

    score: float  # log-odds of membership; the article joins above 0
    evidence: Evidence
    contributions: tuple[tuple[str, float], ...]  # (feature, weight x value), largest first

    @property
    def joined(self) -> bool:
        return self.score > 0

    @property
    def probability(self) -> float:
        return 1 / (1 + math.exp(-self.score))

    def summary(self, top: int = 4) -> str:
        """The log-odds and its strongest contributions, in numbers."""
        shown = [f"{name} {value:+.2f}" for name, value in self.contributions if value][:top]
        return f"log-odds {self.score:+.2f}: " + ", ".join(shown) + f" (base {BIAS:+.2f})"

    def reason(self, top: int = 4) -> str:
        """The verdict and what made it, for explanations."""
        verdict = "joins" if self.joined else "does not join"
        return f"{verdict}, {self.summary(top)}"


def decide(
    evidence: Evidence, weights: dict[str, float] | None = None, bias: float = BIAS
) -> Decision:
    """The logistic model's decision for one topic of one article."""
    weights = WEIGHTS if weights is None else weights
    parts = {name: weights.get(name, 0.0) * value for name, value in evidence.features().items()}
    ordered = tuple(sorted(parts.items(), key=lambda kv: (-abs(kv[1]), kv[0])))
    return Decision(bias + sum(parts.values()), evidence, ordered)
