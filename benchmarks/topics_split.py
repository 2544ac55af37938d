"""Topic attribution on a tune half and a held-out half of the labelled real coverage.

Four labelled sets, all read from ../shared/corpora at run time (never copied here):

- ``real``: the 56 English articles labelled in benchmarks/real-topics.yml, scored with the
  shipped mkdocs.yml topics (Venezuela, Iran, Election interference; 28 hard negatives);
- ``es``: the 307 Spanish articles of es-crisis-even, each about one of four crises, scored with
  four keyword topics written here (the country's names, capital, leaders);
- ``blind``: the 205 articles of benchmarks/blind-topics.yml, labelled by readers who never
  saw the digest, scored with the shipped topics (then again without the borderline labels);
- ``bbc``: every fourth article of the BBC News corpus with the five keyword topics of
  tests/fixtures/bbc-topics/mkdocs.yml (passages mode: an article may join none or several).

Each set is split in two by a hash of the item's id (a BASIL event's three articles by the
event's id, so one event never sits on both sides): ``--half tune`` is what the evidence model's
weights were chosen on; ``--half held-out`` was scored once, at the end. The shipped weights
were fitted on the real, es and bbc tune halves (``--fit`` uses those unless ``--only`` names
others; the blind set came later). ``--fresh DIR`` and ``--fresh2 DIR`` add the tune halves of
the two fresh sets (benchmarks/fresh-topics.yml, fresh2-topics.yml) from their page texts: a
refit on every tune half was tried on 2026-12-07 and not shipped (README, "A sixth set").

    python benchmarks/topics_split.py --half tune
    python benchmarks/topics_split.py --half held-out
    python benchmarks/topics_split.py --half tune --brief   # each as a feed item: headline, lede

``--brief`` cuts every article to its headline and first body sentence, the shape of a feed
item or a wire headline with its one-line summary: a label says what the whole article is
about, and a feed item's reader is told that much.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from digest.analysis.tokenizer import sentences_of
from digest.analysis.topic_corpus import Document, learned_topics
from digest.analysis.topic_evidence import BIAS, Evidence
from digest.analysis.topics import TopicMatcher
from digest.evaluation.topics import (
    LabelledArticle,
    evaluate_articles,
    format_evaluation,
    read_category_folders,
)
from digest.model import StorySettings, Topic
from digest.project import load_project

sys.path.insert(0, str(Path(__file__).resolve().parent))
from topics_real import CORPORA, REPO, blind_articles, clear_ids, labelled_articles  # noqa: E402

BLIND_SET = "blind labels (shipped topics)"

SPANISH = (
    Topic(
        "egypt", "egypt", keywords=("Egipto", "egipcio", "El Cairo", "Mubarak", "Mursi", "Tahrir")
    ),
    Topic("libya", "libya", keywords=("Libia", "libio", "Gadafi", "Trípoli", "Bengasi", "Misrata")),
    Topic(
        "syria", "syria", keywords=("Siria", "sirio", "Asad", "Assad", "Damasco", "Alepo", "Homs")
    ),
    Topic("yemen", "yemen", keywords=("Yemen", "yemení", "Saleh", "Saná", "Adén")),
)


def side(key: str) -> str:
    """Which half an item is on: fixed by a hash of its id, so every run splits alike."""
    return "tune" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "held-out"


def _key(article: LabelledArticle) -> str:
    # A BASIL event's three outlets share a key: basil/<event>/<source> -> basil/<event>; so do
    # a multi-news story's articles (multi-news/train/<story>/<n>) and an ECB+ topic's two
    # look-alike events (ecb+/<topic>_<n>ecb...): one event never sits on both sides.
    if article.id.startswith(("basil/", "multi-news/")):
        return article.id.rsplit("/", 1)[0]
    if article.id.startswith("ecb+/"):
        return article.id.split("_", 1)[0]
    return article.id


def spanish_articles() -> list[LabelledArticle]:
    found = []
    for line in (CORPORA / "es-crisis-even" / "crisis-es-even.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        paragraphs = tuple(p for p in record["text"].split("\n") if p.strip())
        found.append(LabelledArticle(record["id"], record["title"], paragraphs, (record["label"],)))
    return found


def bbc_articles() -> list[LabelledArticle]:
    root = CORPORA / "bbc-news-summary" / "articles"
    return [a for n, a in enumerate(read_category_folders(root)) if n % 4 == 0]


def as_feed_item(article: LabelledArticle) -> LabelledArticle:
    """The article as a feed item shows it: its headline and its first body sentence."""
    first = sentences_of(article.paragraphs)[:1]
    return replace(article, paragraphs=tuple(s.text for s in first))


def with_vocabulary(
    articles: Sequence[LabelledArticle], topics: Sequence[Topic]
) -> tuple[Topic, ...]:
    """The topics with the vocabulary a build would learn from these articles (labels unused)."""
    documents = [Document(a.id, a.title, a.paragraphs) for a in articles]
    return learned_topics(documents, topics)


def candidates(
    articles: Sequence[LabelledArticle], topics: Sequence[Topic]
) -> tuple[list[list[float]], list[int]]:
    """Every (article, topic) the matcher weighs: its features, and whether the label agrees."""
    matcher = TopicMatcher(topics, 0.1)
    slugs = {t.name.casefold(): t.slug for t in topics} | {t.slug: t.slug for t in topics}
    rows, wanted = [], []
    for article in articles:
        gold = {slugs[t.casefold()] for t in article.topics}
        sentences = sentences_of(article.paragraphs)
        for found in matcher.analyse(article.paragraphs, sentences, (article.title,)).topics:
            if found.decision is not None:
                rows.append(list(found.decision.evidence.features().values()))
                wanted.append(int(found.topic in gold))
    return rows, wanted


# The prior the fit starts from and is pulled towards: weights set by hand from what each feature
# means (headline strong, a quotation or a late first mention weak, another name against).
PRIOR = {
    "bias": -4.0,
    "headline": 2.5,
    "lede": 1.2,
    "share": 1.0,
    "weighted share": 1.0,
    "distinct keywords": 1.5,
    "sentences": 0.5,
    "quoted": -1.5,
    "vocabulary": 0.6,
    "main topic": 1.0,
    "late first mention": -1.5,
    "brief": 1.0,
    "another name": -6.0,
}


# The model's features, in the order Evidence.features() gives them.
FEATURES = tuple(Evidence(False, 0, 0.0, 0.0, 1, 0, 0, 0.0, 0.0, 0, 0.0, 0.0, False).features())


def fit(
    rows: list[list[float]], wanted: list[int], prior: np.ndarray, penalty: float = 1.0
) -> np.ndarray:
    """Logistic regression by Newton's method, a maximum a posteriori fit under a Gaussian
    prior centred on ``prior`` (bias first, then the weights): a feature the labels say little
    about (few quotations, few briefs) keeps its prior weight instead of drifting to zero."""
    x = np.hstack([np.ones((len(rows), 1)), np.array(rows)])
    y = np.array(wanted, dtype=float)
    w = prior.astype(float).copy()
    ridge = penalty * np.eye(x.shape[1])
    ridge[0, 0] = 0.0
    for _ in range(200):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + ridge @ (w - prior)
        hessian = (x.T * (p * (1 - p))) @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        # Damped: a Newton step from far away can overshoot where the likelihood is flat.
        step *= min(1.0, 1.0 / max(1e-12, float(np.abs(step).max())))
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def report(
    name: str,
    articles: Sequence[LabelledArticle],
    topics: Sequence[Topic],
    stories: StorySettings | None = None,
) -> None:
    matcher = TopicMatcher(topics, 0.1)
    evaluation = evaluate_articles(articles, matcher, stories=stories)
    print(f"== {name}: {len(articles)} articles")
    print(format_evaluation(evaluation, {t.slug: t.name for t in topics}))
    titles = {a.id: a.title for a in articles}
    for item in evaluation.errors[:25]:
        print(f"  {item.id}: gold {sorted(item.gold)} got {sorted(item.predicted)}")
        print(f"      {titles[item.id][:90]}")


def fresh_sets(
    fresh: Path | None, fresh2: Path | None, topics: Sequence[Topic]
) -> list[tuple[str, list[LabelledArticle], Sequence[Topic]]]:
    """The tune halves of the fresh sets whose page texts were given (for --fit)."""
    from topics_fresh import LABELS, fresh_articles

    found: list[tuple[str, list[LabelledArticle], Sequence[Topic]]] = []
    for texts, labels in ((fresh, LABELS), (fresh2, LABELS.with_name("fresh2-topics.yml"))):
        if texts is not None:
            found.append((labels.stem, fresh_articles(texts, "tune", False, labels), topics))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tune", "held-out"), required=True)
    parser.add_argument("--only", choices=("real", "blind", "es", "bbc"), action="append")
    parser.add_argument(
        "--stories", action="store_true", help="count an article on its story's topic pages"
    )
    parser.add_argument(
        "--brief", action="store_true", help="each article cut to its headline and lede sentence"
    )
    parser.add_argument("--fit", action="store_true", help="fit the model's weights and print them")
    parser.add_argument("--penalty", type=float, default=1.0, help="the prior's strength")
    parser.add_argument("--fresh", type=Path, help="with --fit: fresh-topics.yml's page texts")
    parser.add_argument("--fresh2", type=Path, help="with --fit: fresh2-topics.yml's page texts")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"skipped: no shared corpora at {CORPORA}", file=sys.stderr)
        return 1
    fitted_on = ("real", "es", "bbc")  # what the shipped weights were fitted on
    wanted = set(args.only or (fitted_on if args.fit else ("real", "blind", "es", "bbc")))
    sets = []
    project = load_project(REPO / "mkdocs.yml")
    shipped = project.topics
    if "real" in wanted:
        real = [a for a in labelled_articles() if side(_key(a)) == args.half]
        sets.append(("real (shipped topics)", real, shipped))
    if "blind" in wanted:
        blind = [a for a in blind_articles() if side(_key(a)) == args.half]
        sets.append((BLIND_SET, blind, shipped))
    if "es" in wanted:
        spanish = [a for a in spanish_articles() if side(a.id) == args.half]
        sets.append(("es-crisis (four crises)", spanish, SPANISH))
    if "bbc" in wanted:
        bbc_topics = load_project(REPO / "tests" / "fixtures" / "bbc-topics" / "mkdocs.yml").topics
        bbc = [a for a in bbc_articles() if side(a.id) == args.half]
        sets.append(("bbc (every fourth article)", bbc, bbc_topics))
    if args.fit:
        sets += fresh_sets(args.fresh, args.fresh2, shipped)
    if args.brief:  # the vocabulary, too, is learned from what a build of feed items reads
        sets = [(name, [as_feed_item(a) for a in items], topics) for name, items, topics in sets]
    sets = [(name, items, with_vocabulary(items, topics)) for name, items, topics in sets]
    if args.fit:
        if args.half != "tune":
            parser.error("--fit only on the tune half")
        rows: list[list[float]] = []
        labels: list[int] = []
        for _name, items, topics in sets:
            more_rows, more_labels = candidates(items, topics)
            rows += more_rows
            labels += more_labels
        w = fit(rows, labels, np.array([PRIOR[n] for n in ["bias", *FEATURES]]), args.penalty)
        print(f"{len(rows)} candidates, {sum(labels)} members; shipped bias {BIAS}")
        print(f"BIAS = {w[0]:.2f}")
        for name, value in zip(FEATURES, w[1:], strict=True):
            print(f'    "{name}": {value:.2f},')
        return 0
    grouping = project.stories if args.stories else None
    for name, items, topics in sets:
        report(name, items, topics, grouping)
        if name == BLIND_SET:
            clear = clear_ids()
            print("-- the same, borderline labels left out:")
            report(name, [a for a in items if a.id in clear], topics, grouping)
    return 0


if __name__ == "__main__":
    sys.exit(main())
