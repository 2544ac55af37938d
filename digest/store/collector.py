"""Python's cycle collector, paused while a build makes many objects and no cyclic garbage.

A large digest holds millions of objects (10,000 articles, their entries, pages). Each full
collection walks all of them, and one starts every few hundred thousand allocations: decoding
10,000 cached entries took more than twice as long with the collector on as with it paused.
What a build makes while it is paused (decoded entries, articles, page keys, rendered text)
holds no reference cycles, so nothing is left for the collector to free later.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_collector() -> Iterator[None]:
    """The cycle collector off for the block, as it was after it (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
