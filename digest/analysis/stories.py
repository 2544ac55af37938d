"""Stories: articles that report the same event, from several outlets, grouped into one.

Offline and deterministic: no model, no randomness, ties broken by the articles' order.

Each article becomes a sparse tf-idf vector of word stems in which the words that tell one
event from another weigh most: rare words and names (idf ranks "Farenthold" far above
"congress"; a full name such as "Blake Farenthold" is one more term of its own), and the
numbers of the text (a year, a toll, a magnitude, a count: "23" pirates against "26"), counted
three times over (`NUMBER_BOOST`); headline words count three times and the lede's twice. Idf
comes from the articles of the same weeks (those within twice ``window_days`` either side, and
at least 250 before), so a subject the coverage of the time shares ("Trump", "Iran") weighs
little and cannot hold a story together alone; only the 50 heaviest terms of an article are
kept, so the background of a long article does not make it like every other article of its
beat. Counted over those weeks rather than the whole archive, a day's new articles cannot
regroup last year's stories, and a build resumes the previous build's clustering a few weeks
back instead of clustering the archive again.

Two articles are alike by the cosine of their vectors, half of which holds only as far as their
entities agree (the cosine of their names and numbers alone, `ENTITY_SHARE`): two events of the
same kind share their vocabulary ("pirates", "Gulf of Aden", "earthquake", "magnitude"), not
who, where, when and how many. Two articles must share three terms to be alike at all.

Clustering is average link (UPGMA), a day at a time: each day, the open articles (those of the
last ``window_days``, at most two weeks) are grouped again from scratch with the settled
stories they may join; the closest pair of groups merges while its average likeness reaches
``threshold``, and two settled stories never merge. An article settles when it is older than
the window, in the story it was last put in. So an early guess (two articles of twin events
alike on their first day) never binds the rest of an event, and settled stories never change.
The cost is bounded: an article is compared once, when it arrives, with the 48 earlier
articles of the window that share the most weight of its 20 most distinctive terms (an inverted
index, each posting list scanned over a bounded length), and each day with at most 24 settled
stories found the same way, through at most their ``_MEMBERS`` most recent articles
(``benchmarks/stories.py``: 2.3 ms per article at 10,000 articles, 150 a day).

`story:` in an article's front matter pins it: all articles with the same id, and the article
whose slug it is, are one story (the clustering may add others to it).

A story's id is the slug of its earliest article, so it stays the same when later articles
join it (its page's URL and its feed items' ids with it).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from digest.analysis.parallel import map_parallel
from digest.analysis.stemming import stemmer
from digest.analysis.story_summary import (
    StoryDocument,
    _stop_words,
    summarize_story,
)
from digest.model import (
    Article,
    Digest,
    DigestEntry,
    Story,
    StoryArticle,
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
# Earlier articles an article is compared with, the best by shared-term weight.
_NEIGHBOURS = 48
# Stories compared in full per article, the best by shared-term weight.
_CANDIDATES = 24
# Most recent articles of a story an article is compared with.
_MEMBERS = 24
# Most days an article stays open to regrouping as later articles come (see StoryClusterer).
_OPEN_DAYS = 7
# Terms an article must share with a story to join it: between two briefs of a few words, one
# shared word ("slug", "strike") makes a high cosine but says nothing about the event.
_MIN_SHARED = 3
# Full names an article must share with a story in another language to join it.
_MIN_SHARED_NAMES = 2
NAME_BOOST = 1.0
NUMBER_BOOST = 3.0
ENTITY_SHARE = 0.5

# A word: letters first, then letters or digits, with inner apostrophes ("Sochi’s", "don't").
# Sentence punctuation is a token of its own, so the first word of a sentence can be told
# from a name inside it.
_TOKEN = re.compile(r"[^\W\d_](?:[^\W_]|['’](?=[^\W_]))*|\d+(?:[.,]\d+)*|[.!?:;\"“”]")
_SENTENCE_MARKS = frozenset('.!?:;"“”')
_POSSESSIVES = ("'s", "’s")


def article_terms(article: Article) -> dict[str, float]:
    """An article's terms with their weights summed over its headline, lede and body.

    Terms are Snowball stems of words that are not stop words, and ``"name:a b"`` for each
    run of two or more capitalised words inside a sentence (a full name: "Michael Cohen" is a
    person, where "Michael" and "Cohen" alone are many).
    """
    stop, stem = _words_of_language(article.language)
    counts: defaultdict[str, float] = defaultdict(float)
    body_words = 0
    weight = _TITLE_WEIGHT
    name_boost, number_boost = NAME_BOOST, NUMBER_BOOST
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
            if zone:
                body_words += 1
                weight = _LEDE_WEIGHT if body_words <= _LEDE_WORDS else 1.0
            if word[0].isdigit():
                if run:
                    _count_name(run, counts)
                    run = []
                at_start = False
                if number_boost:
                    counts["#" + word] += weight * number_boost
                continue
            lower = word.lower()
            if lower.endswith(_POSSESSIVES):
                lower = lower[:-2]
            if lower in stop:
                if run:
                    _count_name(run, counts)
                    run = []
                at_start = False
                continue
            # Headlines capitalise every word, and a sentence its first: neither says "name".
            named = zone and not at_start and word[0].isupper()
            if named:
                run.append(lower)
            elif run:
                _count_name(run, counts)
                run = []
            at_start = False
            if len(lower) >= 3:
                counts[stem(lower)] += weight * (name_boost if named else 1.0)
        if run:
            _count_name(run, counts)
    return dict(counts)


def _words_of_language(language: str) -> tuple[frozenset[str], Callable[[str], str]]:
    """The stop words and stemmer for an article's terms: English's, and for an article in
    another language its own too (digest.analysis.languages)."""
    if language in ("", "en"):
        return _stop_words(), stemmer("english")
    from digest.analysis.languages import is_english, stop_words
    from digest.analysis.languages import stemmer as language_stemmer

    if is_english(language):
        return _stop_words(), stemmer("english")
    return _stop_words() | stop_words(language), language_stemmer(language)


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
    """Groups articles into stories a day at a time, in date order (see the module docstring).

    Each article comes with its vector (``term_vector``, from the document frequencies of the
    articles around it in time). An article's story stays open for ``window_days``: each new
    day, the articles of the last ``window_days`` are grouped again from scratch, together with
    the older (settled) stories they may join, so an early guess never binds the rest of an
    event; older articles are settled and never move.
    """

    def __init__(self, settings: StorySettings) -> None:
        self.settings = settings
        self._window = settings.window_days * 86400.0
        # How long an article stays open to regrouping (the window, at most _OPEN_DAYS).
        self.open_span = min(self._window, _OPEN_DAYS * 86400.0)
        self.articles: list[Article] = []
        # None: an early article's vector, not kept when resuming (see cluster_incrementally)
        self.vectors: list[dict[str, float] | None] = []
        self.story_of: list[int] = []
        self.stories: list[_Story] = []
        # term -> [(timestamp, article index)] of settled articles, appended in date order
        self._postings: dict[str, list[tuple[float, int]]] = {}
        # Articles before this index are settled (they no longer move).
        self._settled = 0
        # Story likeness computed so far (at most _CANDIDATES stories per article and day).
        self.comparisons = 0
        # Each article's entity vector (see _entities), worked out when first needed.
        self._entity_vectors: dict[int, dict[str, float]] = {}
        # Each open article's likeness to earlier open ones (see _find_neighbours), and to a
        # settled story's recent articles.
        self._neighbours: dict[int, dict[int, float]] = {}
        self._to_story: dict[tuple[int, int, int], float] = {}
        # Each open article's scan of the postings (see _scan): it reads only the articles
        # before it, so it is worked out once, not again for every day the article is open.
        self._scans: dict[int, dict[int, float]] = {}
        # The first article with a slug, and the first pinned with `story:` to an id.
        self._slug_first: dict[str, int] = {}
        self._pin_first: dict[str, int] = {}

    def add(self, article: Article, vector: dict[str, float]) -> int:
        """Place one article (not older than those added before); return its story's index."""
        self.add_batch([article], [vector])
        return self.story_of[-1]

    def add_batch(self, articles: Sequence[Article], vectors: Sequence[dict[str, float]]) -> None:
        """Add a day's articles (not older than those added before) and group the open ones.

        The open articles (those of the last ``window_days``) and the settled stories they may
        join are clustered by average link (UPGMA): the closest pair of groups merges while
        their average likeness reaches ``threshold``; two settled stories never merge.
        """
        for article, vector in zip(articles, vectors, strict=True):
            index = len(self.articles)
            self.articles.append(article)
            self.vectors.append(vector)
            self._post(index, article.date.timestamp())
            self._slug_first.setdefault(article.slug, index)
            if article.story is not None:
                self._pin_first.setdefault(article.story, index)
        if not articles:
            return
        self._settle(articles[0].date.timestamp() - self.open_span)
        nodes, open_node = self._open_nodes()
        placed: dict[int, int] = {}
        started: dict[int, int] = {}
        for members, found in nodes.clusters():
            if found is not None and found >= 0:
                story_index = found
            elif found is not None and found in started:
                story_index = started[found]
            else:
                # A new story; -1, -2...: one pinned by a `story:` id that no story had yet.
                story_index = len(self.stories)
                self.stories.append(_Story([], {}))
                if found is not None:
                    started[found] = story_index
            for index in members:
                placed[index] = story_index
                self.stories[story_index].members.append(index)
        for story_index in set(placed.values()):
            self.stories[story_index].members.sort()
        self.story_of[self._settled :] = [placed[i] for i in open_node]

    def _settle(self, oldest: float) -> None:
        """Settle the articles older than `oldest` as they are placed, and take the open ones
        out of their stories (a story made of open articles only is gone)."""
        times = [a.date.timestamp() for a in self.articles[self._settled : len(self.story_of)]]
        before = self._settled
        settled = before + bisect.bisect_left(times, oldest)
        self._settled = settled
        kept = len(self.stories)
        while kept and self.stories[kept - 1].members[0] >= settled:
            kept -= 1
        del self.stories[kept:]
        # The stories of the articles settled now and of the open ones: their settled part.
        for story in {self.story_of[i] for i in range(before, len(self.story_of))}:
            if story < kept:
                members = self.stories[story].members
                members[:] = [m for m in members if m < settled]
                self.stories[story].total = _vector_sum(self.vectors, members[-_MEMBERS:])
        del self.story_of[settled:]
        self._to_story = {k: v for k, v in self._to_story.items() if k[0] >= settled}
        self._scans = {i: found for i, found in self._scans.items() if i >= settled}

    def _open_nodes(self) -> tuple[_Nodes, list[int]]:
        """The open articles and the settled stories they may join, linked."""
        nodes = _Nodes(self.settings.threshold)
        story_node: dict[int, int] = {}
        open_node: list[int] = []
        article_node: dict[int, int] = {}
        pins: dict[str, int] = {}
        self._find_neighbours()
        for index in range(self._settled, len(self.articles)):
            vector = self.vectors[index]
            assert vector is not None
            node = article_node[index] = nodes.add(index, self._pinned(index, pins), 1)
            open_node.append(index)
            for story_index in self._candidates(index):
                story = self.stories[story_index]
                if not self._may_meet(index, story.members[0]):
                    continue
                if story_index not in story_node:
                    size = min(len(story.members), _MEMBERS)
                    story_node[story_index] = nodes.add(None, story_index, size)
                nodes.link(node, story_node[story_index], self._story_likeness(index, story_index))
            for other, likeness in self._neighbours[index].items():
                if other >= self._settled:
                    nodes.link(node, article_node[other], likeness)
        return nodes, open_node

    def _find_neighbours(self) -> None:
        """Each open article's likeness to its `_NEIGHBOURS` earlier articles within the window
        that share the most weight of its most distinctive terms, worked out once per article
        (it depends on the articles before it only); only the open ones are linked."""
        self._neighbours = {i: n for i, n in self._neighbours.items() if i >= self._settled}
        for index in range(self._settled, len(self.articles)):
            if index in self._neighbours:
                continue
            vector = self.vectors[index]
            assert vector is not None
            shared = self._scan(index)
            nearest = heapq.nsmallest(_NEIGHBOURS, shared.items(), key=lambda kv: (-kv[1], kv[0]))
            entities = self._entities(index)
            near = {}
            for other, _ in sorted(nearest):
                one = self.vectors[other]
                if one is None or not self._may_meet(index, other):
                    continue
                likeness = _likeness(one, vector, self._entities(other), entities)
                if likeness > 0.0:
                    near[other] = likeness
            self._neighbours[index] = near

    def _may_meet(self, index: int, other: int) -> bool:
        """Whether two articles may be linked: always in one language; across two only on
        strong shared evidence, _MIN_SHARED_NAMES full names. Stems of two languages rarely
        meet, so what two languages share is mostly function words spelt alike and common
        names; two full names ("Juan Guaidó", "Michelle Bachelet") are not. (A story's
        language is its first article's.)"""
        if (self.articles[index].language or "en") == (self.articles[other].language or "en"):
            return True
        shared = self._entities(index).keys() & self._entities(other).keys()
        return sum(1 for term in shared if term.startswith("name:")) >= _MIN_SHARED_NAMES

    def _pinned(self, index: int, pins: dict[str, int]) -> int | None:
        """The story an open article is pinned to: the settled story of the first article
        with its `story:` id as slug or as `story:`, or a negative number shared by the open
        articles of that id. An article whose slug others name in `story:` is pinned too."""
        article = self.articles[index]
        key = article.story
        if key is None and article.slug in self._pin_first:
            key = article.slug
        if key is None:
            return None
        anchor = min(self._slug_first.get(key, index), self._pin_first.get(key, index))
        if anchor < self._settled:
            return self.story_of[anchor]
        return pins.setdefault(key, -1 - len(pins))

    def _story_likeness(self, index: int, story_index: int) -> float:
        """The sum of an open article's likeness to each of a settled story's recent ones."""
        story = self.stories[story_index]
        key = (index, story_index, len(story.members))
        found = self._to_story.get(key)
        if found is None and _shared_dot(self.vectors[index] or {}, story.total) <= 0.0:
            found = self._to_story[key] = 0.0
        if found is None:
            self.comparisons += 1
            vector = self.vectors[index]
            assert vector is not None
            entities = self._entities(index)
            found = 0.0
            for member in story.members[-_MEMBERS:]:
                other = self.vectors[member]
                if other is not None:
                    found += _likeness(vector, other, entities, self._entities(member))
            self._to_story[key] = found
        return found

    def _entities(self, index: int) -> dict[str, float]:
        """The article's who and when: its full names and numbers, scaled to unit length."""
        found = self._entity_vectors.get(index)
        if found is None:
            vector = self.vectors[index] or {}
            found = {t: w for t, w in vector.items() if t[0] == "#" or t.startswith("name:")}
            norm = math.sqrt(sum(w * w for w in found.values())) or 1.0
            found = self._entity_vectors[index] = {t: w / norm for t, w in found.items()}
        return found

    def _scan(self, index: int) -> dict[int, float]:
        """The articles before this one within the window that share its most distinctive
        terms (each term's `_POSTINGS_SCANNED` most recent), with the weight they share."""
        found = self._scans.get(index)
        if found is None:
            vector = self.vectors[index]
            assert vector is not None
            when = self.articles[index].date.timestamp()
            found = _scanned(self._postings, vector, (when - self._window, -1), (when, index))
            self._scans[index] = found
        return found

    def _candidates(self, index: int) -> list[int]:
        """The settled stories sharing the most weight of the article's distinctive terms."""
        shared: dict[int, float] = {}
        settled, story_of = self._settled, self.story_of
        for other, weight in self._scan(index).items():
            if other < settled:
                found = story_of[other]
                shared[found] = shared.get(found, 0.0) + weight
        best = heapq.nsmallest(_CANDIDATES, shared.items(), key=lambda kv: (-kv[1], kv[0]))
        return sorted(story for story, _ in best)

    def _post(self, index: int, when: float) -> None:
        vector = self.vectors[index]
        assert vector is not None
        for term in list(vector)[:_QUERY_TERMS]:
            self._postings.setdefault(term, []).append((when, index))

    def resume(
        self,
        articles: Sequence[Article],
        story_of: Sequence[int],
        vectors: Mapping[int, dict[str, float]],
    ) -> None:
        """Take up the clustering after ``articles`` (placed in ``story_of``, the first
        article of a day next), as if it had added them: ``vectors`` must hold those of the
        articles within `reach` of the next one, and of every member of a story with one
        there. The open articles among them are grouped again with the next day's."""
        self.articles = list(articles)
        self.story_of = list(story_of)
        self.vectors = [vectors.get(i) for i in range(len(articles))]
        self.stories = []
        for index, (article, story) in enumerate(zip(articles, story_of, strict=True)):
            if story == len(self.stories):
                self.stories.append(_Story([index], {}))
            else:
                self.stories[story].members.append(index)
            self._slug_first.setdefault(article.slug, index)
            if article.story is not None:
                self._pin_first.setdefault(article.story, index)
        if not articles:
            return
        oldest = articles[-1].date.timestamp() - self.reach
        times = [a.date.timestamp() for a in articles]
        recent = bisect.bisect_left(times, oldest)
        for index in range(recent, len(articles)):
            self._post(index, times[index])
        for story in {self.story_of[i] for i in range(recent, len(articles))}:
            members = self.stories[story].members
            self.stories[story].total = _vector_sum(self.vectors, members[-_MEMBERS:])

    @property
    def reach(self) -> float:
        """How far back a day's grouping reads: its open articles, and the stories they may
        join (a story with an article in the window before the oldest open one)."""
        return self.open_span + self._window + 86400.0

    def representative(self, members: Sequence[int]) -> int:
        """The article most like the others on average (ties: the earliest)."""
        if len(members) <= 2:
            return members[0]
        total = _vector_sum(self.vectors, members)
        best, best_score = members[0], -1.0
        for member in members:
            vector = self.vectors[member]
            if vector is None:
                continue  # see _vector_sum
            # Likeness to the others: the dot product with the sum, less its own (1: unit length).
            score = sum(w * total.get(t, 0.0) for t, w in vector.items()) - 1.0
            if score > best_score + 1e-9:
                best, best_score = member, score
        return best


def _scanned(
    postings_of: Mapping[str, list[tuple[float, int]]],
    vector: Mapping[str, float],
    low_key: tuple[float, int],
    high_key: tuple[float, int],
) -> dict[int, float]:
    """The weight of the vector's query terms shared with each article posted between the two
    keys (a term's `_POSTINGS_SCANNED` latest). Later articles are posted after an article's
    own key (date order, then index): what it finds never changes once it is added."""
    shared: dict[int, float] = {}
    for term, weight in list(vector.items())[:_QUERY_TERMS]:
        postings = postings_of.get(term)
        if not postings:
            continue
        low = bisect.bisect_left(postings, low_key)
        high = bisect.bisect_left(postings, high_key, low)
        for _, other in postings[max(low, high - _POSTINGS_SCANNED) : high]:
            shared[other] = shared.get(other, 0.0) + weight
    return shared


def _vector_sum(
    vectors: Sequence[dict[str, float] | None], members: Sequence[int]
) -> dict[str, float]:
    """The sum of the members' vectors (a story's likeness to an article is made of it)."""
    total: dict[str, float] = {}
    for member in members:
        # None only for an article of a story older than the checkpoint keeps that an
        # article pinned with `story:` joined: it adds nothing to the story's likeness.
        vector = vectors[member]
        if vector is not None:
            _add(total, vector, 1.0)
    return total


def _likeness(
    one: dict[str, float],
    other: dict[str, float],
    one_entities: dict[str, float],
    other_entities: dict[str, float],
) -> float:
    """How alike two articles are: the cosine of their term vectors, scaled down unless their
    names and numbers agree (by ENTITY_SHARE: half of the cosine holds only as far as the
    cosine of their entity vectors). Look-alike events share their vocabulary ("pirates",
    "Gulf of Aden", "navy") but not their who and when (the ship, how many were caught)."""
    shared = one.keys() & other.keys()
    if len(shared) < _MIN_SHARED:
        return 0.0
    cosine = sum(one[t] * other[t] for t in shared)
    agreement = sum(
        one_entities[t] * other_entities[t] for t in one_entities.keys() & other_entities.keys()
    )
    return cosine * (1.0 - ENTITY_SHARE + ENTITY_SHARE * agreement)


def _shared_dot(vector: dict[str, float], total: dict[str, float]) -> float:
    """The sum of the cosines of a unit vector with the vectors summed in ``total``; none when
    they share fewer than ``_MIN_SHARED`` terms."""
    # Only shared terms add to the dot product; the set intersection finds them in C.
    shared = vector.keys() & total.keys()
    if len(shared) < _MIN_SHARED:
        return 0.0
    return sum(vector[t] * total[t] for t in shared)


class _Nodes:
    """Average-link (UPGMA) merging of groups: new articles and existing stories, linked by
    the sum of the cosines between their articles. Ties break by the lowest node numbers, so
    the result never depends on dictionary or heap order."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.articles: list[list[int]] = []
        self.story: list[int | None] = []
        self.size: list[int] = []
        self.links: list[dict[int, float]] = []
        self.heap: list[tuple[float, int, int]] = []

    def add(self, article: int | None, story: int | None, size: int) -> int:
        self.articles.append([] if article is None else [article])
        self.story.append(story)
        self.size.append(size)
        self.links.append({})
        return len(self.size) - 1

    def link(self, a: int, b: int, total: float) -> None:
        if total <= 0.0:
            return
        self.links[a][b] = self.links[b][a] = total
        self._push(a, b)

    def _push(self, a: int, b: int) -> None:
        if None not in (self.story[a], self.story[b]) and self.story[a] != self.story[b]:
            return  # two stories (existing or pinned) never merge
        average = self.links[a][b] / (self.size[a] * self.size[b])
        if average >= self.threshold:
            heapq.heappush(self.heap, (-average, min(a, b), max(a, b)))

    def clusters(self) -> list[tuple[list[int], int | None]]:
        """Merge while the closest pair reaches the threshold; each group's new articles (in
        order) and its story (None: a new story; negative: a new pinned one), by their first
        new article."""
        alive = [True] * len(self.size)
        while self.heap:
            negative, a, b = heapq.heappop(self.heap)
            if not (alive[a] and alive[b]) or b not in self.links[a]:
                continue
            if -negative != self.links[a][b] / (self.size[a] * self.size[b]):
                continue  # stale: one of the two has grown since
            alive[b] = False
            self.articles[a] = sorted(self.articles[a] + self.articles[b])
            self.story[a] = self.story[a] if self.story[a] is not None else self.story[b]
            self.size[a] += self.size[b]
            gone, self.links[b] = self.links[b], {}
            for other, total in gone.items():
                if other == a:
                    continue
                del self.links[other][b]
                merged = self.links[a].get(other, 0.0) + total
                self.links[a][other] = self.links[other][a] = merged
            self.links[a].pop(b, None)
            for other in sorted(self.links[a]):
                self._push(a, other)
        groups = [
            (self.articles[n], self.story[n])
            for n in range(len(self.size))
            if alive[n] and self.articles[n]
        ]
        return sorted(groups, key=lambda group: group[0][0])


def _add(total: dict[str, float], vector: dict[str, float], sign: float) -> None:
    for term, weight in vector.items():
        total[term] = total.get(term, 0.0) + sign * weight


def term_vector(
    terms: Mapping[str, float], df: Mapping[str, int], documents: int
) -> dict[str, float]:
    """Sublinear tf times idf over the heaviest terms, scaled to unit length, heaviest first
    (ties: alphabetical). A term no article counted is as rare as can be."""
    log = math.log
    # Negated weights sort heaviest first with the term as tie-break, in C.
    ranked = sorted(
        (-(1.0 + log(count)) * (log((documents + 1) / (df.get(term, 0) + 1)) + 1), term)
        for term, count in terms.items()
    )[:_KEPT_TERMS]
    norm = math.sqrt(sum(w * w for w, _ in ranked)) or 1.0
    return {term: -w / norm for w, term in ranked}


def chronological(articles: Iterable[Article]) -> list[Article]:
    """Date order, ties by path: the order articles are added in, the same on every run."""
    return sorted(articles, key=lambda a: (a.date.timestamp(), a.source_path))


def idf_span(settings: StorySettings) -> float:
    """Seconds either side of an article whose articles give its idf (twice the window)."""
    return 2 * settings.window_days * 86400.0


# Least articles an idf is counted over: in a digest of few articles a week, the articles
# within the span would make every word of an event look rare. The window then reaches back
# (never forward: a new article must not change how older ones were grouped) to this many.
_IDF_ARTICLES = 250
# Articles whose terms are fetched (or worked out) at a time as the clustering moves forward.
_TERMS_PART = 4096


class _Frequencies:
    """Document frequencies of the articles within `span` seconds of a time that only moves
    forward (and at least `_IDF_ARTICLES` before it): each article is counted in once and out
    once."""

    def __init__(
        self,
        times: Sequence[float],
        terms_of: Callable[[int], Mapping[str, float]],
        span: float,
        forget: Callable[[int], object] | None = None,
    ) -> None:
        self.times, self.terms_of, self.span = times, terms_of, span
        # Told of each article counted out: the window never comes back to it.
        self.forget = forget
        self.df: Counter[str] = Counter()
        self.low = self.high = 0

    def around(self, index: int) -> tuple[Counter[str], int]:
        when, times = self.times[index], self.times
        low = min(bisect.bisect_left(times, when - self.span), max(0, index - _IDF_ARTICLES))
        if self.high == 0:
            self.low = self.high = low
        while self.high < len(times) and times[self.high] <= when + self.span:
            self.df.update(self.terms_of(self.high).keys())
            self.high += 1
        while self.low < low:
            self.df.subtract(self.terms_of(self.low).keys())
            if self.forget is not None:
                self.forget(self.low)
            self.low += 1
        return self.df, self.high - self.low


def cluster_stories(
    articles: Sequence[Article], settings: StorySettings | None = None
) -> tuple[Story, ...]:
    """Group articles into stories (newest story first), each article in exactly one."""
    return cluster_incrementally(articles, settings or StorySettings(), None)[0]


# Terms of many articles at once: article_terms of each, or kept from an earlier build.
TermsOf = Callable[[Sequence[Article]], list[dict[str, float]]]
# (name, each item's inputs, compute for the items at these indices, whether a kept value is
# one compute gives) -> a value per item: the summary cache's CachedAnalysis.memoize_each.
MemoizeEach = Callable[
    [str, Sequence[object], Callable[[list[int]], list[Any]], Callable[[Any], bool]], list[Any]
]


@cache
def _terms_code() -> str:
    """This module's source and the languages' one: the terms an article has depend on them."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((Path(__file__).parent / "languages.py").read_bytes())
    return digest.hexdigest()


def _is_terms(value: Any) -> bool:
    return type(value) is dict and all(
        type(k) is str and type(v) is float for k, v in value.items()
    )


def kept_terms(memoize_each: MemoizeEach, workers: int = 0) -> TermsOf:
    """article_terms of many articles, kept per article between builds: a build that must
    cluster again from further back (an edited or late article) finds the terms of the
    changed articles only (over ``workers`` processes; 0: one per core)."""

    def terms_of(articles: Sequence[Article]) -> list[dict[str, float]]:
        # What article_terms reads, and the code that reads it.
        inputs = [[_terms_code(), a.title, a.paragraphs, a.language] for a in articles]
        found: list[dict[str, float]] = memoize_each(
            "story-terms",
            inputs,
            lambda indices: map_parallel(article_terms, [articles[i] for i in indices], workers),
            _is_terms,
        )
        return found

    return terms_of


def cluster_incrementally(
    articles: Sequence[Article],
    settings: StorySettings,
    previous: str | None,
    terms_many: TermsOf | None = None,
) -> tuple[tuple[Story, ...], str]:
    """The stories, and a checkpoint from which the next call resumes.

    An article's vector (and so every decision about it) depends only on the articles within
    ``idf_span`` of it and on the decisions before it. So when the articles are those of the
    checkpoint plus others, the decisions about every article more than ``idf_span`` older
    than the first difference are the checkpoint's; clustering resumes after them and gives
    exactly what clustering everything would. A daily update re-clusters the last days only.
    The checkpoint comes from the cache, which is untrusted: it is checked, and anything
    malformed or not covering the resumed part means clustering everything.
    """
    ordered = chronological(articles)
    times = [a.date.timestamp() for a in ordered]
    keys = [_identity(a) for a in ordered]
    span = idf_span(settings)
    # The terms of the articles the clustering is reading now: fetched a part at a time as it
    # moves forward, let go once behind it (a terms dict per article of 100,000 took gigabytes).
    terms: dict[int, dict[str, float]] = {}
    fetch_from = len(ordered)

    def terms_of(index: int) -> dict[str, float]:
        found = terms.get(index)
        if found is None and terms_many is not None and index >= fetch_from:
            part = ordered[index : index + _TERMS_PART]
            terms.update(enumerate(terms_many(part), start=index))
            found = terms[index]
        if found is None:
            found = terms[index] = article_terms(ordered[index])
        return found

    clusterer = StoryClusterer(settings)
    state = _Checkpoint.decode(previous) if previous else None
    start = 0
    kept_heads: dict[int, int] = {}
    if state is not None:
        start = _resume_point(keys, times, state, span)
        resumed = _resumed(clusterer, ordered, state, start)
        if resumed is None:
            start = 0
            clusterer = StoryClusterer(settings)
        else:
            kept_heads = resumed
    if start < len(ordered):
        # The articles the clustering from `start` reads come from terms_many, when given.
        fetch_from = min(
            bisect.bisect_left(times, times[start] - span), max(0, start - _IDF_ARTICLES)
        )
    frequencies = _Frequencies(times, terms_of, span, forget=lambda i: terms.pop(i, None))
    for low, high in _batches(times, start):
        vectors = []
        for index in range(low, high):
            df, documents = frequencies.around(index)
            vectors.append(term_vector(terms_of(index), df, documents))
        clusterer.add_batch(ordered[low:high], vectors)
    # Stories that may have changed: those with an article open when clustering resumed.
    fresh = start
    if start < len(ordered):
        fresh = bisect.bisect_left(times, times[start] - clusterer.open_span - 86400.0)
    heads = []
    for number, story in enumerate(clusterer.stories):
        head = kept_heads.get(number)
        if head is None or story.members[-1] >= fresh:
            head = clusterer.representative(story.members)
        heads.append(head)
    found = [
        _story(ordered, story.members, head)
        for story, head in zip(clusterer.stories, heads, strict=True)
    ]
    stories = tuple(sorted(found, key=lambda s: (-s.end.timestamp(), s.id)))
    checkpoint = _Checkpoint.of(clusterer, keys, times, heads, span + clusterer.reach)
    return stories, checkpoint.encode()


def _story(ordered: Sequence[Article], members: Sequence[int], head: int) -> Story:
    return Story(
        id=ordered[members[0]].slug,
        title=ordered[head].title,
        articles=tuple(ordered[i].source_path for i in members),
        start=ordered[members[0]].date,
        end=max(ordered[i].date for i in members),
        headlines=tuple(
            StoryArticle(ordered[i].slug, ordered[i].title, ordered[i].source) for i in members
        ),
    )


# Most articles clustered together at once: a day's articles, in runs of at most this many,
# so the pairs compared within a batch stay bounded however busy the day.
_BATCH = 1000


def _batches(times: Sequence[float], start: int) -> list[tuple[int, int]]:
    """From `start` (the first article of a day), the index ranges of the batches: each day's
    articles in runs of `_BATCH` counted from the day's first."""
    found = []
    low = start
    while low < len(times):
        day_end = bisect.bisect_left(times, (times[low] // 86400 + 1) * 86400, low)
        high = min(max(day_end, low + 1), low + _BATCH)
        found.append((low, high))
        low = high
    return found


def _day_start(times: Sequence[float], index: int) -> int:
    """The first article of the day of article `index` (batches start there)."""
    if index >= len(times):
        return index
    return bisect.bisect_left(times, times[index] // 86400 * 86400)


def _identity(article: Article) -> str:
    """What clustering an article depends on: where it is, its slug, date, headline, text."""
    text = (
        article.content_hash
        or hashlib.sha256(
            "\0".join(article.paragraphs).encode("utf-8", "surrogatepass")
        ).hexdigest()
    )
    return hashlib.sha256(
        "\0".join(
            [
                article.source_path,
                article.slug,
                article.date.isoformat(),
                article.title,
                text,
                article.language,
                article.story or "",
            ]
        ).encode("utf-8", "surrogatepass")
    ).hexdigest()[:32]


def _resume_point(
    keys: Sequence[str], times: Sequence[float], state: _Checkpoint, span: float
) -> int:
    """The first article whose placing may differ from the checkpoint's."""
    same = 0
    limit = min(len(keys), len(state.keys))
    while same < limit and keys[same] == state.keys[same]:
        same += 1
    if same == len(keys) == len(state.keys):
        return same
    changed = min(
        times[same] if same < len(keys) else math.inf,
        state.times[same] if same < len(state.keys) else math.inf,
    )
    return _day_start(times, min(same, bisect.bisect_left(times, changed - span)))


def _resumed(
    clusterer: StoryClusterer, ordered: Sequence[Article], state: _Checkpoint, start: int
) -> dict[int, int] | None:
    """Set the clusterer up after the first `start` articles; the kept stories' headline
    articles, or None when the checkpoint lacks what that needs."""
    story_of = state.story_of[:start]
    if start:
        oldest = ordered[start - 1].date.timestamp() - clusterer.reach
        recent = {story_of[i] for i in range(start) if ordered[i].date.timestamp() >= oldest}
        needed = [i for i in range(start) if story_of[i] in recent]
        if any(i not in state.vectors for i in needed):
            return None
    clusterer.resume(ordered[:start], story_of, state.vectors)
    return {n: h for n, h in enumerate(state.heads) if n < len(clusterer.stories) and h < start}


@dataclass(frozen=True)
class _Checkpoint:
    """A clustering as the next build needs it: each article's identity, time and story, each
    story's headline article, and the vectors of the recent articles and of every article of
    a recent story."""

    keys: tuple[str, ...]
    times: tuple[float, ...]
    story_of: tuple[int, ...]
    heads: tuple[int, ...]
    vectors: Mapping[int, dict[str, float]]

    @classmethod
    def of(
        cls,
        clusterer: StoryClusterer,
        keys: Sequence[str],
        times: Sequence[float],
        heads: Sequence[int],
        reach: float,
    ) -> _Checkpoint:
        # The next build resumes at most `reach` (idf span and window) before its first
        # new article; a day more for articles dated a little earlier than the newest.
        oldest = (times[-1] if times else 0.0) - reach - 2 * 86400.0
        recent = {clusterer.story_of[i] for i, t in enumerate(times) if t >= oldest}
        kept = {}
        for story in sorted(recent):
            for member in clusterer.stories[story].members:
                vector = clusterer.vectors[member]
                if vector is not None:
                    kept[member] = vector
        return cls(tuple(keys), tuple(times), tuple(clusterer.story_of), tuple(heads), kept)

    def encode(self) -> str:
        return json.dumps(
            {
                "format": _CHECKPOINT_FORMAT,
                "keys": list(self.keys),
                "times": list(self.times),
                "story_of": list(self.story_of),
                "heads": list(self.heads),
                "vectors": {str(i): v for i, v in sorted(self.vectors.items())},
            },
            ensure_ascii=False,
            allow_nan=False,
        )

    @classmethod
    def decode(cls, text: str) -> _Checkpoint | None:
        """The checkpoint, or None when it is not one this code wrote (it is cache content)."""
        try:
            value = json.loads(text)
            keys, times, story_of = value["keys"], value["times"], value["story_of"]
            heads, vectors = value["heads"], value["vectors"]
            if value.get("format") != _CHECKPOINT_FORMAT:
                return None
            count = len(keys)
            if not (
                all(isinstance(k, str) for k in keys)
                and len(times) == len(story_of) == count
                and all(type(t) in (int, float) for t in times)
                and all(type(s) is int for s in story_of)
                and all(type(h) is int and 0 <= h < count for h in heads)
                and all(story_of[h] == n for n, h in enumerate(heads))
                and isinstance(vectors, dict)
            ):
                return None
            # Stories are numbered as they start: each article's is an earlier one or the next.
            made = 0
            for story in story_of:
                if not 0 <= story <= made:
                    return None
                made += story == made
            if len(heads) != made:
                return None
            decoded = {}
            for index, vector in vectors.items():
                at = int(index)
                if not (0 <= at < count and isinstance(vector, dict)):
                    return None
                if len(vector) > _KEPT_TERMS or not all(
                    isinstance(t, str) and type(w) is float for t, w in vector.items()
                ):
                    return None
                decoded[at] = vector
            return cls(tuple(keys), tuple(times), tuple(story_of), tuple(heads), decoded)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None


_CHECKPOINT_FORMAT = 1


def stories_of(
    articles: Sequence[Article],
    settings: StorySettings,
    load: Callable[[str], str | None] | None = None,
    save: Callable[[str, str], None] | None = None,
    memoize_each: MemoizeEach | None = None,
    workers: int = 0,
) -> tuple[Story, ...]:
    """The stories of the articles; with `load` and `save` (the summary cache's), each build
    resumes the clustering of the one before instead of clustering everything again, and
    with `memoize_each` the articles it reads again have their terms kept (those it computes,
    over `workers` processes)."""
    name = "stories:" + json.dumps(asdict(settings), sort_keys=True)
    previous = load(name) if load is not None else None
    terms_many = kept_terms(memoize_each, workers) if memoize_each is not None else None
    found, checkpoint = cluster_incrementally(articles, settings, previous, terms_many)
    if save is not None and checkpoint != previous:
        save(name, checkpoint)
    return found


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


def story_summary(
    story: Story, entries: Mapping[str, DigestEntry], sentences: int
) -> tuple[StorySentence, ...]:
    """A summary of the story from all its sources' sentences (digest/analysis/story_summary.py):
    what they agree on first, then what each adds, no sentence saying what a picked one says,
    each credited to its article; sentences from articles after the story's first day are
    marked as updates. As many sentences as `sentences`, or as the story has sources (up to 6).
    """
    members = [entries[p] for p in story.articles if p in entries]
    documents = [
        StoryDocument(
            e.article.slug,
            e.article.source,
            e.article.date,
            tuple(s.text for s in e.sentences),
        )
        for e in members
    ]
    budget = max(sentences, min(len(members), 6))
    return tuple(
        StorySentence(
            text=pick.text,
            article=members[pick.document].article.slug,
            source=members[pick.document].article.source,
            update=pick.update,
        )
        for pick in summarize_story(documents, sentences=budget)
    )


def average_link(
    size: int, links: Iterable[tuple[int, int, float]], threshold: float
) -> list[list[int]]:
    """Plain average-link (UPGMA) clustering of `size` items, given the likeness of each
    linked pair (i < j): the groups of indices. The baseline `digest eval stories` runs."""
    nodes = _Nodes(threshold)
    for index in range(size):
        nodes.add(index, None, 1)
    for one, other, likeness in links:
        nodes.link(one, other, likeness)
    return [members for members, _ in nodes.clusters()]
