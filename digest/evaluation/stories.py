"""Scoring stories against labelled events: BCubed precision, recall and F1.

Labels are JSON Lines, one article a line, as in ``shared/corpora/basil-events/``: ``event``
(articles with the same value report the same event), ``title``, ``text`` (paragraphs
separated by blank lines), and optionally ``date``, ``source`` and ``url``.

BCubed (Bagga and Baldwin 1998; Amigó et al. 2009) scores each article: precision is the share
of its story that reports its event, recall the share of its event that is in its story; both
are averaged over articles. Unlike pairwise scores, a big wrong story costs in proportion to the
articles it misleads, and a singleton is not free.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta, timezone
from pathlib import Path

from digest.evaluation.jsonl import EvaluationError, json_objects, labelled_date
from digest.model import Article, Story, StorySettings
from digest.sources.text import paragraphs_of


@dataclass(frozen=True)
class LabelledArticle:
    article: Article
    event: str
    # A group of events kept together when cross-validating (ECB+'s `topic`: the two look-alike
    # events of a topic must fall in the same half); the event itself when there is none.
    group: str = ""


@dataclass(frozen=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(truth: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> BCubed:
    """BCubed precision and recall of a clustering; both map every item to its cluster."""
    if set(truth) != set(predicted):
        raise ValueError("truth and prediction must cover the same items")
    if not truth:
        return BCubed(1.0, 1.0)
    pair_sizes = Counter((truth[i], predicted[i]) for i in truth)
    event_sizes = Counter(truth.values())
    story_sizes = Counter(predicted.values())
    precision = recall = 0.0
    for item in truth:
        both = pair_sizes[(truth[item], predicted[item])]
        precision += both / story_sizes[predicted[item]]
        recall += both / event_sizes[truth[item]]
    return BCubed(precision / len(truth), recall / len(truth))


def read_labels(path: Path) -> list[LabelledArticle]:
    """Articles and their events from a JSON Lines file (see the module docstring)."""
    found: list[LabelledArticle] = []
    for number, raw in json_objects(path, EvaluationError):
        where = f"{path}:{number}"
        # ECB+ names its gold stories `cluster`; BASIL names its events `event`.
        if "event" not in raw and "cluster" in raw:
            raw = {**raw, "event": raw["cluster"]}
        for key in ("event", "title", "text"):
            if not isinstance(raw.get(key), (str, int)) or not str(raw[key]).strip():
                raise EvaluationError(f"{where}: needs a non-empty {key!r} (or 'cluster')")
        date = labelled_date(raw, where, EvaluationError)
        article = Article(
            source_path=f"{path.name}:{number}",
            slug=f"line-{number}",
            title=" ".join(str(raw["title"]).split()),
            date=date,
            paragraphs=tuple(paragraphs_of(str(raw["text"]))),
            source=str(raw["source"]) if raw.get("source") else None,
            url=str(raw["url"]) if raw.get("url") else None,
        )
        group = str(raw.get("topic", raw["event"]))
        found.append(LabelledArticle(article, str(raw["event"]), group))
    if not found:
        raise EvaluationError(f"{path}: no labelled articles")
    return found


def within_days(
    labelled: Sequence[LabelledArticle], days: int, salt: str = ""
) -> list[LabelledArticle]:
    """The same articles with their dates moved into `days` days from the earliest one.

    Each article gets a day and hour from a hash of its title, so articles of one event land on
    different days and events of different years share days: the dates cannot tell events
    apart, as in a real digest that holds many events of one week on the same subjects. A
    different `salt` gives another such week.
    """
    if not labelled:
        return []
    start = min(item.article.date for item in labelled).astimezone(timezone.utc)
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    moved = []
    for item in labelled:
        digest = hashlib.sha256((salt + item.article.title).encode("utf-8")).digest()
        hours = int.from_bytes(digest[:4], "big") % (days * 24)
        article = replace(item.article, date=start + timedelta(hours=hours))
        moved.append(replace(item, article=article))
    return moved


def score_stories(labelled: Sequence[LabelledArticle], stories: Sequence[Story]) -> BCubed:
    truth = {item.article.source_path: item.event for item in labelled}
    predicted = {path: story.id for story in stories for path in story.articles}
    return bcubed(truth, predicted)


def evaluate(labelled: Sequence[LabelledArticle], settings: StorySettings) -> BCubed:
    """Cluster the labelled articles with `settings` and score the stories."""
    from digest.analysis.stories import cluster_stories

    return score_stories(labelled, cluster_stories([item.article for item in labelled], settings))


def baseline_links(labelled: Sequence[LabelledArticle]) -> list[tuple[int, int, float]]:
    """The cosine of every pair under a plain tf-idf: lowercased words less English stop
    words, (1 + log tf) x idf over the labelled articles. The baseline clusters these."""
    import numpy as np

    from digest.analysis.stories import _stop_words
    from digest.analysis.tokenizer import split_words

    stop = _stop_words()
    counts = []
    for item in labelled:
        text = " ".join((item.article.title, *item.article.paragraphs)).lower()
        counts.append(Counter(w for w in split_words(text) if w not in stop and len(w) > 1))
    df = Counter(term for count in counts for term in count)
    column = {term: n for n, term in enumerate(sorted(df))}
    matrix = np.zeros((len(counts), len(column)))
    for row, count in enumerate(counts):
        for term, times in count.items():
            idf = np.log((len(counts) + 1) / (df[term] + 1)) + 1
            matrix[row, column[term]] = (1 + np.log(times)) * idf
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True).clip(min=1e-12)
    cosines = matrix @ matrix.T
    size = len(counts)
    return [(i, j, float(cosines[i, j])) for i in range(size) for j in range(i + 1, size)]


def baseline_stories(
    labelled: Sequence[LabelledArticle], links: Sequence[tuple[int, int, float]], threshold: float
) -> list[Story]:
    """Plain tf-idf average-link clustering (every pair, UPGMA) down to `threshold`."""
    from digest.analysis.stories import average_link

    stories = []
    for members in average_link(len(labelled), links, threshold):
        first = labelled[members[0]].article
        stories.append(
            Story(
                id=first.slug,
                title=first.title,
                articles=tuple(labelled[i].article.source_path for i in members),
                start=first.date,
                end=first.date,
            )
        )
    return stories


def halves(labelled: Sequence[LabelledArticle]) -> tuple[list[int], list[int]]:
    """Two halves of the articles for cross-validation, whole groups (topics) at a time,
    alternating in the groups' sorted order."""
    groups = sorted({item.group for item in labelled}, key=_natural)
    first = {g for n, g in enumerate(groups) if n % 2 == 0}
    one = [i for i, item in enumerate(labelled) if item.group in first]
    other = [i for i, item in enumerate(labelled) if item.group not in first]
    return one, other


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)
