"""The pipeline: read articles, summarize them, attribute topics, group them into a Digest.

Plain Python: the MkDocs plugin and the CLI both call ``build_digest``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from digest.analysis.stories import stories_for
from digest.cleanup import Boilerplate
from digest.config import DigestConfig
from digest.model import (
    Article,
    Digest,
    DigestEntry,
    Problem,
    Sentence,
    Summary,
    Topic,
    TopicDigest,
    TopicMatch,
    TopicSuggestion,
)
from digest.readers import ContentReader, resolve_timezone
from digest.summarize import Budget

if TYPE_CHECKING:
    from digest.parallel import Progress
    from digest.summarize import Summarizer

# The analysing modules (sumy, NLTK, SciPy, the Punkt model: seconds to import) load only when
# an article needs analysing: a build served from the summary cache never imports them.


def source_date_epoch() -> datetime | None:
    """The build time reproducible builds ask for, if SOURCE_DATE_EPOCH is set."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"SOURCE_DATE_EPOCH={value!r} is not a Unix time in seconds") from None


def split_article(article: Article) -> tuple[Sentence, ...]:
    """Every sentence of an article with its paragraph and position."""
    from digest.tokenizer import sentences_of

    return sentences_of(article.paragraphs)


@dataclass(frozen=True)
class AnalysisSettings:
    """What decides an entry's summaries and topics (and so keys the summary cache)."""

    summarizer: str
    budget: Budget
    topic_budget: Budget
    topics: tuple[Topic, ...]
    topic_threshold: float
    language: str = "english"

    @classmethod
    def from_config(cls, config: DigestConfig) -> AnalysisSettings:
        if config.summary_words:
            budget = Budget(sentences=None, words=config.summary_words)
        else:
            budget = Budget(sentences=config.summary_sentences)
        return cls(
            summarizer=config.summarizer,
            budget=budget,
            topic_budget=Budget(sentences=config.topic_summary_sentences),
            topics=config.topics,
            topic_threshold=config.topic_threshold,
        )


class Analyzer:
    """Summarizes one article and attributes its topics; holds the reusable models."""

    def __init__(self, settings: AnalysisSettings) -> None:
        from digest.summarize import make_summarizer
        from digest.topics import TopicMatcher

        self.settings = settings
        self.summarizer: Summarizer = make_summarizer(settings.summarizer, settings.language)
        self.matcher = TopicMatcher(settings.topics, settings.topic_threshold)
        self._topics = {t.slug: t for t in settings.topics}

    def analyze(self, article: Article) -> DigestEntry:
        sentences = split_article(article)
        summary = self._summary(article, sentences)
        matches: dict[str, TopicMatch] = {}
        headline = (article.title, article.dateline or "")
        for found in self.matcher.attribute(article.paragraphs, sentences, headline):
            about = set(found.sentences)
            picked = [s for s in sentences if s.index in about]
            matches[found.topic] = TopicMatch(
                topic=found.topic,
                share=found.share,
                paragraphs=found.paragraphs,
                evidence=found.evidence,
                summary=self._summarize(picked, article.title, self.settings.topic_budget),
                continued=found.continued,
                lead=found.lead,
                context=found.context,
            )
        for key in article.forced_topics:
            topic = self._find_topic(key)
            if topic is None or topic.slug in matches:
                continue
            matches[topic.slug] = TopicMatch(
                topic=topic.slug,
                share=0.0,
                paragraphs=(),
                evidence=(),
                forced=True,
                summary=summary,
            )
        for slug, match in list(matches.items()):
            if any(self._find_topic(k) == self._topics[slug] for k in article.forced_topics):
                matches[slug] = replace(match, forced=True)
        ordered = tuple(matches[t.slug] for t in self.settings.topics if t.slug in matches)
        return DigestEntry(article=article, sentences=sentences, summary=summary, topics=ordered)

    def _find_topic(self, key: str) -> Topic | None:
        wanted = key.strip().casefold()
        for topic in self.settings.topics:
            if wanted in (topic.name.casefold(), topic.slug):
                return topic
        return None

    def _summary(self, article: Article, sentences: Sequence[Sentence]) -> Summary:
        if article.editor_summary:
            from digest.tokenizer import split_sentences

            editor = tuple(
                Sentence(text, -1, i)
                for i, text in enumerate(split_sentences(article.editor_summary))
            )
            return Summary(editor, "editor")
        return self._summarize(sentences, article.title, self.settings.budget)

    def _summarize(self, sentences: Sequence[Sentence], title: str, budget: Budget) -> Summary:
        follows = [i > 0 and sentences[i - 1].index == s.index - 1 for i, s in enumerate(sentences)]
        picked = self.summarizer.select([s.text for s in sentences], title, budget, follows)
        return Summary(tuple(sentences[i] for i in picked), self.summarizer.name)


def unknown_forced_topics(articles: Iterable[Article], topics: Sequence[Topic]) -> list[Problem]:
    """Front matter that names a topic the config does not have: say so, per file."""
    keys = {t.name.casefold() for t in topics} | {t.slug for t in topics}
    problems = []
    for article in articles:
        for key in article.forced_topics:
            if key.strip().casefold() not in keys:
                known = ", ".join(t.name for t in topics) or "none configured"
                problems.append(
                    Problem(
                        article.source_path,
                        f"front matter names unknown topic {key!r} (configured: {known})",
                        "warning",
                    )
                )
    return problems


def newest_first(entries: Iterable[DigestEntry]) -> tuple[DigestEntry, ...]:
    return tuple(sorted(entries, key=lambda e: (-e.article.date.timestamp(), e.article.slug)))


def group(
    entries: Sequence[DigestEntry],
    topics: Sequence[Topic],
    problems: Sequence[Problem] = (),
) -> Digest:
    """Group analysed entries by topic (newest first); entries with no topic go to Other."""
    ordered = newest_first(entries)
    topic_digests = tuple(
        TopicDigest(topic, tuple(e for e in ordered if e.match(topic.slug) is not None))
        for topic in topics
    )
    other = tuple(e for e in ordered if not e.topics)
    updated = source_date_epoch()
    if updated is None and ordered:
        updated = max(e.article.date for e in ordered).astimezone(timezone.utc)
    return Digest(
        entries=ordered,
        topics=topic_digests,
        other=other,
        problems=tuple(problems),
        updated=updated,
    )


AnalyzeMany = Callable[[Sequence[Article], AnalysisSettings], list[DigestEntry]]


def analyze_serially(articles: Sequence[Article], settings: AnalysisSettings) -> list[DigestEntry]:
    analyzer = Analyzer(settings)
    return [analyzer.analyze(a) for a in articles]


def cached_analysis(config: DigestConfig, progress: Progress | None = None) -> AnalyzeMany:
    """How site builds analyse: unchanged articles from the summary cache, the rest in parallel."""
    from digest.cache import CachedAnalysis

    return CachedAnalysis(config.cache_dir, config.workers, progress)


# Topic suggestions look at this many of the newest stories.
SUGGESTION_WINDOW = 500


def _suggestions(digest: Digest, config: DigestConfig) -> tuple[TopicSuggestion, ...]:
    from digest.topic_corpus import suggestions_for  # numpy and sumy: only when needed

    return suggestions_for(digest, config) if digest.other else ()


def boilerplate_of(config: DigestConfig) -> Boilerplate:
    """The furniture rules for a config: the built-in ones and the user's `boilerplate`."""
    return Boilerplate(tuple(re.compile(p) for p in config.boilerplate))


def build_digest(config: DigestConfig, analyze_many: AnalyzeMany | None = None) -> Digest:
    """Read content/, analyse every article, and group the results into a Digest."""
    tz = resolve_timezone(config.timezone)
    # Only for the "date lies in the future" warning; never written into the output.
    now = datetime.now(timezone.utc)
    reader = ContentReader(
        config.content_dir, tz, config.include_drafts, now, boilerplate_of(config)
    )
    read = reader.read_all()
    problems = list(read.problems)
    if not config.content_dir.is_dir():
        problems.append(Problem(str(config.content_dir), "content folder does not exist"))
    problems.extend(unknown_forced_topics(read.articles, config.topics))
    settings = AnalysisSettings.from_config(config)
    entries = (analyze_many or analyze_serially)(read.articles, settings)
    if config.topic_mode == "sections":
        from digest.topic_corpus import sections_of

        entries = sections_of(entries, config.topics)
    digest = group(entries, config.topics, problems)
    memoize = getattr(analyze_many, "memoize", None)
    digest = replace(digest, stories=stories_for(digest.entries, config.stories, memoize))
    if config.topic_suggestions > 0 and digest.other:
        # Suggestions cluster a dense stories × words matrix: the newest stories bound its size
        # (memory and time), and clustering takes seconds, so unchanged content reuses it.
        recent = digest.entries[:SUGGESTION_WINDOW]
        slugs = {e.article.slug for e in recent}
        found = replace(
            digest, entries=recent, other=tuple(e for e in digest.other if e.article.slug in slugs)
        )
        inputs = [
            [config.topic_suggestions, config.topic_threshold, repr(config.topics)],
            [[e.article.slug, e.article.title, e.article.paragraphs] for e in found.entries],
            [e.article.slug for e in found.other],
        ]
        suggestions = (
            memoize("suggestions", inputs, lambda: _suggestions(found, config))
            if memoize is not None
            else _suggestions(found, config)
        )
        digest = replace(digest, suggestions=suggestions)
    return digest
