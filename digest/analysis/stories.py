"""Stories: articles that report the same event, from several outlets, grouped into one.

Offline and deterministic: no model, no randomness, ties broken by the articles' paths.

Each article becomes a sparse tf-idf vector of word stems in which the words that tell one
event from another weigh most: rare words and names (idf ranks "Farenthold" far above
"congress"; a full name such as "Blake Farenthold" is one more term of its own), counted three
times in the headline and twice in the lede. Idf comes from the articles being clustered, so a
subject many stories share ("Trump", "Iran") weighs little and cannot hold a story together
alone; only the 50 heaviest terms of an article are kept, so the background of a long article
does not make it like every other article of its beat.

Clustering is incremental, in date order: an article joins the story it is most like, on
average over the story's recent articles (average link), if that likeness reaches
``threshold``; otherwise it starts a story. The cost per article is bounded: the candidate
stories are only those with an article in the last ``window_days`` that shares one of the new
article's most distinctive terms (an inverted index from term to recent articles, each
posting list scanned over a bounded length), and a story is compared through at most its
``_MEMBERS`` most recent articles, so the time per article stays flat as the digest grows
(``benchmarks/stories.py``: about 1 ms per article at 1,000 and at 10,000 articles).

A story's id is the slug of its earliest article, so it stays the same when later articles
join it (its page's URL and its feed items' ids with it).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from digest.analysis.stemming import stemmer
from digest.model import (
    Article,
    Digest,
    DigestEntry,
    Story,
    StorySentence,
    StorySettings,
    TopicDigest,
)

# Weights of where a word stands: the headline and the lede say what the event is; the rest of
# an article drifts into background every story on the subject shares.
_TITLE_WEIGHT = 3.0
_LEDE_WEIGHT = 2.0
_LEDE_WORDS = 60
# A full name counts once more, as a term of its own. Names need no other boost: idf already
# ranks a rare name (Farenthold) above common words, and weighting every capitalised word
# twice measured worse on the BASIL events (best BCubed F1 0.970 against 0.996), since it
# also lifts the subject names every story of a beat shares (Trump, Senate, Democrats).
_FULL_NAME_WEIGHT = 1.0
# The heaviest terms kept per article: bounds memory and the cost of a comparison; the
# light tail of a long article is background that only dilutes its likeness to others.
_KEPT_TERMS = 50
# The heaviest terms looked up in the index to find candidate stories.
_QUERY_TERMS = 20
# Most recent postings scanned per looked-up term: a term in every article of the window
# ("president") cannot make one article cost as much as the whole window.
_POSTINGS_SCANNED = 300
# Stories compared in full per article, the best by shared-term weight.
_CANDIDATES = 24
# Most recent articles of a story an article is compared with.
_MEMBERS = 24
# Terms an article must share with a story to join it: between two briefs of a few words, one
# shared word ("slug", "strike") makes a high cosine but says nothing about the event.
_MIN_SHARED = 3

# A word: letters first, then letters or digits, with inner apostrophes ("Sochi’s", "don't").
# Sentence punctuation is a token of its own, so the first word of a sentence can be told
# from a name inside it.
_TOKEN = re.compile(r"[^\W\d_](?:[^\W_]|['’](?=[^\W_]))*|[.!?:;\"“”]")
_SENTENCE_MARKS = frozenset('.!?:;"“”')
_POSSESSIVES = ("'s", "’s")


@cache
def _stop_words() -> frozenset[str]:
    # sumy's English list, read as a file: importing sumy.utils would pull in requests.
    text = (resources.files("sumy") / "data" / "stopwords" / "english.txt").read_text("utf-8")
    # Reporting verbs and calendar words are in every story of every event.
    extra = {"said", "says", "told", "according", "mr", "mrs", "ms", "monday", "tuesday"}
    extra |= {"wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday"}
    extra |= {"week", "weeks", "year", "years", "month", "months", "day", "days", "time"}
    return frozenset(text.split()) | frozenset(extra)


def article_terms(article: Article) -> dict[str, float]:
    """An article's terms with their weights summed over its headline, lede and body.

    Terms are Snowball stems of words that are not stop words, and ``"name:a b"`` for each
    run of two or more capitalised words inside a sentence (a full name: "Michael Cohen" is a
    person, where "Michael" and "Cohen" alone are many).
    """
    stop = _stop_words()
    stem = stemmer("english")
    counts: defaultdict[str, float] = defaultdict(float)
    body_words = 0
    weight = _TITLE_WEIGHT
    # The hot loop of clustering (most of its time): plain string tests, no calls per word.
    for zone, text in enumerate((article.title, *article.paragraphs)):
        at_start = True
        run: list[str] = []
        for word in _TOKEN.findall(text):
            if word in _SENTENCE_MARKS:
                if run:
                    _count_name(run, counts)
                    run = []
                at_start = True
                continue
            lower = word.lower()
            if lower.endswith(_POSSESSIVES):
                lower = lower[:-2]
            if zone:
                body_words += 1
                weight = _LEDE_WEIGHT if body_words <= _LEDE_WORDS else 1.0
            if lower in stop:
                if run:
                    _count_name(run, counts)
                    run = []
                at_start = False
                continue
            # Headlines capitalise every word, and a sentence its first: neither says "name".
            if zone and not at_start and word[0].isupper():
                run.append(lower)
            elif run:
                _count_name(run, counts)
                run = []
            at_start = False
            if len(lower) >= 3:
                counts[stem(lower)] += weight
        if run:
            _count_name(run, counts)
    return dict(counts)


def _count_name(run: list[str], counts: defaultdict[str, float]) -> None:
    if len(run) >= 2:
        counts["name:" + " ".join(run)] += _FULL_NAME_WEIGHT


@dataclass
class _Story:
    """A story while clustering: its articles' indices (oldest first), and the sum of the
    vectors of its `_MEMBERS` most recent articles: the average of the cosines between an
    article and those is one dot product with the sum, divided by how many they are."""

    members: list[int]
    total: dict[str, float]


class StoryClusterer:
    """Groups articles into stories one at a time, in date order (see the module docstring).

    ``document_frequency`` and ``documents`` give the idf; ``cluster_stories`` counts them over
    all the articles it is given before adding them.
    """

    def __init__(
        self,
        settings: StorySettings,
        document_frequency: Counter[str],
        documents: int,
    ) -> None:
        self.settings = settings
        self._df = document_frequency
        self._n = documents
        # idf of every term counted; a term not counted is as rare as can be.
        self._idf = {
            t: math.log((documents + 1) / (d + 1)) + 1 for t, d in document_frequency.items()
        }
        self._rarest = math.log(documents + 1) + 1
        self._window = settings.window_days * 86400.0
        self.articles: list[Article] = []
        self.vectors: list[dict[str, float]] = []
        self.story_of: list[int] = []
        self.stories: list[_Story] = []
        # term -> [(timestamp, article index)], appended in date order
        self._postings: dict[str, list[tuple[float, int]]] = {}
        # Stories compared in full so far: at most _CANDIDATES per article, never all pairs.
        self.comparisons = 0

    def vector(self, terms: Mapping[str, float]) -> dict[str, float]:
        """Sublinear tf times idf over the heaviest terms, scaled to unit length, heaviest
        first (ties: alphabetical)."""
        idf, rarest, log = self._idf, self._rarest, math.log
        # Negated weights sort heaviest first with the term as tie-break, in C.
        ranked = sorted(
            (-(1.0 + log(count)) * idf.get(term, rarest), term) for term, count in terms.items()
        )[:_KEPT_TERMS]
        norm = math.sqrt(sum(w * w for w, _ in ranked)) or 1.0
        return {term: -w / norm for w, term in ranked}

    def add(self, article: Article, terms: Mapping[str, float]) -> int:
        """Place one article (not older than those added before); return its story's index."""
        index = len(self.articles)
        when = article.date.timestamp()
        vector = self.vector(terms)
        self.articles.append(article)
        self.vectors.append(vector)
        query = list(vector.items())[:_QUERY_TERMS]
        shared: dict[int, float] = {}
        oldest = when - self._window
        for term, weight in query:
            postings = self._postings.get(term)
            if not postings:
                continue
            for scanned, (posted, other) in enumerate(reversed(postings)):
                if posted < oldest or scanned >= _POSTINGS_SCANNED:
                    break
                found = self.story_of[other]
                shared[found] = shared.get(found, 0.0) + weight
        candidates = heapq.nsmallest(_CANDIDATES, shared.items(), key=lambda kv: (-kv[1], kv[0]))
        self.comparisons += len(candidates)
        best, best_score = -1, self.settings.threshold
        for story_index, _ in sorted(candidates):
            score = self._likeness(vector, self.stories[story_index])
            if score >= best_score and (score > best_score or best < 0):
                best, best_score = story_index, score
        if best < 0:
            best = len(self.stories)
            self.stories.append(_Story([index], dict(vector)))
        else:
            joined = self.stories[best]
            joined.members.append(index)
            _add(joined.total, vector, 1.0)
            if len(joined.members) > _MEMBERS:
                _add(joined.total, self.vectors[joined.members[-_MEMBERS - 1]], -1.0)
        self.story_of.append(best)
        for term, _ in query:
            self._postings.setdefault(term, []).append((when, index))
        return best

    def _likeness(self, vector: dict[str, float], story: _Story) -> float:
        """Average cosine to the story's most recent articles (average link)."""
        total = story.total
        # Only shared terms add to the dot product; the set intersection finds them in C.
        shared = vector.keys() & total.keys()
        if len(shared) < _MIN_SHARED:
            return 0.0
        dot = sum(vector[t] * total[t] for t in shared)
        return dot / min(len(story.members), _MEMBERS)

    def result(self) -> tuple[Story, ...]:
        """The stories, newest first (by their latest article; ties by id)."""
        found = []
        for story in self.stories:
            members = story.members
            articles = [self.articles[i] for i in members]
            headline = articles[self._representative(members)]
            found.append(
                Story(
                    id=articles[0].slug,
                    title=headline.title,
                    articles=tuple(a.source_path for a in articles),
                    start=articles[0].date,
                    end=max(a.date for a in articles),
                )
            )
        return tuple(sorted(found, key=lambda s: (-s.end.timestamp(), s.id)))

    def _representative(self, members: Sequence[int]) -> int:
        """Position of the article most like the others on average (ties: the earliest)."""
        if len(members) <= 2:
            return 0
        total: dict[str, float] = {}
        for member in members:
            _add(total, self.vectors[member], 1.0)
        best, best_score = 0, -1.0
        for position, member in enumerate(members):
            vector = self.vectors[member]
            # Likeness to the others: the dot product with the sum, less its own (1: unit length).
            score = sum(w * total.get(t, 0.0) for t, w in vector.items()) - 1.0
            if score > best_score + 1e-9:
                best, best_score = position, score
        return best


def _add(total: dict[str, float], vector: dict[str, float], sign: float) -> None:
    for term, weight in vector.items():
        total[term] = total.get(term, 0.0) + sign * weight


def chronological(articles: Iterable[Article]) -> list[Article]:
    """Date order, ties by path: the order articles are added in, the same on every run."""
    return sorted(articles, key=lambda a: (a.date.timestamp(), a.source_path))


# Terms of many articles at once: article_terms of each, or kept from an earlier build.
TermsOf = Callable[[Sequence[Article]], list[dict[str, float]]]


def cluster_stories(
    articles: Sequence[Article],
    settings: StorySettings | None = None,
    terms_of: TermsOf | None = None,
) -> tuple[Story, ...]:
    """Group articles into stories (newest story first), each article in exactly one."""
    settings = settings or StorySettings()
    ordered = chronological(articles)
    terms = terms_of(ordered) if terms_of is not None else [article_terms(a) for a in ordered]
    df: Counter[str] = Counter()
    for counted in terms:
        df.update(counted.keys())
    clusterer = StoryClusterer(settings, df, len(ordered))
    for article, counted in zip(ordered, terms, strict=True):
        clusterer.add(article, counted)
    return clusterer.result()


Memoize = Callable[[str, object, Callable[[], tuple]], tuple]
# (name, each item's inputs, compute for the items at these indices, whether a kept value is
# one compute gives) -> a value per item: the summary cache's CachedAnalysis.memoize_each.
MemoizeEach = Callable[
    [str, Sequence[object], Callable[[list[int]], list[Any]], Callable[[Any], bool]], list[Any]
]


@cache
def _terms_code() -> str:
    """This module's source: the terms an article has depend on it."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _is_terms(value: Any) -> bool:
    return type(value) is dict and all(
        type(k) is str and type(v) is float for k, v in value.items()
    )


def kept_terms(memoize_each: MemoizeEach) -> TermsOf:
    """article_terms of many articles, kept per article between builds: adding a hundred
    articles to 10,000 clusters them all again (the idf changes), but finds the terms of the
    hundred only."""

    def terms_of(articles: Sequence[Article]) -> list[dict[str, float]]:
        # What article_terms reads, and the code that reads it.
        inputs = [[_terms_code(), a.title, a.paragraphs] for a in articles]
        found: list[dict[str, float]] = memoize_each(
            "story-terms",
            inputs,
            lambda indices: [article_terms(articles[i]) for i in indices],
            _is_terms,
        )
        return found

    return terms_of


def stories_for(
    entries: Sequence[DigestEntry],
    settings: StorySettings,
    memoize: Memoize | None = None,
    memoize_each: MemoizeEach | None = None,
) -> tuple[Story, ...]:
    """The stories of a digest's entries; with `memoize` (the summary cache's), a build whose
    articles and settings are unchanged reuses the grouping instead of clustering again, and
    with `memoize_each` a build that clusters again reuses each unchanged article's terms."""
    articles = {e.article.source_path: e.article for e in entries}
    terms_of = kept_terms(memoize_each) if memoize_each is not None else None

    def groups() -> tuple:
        found = cluster_stories(list(articles.values()), settings, terms_of)
        return tuple((s.id, s.title, s.articles) for s in found)

    inputs = [
        asdict(settings),
        [
            [a.source_path, a.slug, a.date.isoformat(), a.title, a.content_hash or a.paragraphs]
            for a in articles.values()
        ],
    ]
    grouped = memoize("stories", inputs, groups) if memoize is not None else groups()
    return tuple(
        Story(
            id=story_id,
            title=title,
            articles=tuple(paths),
            start=articles[paths[0]].date,
            end=max(articles[p].date for p in paths),
        )
        for story_id, title, paths in grouped
    )


def story_of_articles(digest: Digest) -> dict[str, Story]:
    """Article slug -> its story, for the stories of more than one article."""
    slugs = {e.article.source_path: e.article.slug for e in digest.entries}
    return {
        slugs[path]: story
        for story in digest.stories
        if len(story.articles) > 1
        for path in story.articles
        if path in slugs
    }


def listed_once(digest: Digest) -> Digest:
    """The digest as listings show it: each story once in each topic, in Other and in
    `entries`, by its earliest article there. The earliest stays the same as sources join, so
    the listing's link and a feed item's id do too; article pages still come from every entry.
    """
    story_of = story_of_articles(digest)
    if not story_of:
        return digest

    def once(entries: Sequence[DigestEntry]) -> tuple[DigestEntry, ...]:
        kept: dict[str, DigestEntry] = {}
        # Newest first: the last entry of a story seen is its earliest.
        for entry in entries:
            story = story_of.get(entry.article.slug)
            kept[story.id if story else "\0" + entry.article.slug] = entry
        wanted = {id(e) for e in kept.values()}
        return tuple(e for e in entries if id(e) in wanted)

    return replace(
        digest,
        entries=once(digest.entries),
        topics=tuple(TopicDigest(t.topic, once(t.entries)) for t in digest.topics),
        other=once(digest.other),
    )


def _content_stems(text: str) -> frozenset[str]:
    stop, stem = _stop_words(), stemmer("english")
    words = (_without_possessive(w.lower()) for w in _TOKEN.findall(text) if len(w) > 1)
    return frozenset(stem(w) for w in words if w not in stop and len(w) >= 3)


def _without_possessive(word: str) -> str:
    return word[:-2] if word.endswith(_POSSESSIVES) else word


# Two sentences say the same thing when most of the content words of the shorter are in the
# longer (a syndicated copy, a rewrite of the same wire line).
_NEAR_DUPLICATE = 0.6


def near_duplicates(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / min(len(a), len(b)) >= _NEAR_DUPLICATE


def story_summary(
    story: Story, entries: Mapping[str, DigestEntry], sentences: int
) -> tuple[StorySentence, ...]:
    """A summary drawn from the story's sources: their own summaries' sentences in turn (the
    earliest article's first, then the next outlet's, ...), each credited to its article,
    leaving out a sentence that says what an earlier one said. Sentences from articles after
    the story's first day are marked as updates."""
    members = [entries[p] for p in story.articles if p in entries]
    queues = [list(e.summary.sentences) for e in members]
    first_day = story.start.date()
    picked: list[StorySentence] = []
    seen: list[frozenset[str]] = []
    budget = max(sentences, min(len(members), 6))
    while len(picked) < budget and any(queues):
        for entry, queue in zip(members, queues, strict=True):
            if not queue or len(picked) >= budget:
                continue
            sentence = queue.pop(0)
            stems = _content_stems(sentence.text)
            if any(near_duplicates(stems, other) for other in seen):
                continue
            seen.append(stems)
            picked.append(
                StorySentence(
                    text=sentence.text,
                    article=entry.article.slug,
                    source=entry.article.source,
                    update=entry.article.date.date() > first_day,
                )
            )
    return tuple(picked)
