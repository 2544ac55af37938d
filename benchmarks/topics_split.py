"""Topic attribution on a tune half and a held-out half of the labelled real coverage.

Three labelled sets, all read from ../shared/corpora at run time (never copied here):

- ``real``: the 56 English articles labelled in benchmarks/real-topics.yml, scored with the
  shipped mkdocs.yml topics (Venezuela, Iran, Election interference; 28 hard negatives);
- ``es``: the 307 Spanish articles of es-crisis-even, each about one of four crises, scored with
  four keyword topics written here (the country's names, capital, leaders);
- ``bbc``: every fourth article of the BBC News corpus with the five keyword topics of
  tests/fixtures/bbc-topics/mkdocs.yml (passages mode: an article may join none or several).

Each set is split in two by a hash of the item's id (a BASIL event's three articles by the
event's id, so one event never sits on both sides): ``--half tune`` is what the evidence model's
weights were chosen on; ``--half held-out`` was scored once, at the end.

    python benchmarks/topics_split.py --half tune
    python benchmarks/topics_split.py --half held-out
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from digest.analysis.topics import TopicMatcher
from digest.evaluation.topics import (
    LabelledArticle,
    evaluate_articles,
    format_evaluation,
    read_category_folders,
)
from digest.model import Topic
from digest.project import load_project
from digest.sources.text import paragraphs_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from topics_real import CORPORA, REPO, labelled_articles  # noqa: E402

SPANISH = (
    Topic("egypt", "egypt", keywords=("Egipto", "egipcio", "El Cairo", "Mubarak", "Mursi", "Tahrir")),
    Topic("libya", "libya", keywords=("Libia", "libio", "Gadafi", "Trípoli", "Bengasi", "Misrata")),
    Topic("syria", "syria", keywords=("Siria", "sirio", "Asad", "Assad", "Damasco", "Alepo", "Homs")),
    Topic("yemen", "yemen", keywords=("Yemen", "yemení", "Saleh", "Saná", "Adén")),
)


def side(key: str) -> str:
    """Which half an item is on: fixed by a hash of its id, so every run splits alike."""
    return "tune" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "held-out"


def _key(article: LabelledArticle) -> str:
    # A BASIL event's three outlets share a key: basil/<event>/<source> -> basil/<event>.
    return article.id.rsplit("/", 1)[0] if article.id.startswith("basil/") else article.id


def spanish_articles() -> list[LabelledArticle]:
    found = []
    for line in (CORPORA / "es-crisis-even" / "crisis-es-even.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        paragraphs = tuple(p for p in record["text"].split("\n") if p.strip())
        found.append(
            LabelledArticle(record["id"], record["title"], paragraphs, (record["label"],))
        )
    return found


def bbc_articles() -> list[LabelledArticle]:
    root = CORPORA / "bbc-news-summary" / "articles"
    return [a for n, a in enumerate(read_category_folders(root)) if n % 4 == 0]


def report(name: str, articles: Sequence[LabelledArticle], topics: Sequence[Topic]) -> None:
    matcher = TopicMatcher(topics, 0.1)
    evaluation = evaluate_articles(articles, matcher)
    print(f"== {name}: {len(articles)} articles")
    print(format_evaluation(evaluation, {t.slug: t.name for t in topics}))
    negatives = [i for i in evaluation.items if not i.gold]
    if negatives:
        on_page = [i for i in negatives if i.predicted]
        print(f"hard negatives on a topic page: {len(on_page)} of {len(negatives)}")
    titles = {a.id: a.title for a in articles}
    for item in evaluation.errors[:25]:
        print(f"  {item.id}: gold {sorted(item.gold)} got {sorted(item.predicted)}")
        print(f"      {titles[item.id][:90]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tune", "held-out"), required=True)
    parser.add_argument("--only", choices=("real", "es", "bbc"), action="append")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"skipped: no shared corpora at {CORPORA}", file=sys.stderr)
        return 1
    wanted = set(args.only or ("real", "es", "bbc"))
    if "real" in wanted:
        shipped = load_project(REPO / "mkdocs.yml").topics
        real = [a for a in labelled_articles() if side(_key(a)) == args.half]
        report("real (shipped topics)", real, shipped)
    if "es" in wanted:
        spanish = [a for a in spanish_articles() if side(a.id) == args.half]
        report("es-crisis (four crises)", spanish, SPANISH)
    if "bbc" in wanted:
        bbc_topics = load_project(REPO / "tests" / "fixtures" / "bbc-topics" / "mkdocs.yml").topics
        bbc = [a for a in bbc_articles() if side(a.id) == args.half]
        report("bbc (every fourth article)", bbc, bbc_topics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
