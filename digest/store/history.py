"""What changed since the last build, kept reproducible.

Each distinct state of the content (the set of article slugs and their content hashes) is a
snapshot stored in the cache folder under a key made from that content. A snapshot records,
once, when it is first built, what changed since the snapshot built before it. Rebuilding the
same content finds the same snapshot and so shows the same changes: same inputs, same bytes,
however often or in whatever order the site is rebuilt. A fresh clone has no history, and the
home page says nothing about changes.

Layout: ``CACHE/history/<key>.json`` (one per snapshot) and ``CACHE/history/HEAD`` (the key of
the snapshot written last: the parent of the next new one).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.model import Article, Digest, DigestEntry

HISTORY_VERSION = 1
# Snapshots kept; older ones are pruned (their own pages then count as new content again).
KEEP_SNAPSHOTS = 200


@dataclass(frozen=True)
class RemovedArticle:
    """An article in the previous build that is gone from this one (it has no page any more)."""

    slug: str
    title: str


@dataclass(frozen=True)
class Changes:
    """What this build's content changed, compared with the build before it."""

    added: tuple[DigestEntry, ...]
    updated: tuple[DigestEntry, ...]
    removed: tuple[RemovedArticle, ...]
    # How many articles the previous build had.
    previous_count: int

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def fingerprint(article: Article) -> str:
    """The article's content hash: the reader's hash of the file, or one of its fields."""
    if article.content_hash:
        return article.content_hash
    fields = [article.title, article.date.isoformat(), *text_fields(article)]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def text_fields(article: Article) -> list[Any]:
    """What the article's file says besides its title and date, as JSON values in this order
    (its fingerprint hashes them, and the read cache keeps them)."""
    return [
        list(article.paragraphs),
        article.dateline,
        article.source,
        article.url,
        article.author,
        list(article.forced_topics),
        article.editor_summary,
    ]


def snapshot_of(digest: Digest) -> dict[str, dict[str, str]]:
    """slug -> {hash, title}: everything the next build needs to say what changed."""
    return {
        entry.article.slug: {"hash": fingerprint(entry.article), "title": entry.article.title}
        for entry in sorted(digest.entries, key=lambda e: e.article.slug)
    }


def snapshot_key(articles: Mapping[str, Mapping[str, str]]) -> str:
    pairs = sorted((slug, info["hash"]) for slug, info in articles.items())
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:32]


class History:
    """The snapshots in CACHE/history; reading never fails a build, it only loses history."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = cache_dir / "history"
        # The cache folder may come from a shared CI cache: a `history` link planted there
        # would have snapshots written, and old .json files pruned, in a folder elsewhere.
        if self.root.is_symlink():
            raise OSError(errno.ELOOP, "a symbolic link; build history not used", str(self.root))

    def _load(self, key: str) -> dict[str, Any] | None:
        if not key or not all(c in "0123456789abcdef" for c in key):
            return None
        try:
            data = json.loads((self.root / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != HISTORY_VERSION:
            return None
        return data

    def _head(self) -> str:
        try:
            return (self.root / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def record(self, digest: Digest, write: bool = True) -> dict[str, Any]:
        """This content's snapshot, creating it (diffed against HEAD) if it is new.

        With write=False (a preview such as `mkdocs serve`) nothing is stored: the next real
        build still compares with the last real build, not with every previewed edit.
        """
        articles = snapshot_of(digest)
        key = snapshot_key(articles)
        existing = self._load(key)
        if existing is not None:
            return existing
        parent = self._load(self._head())
        snapshot: dict[str, Any] = {
            "version": HISTORY_VERSION,
            "key": key,
            "articles": articles,
            "changes": _diff(parent["articles"], articles) if parent else None,
        }
        if not write:
            return snapshot
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomic(self.root / f"{key}.json", json.dumps(snapshot, sort_keys=True, indent=1))
        write_atomic(self.root / "HEAD", key + "\n")
        self._prune(key)
        return snapshot

    def _prune(self, keep: str) -> None:
        # Order by modification time only to choose what to delete: never part of the output.
        # Another build pruning at the same time is harmless, so errors here are ignored.
        try:
            aged = sorted(((p.stat().st_mtime, p) for p in self.root.glob("*.json")), reverse=True)
            for _, old in aged[KEEP_SNAPSHOTS:]:
                if old.stem != keep:
                    old.unlink(missing_ok=True)
        except OSError:
            pass


def _diff(
    before: Mapping[str, Mapping[str, str]], after: Mapping[str, Mapping[str, str]]
) -> dict[str, Any]:
    return {
        "added": sorted(slug for slug in after if slug not in before),
        "updated": sorted(
            slug for slug in after if slug in before and before[slug]["hash"] != after[slug]["hash"]
        ),
        "removed": sorted(
            [slug, str(before[slug].get("title", slug))] for slug in before if slug not in after
        ),
        "previous_count": len(before),
    }


def write_atomic(path: Path, text: str) -> None:
    """Write text to path so that a killed process leaves the old file or the new one."""
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_build(digest: Digest, cache_dir: Path | None, write: bool = True) -> Changes | None:
    """Record this build's content and return what changed since the build before it.

    None when there is nothing to compare with: no cache folder configured, a first build (a
    fresh clone), or history that cannot be read or written (the build goes on without it).
    write=False compares without recording (for previews).
    """
    if cache_dir is None:
        return None
    try:
        snapshot = History(cache_dir).record(digest, write=write)
    except OSError:
        return None
    recorded = snapshot.get("changes")
    if not isinstance(recorded, dict):
        return None
    by_slug = {entry.article.slug: entry for entry in digest.entries}

    def entries(kind: str) -> tuple[DigestEntry, ...]:
        found = [by_slug[s] for s in recorded.get(kind, ()) if isinstance(s, str) and s in by_slug]
        # Newest first, as everywhere else in the digest.
        order = {entry.article.slug: i for i, entry in enumerate(digest.entries)}
        return tuple(sorted(found, key=lambda e: order[e.article.slug]))

    removed = tuple(
        RemovedArticle(str(item[0]), str(item[1]))
        for item in recorded.get("removed", ())
        if isinstance(item, list) and len(item) == 2
    )
    previous = recorded.get("previous_count", 0)
    return Changes(
        added=entries("added"),
        updated=entries("updated"),
        removed=removed,
        previous_count=previous if isinstance(previous, int) else 0,
    )
