"""Story clustering benchmark: time and memory at 1,000 and 10,000 articles.

Volume comes from the shared corpora (BASIL events, the news decks and BBC News: 1,700 real
articles), repeated as often as needed and spread over consecutive days at a steady rate
(`--per-day`, 150 by default: a digest of many sources), so every window of `window_days`
holds about a thousand articles on the same few subjects. Dates are assigned in a shuffled
(seeded) order, so a repeated article may meet its copy within a window, as a syndicated copy
would.

Each size is measured against a floor taken in the same run on the same articles: splitting
every headline and paragraph into lowercased words with the digest's word tokenizer (the least
any clustering of the text must do), and holding those words. Printed: seconds and ratio to
the floor, ms per article, stories compared per article, and peak memory (tracemalloc, in a
separate pass since tracing slows Python down) and its ratio to the floor's.

    python benchmarks/stories.py                 # 1,000 and 10,000 articles
    python benchmarks/stories.py --sizes 2000    # other sizes
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from digest.analysis import stories as clustering
from digest.analysis.tokenizer import split_words
from digest.model import Article, StorySettings
from digest.sources.text import paragraphs_of

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
BASIL = CORPORA / "basil-events" / "events-even.jsonl"
DECKS = CORPORA / "news-decks" / "decks-even.jsonl"
BBC = CORPORA / "bbc-news-summary" / "articles"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def corpus() -> list[tuple[str, tuple[str, ...]]]:
    """(headline, paragraphs) of every article in the three corpora, in a fixed order."""
    found = []
    for path in (BASIL, DECKS):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found.append((row["title"], tuple(paragraphs_of(row["text"]))))
    for path in sorted(BBC.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)
        found.append((lines[0].strip(), tuple(paragraphs_of(lines[1] if len(lines) > 1 else ""))))
    return [(title, paragraphs) for title, paragraphs in found if title and paragraphs]


def synthesise(texts: Sequence[tuple[str, tuple[str, ...]]], n: int, per_day: int) -> list[Article]:
    order = [i % len(texts) for i in range(n)]
    random.Random(20190514).shuffle(order)
    step = timedelta(days=1) / per_day
    articles = []
    for position, index in enumerate(order):
        title, paragraphs = texts[index]
        slug = f"a{position:06d}"
        articles.append(
            Article(
                source_path=f"{slug}.txt",
                slug=slug,
                title=title,
                date=START + position * step,
                paragraphs=paragraphs,
            )
        )
    return articles


def tokenise(articles: Sequence[Article]) -> list[list[str]]:
    """The floor: every word of every article, lowercased."""
    return [[w.lower() for t in (a.title, *a.paragraphs) for w in split_words(t)] for a in articles]


def cluster(articles: Sequence[Article], settings: StorySettings) -> clustering.StoryClusterer:
    """What cluster_stories does, keeping the clusterer to read its counters."""
    ordered = clustering.chronological(articles)
    times = [a.date.timestamp() for a in ordered]
    terms = [clustering.article_terms(a) for a in ordered]
    frequencies = clustering._Frequencies(times, terms.__getitem__, clustering.idf_span(settings))
    clusterer = clustering.StoryClusterer(settings)
    for low, high in clustering._batches(times, 0):
        vectors = []
        for index in range(low, high):
            df, documents = frequencies.around(index)
            vectors.append(clustering.term_vector(terms[index], df, documents))
        clusterer.add_batch(ordered[low:high], vectors)
    return clusterer


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def peak_bytes(run: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--per-day", type=int, default=150, help="articles per day")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs; the best is kept")
    args = parser.parse_args(argv)
    if not (BASIL.exists() and DECKS.exists() and BBC.is_dir()):
        print(f"shared corpora not found at {CORPORA}", file=sys.stderr)
        return 2
    texts = corpus()
    settings = StorySettings()
    print(
        f"{len(texts)} distinct articles (BASIL, news decks, BBC), {args.per_day} a day; "
        f"threshold {settings.threshold:g}, window {settings.window_days:g} days\n"
    )
    print(
        "| articles | floor: tokenise | cluster | ratio | ms/article | compared/article "
        "| stories | floor peak | cluster peak | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        articles = synthesise(texts, n, args.per_day)
        # Warm the stemmer's cache as a long-running build would have it; the floor has none.
        cluster(articles[: min(n, 200)], settings)
        floor_s, _ = timed(lambda a=articles: tokenise(a), args.repeat)
        cluster_s, clusterer = timed(lambda a=articles: cluster(a, settings), args.repeat)
        floor_peak = peak_bytes(lambda a=articles: tokenise(a))
        cluster_peak = peak_bytes(lambda a=articles: cluster(a, settings))
        mib = 1024 * 1024
        print(
            f"| {n:,} | {floor_s:.2f} s | {cluster_s:.2f} s | {cluster_s / floor_s:.1f}x "
            f"| {1000 * cluster_s / n:.2f} | {clusterer.comparisons / n:.1f} "
            f"| {len(clusterer.stories):,} | {floor_peak / mib:.0f} MiB "
            f"| {cluster_peak / mib:.0f} MiB | {cluster_peak / floor_peak:.1f}x |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
