"""ROUGE evaluation of the summarizers against reference summaries (`digest eval rouge`).

Every summarizer sees the same sentences (split by the digest's own splitter), so the table
compares what they pick, not how they split. Scores are ROUGE-1/2/L F1 as percentages (the
`rouge-score` package, Porter stemming on), averaged over articles; time is CPU milliseconds
per article spent ranking and selecting (sentence splitting and scoring excluded).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.analysis.summarizers import (
    SUMY_ALGORITHMS,
    Budget,
    Summarizer,
    cut_to_words,
    make_summarizer,
)
from digest.analysis.tokenizer import split_sentences
from digest.evaluation.jsonl import EvaluationError, json_objects
from digest.sources.cleanup import Boilerplate
from digest.wording import counted

DEFAULT_NAMES: tuple[str, ...] = ("lead", *SUMY_ALGORITHMS, "digest")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")


@dataclass(frozen=True)
class EvalArticle:
    """One article with the summary a person (or another system) wrote for it."""

    text: str
    reference: str
    title: str = ""
    id: str = ""


@dataclass(frozen=True)
class Score:
    """One summarizer's mean ROUGE F1 (percent) and its time per article."""

    name: str
    rouge1: float
    rouge2: float
    rougeL: float
    ms_per_article: float
    articles: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rouge1": round(self.rouge1, 2),
            "rouge2": round(self.rouge2, 2),
            "rougeL": round(self.rougeL, 2),
            "ms_per_article": round(self.ms_per_article, 3),
            "articles": self.articles,
        }


def read_jsonl(path: Path) -> tuple[EvalArticle, ...]:
    """Articles from a JSON Lines file with `text` and `reference` (and optional `title`, `id`)."""
    articles: list[EvalArticle] = []
    for number, row in json_objects(path, EvaluationError):
        for field in ("text", "reference"):
            if not isinstance(row.get(field), str) or not row[field].strip():
                raise EvaluationError(f"{path}:{number}: missing or empty {field!r}")
        title = row.get("title") or ""
        articles.append(
            EvalArticle(
                text=row["text"],
                reference=row["reference"],
                title=title if isinstance(title, str) else str(title),
                id=str(row.get("id", number)),
            )
        )
    if not articles:
        raise EvaluationError(f"{path}: no articles")
    return tuple(articles)


def article_sentences(text: str, title: str = "", language: str = "en") -> list[str]:
    """An article's sentences as a build sees them: paragraph by paragraph, furniture (captions,
    sign-up lines, the headline repeated) set apart first, as the readers do."""
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    kept, _ = Boilerplate().clean(title, paragraphs)
    sentences: list[str] = []
    for paragraph in kept or paragraphs:
        sentences.extend(split_sentences(paragraph, language))
    return sentences


def summary_text(
    summarizer: Summarizer, sentences: Sequence[str], title: str, budget: Budget
) -> str:
    """The summary as scored: picked sentences in article order, cut at a word budget."""
    if not sentences:
        return ""
    text = " ".join(sentences[i] for i in summarizer.select(sentences, title, budget))
    return cut_to_words(text, budget.words) if budget.words is not None else text


def _scorer() -> Any:
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        raise EvaluationError(
            "ROUGE needs the rouge-score package: pip install 'newsdigest[test]' "
            "(or pip install rouge-score)"
        ) from None
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def resolve_names(only: Iterable[str] | None) -> tuple[str, ...]:
    """The rows to compute, in table order; unknown names raise ValueError."""
    requested = [name for name in only or () if name.strip()]
    if not requested:
        return DEFAULT_NAMES
    wanted: list[str] = []
    for name in requested:
        key = name.strip().lower().replace("-", "").replace("_", "")
        if key not in DEFAULT_NAMES:
            raise ValueError(f"unknown summarizer {name!r}; choose from {', '.join(DEFAULT_NAMES)}")
        if key not in wanted:
            wanted.append(key)
    return tuple(n for n in DEFAULT_NAMES if n in wanted)


def evaluate(
    articles: Sequence[EvalArticle],
    budget: Budget,
    names: Sequence[str] = DEFAULT_NAMES,
    language: str = "english",
    summarizers: dict[str, Summarizer] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Score, ...]:
    """Score each named summarizer on every article; `summarizers` overrides names' defaults."""
    scorer = _scorer()
    split = [(article_sentences(a.text, a.title, language), a) for a in articles]
    scores: list[Score] = []
    for name in names:
        if progress is not None:
            progress(name)
        summarizer = (summarizers or {}).get(name) or make_summarizer(name, language)
        totals = dict.fromkeys(ROUGE_TYPES, 0.0)
        elapsed = 0.0
        for sentences, article in split:
            # CPU time: on a shared machine, wall time mostly measures the neighbours.
            start = time.process_time()
            summary = summary_text(summarizer, sentences, article.title, budget)
            elapsed += time.process_time() - start
            result = scorer.score(article.reference, summary)
            for kind in ROUGE_TYPES:
                totals[kind] += result[kind].fmeasure
        count = max(len(split), 1)
        scores.append(
            Score(
                name=name,
                rouge1=100 * totals["rouge1"] / count,
                rouge2=100 * totals["rouge2"] / count,
                rougeL=100 * totals["rougeL"] / count,
                ms_per_article=1000 * elapsed / count,
                articles=len(split),
            )
        )
    return tuple(scores)


def budget_label(budget: Budget) -> str:
    if budget.words is not None:
        return counted(budget.words, "word")
    return counted(budget.sentences or 0, "sentence")


def markdown_table(scores: Sequence[Score]) -> str:
    """A Markdown table, one row a summarizer."""
    lines = [
        "| summarizer | ROUGE-1 | ROUGE-2 | ROUGE-L | ms / article |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.name} | {s.rouge1:.2f} | {s.rouge2:.2f} | {s.rougeL:.2f} "
            f"| {s.ms_per_article:.2f} |"
        )
    return "\n".join(lines)
