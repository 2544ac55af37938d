"""Topic benchmark on real coverage: the shipped mkdocs.yml topics on labelled shared articles.

The labels (benchmarks/real-topics.yml) name articles of ../shared/corpora by id; their text is
read from there at run time, never copied into the project. Prints per-topic scores, every
article scored wrong, and how many hard negatives (articles labelled with no topic) land on a
topic page.

    python benchmarks/topics_real.py
    python benchmarks/topics_real.py --jsonl /tmp/real.jsonl   # also write it for `digest eval`
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from digest.analysis.topics import TopicMatcher
from digest.evaluation.jsonl import labelled_date
from digest.evaluation.topics import LabelledArticle, evaluate_articles, format_evaluation
from digest.project import load_project
from digest.sources.text import paragraphs_of

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the repo; from a worktree (wt/NAME) it is two levels up.
CORPORA = next(
    (
        p / "shared" / "corpora"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared").is_dir()
    ),
    REPO.parent / "shared" / "corpora",
)
LABELS = Path(__file__).with_name("real-topics.yml")
BLIND = Path(__file__).with_name("blind-topics.yml")


def labelled_articles() -> list[LabelledArticle]:
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    found: list[LabelledArticle] = []
    decks = labels.get("news-decks", {})
    for line in (CORPORA / "news-decks" / "decks-even.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        if record["id"] in decks:
            found.append(
                LabelledArticle(
                    f"news-decks/{record['id']}",
                    record["title"],
                    tuple(paragraphs_of(record["text"])),
                    tuple(decks[record["id"]]),
                )
            )
    events = labels.get("basil-events", {})
    for line in (CORPORA / "basil-events" / "events-even.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        prefix = record["event"].split("-")[0]
        if prefix in events:
            found.append(
                LabelledArticle(
                    f"basil/{prefix}/{record['source']}",
                    record["title"],
                    tuple(paragraphs_of(record["text"])),
                    tuple(events[prefix]),
                )
            )
    return found


def _blind_texts() -> dict[str, tuple[str, str, str]]:
    """Every article blind-topics.yml may name: id -> (headline, text, date or "")."""
    found: dict[str, tuple[str, str, str]] = {}
    for line in (CORPORA / "news-decks" / "decks-even.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        found[f"decks/{r['id']}"] = (r["title"], r["text"], r.get("date") or "")
    for line in (CORPORA / "basil-events" / "events-even.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        found[f"basil/{r['event'][:8]}/{r['source']}"] = (r["title"], r["text"], r["date"])
    for line in (CORPORA / "multi-news-sample" / "clusters.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        for n, document in enumerate(r["documents"]):
            # multi-news keeps no headline: its first line stands in, as a reader's file would.
            text = document["text"]
            found[f"{r['id']}/{n}"] = (text.split("\n")[0][:120], text, "")
    for line in (CORPORA / "ecbplus-even" / "stories-even.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        found[r["id"]] = (r["title"], r["text"], "")
    for path in sorted((CORPORA / "bbc-news-summary" / "articles").glob("*/*.txt")):
        lines = [x for x in path.read_text(encoding="latin-1").splitlines() if x.strip()]
        found[f"bbc/{path.parent.name}/{path.stem}"] = (lines[0], "\n\n".join(lines[1:]), "")
    return found


def _blind_labels() -> dict[str, dict]:
    return yaml.safe_load(BLIND.read_text(encoding="utf-8"))["articles"]


def clear_ids() -> set[str]:
    """The blind-topics.yml articles whose labels are not marked borderline."""
    return {key for key, label in _blind_labels().items() if label["confidence"] == "clear"}


def blind_articles() -> list[LabelledArticle]:
    """The articles of blind-topics.yml (labelled without seeing the digest), with their dates
    where the corpus has them."""
    texts = _blind_texts()
    found = []
    for key, label in _blind_labels().items():
        title, text, date = texts[key]
        when = labelled_date({"date": date}, key, ValueError)
        paragraphs = tuple(paragraphs_of(text))
        found.append(LabelledArticle(key, title, paragraphs, tuple(label["topics"]), when))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jsonl", type=Path, help="also write the labelled articles here")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"no shared corpora at {CORPORA}", file=sys.stderr)
        return 1
    config = load_project(REPO / "mkdocs.yml")
    matcher = TopicMatcher(config.topics, config.topic_threshold)
    articles = labelled_articles()
    if args.jsonl:
        with args.jsonl.open("w", encoding="utf-8") as out:
            for a in articles:
                text = "\n\n".join(a.paragraphs)
                out.write(
                    json.dumps(
                        {"id": a.id, "title": a.title, "text": text, "topics": list(a.topics)}
                    )
                    + "\n"
                )
    evaluation = evaluate_articles(articles, matcher)
    names = {t.slug: t.name for t in config.topics}
    print(format_evaluation(evaluation, names))
    titles = {a.id: a.title for a in articles}
    for item in evaluation.errors:
        print(
            f"  {item.id}: gold {sorted(item.gold)} got {sorted(item.predicted)}"
            f"  {titles[item.id][:70]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
