"""One summary of a story from all its articles' sentences (extractive, offline, deterministic).

A centroid method (Radev et al., "Centroid-based summarization of multiple documents", 2004)
with maximal marginal relevance (Carbonell and Goldstein, 1998) against repetition:

- A word weighs what its sources agree on: the share of the story's articles that use it (what
  several outlets report is the event; what one alone says is its addition), times its inverse
  frequency among the story's sentences, which makes the words of every sentence ("the",
  "said", in any language) weigh next to nothing without a stop-word list.
- A sentence scores the weight of its distinct words, by its length's square root (a long
  sentence is not better for being long), less for standing late in its article (news says
  what matters first), and less when it cannot be read alone: it opens on a pronoun or a
  connective ("He", "But", "However"), is a fragment of a few words or a run-on.
- Sentences are picked best first; each pick lowers the score of the sentences that share its
  words (MMR), a near-duplicate of a picked sentence is never picked (a syndicated copy says
  everything twice), and an article that has given a sentence gives the next at a discount,
  so each outlet's own addition gets its turn.

The picks are shown in story order: the earliest article's first, each article's in its own
order, so the story reads from what was first known to what came later; a sentence from an
article of a later day than the story's first is marked as an update.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

from digest.analysis.stemming import stemmer

# How much agreement counts: a word's weight grows with the share of articles using it, to
# this power.
_AGREEMENT = 3.0
# A sentence's summed word weights are divided by its length to this power.
_LENGTH = 0.5
# How much a pick lowers the score of a sentence that shares all its words (MMR's lambda).
_REDUNDANCY = 0.7
# Shorter sentences are the rest of a quote or a caption; longer ones run on.
_FEWEST_WORDS, _MOST_WORDS = 8, 55
# A sentence's score at the n-th position of its article: 1 / (1 + n / _POSITION_SCALE).
_POSITION_SCALE = 8.0
# Each sentence already taken from an article scales that article's next pick by this.
_SAME_SOURCE = 0.85
# A sentence that cannot be read alone keeps this much of its score.
_NOT_ALONE = 0.3
# Most content words of the shorter sentence found in the longer: the two say the same thing.
_NEAR_DUPLICATE = 0.6
# English words that make a sentence lean on the one before it (other languages: no penalty).
_LEANING = frozenset(
    [
        "he",
        "she",
        "it",
        "they",
        "his",
        "her",
        "its",
        "their",
        "him",
        "them",
        "this",
        "that",
        "these",
        "those",
        "but",
        "and",
        "also",
        "so",
        "yet",
        "however",
        "meanwhile",
        "still",
        "then",
        "there",
        "here",
        "such",
        "both",
        "while",
    ]
)
_WORD = re.compile(r"[^\W_](?:[^\W_]|['’.-](?=[^\W_]))*")


@dataclass(frozen=True)
class StoryDocument:
    """One article of a story as the summarizer reads it."""

    # The article's slug (what each picked sentence is credited to).
    article: str
    source: str | None
    date: datetime
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Pick:
    """A sentence of the summary: which article and sentence it is, and whether it is news
    from a later day than the story's first."""

    document: int
    sentence: int
    text: str
    update: bool


@dataclass
class _Candidate:
    document: int
    sentence: int
    words: frozenset[str]
    length: int
    score: float


def summarize_story(
    documents: Sequence[StoryDocument],
    words: int | None = None,
    sentences: int | None = None,
    language: str = "english",
) -> list[Pick]:
    """The summary of a story, at most `words` words (sentences are never cut: the budget is
    filled with the best that fit) or `sentences` sentences; in story order (see the module
    docstring)."""
    if words is None and sentences is None:
        raise ValueError("give a word or a sentence budget")
    candidates = _candidates(documents, language)
    if words is not None:
        candidates = [c for c in candidates if c.length <= words]
    picked: list[_Candidate] = []
    taken = Counter[int]()
    used = 0
    while candidates:
        if sentences is not None and len(picked) >= sentences:
            break
        best = max(
            candidates,
            key=lambda c: (
                _marginal(c, picked) * _SAME_SOURCE ** taken[c.document],
                -c.document,
                -c.sentence,
            ),
        )
        picked.append(best)
        taken[best.document] += 1
        used += best.length
        # What can never be picked goes at once, not one full scan at a time: the copies of a
        # pick (a story of n reprints holds n of each sentence) and, with a word budget, the
        # sentences too long for what is left.
        room = words - used if words is not None else math.inf
        candidates = [
            c for c in candidates if c.length <= room and not near_duplicates(c.words, best.words)
        ]
    first_day = min((d.date.date() for d in documents), default=None)
    order = sorted(picked, key=lambda c: (documents[c.document].date, c.document, c.sentence))
    return [
        Pick(
            c.document,
            c.sentence,
            documents[c.document].sentences[c.sentence],
            documents[c.document].date.date() != first_day,
        )
        for c in order
    ]


def _candidates(documents: Sequence[StoryDocument], language: str) -> list[_Candidate]:
    stem = stemmer(language)
    # A reprinted sentence is read once: a story of n copies of an article holds n of each
    # sentence, and its copies share one split, one set of content stems and one base score.
    stems_of: dict[str, frozenset[str]] = {}
    for document in documents:
        for text in document.sentences:
            if text not in stems_of:
                stems_of[text] = frozenset(stem(w.lower()) for w in _WORD.findall(text))
    split = [[stems_of[text] for text in d.sentences] for d in documents]
    sentence_count = sum(len(s) for s in split) or 1
    in_sentences = Counter(w for document in split for words in document for w in words)
    in_documents = Counter(w for document in split for w in set().union(*document))
    weight = {
        w: (in_documents[w] / len(documents)) ** _AGREEMENT
        * math.log(sentence_count / in_sentences[w])
        for w in in_sentences
    }
    read: dict[str, tuple[frozenset[str], int, float] | None] = {}
    found = []
    for number, document in enumerate(documents):
        for index, text in enumerate(document.sentences):
            if text not in read:
                read[text] = _read(text, stems_of[text], weight, language)
            known = read[text]
            if known is None:
                continue
            said, length, score = known
            found.append(
                _Candidate(number, index, said, length, score / (1 + index / _POSITION_SCALE))
            )
    return found


def _read(
    text: str, words: frozenset[str], weight: dict[str, float], language: str
) -> tuple[frozenset[str], int, float] | None:
    """A sentence's content stems, length in words and score wherever it stands (None: no
    words)."""
    tokens = _WORD.findall(text)
    if not tokens:
        return None
    content = frozenset(w for w in words if weight[w] > 0)
    score = sum(weight[w] for w in content) / len(tokens) ** _LENGTH
    if not _reads_alone(text, tokens):
        score *= _NOT_ALONE
    return _content_stems(text, language), len(text.split()), score


@cache
def _stop_words() -> frozenset[str]:
    # sumy's English list, read as a file: importing sumy.utils would pull in requests.
    text = (resources.files("sumy") / "data" / "stopwords" / "english.txt").read_text("utf-8")
    # Reporting verbs and calendar words are in every story of every event.
    extra = {"said", "says", "told", "according", "mr", "mrs", "ms", "monday", "tuesday"}
    extra |= {"wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday"}
    extra |= {"week", "weeks", "year", "years", "month", "months", "day", "days", "time"}
    return frozenset(text.split()) | frozenset(extra)


# A word: letters first, then letters or digits, with inner apostrophes ("Sochi’s", "don't").
_LETTERS_WORD = re.compile(r"[^\W\d_](?:[^\W_]|['’](?=[^\W_]))*")
_POSSESSIVES = ("'s", "’s")


def _content_stems(text: str, language: str = "english") -> frozenset[str]:
    """What a sentence says, for telling repeats: stems of its words less stop words."""
    stop, stem = _stop_words(), stemmer(language)
    words = (_without_possessive(w.lower()) for w in _LETTERS_WORD.findall(text) if len(w) > 1)
    return frozenset(stem(w) for w in words if w not in stop and len(w) >= 3)


def _without_possessive(word: str) -> str:
    return word[:-2] if word.endswith(_POSSESSIVES) else word


def near_duplicates(a: frozenset[str], b: frozenset[str]) -> bool:
    """Most of the content words of the shorter are in the longer: a syndicated copy, a
    rewrite of the same wire line."""
    if not a or not b:
        return a == b
    return len(a & b) / min(len(a), len(b)) >= _NEAR_DUPLICATE


def _reads_alone(text: str, tokens: Sequence[str]) -> bool:
    if not _FEWEST_WORDS <= len(tokens) <= _MOST_WORDS:
        return False
    if tokens[0].lower() in _LEANING:
        return False
    # A sentence that opens inside a quote or ends without a full stop is a fragment.
    return text.rstrip()[-1:] in ".!?\"'”’)" and not text.lstrip()[:1].islower()


def _marginal(candidate: _Candidate, picked: Sequence[_Candidate]) -> float:
    """The score less its overlap with the closest picked sentence (MMR)."""
    if not picked or not candidate.words:
        return candidate.score
    overlap = (
        max(len(candidate.words & p.words) / len(candidate.words) for p in picked if p.words)
        if any(p.words for p in picked)
        else 0.0
    )
    return candidate.score * (1 - _REDUNDANCY * overlap)
