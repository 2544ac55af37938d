"""Does each summary read on its own? `digest eval readability` counts the defects a program
can see in summaries: captions and credits, forms and self-promotion, sign-up, video and
advertisement text, related links, wire prefixes, headlines glued to a sentence, fragments,
sentences run together, and openings that point back at a sentence the summary left out.

The check has its own signals (`digest.evaluation.shapes`), not the cleaner's: grading the
readers with their own rules would find nothing they miss. Each defect also says whether the
cleaner's rules would have caught the sentence, so the report shows what only the check sees.

It runs the configured summarizer over a content folder or a JSON Lines file, the way a build
does (furniture set apart first, then article and topic summaries), so a user can check their
own sources before trusting the digest, and compare summarizers on the same articles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from digest.evaluation.jsonl import json_objects
from digest.evaluation.shapes import opens_dangling, shape_defects
from digest.model import Article, Sentence
from digest.sources.cleanup import (
    Boilerplate,
    furniture_kind,
    glued_headline,
    points_back,
    remove_related_links,
)
from digest.sources.text import paragraphs_of, split_dateline

POINTS_BACK = "opens by pointing back at a sentence left out"
WIRE_PREFIX = "wire prefix or dateline"
FRAGMENT = "fragment"
RUN_TOGETHER = "sentences run together"

# A sentence end glued to the next sentence inside one "sentence": "members.That".
_RUN_TOGETHER = re.compile(r"[a-z]{2}[.!?][”\"’]?[A-Z][a-z]")
_WIRE = re.compile(r"^\([A-Z][\w.&'’/ -]{0,30}\)\s*[—–-]|^[A-Z][A-Z .,'’/-]{2,40}\([^)]{1,30}\)")
# A sentence ends in . ! ? or … , maybe inside closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…][”’\"')\]»]*$")


@dataclass(frozen=True)
class Defect:
    """One thing wrong with one sentence of a summary."""

    kind: str
    sentence: str


def sentence_defects(text: str, title: str = "") -> list[str]:
    """What is wrong with a sentence wherever it stands in a summary."""
    text = " ".join(text.split())
    kinds = shape_defects(text, title)
    if _WIRE.search(text):
        kinds.append(WIRE_PREFIX)
    if len(text.split()) < 4 or not _SENTENCE_END.search(text):
        kinds.append(FRAGMENT)
    if _RUN_TOGETHER.search(text):
        kinds.append(RUN_TOGETHER)
    return kinds


def summary_defects(summary: Sequence[Sentence], title: str = "") -> list[Defect]:
    """Every defect of a summary: each sentence's own, and references left dangling."""
    found: list[Defect] = []
    previous: Sentence | None = None
    for sentence in summary:
        kinds = sentence_defects(sentence.text, title)
        found.extend(Defect(kind, sentence.text) for kind in kinds)
        # An editor's summary (index -1) is text a person wrote: only its sentences are checked.
        antecedent_kept = previous is not None and previous.index == sentence.index - 1
        if sentence.index >= 0 and opens_dangling(sentence.text) and not antecedent_kept:
            found.append(Defect(POINTS_BACK, sentence.text))
        previous = sentence
    return found


def cleaner_sees(sentence: str) -> bool:
    """Whether the readers' own rules flag a sentence (to count what only the check finds)."""
    return bool(
        furniture_kind(sentence) is not None
        or remove_related_links(sentence)[1]
        or glued_headline(sentence)
        or points_back(sentence)
        or split_dateline(sentence)[0] is not None
    )


@dataclass
class Tally:
    """How many summaries of one kind (article or topic) were checked and had defects."""

    checked: int = 0
    with_defects: int = 0
    # Summaries with a defect in a sentence the cleaner's rules pass: what only the check sees.
    cleaner_missed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, source: str, defects: Sequence[Defect], keep: int) -> None:
        self.checked += 1
        if not defects:
            return
        self.with_defects += 1
        self.cleaner_missed += any(not cleaner_sees(d.sentence) for d in defects)
        for kind in dict.fromkeys(d.kind for d in defects):  # a kind counts once a summary
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        for defect in defects:
            shown = self.examples.setdefault(defect.kind, [])
            if len(shown) < keep:
                shown.append((source, defect.sentence))

    @property
    def share(self) -> float:
        return self.with_defects / self.checked if self.checked else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "with_defects": self.with_defects,
            "cleaner_missed": self.cleaner_missed,
            "share": round(self.share, 4),
            "by_kind": dict(sorted(self.by_kind.items())),
            "examples": {k: [list(e) for e in v] for k, v in sorted(self.examples.items())},
        }


@dataclass
class Report:
    """Defects of article summaries and of topic-page summaries."""

    articles: Tally = field(default_factory=Tally)
    topics: Tally = field(default_factory=Tally)

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_summaries": self.articles.as_dict(),
            "topic_summaries": self.topics.as_dict(),
        }


def check_entries(entries: Iterable[Any], examples: int = 3) -> Report:
    """Tally the defects of every article summary and topic summary of analysed entries."""
    report = Report()
    for entry in entries:
        source = entry.article.source_path
        title = entry.article.title
        report.articles.add(source, summary_defects(entry.summary.sentences, title), examples)
        for match in entry.topics:
            if match.summary is not None and not match.forced:
                defects = summary_defects(match.summary.sentences, title)
                report.topics.add(f"{source} ({match.topic})", defects, examples)
    return report


def articles_from_jsonl(path: Path, boilerplate: Boilerplate) -> tuple[Article, ...]:
    """Articles from JSON Lines rows with `text` and optional `title` (as `digest eval rouge`)."""
    from digest.evaluation.rouge import EvaluationError

    articles = []
    for number, row in json_objects(path, EvaluationError):
        if not isinstance(row.get("text"), str):
            raise EvaluationError(f"{path}:{number}: expected an object with a 'text'")
        title = str(row.get("title") or "")
        paragraphs = paragraphs_of(row["text"])
        if not paragraphs:
            continue
        dateline, paragraphs[0] = split_dateline(paragraphs[0])
        kept, aside = boilerplate.clean(title, [p for p in paragraphs if p])
        article = Article(
            source_path=f"{path.name}:{number}",
            slug=f"line-{number}",
            title=title,
            date=datetime(2000, 1, 1, tzinfo=timezone.utc),
            paragraphs=kept or tuple(p for p in paragraphs if p),
            dateline=dateline,
        )
        articles.append(replace(article, set_apart=aside) if kept else article)
    if not articles:
        raise EvaluationError(f"{path}: no articles")
    return tuple(articles)


def markdown_report(report: Report, label: str) -> str:
    """The report as a user reads it: shares first, then each kind with examples."""
    lines = [f"Summaries by {label}:", ""]
    for name, tally in (("article summaries", report.articles), ("topic summaries", report.topics)):
        lines.append(
            f"- {name}: {tally.with_defects} of {tally.checked} with a defect "
            f"({100 * tally.share:.1f}%; {tally.cleaner_missed} in a sentence the cleaner passes)"
        )
    lines.append("")
    kinds = sorted(set(report.articles.by_kind) | set(report.topics.by_kind))
    if not kinds:
        lines.append("No defects found.")
        return "\n".join(lines)
    lines += ["| defect | article summaries | topic summaries |", "|---|---:|---:|"]
    for kind in kinds:
        lines.append(
            f"| {kind} | {report.articles.by_kind.get(kind, 0)} "
            f"| {report.topics.by_kind.get(kind, 0)} |"
        )
    lines.append("")
    for kind in kinds:
        shown = report.articles.examples.get(kind, []) + report.topics.examples.get(kind, [])
        lines.append(f"{kind}:")
        lines.extend(f"  {source}: {sentence[:200]}" for source, sentence in shown[:3])
    return "\n".join(lines)
