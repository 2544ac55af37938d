"""The pipeline: read articles, summarize them, attribute topics, group them into a Digest.

Plain Python: the MkDocs plugin and the CLI both call ``build_digest``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone, tzinfo
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from digest.analysis.analyzer import (
    AnalysisSettings,
    AnalyzeMany,
    Analyzer,
    ComputeEach,
    KeptValid,
    analyze_serially,
    split_article,
)
from digest.analysis.parallel import Background, Lookahead, one_blas_thread
from digest.analysis.stories import stories_of
from digest.config import DigestConfig, resolve_timezone, source_date_epoch
from digest.memory import give_back_free_memory
from digest.model import (
    Article,
    Digest,
    DigestEntry,
    Problem,
    Topic,
    TopicDigest,
    TopicSuggestion,
)
from digest.sources.cleanup import Boilerplate
from digest.sources.files import ContentReader, ReadMemo
from digest.store.collector import paused_collector
from digest.store.fingerprint import hash_texts
from digest.wording import counted

if TYPE_CHECKING:
    from digest.analysis.parallel import Progress
    from digest.store.cache import CachedAnalysis

# Re-exported: callers of the pipeline (the CLI, the MkDocs adapter, users' scripts) import the
# analysis settings and the serial analysis from here.
__all__ = [
    "AnalysisSettings",
    "AnalyzeMany",
    "Analyzer",
    "analysed_digest",
    "analyze_serially",
    "BuildCache",
    "boilerplate_of",
    "build_digest",
    "cached_analysis",
    "group",
    "newest_first",
    "source_date_epoch",
    "split_article",
    "unknown_forced_topics",
]

T = TypeVar("T")

# The analysing modules (sumy, NLTK, SciPy, the Punkt model: seconds to import) load only when
# an article needs analysing: a build served from the summary cache never imports them.


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


def with_site_language(articles: Sequence[Article], site_language: str) -> list[Article]:
    """Articles whose language neither front matter nor their text tells take the site's."""
    from digest.language import language_tag

    site = language_tag(site_language) or "en"
    return [a if a.language else replace(a, language=site) for a in articles]


def newest_first(entries: Iterable[DigestEntry]) -> tuple[DigestEntry, ...]:
    """Newest first by the day each article shows (its own date, in its own time zone), then
    by the instant: by the instant alone, "31 May" (23:00 UTC) would list above "1 June"
    (00:30 in Moscow, 21:30 UTC the day before) under the same day headings."""
    return tuple(
        sorted(
            entries,
            key=lambda e: (
                -e.article.date.toordinal(),
                -e.article.date.timestamp(),
                e.article.slug,
            ),
        )
    )


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


def cached_analysis(
    config: DigestConfig, progress: Progress | None = None, in_memory: bool = False
) -> CachedAnalysis:
    """How site builds analyse: unchanged articles from the summary cache, the rest in parallel.

    in_memory: keep this build's entries and per-article values in the process for the next
    build too (`mkdocs serve`); a one-off build would only hold them until it exits, 100,000
    articles' story terms and vocabulary parts included."""
    from digest.store.cache import CachedAnalysis
    from digest.store.read_ahead import read_ahead

    if config.cache_dir is not None and not in_memory:  # `serve` rebuilds: read already
        read_ahead(config.cache_dir)
    return CachedAnalysis(config.cache_dir, config.workers, progress, use_memory=in_memory)


def analysed_digest(
    config: DigestConfig, show_progress: bool = True, in_memory: bool = False
) -> tuple[Digest, str]:
    """The digest, summaries from the cache where unchanged (a progress bar for long runs when
    show_progress), and a line saying how many articles were summarized and how many came
    from the cache (see cached_analysis for in_memory)."""
    from digest.analysis.parallel import progress_bar

    with progress_bar() as progress:
        cache = cached_analysis(config, progress if show_progress else None, in_memory)
        digest = build_digest(config, cache)
    stats = cache.stats
    told = (
        f"{counted(stats.articles, 'article')}: {stats.analysed} summarized, "
        f"{stats.from_memory + stats.from_file} from the cache"
    )
    return digest, told


# Topic suggestions look at this many of the newest stories.
SUGGESTION_WINDOW = 500


def _suggestions(digest: Digest, config: DigestConfig) -> tuple[TopicSuggestion, ...]:
    from digest.analysis.topic_corpus import suggestions_for  # numpy and sumy: only when needed

    return suggestions_for(digest, config) if digest.other else ()


def boilerplate_of(config: DigestConfig) -> Boilerplate:
    """The furniture rules for a config: the built-in ones and the user's `boilerplate`."""
    return Boilerplate(tuple(re.compile(p) for p in config.boilerplate))


class BuildCache(Protocol):
    """How a build analyses articles and what it keeps for the next build, passed to
    build_digest: digest.store.cache.CachedAnalysis keeps everything in cache_dir (site
    builds); analyze_serially keeps nothing."""

    def __call__(
        self, articles: Sequence[Article], settings: AnalysisSettings
    ) -> list[DigestEntry]: ...

    def reading_cache(self) -> tuple[Path | None, bool] | None:
        """(cache folder, whether in memory too) where readings of files are kept, or None."""

    def story_cache(self) -> tuple[Any, Any, Any]:
        """stories_of's load, save and memoize_each (None each: nothing kept)."""

    def memoize(self, name: str, inputs: Any, compute: Callable[[], T]) -> T:
        """compute(), or what it gave for the same inputs before."""

    def recall(self, name: str, inputs: Any) -> Any | None:
        """What memoize keeps for the same inputs, or None."""

    def memoize_each(
        self, name: str, inputs: Sequence[Any], compute: ComputeEach, valid: KeptValid
    ) -> list[Any]:
        """A value per item: the one kept for the same item inputs, else compute's."""


def _read_memo(cache: BuildCache, tz: tzinfo, boilerplate: Boilerplate) -> ReadMemo | None:
    """Where a build keeps what reading each file gave: a caching build keeps it beside its
    summaries, so unchanged files are not read again."""
    place = cache.reading_cache()
    if place is None:
        return None
    from digest.store.read_cache import ReadCache

    cache_dir, use_memory = place
    return ReadCache(cache_dir, tz, boilerplate, use_memory=use_memory)


# Articles a learned topic vocabulary is read from at a time (see _learned).
LEARN_BLOCK = 1024


def _learned(
    articles: Sequence[Article], config: DigestConfig, cache: BuildCache
) -> tuple[Topic, ...]:
    """The topics, those without a configured `context:` with the vocabulary their clear
    members in the content folder use (each article's part cached like its summary).

    The vocabulary is part of every article's analysis key, so it is learned from the oldest
    articles in whole blocks (learning_span): a day's new articles leave it, and so every kept
    summary, as it was; a folder smaller than one block learns from all of it."""
    from digest.analysis.topic_corpus import Document, learned_topics  # numpy: only when needed

    oldest_first = sorted(articles, key=lambda a: (a.date, a.source_path))
    oldest_first = oldest_first[: learning_span(len(oldest_first))]
    documents = [Document(a.slug, a.title, a.paragraphs, a.language or "en") for a in oldest_first]
    # The same documents learn the same vocabularies: a build whose blocks are unchanged (most
    # days) takes them as they were, without reading every article's part again.
    texts = [hash_texts([d.language, d.title, d.paragraphs]) for d in documents]

    def learn() -> tuple[tuple[str, ...], ...]:
        topics = learned_topics(
            documents,
            config.topics,
            config.topic_threshold,
            cache.memoize_each,
            config.workers,
            digests=texts,
        )
        return tuple(t.context for t in topics)

    inputs = [repr(config.topics), config.topic_threshold, texts]
    words = cache.memoize("learned-vocabularies", inputs, learn)
    if not _vocabularies_for(words, config.topics):  # the cache is not trusted: its shape
        words = learn()
    pairs = zip(config.topics, words, strict=True)
    return tuple(t if t.context else replace(t, context=w) for t, w in pairs)


def learning_span(count: int) -> int:
    """How many of `count` articles, oldest first, topic vocabularies are learned from: a
    number of whole LEARN_BLOCKs that is a power of two (all of them below one block).

    A new vocabulary analyses every article again (it is in every analysis key). Learned
    again whenever a block filled up, an archive growing by 300 articles a day was analysed
    whole every three or four days. Learned again when the blocks double, growing to N
    articles analyses at most 1,024 + 2,048 + ... < 2N articles again (amortized: two
    analyses per article added, whatever the archive's size), and the vocabulary always comes
    from more than half the archive."""
    if count < LEARN_BLOCK:
        return count
    blocks = count // LEARN_BLOCK
    return LEARN_BLOCK << (blocks.bit_length() - 1)


def _vocabularies_for(value: Any, topics: Sequence[Topic]) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == len(topics)
        and all(isinstance(w, tuple) and all(isinstance(x, str) for x in w) for w in value)
    )


def build_digest(config: DigestConfig, cache: BuildCache = analyze_serially) -> Digest:
    """Read content/, analyse every article, and group the results into a Digest.

    cache: how articles are analysed and what is kept between builds (cached_analysis for a
    site build; by default nothing is kept)."""
    with one_blas_thread():
        return _build_digest(config, cache)


def _build_digest(config: DigestConfig, cache: BuildCache) -> Digest:
    tz = resolve_timezone(config.timezone)
    # Only for the "date lies in the future" warning; never written into the output.
    now = datetime.now(timezone.utc)
    boilerplate = boilerplate_of(config)
    memo = _read_memo(cache, tz, boilerplate)
    spread = partial(Lookahead, workers=config.workers)  # files over the cores, when many
    reader = ContentReader(
        config.content_dir, tz, config.include_drafts, now, boilerplate, memo, spread
    )
    with paused_collector():  # thousands of articles and problems: new objects, no garbage
        read = reader.read_all()
    give_back_free_memory()  # what reading used, and the language model
    problems = list(read.problems)
    if not config.content_dir.is_dir():
        problems.append(Problem(str(config.content_dir), "content folder does not exist"))
    problems.extend(unknown_forced_topics(read.articles, config.topics))
    articles = with_site_language(read.articles, config.language)
    # Stories need the articles, not their summaries: grouped in a process of their own
    # while this one summarizes (in a daily update, the open weeks' grouping again, beside
    # reading 100,000 kept summaries). Sections are stories' members only after analysis.
    beside_stories = None
    if config.topic_mode != "sections":
        beside_stories = Background(_stories, articles, config, cache)
    settings = AnalysisSettings.from_config(config)
    if not all(t.context for t in config.topics):
        settings = replace(settings, topics=_learned(articles, config, cache))
    entries = cache(articles, settings)
    # The entries hold their own articles (the workers' copies): the ones read go now, not
    # at the end of the build (at 100,000 articles, some 300 MB through stories and pages).
    del read, articles
    give_back_free_memory()
    if config.topic_mode == "sections":
        from digest.analysis.topic_corpus import sections_of

        entries = sections_of(entries, config.topics)
    with paused_collector():  # ordering and grouping 10,000 entries: new objects, no garbage
        digest = group(entries, config.topics, problems)
    # Suggestions need the grouping, not the stories: when they are not kept from an earlier
    # build, they are worked out in a process of their own while this one groups the stories.
    wanted = _suggestion_inputs(digest, config)
    beside = None
    if wanted is not None and cache.recall("suggestions", wanted[1]) is None:
        beside = Background(_suggestions, wanted[0], config)
    with paused_collector():
        if beside_stories is not None:
            stories = beside_stories.result()
        else:
            articles_of_entries = [e.article for e in digest.entries]
            stories = stories_of(
                articles_of_entries, config.stories, *cache.story_cache(), workers=config.workers
            )
    digest = replace(digest, stories=stories)
    give_back_free_memory()
    if wanted is not None:
        found, inputs = wanted
        work = beside.result if beside is not None else partial(_suggestions, found, config)
        digest = replace(digest, suggestions=cache.memoize("suggestions", inputs, work))
    return digest


def _stories(articles: Sequence[Article], config: DigestConfig, cache: BuildCache) -> Any:
    return stories_of(articles, config.stories, *cache.story_cache(), workers=config.workers)


def _suggestion_inputs(digest: Digest, config: DigestConfig) -> tuple[Digest, Any] | None:
    """The part of the digest topic suggestions look at, and what they depend on (None: no
    suggestions are made)."""
    if config.topic_suggestions <= 0 or not digest.other:
        return None
    # Suggestions cluster a dense stories × words matrix: the newest stories bound its size
    # (memory and time), and clustering takes seconds, so unchanged content reuses it.
    recent = digest.entries[:SUGGESTION_WINDOW]
    slugs = {e.article.slug for e in recent}
    found = replace(
        digest, entries=recent, other=tuple(e for e in digest.other if e.article.slug in slugs)
    )
    inputs = [
        [config.topic_suggestions, config.topic_threshold, repr(config.topics)],
        [
            [e.article.slug, e.article.title, e.article.paragraphs, e.article.language]
            for e in found.entries
        ],
        [e.article.slug for e in found.other],
    ]
    return found, inputs
