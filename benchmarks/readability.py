"""Readability benchmark: the share of summaries with a defect a program can see, per corpus.

For each corpus in ../shared/corpora it runs `digest eval readability`'s check (furniture set
apart as a build does, article summaries and topic-page summaries with the shipped topics of
mkdocs.yml) for the digest's summarizer and, as the peer in the same run, the lead baseline and
sumy's Luhn, the best plain sumy algorithm on ROUGE. Prints one Markdown table and the digest's
share as a ratio to lead's.

    python benchmarks/readability.py              # all three corpora, 3 sentences
    python benchmarks/readability.py --limit 100  # a quick check
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from digest.evaluation.readability import Report, articles_from_jsonl, check_entries
from digest.pipeline import AnalysisSettings, analyze_serially
from digest.project import load_project
from digest.sources.cleanup import Boilerplate

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
SUMMARIZERS = ("digest", "lead", "luhn")


def bbc_as_jsonl(folder: Path, target: Path, limit: int) -> Path:
    """The BBC articles (headline on line 1, then the body) as JSON Lines rows."""
    rows = []
    for path in sorted(folder.glob("*/*.txt"))[:limit]:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().split("\n")
        rows.append(json.dumps({"title": lines[0].strip(), "text": "\n".join(lines[1:])}))
    target.write_text("\n".join(rows), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100_000, help="articles per corpus")
    parser.add_argument("--sentences", type=int, default=3)
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"no corpora at {CORPORA}", file=sys.stderr)
        return 2
    config = load_project(REPO / "mkdocs.yml")
    base = AnalysisSettings.from_config(config)
    base = replace(base, budget=replace(base.budget, sentences=args.sentences, words=None))
    tmp = REPO / ".digest-cache" / "bbc-readability.jsonl"
    tmp.parent.mkdir(exist_ok=True)
    corpora = {
        "news-decks (DW, Al Jazeera)": CORPORA / "news-decks" / "decks-even.jsonl",
        "BASIL (Fox, NYT, HuffPost)": CORPORA / "basil-events" / "events-even.jsonl",
        "BBC News": bbc_as_jsonl(CORPORA / "bbc-news-summary" / "articles", tmp, args.limit),
    }
    print(f"{args.sentences} sentences per article summary, shipped topics of mkdocs.yml\n")
    print("| corpus | summarizer | article summaries with a defect | topic summaries (same) |")
    print("|---|---|---:|---:|")
    for label, path in corpora.items():
        articles = articles_from_jsonl(path, Boilerplate())[: args.limit]
        reports: dict[str, Report] = {}
        for name in SUMMARIZERS:
            entries = analyze_serially(articles, replace(base, summarizer=name))
            reports[name] = report = check_entries(entries)
            print(
                f"| {label} | {name} | {report.articles.with_defects} of "
                f"{report.articles.checked} ({100 * report.articles.share:.1f}%) "
                f"| {report.topics.with_defects} of {report.topics.checked} "
                f"({100 * report.topics.share:.1f}%) |"
            )
        lead = reports["lead"].articles.share
        ours = reports["digest"].articles.share
        ratio = f"{ours / lead:.2f}" if lead else "n/a (lead has none)"
        print(f"|  | digest / lead | {ratio} |  |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
