"""The summary cache file read through once, front to back, as a build starts.

A build asks the cache for its entries in key order (readings, then summaries, then the pages'
keys), which is not the order of the file's pages on disk. When the system's page cache holds
the file, that costs nothing; when it has let go of it (a daily build, a day after the last
one; a machine that reclaims idle memory), every page comes from the disk on its own. Measured
on the 100,000-article benchmark site (a 3.5 GiB file): in a daily update run soon after the
cold build, on a machine that had let go of much of it, reading the kept readings took 27 s of
random reads, the pages' keys 24 s, the summaries 10 s. With the system's page cache dropped,
the whole file read in order took 8.2 s, after which all the readings were read in 0.7 s.

So a build starts a thread that reads the file through in large sequential reads while it
walks the content folder; the pages it needs are in memory when it asks. Only bytes are read
(nothing is parsed, so the untrusted file can do nothing), only a regular file, and only when
the machine has the memory to hold it twice over; any trouble just ends the reading.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

from digest.memory import available_memory
from digest.store.cache import CACHE_FILE

# Below this size the file's random reads cost little: not worth a thread.
MIN_BYTES = 64 << 20
_CHUNK = 8 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_ahead(cache_dir: Path, min_bytes: int = MIN_BYTES) -> threading.Thread | None:
    """Start reading the cache file through in a thread of its own (None: not worth it, or
    not possible: no such file, smaller than min_bytes, or more than half the free memory)."""
    path = cache_dir / CACHE_FILE
    try:
        info = path.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size < min_bytes:
        return None
    if 2 * info.st_size > available_memory():
        return None
    thread = threading.Thread(
        target=read_through, args=(path,), name="digest-read-ahead", daemon=True
    )
    thread.start()
    return thread


def read_through(path: Path) -> int:
    """Read the file from start to end, keeping nothing; the bytes read (0 on any trouble)."""
    total = 0
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW)
        with open(descriptor, "rb", buffering=0) as handle:
            if hasattr(os, "posix_fadvise"):  # tell the kernel to read ahead of us, too
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            buffer = bytearray(_CHUNK)
            while count := handle.readinto(buffer):
                total += count
    return total
