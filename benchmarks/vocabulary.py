"""Learned topic vocabularies when a day completes a block of articles: kept counts vs every part.

A topic without a configured `context:` learns its vocabulary from whole blocks of the oldest
articles (digest.pipeline.LEARN_BLOCK, learning_span), so a day's articles leave it alone
until the blocks double; then it is learned again. Each article's part (its content stems and
its words about each topic it clearly belongs to) is kept in the cache; since f7d3b2d so are
the counts of each run of LEARN_PART articles, and a new block counts only the last run's
parts.

In one run, on the benchmark's archive articles (../shared/corpora, as benchmarks/build.py
builds them): every article's part worked out once (the cold build's learning), one block of
newer articles' parts worked out, then the vocabulary learned for all of them

- the baseline: from every article's kept part, read from the cache and counted (as before);
- now: from the kept counts of the earlier runs and the last run's parts;
- again: with every run's counts kept.

Printed: seconds and the ratio to the baseline; the vocabularies must be the same.

    python benchmarks/vocabulary.py                  # 19,456 articles, then a block more
    python benchmarks/vocabulary.py --blocks 97      # the 100,000-article archive's size
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build  # noqa: E402  (benchmarks/build.py: the same articles as the build benchmark)

from digest.analysis.topic_corpus import Document, learned_topics  # noqa: E402
from digest.config import topics_from_list  # noqa: E402
from digest.pipeline import LEARN_BLOCK  # noqa: E402
from digest.store.cache import CachedAnalysis  # noqa: E402
from digest.store.fingerprint import hash_texts  # noqa: E402


def documents(n: int) -> list[Document]:
    picked = build.articles(build.archive_corpus(), n)
    return [
        Document(f"a{i}", title, story.paragraphs, "en")
        for i, (story, title, _) in enumerate(picked)
    ]


def timed(learn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = learn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=19, help="blocks before the new one")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: one per core)")
    args = parser.parse_args()
    if not build.CORPORA.is_dir():
        raise SystemExit(f"skipped: the corpora are not at {build.CORPORA}")
    before, after = args.blocks * LEARN_BLOCK, (args.blocks + 1) * LEARN_BLOCK
    docs = documents(after)
    digests = [hash_texts([d.language, d.title, d.paragraphs]) for d in docs]
    topics = tuple(topics_from_list(build.TOPICS))
    with tempfile.TemporaryDirectory() as folder:
        cache = CachedAnalysis(Path(folder), workers=args.workers, use_memory=False)

        def learn(count: int, kept_counts: bool):  # type: ignore[no-untyped-def]
            kept = digests[:count] if kept_counts else None
            return learned_topics(docs[:count], topics, 0.1, cache.memoize_each, args.workers, kept)

        _, cold = timed(lambda: learn(before, True))
        print(f"{before:,} articles, every part worked out (cold): {cold:.1f} s", flush=True)
        learned_topics(docs[before:], topics, 0.1, cache.memoize_each, args.workers)
        baseline, every_part = timed(lambda: learn(after, False))
        now, kept_runs = timed(lambda: learn(after, True))
        again, all_kept = timed(lambda: learn(after, True))
        print(f"{after:,} articles, a block more:")
        print(f"  every part read and counted (baseline): {every_part:.2f} s")
        print(
            f"  kept counts, the last run's parts:      {kept_runs:.2f} s = "
            f"{kept_runs / every_part:.2f} of the baseline"
        )
        print(
            f"  every run's counts kept:                {all_kept:.2f} s = "
            f"{all_kept / every_part:.2f} of the baseline"
        )
        same = baseline == now == again
        print(f"  same vocabularies: {'yes' if same else 'NO'}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
