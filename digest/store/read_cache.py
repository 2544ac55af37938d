"""What reading each content file gave, kept between builds: unchanged files are not read again.

Reading 10,000 articles (open, decode, YAML front matter, Markdown to text, the furniture pass)
takes seconds on every build, though a daily update changes a hundred of them. Each file's
outcome (digest.sources.files.FileOutcome: the article and its warnings, or why it is not an
article) is kept under its relative path, with the file's stamp: size, modification and
change times in nanoseconds, inode and device, of the file and of its sidecar. A build whose
stat of the file gives the same stamp uses the outcome without opening the file. The change
time (ctime) is in the stamp because no tool can set it: an edit that keeps the size and
restores the modification time (`touch -r`, some sync tools) still changes it. A fresh clone
gives every file new stamps, so it reads everything once. A file that changed within seconds
of being read (a tick of a coarse file system) could change again without a new stamp: its
outcome is kept marked unsettled, and used again only if the file's bytes still hash to the
article's content hash (git's answer to "racily clean" files), then marked settled.

Everything besides the file that shapes an outcome is in the key's fingerprint: the time zone,
the boilerplate patterns, the reading code and the libraries it uses, the Python version.
(Whether drafts are published does not shape an outcome: the reader leaves drafts out after,
with the other checks across files, so switching include_drafts reads nothing again.) What
depends on the wall clock (the "lies in the future" warning) is never kept; the reader works it
out every build, as it does every check across files (duplicates, slug clashes, same titles).
So every warning is still reported on every build.

Entries live in the summary cache's SQLite file (same checksums, locking and failure handling)
under keys ``read:<fingerprint>:<path hash>``; entries of files that are gone are deleted.
Like everything in the cache they are untrusted: decoded strictly (JSON of known shapes only,
never pickle), and the article must pass the checks the reader's own articles pass
(digest.sources.files.vet_article). An entry that fails any of it is read from the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from dateutil import tz as dateutil_tz

from digest.model import Article, SetApart
from digest.sources.cleanup import Boilerplate
from digest.sources.files import ArticleError, FileOutcome, KeptReading, Stamp, vet_article
from digest.store.cache import (
    CacheFormatError,
    code_fingerprint,
    reading,
    writing,
)
from digest.store.collector import paused_collector
from digest.store.fingerprint import add_code
from digest.store.history import text_fields

log = logging.getLogger(__name__)

KEY_PREFIX = "read:"
# The code that turns a file into an outcome, besides what code_fingerprint covers.
_READING_MODULES = ("sources/files.py", "sources/text.py", "sources/cleanup.py", "model.py")
_READING_PACKAGES = ("PyYAML", "python-slugify", "text-unidecode", "python-dateutil", "tzdata")
# Warnings and errors are one line of our own words (and names the reader escaped).
_MAX_MESSAGE_CHARS = 4_000
_MAX_WARNINGS = 100

# Outcomes of the latest build in this process, for `mkdocs serve`:
# {fingerprint: {relative path: reading}}.
_memory: dict[str, dict[str, KeptReading]] = {}


def reading_fingerprint(tz: tzinfo, boilerplate: Boilerplate) -> str:
    """What decides a file's outcome besides the file: settings, code, library versions."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(f"\0{sys.version}\0{tz!r}".encode())
    for pattern in boilerplate.patterns:
        digest.update(f"\0{pattern.pattern!r}/{pattern.flags}".encode())
    add_code(digest, _READING_PACKAGES, _READING_MODULES)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------------------
# Values: an outcome as JSON of plain values


def _encode_date(value: datetime, reader_tz: tzinfo) -> list[Any]:
    """A date as its wall-clock fields and which time zone object it carries, so it comes
    back as the same object: the reader's zone, or a fixed offset from YAML or dateutil."""
    zone = value.tzinfo
    if zone is reader_tz:
        kind: list[Any] = ["reader"]
    elif type(zone) is timezone and repr(zone) == repr(timezone(zone.utcoffset(None))):
        kind = ["offset", zone.utcoffset(None) // timedelta(microseconds=1)]
    elif type(zone) is dateutil_tz.tzutc:  # dateutil's one UTC, or a copy a worker sent
        kind = ["dateutil-utc"]
    elif type(zone) is dateutil_tz.tzoffset and zone.tzname(None) is None:
        offset = zone.utcoffset(None)
        assert offset is not None
        kind = ["dateutil-offset", offset // timedelta(seconds=1)]
    else:
        raise CacheFormatError(f"cannot keep a date in {zone!r}")
    fields = [value.year, value.month, value.day, value.hour, value.minute, value.second]
    return [*fields, value.microsecond, value.fold, kind]


def _decode_date(value: Any, reader_tz: tzinfo) -> datetime:
    if type(value) is not list or len(value) != 9 or type(value[8]) is not list:
        raise CacheFormatError("not a date")
    year, month, day, hour, minute, second, microsecond, fold, kind = value
    fields = (year, month, day, hour, minute, second, microsecond)
    if not all(type(f) is int for f in (*fields, fold)) or fold not in (0, 1) or not kind:
        raise CacheFormatError("not a date")
    try:
        return datetime(*fields, tzinfo=_decode_zone(kind, reader_tz), fold=fold)
    except (ValueError, OverflowError, TypeError) as error:
        raise CacheFormatError(f"not a date: {error}") from None


def _decode_zone(kind: list[Any], reader_tz: tzinfo) -> tzinfo:
    if kind == ["reader"]:
        return reader_tz
    if kind == ["dateutil-utc"]:
        return dateutil_tz.UTC
    if len(kind) == 2 and type(kind[1]) is int and abs(kind[1]) < 86_400 * 1_000_000:
        if kind[0] == "offset":
            return timezone(timedelta(microseconds=kind[1]))
        if kind[0] == "dateutil-offset":
            return dateutil_tz.tzoffset(None, kind[1])
    raise CacheFormatError("not a time zone")


def _text(value: Any, optional: bool = False) -> Any:
    if (optional and value is None) or type(value) is str:
        return value
    raise CacheFormatError("not text")


def _texts(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not all(type(v) is str for v in value):
        raise CacheFormatError("not a list of text")
    return tuple(value)


def encode_outcome(
    relative: str, stamp: Stamp, outcome: FileOutcome, reader_tz: tzinfo, settled: bool = True
) -> str:
    """A file's outcome, its path and stamp as JSON (an article's with whether the stamp had
    settled when it was read; an error is kept only when it had)."""
    article = outcome.article
    if article is None:
        body: list[Any] = ["error", outcome.error]
    else:
        fields = [
            article.slug,
            article.title,
            _encode_date(article.date, reader_tz),
            *text_fields(article),
            article.draft,
            article.content_hash,
            [[p.paragraph, p.kind, p.text] for p in article.set_apart],
            article.language,
            article.story,
        ]
        body = ["article", fields, list(outcome.warnings), settled]
    return json.dumps(
        [relative, list(stamp), *body], ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def decode_outcome(text: str, relative: str, stamp: Stamp, reader_tz: tzinfo) -> FileOutcome:
    """The outcome encode_outcome stored for this file in this state (see decode_reading)."""
    return decode_reading(text, relative, stamp, reader_tz).outcome


def decode_reading(text: str, relative: str, stamp: Stamp, reader_tz: tzinfo) -> KeptReading:
    """The reading encode_outcome stored for this file in this state; CacheFormatError if the
    text is anything else (another file, another state, a shape or value the reader never
    makes)."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise CacheFormatError(f"not JSON: {error}") from None
    if type(value) is not list or len(value) < 4 or value[:2] != [relative, list(stamp)]:
        raise CacheFormatError("kept for another file or another state of it")
    kind = value[2]
    if kind == "error" and len(value) == 4:
        return KeptReading(stamp, FileOutcome(None, (), _message(value[3])))
    if kind != "article" or len(value) != 6 or type(value[3]) is not list or len(value[3]) != 15:
        raise CacheFormatError("not a kept outcome")
    if type(value[5]) is not bool:
        raise CacheFormatError("not a kept outcome")
    warnings = _texts(value[4])
    if len(warnings) > _MAX_WARNINGS:
        raise CacheFormatError("too many warnings")
    article = _decode_article(value[3], relative, reader_tz)
    return KeptReading(stamp, FileOutcome(article, tuple(_message(w) for w in warnings)), value[5])


def _decode_article(fields: list[Any], relative: str, reader_tz: tzinfo) -> Article:
    (slug, title, date, paragraphs, dateline, source, url, author) = fields[:8]
    (forced_topics, editor_summary, draft, content_hash, set_apart, language, story) = fields[8:]
    if type(draft) is not bool or type(set_apart) is not list:
        raise CacheFormatError("not a kept article")
    pieces = []
    for piece in set_apart:
        if (
            type(piece) is not list
            or len(piece) != 3
            or type(piece[0]) is not int
            or not (type(piece[1]) is str and type(piece[2]) is str)
        ):
            raise CacheFormatError("not furniture set apart")
        pieces.append(SetApart(piece[0], piece[1], piece[2]))
    article = Article(
        source_path=relative,
        slug=_text(slug),
        title=_text(title),
        date=_decode_date(date, reader_tz),
        paragraphs=_texts(paragraphs),
        dateline=_text(dateline, optional=True),
        source=_text(source, optional=True),
        url=_text(url, optional=True),
        author=_text(author, optional=True),
        forced_topics=_texts(forced_topics),
        editor_summary=_text(editor_summary, optional=True),
        draft=draft,
        content_hash=_text(content_hash),
        set_apart=tuple(pieces),
        language=_text(language),
        story=_text(story, optional=True),
    )
    try:
        vet_article(article, relative)
    except ArticleError as error:
        raise CacheFormatError(f"not an article the reader makes: {error}") from None
    return article


def _message(value: Any) -> str:
    """A warning or error as the reader words them: one printable line of bounded length."""
    if type(value) is not str or not 0 < len(value) <= _MAX_MESSAGE_CHARS:
        raise CacheFormatError("not a message")
    if not value.isprintable():
        raise CacheFormatError("a message with control characters")
    return value


# ----------------------------------------------------------------------------------------------
# The memo the reader consults


class ReadCache:
    """The reader's memo (digest.sources.files.ReadMemo) over the cache folder.

    ``cache_dir=None`` keeps outcomes in this process's memory only.
    """

    def __init__(
        self,
        cache_dir: Path | None,
        reader_tz: tzinfo,
        boilerplate: Boilerplate,
        *,
        use_memory: bool = True,
    ) -> None:
        self.cache_dir = cache_dir
        self.reader_tz = reader_tz
        self.use_memory = use_memory
        self.fingerprint = reading_fingerprint(reader_tz, boilerplate)
        self._prefix = f"{KEY_PREFIX}{self.fingerprint[:32]}:"
        # Every key stored under this fingerprint, as found by recall: {key: stored text}.
        self._stored: dict[str, str] = {}
        self._kept: Mapping[str, KeptReading] = {}
        self._remembered: set[str] = set()
        self._stale: set[str] = set()

    def key(self, relative: str) -> str:
        name = relative.encode("utf-8", "surrogateescape")
        return self._prefix + hashlib.sha256(name).hexdigest()[:32]

    def recall(self, stamps: Mapping[str, Stamp]) -> Mapping[str, KeptReading]:
        found: dict[str, KeptReading] = {}
        remembered = _memory.get(self.fingerprint, {}) if self.use_memory else {}
        self._remembered = set(remembered)
        for relative, stamp in stamps.items():
            held = remembered.get(relative)
            if held is not None and held.stamp == stamp:
                found[relative] = held
        with paused_collector():  # thousands of new articles, no garbage
            if len(found) < len(stamps):
                self._stored = self._read()
            for relative, stamp in stamps.items():
                if relative in found:
                    continue
                text = self._stored.get(self.key(relative))
                if text is None:
                    continue
                try:
                    found[relative] = decode_reading(text, relative, stamp, self.reader_tz)
                except CacheFormatError as error:
                    log.debug("digest: kept reading of %s unusable: %s", relative, error)
        self._kept = found
        return found

    def keep(self, fresh: Mapping[str, KeptReading], present: Collection[str]) -> None:
        every = {**self._kept, **fresh}
        if self.use_memory:
            _memory.clear()  # only the latest build's outcomes: bounded by the content
            _memory[self.fingerprint] = every
        if self.cache_dir is None:
            return
        new: dict[str, str] = {}
        for relative, kept in fresh.items():
            try:
                new[self.key(relative)] = encode_outcome(
                    relative, kept.stamp, kept.outcome, self.reader_tz, kept.settled
                )
            except (CacheFormatError, ValueError) as error:
                log.debug("digest: cannot keep the reading of %s: %s", relative, error)
        wanted = {self.key(relative) for relative in present}
        gone = [key for key in self._stored if key not in wanted]
        # Served from memory, the file was not read: files gone since are known from memory.
        gone += [self.key(r) for r in self._remembered - set(present) if self.key(r) not in gone]
        # Marked used only when their mark is old (REFRESH_DAYS): marking rewrites the row.
        used = [
            key for key in (self.key(r) for r in self._kept if r not in fresh) if key in self._stale
        ]
        if new or gone or used:
            self._write(new, used, gone)

    def _read(self) -> dict[str, str]:
        if self.cache_dir is None:
            return {}
        prefix, stale = self._prefix, self._stale
        return reading(self.cache_dir, "kept readings", lambda c: c.get_prefixed(prefix, stale))

    def _write(self, new: dict[str, str], used: list[str], gone: list[str]) -> None:
        assert self.cache_dir is not None
        # Entries under another fingerprint (older code or settings) go: a code update must not
        # leave a copy of every article behind for weeks.
        only = (KEY_PREFIX, self._prefix)
        writing(
            self.cache_dir,
            "readings",
            lambda c: c.put_many(new.items(), used, drop=gone, only=only),
        )


def clear_memory() -> None:
    """Forget the outcomes kept in this process (tests; long-lived processes)."""
    _memory.clear()
