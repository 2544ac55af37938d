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

Every report puts the model beside the baseline it replaced, in the same run: the rules the
matcher applied before the model (digest/analysis/topics.py at commit 546dbde, read from the
repository's history), on the configured topics as they did, and with the learned vocabulary.

``--fit`` fits the weights on the tune halves of all three sets together; ``--cv`` chooses the
prior's strength without looking at the scores it reports: repeated 5-fold cross-validation
(folds by article id, a BASIL event whole) and leave-one-corpus-out (fit on two sets, score the
third), both on the tune halves only, scored by log-loss (a proper scoring rule: it sees a
change in confidence that F1 on 25 candidates cannot) and by F1.

    python benchmarks/topics_split.py --half tune
    python benchmarks/topics_split.py --half tune --cv --penalty 0.5 --penalty 1 --penalty 3
    python benchmarks/topics_split.py --half tune --fit --penalty 1
    python benchmarks/topics_split.py --half held-out
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from digest.analysis.tokenizer import sentences_of
from digest.analysis.topic_corpus import Document, learned_topics
from digest.analysis.topic_evidence import BIAS, Evidence
from digest.analysis.topics import TopicMatcher
from digest.evaluation.topics import (
    Labelled,
    LabelledArticle,
    evaluate_articles,
    format_evaluation,
    read_category_folders,
    score,
)
from digest.model import Topic
from digest.project import load_project

sys.path.insert(0, str(Path(__file__).resolve().parent))
from topics_real import CORPORA, REPO, labelled_articles  # noqa: E402

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
    # A BASIL event's three outlets share a key: basil/<event>/<source> -> basil/<event>.
    return article.id.rsplit("/", 1)[0] if article.id.startswith("basil/") else article.id


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


def with_vocabulary(
    articles: Sequence[LabelledArticle], topics: Sequence[Topic]
) -> tuple[Topic, ...]:
    """The topics with the vocabulary a build would learn from these articles (labels unused)."""
    documents = [Document(a.id, a.title, a.paragraphs) for a in articles]
    return learned_topics(documents, topics)


@dataclass
class Candidates:
    """Every (article, topic) the matcher weighs in one set: features, label, and what else
    decides (a passage of its own joins whatever the model says)."""

    rows: list[list[float]]
    wanted: list[int]
    groups: list[str]  # the id a fold keeps whole (a BASIL event's three articles share one)
    section: list[bool]
    support: int  # every gold label, also those no candidate carries (missed before the model)


def candidates(articles: Sequence[LabelledArticle], topics: Sequence[Topic]) -> Candidates:
    """Every (article, topic) the matcher weighs: its features, and whether the label agrees."""
    matcher = TopicMatcher(topics, 0.1)
    slugs = {t.name.casefold(): t.slug for t in topics} | {t.slug: t.slug for t in topics}
    found = Candidates([], [], [], [], 0)
    for article in articles:
        gold = {slugs[t.casefold()] for t in article.topics}
        found.support += len(gold)
        sentences = sentences_of(article.paragraphs)
        for topic in matcher.analyse(article.paragraphs, sentences, (article.title,)).topics:
            if topic.decision is not None:
                found.rows.append(list(topic.decision.evidence.features().values()))
                found.wanted.append(int(topic.topic in gold))
                found.groups.append(_key(article))
                found.section.append(topic.joined and not topic.decision.joined)
    return found


# The prior the fit starts from and is pulled towards: weights set by hand from what each feature
# means (headline strong, a quotation or a late first mention weak, another name against; a
# context word in the headline about a keyword's worth in the lede).
PRIOR = {
    "bias": -4.0,
    "headline": 2.5,
    "lede": 1.2,
    "share": 1.0,
    "weighted share": 1.0,
    "distinct keywords": 1.5,
    "quoted": -1.5,
    "vocabulary": 0.6,
    "headline vocabulary": 1.0,
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


def _fold(group: str, repeat: int, folds: int) -> int:
    return hashlib.sha256(f"{repeat}/{group}".encode()).digest()[0] % folds


def _scores(c: Candidates, log_odds: np.ndarray, keep: np.ndarray) -> tuple[float, int, int]:
    """Log-loss summed over the kept candidates, and their true and false positives (a passage
    of its own joins as in a build)."""
    y = np.array(c.wanted)[keep]
    p = 1 / (1 + np.exp(-np.clip(log_odds, -30, 30)))
    loss = -float(np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
    joined = (log_odds > 0) | np.array(c.section, dtype=bool)[keep]
    return loss, int(np.sum(joined & (y == 1))), int(np.sum(joined & (y == 0)))


def _summary(c: Candidates, loss: float, tp: int, fp: int) -> tuple[float, float]:
    """Mean log-loss per candidate, and micro-F1 over the set's labels."""
    return loss / max(1, len(c.wanted)), 2 * tp / max(1, tp + fp + c.support)


def cross_validate(
    sets: dict[str, Candidates], prior: np.ndarray, penalty: float, repeats: int = 6
) -> dict[str, dict[str, tuple[float, float]]]:
    """Out-of-sample (log-loss, F1) per set: repeated 5-fold over all sets pooled, and
    leave-one-corpus-out. Nothing here reads a held-out half."""
    x = {n: np.array(c.rows) for n, c in sets.items()}
    y = {n: np.array(c.wanted) for n, c in sets.items()}
    totals = {n: [0.0, 0, 0] for n in sets}
    for repeat in range(repeats):
        fold = {n: np.array([_fold(g, repeat, 5) for g in c.groups]) for n, c in sets.items()}
        for k in range(5):
            w = fit(
                np.vstack([x[n][fold[n] != k] for n in sets]).tolist(),
                np.concatenate([y[n][fold[n] != k] for n in sets]).tolist(),
                prior,
                penalty,
            )
            for n, c in sets.items():
                keep = fold[n] == k
                loss, tp, fp = _scores(c, w[0] + x[n][keep] @ w[1:], keep)
                totals[n] = [totals[n][0] + loss / repeats, totals[n][1] + tp, totals[n][2] + fp]
    result: dict[str, dict[str, tuple[float, float]]] = {"5-fold": {}, "leave-one-out": {}}
    for n, c in sets.items():
        loss, tp, fp = totals[n]
        result["5-fold"][n] = _summary(c, loss, round(tp / repeats), round(fp / repeats))
        others = [o for o in sets if o != n]
        w = fit(
            np.vstack([x[o] for o in others]).tolist(),
            np.concatenate([y[o] for o in others]).tolist(),
            prior,
            penalty,
        )
        everything = np.ones(len(c.wanted), dtype=bool)
        result["leave-one-out"][n] = _summary(c, *_scores(c, w[0] + x[n] @ w[1:], everything))
    return result


def rules_module() -> ModuleType | None:
    """The matcher as it was before the evidence model (its rules), from git history."""
    try:
        source = subprocess.run(
            ["git", "show", f"{RULES_COMMIT}:digest/analysis/topics.py"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "topics_rules.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("topics_rules", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules["topics_rules"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


# The last commit whose matcher decided by rules (digest/analysis/topics.py before 99d19ee).
RULES_COMMIT = "546dbdec4794fd1e9023a4e2f545801eb29ef741"


def rules_f1(
    rules: ModuleType, articles: Sequence[LabelledArticle], topics: Sequence[Topic]
) -> tuple[float, int, int]:
    """The rules' micro-F1 on these articles, and their hard negatives kept off every page."""
    matcher = rules.TopicMatcher(topics, 0.1)
    slugs = {t.name.casefold(): t.slug for t in topics} | {t.slug: t.slug for t in topics}
    items = []
    for a in articles:
        found = matcher.attribute(a.paragraphs, sentences_of(a.paragraphs), (a.title,))
        gold = frozenset(slugs[t.casefold()] for t in a.topics)
        items.append(Labelled(a.id, gold, frozenset(f.topic for f in found)))
    evaluation = score(items, [t.slug for t in topics], "article")
    negatives = evaluation.hard_negatives
    return evaluation.micro.f1, len(negatives), sum(not i.predicted for i in negatives)


def report(
    name: str,
    articles: Sequence[LabelledArticle],
    topics: Sequence[Topic],
    configured: Sequence[Topic],
    rules: ModuleType | None,
) -> None:
    matcher = TopicMatcher(topics, 0.1)
    evaluation = evaluate_articles(articles, matcher)
    print(f"== {name}: {len(articles)} articles")
    print(format_evaluation(evaluation, {t.slug: t.name for t in topics}))
    if rules is None:
        print("rules baseline: skipped (no git history to read it from)")
    else:
        for label, given in (("configured topics", configured), ("learned vocabulary", topics)):
            f1, negatives, off = rules_f1(rules, articles, given)
            print(f"rules baseline ({label}): micro-F1 {f1:.3f}", end="")
            print(f", hard negatives {off} of {negatives} off" if negatives else "")
        print(f"evidence model: micro-F1 {evaluation.micro.f1:.3f}")
    titles = {a.id: a.title for a in articles}
    for item in evaluation.errors[:25]:
        print(f"  {item.id}: gold {sorted(item.gold)} got {sorted(item.predicted)}")
        print(f"      {titles[item.id][:90]}")


def labelled_sets(half: str, wanted: set[str]) -> list[tuple[str, list[LabelledArticle], tuple]]:
    """(name, articles, configured topics) of each wanted set, on one half."""
    sets: list[tuple[str, list[LabelledArticle], tuple]] = []
    if "real" in wanted:
        shipped = load_project(REPO / "mkdocs.yml").topics
        real = [a for a in labelled_articles() if side(_key(a)) == half]
        sets.append(("real (shipped topics)", real, shipped))
    if "es" in wanted:
        spanish = [a for a in spanish_articles() if side(a.id) == half]
        sets.append(("es-crisis (four crises)", spanish, SPANISH))
    if "bbc" in wanted:
        bbc_topics = load_project(REPO / "tests" / "fixtures" / "bbc-topics" / "mkdocs.yml").topics
        bbc = [a for a in bbc_articles() if side(a.id) == half]
        sets.append(("bbc (every fourth article)", bbc, bbc_topics))
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tune", "held-out"), required=True)
    parser.add_argument("--only", choices=("real", "es", "bbc"), action="append")
    parser.add_argument("--fit", action="store_true", help="fit the model's weights and print them")
    parser.add_argument("--cv", action="store_true", help="cross-validate each --penalty")
    parser.add_argument(
        "--penalty", type=float, action="append", help="the prior's strength [default: 1]"
    )
    parser.add_argument(
        "--without", action="append", choices=FEATURES, help="with --cv: leave a feature out"
    )
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"skipped: no shared corpora at {CORPORA}", file=sys.stderr)
        return 1
    if (args.fit or args.cv) and args.half != "tune":
        parser.error("--fit and --cv only on the tune half")
    penalties = args.penalty or [1.0]
    sets = [
        (name, items, with_vocabulary(items, topics), topics)
        for name, items, topics in labelled_sets(args.half, set(args.only or ("real", "es", "bbc")))
    ]
    prior = np.array([PRIOR[n] for n in ["bias", *FEATURES]])
    found = {name.split()[0]: candidates(items, topics) for name, items, topics, _ in sets}
    if args.cv:
        kept = [i for i, n in enumerate(FEATURES) if n not in (args.without or ())]
        prior = prior[[0, *(i + 1 for i in kept)]]
        for c in found.values():
            c.rows = [[row[i] for i in kept] for row in c.rows]
        for penalty in penalties:
            for scheme, scores in cross_validate(found, prior, penalty).items():
                shown = ", ".join(f"{n} {ll:.3f}/{f1:.3f}" for n, (ll, f1) in scores.items())
                mean = np.mean([ll for ll, _ in scores.values()])
                print(f"penalty {penalty:g} {scheme}: log-loss/F1 {shown}; mean {mean:.3f}")
        return 0
    if args.fit:
        rows = [row for c in found.values() for row in c.rows]
        labels = [label for c in found.values() for label in c.wanted]
        w = fit(rows, labels, prior, penalties[0])
        print(f"{len(rows)} candidates, {sum(labels)} members; shipped bias {BIAS}")
        print(f"BIAS = {w[0]:.2f}")
        for name, value in zip(FEATURES, w[1:], strict=True):
            print(f'    "{name}": {value:.2f},')
        return 0
    rules = rules_module()
    for name, items, topics, configured in sets:
        report(name, items, topics, configured, rules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
