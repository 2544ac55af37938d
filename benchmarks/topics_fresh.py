"""Topic attribution on fresh 2017-2021 coverage (benchmarks/fresh*-topics.yml), by its halves.

The labels name pages by url; their texts (the openings a search library stored, about 2,000
characters each) are not part of the project. Whoever holds them keeps one file per page,
``DIR/<id>.txt`` (``DIR/a/001.txt``): a ``URL:`` line, a ``QUERY:`` line, then the text.

    python benchmarks/topics_fresh.py --texts DIR --half tune
    python benchmarks/topics_fresh.py --texts DIR --half held-out --stories
    python benchmarks/topics_fresh.py --labels benchmarks/fresh2-topics.yml --texts DIR2 --half tune
    python benchmarks/topics_fresh.py --texts DIR --half held-out --headlines   # headlines alone

A page's headline is its first line shaped like one (four or more words, at most 150
characters, no closing full stop) within its first four lines, the lines above it being page
furniture ("Advertisement", "Skip to main content"); failing that, the first line's opening
stands in, as for multi-news articles in topics_split.py. About ten of the 192 pages still
open with furniture shaped like a headline ("Skip to main content", "Thu | Sep 23, 2021"); the
figures in the README were measured with this picker, so it stays as it is.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from digest.evaluation.topics import LabelledArticle
from digest.project import load_project
from digest.sources.text import paragraphs_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from topics_split import as_feed_item, report, with_vocabulary  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LABELS = Path(__file__).with_name("fresh-topics.yml")
# Some stored openings start with the page's date: "date 2019-03-08 Paul ...".
_DATE = re.compile(r"^\s*date \d{4}(?:-\d\d){0,2}\s*")


def headline_and_body(text: str) -> tuple[str, str]:
    lines = [line for line in _DATE.sub("", text).split("\n") if line.strip()]
    for n, line in enumerate(lines[:4]):
        shaped = len(line.split()) >= 4 and len(line) <= 150
        if shaped and not line.rstrip().endswith((".", "”", '"')) and n + 1 < len(lines):
            return line.strip(), "\n\n".join(lines[n + 1 :])
    return lines[0][:120], "\n\n".join(lines)


def fresh_articles(
    texts: Path, half: str, clear_only: bool, labels: Path = LABELS
) -> list[LabelledArticle]:
    articles = []
    for key, label in yaml.safe_load(labels.read_text(encoding="utf-8"))["pages"].items():
        if label["side"] != half or (clear_only and label["confidence"] != "clear"):
            continue
        raw = (texts / f"{key}.txt").read_text(encoding="utf-8").split("\n", 2)[2]
        title, body = headline_and_body(raw)
        articles.append(
            LabelledArticle(key, title, tuple(paragraphs_of(body)), tuple(label["topics"]))
        )
    return articles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, required=True, help="the pages' texts: DIR/<id>.txt")
    parser.add_argument("--half", choices=("tune", "held-out"), required=True)
    parser.add_argument(
        "--labels", type=Path, default=LABELS, help="the labels (default: fresh-topics.yml)"
    )
    parser.add_argument("--clear", action="store_true", help="leave out borderline labels")
    parser.add_argument(
        "--stories", action="store_true", help="count an article on its story's topic pages"
    )
    cut = parser.add_mutually_exclusive_group()
    cut.add_argument(
        "--brief", action="store_true", help="each page cut to its headline and lede sentence"
    )
    cut.add_argument("--headlines", action="store_true", help="each page cut to its headline alone")
    args = parser.parse_args(argv)
    if not args.texts.is_dir():
        print(f"no page texts at {args.texts}", file=sys.stderr)
        return 1
    project = load_project(REPO / "mkdocs.yml")
    articles = fresh_articles(args.texts, args.half, args.clear, args.labels)
    if args.brief:
        articles = [as_feed_item(a) for a in articles]
    if args.headlines:  # a headline read alone, as a feed reader lists it
        articles = [replace(a, paragraphs=()) for a in articles]
    topics = with_vocabulary(articles, project.topics)
    name = f"{args.labels.stem} {args.half}{', clear labels' if args.clear else ''}"
    report(name, articles, topics, project.stories if args.stories else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
