"""Giving freed memory back to the system between the build's stages.

A large build frees as much as it keeps: each stage (reading, summaries, stories, pages) leaves
behind the memory its passing work used. glibc's allocator keeps freed memory for reuse, and
what lies between blocks still in use stays with the process: at 20,000 articles its resident
size after the stories stage was 808 MiB, of which 144 MiB were free (measured by calling
malloc_trim there, which returns them). A stage's own peak then comes on top of what the ones
before it left. glibc's malloc_trim(0) returns every free page it can; elsewhere (another C
library, another system) nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


def give_back_free_memory() -> bool:
    """Return the process's free heap memory to the system; whether it could be asked."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def available_memory() -> int:
    """Bytes the system could give this process without swapping (Linux's MemAvailable);
    0 where it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
