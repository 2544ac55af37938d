"""A daily update's reads of a large cache file the system's page cache has let go of: with
and without reading the file through first (digest.store.read_ahead).

A build asks the summary cache for every article's reading and summary and every page's key,
in key order; on disk the B-tree's pages lie in the order they were written, so when the file
is not in memory (a build a day after the last, a machine that reclaims idle memory) each page
is a random read. In one run, on a file made by SummaryCache.put_many (values of 2 to 9 kB under
the build's prefixes, as benchmarks/cache_reads.py makes it), each time after telling the
kernel to drop the file's cached pages (posix_fadvise DONTNEED, which needs no privileges):

- the baseline: what an update asks of the file (every "read:" value by range, every "each:"
  value by key, every "md-page:" key), straight away;
- now: the file read through first (read_through, as a build's thread does), then the same.

Printed: seconds each way and the ratio (now over baseline). Linux (and other systems with
posix_fadvise) only.

    python benchmarks/read_ahead.py                    # 200,000 entries (about 1.1 GB)
    python benchmarks/read_ahead.py --entries 50000    # quicker
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from cache_reads import make_file

from digest.store.cache import CACHE_FILE, SummaryCache
from digest.store.read_ahead import read_through


def drop_from_memory(path: Path) -> None:
    """Ask the kernel to forget the file's cached pages (written back first)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def update_reads(folder: Path, each_keys: list[str]) -> int:
    """What a daily update reads: readings by range, summaries by key, the pages' keys."""
    with SummaryCache(folder) as cache:
        readings = cache.get_prefixed("read:")
        summaries = cache.get_many(each_keys)
        pages = cache.keys_under("md-page:")
    return len(readings) + len(summaries) + len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000, help="values in the file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-read-ahead-") as tmp:
        folder = Path(tmp)
        make_file(folder, args.entries)
        with SummaryCache(folder) as cache:
            each_keys = list(cache.keys_under("each:"))
        path = folder / CACHE_FILE
        print(f"{args.entries:,} entries, {path.stat().st_size / 2**30:.2f} GiB")
        timings = {}
        for name in ("baseline", "now"):
            drop_from_memory(path)
            started = time.perf_counter()
            if name == "now":
                read_through(path)
            found = update_reads(folder, each_keys)
            timings[name] = time.perf_counter() - started
            print(f"{name:>9}: {timings[name]:7.2f} s  ({found:,} values and keys)")
        print(f"ratio: {timings['now'] / timings['baseline']:.2f}")


if __name__ == "__main__":
    main()
