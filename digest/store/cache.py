"""The summary cache: what the pipeline worked out about each article, kept between builds.

One SQLite file in the cache folder (``.digest-cache/`` by default). An entry's key is a hash of
everything its analysis depends on: the article's content hash and the parts of it that are
analysed, the summarizer and topic settings, and the package version plus the source of the
analysing modules (so a changed summarizer never serves stale summaries). A rebuild with nothing
changed analyses nothing; a change to one article analyses that one.

The file is never trusted: it must carry our application id and schema version, every value
carries a checksum bound to its key, and values are JSON decoded into our own frozen
dataclasses only (no pickle: a damaged or planted file cannot run code). A corrupt or foreign
file is replaced by a fresh one, and so is one damaged in the middle (a page that fails to read
is checked with SQLite's quick_check before the file is judged sound). Trouble that is not the
file's fault never replaces it: a lock held by another program, a full disk, an I/O error
leave it as it is for the next build. A cache folder that cannot be written is read only.
Concurrent builds are safe: SQLite transactions (in WAL mode) guard the rows, and an advisory
lock keeps a rebuild from swapping the file under another build's feet. Any trouble with the
cache costs speed, never correctness: the articles are analysed again.

``mkdocs serve`` rebuilds in one process, so entries are also kept in memory between builds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypeVar, cast

from digest import model
from digest.analysis.analyzer import ComputeEach, KeptValid
from digest.analysis.parallel import Progress, analyze_parallel
from digest.model import Article, DigestEntry
from digest.store.collector import paused_collector
from digest.store.fingerprint import fingerprint_of, hash_texts

try:  # advisory file locks; without them (Windows) SQLite's own locking still guards rows
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
T = TypeVar("T")

CACHE_FILE = "summaries.sqlite3"
LOCK_FILE = "summaries.lock"
# PRAGMA application_id: "NDgs" marks the file as a newsdigest summary cache.
APPLICATION_ID = 0x4E446773
SCHEMA_VERSION = 1
# Entries unused for this many days are dropped.
KEEP_DAYS = 30
# Marking an entry used rewrites its whole row (its value included): callers that ask for
# stale keys mark an entry again only once its mark is this many days old, not every day.
REFRESH_DAYS = 7
# The index the sweeps of unused entries go by. `used` is stored after the value, which spills
# into overflow pages: without it every sweep read the whole file (2.5 s a write, some twenty
# writes a build, at 100,000 articles).
_USED_INDEX = "CREATE INDEX IF NOT EXISTS entries_used ON entries (used)"
# Seconds to wait for another build's lock before going on without the cache.
LOCK_TIMEOUT = 30.0
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Why a folder cannot be written to: the cache is then only read.
_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
# SQLite's limit on bound parameters is 999 in old builds.
_BATCH = 500
# The modules whose code decides an entry; a change to any of them invalidates the cache.
_ANALYSIS_MODULES = (
    "model.py",
    "sources/cleanup.py",
    "analysis/analyzer.py",
    "analysis/summary_base.py",
    "analysis/summarizers.py",
    "analysis/digest_summarizer.py",
    "analysis/topics.py",
    "analysis/tokenizer.py",
    "analysis/topic_corpus.py",
    "analysis/stemming.py",
    "analysis/languages.py",
    "language.py",
)
# PyStemmer, when installed, is the C code snowballstemmer runs.
_ANALYSIS_PACKAGES = (
    "sumy",
    "nupunkt",
    "nltk",
    "numpy",
    "snowballstemmer",
    "PyStemmer",
    "sentencex",
    "py3langid",
)


class CacheFormatError(ValueError):
    """A cached value is not one this version wrote; it is treated as a miss."""


# ----------------------------------------------------------------------------------------------
# Keys


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The package version, the versions of the libraries that analyse, and our analysing code."""
    return fingerprint_of(_ANALYSIS_PACKAGES, _ANALYSIS_MODULES)


def settings_json(settings: Any) -> str:
    """A settings dataclass as canonical JSON: the same settings give the same text, always."""
    return json.dumps(
        dataclasses.asdict(settings),
        sort_keys=True,
        ensure_ascii=True,
        separators=(",", ":"),
        allow_nan=False,
    )


def settings_fingerprint(settings: Any) -> str:
    """What, besides the article, decides an entry: the settings and the code."""
    text = f"{code_fingerprint()}\0{settings_json(settings)}"
    return hashlib.sha256(text.encode()).hexdigest()


def article_key(article: Article, fingerprint: str) -> str:
    """The cache key of an article's entry under the given settings fingerprint."""
    return hash_texts(
        [
            fingerprint,
            article.content_hash,
            article.title,
            article.editor_summary,
            article.forced_topics,
            article.paragraphs,
            article.language,
        ]
    )


# ----------------------------------------------------------------------------------------------
# Values: an entry without its article, as JSON of our own dataclasses

_MODEL_CLASSES: dict[str, type] = {
    name: value
    for name, value in vars(model).items()
    if isinstance(value, type) and dataclasses.is_dataclass(value)
}
_PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    kind = type(value)
    if dataclasses.is_dataclass(value) and _MODEL_CLASSES.get(kind.__name__) is kind:
        return {kind.__name__: [_encode(getattr(value, f.name)) for f in dataclasses.fields(value)]}
    raise CacheFormatError(f"cannot cache a {kind.__name__}")


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if type(value) is list else value


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        raise CacheFormatError("not a cached object")
    ((name, values),) = obj.items()
    kind = _MODEL_CLASSES.get(name)
    if kind is None or type(values) is not list:
        raise CacheFormatError(f"unknown cached object {name!r}")
    try:
        return kind(*[_tuples(v) for v in values])
    except (TypeError, ValueError) as error:
        raise CacheFormatError(f"bad cached {name}: {error}") from None


# The analysis: what the entry's key stands for is not stored under it.
_ENTRY_FIELDS = tuple(
    f.name for f in dataclasses.fields(DigestEntry) if f.name not in ("article", "analysis_key")
)


def encode_entry(entry: DigestEntry) -> str:
    """An entry's analysis (everything but the article it came from) as JSON."""
    parts = [_encode(getattr(entry, name)) for name in _ENTRY_FIELDS]
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def decode_entry(text: str, article: Article, key: str = "") -> DigestEntry:
    """The entry encode_entry stored (under `key`), rebuilt around the article as read now.

    Every build decodes every unchanged entry (10,000 in a large digest), so this reads the
    three known shapes directly, each field's type checked, rather than through a generic
    object hook; anything else is CacheFormatError.
    """
    try:
        parts = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise CacheFormatError(f"not JSON: {error}") from None
    if type(parts) is not list or len(parts) != len(_ENTRY_FIELDS):
        raise CacheFormatError("not a cached entry")
    sentences, summary, topics = parts
    if type(sentences) is not list or type(topics) is not list:
        raise CacheFormatError("cached entry has the wrong shape")
    return DigestEntry(
        article,
        tuple(_sentence(s) for s in sentences),
        _summary(summary),
        tuple(_topic_match(m) for m in topics),
        key,
    )


def _fields(value: Any, name: str, count: int) -> list[Any]:
    """The field list of {name: [...]}, as _encode writes a dataclass."""
    if type(value) is not dict or len(value) != 1:
        raise CacheFormatError(f"not a cached {name}")
    fields = value.get(name)
    if type(fields) is not list or len(fields) != count:
        raise CacheFormatError(f"not a cached {name}")
    return fields


def _sentence(value: Any) -> model.Sentence:
    text, paragraph, index = _fields(value, "Sentence", 3)
    if type(text) is not str or type(paragraph) is not int or type(index) is not int:
        raise CacheFormatError("bad cached Sentence")
    return model.Sentence(text, paragraph, index)


def _summary(value: Any) -> model.Summary:
    sentences, method = _fields(value, "Summary", 2)
    if type(sentences) is not list or type(method) is not str:
        raise CacheFormatError("bad cached Summary")
    return model.Summary(tuple(_sentence(s) for s in sentences), method)


_TOPIC_MATCH_FIELDS = len(dataclasses.fields(model.TopicMatch))


def _topic_match(value: Any) -> model.TopicMatch:
    (topic, share, paragraphs, evidence, forced, summary, learned, continued, lead, context) = (
        _fields(value, "TopicMatch", _TOPIC_MATCH_FIELDS)
    )
    if (
        type(topic) is not str
        or type(share) not in (int, float)
        or not all(type(f) is bool for f in (forced, learned, lead))
    ):
        raise CacheFormatError("bad cached TopicMatch")
    return model.TopicMatch(
        topic,
        share,
        _items(paragraphs, int),
        _items(evidence, str),
        forced,
        None if summary is None else _summary(summary),
        learned,
        _items(continued, int),
        lead,
        _items(context, str),
    )


def _items(value: Any, kind: type) -> tuple[Any, ...]:
    if type(value) is not list or not all(type(v) is kind for v in value):
        raise CacheFormatError(f"not a list of {kind.__name__}")
    return tuple(value)


def _after(prefix: str) -> str:
    """The first key past every key that starts with prefix."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _checksum(key: str, value: str) -> str:
    return hashlib.sha256(f"{key}\0{value}".encode("utf-8", "surrogatepass")).hexdigest()


# ----------------------------------------------------------------------------------------------
# The SQLite file


class CacheUnavailable(Exception):
    """The cache cannot be used for this build (locked for too long, unwritable folder)."""


class CacheReadOnly(CacheUnavailable):
    """The cache folder cannot be written: entries are read, new ones not saved."""


class SummaryCache:
    """The cache file, opened for one build step; use as a context manager."""

    # Cache files another program kept locked past the timeout: {path: monotonic deadline}.
    # Each build step would wait for it again; they go on without it for a while instead.
    _held_elsewhere: dict[Path, float] = {}

    def __init__(self, directory: Path, lock_timeout: float | None = None) -> None:
        self.directory = directory
        self.path = directory / CACHE_FILE
        self.lock_timeout = LOCK_TIMEOUT if lock_timeout is None else lock_timeout
        self._lock_fd: int | None = None
        self._db: sqlite3.Connection | None = None
        # Set when the file was found corrupt or foreign and replaced.
        self.rebuilt = False
        # Set when the folder cannot be written (a read-only mount or restored cache).
        self.read_only = False

    # Opening, checking, rebuilding ---------------------------------------------------------

    def __enter__(self) -> SummaryCache:
        held = self._held_elsewhere.get(self.path)
        if held is not None and time.monotonic() < held:
            raise CacheUnavailable(f"{self.path}: locked by another program; not waited for again")
        self._lock_fd, self.read_only = _open_lock_file(self.directory, self.path)
        try:
            self._lock(shared=True)
            problem = self._open_checked()
            if problem is not None:
                self._rebuild(problem)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def _lock(self, shared: bool) -> None:
        if fcntl is None or self._lock_fd is None:
            return
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(self._lock_fd, mode)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CacheUnavailable(f"{self.path}: locked by another build") from None
                time.sleep(0.05)

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            # immutable: SQLite may not create its -shm file beside a file it cannot write.
            uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
            db = sqlite3.connect(uri, uri=True, timeout=self.lock_timeout, isolation_level=None)
        else:
            db = sqlite3.connect(self.path, timeout=self.lock_timeout, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")
        return db

    def _open_checked(self, thorough: bool = False) -> str | None:
        """Open the file; None if it is ours and sound, else what is wrong with it.

        thorough: also read every page (quick_check), for a file that failed mid-way.
        Trouble that is not the file's fault (locked, disk full, I/O) is CacheUnavailable:
        the file must not be replaced for it, or a program holding it loses it.
        """
        if self.path.is_symlink():
            # SQLite would follow it and write beside, or into, a file elsewhere.
            return "is a symbolic link, which a cache file never is"
        try:
            self._db = self._connect()
            application_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if application_id == 0 and version == 0 and tables == 0:
                self._create()
                return None
            if application_id != APPLICATION_ID:
                return "not a newsdigest summary cache"
            if version != SCHEMA_VERSION:
                return f"written by another newsdigest version (schema {version})"
            self._db.execute("SELECT key, value, checksum, used FROM entries LIMIT 1").fetchall()
            if thorough:
                found = self._db.execute("PRAGMA quick_check(1)").fetchone()
                if found is None or found[0] != "ok":
                    return f"is damaged ({found[0] if found else 'no result'})"
            return None
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                self._held_elsewhere[self.path] = time.monotonic() + 2 * self.lock_timeout
            raise CacheUnavailable(f"{self.path}: {error}") from None
        except sqlite3.DatabaseError as error:
            return f"unreadable ({error})"

    def _create(self) -> None:
        assert self._db is not None
        with contextlib.suppress(sqlite3.DatabaseError):
            # WAL lets one build read while another writes; not every file system has it.
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # Another build may have created it between our check and our lock.
            if self._db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                self._db.execute(
                    "CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                    "checksum TEXT NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID"
                )
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _rebuild(self, problem: str, thorough: bool = False) -> None:
        """Replace a corrupt or foreign file, once no other build has it open.

        thorough: the file failed in the middle, so the check whether another build already
        replaced it reads every page (its header alone looks sound).
        """
        if self.read_only:
            raise CacheUnavailable(f"{self.path} {problem}; the folder is read-only")
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        if fcntl is not None and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._lock(shared=False)
        # Another build may have rebuilt it while we waited.
        if self._open_checked(thorough) is None:
            self._lock(shared=True)
            return
        log.warning("digest: summary cache %s %s; starting a new one", self.path, problem)
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")
        problem_now = self._open_checked()
        if problem_now is not None:
            raise CacheUnavailable(f"{self.path}: cannot start a new cache: {problem_now}")
        self.rebuilt = True
        if fcntl is not None and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)

    # Reading and writing -------------------------------------------------------------------

    def get_many(
        self, keys: Sequence[str], stale: set[str] | None = None, *, checked: bool = True
    ) -> dict[str, str]:
        """The stored values of those keys that are present and intact.

        stale: filled with the found keys whose last use is older than REFRESH_DAYS, the
        only ones worth marking used again (see put_many).
        checked: False skips the checksums, for values the caller verifies more strictly
        (an HMAC).
        """
        assert self._db is not None
        return self._guarded(partial(_values, self._db, keys, stale, checked))

    def _guarded(self, read: Callable[[], dict[str, str]]) -> dict[str, str]:
        """What read() finds; nothing when the file turns out damaged (it is rebuilt)."""
        try:
            return read()
        except sqlite3.OperationalError:
            raise  # busy, locked, I/O: not the file's fault
        except sqlite3.DatabaseError as error:
            self._rebuild(f"is damaged ({error})", thorough=True)
            return {}

    def keys_under(self, prefix: str) -> dict[str, str]:
        """Every key that starts with prefix ({key: ""}), intact or not: one range scan of the
        keys, not their values."""
        assert self._db is not None and prefix
        query = "SELECT key FROM entries WHERE key >= ? AND key < ?"
        rows = partial(self._db.execute, query, (prefix, _after(prefix)))
        return self._guarded(lambda: {key: "" for (key,) in rows()})

    def keys_in(self, keys: Sequence[str]) -> dict[str, str]:
        """Those of the keys the file holds ({key: ""}), intact or not: their values (which spill
        into pages of their own) are not read."""
        assert self._db is not None
        return self._guarded(partial(_present, self._db, keys))

    def get_prefixed(self, prefix: str, stale: set[str] | None = None) -> dict[str, str]:
        """The stored values of every intact entry whose key starts with prefix (one range
        scan: cheaper than asking for thousands of keys by name); stale as for get_many."""
        return self._guarded(lambda: self._get_prefixed(prefix, stale))

    def _get_prefixed(self, prefix: str, stale: set[str] | None) -> dict[str, str]:
        assert self._db is not None and prefix
        rows = self._db.execute(
            "SELECT key, value, checksum, used FROM entries WHERE key >= ? AND key < ?",
            (prefix, _after(prefix)),
        )
        found: dict[str, str] = {}
        self._collect(rows, found, stale)
        return found

    @staticmethod
    def _collect(
        rows: Iterable[Any], found: dict[str, str], stale: set[str] | None, checked: bool = True
    ) -> None:
        since = int(time.time() // 86400) - REFRESH_DAYS
        for key, value, checksum, used in rows:
            if (
                isinstance(key, str)
                and isinstance(value, str)
                and (not checked or checksum == _checksum(key, value))
            ):
                found[key] = value
                if stale is not None and not (isinstance(used, int) and used >= since):
                    stale.add(key)

    def put_many(
        self,
        items: Iterable[tuple[str, str]],
        used: Iterable[str] = (),
        *,
        churn: str = "",
        drop: Iterable[str] = (),
        only: tuple[str, str] | None = None,
    ) -> None:
        """Store new values and mark the others this build used; drop long-unused ones.

        churn: a key prefix whose entries are replaced all the time (converted listing pages
        change with every new article); those unused since yesterday are dropped at once.
        drop: keys to delete now (entries of files that are gone).
        only: (family, current): of the keys starting with family, keep only those starting
        with current (entries made under settings or code that are no longer in use).
        """
        # A one-shot iterator is kept for a second try after a rebuild; a collection (such as
        # Encoded, which makes each value as it is written) is read again instead.
        items = list(items) if isinstance(items, Iterator) else items
        used, dropped = list(used), list(drop)
        if self.read_only:
            raise CacheReadOnly(f"{self.directory} cannot be written; nothing new is saved")
        try:
            self._put_many(items, used, churn, dropped, only)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as error:
            self._rebuild(f"is damaged ({error})", thorough=True)
            self._put_many(items, used, churn, dropped, only)

    def _put_many(
        self,
        items: Iterable[tuple[str, str]],
        used: list[str],
        churn: str = "",
        drop: Sequence[str] = (),
        only: tuple[str, str] | None = None,
    ) -> None:
        assert self._db is not None
        today = int(time.time() // 86400)  # retention only: never part of any output
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM entries WHERE key = ?", ((key,) for key in drop))
            if only is not None:
                family, current = only
                self._db.execute(
                    "DELETE FROM entries WHERE key >= ? AND key < ? AND (key < ? OR key >= ?)",
                    (family, _after(family), current, _after(current)),
                )
            self._db.executemany(
                "INSERT OR REPLACE INTO entries (key, value, checksum, used) VALUES (?, ?, ?, ?)",
                ((key, value, _checksum(key, value), today) for key, value in items),
            )
            self._db.executemany(
                "UPDATE entries SET used = ? WHERE key = ? AND used < ?",
                ((today, key, today) for key in used),
            )
            _sweep(self._db, today, churn)
            self._db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        assert self._db is not None
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])


def _sweep(db: sqlite3.Connection, today: int, churn: str) -> None:
    """Drop the entries unused for KEEP_DAYS, and those of the churn family (if any) unused
    since yesterday, going by the index on `used`."""
    db.execute(_USED_INDEX)  # a file an older version made has none yet
    db.execute("DELETE FROM entries WHERE used < ?", (today - KEEP_DAYS,))
    if churn:
        # `+key`: found by the index on `used`, not by reading a family's every row.
        db.execute(
            "DELETE FROM entries WHERE used < ? AND +key >= ? AND +key < ?",
            (today - 1, churn, _after(churn)),
        )


# ----------------------------------------------------------------------------------------------
# The analysis step of a build, with the cache in front of it

# Entries of the latest build in this process, for `mkdocs serve` rebuilds: {key: entry}.
_memory: dict[str, Any] = {}


class Encoded:
    """(key, text) of each (key, value), the text made only as it is read (each time it is
    read: a write that must be tried again reads it again); a value encode cannot take is left
    out (debug-logged with what name_error says)."""

    def __init__(
        self,
        values: Sequence[tuple[str, Any]],
        encode: Callable[[Any], str],
        name_error: Callable[[int, Exception], str] | None = None,
    ) -> None:
        self.values, self.encode, self.name_error = values, encode, name_error

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for index, (key, value) in enumerate(self.values):
            try:
                yield key, self.encode(value)
            except (CacheFormatError, ValueError, TypeError) as error:
                if self.name_error is not None:
                    log.debug("digest: cannot cache %s", self.name_error(index, error))


def _plain_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _memo_key(name: str, inputs: Any) -> str:
    text = json.dumps([name, code_fingerprint(), inputs], ensure_ascii=False, default=str)
    return "memo:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclasses.dataclass(frozen=True)
class CacheStats:
    """Where a build's entries came from."""

    articles: int
    from_memory: int
    from_file: int
    analysed: int


class CachedAnalysis:
    """Analyses articles as the pipeline's ``analyze_many``, serving unchanged ones from cache.

    ``cache_dir=None`` keeps only the in-process memory; the rest runs over ``workers``
    processes (0: one per core).
    """

    def __init__(
        self,
        cache_dir: Path | None,
        workers: int = 0,
        progress: Progress | None = None,
        *,
        use_memory: bool = True,
    ) -> None:
        self.cache_dir = cache_dir
        self.workers = workers
        self.progress = progress
        self.use_memory = use_memory
        self.stats = CacheStats(0, 0, 0, 0)

    def reading_cache(self) -> tuple[Path | None, bool]:
        """Where readings of files are kept: beside the summaries (and in memory, if used)."""
        return self.cache_dir, self.use_memory

    def story_cache(self) -> tuple[Any, Any, Any]:
        """Story checkpoints (load, save) and each article's story terms (memoize_each)."""
        return self.load_checkpoint, self.save_checkpoint, self.memoize_each

    def __call__(self, articles: Sequence[Article], settings: Any) -> list[DigestEntry]:
        fingerprint = settings_fingerprint(settings)
        keys = [article_key(article, fingerprint) for article in articles]
        entries: list[DigestEntry | None] = [None] * len(articles)
        from_memory = from_file = 0
        if self.use_memory:
            for index, key in enumerate(keys):
                remembered = _memory.get(key)
                if remembered is not None:
                    entries[index] = _with_article(remembered, articles[index])
                    from_memory += 1
        wanted = [keys[i] for i, entry in enumerate(entries) if entry is None]
        stale: set[str] = set()
        with paused_collector():
            stored = self._read(wanted, stale) if wanted else {}
            for index, key in enumerate(keys):
                if entries[index] is None and key in stored:
                    try:
                        entries[index] = decode_entry(stored[key], articles[index], key)
                        from_file += 1
                    except CacheFormatError as error:
                        log.debug("digest: cache entry for %s unusable: %s", articles[index], error)
            del stored
        missing = [i for i, entry in enumerate(entries) if entry is None]
        fresh = analyze_parallel(
            [articles[i] for i in missing], settings, self.workers, self.progress
        )
        for index, entry in zip(missing, fresh, strict=True):
            entries[index] = dataclasses.replace(entry, analysis_key=keys[index])
        # Each entry's JSON is made as it is written: all of them at once held a copy of the
        # whole analysis (gigabytes at 100,000 articles).
        new_values = Encoded(
            [(keys[i], entries[i]) for i in missing],
            encode_entry,
            lambda index, error: f"{articles[missing[index]].source_path}: {error}",
        )
        # Marked used only when their mark is old (REFRESH_DAYS): marking rewrites the row.
        reused = [key for key in keys if key in stale]
        if self.cache_dir is not None and (missing or reused):
            self._write(new_values, reused)
        result = [entry for entry in entries if entry is not None]
        assert len(result) == len(articles)
        if self.use_memory:
            _memory.clear()  # only the latest build's entries: bounded by the content
            _memory.update(zip(keys, result, strict=True))
        self.stats = CacheStats(len(articles), from_memory, from_file, len(missing))
        return result

    def _read(self, keys: list[str], stale: set[str] | None = None) -> dict[str, str]:
        if self.cache_dir is None:
            return {}
        return reading(self.cache_dir, "summary cache", lambda c: c.get_many(keys, stale))

    def _write(self, values: Mapping[str, str] | Encoded, used: list[str]) -> None:
        assert self.cache_dir is not None
        items = values.items() if isinstance(values, Mapping) else values
        writing(self.cache_dir, "summaries", lambda c: c.put_many(items, used))

    def memoize_each(
        self, name: str, inputs: Sequence[Any], compute: ComputeEach, valid: KeptValid
    ) -> list[Any]:
        """A value per item: the one stored under the same item inputs (JSON) by an earlier
        build where it passes `valid`, else compute's for the items at the indices it is given
        (plain JSON values only: dicts, lists, text, numbers).

        For per-article steps of whole-corpus work (story terms): the corpus changes with every
        new article, its articles mostly do not.
        """
        keys = [_each_key(name, item) for item in inputs]
        values: list[Any] = [None] * len(keys)
        stale: set[str] = set()
        with paused_collector():  # thousands of new objects, no garbage
            remembered = {k: _memory[k] for k in keys if k in _memory} if self.use_memory else {}
            stored = self._read([k for k in keys if k not in remembered], stale)
            missing = []
            for index, key in enumerate(keys):
                value = remembered.get(key)
                if value is None and key in stored:
                    with contextlib.suppress(json.JSONDecodeError, RecursionError):
                        value = json.loads(stored[key])
                if value is not None and valid(value):
                    values[index] = value
                else:
                    missing.append(index)
            del stored
        for index, value in zip(missing, compute(missing), strict=True):
            values[index] = value
        if self.use_memory:
            _memory.update(zip(keys, values, strict=True))
        used = [key for key in keys if key in stale]
        if self.cache_dir is not None and (missing or used):
            new = Encoded([(keys[i], values[i]) for i in missing], _plain_json)
            self._write(new, used)
        return values

    def recall(self, name: str, inputs: Any) -> Any | None:
        """What memoize stored under the same inputs by an earlier build, or None."""
        key = _memo_key(name, inputs)
        remembered = _memory.get(key) if self.use_memory else None
        if remembered is not None:
            return remembered
        stored = self._read([key]).get(key)
        if stored is None:
            return None
        try:
            value = _tuples(json.loads(stored, object_hook=_decode_object))
        except (CacheFormatError, json.JSONDecodeError, RecursionError) as error:
            log.debug("digest: cached %s unusable: %s", name, error)
            return None
        if self.use_memory:
            _memory[key] = value
        return value

    def memoize(self, name: str, inputs: Any, compute: Callable[[], T]) -> T:
        """compute(), or its result stored under the same inputs (JSON) by an earlier build.

        For whole-corpus steps after the per-article analysis (topic suggestions): a build
        with nothing changed skips them. The result must be our dataclasses, tuples and plain
        values.
        """
        kept = self.recall(name, inputs)
        if kept is not None:
            return cast(T, kept)
        key = _memo_key(name, inputs)
        value = compute()
        if self.use_memory:
            _memory[key] = value
        if self.cache_dir is not None:
            try:
                encoded = json.dumps(_encode(value), ensure_ascii=False, allow_nan=False)
            except (CacheFormatError, ValueError) as error:
                log.debug("digest: cannot cache %s: %s", name, error)
            else:
                self._write({key: encoded}, [])
        return value

    def _checkpoint_key(self, name: str) -> str:
        text = json.dumps([name, code_fingerprint()], ensure_ascii=False)
        return "checkpoint:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def load_checkpoint(self, name: str) -> str | None:
        """What `save_checkpoint` kept under this name (with this code), or None.

        For steps that resume from where the last build left off (story clustering); the text
        comes from the cache, so whoever reads it checks it."""
        key = self._checkpoint_key(name)
        remembered = _memory.get(key) if self.use_memory else None
        if isinstance(remembered, str):
            return remembered
        return self._read([key]).get(key)

    def save_checkpoint(self, name: str, text: str) -> None:
        key = self._checkpoint_key(name)
        if self.use_memory:
            _memory[key] = text
        if self.cache_dir is not None:
            self._write({key: text}, [])


def _each_key(name: str, inputs: Any) -> str:
    text = json.dumps([name, code_fingerprint(), inputs], ensure_ascii=False, default=str)
    return f"each:{name}:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _with_article(entry: DigestEntry, article: Article) -> DigestEntry:
    return entry if entry.article == article else dataclasses.replace(entry, article=article)


def clear_memory() -> None:
    """Forget the entries kept in this process (tests; long-lived processes)."""
    _memory.clear()


def _open_lock_file(directory: Path, path: Path) -> tuple[int | None, bool]:
    """The cache folder's lock file, opened (created if need be), and whether the folder is
    read-only; CacheUnavailable when neither the lock nor the cache file can be had."""
    lock_path = directory / LOCK_FILE
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # The folder may come from a shared CI cache: a link planted as the lock file must
        # not make the build open (or create) a file elsewhere.
        if lock_path.is_symlink():
            lock_path.unlink()
        return os.open(lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644), False
    except OSError as error:
        if error.errno not in _NOT_WRITABLE or not path.is_file():
            raise CacheUnavailable(f"{directory}: {error.strerror or error}") from None
    # A folder we may not write: its entries are still worth reading.
    try:
        return os.open(lock_path, os.O_RDONLY), True
    except OSError:
        return None, True


def _values(
    db: sqlite3.Connection, keys: Sequence[str], stale: set[str] | None, checked: bool
) -> dict[str, str]:
    """SummaryCache.get_many's reading."""
    found: dict[str, str] = {}
    for batch, marks in _batches(keys):
        rows = db.execute(
            f"SELECT key, value, checksum, used FROM entries WHERE key IN ({marks})", batch
        )
        SummaryCache._collect(rows, found, stale, checked)
    return found


def _present(db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, str]:
    """SummaryCache.keys_in's reading."""
    found: dict[str, str] = {}
    for batch, marks in _batches(keys):
        rows = db.execute(f"SELECT key FROM entries WHERE key IN ({marks})", batch)
        found.update((key, "") for (key,) in rows if isinstance(key, str))
    return found


def _batches(keys: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """The keys in batches of _BATCH, with their SQL placeholders. In key order, as the table
    is stored: each batch then reads neighbouring pages, not pages spread over the whole file
    (60,000 values of a 2 GiB file in memory: 0.44 of the time; benchmarks/cache_reads.py)."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), _BATCH):
        batch = ordered[start : start + _BATCH]
        yield batch, ",".join("?" * len(batch))


def reading(
    cache_dir: Path, what: str, read: Callable[[SummaryCache], dict[str, str]]
) -> dict[str, str]:
    """What `read` gets from the cache file, or nothing when it cannot be read: the one
    fallback of every cache (said in the log, never fatal; the work is done again)."""
    try:
        with SummaryCache(cache_dir) as cache:
            return read(cache)
    except (CacheUnavailable, sqlite3.Error, OSError) as error:
        log.warning("digest: %s not used: %s", what, error)
        return {}


def writing(cache_dir: Path, what: str, write: Callable[[SummaryCache], None]) -> bool:
    """Run `write` on the cache file; a read-only or unavailable cache saves nothing (False)."""
    try:
        with SummaryCache(cache_dir) as cache:
            write(cache)
    except CacheReadOnly as error:
        # Chosen by whoever made it read-only: the build goes on as it should.
        log.info("digest: %s not saved: %s", what, error)
        return False
    except (CacheUnavailable, sqlite3.Error, OSError) as error:
        log.warning("digest: %s not saved to the cache: %s", what, error)
        return False
    return True
