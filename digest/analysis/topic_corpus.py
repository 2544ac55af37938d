"""What the whole corpus says about topics: learned sections, suggested topics, cluster scores.

Everything here works on TF-IDF vectors of stems with numpy only: no model to download, the same
bytes on every run (fixed seeds, stable sorts), and a few seconds for a thousand articles.

- ``assign_sections``: each article to its one best topic. Keyword evidence names the topics
  of the articles it is clear about; each topic's word profile (the centroid of those
  articles) then decides every article, including those whose words the keywords missed.
- ``suggest_topics``: clusters the articles that fit no topic (spherical k-means on their
  LSA projection, idf weights from the whole corpus) and describes each cluster by its most
  distinctive words, as a topic ready to paste into mkdocs.yml.
- ``v_measure`` and ``adjusted_rand_index``: how well clusters agree with known categories.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
from slugify import slugify
from sumy.utils import get_stop_words

from digest.analysis.parallel import map_parallel
from digest.analysis.tokenizer import sentences_of
from digest.analysis.topics import CompiledTopic, Tokens, TopicMatcher
from digest.config import DigestConfig
from digest.model import Digest, DigestEntry, Topic, TopicMatch, TopicSuggestion

_STOP_WORDS = frozenset(get_stop_words("english")) | frozenset(
    {"said", "says", "say", "mr", "mrs", "ms", "also", "would", "could", "year", "years", "new"}
    | {"one", "two", "told", "people", "last", "first", "like", "just", "time", "make", "made"}
    | {"including", "added", "according", "week", "month", "months", "three", "four", "five"}
)


def stop_words_of(language: str) -> frozenset[str]:
    """The words never used as a term for a document in this language: the English ones
    above, and its own language's (a digest in English also carries Spanish or Persian news)."""
    if language in ("en", "english", ""):
        return _STOP_WORDS
    from digest.analysis.languages import stop_words

    return _STOP_WORDS | stop_words(language)


_WORDLIKE = re.compile(r"^[^\W\d_][^\W_]*(?:['’][^\W_]+)?$")
SEED = 20190514
# A build cache's per-item memo: (name, inputs, compute for the missing indices, valid).
MemoizeEach = Callable[
    [str, Sequence[Any], Callable[[list[int]], list[Any]], Callable[[Any], bool]], list[Any]
]


@dataclass(frozen=True)
class Document:
    """An article as the corpus tools see it."""

    id: str
    title: str
    paragraphs: tuple[str, ...]
    # ISO 639-1: its stop words are left out too (digest.analysis.languages).
    language: str = "en"


def document_of(entry: DigestEntry) -> Document:
    article = entry.article
    return Document(article.slug, article.title, article.paragraphs, article.language or "en")


class TermVectors:
    """L2-normalised TF-IDF rows (documents) over stems that are neither rare nor everywhere."""

    def __init__(self, documents: Sequence[Document], min_df: int = 2, max_df: float = 0.5) -> None:
        counts: list[Counter[str]] = []
        surface: dict[str, Counter[str]] = {}
        for document in documents:
            counter: Counter[str] = Counter()
            stop = stop_words_of(document.language)
            for text in (document.title, *document.paragraphs):
                tokens = Tokens(text)
                for word, word_stem in zip(tokens.words, tokens.stems, strict=True):
                    if len(word) < 3 or word.lower() in stop or not _WORDLIKE.match(word):
                        continue
                    counter[word_stem] += 1
                    surface.setdefault(word_stem, Counter())[word] += 1
            counts.append(counter)
        df: Counter[str] = Counter()
        for counter in counts:
            df.update(counter.keys())
        n = len(documents)
        # In a small site the few stories of one theme are a large share of all of them.
        limit = max(min_df, int(max_df * n)) if n >= 20 else n
        self.vocabulary: tuple[str, ...] = tuple(
            sorted(s for s, d in df.items() if min(min_df, n) <= d <= limit)
        )
        index = {s: i for i, s in enumerate(self.vocabulary)}
        self.idf = np.array([math.log((1 + n) / (1 + df[s])) + 1 for s in self.vocabulary])
        matrix = np.zeros((n, len(self.vocabulary)), dtype=np.float64)
        for row, counter in enumerate(counts):
            for word_stem, count in counter.items():
                column = index.get(word_stem)
                if column is not None:
                    matrix[row, column] = 1 + math.log(count)
        matrix *= self.idf
        # Share of all documents using each stem: what "common" means for this corpus.
        self.presence = np.array([df[s] / max(1, n) for s in self.vocabulary])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = matrix / np.where(norms == 0, 1, norms)
        # The form readers know a stem by: its most frequent spelling (ties: alphabetical),
        # lowercase unless it is always capitalised (a name, not a sentence's first word).
        self.surface = {s: _spelling(surface[s]) for s in self.vocabulary}

    def words_of(self, weights: np.ndarray, count: int) -> tuple[str, ...]:
        """The surface forms of the `count` heaviest stems (ties broken by the stem)."""
        order = sorted(range(len(weights)), key=lambda i: (-weights[i], self.vocabulary[i]))
        return tuple(self.surface[self.vocabulary[i]] for i in order[:count] if weights[i] > 0)


def _spelling(forms: Counter[str]) -> str:
    lower = {w: n for w, n in forms.items() if not w[:1].isupper()}
    return min((lower or forms).items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def assign_sections(
    vectors: TermVectors,
    seeds: Sequence[Mapping[str, float]],
    slugs: Sequence[str],
    rounds: int = 10,
) -> tuple[list[str | None], np.ndarray]:
    """Each document's one best topic, learned from the documents keywords are clear about.

    ``seeds[i]`` maps topic slugs to the keyword evidence document i has for them. A document
    starts in the topic with the most evidence; then, until nothing changes, every topic's
    profile is the mean of its documents and every document moves to the nearest profile.
    A document with no words in common with any profile stays without a topic (None).
    Returns the topics and the profiles (unit rows, one per slug).
    """
    position = {slug: k for k, slug in enumerate(slugs)}
    labels = np.full(len(seeds), -1)
    for i, evidence in enumerate(seeds):
        known = [(weight, -position[s]) for s, weight in evidence.items() if s in position]
        known = [k for k in known if k[0] > 0]
        if known:
            labels[i] = -max(known)[1]
    centroids = np.zeros((len(slugs), vectors.matrix.shape[1]))
    for _ in range(rounds):
        centroids = np.zeros((len(slugs), vectors.matrix.shape[1]))
        for k in range(len(slugs)):
            members = vectors.matrix[labels == k]
            if len(members):
                centroids[k] = members.mean(axis=0)
        centroids = _unit_rows(centroids)
        similarity = vectors.matrix @ centroids.T
        updated = np.where(similarity.max(axis=1) > 0, similarity.argmax(axis=1), -1)
        if np.array_equal(updated, labels):
            break
        labels = updated
    return [slugs[k] if k >= 0 else None for k in labels], centroids


def shared_words(
    vectors: TermVectors, row: int, profile: np.ndarray, count: int = 5
) -> tuple[str, ...]:
    """The words that make a document like a topic's profile, strongest first."""
    return vectors.words_of(vectors.matrix[row] * profile, count)


def sections_of(entries: Sequence[DigestEntry], topics: Sequence[Topic]) -> list[DigestEntry]:
    """``topic_mode: sections``: every entry in its one best topic (forced topics stay too)."""
    if not entries or not topics:
        return list(entries)
    slugs = [t.slug for t in topics]
    documents = [document_of(e) for e in entries]
    vectors = TermVectors(documents)
    seeds = [{m.topic: m.share for m in e.topics if not m.forced} for e in entries]
    chosen, profiles = assign_sections(vectors, seeds, slugs)
    result = []
    for row, (entry, slug) in enumerate(zip(entries, chosen, strict=True)):
        kept = [m for m in entry.topics if m.forced or m.topic == slug]
        if slug is not None and entry.match(slug) is None:
            kept.append(
                TopicMatch(
                    topic=slug,
                    share=0.0,
                    paragraphs=(),
                    evidence=shared_words(vectors, row, profiles[slugs.index(slug)]),
                    summary=entry.summary,
                    learned=True,
                )
            )
        ordered = tuple(sorted(kept, key=lambda m: slugs.index(m.topic)))
        result.append(replace(entry, topics=ordered))
    return result


def suggestions_for(digest: Digest, config: DigestConfig) -> tuple[TopicSuggestion, ...]:
    """Candidate topics for the Other page: clusters among its entries, weighted by all."""
    documents = [document_of(e) for e in digest.entries]
    other = {e.article.slug for e in digest.other}
    candidates = [i for i, d in enumerate(documents) if d.id in other]
    found = suggest_topics(
        documents,
        candidates,
        existing=config.topics,
        threshold=config.topic_threshold,
    )
    return found.suggestions[: config.topic_suggestions]


def spherical_kmeans(
    matrix: np.ndarray, k: int, restarts: int = 4, iterations: int = 50, seed: int = SEED
) -> np.ndarray:
    """Cluster unit rows by cosine similarity; the best of a few seeded k-means++ starts."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0, dtype=int)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    best_labels = np.zeros(n, dtype=int)
    best_score = -np.inf
    for _ in range(restarts):
        centres = [int(rng.integers(n))]
        for _ in range(1, k):
            distance = 1 - (matrix @ matrix[centres].T).max(axis=1)
            distance = np.clip(distance, 0, None) ** 2
            total = distance.sum()
            choice = int(rng.choice(n, p=distance / total)) if total > 0 else int(rng.integers(n))
            centres.append(choice)
        centroids = matrix[centres].copy()
        labels = np.full(n, -1)
        for _ in range(iterations):
            similarity = matrix @ centroids.T
            updated = similarity.argmax(axis=1)
            if np.array_equal(updated, labels):
                break
            labels = updated
            for c in range(k):
                members = matrix[labels == c]
                if len(members):
                    centroids[c] = members.sum(axis=0)
            centroids = _unit_rows(centroids)
        score = float((matrix @ centroids.T)[np.arange(n), labels].sum())
        if score > best_score:
            best_score, best_labels = score, labels.copy()
    return best_labels


def singular_directions(matrix: np.ndarray, dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """The top singular values and left singular vectors, by a seeded randomized SVD.

    Two power iterations on a random projection give the leading directions of a document-term
    matrix in a fraction of a full decomposition's time; the seed keeps the result identical
    from run to run, and each direction's sign is fixed so the solver cannot flip it.
    """
    n, m = matrix.shape
    rank = max(1, min(dimensions, n, m))
    rng = np.random.default_rng(SEED)
    probe = rng.standard_normal((m, min(m, rank + 10)))
    basis, _ = np.linalg.qr(matrix @ probe)
    for _ in range(2):
        basis, _ = np.linalg.qr(matrix @ (matrix.T @ basis))
    small_u, values, _ = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    vectors = (basis @ small_u)[:, :rank]
    values = values[:rank]
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    return values, vectors * np.where(signs == 0, 1, signs)


def reduce(matrix: np.ndarray, dimensions: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Latent semantic analysis: rows projected on their top singular directions, renormalised.

    Words that occur together count as one signal, so clusters form around themes rather than
    single shared words. Returns the projected rows and the singular values.
    """
    if matrix.shape[0] <= 2 or matrix.shape[1] == 0:
        return matrix, np.zeros(0)
    values, vectors = singular_directions(matrix, dimensions)
    keep = values > 1e-8
    return _unit_rows(vectors[:, keep] * values[keep]), values[keep]


def eigengap_k(values: np.ndarray, candidates: Sequence[int]) -> int:
    """The cluster count after which the spectrum drops most (the eigengap heuristic).

    With k well separated themes, a document-term matrix has about k strong directions
    (the first is what all articles share); the largest ratio between consecutive squared
    singular values marks where the themes end and the noise begins.
    """
    energy = values**2
    usable = [k for k in candidates if k < len(energy)]
    if not usable:
        return min(candidates)
    return max(usable, key=lambda k: (energy[k - 1] / max(energy[k], 1e-12), -k))


def distinctive_words(
    vectors: TermVectors, rows: np.ndarray, labels: np.ndarray, cluster: int, count: int
) -> tuple[str, ...]:
    """Words frequent in the cluster and rare outside it: mean weight inside minus outside,
    times the share of the cluster using them, times their lift over the whole corpus."""
    inside = vectors.matrix[rows[labels == cluster]].mean(axis=0)
    others = rows[labels != cluster]
    outside = vectors.matrix[others].mean(axis=0) if len(others) else np.zeros_like(inside)
    # Words most of the cluster shares beat words one long article repeats.
    presence = (vectors.matrix[rows[labels == cluster]] > 0).mean(axis=0)
    # A word the whole corpus uses about as often ("percent", "making", "federal") names no
    # theme, however much of a cluster of leftovers shares it: weigh by how many times more
    # often the cluster uses it than all stories do (log lift; none when it is not twice).
    overall = np.maximum(vectors.presence, 1e-12)
    lift = np.log(np.maximum(presence / overall, 1.0)) - math.log(2.0)
    return vectors.words_of((inside - outside) * presence * np.maximum(lift, 0.0), count)


@dataclass(frozen=True)
class Clustering:
    """Which cluster each candidate document fell in, and the suggestions made from them."""

    documents: tuple[str, ...]  # the clustered documents' ids
    labels: tuple[int, ...]
    suggestions: tuple[TopicSuggestion, ...]


def suggest_topics(
    corpus: Sequence[Document],
    candidates: Sequence[int] | None = None,
    *,
    clusters: int | None = None,
    words: int = 8,
    min_articles: int = 3,
    existing: Sequence[Topic] = (),
    threshold: float = 0.1,
) -> Clustering:
    """Candidate topics among ``corpus[candidates]`` (default: all), weighted by the corpus.

    ``clusters`` fixes the number of clusters; by default the eigengap of the spectrum chooses
    it, between 2 and 12. A cluster of fewer than ``min_articles`` documents suggests nothing. Each
    suggestion's articles are the candidates its signal words would gather as a configured topic.
    """
    given = list(range(len(corpus))) if candidates is None else list(candidates)
    if len(given) < max(2, min_articles):
        return Clustering(tuple(corpus[i].id for i in given), (0,) * len(given), ())
    # The same stories give the same clusters in whatever order they come: the Other page
    # passes them newest first, `digest topics suggest` by file name, and k-means depends on
    # the order of its rows. So both work on the stories sorted by id.
    order = sorted(range(len(corpus)), key=lambda i: (corpus[i].id, i))
    where = {original: new for new, original in enumerate(order)}
    corpus = [corpus[i] for i in order]
    chosen = sorted(where[i] for i in given)
    vectors = TermVectors(corpus)
    rows = np.array(chosen)
    reduced, values = reduce(vectors.matrix[rows])
    if clusters is None:
        top = min(12, len(chosen) // max(1, min_articles))
        clusters = eigengap_k(values, range(2, max(2, top) + 1))
    k, labels = clusters, spherical_kmeans(reduced, clusters)
    taken = {t.slug for t in existing} | {"other"}
    sized: list[tuple[int, Topic]] = []
    for cluster in range(k):
        size = int((labels == cluster).sum())
        if size < min_articles:
            continue
        signal = distinctive_words(vectors, rows, labels, cluster, words)
        if not signal:
            continue
        name = ", ".join(w if w[:1].isupper() else w.capitalize() for w in signal[:3])
        slug = slugify(name) or f"topic-{cluster + 1}"
        while slug in taken:
            slug = f"{slug}-{cluster + 1}"
        taken.add(slug)
        sized.append((size, Topic(name, slug, keywords=signal)))
    # What pasting them all would do: the configured topics and the suggestions side by side.
    matcher = TopicMatcher((*existing, *(t for _, t in sized)), threshold)
    gathered: dict[str, list[str]] = {t.slug: [] for _, t in sized}
    for i in chosen:
        paragraphs = corpus[i].paragraphs
        for found in matcher.attribute(paragraphs, sentences_of(paragraphs), (corpus[i].title,)):
            if found.topic in gathered:
                gathered[found.topic].append(corpus[i].id)
    suggestions = sorted(
        (
            TopicSuggestion(t.name, t.slug, t.keywords, tuple(gathered[t.slug]), size)
            for size, t in sized
        ),
        key=lambda s: (-s.cluster_size, s.slug),
    )
    label_of = {i: int(x) for i, x in zip(chosen, labels, strict=True)}
    return Clustering(
        tuple(corpus[where[i]].id for i in given),
        tuple(label_of[where[i]] for i in given),
        tuple(suggestions),
    )


def suggestion_yaml(suggestion: TopicSuggestion) -> str:
    """One suggestion as a YAML flow mapping: one line to paste under ``topics:``."""
    keywords = ", ".join(_yaml_string(k) for k in suggestion.keywords)
    return f"- {{name: {_yaml_string(suggestion.name)}, keywords: [{keywords}]}}"


def _yaml_string(text: str) -> str:
    # Always quoted: a word such as "yes" or "null" must stay a word.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _entropy(counts: np.ndarray) -> float:
    total = counts.sum()
    if total == 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum())


def _contingency(truth: Sequence[object], predicted: Sequence[object]) -> np.ndarray:
    classes = sorted(set(truth), key=str)
    clusters = sorted(set(predicted), key=str)
    table = np.zeros((len(classes), len(clusters)))
    ci = {c: i for i, c in enumerate(classes)}
    ki = {k: i for i, k in enumerate(clusters)}
    for t, p in zip(truth, predicted, strict=True):
        table[ci[t], ki[p]] += 1
    return table


def v_measure(truth: Sequence[object], predicted: Sequence[object]) -> tuple[float, float, float]:
    """(homogeneity, completeness, V-measure) of a clustering against known classes."""
    table = _contingency(truth, predicted)
    n = table.sum()
    h_c = _entropy(table.sum(axis=1))
    h_k = _entropy(table.sum(axis=0))
    nz = table > 0
    joint = table[nz] / n
    row = (table.sum(axis=1, keepdims=True) / n).repeat(table.shape[1], axis=1)[nz]
    col = (table.sum(axis=0, keepdims=True) / n).repeat(table.shape[0], axis=0)[nz]
    h_c_given_k = float(-(joint * np.log(joint / col)).sum())
    h_k_given_c = float(-(joint * np.log(joint / row)).sum())
    homogeneity = 1.0 if h_c == 0 else 1 - h_c_given_k / h_c
    completeness = 1.0 if h_k == 0 else 1 - h_k_given_c / h_k
    total = homogeneity + completeness
    v = 0.0 if total == 0 else 2 * homogeneity * completeness / total
    return homogeneity, completeness, v


def adjusted_rand_index(truth: Sequence[object], predicted: Sequence[object]) -> float:
    """Agreement of two partitions, corrected for chance (1 identical, about 0 random)."""
    table = _contingency(truth, predicted)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    n = table.sum()
    index = pairs(table)
    rows, cols = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2) if n > 1 else 0.0
    maximum = (rows + cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


@dataclass(frozen=True)
class LearnedContext:
    """A topic's vocabulary learned from the articles that clearly belong to it."""

    topic: str  # slug
    # How many articles clearly belong to it (joined, two or more distinct keywords).
    articles: int
    # Words common around its keywords in those articles and rare elsewhere, best first.
    words: tuple[str, ...]


def learn_context(
    documents: Sequence[Document], matcher: TopicMatcher, count: int = 15, min_articles: int = 3
) -> tuple[LearnedContext, ...]:
    """Each topic's vocabulary, for its ``context`` option, learned from the documents.

    An article clearly belongs to a topic when it joins it on at least two distinct keywords
    and at least the threshold's share of its sentences. The words of its sentences about the
    topic (its keywords' neighbours) are counted once per article; a word is kept when a quarter
    of such articles (at least two) and at least twice its share of all articles use it (it is
    the topic's, not the news's), ranked by that share times its log lift. A topic with fewer than
    ``min_articles`` such articles learns nothing: its context would be one story's words.
    """
    parts = [member_words(d, matcher) for d in documents]
    return vocabulary_of(parts, matcher.topics, count, min_articles)


def member_words(document: Document, matcher: TopicMatcher) -> dict[str, Any]:
    """One article's part in the learned vocabularies, as JSON (so a build caches it per
    article): its content stems, and for each topic it clearly belongs to the stems of its
    sentences about it, with the spelling the article uses most for each."""
    sentences = sentences_of(document.paragraphs)
    words = _content_words((document.title, *document.paragraphs), document.language)
    stems = {word_stem for _, word_stem in words}
    about: dict[str, list[str]] = {}
    analysis = matcher.analyse(document.paragraphs, sentences, (document.title,), document.language)
    for found in analysis.joined:
        if len(found.evidence) < 2 or found.share < matcher.threshold:
            continue
        chosen = set(found.sentences)
        texts = [s.text for s in sentences if s.index in chosen]
        topic_words = _content_words(texts, document.language)
        words.extend(topic_words)
        about[found.topic] = sorted({word_stem for _, word_stem in topic_words})
    used = {word_stem for words in about.values() for word_stem in words}
    # Spellings are counted for the stems kept only: the rest of an article's words are many.
    surface: dict[str, Counter[str]] = {word_stem: Counter() for word_stem in used}
    for word, word_stem in words:
        if word_stem in surface:
            surface[word_stem][word] += 1
    forms = {word_stem: _spelling(surface[word_stem]) for word_stem in sorted(used)}
    return {"stems": sorted(stems), "about": about, "forms": forms}


@dataclass(frozen=True)
class MemberWords:
    """member_words with one matcher for the topics: a task that pickles (to run in workers)."""

    topics: tuple[Topic, ...]
    threshold: float

    def __call__(self, document: Document) -> dict[str, Any]:
        return member_words(document, _matcher(self.topics, self.threshold))


@lru_cache(maxsize=4)
def _matcher(topics: tuple[Topic, ...], threshold: float) -> TopicMatcher:
    # Built once per process for a build's topics (each worker unpickles a task per chunk).
    return TopicMatcher(topics, threshold)


def vocabulary_of(
    parts: Sequence[Mapping[str, Any]],
    topics: Sequence[Topic],
    count: int = 15,
    min_articles: int = 3,
) -> tuple[LearnedContext, ...]:
    """The topics' vocabularies from every article's ``member_words`` (see learn_context)."""
    counts = VocabularyCounts(topics)
    counts.add(parts)
    return counts.vocabularies(count, min_articles)


class VocabularyCounts:
    """What the topics' vocabularies are learned from, counted over articles' ``member_words``
    added in any order and in as many parts as wanted (a large folder is read a block at a
    time, so all of its parts are never held at once)."""

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.topics = tuple(topics)
        keyword_stems = {t.slug: CompiledTopic.of(t).stems for t in topics}
        self.keyword_stems = set().union(*keyword_stems.values()) if keyword_stems else set()
        self.df: Counter[str] = Counter()
        self.near: dict[str, Counter[str]] = {t.slug: Counter() for t in topics}
        self.strong: Counter[str] = Counter()
        self.forms: dict[str, Counter[str]] = {}
        self.articles = 0

    def add(self, parts: Iterable[Mapping[str, Any]]) -> None:
        for part in parts:
            self.articles += 1
            self.df.update(part["stems"])
            for slug, words in part["about"].items():
                if slug in self.near:
                    self.strong[slug] += 1
                    self.near[slug].update(words)
            for word_stem, form in part["forms"].items():
                self.forms.setdefault(word_stem, Counter())[form] += 1

    def state(self) -> dict[str, Any]:
        """What has been counted, as JSON (a build keeps it per run of articles)."""
        return {
            "articles": self.articles,
            "df": dict(self.df),
            "near": {slug: dict(words) for slug, words in self.near.items()},
            "strong": dict(self.strong),
            "forms": {word_stem: dict(forms) for word_stem, forms in self.forms.items()},
        }

    def merge(self, state: Mapping[str, Any]) -> None:
        """Add what another count over other articles found (a state passing counts_state)."""
        self.articles += state["articles"]
        self.df.update(state["df"])
        for slug, words in state["near"].items():
            self.near[slug].update(words)
        self.strong.update(state["strong"])
        for word_stem, forms in state["forms"].items():
            self.forms.setdefault(word_stem, Counter()).update(forms)

    def counts_state(self, value: Any) -> bool:
        """Whether a kept value (cache content: untrusted) is a state these topics can merge."""
        slugs = set(self.near)
        return (
            isinstance(value, dict)
            and set(value) == {"articles", "df", "near", "strong", "forms"}
            and _count(value["articles"])
            and _counts(value["df"])
            and _counts(value["strong"], slugs)
            and isinstance(value["near"], dict)
            and set(value["near"]) <= slugs
            and all(_counts(words) for words in value["near"].values())
            and isinstance(value["forms"], dict)
            and all(isinstance(k, str) and _counts(v) for k, v in value["forms"].items())
        )

    def vocabularies(self, count: int = 15, min_articles: int = 3) -> tuple[LearnedContext, ...]:
        total = max(1, self.articles)
        learned = []
        for topic in self.topics:
            n = self.strong[topic.slug]
            if n < min_articles:
                learned.append(LearnedContext(topic.slug, n, ()))
                continue
            scored = []
            for word_stem, inside in self.near[topic.slug].items():
                if inside < max(2, math.ceil(n / 4)) or word_stem in self.keyword_stems:
                    continue
                share, overall = inside / n, self.df[word_stem] / total
                if share >= 2 * overall:
                    scored.append((-share * math.log(share / overall), word_stem))
            scored.sort()
            words = tuple(_spelling(self.forms[s]) for _, s in scored[:count])
            learned.append(LearnedContext(topic.slug, n, words))
        return tuple(learned)


def _count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _counts(value: Any, keys: set[str] | None = None) -> bool:
    """A JSON object of counts by word (by one of keys, if given)."""
    return (
        isinstance(value, dict)
        and all(isinstance(k, str) and _count(n) for k, n in value.items())
        and (keys is None or set(value) <= keys)
    )


def _content_words(texts: Iterable[str], language: str = "en") -> list[tuple[str, str]]:
    """The content words of texts (no stop words, none under three letters), with stems."""
    stop = stop_words_of(language)
    found: list[tuple[str, str]] = []
    for text in texts:
        tokens = Tokens(text)
        found.extend(
            (word, word_stem)
            for word, word_stem in zip(tokens.words, tokens.stems, strict=True)
            if len(word) >= 3 and word.lower() not in stop and _WORDLIKE.match(word)
        )
    return found


# Articles whose parts in the learned vocabularies are worked out and counted at a time: the
# parts of 100,000 articles held at once took gigabytes.
LEARN_PART = 4096


def learned_topics(
    documents: Sequence[Document],
    topics: Sequence[Topic],
    threshold: float = 0.1,
    memoize_each: MemoizeEach | None = None,
    workers: int = 0,
    digests: Sequence[str] | None = None,
) -> tuple[Topic, ...]:
    """The topics with their vocabulary learned from the documents where none is configured.

    A topic's ``context:`` in the config overrides what is learned. The learning is
    deterministic (counts over the documents, ties broken by the word), so the same folder
    gives the same vocabulary, and so the same cache keys, on every build. ``memoize_each``
    (a build's cache) keeps each article's part, so only new or changed articles are read;
    the others are read over ``workers`` processes (0: one per core). With ``digests`` (one
    per document, changing with its text) it also keeps the counts of each run of LEARN_PART
    documents: documents added after the others leave the earlier runs' counts as they were,
    and only the last run's parts are read again.
    """
    if all(t.context for t in topics) or not documents:
        return tuple(topics)
    words_of = MemberWords(tuple(topics), threshold)
    counts = VocabularyCounts(topics)
    setup = [repr(tuple(topics)), threshold]
    starts = range(0, len(documents), LEARN_PART)
    runs = [documents[start : start + LEARN_PART] for start in starts]

    def parts_of(run: Sequence[Document]) -> Iterable[Mapping[str, Any]]:
        if memoize_each is None:
            return map_parallel(words_of, run, workers)
        # Each article's part depends on its text and on the topics' keywords, not the rest.
        inputs = [[*setup, d.language, d.title, list(d.paragraphs)] for d in run]
        return memoize_each(
            "topic-vocabulary",
            inputs,
            lambda indices: map_parallel(words_of, [run[i] for i in indices], workers),
            lambda value: isinstance(value, dict) and "about" in value,
        )

    if memoize_each is None or digests is None:
        for run in runs:
            counts.add(parts_of(run))
    else:

        def counted(indices: list[int]) -> list[dict[str, Any]]:
            states = []
            for index in indices:  # one run's parts held at a time
                run_counts = VocabularyCounts(topics)
                run_counts.add(parts_of(runs[index]))
                states.append(run_counts.state())
            return states

        inputs = [[*setup, list(digests[start : start + LEARN_PART])] for start in starts]
        for state in memoize_each("topic-vocabulary-counts", inputs, counted, counts.counts_state):
            counts.merge(state)
    learned = {c.topic: c.words for c in counts.vocabularies()}
    return tuple(t if t.context else replace(t, context=learned.get(t.slug, ())) for t in topics)
