"""Analysing one article: its sentences, its summary and its topics, each with a summary.

Plain Python over the model: the pipeline runs it serially, in worker processes
(digest.analysis.parallel) or not at all for articles the summary cache already holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from digest.analysis.summary_base import Budget, Summarizer
from digest.config import DigestConfig
from digest.language import language_name
from digest.model import Article, DigestEntry, Sentence, Summary, Topic, TopicMatch

T = TypeVar("T")


def split_article(article: Article) -> tuple[Sentence, ...]:
    """Every sentence of an article with its paragraph and position, split by its language."""
    from digest.analysis.tokenizer import sentences_of

    return sentences_of(article.paragraphs, article.language or "en")


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
        from digest.analysis.summarizers import make_summarizer
        from digest.analysis.topics import TopicMatcher

        self.settings = settings
        self.summarizer: Summarizer = make_summarizer(settings.summarizer, settings.language)
        # One summarizer per other language an article is written in (its stop words, stems,
        # readability rules); English articles keep the one above.
        self._summarizers: dict[str, Summarizer] = {settings.language: self.summarizer}
        self._language = settings.language
        self.matcher = TopicMatcher(settings.topics, settings.topic_threshold)
        self._topics = {t.slug: t for t in settings.topics}

    def _summarizer_for(self, article: Article) -> Summarizer:
        from digest.analysis.summarizers import make_summarizer

        name = language_name(article.language) if article.language else self.settings.language
        if name not in self._summarizers:
            self._summarizers[name] = make_summarizer(self.settings.summarizer, name)
        return self._summarizers[name]

    def analyze(self, article: Article) -> DigestEntry:
        sentences = split_article(article)
        self.summarizer = self._summarizer_for(article)
        self._language = article.language or self.settings.language
        summary = self._summary(article, sentences)
        matches: dict[str, TopicMatch] = {}
        headline = (article.title, article.dateline or "")
        attributed = self.matcher.attribute(article.paragraphs, sentences, headline, self._language)
        for found in attributed:
            about = set(found.sentences)
            picked = [s for s in sentences if s.index in about]
            matches[found.topic] = TopicMatch(
                topic=found.topic,
                share=found.share,
                paragraphs=found.paragraphs,
                evidence=found.evidence,
                summary=self._summarize(
                    picked, article.title, self.settings.topic_budget, sentences
                ),
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
            from digest.analysis.tokenizer import split_sentences

            editor = tuple(
                Sentence(text, -1, i)
                for i, text in enumerate(
                    split_sentences(article.editor_summary, article.language or "en")
                )
            )
            return Summary(editor, "editor")
        return self._summarize(sentences, article.title, self.settings.budget)

    def _summarize(
        self,
        sentences: Sequence[Sentence],
        title: str,
        budget: Budget,
        article: Sequence[Sentence] | None = None,
    ) -> Summary:
        """A summary of `sentences` (the article's, or a topic's passage of `article`)."""
        follows = [i > 0 and sentences[i - 1].index == s.index - 1 for i, s in enumerate(sentences)]
        picked = self.summarizer.select([s.text for s in sentences], title, budget, follows)
        chosen = with_antecedents(
            [sentences[i] for i in picked], article or sentences, self._language
        )
        return Summary(chosen, self.summarizer.name)


def with_antecedents(
    picked: Sequence[Sentence], article: Sequence[Sentence], language: str = "en"
) -> tuple[Sentence, ...]:
    """The picked sentences, each that points back ("But ...", "He also ...") preceded by the
    sentence it points to, so a summary never leans on a sentence it left out.

    The digest's summarizer already avoids such picks when it can; this also covers the other
    summarizers and a topic passage made only of sentences that lean on their neighbours. A
    sentence that leans on nothing the article has (its first) is left out unless it is all
    there is. `language`: whose rules say what points back (digest.analysis.languages).
    """
    from digest.analysis.languages import points_back

    def leans(text: str) -> bool:
        return points_back(text, language)

    by_index = {s.index: s for s in article}
    kept = {s.index: s for s in picked}
    for sentence in picked:
        at = sentence.index
        # Two steps at most: "He said ... . But ... ." is a pair, a longer chain is not a summary.
        for _ in range(2):
            if not leans(by_index.get(at, sentence).text) or at - 1 in kept:
                break
            before = by_index.get(at - 1)
            if before is None:
                break
            kept[before.index] = before
            at -= 1
    ordered = [kept[i] for i in sorted(kept)]
    alone = [s for s in ordered if s.index < 0 or not leans(s.text) or s.index - 1 in kept]
    return tuple(alone or ordered)


AnalyzeMany = Callable[[Sequence[Article], AnalysisSettings], list[DigestEntry]]
# A build cache's memoize_each: computes the values of the items at the indices it is given (a
# value each, in that order), and checks that a kept value is one the computation gives.
ComputeEach = Callable[[list[int]], list[Any]]
KeptValid = Callable[[Any], bool]


class SerialAnalysis:
    """Analyses every article in this process and keeps nothing between builds: the build
    cache of a build without one (digest.store.cache.CachedAnalysis keeps everything)."""

    def __call__(
        self, articles: Sequence[Article], settings: AnalysisSettings
    ) -> list[DigestEntry]:
        analyzer = Analyzer(settings)
        return [analyzer.analyze(a) for a in articles]

    def reading_cache(self) -> None:
        """Where readings of files are kept: nowhere."""
        return None

    def story_cache(self) -> tuple[None, None, None]:
        """Story checkpoints and terms: not kept."""
        return None, None, None

    def memoize(self, name: str, inputs: Any, compute: Callable[[], T]) -> T:
        return compute()

    def recall(self, name: str, inputs: Any) -> None:
        """Nothing is kept."""
        return None

    def memoize_each(
        self, name: str, inputs: Sequence[Any], compute: ComputeEach, valid: KeptValid
    ) -> list[Any]:
        """A value per item, each computed now."""
        return compute(list(range(len(inputs))))


analyze_serially = SerialAnalysis()
