"""Scoring configured topics against labelled data: precision, recall and F1 per topic.

Three label formats, picked by what LABELS is:

- a YAML file like ``shared/seed/labels.yml``: one article's paragraphs, each named by the words
  it starts with and the topics it is about; scored per paragraph;
- a JSONL file, one article per line: ``{"title": ..., "text": ..., "topics": [...]}``; scored
  per article (blank lines in ``text`` separate paragraphs);
- a folder of category folders (``business/001.txt``, ...): every file is an article whose one
  topic is its folder's name, as in the BBC News corpus; scored per article.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from digest.analysis.analyzer import split_article
from digest.analysis.tokenizer import sentences_of
from digest.analysis.topics import TopicMatcher
from digest.evaluation.jsonl import UNDATED, json_objects, labelled_date
from digest.model import Article, StorySettings, Topic
from digest.sources.files import ArticleError, ContentReader
from digest.sources.text import paragraphs_of
from digest.wording import counted

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown")


class LabelError(ValueError):
    """The labels cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Labelled:
    """One scored unit (a paragraph or an article): its id, gold topics and predicted topics."""

    id: str
    gold: frozenset[str]
    predicted: frozenset[str]


@dataclass(frozen=True)
class TopicScore:
    topic: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass(frozen=True)
class Evaluation:
    """Scores per topic and over all topics (micro-averaged), plus every unit's outcome."""

    unit: str  # "paragraph" or "article"
    scores: tuple[TopicScore, ...]
    micro: TopicScore
    items: tuple[Labelled, ...]

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def errors(self) -> tuple[Labelled, ...]:
        return tuple(i for i in self.items if i.gold != i.predicted)

    @property
    def hard_negatives(self) -> tuple[Labelled, ...]:
        """The units labelled with no topic: each should be on no topic page."""
        return tuple(i for i in self.items if not i.gold)


def score(items: Sequence[Labelled], topics: Iterable[str], unit: str) -> Evaluation:
    """Precision, recall and F1 per topic for multi-label predictions."""
    scores = []
    for topic in topics:
        tp = sum(1 for i in items if topic in i.gold and topic in i.predicted)
        fp = sum(1 for i in items if topic not in i.gold and topic in i.predicted)
        fn = sum(1 for i in items if topic in i.gold and topic not in i.predicted)
        scores.append(TopicScore(topic, tp, fp, fn))
    micro = TopicScore(
        "micro",
        sum(s.true_positives for s in scores),
        sum(s.false_positives for s in scores),
        sum(s.false_negatives for s in scores),
    )
    return Evaluation(unit, tuple(scores), micro, tuple(items))


def _slug_of(name: str, topics: Sequence[Topic], where: str) -> str:
    wanted = name.strip().casefold()
    for topic in topics:
        if wanted in (topic.name.casefold(), topic.slug):
            return topic.slug
    known = ", ".join(t.name for t in topics) or "none"
    raise LabelError(f"{where}: label {name!r} is not a configured topic (configured: {known})")


def read_article(path: Path) -> Article:
    """Read one article file as the content reader would (headline, dateline, front matter)."""
    reader = ContentReader(path.parent)
    sidecar = path.with_suffix(".yml")
    try:
        article, _warnings = reader.read_file(
            path, path.name, sidecar if sidecar.is_file() and sidecar != path else None
        )
    except ArticleError as error:
        raise LabelError(f"{path}: {error}") from None
    return article


def evaluate_paragraphs(
    labels_path: Path, matcher: TopicMatcher, article_path: Path | None = None
) -> Evaluation:
    """Score a labels.yml of one article's paragraphs."""
    try:
        raw = yaml.safe_load(labels_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise LabelError(f"{labels_path}: cannot read labels: {error}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("paragraphs"), list):
        raise LabelError(f"{labels_path}: expected a mapping with a 'paragraphs' list")
    entries = raw["paragraphs"]
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("starts"), str):
            raise LabelError(f"{labels_path}: paragraph {n + 1} needs 'starts' (text)")
        if not isinstance(entry.get("topics", []), list):
            raise LabelError(f"{labels_path}: paragraph {n + 1}: 'topics' must be a list")
    starts = [str(e["starts"]) for e in entries]
    article = (
        read_article(article_path) if article_path else _find_labelled_article(labels_path, starts)
    )
    texts = _full_paragraphs(article)
    if len(texts) != len(entries):
        raise LabelError(
            f"{labels_path}: {counted(len(entries), 'labelled paragraph')} but "
            f"{article.source_path} has {len(texts)}"
        )
    for n, (start, text) in enumerate(zip(starts, texts, strict=True)):
        if not _starts(text, start):
            raise LabelError(
                f"{labels_path}: paragraph {n + 1} should start {start!r} but starts "
                f"{text[: len(start) + 10]!r}"
            )
    headline = (article.title, article.dateline or "")
    language = article.language or "en"
    analysis = matcher.analyse(article.paragraphs, split_article(article), headline, language)
    slugs = [t.slug for t in matcher.topics]
    items = []
    for n, (entry, report) in enumerate(zip(entries, analysis.paragraphs, strict=True)):
        gold = frozenset(
            _slug_of(str(name), matcher.topics, f"{labels_path}: paragraph {n + 1}")
            for name in entry.get("topics") or ()
        )
        items.append(Labelled(f"paragraph {n + 1}", gold, frozenset(report.topics)))
    return score(items, slugs, "paragraph")


def _full_paragraphs(article: Article) -> list[str]:
    texts = list(article.paragraphs)
    if texts and article.dateline:
        texts[0] = f"{article.dateline} — {texts[0]}"
    return texts


def _normal(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def _starts(text: str, start: str) -> bool:
    return _normal(text).startswith(_normal(start)) or _normal(start).startswith(
        _normal(text)[: len(_normal(start))]
    )


def _find_labelled_article(labels_path: Path, starts: Sequence[str]) -> Article:
    folder = labels_path.parent
    for path in sorted(folder.iterdir()):
        if path.suffix not in ARTICLE_SUFFIXES or not path.is_file():
            continue
        try:
            article = read_article(path)
        except LabelError:
            continue
        texts = _full_paragraphs(article)
        if starts and texts and _starts(texts[0], starts[0]):
            return article
    raise LabelError(
        f"{labels_path}: no article in {folder} starts with {starts[0][:40]!r}; "
        "name it with --article"
        if starts
        else f"{labels_path}: no paragraphs labelled"
    )


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    title: str
    paragraphs: tuple[str, ...]
    topics: tuple[str, ...]
    # When it was published (stories group articles of nearby dates); UNDATED when not given.
    date: datetime = UNDATED


def read_jsonl(path: Path) -> Iterator[LabelledArticle]:
    """Articles of a JSONL file: {"title", "text", "topics"} per line, and optionally "date"."""
    for number, record in json_objects(path, LabelError):
        if not isinstance(record.get("text"), str):
            raise LabelError(f"{path}:{number}: each line needs a 'text' string")
        topics = record.get("topics", [])
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise LabelError(f"{path}:{number}: 'topics' must be a list of topic names")
        yield LabelledArticle(
            str(record.get("id") or f"line {number}"),
            str(record.get("title") or ""),
            tuple(paragraphs_of(record["text"])),
            tuple(topics),
            labelled_date(record, f"{path}:{number}", LabelError),
        )


def read_category_folders(root: Path) -> Iterator[LabelledArticle]:
    """Articles under ROOT/<category>/...: each file's topic is its folder's name."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(folder.rglob("*")):
            if path.suffix not in ARTICLE_SUFFIXES or not path.is_file():
                continue
            article = read_article(path)
            yield LabelledArticle(
                path.relative_to(root).as_posix(),
                article.title,
                article.paragraphs,
                (folder.name,),
            )


def evaluate_articles(
    articles: Iterable[LabelledArticle],
    matcher: TopicMatcher,
    mode: str = "passages",
    stories: StorySettings | None = None,
) -> Evaluation:
    """Score article-level labels: an article is in the topics it joins.

    With ``mode="sections"`` each article is in its one best topic, learned from all the
    articles scored together, as ``topic_mode: sections`` does in a build. With ``stories``
    the articles are grouped into stories as a build groups them, and an article counts as on
    every topic page that lists its story (``on_story_pages``): what a reader of the pages sees.
    """
    from digest.analysis.topic_corpus import (
        Document,
        TermVectors,
        assign_sections,
        learned_topics,
    )

    labelled = list(articles)
    documents = [Document(i.id, i.title, i.paragraphs) for i in labelled]
    # As a build does: topics without a configured `context:` learn their vocabulary from the
    # articles at hand (their text only, never their labels).
    topics = learned_topics(documents, matcher.topics, matcher.threshold)
    if topics != matcher.topics:
        matcher = TopicMatcher(topics, matcher.threshold)
    golds = [
        frozenset(_slug_of(t, matcher.topics, item.id) for t in item.topics) for item in labelled
    ]
    found = [
        matcher.attribute(item.paragraphs, sentences_of(item.paragraphs), (item.title,))
        for item in labelled
    ]
    if mode == "sections":
        vectors = TermVectors(documents)
        seeds = [{a.topic: a.share for a in attributions} for attributions in found]
        chosen, _profiles = assign_sections(vectors, seeds, [t.slug for t in matcher.topics])
        predicted = [frozenset({slug} if slug else ()) for slug in chosen]
    else:
        predicted = [frozenset(a.topic for a in attributions) for attributions in found]
    if stories is not None:
        predicted = on_story_pages(labelled, predicted, stories)
    items = [
        Labelled(item.id, gold, guess)
        for item, gold, guess in zip(labelled, golds, predicted, strict=True)
    ]
    return score(items, [t.slug for t in matcher.topics], "article")


def on_story_pages(
    labelled: Sequence[LabelledArticle],
    predicted: Sequence[frozenset[str]],
    settings: StorySettings,
) -> list[frozenset[str]]:
    """Each article's topics as the pages show it: a topic page lists a story when one of its
    articles is on the topic, so every article of that story is there for a reader."""
    from digest.analysis.stories import cluster_stories

    articles = [
        Article(
            source_path=str(n),
            slug=f"item-{n}",
            title=item.title,
            date=item.date,
            paragraphs=item.paragraphs,
            language="en",  # as the matcher above reads them (labelled articles are English)
        )
        for n, item in enumerate(labelled)
    ]
    shown = list(predicted)
    for story in cluster_stories(articles, settings):
        members = [int(path) for path in story.articles]
        together = frozenset().union(*(predicted[n] for n in members))
        for n in members:
            shown[n] = together
    return shown


def evaluate(
    labels: Path,
    matcher: TopicMatcher,
    article_path: Path | None = None,
    mode: str = "passages",
    stories: StorySettings | None = None,
) -> Evaluation:
    """Score the matcher against LABELS, whichever of the three formats it is (``stories``:
    as a reader meets the pages, see evaluate_articles; articles only)."""
    if labels.is_dir():
        return evaluate_articles(read_category_folders(labels), matcher, mode, stories)
    if labels.suffix == ".jsonl":
        return evaluate_articles(read_jsonl(labels), matcher, mode, stories)
    if labels.suffix in (".yml", ".yaml"):
        return evaluate_paragraphs(labels, matcher, article_path)
    raise LabelError(
        f"{labels}: expected a labels .yml, a .jsonl of articles or a folder of category folders"
    )


def format_evaluation(evaluation: Evaluation, names: dict[str, str]) -> str:
    """A plain-text table: precision, recall, F1 and support per topic, then micro and macro."""
    width = max([len("micro")] + [len(names.get(s.topic, s.topic)) for s in evaluation.scores])
    lines = [f"{'topic':<{width}}  precision  recall     f1  support"]
    for s in (*evaluation.scores, evaluation.micro):
        name = names.get(s.topic, s.topic)
        lines.append(
            f"{name:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {s.support:7d}"
        )
    lines.append(f"{'macro F1':<{width}}  {'':9}  {'':6}  {evaluation.macro_f1:5.3f}")
    lines.append(
        f"{counted(len(evaluation.items), evaluation.unit)}, {len(evaluation.errors)} wrong"
    )
    negatives = evaluation.hard_negatives
    if negatives:
        placed = [i for i in negatives if i.predicted]
        lines.append(
            f"hard negatives (labelled with no topic): {len(negatives)}, "
            f"{len(negatives) - len(placed)} off every topic page"
        )
        for item in placed:
            on = ", ".join(names.get(t, t) for t in sorted(item.predicted))
            lines.append(f"  on a topic page: {item.id} ({on})")
    return "\n".join(lines)
