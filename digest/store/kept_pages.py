"""Pages kept from the previous build as they are, for every engine.

A daily update adds a hundred articles to thousands: most pages' HTML is what the previous
build wrote. A page may be kept when its finished HTML depends only on what its key says (its
Markdown, title, date, location, the locations of what it links to, and what every page shares:
the Markdown setup, theme, config, navigation, code versions). The engine adapter computes the
keys; this module moves the old site aside before the engine empties its folder, chooses the
pages whose key and file are unchanged (see digest.store.outputs), leaves only those in the
site folder (or hard-links them from the live site into a new one), and saves the record of
how each keepable page was written, for the next build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from digest.store.outputs import (
    Written,
    clear_all_but,
    load_record,
    record_path,
    save_record,
    still_there,
    written,
)
from digest.wording import counted

# Folders a build keeps whole: the search bundle reuses its own parts.
KEPT_FOLDERS = ("pagefind",)
# `mkdocs serve` rebuilds into a temporary folder: its record stays in memory.
_serve_records: dict[str, dict[str, Written]] = {}


@dataclass(frozen=True)
class Keepable:
    """A page the next build may keep, as this one keyed it: its key, and what a later build
    needs to key it again without its Markdown (see digest.store.page_plan)."""

    src: str
    dest: str
    key: str
    # Its Markdown's link targets, its render cache key ("": none), its Markdown's hash.
    targets: tuple[str, ...]
    render_key: str
    markdown_digest: str


def kept_key(
    shared: str, location: str, markdown: str, links: list[str], page_settings: list[Any]
) -> str:
    """A page's key: what every page shares, where it is, its links, its own settings (title,
    date) and its Markdown (or its hash)."""
    # The small parts as JSON (unambiguous), the Markdown as it is after them: putting a long
    # text through JSON escaping cost more than hashing it.
    head = json.dumps([shared, location, links, page_settings], ensure_ascii=False)
    digest = hashlib.sha256(head.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(markdown.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class KeptPages:
    """One build's kept pages: chosen once, then the record of what it wrote is saved.

    site: the folder the engine writes; live: the published site pages are kept from (the same
    folder for a build in place, the live site for a build into a staging folder)."""

    def __init__(self, cache_dir: Path, site: Path, live: Path | None, serving: bool) -> None:
        self.site, self.live = site, live or site
        self.serving = serving
        self.record_file = record_path(cache_dir, self.live)
        # src -> how the kept file was written; src -> every page that may be kept by the
        # next build; src -> anchors of each page whose conversion said nothing.
        self.kept: dict[str, Written] = {}
        self.keepable: dict[str, Keepable] = {}
        self._previous: dict[str, Written] | None = None
        self.clean: dict[str, tuple[str, ...]] = {}
        self._stash: Path | None = None

    # Moving the site aside: an engine that empties its site folder first (MkDocs) gets it
    # back, minus what it must write, before anything is written.

    def move_aside(self) -> str | None:
        """Move a build-in-place's site folder aside (None, or why it could not be)."""
        if self.live != self.site:
            return None
        site = self.site
        stash = site.with_name(f".{site.name}.digest-previous")
        try:
            if stash.is_dir() and not stash.is_symlink():
                if site.exists():  # left by a killed build: the site folder is newer
                    shutil.rmtree(stash)
                else:  # killed between moving the site aside and back
                    os.rename(stash, site)
            if site.is_dir() and not site.is_symlink():
                os.rename(site, stash)
                self._stash = stash
        except OSError as error:
            return f"the site folder cannot be moved aside ({error})"
        return None

    def bring_back(self) -> str | None:
        """Put the site folder moved aside back in place (None, or why it could not be)."""
        stash, self._stash = self._stash, None
        if stash is None:
            return None
        try:
            if self.site.is_dir() and not self.site.is_symlink() and not any(self.site.iterdir()):
                self.site.rmdir()
            os.rename(stash, self.site)
        except OSError as error:
            shutil.rmtree(stash, ignore_errors=True)
            return f"the previous site cannot be put back ({error})"
        return None

    def bring_back_after_error(self) -> None:
        """A build failed before bring_back: the old site goes back if nothing took its place."""
        stash, self._stash = self._stash, None
        if stash is None:
            return
        try:
            if self.site.is_dir() and not any(self.site.iterdir()):
                self.site.rmdir()
            if not self.site.exists():
                os.rename(stash, self.site)
        except OSError:
            pass  # the next build finds it and puts it back

    def previous(self) -> dict[str, Written]:
        """How the previous build wrote each page it may keep (its record), by path in the site."""
        if self._previous is None:
            if self.serving:
                self._previous = _serve_records.get(str(self.site), {})
            else:
                self._previous = load_record(self.record_file)
        return self._previous

    def choose(self, candidates: Iterable[Keepable]) -> str:
        """Keep each candidate the previous build wrote with the same key and whose file is
        still the one it wrote; leave only those (and KEPT_FOLDERS) in the site folder.
        Returns what happened, for the log."""
        live = self.live
        previous = self.previous()
        expected: dict[str, tuple[str, Written]] = {}
        for page in candidates:
            src, dest, key = page.src, page.dest, page.key
            self.keepable[src] = page
            before = previous.get(dest)
            if before is not None and before.key == key:
                expected[dest] = (src, before)
        try:
            if live == self.site:
                records = {dest: before for dest, (_, before) in expected.items()}
                dests, removed = clear_all_but(self.site, records, KEPT_FOLDERS)
            else:
                removed = 0
                dests = {d for d, (_, before) in expected.items() if still_there(live, d, before)}
                if live.is_dir() and not live.is_symlink():
                    link_into(live, self.site, sorted(dests), KEPT_FOLDERS)
        except OSError as error:
            clear_all_but(self.site, {})
            return f"every page is written: the previous site cannot be reused ({error})"
        self.kept = {expected[dest][0]: expected[dest][1] for dest in dests}
        return (
            f"{len(self.kept)} of {counted(len(self.keepable), 'page')} kept from the previous "
            f"build ({counted(removed, 'file')} replaced)"
        )

    def save(self) -> None:
        """Remember how each page that may be kept next time was written."""
        record: dict[str, Written] = {}
        for src, page in self.keepable.items():
            made = self.kept.get(src)
            if made is None and src in self.clean:
                made = written(self.site, page.dest, page.key, self.clean[src])
            if made is not None:  # a kept page too: its render key may be another today
                record[page.dest] = replace(
                    made,
                    targets=page.targets,
                    render_key=page.render_key,
                    markdown_digest=page.markdown_digest,
                )
        if self.serving:
            _serve_records.clear()
            _serve_records[str(self.site)] = record
        else:
            save_record(self.record_file, record)


def link_into(source: Path, site: Path, dests: list[str], folders: Iterable[str]) -> None:
    """Hard-link the kept pages and folders of the live site into the new one (a copy where
    links cannot be made), so a build into a new folder keeps them without writing them."""
    for dest in dests:
        _link_file(source / dest, site / dest)
    for folder in folders:
        top = source / folder
        if not top.is_dir() or top.is_symlink():
            continue
        for path in sorted(top.rglob("*")):
            if path.is_file() and not path.is_symlink():
                _link_file(path, site / path.relative_to(source))


def _link_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def publish_files(
    files: Iterable[tuple[str, bytes]], staging: Path, live: Path, record_file: Path | None
) -> int:
    """Write each (path in the site, bytes) into the staging folder; where the previous build
    wrote the same bytes and the live site still holds that very file, hard-link it instead,
    so an unchanged page keeps its file (an engine that hands over finished files: Zensical).
    record_file: where the record of this build's files goes (None: no record, every file is
    written). Returns how many files were kept."""
    previous = load_record(record_file) if record_file is not None else {}
    record: dict[str, Written] = {}
    kept = 0
    for dest, data in files:
        key = hashlib.sha256(data).hexdigest()
        target = staging / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        before = previous.get(dest)
        if before is not None and before.key == key and still_there(live, dest, before):
            try:
                os.link(live / dest, target, follow_symlinks=False)
            except OSError:
                pass  # written below
            else:
                record[dest] = before
                kept += 1
                continue
        target.write_bytes(data)
        made = written(staging, dest, key)
        if made is not None:
            record[dest] = made
    if record_file is not None:
        save_record(record_file, record)
    return kept
