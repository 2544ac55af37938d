"""Publishing a site atomically, for every engine: a build writes into a staging folder beside
the live site, locked while it runs, and the finished folder replaces the live one only when
everything went well. A killed build's leftovers are cleaned up by the next one.

A failed build (a strict warning, a broken template) leaves the previous site untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STAGING_PREFIX = ".digest-build-"


def _ignore(message: str) -> None:
    pass


@contextmanager
def staged_site(final: Path, say: Callable[[str], None] = _ignore) -> Iterator[Path]:
    """A new empty folder to build the site into, swapped in for `final` when the block ends
    without an error, removed in any case. say: where the clean-up of leftovers is told."""
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(final, say)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=final.parent))
    # mkdtemp makes it 0700: a web server running as another user would get 403 for the
    # whole site. It gets the mode any new folder gets.
    os.chmod(staging, 0o777 & ~current_umask())
    # Held while this build runs: start-up cleaning leaves a folder alone while it is locked.
    guard = lock_folder(staging)
    try:
        yield staging
        swap_in(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if guard is not None:
            os.close(guard)


def swap_in(built: Path, final: Path) -> None:
    """Replace `final` by `built`: the old site moves aside (`.previous`), the new one in."""
    previous = final.with_name(final.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if final.exists():
        os.replace(final, previous)
    os.replace(built, final)
    if previous.exists():
        shutil.rmtree(previous)


def current_umask() -> int:
    """The process's umask (new files' mode bits to clear)."""
    # Read, not set: the index is written beside the engine's rendering (another thread), and
    # setting the umask even for a moment would change the mode of a page written meanwhile.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc (not Linux): the only way to read it
    os.umask(mask)
    return mask


def lock_folder(folder: Path) -> int | None:
    """An exclusive lock on a folder (None: taken by another process, or no flock here)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


def clean_leftovers(final: Path, say: Callable[[str], None] = _ignore) -> None:
    """Remove what a killed build left beside the site: its staging folders (a whole site
    each, never used again), and bring back a site moved aside but not yet replaced.

    A staging folder a running build holds locked is left alone."""
    running = False
    for leftover in sorted(final.parent.glob(STAGING_PREFIX + "*")):
        if leftover.is_symlink() or not leftover.is_dir():
            continue
        guard = lock_folder(leftover)
        if guard is None:
            running = True
            continue
        try:
            say(f"removing {leftover}, left by a build that did not finish")
            shutil.rmtree(leftover, ignore_errors=True)
        finally:
            os.close(guard)
    previous = final.with_name(final.name + ".previous")
    if running or previous.is_symlink() or not previous.is_dir():
        return
    if final.exists():
        shutil.rmtree(previous, ignore_errors=True)
    else:  # stopped between moving the old site aside and moving the new one in
        os.replace(previous, final)
