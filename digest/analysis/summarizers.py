"""Summarizers: every plain sumy algorithm by name, the lead baseline, and the digest's default.

All of them pick sentence indices from a list of already split sentences, so the same splitter
serves every algorithm and summaries can point back into the article's text.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers._summarizer import AbstractSummarizer


from digest.analysis.summary_base import (
    MAX_GRAPH_SENTENCES,
    Budget,
    LeadSummarizer,
    Summarizer,
    cut_to_words,
    sumy_document,
    take_budget,
)
from digest.config import SUMY_ALGORITHMS

__all__ = [
    "MAX_GRAPH_SENTENCES",
    "SUMY_ALGORITHMS",
    "Budget",
    "LeadSummarizer",
    "Summarizer",
    "SumySummarizer",
    "cut_to_words",
    "make_summarizer",
    "sumy_document",
    "take_budget",
]

# sumy (with NLTK and SciPy behind it) takes seconds to import: it loads only when a sumy
# summarizer is made, so the default summarizer and cached builds never pay for it.


@lru_cache(maxsize=1)
def _sumy_classes() -> dict[str, Callable[[Stemmer], AbstractSummarizer]]:
    from sumy.summarizers.edmundson import EdmundsonSummarizer
    from sumy.summarizers.kl import KLSummarizer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.reduction import ReductionSummarizer
    from sumy.summarizers.sum_basic import SumBasicSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer

    class _DeterministicLsa(LsaSummarizer):
        """sumy's LSA numbers its words by iterating a frozenset: results follow PYTHONHASHSEED."""

        def _create_dictionary(self, document):
            words = map(self.normalize_word, document.words)
            unique = sorted({self.stem_word(w) for w in words if w not in self._stop_words})
            return {w: i for i, w in enumerate(unique)}

    classes: dict[str, Callable[[Stemmer], AbstractSummarizer]] = {
        "lexrank": LexRankSummarizer,
        "textrank": TextRankSummarizer,
        "lsa": _DeterministicLsa,
        "luhn": LuhnSummarizer,
        "edmundson": EdmundsonSummarizer,
        "sumbasic": SumBasicSummarizer,
        "klsum": KLSummarizer,
        "reduction": ReductionSummarizer,
    }
    assert tuple(classes) == SUMY_ALGORITHMS
    return classes


# KL-Sum re-scores every remaining sentence for each one it picks, over the whole vocabulary:
# 2 s for 100 sentences of BBC news, 14 s for 200. The others take under 3 s at 200.
MAX_SUMY_SENTENCES = {"klsum": 100}
_STIGMA_WORDS = ("advertisement", "click", "subscribe", "newsletter", "photo", "caption")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sumy.utils import get_stop_words

    return frozenset(get_stop_words("english"))


class SumySummarizer(Summarizer):
    """One of sumy's summarizers, ranking every sentence."""

    def __init__(self, algorithm: str, language: str = "english") -> None:
        if algorithm not in SUMY_ALGORITHMS:
            raise ValueError(f"unknown sumy algorithm {algorithm!r}")
        from sumy.nlp.stemmers import Stemmer

        from digest.analysis.languages import is_english, stemmer, stop_words
        from digest.analysis.tokenizer import NewsTokenizer

        self.name = algorithm
        self._tokenizer = NewsTokenizer(language)
        # English keeps sumy's NLTK stemmer; other languages take the Snowball stemmer and stop
        # words of digest.analysis.languages (sumy has no Persian stemmer or stop list).
        english = is_english(language)
        self._stemmer = Stemmer(language) if english else stemmer(language)
        self._stop = _stop_words() if english else stop_words(language)
        self._summarizer = _sumy_classes()[algorithm](self._stemmer)
        self._summarizer.stop_words = self._stop
        if algorithm == "edmundson":
            self._summarizer.null_words = self._stop
            self._summarizer.bonus_words = ()
            # Words that mark page furniture rather than news.
            self._summarizer.stigma_words = _STIGMA_WORDS

    def rank(self, sentences: Sequence[str], title: str) -> list[int]:
        # Every algorithm gets a bounded start of the article (news puts what matters first);
        # the rest is ranked after it, in order. One 5,000-sentence file took LSA a minute and
        # 2 GB, KL-Sum over 4 minutes.
        considered = list(sentences)[: MAX_SUMY_SENTENCES.get(self.name, MAX_GRAPH_SENTENCES)]
        if self.name == "edmundson":
            # Edmundson's cue method wants "bonus words": the headline's content words.
            self._summarizer.bonus_words = tuple(
                w.lower() for w in self._tokenizer.to_words(title) if w.lower() not in self._stop
            ) or ("news",)
        document = sumy_document(considered, self._tokenizer, title)
        position = {id(s): i for i, s in enumerate(document.sentences)}
        ranked: list[int] = []

        def rank_all(doc_sentences, count, rating, *args, **kwargs):
            # sumy returns its top picks in document order; we want the full ranking, so we
            # take over its selection step and keep every sentence, best first (ties: earlier).
            rate = rating.__getitem__ if isinstance(rating, dict) else rating
            scored = [(rate(s, *args, **kwargs), o, s) for o, s in enumerate(doc_sentences)]
            scored.sort(key=lambda item: (-item[0], item[1]))
            ranked.extend(position[id(s)] for _, _, s in scored)
            return tuple(s for _, _, s in scored)

        self._summarizer._get_best_sentences = rank_all
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._summarizer(document, len(considered))
        seen = set(ranked)
        ranked += [i for i in range(len(considered)) if i not in seen]
        ranked += list(range(len(considered), len(sentences)))
        return ranked


def make_summarizer(name: str, language: str = "english") -> Summarizer:
    """A summarizer by the name the config uses: lead, digest, or a sumy algorithm."""
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key == "lead":
        return LeadSummarizer()
    if key == "digest":
        from digest.analysis.digest_summarizer import DigestSummarizer

        return DigestSummarizer(language)
    if key in SUMY_ALGORITHMS:
        return SumySummarizer(key, language)
    known = ", ".join(("digest", "lead", *SUMY_ALGORITHMS))
    raise ValueError(f"unknown summarizer {name!r}; choose one of {known}")
