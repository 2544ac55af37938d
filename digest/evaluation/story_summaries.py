"""Story summaries against human multi-document summaries (`digest eval story-summaries`).

Input is JSON Lines, one story a line, as in ``shared/corpora/multi-news-sample/``:
``documents`` (a list of ``{"text": ...}``, paragraphs separated by blank lines, in publication
order when there are no dates) and ``summary`` (what people wrote of the whole story; a leading
"– " is dropped). Every system gets the same sentences (the digest's splitter) and the same
length: the human summary's number of words. The story summary stops before that length
(it never cuts a sentence); each baseline is cut at exactly that many words:

- ``lead-newest``: the first sentences of the newest (last) article;
- ``lead-first``: the first sentences of the first article;
- ``lexrank``: sumy's LexRank over all the story's sentences, best first.

Scores are ROUGE-1 and ROUGE-2 recall and F1 (the ``rouge-score`` package, Porter stemming on),
as percentages averaged over stories.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from digest.analysis.story_summary import StoryDocument, summarize_story
from digest.analysis.tokenizer import sentences_of
from digest.evaluation.jsonl import json_objects
from digest.evaluation.rouge import EvaluationError
from digest.sources.text import paragraphs_of

SYSTEMS = ("story", "lead-newest", "lead-first", "lexrank")
_MEASURES = ("rouge1", "rouge2")


@dataclass(frozen=True)
class StoryCase:
    documents: tuple[tuple[str, ...], ...]  # each article's sentences
    reference: str
    id: str = ""

    @property
    def words(self) -> int:
        return len(self.reference.split())


def read_cases(path: Path) -> list[StoryCase]:
    """Stories and their human summaries from JSON Lines (see the module docstring)."""
    found = []
    for number, raw in json_objects(path, EvaluationError):
        where = f"{path}:{number}"
        documents = raw.get("documents")
        summary = raw.get("summary")
        if not isinstance(documents, list) or not documents:
            raise EvaluationError(f"{where}: needs a non-empty list 'documents'")
        if not isinstance(summary, str) or not summary.strip():
            raise EvaluationError(f"{where}: needs a non-empty 'summary'")
        texts = []
        for document in documents:
            text = document.get("text") if isinstance(document, dict) else None
            if not isinstance(text, str):
                raise EvaluationError(f"{where}: each document needs a 'text'")
            texts.append(tuple(s.text for s in sentences_of(paragraphs_of(text))))
        reference = summary.strip().removeprefix("–").strip()
        found.append(StoryCase(tuple(texts), reference, str(raw.get("id", number))))
    if not found:
        raise EvaluationError(f"{path}: no stories")
    return found


def summaries(case: StoryCase) -> dict[str, str]:
    """Each system's summary of one story at the human summary's length."""
    budget = case.words
    start = datetime(2000, 1, 1, tzinfo=timezone.utc)
    documents = [
        StoryDocument(f"doc-{n}", None, start + timedelta(hours=n), sentences)
        for n, sentences in enumerate(case.documents)
    ]
    story = " ".join(p.text for p in summarize_story(documents, words=budget))
    everything = [s for sentences in case.documents for s in sentences]
    newest = next((d for d in reversed(case.documents) if d), ())
    first = next((d for d in case.documents if d), ())
    return {
        "story": story,
        "lead-newest": _cut(" ".join(newest), budget),
        "lead-first": _cut(" ".join(first), budget),
        "lexrank": _cut(" ".join(everything[i] for i in _lexrank(everything)), budget),
    }


def _cut(text: str, words: int) -> str:
    return " ".join(text.split()[:words])


def _lexrank(sentences: Sequence[str]) -> list[int]:
    """sumy's LexRank ranking of every sentence, best first (ties: earlier)."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer

    from digest.analysis.summarizers import _stop_words, sumy_document
    from digest.analysis.tokenizer import NewsTokenizer

    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = _stop_words()
    document = sumy_document(list(sentences), NewsTokenizer("english"))
    position = {id(s): i for i, s in enumerate(document.sentences)}
    ranked: list[int] = []

    def rank_all(doc_sentences: Any, count: int, rating: Any, *args: Any, **kwargs: Any) -> tuple:
        rate = rating.__getitem__ if isinstance(rating, dict) else rating
        scored = sorted(
            ((rate(s, *args, **kwargs), o, s) for o, s in enumerate(doc_sentences)),
            key=lambda item: (-item[0], item[1]),
        )
        ranked.extend(position[id(s)] for _, _, s in scored)
        return tuple(s for _, _, s in scored)

    summarizer._get_best_sentences = rank_all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summarizer(document, len(sentences))
    seen = set(ranked)
    return ranked + [i for i in range(len(sentences)) if i not in seen]


def evaluate(cases: Sequence[StoryCase]) -> dict[str, dict[str, float]]:
    """Each system's mean ROUGE-1/2 recall and F1 (percent), and its mean length in words."""
    from digest.evaluation.rouge import _scorer

    scorer = _scorer()
    totals: dict[str, dict[str, float]] = {name: {} for name in SYSTEMS}
    for case in cases:
        for name, text in summaries(case).items():
            scores = scorer.score(case.reference, text)
            row = totals[name]
            for measure in _MEASURES:
                for part, value in (
                    ("recall", scores[measure].recall),
                    ("f1", scores[measure].fmeasure),
                ):
                    key = f"{measure}_{part}"
                    row[key] = row.get(key, 0.0) + 100 * value / len(cases)
            row["words"] = row.get("words", 0.0) + len(text.split()) / len(cases)
    return totals
