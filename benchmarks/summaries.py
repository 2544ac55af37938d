"""Summary quality benchmark: ROUGE of lead, every plain sumy algorithm and `digest`.

In one run, on the same machine and the same sentence split:

- news-decks (editors' decks, the human-written target), 1 sentence and a 40-word budget, on
  the even half (the half we tune on; the odd half is held back), then lead against digest on
  each of its two interleaved quarters (rows 0, 2, 4, ... and 1, 3, 5, ...), the split-half
  check that a choice made on one quarter holds on the other;
- BBC News Summary (extractive references: a regression check, not the target), 3 sentences.

Each table gets ms per article, and the digest's time is printed as a ratio to plain LexRank
measured in the same run. The tables go to stdout and, between markers, into docs/quality.md.

    python benchmarks/summaries.py                       # the full run (several minutes)
    python benchmarks/summaries.py --limit 40 --no-write  # a quick check
    python benchmarks/summaries.py --corpora /path/to/corpora
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from digest.analysis.summarizers import Budget
from digest.evaluation.rouge import (
    EvalArticle,
    Score,
    budget_label,
    evaluate,
    markdown_table,
    read_jsonl,
    resolve_names,
)

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
DOC = REPO / "docs" / "quality.md"
BEGIN = "<!-- benchmark:begin -->"
END = "<!-- benchmark:end -->"
# The BBC references run sentences together ("...$10.9bn.For the full-year"): split them on a
# full stop followed by a capital letter or a quotation mark, as the corpus README says.
_GLUED = re.compile(r"(?<=[.!?])(?=[A-Z\"“‘'])")


def read_bbc(root: Path) -> tuple[EvalArticle, ...]:
    """BBC articles (headline on line 1) with their reference summaries, in a fixed order."""
    articles: list[EvalArticle] = []
    for path in sorted((root / "articles").glob("*/*.txt")):
        summary_path = root / "summaries" / path.parent.name / path.name
        if not summary_path.is_file():
            continue
        raw = path.read_bytes().decode("utf-8", errors="replace")
        title, _, body = raw.strip().partition("\n")
        reference = summary_path.read_bytes().decode("utf-8", errors="replace")
        articles.append(
            EvalArticle(
                text=body.strip(),
                reference=" ".join(_GLUED.sub(" ", reference).split()),
                title=title.strip(),
                id=f"{path.parent.name}/{path.stem}",
            )
        )
    return tuple(articles)


def _row(scores: Sequence[Score], name: str) -> Score | None:
    return next((s for s in scores if s.name == name), None)


def verdict(scores: Sequence[Score]) -> str:
    """How `digest` compares with lead and the best plain sumy row, and its speed vs LexRank."""
    digest, lead, lexrank = (_row(scores, n) for n in ("digest", "lead", "lexrank"))
    sumy = [s for s in scores if s.name not in ("digest", "lead")]
    parts: list[str] = []
    if digest and sumy:
        best = max(sumy, key=lambda s: s.rouge1)
        parts.append(
            f"digest ROUGE-1 {digest.rouge1 - best.rouge1:+.2f} vs the best sumy row ({best.name})"
        )
    if digest and lead:
        parts.append(
            "vs lead: "
            f"R1 {digest.rouge1 - lead.rouge1:+.2f}, R2 {digest.rouge2 - lead.rouge2:+.2f}, "
            f"RL {digest.rougeL - lead.rougeL:+.2f}"
        )
    if digest and lexrank and lexrank.ms_per_article > 0:
        ratio = digest.ms_per_article / lexrank.ms_per_article
        parts.append(f"time per article {ratio:.2f}× plain LexRank's")
    return "; ".join(parts)


def split_half(articles: Sequence[EvalArticle], budgets: Sequence[Budget]) -> str:
    """Lead against digest on each interleaved quarter of the even half, one table."""
    lines = [
        "| quarter | budget | lead R1 / R2 / RL | digest R1 / R2 / RL | digest − lead |",
        "|---|---|---|---|---|",
    ]
    for name, part in (("rows 0, 2, 4, …", articles[0::2]), ("rows 1, 3, 5, …", articles[1::2])):
        for budget in budgets:
            lead, digest = evaluate(part, budget, ("lead", "digest"))
            cells = [f"{s.rouge1:.2f} / {s.rouge2:.2f} / {s.rougeL:.2f}" for s in (lead, digest)]
            delta = (
                f"{digest.rouge1 - lead.rouge1:+.2f} / {digest.rouge2 - lead.rouge2:+.2f} / "
                f"{digest.rougeL - lead.rougeL:+.2f}"
            )
            lines.append(
                f"| {name} ({len(part)}) | {budget_label(budget)} | {cells[0]} "
                f"| {cells[1]} | {delta} |"
            )
    return "\n".join(lines)


def run(limit: int | None, names: tuple[str, ...], corpora: Path = CORPORA) -> str:
    """Every table as Markdown, printed as it is done."""
    decks = corpora / "news-decks" / "decks-even.jsonl"
    bbc = corpora / "bbc-news-summary"
    deck_budgets = (Budget(1), Budget(None, 40))
    suites: list[tuple[str, tuple[EvalArticle, ...], tuple[Budget, ...]]] = []
    if decks.is_file():
        suites.append(("news-decks, even half (tuning)", read_jsonl(decks), deck_budgets))
    if (bbc / "articles").is_dir():
        suites.append(("BBC News Summary", read_bbc(bbc), (Budget(3),)))
    if not suites:
        sys.exit(f"no corpora found under {corpora}")
    sections: list[str] = []
    for label, articles, budgets in suites:
        articles = articles[:limit] if limit else articles
        for budget in budgets:
            print(f"{label}, {budget_label(budget)}...", file=sys.stderr)
            scores = evaluate(articles, budget, names)
            section = (
                f"**{label}**, {len(articles)} articles, {budget_label(budget)} per summary\n\n"
                f"{markdown_table(scores)}\n\n{verdict(scores)}.\n"
            )
            print(section, flush=True)
            sections.append(section)
        if label.startswith("news-decks"):
            section = (
                "**news-decks, split-half check** within the even half: lead and digest on each "
                f"interleaved quarter\n\n{split_half(articles, budgets)}\n"
            )
            print(section, flush=True)
            sections.append(section)
    machine = f"Python {platform.python_version()} on {platform.machine()}"
    return "\n".join(sections) + f"\nMeasured by `python benchmarks/summaries.py`, {machine}.\n"


def write_doc(tables: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit(f"{DOC}: the markers {BEGIN} and {END} are missing")
    DOC.write_text(
        text[: start + len(BEGIN)] + "\n\n" + tables + "\n" + text[end:], encoding="utf-8"
    )
    print(f"tables written to {DOC.relative_to(REPO)}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N articles of each corpus")
    parser.add_argument("--only", default="", help="comma-separated rows (default: all)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/quality.md")
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="the shared corpora folder")
    args = parser.parse_args()
    names = resolve_names([n for n in args.only.split(",") if n.strip()])
    tables = run(args.limit, names, args.corpora)
    if not args.no_write and not args.limit:
        write_doc(tables)


if __name__ == "__main__":
    main()
