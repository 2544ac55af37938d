"""Readability benchmark: the share of summaries with a defect a program can see, per corpus.

For each corpus in ../shared/corpora it runs `digest eval readability`'s check (furniture set
apart as a build does, article summaries and topic-page summaries with the shipped topics of
mkdocs.yml) for the digest's summarizer and, as the peer in the same run, the lead baseline and
sumy's Luhn, the best plain sumy algorithm on ROUGE. Prints one Markdown table and the digest's
share as a ratio to lead's. The check has its own signals (digest/evaluation/shapes.py); the
last column counts the summaries whose defect sits in a sentence the cleaner's rules pass.

Besides the three news corpora, real web pages in several languages: the first pages of each
of English, German, French, Spanish, Portuguese and Italian in extraction-pages, taken through
the digest's own extractor (`digest fetch`'s), those with 120 words or more.

    python benchmarks/readability.py              # all corpora, 3 sentences
    python benchmarks/readability.py --limit 100  # a quick check
    python benchmarks/readability.py --corpora /path/to/corpora
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


PAGE_LANGUAGES = {"en": 40, "de": 30, "es": 30, "fr": 26, "pt": 7, "it": 3}


def pages_as_jsonl(folder: Path, target: Path) -> Path:
    """Pages of extraction-pages in several languages, extracted as `digest fetch` does."""
    import gzip

    from digest.sources.extract import extract

    taken = dict.fromkeys(PAGE_LANGUAGES, 0)
    rows = []
    for line in (folder / "expectations.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        language = page.get("lang")
        if language not in taken or taken[language] >= PAGE_LANGUAGES[language]:
            continue
        raw = gzip.decompress((folder / page["file"]).read_bytes())
        extracted = extract(raw.decode("utf-8", errors="replace"), page["url"] or "https://a.b/")
        text = "\n\n".join(extracted.paragraphs)
        if len(text.split()) < 120:
            continue
        taken[language] += 1
        rows.append(json.dumps({"title": extracted.title or "", "text": text}))
    target.write_text("\n".join(rows), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100_000, help="articles per corpus")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="the shared corpora folder")
    args = parser.parse_args(argv)
    corpora_dir: Path = args.corpora
    if not corpora_dir.is_dir():
        print(f"no corpora at {corpora_dir}", file=sys.stderr)
        return 2
    config = load_project(REPO / "mkdocs.yml")
    base = AnalysisSettings.from_config(config)
    base = replace(base, budget=replace(base.budget, sentences=args.sentences, words=None))
    tmp = REPO / ".digest-cache" / "bbc-readability.jsonl"
    tmp.parent.mkdir(exist_ok=True)
    pages = tmp.with_name("pages-readability.jsonl")
    corpora = {
        "news-decks (DW, Al Jazeera)": corpora_dir / "news-decks" / "decks-even.jsonl",
        "BASIL (Fox, NYT, HuffPost)": corpora_dir / "basil-events" / "events-even.jsonl",
        "BBC News": bbc_as_jsonl(corpora_dir / "bbc-news-summary" / "articles", tmp, args.limit),
        "Spanish crisis news (es-crisis)": corpora_dir / "es-crisis-even" / "crisis-es-even.jsonl",
        "web pages in 6 languages": pages_as_jsonl(corpora_dir / "extraction-pages", pages),
    }
    print(f"{args.sentences} sentences per article summary, shipped topics of mkdocs.yml\n")
    print(
        "| corpus | summarizer | article summaries with a defect | topic summaries (same) "
        "| of which the cleaner passes (articles) |"
    )
    print("|---|---|---:|---:|---:|")
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
                f"({100 * report.topics.share:.1f}%) | {report.articles.cleaner_missed} |"
            )
        lead = reports["lead"].articles.share
        ours = reports["digest"].articles.share
        ratio = f"{ours / lead:.2f}" if lead else "n/a (lead has none)"
        print(f"|  | digest / lead | {ratio} |  |  |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
