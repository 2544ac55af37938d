"""Reading many entries of a large cache file: in key order vs in the order asked.

A daily update of a 100,000-article digest asks the summary cache for every article's entry and
every page's kept Markdown, some 220,000 values of a file of several gigabytes. The table is
stored in key order (a WITHOUT ROWID B-tree), and keys are hashes, so keys asked in the order
the build meets them land all over the file. SummaryCache.get_many asks in key order.

In one run, on a file made by SummaryCache.put_many (entries shaped like kept pages: keys under
a few prefixes as the build makes them, values of 2 to 9 kB of text):

- the baseline: the same SELECTs, batches in the order the keys were asked (as before);
- now: SummaryCache.get_many.

Both read the same values; the file is in the page cache (it was just written), as it is for a
build after the previous one. Printed: seconds, microseconds per value, the ratio.

    python benchmarks/cache_reads.py                   # 300,000 entries (about 1.7 GB)
    python benchmarks/cache_reads.py --entries 100000  # quicker
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
from pathlib import Path

from digest.store.cache import _BATCH, SummaryCache

PREFIXES = ("md-page:", "page:", "", "read:", "each:")


def make_file(folder: Path, entries: int) -> list[str]:
    """A cache file of `entries` values; returns the keys of the Markdown pages."""
    rng = random.Random(0)
    text = "".join(rng.choice("abcdefghij klmnop") for _ in range(20_000))
    keys: list[str] = []
    with SummaryCache(folder) as cache:
        for start in range(0, entries, 20_000):
            items = []
            for i in range(start, min(entries, start + 20_000)):
                key = PREFIXES[i % len(PREFIXES)] + hashlib.sha256(str(i).encode()).hexdigest()
                offset, size = rng.randint(0, 10_000), rng.randint(2_000, 9_000)
                items.append((key, text[offset : offset + size]))
                if key.startswith("md-page:"):
                    keys.append(key)
            cache.put_many(items)
    rng.shuffle(keys)  # as a build meets them: by page, not by key
    return keys


def in_order_asked(cache: SummaryCache, keys: list[str]) -> int:
    """The baseline: the same query, batches in the order the keys were asked."""
    assert cache._db is not None
    found = 0
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        marks = ",".join("?" * len(batch))
        query = f"SELECT key, value, checksum, used FROM entries WHERE key IN ({marks})"
        found += sum(1 for _ in cache._db.execute(query, batch))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=300_000, help="values in the file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-cache-reads-") as tmp:
        folder = Path(tmp)
        keys = make_file(folder, args.entries)
        size = (folder / "summaries.sqlite3").stat().st_size
        print(f"{args.entries:,} entries, {size / 2**30:.2f} GiB; reading {len(keys):,} of them")
        # Now first: whatever the first reading leaves in memory helps the baseline.
        with SummaryCache(folder) as cache:
            started = time.perf_counter()
            found = cache.get_many(keys, checked=False)
            now = time.perf_counter() - started
        with SummaryCache(folder) as cache:
            started = time.perf_counter()
            baseline_found = in_order_asked(cache, keys)
            baseline = time.perf_counter() - started
        assert baseline_found == len(found) == len(keys)
        for name, seconds in (("in the order asked", baseline), ("in key order (now)", now)):
            print(f"{name:>20}: {seconds:7.2f} s  {seconds / len(keys) * 1e6:6.1f} µs a value")
        print(f"ratio: {now / baseline:.2f}")


if __name__ == "__main__":
    main()
