"""The data model: frozen dataclasses (tuples, not lists) shared by readers, pipeline, writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# An article's or topic's slug is a folder name in the site: file systems refuse names over 255
# bytes (ENAMETOOLONG stopped the whole build), and an address of 100 characters is plenty.
MAX_SLUG_CHARS = 100


@dataclass(frozen=True)
class Topic:
    """A configured topic: what signals it, and what does not."""

    name: str
    slug: str
    description: str = ""
    # Words and phrases that signal the topic (aliases, people, places).
    keywords: tuple[str, ...] = ()
    # Phrases whose topic words are used in another sense ("interfering in Venezuela").
    exclude: tuple[str, ...] = ()
    # Words that show the keywords are used in the topic's sense ("Mueller" with Russia, FBI):
    # an article with one lone keyword joins only when its other words include some of these.
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SetApart:
    """Page furniture found in an article's text (a caption, a sign-up line, related links):
    left out of its summaries and topics, but still shown, muted, on the article page."""

    # Index into Article.paragraphs of the paragraph it stood before (len(paragraphs): after all).
    paragraph: int
    # What it is, in words a reader understands ("caption", "related links", ...).
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """One article as read from content/: plain text ready to summarize, plus its metadata."""

    # Path relative to the content folder, with forward slashes: the article's identity.
    source_path: str
    slug: str
    title: str
    # Always time-zone aware (made so once, on reading).
    date: datetime
    # Body paragraphs as plain text: markup, front matter and the dateline removed.
    paragraphs: tuple[str, ...]
    dateline: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    # Topic names or slugs from front matter that force membership.
    forced_topics: tuple[str, ...] = ()
    # An editor's summary from front matter; replaces the generated one.
    editor_summary: str | None = None
    draft: bool = False
    # sha256 of the raw file bytes; keys the summary cache.
    content_hash: str = ""
    # Captions, credits, sign-up lines... taken out of the paragraphs above (see cleanup.py).
    set_apart: tuple[SetApart, ...] = ()
    # ISO 639-1 code ("fa"): the front matter's `language`, else detected from the text, else
    # (set by the pipeline) the site's; "" only before the pipeline has set it.
    language: str = ""
    # A story id from front matter (`story:`): the article is put in that story.
    story: str | None = None

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of an article, with where it stands."""

    text: str
    # Index into Article.paragraphs.
    paragraph: int
    # Position among all the article's sentences.
    index: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Sentences picked from an article (or an editor's text), in article order."""

    sentences: tuple[Sentence, ...]
    # The summarizer's name as the config spells it, or "editor".
    method: str

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """Why an article belongs to a topic, and its summary of the part about that topic."""

    topic: str  # the topic's slug
    # Fraction of the article's sentences attributed to the topic (0..1).
    share: float
    # Paragraph indices attributed to the topic.
    paragraphs: tuple[int, ...]
    # The words and phrases that matched, most frequent first.
    evidence: tuple[str, ...]
    # True when the article's front matter named the topic.
    forced: bool = False
    summary: Summary | None = None
    # True when the topic was chosen by likeness to its other articles (topic_mode: sections).
    learned: bool = False
    # Paragraph indices that have the topic because they continue its passage, not by its words.
    continued: tuple[int, ...] = ()
    # True when the headline, dateline or lede (first two sentences) names the topic.
    lead: bool = False
    # The topic's context words found in the article (they show its keywords' sense).
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """An article with everything the pipeline worked out about it."""

    article: Article
    sentences: tuple[Sentence, ...]
    summary: Summary
    topics: tuple[TopicMatch, ...] = ()
    # The summary cache's key of this analysis (digest.store.cache.article_key: the code,
    # the settings and the article's text), or "" when no cache made it: in a page's render
    # key it stands for the article's text and sentences, which it decides.
    analysis_key: str = field(default="", compare=False, repr=False)

    def match(self, topic_slug: str) -> TopicMatch | None:
        for topic_match in self.topics:
            if topic_match.topic == topic_slug:
                return topic_match
        return None


@dataclass(frozen=True)
class TopicDigest:
    """A topic and its entries, newest first."""

    topic: Topic
    entries: tuple[DigestEntry, ...]


@dataclass(frozen=True)
class Problem:
    """A file in content/ that was skipped or needs attention, and why."""

    path: str
    message: str
    # "skipped": the file is not in the digest; "warning": it is, but something is off;
    # "excluded": left out on purpose (a draft, a hidden file); "note": in the digest as it
    # is, with something worth knowing (its page named otherwise than its path).
    outcome: str = "skipped"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class TopicSuggestion:
    """A candidate topic found among the articles that fit no configured topic."""

    name: str
    slug: str
    # The words that set its articles apart, most distinctive first: the topic's keywords.
    keywords: tuple[str, ...]
    # Ids (slugs) of the articles these keywords would gather if the topic were configured.
    articles: tuple[str, ...]
    # How many articles the cluster it was found in holds.
    cluster_size: int


@dataclass(frozen=True)
class Digest:
    """The whole digest: every entry newest first, grouped by topic, plus what went wrong."""

    entries: tuple[DigestEntry, ...]
    topics: tuple[TopicDigest, ...]
    # Entries that fit no topic; never dropped.
    other: tuple[DigestEntry, ...]
    problems: tuple[Problem, ...] = ()
    # The newest article's date, or SOURCE_DATE_EPOCH: never the wall clock.
    updated: datetime | None = None
    # Candidate topics drawn from the articles in Other, largest first.
    suggestions: tuple[TopicSuggestion, ...] = field(default=())
    # Articles about one event grouped (digest/analysis/stories.py), newest story first.
    stories: tuple[Story, ...] = field(default=())


@dataclass(frozen=True)
class StorySettings:
    """How articles are grouped into stories (the plugin's `stories:` options)."""

    # Least average likeness (cosine of name- and lede-weighted tf-idf) for an article to
    # join a story; see README "Stories" for what it does to precision and recall.
    threshold: float = 0.09
    # An article is compared only with stories that had an article this many days before it.
    window_days: float = 7.0


@dataclass(frozen=True, slots=True)
class Story:
    """Articles that report the same event, oldest first."""

    # The slug of its earliest article: stays put as later articles join.
    id: str
    # The headline of its most representative article.
    title: str
    # The articles' source paths (relative to the content folder), oldest first.
    articles: tuple[str, ...]
    start: datetime
    end: datetime
    # Each article's slug, headline and outlet, oldest first (listings name the others).
    headlines: tuple[StoryArticle, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """An article of a story as a listing names it."""

    slug: str
    title: str
    source: str | None


@dataclass(frozen=True, slots=True)
class StorySentence:
    """A sentence of a story's summary, credited to the article (and outlet) it comes from."""

    text: str
    # The slug of the article it was taken from, and that article's outlet (None: unknown).
    article: str
    source: str | None
    # True when the article came out after the story's first day: it adds to what was known.
    update: bool = False
