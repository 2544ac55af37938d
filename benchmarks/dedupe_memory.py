"""Dedupe index memory: near-identical articles against distinct ones, in one run.

`digest fetch` indexes every article in content/ (digest.sources.dedupe.DuplicateIndex) before
it fetches. A folder of many near-identical articles (one wire story reprinted with a changed
last line) must cost no more than as many distinct ones. For N articles of 8 paragraphs of 60
words (made up here from a random vocabulary: no corpus text), the peak traced memory
(tracemalloc) of building the index, and of checking 100 new near-identical texts against it,
is printed for both kinds, with their ratio.

    python benchmarks/dedupe_memory.py --size 2000
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

from digest.sources.dedupe import DuplicateIndex


def texts(count: int, near: bool, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"word{i}" for i in range(30_000)]

    def paragraph() -> str:
        return " ".join(rng.choice(vocab) for _ in range(60)) + "."

    base = [paragraph() for _ in range(8)]
    made = []
    for number in range(count):
        paragraphs = list(base) if near else [paragraph() for _ in range(8)]
        if near:
            paragraphs[-1] += f" Update {number}."
        made.append("\n".join(paragraphs))
    return made


def measure(count: int, near: bool) -> tuple[float, float]:
    """(peak MB, seconds) of indexing count texts and checking 100 more."""
    corpus = texts(count, near)
    probes = texts(100, near, seed=2)
    tracemalloc.start()
    started = time.perf_counter()
    index = DuplicateIndex()
    for number, text in enumerate(corpus):
        index.add(f"a/{number}.md", text)
    for text in probes:
        index.duplicate_of(text)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=2000)
    size = parser.parse_args().size
    near = measure(size, near=True)
    distinct = measure(size, near=False)
    print(f"{size:,} articles: near-identical {near[0]:.1f} MB in {near[1]:.1f} s; ", end="")
    print(f"distinct {distinct[0]:.1f} MB in {distinct[1]:.1f} s")
    print(f"memory ratio near/distinct: {near[0] / distinct[0]:.2f}")


if __name__ == "__main__":
    main()
