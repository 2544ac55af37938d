"""The site folder's own pages, kept from one build to the next when they cannot have changed.

A daily update adds a hundred articles to thousands: most pages' HTML is what the previous
build wrote. The site builder computes, for each page it may keep, a key of everything the
finished HTML depends on (see digest.mkdocs.plugin); this module remembers, per site folder,
which key each written page had and what the written file looked like (size, modification
time in nanoseconds, inode). A page is kept only when its key is the same AND the file in the
site folder is still the very file that build wrote: a page edited, replaced or left half
written by a killed build has another size, time or inode, and is written again.

The record lives in the cache folder, which CI caches and other workflows can write, so it is
read as untrusted: it carries an HMAC made with the kept pages' key (digest.store.markdown_pages,
kept outside the cache folder), so a forged record (one keeping a page from before its article
was corrected) is not read; and even a genuine one can only make a build keep a regular file
the site folder already holds, reached through real folders (never a link), and only when that
file is the one recorded. Anything malformed or unverified means no record: the build writes
every page.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from digest.store.markdown_pages import load_secret
from digest.store.sealed_files import load_sealed, save_sealed

log = logging.getLogger(__name__)

FORMAT = 2
# What the record's HMAC is made for (a sealed file of another kind never passes as one).
_SEAL_LABEL = "site-record"
# More pages than any digest has: a record bigger than this is not read.
MAX_PAGES = 2_000_000
MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Written:
    """One page as the build that wrote it left it."""

    key: str
    size: int
    mtime_ns: int
    inode: int
    # Ids of the page's headings (other pages' links to its anchors are checked against them).
    anchors: tuple[str, ...] = ()
    # Of its Markdown: the link targets (digest.store.fingerprint.link_targets), its render
    # cache key ("": none) and its hash; a later build whose page has the same render key keys
    # it with these, without fetching its Markdown (digest.store.page_plan).
    targets: tuple[str, ...] = ()
    render_key: str = ""
    markdown_digest: str = ""

    def matches(self, info: os.stat_result) -> bool:
        return (
            info.st_size == self.size
            and info.st_mtime_ns == self.mtime_ns
            and info.st_ino == self.inode
        )


def record_path(cache_dir: Path, site_dir: Path) -> Path:
    """Where the record of one site folder lives (one per folder: `-d` builds elsewhere)."""
    name = hashlib.sha256(str(site_dir.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return cache_dir / "site" / f"{name[:32]}.json"


def load_record(path: Path) -> dict[str, Written]:
    """{page's path in the site: how it was written}, or {} when missing, malformed, or not
    sealed with this user's key."""
    if not path.is_file():
        return {}
    data = load_sealed(path, load_secret(), _SEAL_LABEL, MAX_BYTES)
    if data is None:
        log.info("digest: %s is not one this user's builds wrote; every page is written", path)
        return {}
    try:
        value = json.loads(data)
        return _decoded(value)
    except (ValueError, TypeError, RecursionError) as error:
        log.info("digest: %s not used (%s); every page is written", path, error)
        return {}


def _decoded(value: object) -> dict[str, Written]:
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise ValueError("not a record of this version")
    pages = value.get("pages")
    if not isinstance(pages, dict) or len(pages) > MAX_PAGES:
        raise ValueError("pages is not a mapping")
    record = {}
    for dest, item in pages.items():
        if not (isinstance(dest, str) and isinstance(item, list) and len(item) == 8):
            raise ValueError("a page entry has the wrong shape")
        key, size, mtime_ns, inode, anchors, targets, render_key, digest = item
        numbers = (size, mtime_ns, inode)
        texts = (key, render_key, digest)
        if not all(isinstance(t, str) for t in texts) or not all(
            type(n) is int and n >= 0 for n in numbers
        ):
            raise ValueError("a page entry has the wrong shape")
        for texts in (anchors, targets):
            if not (isinstance(texts, list) and all(isinstance(t, str) for t in texts)):
                raise ValueError("a page entry has the wrong shape")
        if not _inside(dest):
            raise ValueError(f"a page path leaves the site: {dest!r}")
        found = (tuple(anchors), tuple(targets), render_key, digest)
        record[dest] = Written(key, size, mtime_ns, inode, *found)
    return record


def _inside(dest: str) -> bool:
    parts = dest.split("/")
    return bool(dest) and not dest.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def save_record(path: Path, record: Mapping[str, Written]) -> None:
    """Write the record atomically (a killed build leaves the old one or none)."""
    # Tuples as they are: JSON writes them as lists (copies of 120,000 pages' took seconds).
    pages = {
        dest: (w.key, w.size, w.mtime_ns, w.inode, w.anchors, w.targets)
        + (w.render_key, w.markdown_digest)
        for dest, w in sorted(record.items())
    }
    text = json.dumps({"format": FORMAT, "pages": pages}, ensure_ascii=False)
    try:
        save_sealed(path, load_secret(), _SEAL_LABEL, text)
    except OSError as error:
        # Next build writes every page again: slower, never wrong.
        log.info("digest: record of the site's pages not saved: %s", error)


def written(site_dir: Path, dest: str, key: str, anchors: Iterable[str] = ()) -> Written | None:
    """How the page at dest was just written (None: it was not, or not as a regular file)."""
    info = _plain_file(site_dir, dest)
    if info is None:
        return None
    return Written(key, info.st_size, info.st_mtime_ns, info.st_ino, tuple(sorted(anchors)))


def still_there(site_dir: Path, dest: str, expected: Written) -> bool:
    """Whether the site folder still holds the very file recorded for dest: a regular file,
    reached through real folders (a folder swapped for a link to where it went would reach
    the same file, and the link is removed when the site is cleared), never a link."""
    info = _plain_file(site_dir, dest)
    return info is not None and expected.matches(info)


def _plain_file(site_dir: Path, dest: str) -> os.stat_result | None:
    """The status of site_dir/dest if every folder on the way is a folder (not a link) and
    dest is a regular file; else None."""
    path = site_dir
    parts = dest.split("/")
    try:
        for part in parts[:-1]:
            path = path / part
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                return None
        info = os.lstat(path / parts[-1])
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def clear_all_but(
    site_dir: Path, expected: Mapping[str, Written], kept_folders: Iterable[str] = ()
) -> tuple[set[str], int]:
    """Remove every file of the site folder except the kept folders and each expected page
    that is still the very file recorded (as still_there checks it, seen on the way: a regular
    file reached through real folders), as MkDocs' cleaning would (hidden entries at its top,
    like a `.git`, stay), and the emptied folders.

    What is left is what the build keeps; everything else is written afresh, into new files,
    so a file linked from elsewhere (`digest build` links the live site's) is never written
    through. Returns the pages kept and the number of files removed.
    """
    if not site_dir.is_dir() or site_dir.is_symlink():
        return set(), 0
    sweep = _Sweep(expected, {os.path.join(site_dir, name) for name in kept_folders})
    with os.scandir(site_dir) as entries:
        top = [
            e for e in entries if not e.name.startswith(".") and e.path not in sweep.keep_folders
        ]
    with ThreadPoolExecutor(SWEEP_THREADS, thread_name_prefix="digest-sweep") as pool:
        sweep.pool = pool
        for entry in top:
            sweep.visit(entry, entry.name)
    return sweep.kept, sweep.removed


# Threads that sweep a top folder's entries, each its own part. The walk mostly waits on the
# disk (each folder listed, each file's status read) when the system has let go of the site's
# folders: the 120,000 folders of a 100,000-article site, caches dropped, took 16-26 s walked
# one at a time, 8.0 s in four parts at once (2.1 s and 2.8 s with the folders in memory; a
# thread per folder, not per part, took 6-7 s there).
SWEEP_THREADS = 4


class _Sweep:
    """One walk of the site folder: what it kept and removed. Plain strings and the folder
    listing's own types: at 100,000 articles the walk visits 120,000 folders."""

    def __init__(self, expected: Mapping[str, Written], keep_folders: set[str]) -> None:
        self.expected, self.keep_folders = expected, keep_folders
        self.kept: set[str] = set()
        self.removed = 0
        # Sweeps the entries of each top folder (set by clear_all_but; None: one at a time).
        self.pool: ThreadPoolExecutor | None = None
        self._counting = threading.Lock()

    def visit(self, entry: os.DirEntry[str], dest: str) -> bool:
        """Clear one entry; whether anything in it stays."""
        if entry.is_dir(follow_symlinks=False):
            return self._folder(entry.path, dest)
        before = self.expected.get(dest)
        if (
            before is not None
            and entry.is_file(follow_symlinks=False)
            and before.matches(entry.stat(follow_symlinks=False))
        ):
            self.kept.add(dest)
            return True
        os.unlink(entry.path)
        with self._counting:
            self.removed += 1
        return False

    def _visit_all(self, entries: list[tuple[os.DirEntry[str], str]]) -> bool:
        left = False
        for entry, dest in entries:
            left = self.visit(entry, dest) or left
        return left

    def _folder(self, path: str, dest: str) -> bool:
        with os.scandir(path) as entries:
            listed = list(entries)
        inside = [(e, f"{dest}/{e.name}") for e in listed if e.path not in self.keep_folders]
        left = len(inside) < len(listed)
        if self.pool is not None and "/" not in dest:  # a top folder: a part per thread
            parts = [inside[start::SWEEP_THREADS] for start in range(SWEEP_THREADS)]
            left = any(list(self.pool.map(self._visit_all, parts))) or left
        else:
            left = self._visit_all(inside) or left
        if not left:  # nothing in it is kept: gone, as MkDocs' cleaning leaves no empty folder
            with contextlib.suppress(OSError):
                os.rmdir(path)
        return left
