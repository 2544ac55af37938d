"""The Pagefind search bundle: one record per article, from what the digest knows, for any engine.

Material's search index holds every page's full text in one file that each reader downloads
before the first result (51.6 MB at 10,000 articles). Pagefind's index is split into fragments
a reader fetches per query, so the download grows with the query, not with the archive.

Records are added directly (title, summary and body text as the pipeline read them), so no page
is parsed again. Pagefind's Python package talks to its binary (shipped in the `pagefind[bin]`
wheel, nothing downloaded) over stdin/stdout; its own async client waits 0.1 s before reading
each reply, which made 1,000 articles take 100 s. The same protocol is spoken here, one request
after the other, reading each reply as soon as it comes: the records go in oldest first, in
shards (see BASE_BLOCK below) that a rebuild reuses when their articles did not change, so the
same digest gives the same bundle, whether built into an empty folder or over the last one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache, partial
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from digest.config import DigestConfig
from digest.model import Digest, DigestEntry
from digest.site.pagefind_stable import ZLIB_VERSION, stable_filters
from digest.sources.files import article_bytes
from digest.store.fingerprint import fingerprint_of
from digest.store.markdown_pages import load_secret
from digest.store.publish import current_umask
from digest.store.search_shards import ShardCache, read_plain_tree, write_tree
from digest.wording import counted

# Where the bundle lands in the site; the reader's script loads pagefind/pagefind.js from there.
BUNDLE = "pagefind"
# Pages whose text only Pagefind searches when it is on (the engine's own index skips them):
# articles, stories and archive months, and later pages of a topic; unbounded in number.
# The pages in the navigation (home, topics' first pages, the user's pages) stay in the engine's
# own search, whose index then stays small.
_PAGEFIND_ONLY = re.compile(r"^(articles|stories)/|^archive/[0-9]|/page-")


class SearchIndexError(Exception):
    """Pagefind could not index the digest (its message says why)."""


def pagefind_only(src_path: str) -> bool:
    """Whether a generated page is left out of the engine's own search index under Pagefind."""
    return bool(_PAGEFIND_ONLY.search(src_path))


def out_of_theme_search(config: DigestConfig, src_path: str) -> bool:
    """Whether a generated page stays out of the theme's own search index this build: searched
    through Pagefind, not in the index every visit downloads whole."""
    return config.search == "pagefind" and pagefind_only(src_path)


# `search: auto` (the default) keeps the theme's own search while the content folder holds
# less than this much article text, and uses Pagefind from there on. Below it the theme's one
# index is small and its first result comes sooner: Pagefind first starts its script, web
# worker and WebAssembly (about 0.16 MB, at any size), and the first result waits for that.
# Above it Pagefind is the quicker, and its download stops growing. Measured with
# benchmarks/search.py, median of 5 visits (docs/performance.md, "Search"), article shown after:
# 10 articles (21 KB of files) Material 0.58 s, Pagefind 0.67 s; 25 (49 KB) 0.55 s, 0.61 s;
# 100 (190 KB) 0.81 s, 0.69 s: the two meet near 100 KB. What counts is the text, not the
# number of articles (these are short; 100 KB is about 20 articles of 800 words).
AUTO_PAGEFIND_BYTES = 100_000


def resolved_search(config: DigestConfig) -> DigestConfig:
    """The config with `search: auto` replaced by the engine it picks for its content folder
    (see AUTO_PAGEFIND_BYTES); any other value is kept as it is."""
    if config.search != "auto":
        return config
    size = article_bytes(config.content_dir, AUTO_PAGEFIND_BYTES)
    return replace(config, search="pagefind" if size >= AUTO_PAGEFIND_BYTES else "material")


def search_engine_tag(config: DigestConfig) -> str:
    """A <meta> tag for every page's head telling the reader's script (newsdigest.js) to search
    articles through the Pagefind bundle; none with `search: material`. The config is the one
    the build resolved (resolved_search), so the tag agrees with the pages and bundle."""
    if config.search == "auto":
        raise ValueError("search_engine_tag: `search: auto` is not resolved (resolved_search)")
    if config.search != "pagefind":
        return ""
    return '<meta name="newsdigest-search" content="pagefind">'


@dataclass(frozen=True)
class Record:
    """One article as Pagefind indexes it."""

    url: str
    content: str
    meta: Mapping[str, str]
    sort: Mapping[str, str]
    # Pagefind filters: {name: values}, e.g. {"topic": ("Iran",), "month": ("2019-05",)}.
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_WORD = re.compile(r"\w+")


def article_record(entry: DigestEntry, url: str, topic_names: Mapping[str, str]) -> Record:
    """The record of one article: every word of its headline, summary and text is searchable.

    The text is the article's paragraphs (page furniture set apart stays out, as on the page).
    The summary is drawn from those paragraphs, so it is added only when it has words they lack
    (an editor's summary); repeated, its sentences would win every excerpt.
    Its topics and month are also Pagefind filters, which the results panel offers (Pagefind
    1.5.2 writes filter files in a different byte order on each run: pagefind_stable puts them
    in one, so the site stays the same bytes for the same input).
    """
    article = entry.article
    body = "\n".join(article.paragraphs)
    summary = entry.summary.text
    parts = [article.title, body]
    if not all(sentence.text in body for sentence in entry.summary.sentences):
        # Not all drawn from the text (an editor's summary): added if it says other words.
        body_words = {w.casefold() for w in _WORD.findall(body)}
        if any(w.casefold() not in body_words for w in _WORD.findall(summary)):
            parts.insert(1, summary)
    topics = [topic_names.get(match.topic, match.topic) for match in entry.topics]
    return Record(
        url=url,
        content="\n".join(part for part in parts if part),
        meta={"title": article.title, **result_card(entry, topic_names)},
        sort={"date": article.date.isoformat()},
        filters={"topic": tuple(topics), "month": (article.date.strftime("%Y-%m"),)},
    )


def result_card(entry: DigestEntry, topic_names: Mapping[str, str]) -> dict[str, str]:
    """What a search result shows under an article's title, whichever engine found it: its
    summary, date, source and topics (topic_names: {slug: name})."""
    article = entry.article
    return {
        "summary": entry.summary.text,
        "date": article.date.date().isoformat(),
        "source": article.source or "",
        "topics": ", ".join(topic_names.get(m.topic, m.topic) for m in entry.topics),
    }


def names_by_slug(config: DigestConfig) -> dict[str, str]:
    """{topic slug: its name}, as results show topics."""
    return {topic.slug: topic.name for topic in config.topics}


def digest_records(
    digest: Digest, config: DigestConfig, url_of: Callable[[DigestEntry], str | None]
) -> list[Record]:
    """A record for every article that has a page (url_of: its URL from the site's root)."""
    return [pending.made() for pending in pending_records(digest, config, url_of)]


class PendingRecord:
    """An article's record, made each time it is read (for its shard's key, then for
    Pagefind), so only a shard's records are held at a time: every record of 100,000
    articles at once, some 4 KB each, came to an estimated 400 MB beside the rendering."""

    __slots__ = ("entry", "url", "names")

    def __init__(self, entry: DigestEntry, url: str, names: Mapping[str, str]) -> None:
        self.entry, self.url, self.names = entry, url, names

    def made(self) -> Record:
        return article_record(self.entry, self.url, self.names)

    def order(self) -> tuple[float, str]:
        """Its place oldest first, as _oldest_first gives the record's."""
        date = self.entry.article.date
        if date.tzinfo is None:
            date = date.replace(tzinfo=timezone.utc)
        return (date.timestamp(), self.url)


def pending_records(
    digest: Digest, config: DigestConfig, url_of: Callable[[DigestEntry], str | None]
) -> list[PendingRecord]:
    """digest_records, each made when it is read."""
    names = names_by_slug(config)
    pending = []
    for entry in digest.entries:
        url = url_of(entry)
        if url is not None:
            pending.append(PendingRecord(entry, url, names))
    return pending


def _made(record: Record | PendingRecord) -> Record:
    return record.made() if isinstance(record, PendingRecord) else record


def _executable() -> str:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise SearchIndexError(
            "search: pagefind needs the Pagefind binary: pip install 'pagefind[bin]' "
            "(or set `search: material` in the digest plugin's options)"
        ) from None
    return str(get_executable())


class _Service:
    """Pagefind's `--service` mode: base64 JSON messages, each ended by a comma."""

    def __init__(self, executable: str, log: IO[bytes]) -> None:
        self.process = subprocess.Popen(
            [executable, "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        self.message_id = 0
        self.buffer = b""

    def send(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its reply."""
        self._write_all(self._encoded(payload))
        return self._reply()

    def send_all(self, payloads: Iterable[Mapping[str, Any]]) -> None:
        """Send many requests whose replies only say that they worked: all written at once by
        a thread of their own while this one reads the replies. A reply awaited before each
        next request cost two thread switches a request (up to 5 ms each while the engine
        renders beside it): 1,000 records took 5.8 s in a build against 2.2 s alone. Reading
        while writing, Pagefind never waits on a full pipe, however long its replies."""
        first = self.message_id
        data = b"".join(self._encoded(payload) for payload in payloads)
        writer = threading.Thread(target=self._write_all, args=(data,), daemon=True)
        writer.start()
        try:
            for _ in range(self.message_id - first):
                self._reply()
        except BaseException:
            self.process.kill()  # a writer blocked on a process nobody reads from ends too
            raise
        finally:
            writer.join()

    def _write_all(self, data: bytes) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except OSError:  # Pagefind stopped: the reader says so
            pass

    def _encoded(self, payload: Mapping[str, Any]) -> bytes:
        self.message_id += 1
        message = {"message_id": self.message_id, "payload": payload}
        data = json.dumps(message, ensure_ascii=False).encode("utf-8", "replace")
        # A lone surrogate (undecodable input kept by Python) is "?" here: Pagefind reads UTF-8.
        return base64.b64encode(data) + b","

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        while b"," not in self.buffer:
            # read1: what is there (a reply is short), without waiting for a full buffer.
            chunk = self.process.stdout.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                raise SearchIndexError("Pagefind stopped before it answered")
            self.buffer += chunk
        reply, self.buffer = self.buffer.split(b",", 1)
        response = json.loads(base64.b64decode(reply))
        answer: dict[str, Any] = response.get("payload") or {}
        if answer.get("type") == "Error":
            raise SearchIndexError(f"Pagefind: {answer.get('message')}")
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:  # it ends when its input does
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


# The records, oldest first, are cut into shards, each its own Pagefind index that the reader's
# script merges at query time (Pagefind's mergeIndex). The newest records (1 to BASE_BLOCK of
# them) are the bundle's own index at the top of pagefind/, beside Pagefind's script and
# WebAssembly, and are indexed on every build. The older ones are whole blocks of BASE_BLOCK
# records, combined like the digits of a binary counter: as many blocks of MAX_BLOCK records as
# fit, then at most one block each of MAX_BLOCK / 2, / 4, ... down to BASE_BLOCK. Each such
# shard is a folder named by a hash of everything that shapes its files, so a build that only
# adds newer articles re-indexes the newest records and, when blocks fill up, the one block they
# combine into; every other shard is the previous build's folder, kept as it is. A query
# touches every shard (about a chunk of Pagefind's word index, some 28 KB, each), so the count
# stays small: one index up to 1,024 articles, 6 shards at 10,000. The sizes trade the update's
# cost (indexing takes about 2 ms an article) against that count: a day's 100 new articles
# re-index up to about a thousand records, and once in ten days a block of MAX_BLOCK. Blocks of
# 256 made 3 shards at 1,000 articles, and a search there took 1.24 s to its article against
# 0.84 s for one index (benchmarks/search.py). An edited article re-indexes its
# block; one dated before articles already indexed (a late one) moves the blocks after it by a
# place, so those are indexed again (when it is among the newest, a few small ones).
BASE_BLOCK = 1024
MAX_BLOCK = 2048
# The list of shard folders, oldest first, that the reader's script merges.
SHARDS_FILE = "shards.json"
logger = logging.getLogger(__name__)

SHARD_PREFIX = "shard-"
# The name the cache keeps the bundle's own index (of the newest records) under.
NEWEST_PREFIX = "newest-"
# Raised whenever what a record holds, or how it is indexed, changes: part of every shard's key,
# so an older build's shards are never reused for records shaped differently.
RECORD_FORMAT = 2
# Of the files Pagefind writes, the ones the reader's script uses: the script, its web worker
# and the WebAssembly (in pagefind/ only), and each index's own files. Pagefind's ready-made
# search UIs and its highlighter are left out, 0.4 MB the site never loads.
_RUNTIME = re.compile(r"^(pagefind\.js|pagefind-worker\.js|wasm\.[a-z0-9_-]+\.pagefind)$")
_INDEX = re.compile(r"^(pagefind-entry\.json|pagefind\.[^/]+\.pf_meta|(index|fragment|filter)/.+)$")
_SHARD_NAME = re.compile(rf"^{SHARD_PREFIX}[0-9a-f]{{20}}$")


@dataclass(frozen=True)
class SearchBundle:
    """What write_pagefind wrote: where, and how much it indexed or reused."""

    path: Path
    records: int
    shards: int  # shard folders plus the bundle's own index of the newest records
    indexed_shards: int
    indexed_records: int

    @property
    def reused_shards(self) -> int:
        return self.shards - self.indexed_shards

    @property
    def reused_records(self) -> int:
        return self.records - self.indexed_records

    def describe(self) -> str:
        """For the build's log: "8 shards: 2 indexed (300 articles), 6 reused (9,700)"."""
        return (
            f"{counted(self.shards, 'shard')}: {self.indexed_shards} indexed "
            f"({counted(self.indexed_records, 'article', grouped=True)}), "
            f"{self.reused_shards} reused "
            f"({self.reused_records:,})"
        )


def shard_blocks(
    count: int, base_block: int = BASE_BLOCK, max_block: int = MAX_BLOCK
) -> list[tuple[int, int]]:
    """The [start, end) ranges of the shards of `count` records oldest first; the last range
    is the newest records (1 to base_block of them), the bundle's own index. max_block is
    base_block times a power of two."""
    per_max = max_block // base_block
    if (
        base_block < 1
        or per_max < 1
        or per_max & (per_max - 1)
        or per_max * base_block != max_block
    ):
        raise ValueError(f"shard sizes {base_block}, {max_block}: not a base and base * 2^k")
    if count == 0:
        return [(0, 0)]
    # The newest record is never in a closed block, so the last range is never empty.
    closed = (count - 1) // base_block
    ranges = []
    start = 0
    for _ in range(closed // per_max):
        ranges.append((start, start + max_block))
        start += max_block
    rest, blocks = closed % per_max, per_max
    while rest:
        blocks //= 2
        if rest >= blocks:
            ranges.append((start, start + blocks * base_block))
            start += blocks * base_block
            rest -= blocks
    ranges.append((start, count))
    return ranges


def _oldest_first(record: Record | PendingRecord) -> tuple[float, str]:
    """Sort key: the record's date (its `date` sort value, an ISO date), then its URL."""
    if isinstance(record, PendingRecord):
        return record.order()
    value = record.sort.get("date", "")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return (float("-inf"), record.url)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when.timestamp(), record.url)


def _pagefind_version() -> str:
    try:
        return metadata.version("pagefind_bin")
    except metadata.PackageNotFoundError:
        return "unknown"


def shard_key(records: Sequence[Record | PendingRecord], language: str) -> str:
    """The folder name of a shard: a hash of its records in order (or of what each is made
    from, _record_identity) and of what else shapes its files (Pagefind's version, the
    language, the record format and the code that makes records)."""
    digest_hash = hashlib.sha256()
    header = [RECORD_FORMAT, _record_code(), _pagefind_version(), language, ZLIB_VERSION]
    digest_hash.update(json.dumps(header).encode("utf-8"))
    for pending in records:
        identity = _record_identity(pending)
        if identity is not None:
            digest_hash.update(b"\n=" + identity)  # "=" where the other form has a length
            continue
        record = _made(pending)
        filters = {name: list(values) for name, values in record.filters.items()}
        item = [record.url, dict(record.meta), dict(record.sort), filters]
        small = json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8", "replace")
        # The text, the bulk, as it is (escaping it for JSON took a third of an update's time),
        # after both lengths, so no two records read the same.
        content = record.content.encode("utf-8", "replace")
        digest_hash.update(b"\n%d %d\n" % (len(small), len(content)) + small + content)
    return SHARD_PREFIX + digest_hash.hexdigest()[:20]


@lru_cache(maxsize=1)
def _record_code() -> str:
    """The code that makes a record from an entry (this module; the entry's own is in its
    analysis key)."""
    return fingerprint_of((), ["site/search.py"])


def _record_identity(pending: Record | PendingRecord) -> bytes | None:
    """A hash of all a pending record is made from, when its entry has an analysis key (which
    stands for its text and summary): making every record of a 100,000-article archive again
    to hash it cost 4.9 s of each update. None: hash the record itself."""
    if not isinstance(pending, PendingRecord) or not pending.entry.analysis_key:
        return None
    entry, article = pending.entry, pending.entry.article
    fields = [
        pending.url,
        entry.analysis_key,
        article.title,
        article.date.isoformat(),
        article.source,
        [pending.names.get(m.topic, m.topic) for m in entry.topics],
        entry.summary.method,
        [s.text for s in entry.summary.sentences],
    ]
    text = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def write_pagefind(
    records: Iterable[Record | PendingRecord],
    site_dir: Path,
    language: str = "en",
    *,
    workers: int = 0,
    base_block: int = BASE_BLOCK,
    max_block: int = MAX_BLOCK,
    cache: ShardCache | None = None,
) -> SearchBundle:
    """Index the records and write the bundle to site_dir/pagefind, reusing the shards whose
    key is unchanged: from the bundle already there (the previous build's) or from `cache`
    (kept in cache_dir, authenticated; see digest.store.search_shards), which also keeps the
    bundle's own index of the newest records.

    The result is byte for byte what a build into an empty folder writes. Everything is written
    into a temporary folder first, the kept shards are moved into it, and it then replaces
    pagefind/: a failed index leaves the old bundle as it was. An unchanged bundle whose files
    verify against the cache is left as it is. workers: how many Pagefind processes index
    shards at once (0: one per core); base_block, max_block: the shards' sizes (see
    shard_blocks; the defaults are measured ones, tests use small ones).
    """
    ordered = sorted(records, key=_oldest_first)
    ranges = shard_blocks(len(ordered), base_block, max_block)
    newest = ordered[ranges[-1][0] :]
    shards = [(shard_key(ordered[a:b], language), ordered[a:b]) for a, b in ranges[:-1]]
    own = NEWEST_PREFIX + shard_key(newest, language).removeprefix(SHARD_PREFIX)
    listing = {"pagefind": _pagefind_version(), "shards": [key for key, _ in shards]}
    listing["newest"] = own
    target = site_dir / BUNDLE
    # A staging folder a killed build left behind would be published with the site.
    for stale in site_dir.glob(".pagefind-*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    kept, stamped = _reusable_shards(target, listing["shards"], cache)
    bundle = partial(SearchBundle, path=target, records=len(ordered), shards=len(ranges))
    if cache is not None and _unchanged(target, listing, kept, cache):
        _stamp(cache, target, kept - stamped)
        return bundle(indexed_shards=0, indexed_records=0)
    # The engine may not have made its site folder yet: the index can come before the pages.
    site_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=site_dir))
    try:
        cached = _restore_cached(staging, [own, *(k for k, _ in shards if k not in kept)], cache)
        jobs = [(staging, newest, True)] if own not in cached else []
        jobs.extend(
            (staging / key, part, False) for key, part in shards if key not in kept | cached
        )
        _run_index_jobs(jobs, language, workers)
        if cache is not None:
            for folder, _, primary in jobs:
                try:
                    cache.put(own if primary else folder.name, _own_files(folder, primary))
                except ValueError as error:  # not kept: the next build indexes it again
                    logger.warning("digest: a search index not kept in the cache: %s", error)
            cache.keep_only([own, *listing["shards"]])
        (staging / SHARDS_FILE).write_text(json.dumps(listing) + "\n", encoding="utf-8")
        # mkdtemp made it 0700: a web server running as another user would get 403. The kept
        # shards were given the same mode when they were written.
        mode = 0o777 & ~current_umask()
        for folder in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            os.chmod(folder, mode)
        for key in sorted(kept):
            os.replace(target / key, staging / key)
    except BaseException:
        # Shards already moved go back, so the old bundle stays whole.
        for key in kept:
            if (staging / key).is_dir() and not (target / key).exists():
                os.replace(staging / key, target / key)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_bundle(site_dir, staging, target)
    if cache is not None:
        _stamp(cache, target, set(listing["shards"]) - stamped)
    return bundle(indexed_shards=len(jobs), indexed_records=sum(len(part) for _, part, _ in jobs))


def _own_files(folder: Path, primary: bool) -> dict[str, bytes]:
    """The files of one index: a shard's folder, or the bundle's own index at its top (the
    shard folders and the listing beside it left out)."""
    if not primary:
        return read_plain_tree(folder)
    # Not read at all: at 100,000 articles the shards beside it were more than any one index.
    return read_plain_tree(
        folder, lambda path: path == SHARDS_FILE or path.startswith(SHARD_PREFIX)
    )


def _unchanged(target: Path, listing: Mapping[str, Any], kept: set[str], cache: ShardCache) -> bool:
    """Whether the bundle in target is the one this build would write, every index in it
    verified against the cache: then nothing is indexed, moved or written."""
    shards = set(listing["shards"])
    try:
        old = json.loads((target / SHARDS_FILE).read_text(encoding="utf-8"))
        folders = {p.name for p in target.iterdir() if p.name.startswith(SHARD_PREFIX)}
        # Its own index is read only when the rest agrees (1.5 s at 100,000 articles).
        if old != listing or folders != shards or kept != shards:
            return False
        own = _own_files(target, True)
    except (OSError, ValueError):
        return False
    return cache.verified(listing["newest"], own) is not None


def _reusable_shards(
    target: Path, keys: Iterable[str], cache: ShardCache | None
) -> tuple[set[str], set[str]]:
    """The previous bundle's shards that may be kept, and those of them taken on their stamp
    (ShardCache.stamped: the same files as when verified); the others were read and verified.
    The site folder is no more trusted than the cache (a planted fragment would show in search
    results); without a cache nothing is reused."""
    kept: set[str] = set()
    stamped: set[str] = set()
    for key in keys:
        folder = target / key
        if cache is None or not _reusable(folder):
            continue
        if cache.stamped(key, folder):
            stamped.add(key)
        elif not _site_shard_verified(folder, cache):
            continue
        kept.add(key)
    return kept, stamped


def _stamp(cache: ShardCache, target: Path, keys: Iterable[str]) -> None:
    """Stamp these shards of the bundle in target, each verified or written by this build."""
    for key in sorted(keys):
        cache.stamp(key, target / key)


def _site_shard_verified(folder: Path, cache: ShardCache) -> bool:
    """Whether the previous bundle's shard folder matches the HMAC the cache holds for it."""
    try:
        files = read_plain_tree(folder)
    except (OSError, ValueError):
        return False
    return cache.verified(folder.name, files) is not None


def _restore_cached(staging: Path, keys: Sequence[str], cache: ShardCache | None) -> set[str]:
    """Write the cache's verified copies of these indexes into staging (the bundle's own at
    its top, a shard in its folder); the keys restored."""
    restored: set[str] = set()
    if cache is None:
        return restored
    for key in keys:
        files = cache.verified(key)
        if files is not None:
            _write_files(files, staging if key.startswith(NEWEST_PREFIX) else staging / key)
            restored.add(key)
    return restored


def _run_index_jobs(
    jobs: Sequence[tuple[Path, Sequence[Record | PendingRecord], bool]], language: str, workers: int
) -> None:
    if not jobs:
        return
    count = min(len(jobs), workers or os.cpu_count() or 1)

    def index(job: tuple[Path, Sequence[Record | PendingRecord], bool]) -> None:
        _index(job[0], job[1], job[2], language)

    if count == 1:
        for job in jobs:
            index(job)
    else:
        # Shards are independent: one Pagefind process each, a core each (a cold build).
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(index, jobs))  # list(): the first failure is raised here


def _swap_bundle(site_dir: Path, staging: Path, target: Path) -> None:
    """Put the staged bundle in place of the old one."""
    if target.exists() or target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=".pagefind-old-", dir=site_dir))
        os.replace(target, old / BUNDLE)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def shard_cache(cache_dir: Path | None) -> ShardCache | None:
    """The cache of search shards in cache_dir, where a secret authenticates them."""
    if cache_dir is None:
        return None
    secret = load_secret()
    return ShardCache(cache_dir, secret) if secret is not None else None


def seed_shards(previous: Path, bundle: Path) -> int:
    """Link (or copy) the shards of a previous bundle folder into bundle, which write_pagefind
    then reuses where their articles are unchanged; the number of shards seeded.

    For a build that writes its bundle somewhere new (the Zensical engine writes a fresh docs
    folder): the previous bundle must be the published site's, never the cache folder's, which
    other CI workflows may write. A shard holding anything but folders and regular files is
    left out (indexed again), so no link from the old site reaches the new one."""
    if not previous.is_dir() or previous.is_symlink():
        return 0
    seeded = 0
    for shard in sorted(previous.iterdir()):
        if not _reusable(shard) or (bundle / shard.name).exists():
            continue
        target = bundle / shard.name
        try:
            _copy_plain_tree(shard, target)
        except (OSError, ValueError):
            shutil.rmtree(target, ignore_errors=True)
            continue
        seeded += 1
    return seeded


def _copy_plain_tree(source: Path, target: Path) -> None:
    """Copy a folder of folders and regular files, hard-linking files where the file system
    allows; ValueError for anything else in it (a link, a device)."""
    target.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        mode = entry.lstat().st_mode
        if stat.S_ISDIR(mode):
            _copy_plain_tree(entry, target / entry.name)
        elif stat.S_ISREG(mode):
            try:
                os.link(entry, target / entry.name, follow_symlinks=False)
            except OSError:  # another file system
                shutil.copyfile(entry, target / entry.name, follow_symlinks=False)
        else:
            raise ValueError(f"{entry}: not a folder or a regular file")


def _reusable(folder: Path) -> bool:
    """Whether the old bundle has this shard: a folder (never a link) holding an index. Shards
    are moved in whole, so a folder with the right name has all its files."""
    return (
        _SHARD_NAME.match(folder.name) is not None
        and folder.is_dir()
        and not folder.is_symlink()
        and (folder / "pagefind-entry.json").is_file()
    )


def _index(
    folder: Path, records: Sequence[Record | PendingRecord], primary: bool, language: str
) -> None:
    """Index records with one Pagefind process and write its files into folder (with the
    script and WebAssembly when primary: the bundle's own index)."""
    # Pagefind's messages, for the error when it fails.
    with tempfile.TemporaryFile() as log:
        service: _Service | None = None
        try:
            service = _Service(_executable(), log)
            # No playground (a debugging page): the bundle holds what readers need.
            index = service.send({"type": "NewIndex", "config": {"write_playground": False}})
            index_id = index["index_id"]
            service.send_all(_add_record(index_id, record, language) for record in records)
            # The files come back in the reply and are written here: Pagefind's own WriteFiles
            # replied before it had finished writing, and stopping it then cut a file short.
            bundle = service.send({"type": "GetFiles", "index_id": index_id})
            files = {
                str(file["path"]): base64.b64decode(file["content"])
                for file in bundle.get("files") or []
                if _INDEX.match(str(file["path"]))
                or (primary and _RUNTIME.match(str(file["path"])))
            }
            folder.mkdir(exist_ok=True)
            _write_files(stable_filters(files), folder)
        except SearchIndexError:
            raise
        except (OSError, KeyError, ValueError, TypeError) as error:
            log.seek(0)
            said = log.read().decode("utf-8", "replace").strip()
            raise SearchIndexError(f"Pagefind failed: {error} {said}".strip()) from None
        finally:
            if service is not None:
                service.close()


def _add_record(index_id: Any, pending: Record | PendingRecord, language: str) -> dict[str, Any]:
    record = _made(pending)
    return {
        "type": "AddRecord",
        "index_id": index_id,
        "url": record.url,
        "content": record.content,
        "language": language,
        "meta": dict(record.meta),
        "filters": {name: list(v) for name, v in record.filters.items()} or None,
        "sort": dict(record.sort),
    }


def _write_files(files: Mapping[str, bytes], folder: Path) -> None:
    """Write the bundle's files ({path: bytes}) under folder, never outside it."""
    try:
        write_tree(files, folder)
    except ValueError as error:
        raise SearchIndexError(f"Pagefind named {error}") from None
