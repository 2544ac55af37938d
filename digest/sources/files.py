"""Readers: turn the files in content/ into Articles, and every other file into a Problem.

Two formats: plain text (headline, blank line, ``DATELINE — body``; the date from the file name)
and Markdown with YAML front matter. Nothing is dropped silently: each file either becomes an
Article or a Problem that names it and says why.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import time as clock
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone, tzinfo
from pathlib import Path
from typing import Any, Protocol

import yaml
from dateutil import parser as date_parser
from slugify import slugify

from digest.language import detect_language, detector_elsewhere, detector_loading, language_tag
from digest.model import MAX_SLUG_CHARS, Article, Problem
from digest.sources.blocks import template_problem
from digest.sources.cleanup import Boilerplate
from digest.sources.text import (
    DecodeError,
    clean,
    control_characters,
    decode,
    has_visible_text,
    markdown_to_text,
    paragraphs_of,
    split_dateline,
)
from digest.wording import counted, noun

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown"})
# Five times a long feature (~100 KB; 30,000-word investigations stay under 250 KB): anything
# bigger is a scraper's mistake (a whole page, many articles glued together). Refusing it with a
# message bounds the cost of one file: a 500 KB article takes about 6 s from reading to HTML.
MAX_ARTICLE_BYTES = 500_000
MAX_FRONT_MATTER_BYTES = 64_000
# Long enough for any real paragraph (news paragraphs run to ~1,500 characters); a scraped
# article on one line is cut into pieces of this size after sentence ends.
MAX_PARAGRAPH_CHARS = 3_000
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s")
# Characters escape_markdown turns into entities; prose has a few percent of them.
_MARKUP_CHARACTERS = "\\`*_{}[]()<>#|~!&\"'$=^+:@%"
_MAX_MARKUP_CHARACTERS = 2_000
_MARKUP = re.compile(f"[{re.escape(_MARKUP_CHARACTERS)}]")
# Longest text per front matter key: a headline is not an article.
_MAX_FIELD_CHARS = {"title": 500, "summary": 3_000, "url": 2_000}
# Dates outside these years are typos (0219, 20190) that would also break date arithmetic. The
# end stays before 2106-02-07, where a date no longer fits the 32-bit time stamp MkDocs writes
# into sitemap.xml.gz (a later date made the whole build fail with struct.error).
EARLIEST_YEAR, LATEST_YEAR = 1800, 2100
# Front matter keys whose value must be text: an unquoted `no` there is a YAML boolean.
_TEXT_KEYS = (
    "title",
    "source",
    "url",
    "author",
    "dateline",
    "summary",
    "slug",
    "description",
    "language",
    "story",
)
# libyaml recurses in C and crashes the whole process (SIGSEGV) on ~25,000 nested brackets,
# which fit in a front matter; front matter with more nesting characters than this goes to the
# pure-Python parser, which stops with RecursionError instead.
_LIBYAML_MAX_NESTING_MARKS = 2_000
# http(s), a host, and none of the characters a URL cannot hold unencoded (spaces, quotes, <>).
_WEB_ADDRESS = re.compile(
    r"https?://[^\s/?#\"'<>\\^`{|}]+(?:[/?#][^\s\"'<>\\^`{|}]*)?", re.IGNORECASE
)
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_KNOWN_KEYS = frozenset(
    {
        "title",
        "date",
        "source",
        "url",
        "author",
        "dateline",
        "topics",
        "summary",
        "draft",
        "slug",
        "tags",
        "description",
        "language",
        "story",
    }
)


class ArticleError(ValueError):
    """This file cannot become an article; the message says why."""


@dataclass(frozen=True)
class ReadResult:
    """What reading content/ gave: the articles, and the files that need the user's attention."""

    articles: tuple[Article, ...]
    problems: tuple[Problem, ...]
    # (path of a skipped exact copy, path of the article it copies): a syndicated story filed
    # twice is still one story (`digest stories` lists both files).
    copies: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileOutcome:
    """What reading one file gave on its own, before the checks across files: the article
    (furniture set apart) and its warnings, or the message saying why it is not an article.

    It leaves out what depends on the wall clock (the "lies in the future" warning), so it is
    the same every time the same file is read with the same settings: what a ReadMemo keeps.
    """

    article: Article | None
    warnings: tuple[str, ...] = ()
    error: str | None = None


# A file's identity and state as the file system reports it: (size, mtime_ns, ctime_ns, inode,
# device), then the same five of its sidecar if it has one. Editing a file changes its ctime
# even when the editor restores its size and mtime, so an unchanged stamp means unchanged bytes.
Stamp = tuple[int, ...]


@dataclass(frozen=True)
class KeptReading:
    """An outcome as a ReadMemo keeps it: the file's stamp when it was read, and whether the
    stamp had settled by then (see settled). An unsettled reading is used again only when the
    file's bytes still give the article's content hash, as git checks a "racily clean" file."""

    stamp: Stamp
    outcome: FileOutcome
    settled: bool = True


class ReadMemo(Protocol):
    """Outcomes kept from earlier builds (digest.store.read_cache), by relative path and stamp."""

    def recall(self, stamps: Mapping[str, Stamp]) -> Mapping[str, KeptReading]:
        """The kept readings of those files whose stamp is the one given."""
        ...

    def keep(self, fresh: Mapping[str, KeptReading], present: Collection[str]) -> None:
        """Remember the readings made (or checked) this time; forget files no longer present."""
        ...


# A file changed within this many nanoseconds before it was stamped may change again within
# the same time-stamp tick (coarse file systems: 1-2 s) without its stamp changing ("racily
# clean", as git calls it): its reading is kept as unsettled, and the next build compares the
# file's bytes with it before using it (a hash, not a parse: what `digest fetch && mkdocs build`
# or a generated folder would otherwise pay again for every new file).
_SETTLED_NS = 3_000_000_000


def stamp_of(path: Path, sidecar: Path | None) -> Stamp | None:
    """The stamp of an article file and its sidecar; None unless both are plain files.

    Links are never stamped: their target could change while the link itself does not.
    """
    stamp: list[int] = []
    for part in (path, sidecar):
        if part is None:
            continue
        try:
            info = part.lstat()
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        stamp += [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]
    return tuple(stamp)


def _content_hash(data: bytes, sidecar: bytes | None = None) -> str:
    """An article's content hash: its file's bytes, and its sidecar's when it has one."""
    return hashlib.sha256(data if sidecar is None else data + b"\0" + sidecar).hexdigest()


def settled(stamp: Stamp, now_ns: int) -> bool:
    """Whether every file in the stamp last changed long enough before now_ns to be kept."""
    times = [stamp[i] for i in range(len(stamp)) if i % 5 in (1, 2)]
    return all(t < now_ns - _SETTLED_NS for t in times)


class _Unreadable(ArticleError):
    """The file could not be read (permissions, links, a FIFO...): depends on more than its
    bytes and settings, so such an outcome is never kept between builds."""


def _timestamp_or_text(loader: Any, node: Any) -> Any:
    # An impossible date (2019-02-30) raises ValueError inside PyYAML; keep the text so the
    # date check can name the value.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (the "billion laughs" expansion)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                "while reading front matter", None, "YAML aliases are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


def _refuse_aliases(root: yaml.Node) -> None:
    """Raise if any node is reached twice: that is what an alias (or a cycle) composes to."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.MarkedYAMLError(
                "while reading front matter", None, "YAML aliases are not allowed", node.start_mark
            )
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)


if yaml.__with_libyaml__:

    class _FastNoAliasLoader(yaml.CSafeLoader):
        """The same rules through libyaml: a large digest reads its front matter 10x faster."""

        def get_single_data(self) -> Any:
            node = self.get_single_node()
            if node is None:
                return None
            _refuse_aliases(node)
            return self.construct_document(node)

    _FRONT_MATTER_LOADER: Any = _FastNoAliasLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _FRONT_MATTER_LOADER = _NoAliasLoader

for _loader in (_NoAliasLoader, _FRONT_MATTER_LOADER):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _load_yaml(
    raw: str, label: str, warnings: list[str] | None = None, line_offset: int = 1
) -> Any:
    """Compose, vet (no aliases, no boolean where text belongs), then construct.

    A key given twice is YAML that PyYAML reads as last-wins: said in warnings, with the line.
    """
    marks = sum(raw.count(c) for c in "[{-?")
    fast = marks <= _LIBYAML_MAX_NESTING_MARKS
    loader = (_FRONT_MATTER_LOADER if fast else _NoAliasLoader)(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_aliases(node)
        if isinstance(node, yaml.MappingNode):
            _refuse_boolean_text(node, label)
            if warnings is not None:
                warnings.extend(_duplicate_keys(node, label, line_offset))
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _Published:
    """The articles published so far, and the checks across files each new one goes through:
    the same title and text as an earlier file (a copy, left out), the same slug (a clash,
    left out), the same title (published, and said). Files are read in sorted order, so the
    same file always wins a clash."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.articles: list[Article] = []
        self.copies: list[tuple[str, str]] = []
        self._by_slug: dict[str, Article] = {}
        self._by_title: dict[str, Article] = {}
        self._by_text: dict[tuple[str, ...], Article] = {}

    def add(self, article: Article, relative: str) -> None:
        copy = self._by_text.get(article.paragraphs)
        if copy is not None and copy.title == article.title:
            self.problems.append(
                Problem(relative, f"duplicate of {copy.source_path} (same title and text)")
            )
            self.copies.append((relative, copy.source_path))
            return
        clash = self._by_slug.get(article.slug)
        if clash is not None:
            self.problems.append(
                Problem(
                    relative,
                    f"slug {article.slug!r} is already used by {clash.source_path}; "
                    "rename the file or set a different 'slug' in its front matter",
                )
            )
            return
        namesake = self._by_title.get(article.title.casefold())
        if namesake is not None:
            self.problems.append(
                Problem(
                    relative,
                    f"same title as {namesake.source_path}; both are published, "
                    "readers will see two stories with one headline",
                    "warning",
                )
            )
        self._by_slug[article.slug] = article
        self._by_title.setdefault(article.title.casefold(), article)
        self._by_text.setdefault(article.paragraphs, article)
        self.articles.append(article)


class Ahead(Protocol):
    """Results worked out elsewhere ahead of the asking (digest.analysis.parallel.Lookahead):
    take(key) gives a key's, or None for the caller to work it out itself."""

    def take(self, key: str) -> Any | None: ...

    def close(self) -> None: ...


# How a reader spreads its files over the machine's cores: given the function reading one
# file (by its path in the content folder) and those paths in the order it will ask for them.
Spread = Callable[[Callable[[str], Any], list[str]], Ahead]


class ContentReader:
    """Reads a content folder into Articles; stateless apart from its settings."""

    def __init__(
        self,
        content_dir: Path,
        tz: tzinfo = timezone.utc,
        include_drafts: bool = False,
        now: datetime | None = None,
        boilerplate: Boilerplate | None = None,
        memo: ReadMemo | None = None,
        spread: Spread | None = None,
    ) -> None:
        self.content_dir = content_dir
        self.tz = tz
        self.include_drafts = include_drafts
        # "Now" for the future-date check; SOURCE_DATE_EPOCH-aware callers pass it in.
        self.now = now
        self._content_root = content_dir.resolve()
        self.boilerplate = boilerplate or Boilerplate()
        # Outcomes kept from earlier builds; None reads every file every time.
        self.memo = memo
        # None: every file is read in this process.
        self.spread = spread
        self._folder = _SafeFolder(content_dir)
        self._parser = _ArticleParser(tz)

    def read_all(self) -> ReadResult:
        paths, problems_in_walk = self._folder.walk()
        problems = list(problems_in_walk)
        slots = self._slots(paths)
        outcomes = self._outcomes([s for s in slots if not isinstance(s, Problem)])
        published = _Published(problems)
        for slot in slots:
            if isinstance(slot, Problem):
                problems.append(slot)
                continue
            relative = slot[1]
            outcome = outcomes[relative]
            if outcome.article is None:
                problems.append(Problem(relative, outcome.error or "not an article"))
                continue
            article = outcome.article
            # The clock moves between builds: never part of what is kept.
            warnings = [*outcome.warnings, *self._future_warning(article.date)]
            problems.extend(Problem(relative, w, "warning") for w in warnings)
            note = path_slug_note(relative, article.slug)
            if note is not None:  # published as it is; said, so nothing is renamed silently
                problems.append(Problem(relative, note, "note"))
            if article.draft and not self.include_drafts:
                problems.append(Problem(relative, "draft: not published", "excluded"))
                continue
            published.add(article, relative)
        return ReadResult(tuple(published.articles), tuple(problems), tuple(published.copies))

    def _slots(self, paths: list[Path]) -> list[Problem | tuple[Path, str, Path | None]]:
        """Each file is either a problem found from its name alone, or an article file to read
        (its path, its path in the content folder, and its sidecar)."""
        slots: list[Problem | tuple[Path, str, Path | None]] = []
        sidecars = _sidecars(paths)
        sidecar_files = set(sidecars.values())  # a set: thousands of articles, each checked
        for path in paths:
            relative = _utf8_name(path.relative_to(self.content_dir).as_posix())
            if path in sidecar_files:
                continue  # read with its article
            if _printable(relative) != relative:
                # It would end up in logs, feeds and the cache, where it breaks or misleads.
                slots.append(
                    Problem(
                        _printable(relative),
                        "the file name is not valid UTF-8 or holds control characters; rename it",
                    )
                )
            elif _kind_of(path) is None or path.name.startswith("."):
                # Hidden files are left out as the report says, `.draft.md` included.
                slots.append(_not_an_article(path, relative))
            else:
                slots.append((path, relative, sidecars.get(path)))
        return slots

    def _outcomes(self, files: list[tuple[Path, str, Path | None]]) -> dict[str, FileOutcome]:
        """Each file's outcome: kept by the memo when its stamp is unchanged, else read now."""
        started = clock.time_ns()
        stamps: dict[str, Stamp] = {}
        if self.memo is not None:
            for path, relative, sidecar in files:
                stamp = stamp_of(path, sidecar)
                if stamp is not None:
                    stamps[relative] = stamp
        held = dict(self.memo.recall(stamps)) if stamps and self.memo is not None else {}
        outcomes: dict[str, FileOutcome] = {}
        fresh: dict[str, KeptReading] = {}
        unread = []
        for path, relative, sidecar in files:
            kept = held.get(relative)
            if kept is not None and (kept.settled or self._same_bytes(path, sidecar, kept)):
                outcomes[relative] = kept.outcome
                if not kept.settled and settled(kept.stamp, started):
                    fresh[relative] = KeptReading(kept.stamp, kept.outcome)
            else:
                unread.append((path, relative, sidecar))
        ahead = self._read_ahead(unread)  # its workers forked before the detector's thread
        try:
            with detector_loading(len(unread)):
                for path, relative, sidecar in unread:
                    found = ahead.take(relative) if ahead is not None else None
                    outcome, keepable = found or self.read_outcome(path, relative, sidecar)
                    outcomes[relative] = outcome
                    stamp = stamps.get(relative)
                    if keepable and stamp is not None:
                        reading = KeptReading(stamp, outcome, settled(stamp, started))
                        # An unsettled reading can only be checked by its article's hash.
                        if reading.settled or outcome.article is not None:
                            fresh[relative] = reading
        finally:
            if ahead is not None:
                ahead.close()
        if self.memo is not None:
            fresh = {relative: fresh[relative] for _, relative, _ in files if relative in fresh}
            self.memo.keep(fresh, [relative for _, relative, _ in files])
        return outcomes

    def _read_ahead(self, unread: list[tuple[Path, str, Path | None]]) -> Ahead | None:
        """The files read in worker processes ahead of this one asking (see Spread), each as
        read_outcome reads it here; a file that needs the language detector's model (loaded
        here meanwhile) is left to this process."""
        if self.spread is None or not unread:
            return None
        where = {relative: (path, relative, sidecar) for path, relative, sidecar in unread}

        def read(relative: str) -> tuple[FileOutcome, bool]:
            with detector_elsewhere():
                return self.read_outcome(*where[relative])

        return self.spread(read, list(where))

    def _same_bytes(self, path: Path, sidecar: Path | None, kept: KeptReading) -> bool:
        """Whether the file (and sidecar) still hold the bytes the kept article was read from."""
        article = kept.outcome.article
        if article is None:
            return False
        try:
            data = self._folder.read_bytes(path, MAX_ARTICLE_BYTES)
            extra = None
            if sidecar is not None and _kind_of(path) != "markdown":
                extra = self._folder.read_bytes(sidecar, MAX_FRONT_MATTER_BYTES, sidecar.name)
        except ArticleError:
            return False
        return _content_hash(data, extra) == article.content_hash

    def read_outcome(
        self, path: Path, relative: str, sidecar: Path | None = None
    ) -> tuple[FileOutcome, bool]:
        """One file read as read_all reads it (furniture set apart, no clock-based warning),
        and whether the outcome depends only on the bytes and settings (so may be kept)."""
        try:
            article, warnings = self._parse_file(path, relative, sidecar)
        except _Unreadable as error:
            return FileOutcome(None, (), str(error)), False
        except ArticleError as error:
            return FileOutcome(None, (), str(error)), True
        article = self._set_apart_furniture(article, warnings)
        return FileOutcome(article, tuple(warnings)), True

    def _future_warning(self, published: datetime) -> list[str]:
        if self.now is not None and published > self.now:
            return [f"date {published.date().isoformat()} lies in the future"]
        return []

    def _set_apart_furniture(self, article: Article, warnings: list[str]) -> Article:
        """The article with captions, sign-up lines and the like set apart from its text."""
        paragraphs, aside = self.boilerplate.clean(article.title, article.paragraphs)
        if not aside:
            return article
        if not paragraphs:
            warnings.append(
                "every paragraph looks like page furniture (captions, credits, sign-up lines); "
                "summarized as it is"
            )
            return article
        return replace(article, paragraphs=paragraphs, set_apart=aside)

    def read_file(
        self, path: Path, relative: str, sidecar: Path | None = None
    ) -> tuple[Article, list[str]]:
        """Read one article file; raise ArticleError when it cannot be one.

        A plain-text article may have a sidecar `NAME.yml` beside it holding the same keys as
        Markdown front matter (source, url, author, topics, ...), so the text stays as written.
        """
        article, warnings = self._parse_file(path, relative, sidecar)
        return article, warnings + self._future_warning(article.date)

    def _parse_file(
        self, path: Path, relative: str, sidecar: Path | None = None
    ) -> tuple[Article, list[str]]:
        """read_file without the warnings that depend on the clock."""
        if _kind_of(path) is None:
            # read_all never asks; a caller handed one file (`digest topics explain`) may.
            suffix = path.suffix.lower() or "(no extension)"
            sidecar_of = [path.with_suffix(s) for s in sorted(TEXT_SUFFIXES)]
            hint = next(
                (
                    f"; it holds the metadata of {t.name}, pass that"
                    for t in sidecar_of
                    if t.is_file()
                ),
                "",
            )
            raise ArticleError(f"not an article ({suffix}); articles are .txt or .md files{hint}")
        data = self._folder.read_bytes(path, MAX_ARTICLE_BYTES)
        try:
            decoded = decode(data)
        except DecodeError as error:
            raise ArticleError(str(error)) from None
        text = clean(decoded)
        if not text.strip():
            raise ArticleError("empty file" if not data else "empty file (only whitespace)")
        notes = []
        removed = control_characters(decoded)
        if removed:
            notes.append(
                f"removed {counted(removed, 'control or bidi character')} (NUL, escape, "
                "right-to-left override...) that are not text"
            )
        content_hash = _content_hash(data)
        if _kind_of(path) == "markdown":
            article, warnings = self._parser.read_markdown(path, relative, text, content_hash)
            return _with_language(_checked_body(article)), notes + warnings
        meta: Mapping[str, Any] = {}
        if sidecar is not None:
            sidecar_bytes = self._folder.read_bytes(sidecar, MAX_FRONT_MATTER_BYTES, sidecar.name)
            content_hash = _content_hash(data, sidecar_bytes)
            try:
                sidecar_text = clean(decode(sidecar_bytes))
            except DecodeError as error:
                raise ArticleError(f"{sidecar.name}: {error}") from None
            meta = self._parser.parse_yaml(sidecar_text, f"{sidecar.name}: ", warnings=notes)
        article, warnings = self._parser.read_plain(path, relative, text, content_hash, meta)
        return _with_language(_checked_body(article)), notes + warnings


class _SafeFolder:
    """Safe access to the content folder: the walk (hidden and linked folders reported, not
    read) and reading one file without ever leaving the folder."""

    def __init__(self, content_dir: Path) -> None:
        self.content_dir = content_dir
        self._content_root = content_dir.resolve()

    def walk(self) -> tuple[list[Path], list[Problem]]:
        """Every file under content/, sorted; hidden and linked folders are reported, not read."""
        paths: list[Path] = []
        problems: list[Problem] = []
        if not self.content_dir.is_dir():
            return paths, problems

        def unreadable(error: OSError) -> None:
            # os.walk skips a folder it cannot list without a word unless told: say so.
            where = Path(error.filename or self.content_dir)
            try:
                relative = where.relative_to(self.content_dir).as_posix()
            except ValueError:
                relative = where.as_posix()
            label = "./" if relative == "." else _printable(relative + "/")
            problems.append(
                Problem(
                    label,
                    f"folder cannot be read ({error.strerror or error}); "
                    "none of its files are in the digest",
                )
            )

        for dirpath, dirnames, filenames in os.walk(self.content_dir, onerror=unreadable):
            here = Path(dirpath)
            kept = []
            for name in sorted(dirnames):
                relative = _printable(
                    _utf8_name((here / name).relative_to(self.content_dir).as_posix() + "/")
                )
                if name.startswith("."):
                    problems.append(Problem(relative, "hidden folder; not read", "excluded"))
                elif (here / name).is_symlink():
                    # os.walk does not follow it either; following could loop, or read any
                    # folder on the machine.
                    problems.append(Problem(relative, "symbolic link to a folder; not followed"))
                else:
                    kept.append(name)
            dirnames[:] = kept
            paths.extend(here / name for name in sorted(filenames))
        return paths, problems

    def read_bytes(self, path: Path, limit: int, label: str = "file") -> bytes:
        """The bytes of a regular file inside content/ no bigger than `limit`; else ArticleError.

        What is checked is what is read: the file is opened without following a link, and the
        file actually opened is checked again, so a link swapped in between the check and the
        read (for the file or a folder on its way) never leads outside content/.
        """
        try:
            info = path.lstat()
            resolved = path
            # The walk follows no linked folder, so only the file itself can lead outside.
            if stat.S_ISLNK(info.st_mode):
                resolved = path.resolve()
                info = resolved.stat()
        except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
            reason = getattr(error, "strerror", None) or str(error)
            raise _Unreadable(f"{label}: cannot read: {reason}") from None
        if resolved is not path:
            self._check_link_target(resolved, label)
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or a device would block the build or never end.
            raise _Unreadable(f"{label}: not a regular file")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            descriptor = os.open(resolved, flags | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _Unreadable(
                    f"{label}: became a symbolic link while the build read it; not followed"
                ) from None
            raise _Unreadable(f"{label}: cannot read: {error.strerror}") from None
        with os.fdopen(descriptor, "rb") as handle:
            opened = os.fstat(descriptor)
            if not stat.S_ISREG(opened.st_mode):
                raise _Unreadable(f"{label}: not a regular file")
            real = _opened_path(descriptor)
            if real is not None and not self._readable_place(real):
                raise _Unreadable(
                    f"{label}: a folder on its way became a link outside the content folder "
                    "(or into a hidden one) while the build read it; not followed"
                )
            if real is None and (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                raise _Unreadable(f"{label}: was replaced while the build read it; not read")
            if opened.st_size > limit:
                raise ArticleError(
                    f"{label} is {opened.st_size:,} bytes; the limit is {limit:,} bytes "
                    "(a scraping mistake? split or trim it)"
                )
            try:
                return handle.read(limit + 1)[:limit]
            except OSError as error:
                raise _Unreadable(f"{label}: cannot read: {error.strerror}") from None

    def _check_link_target(self, resolved: Path, label: str) -> None:
        """A link may lead to another file in content/, not outside it nor where the walk
        does not go (hidden files and folders are left out on purpose)."""
        if not resolved.is_relative_to(self._content_root):
            raise _Unreadable(
                f"{label}: symbolic link points outside the content folder; not followed"
            )
        if not self._readable_place(resolved):
            raise _Unreadable(
                f"{label}: symbolic link points into a hidden file or folder, which are not "
                "read; not followed"
            )

    def _readable_place(self, real: Path) -> bool:
        """Whether a real path is one the walk reads: in content/, not in a hidden folder."""
        if not real.is_relative_to(self._content_root):
            return False
        return not any(p.startswith(".") for p in real.relative_to(self._content_root).parts)


class _ArticleParser:
    """The two article formats (plain text with an optional sidecar, Markdown with front
    matter), their YAML and their dates."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def read_plain(
        self,
        path: Path,
        relative: str,
        text: str,
        content_hash: str,
        meta: Mapping[str, Any] | None = None,
    ) -> tuple[Article, list[str]]:
        warnings: list[str] = []
        meta = meta or {}
        lines = text.strip().split("\n")
        title = _optional_text(meta, "title") or " ".join(lines[0].split())
        _check_visible_title(title)
        if len(title) > _MAX_FIELD_CHARS["title"]:
            raise ArticleError(
                f"the headline (first line) is {len(title):,} characters long; the limit is "
                f"{_MAX_FIELD_CHARS['title']:,} (is the body on the first line?)"
            )
        body = "\n".join(lines[1:])
        paragraphs = paragraphs_of(body)
        if not paragraphs:
            raise ArticleError("no body text after the headline (first line)")
        template = template_problem(paragraphs)
        if template is not None:
            warnings.append(f"the body looks like a page that was never filled in: {template}")
        dateline, paragraphs[0] = split_dateline(paragraphs[0])
        paragraphs = [p for p in paragraphs if p]
        published = self._parse_date(meta["date"]) if meta.get("date") else None
        published = published or self._date_from_name(path)
        if published is None:
            published = self._date_from_mtime(path)
            warnings.append(
                "no date in the file name (name it like story-YYYY-MM-DD.txt); "
                "using the file's modification time"
            )
        self._check_date(published)
        article = Article(
            source_path=relative,
            slug=_slug_from_path(relative),
            title=title,
            date=published,
            paragraphs=tuple(paragraphs),
            dateline=_optional_text(meta, "dateline") or dateline,
            source=_optional_text(meta, "source"),
            url=_checked_url(meta, warnings),
            author=_author(meta),
            forced_topics=_text_list(meta, "topics"),
            editor_summary=_optional_text(meta, "summary"),
            draft=_draft(meta),
            content_hash=content_hash,
            language=_language(meta, warnings),
            story=_story_id(meta),
        )
        return article, warnings

    def read_markdown(
        self, path: Path, relative: str, text: str, content_hash: str
    ) -> tuple[Article, list[str]]:
        warnings: list[str] = []
        meta, body = self._front_matter(text, warnings)
        unknown = sorted(str(k) for k in meta if k not in _KNOWN_KEYS)
        if unknown:
            keys = noun(len(unknown), "key")
            warnings.append(f"unknown front matter {keys} ignored: {', '.join(unknown)}")
        if "title" not in meta:
            raise ArticleError("front matter has no 'title'")
        title = _optional_text(meta, "title")
        if title is None:
            raise ArticleError("'title' in the front matter is empty")
        _check_visible_title(title)
        published = self._parse_date(meta.get("date")) if "date" in meta else None
        if published is None:
            published = self._date_from_name(path)
        if published is None:
            raise ArticleError("no 'date' in front matter (use YYYY-MM-DD or an ISO date and time)")
        self._check_date(published)
        paragraphs = paragraphs_of(markdown_to_text(body))
        dateline = _optional_text(meta, "dateline")
        if paragraphs and dateline is None:
            dateline, paragraphs[0] = split_dateline(paragraphs[0])
            paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            raise ArticleError("no body text after the front matter")
        template = template_problem(paragraphs)
        if template is not None:
            warnings.append(f"the body looks like a page that was never filled in: {template}")
        slug_value = _optional_text(meta, "slug")
        slug = slugify(slug_value) if slug_value else _slug_from_path(relative)
        if not slug:
            raise ArticleError(f"'slug' {slug_value!r} has no usable characters")
        if slug_value and _PATH_LIKE.search(slug_value):
            # A slug names one page, never a place: "../../x" is not honoured as a path.
            warnings.append(
                f"'slug' {slug_value!r} is a path, not a page name; the page is named {slug!r}"
            )
        if len(slug) > MAX_SLUG_CHARS:
            long_slug = slug
            slug = slugify(long_slug, max_length=MAX_SLUG_CHARS, word_boundary=True)
            warnings.append(
                f"'slug' is {len(long_slug):,} characters long; cut to {slug!r} "
                f"(the limit is {MAX_SLUG_CHARS})"
            )
        url = _checked_url(meta, warnings)
        draft = _draft(meta)
        article = Article(
            source_path=relative,
            slug=slug,
            title=title,
            date=published,
            paragraphs=tuple(paragraphs),
            dateline=dateline,
            source=_optional_text(meta, "source"),
            url=url,
            author=_author(meta),
            forced_topics=_text_list(meta, "topics"),
            editor_summary=_optional_text(meta, "summary"),
            draft=draft,
            content_hash=content_hash,
            language=_language(meta, warnings),
            story=_story_id(meta),
        )
        return article, warnings

    def _front_matter(
        self, text: str, warnings: list[str] | None = None
    ) -> tuple[Mapping[str, Any], str]:
        match = _FRONT_MATTER.match(text)
        if not match:
            if text.startswith("---"):
                raise ArticleError("front matter starts with '---' but never ends with '---'")
            raise ArticleError("Markdown article without YAML front matter (needs at least title)")
        meta = self.parse_yaml(match.group(1) or "", "", line_offset=2, warnings=warnings)
        return meta, text[match.end() :]

    def parse_yaml(
        self, raw: str, label: str, line_offset: int = 1, warnings: list[str] | None = None
    ) -> Mapping[str, Any]:
        if len(raw.encode()) > MAX_FRONT_MATTER_BYTES:
            raise ArticleError(
                f"{label}front matter is larger than {MAX_FRONT_MATTER_BYTES:,} bytes"
            )
        try:
            meta = _load_yaml(raw, label, warnings, line_offset)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            where = f" (line {mark.line + line_offset})" if mark is not None else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise ArticleError(f"{label}broken YAML front matter{where}: {problem}") from None
        except RecursionError:
            raise ArticleError(f"{label}front matter is nested too deeply") from None
        except (ValueError, TypeError, OverflowError) as error:
            if isinstance(error, ArticleError):
                raise
            raise ArticleError(f"{label}unreadable front matter: {error}") from None
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise ArticleError(f"{label}front matter must be a mapping of keys to values")
        return meta

    def _parse_date(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime.combine(value, time())
        elif isinstance(value, str) and value.strip():
            try:
                parsed = date_parser.isoparse(value.strip())
            except (ValueError, OverflowError):
                raise ArticleError(
                    f"'date' {value!r} is not a date (use YYYY-MM-DD or an ISO date and time)"
                ) from None
        else:
            raise ArticleError(f"'date' {value!r} is not a date (use YYYY-MM-DD)")
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            raise ArticleError(
                f"'date' {value!s} is not a plausible publication date "
                f"(years {EARLIEST_YEAR} to {LATEST_YEAR})"
            )
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.tz)
        return parsed

    def _date_from_name(self, path: Path) -> datetime | None:
        match = _DATE_IN_NAME.search(path.stem)
        if not match:
            return None
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
        return datetime.combine(day, time(), tzinfo=self.tz)

    def _date_from_mtime(self, path: Path) -> datetime:
        try:
            return datetime.fromtimestamp(int(path.stat().st_mtime), tz=self.tz)
        except (OverflowError, ValueError, OSError) as error:
            # A modification time past the year 9999 (or a file gone meanwhile).
            raise ArticleError(f"no usable date: the file's modification time: {error}") from None

    def _check_date(self, published: datetime) -> None:
        # Dates from the file name or the modification time are checked here too; whether
        # the date lies in the future is the caller's (it depends on the clock).
        if not EARLIEST_YEAR <= published.year <= LATEST_YEAR:
            raise ArticleError(
                f"date {published.date().isoformat()} is not a plausible publication date "
                f"(years {EARLIEST_YEAR} to {LATEST_YEAR})"
            )


def _opened_path(descriptor: int) -> Path | None:
    """Where an open file really is (Linux's /proc), or None where that cannot be known."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{descriptor}"))
    except OSError:
        return None


def _utf8_name(name: str) -> str:
    """A file name as UTF-8 text, whatever the locale: under LC_ALL=C with PYTHONUTF8=0 Python
    decodes names as ASCII, and `café.md` would look undecodable. Bytes that are not UTF-8
    stay escaped (surrogates), for _printable to find."""
    return os.fsencode(name).decode("utf-8", "surrogateescape")


def _printable(name: str) -> str:
    """A file name safe to print: undecodable bytes and control characters as escapes."""
    raw = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), raw)


def _duplicate_keys(node: yaml.MappingNode, label: str, line_offset: int) -> list[str]:
    seen: set[str] = set()
    found = []
    for key_node, _value in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        if key_node.value in seen:
            found.append(
                f"{label}front matter key '{key_node.value}' is given more than once "
                f"(again on line {key_node.start_mark.line + line_offset}); the last one is used"
            )
        seen.add(key_node.value)
    return found


def _refuse_boolean_text(node: yaml.MappingNode, label: str) -> None:
    """`title: no` is the boolean false in YAML; say so, with the fix, before it is lost."""
    for key_node, value_node in node.value:
        if (
            isinstance(key_node, yaml.ScalarNode)
            and key_node.value in _TEXT_KEYS
            and value_node.tag == "tag:yaml.org,2002:bool"
        ):
            key, word = key_node.value, value_node.value
            raise ArticleError(
                f"{label}'{key}: {word}' reads as a true/false value in YAML, not text; "
                f'quote it: {key}: "{word}"'
            )


def _check_visible_title(title: str) -> None:
    """A headline of zero-width spaces, soft hyphens, direction or combining marks, or
    blank-looking letters (U+3164, U+2800) would be an empty link and an empty feed title."""
    if not has_visible_text(title):
        shown = title.encode("unicode_escape").decode("ascii")
        raise ArticleError(
            f"the title has no visible characters ('{shown}': only invisible or "
            "blank-looking ones); give the article a headline"
        )


def _checked_body(article: Article) -> Article:
    """An article must be prose: words, not only symbols, and not mostly Markdown punctuation.

    Every Markdown or HTML character in article text becomes an entity on the pages, and
    Python-Markdown's inline pass costs time quadratic in the entities of one paragraph: 16,000
    `[` in a row take a second, 500,000 take hours. So long paragraphs are split at sentence
    ends, and text made mostly of such characters is refused.
    """
    if not any(has_visible_text(p, words=True) for p in article.paragraphs):
        raise ArticleError("the body has no words (only punctuation or symbols)")
    text = "".join(article.paragraphs)
    # Counting is skipped where it cannot find too many (most articles; a cached article is
    # checked again on every build).
    marks = len(_MARKUP.findall(text)) if len(text) > _MAX_MARKUP_CHARACTERS else 0
    visible = len(text) - text.count(" ")
    if marks > _MAX_MARKUP_CHARACTERS and marks * 4 > visible:
        raise ArticleError(
            f"the body is mostly markup characters ({marks:,} of {visible:,} are "
            "[ ] < > * _ ` and the like), not prose"
        )
    if all(len(p) <= MAX_PARAGRAPH_CHARS for p in article.paragraphs):
        return article
    paragraphs = tuple(piece for p in article.paragraphs for piece in _split_paragraph(p))
    return replace(article, paragraphs=paragraphs)


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CONTENT_HASH = re.compile(r"[0-9a-f]{64}")


def vet_article(article: Article, relative: str) -> None:
    """Raise ArticleError unless the article is one this reader could have made of the file
    at `relative`: for articles that come from elsewhere (a cache another program could have
    written), so they cannot reach outside the site (a slug is a folder name), link anywhere
    but the web, or carry text the reader would have refused or split."""
    if article.source_path != relative:
        raise ArticleError("read from another file")
    if len(article.slug) > MAX_SLUG_CHARS or not _SLUG.fullmatch(article.slug):
        raise ArticleError(f"slug {article.slug!r} is not one the reader makes")
    if article.story is not None and not (
        len(article.story) <= MAX_SLUG_CHARS and _SLUG.fullmatch(article.story)
    ):
        raise ArticleError(f"story {article.story!r} is not one the reader makes")
    if not _CONTENT_HASH.fullmatch(article.content_hash):
        raise ArticleError("no content hash")
    if not has_visible_text(article.title) or len(article.title) > _MAX_FIELD_CHARS["title"]:
        raise ArticleError("title is empty or too long")
    for key in ("summary", "url", "source", "author", "dateline"):
        value = getattr(article, "editor_summary" if key == "summary" else key)
        if value is not None and not 0 < len(value) <= _MAX_FIELD_CHARS.get(key, 500):
            raise ArticleError(f"'{key}' is empty or too long")
    if article.url is not None and not _WEB_ADDRESS.fullmatch(article.url):
        raise ArticleError("'url' is not an http(s) address")
    if article.date.tzinfo is None or not EARLIEST_YEAR <= article.date.year <= LATEST_YEAR:
        raise ArticleError("not a plausible date")
    if not article.paragraphs or not all(
        0 < len(p) <= MAX_PARAGRAPH_CHARS for p in article.paragraphs
    ):
        raise ArticleError("paragraphs are missing, empty or too long")
    if _checked_body(article) is not article:
        raise ArticleError("paragraphs the reader would have split")
    if not all(0 <= piece.paragraph <= len(article.paragraphs) for piece in article.set_apart):
        raise ArticleError("furniture set apart beside no paragraph")


def _split_paragraph(paragraph: str) -> list[str]:
    """Pieces of at most MAX_PARAGRAPH_CHARS, cut after a sentence end, else at a space."""
    pieces = []
    while len(paragraph) > MAX_PARAGRAPH_CHARS:
        window = paragraph[: MAX_PARAGRAPH_CHARS + 1]
        ends = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = ends[-1] if ends else window.rfind(" ")
        if cut <= 0:
            cut = MAX_PARAGRAPH_CHARS
        pieces.append(paragraph[:cut].strip())
        paragraph = paragraph[cut:].strip()
    pieces.append(paragraph)
    return [piece for piece in pieces if piece]


def _sidecars(paths: list[Path]) -> dict[Path, Path]:
    """Plain-text articles with a metadata file of the same name: {article: sidecar}."""
    present = set(paths)
    found = {}
    for path in paths:
        if _kind_of(path) != "text":
            continue
        for suffix in (".yml", ".yaml"):
            candidate = path.with_suffix(suffix)
            if candidate in present:
                found[path] = candidate
                break
    return found


def _checked_url(meta: Mapping[str, Any], warnings: list[str]) -> str | None:
    url = _optional_text(meta, "url")
    if url is not None and not _WEB_ADDRESS.fullmatch(url):
        warnings.append(f"'url' {url!r} is not a valid http(s) address; not linked")
        return None
    return url


def _draft(meta: Mapping[str, Any]) -> bool:
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        raise ArticleError(f"'draft' must be true or false, got {draft!r}")
    return draft


def article_bytes(content_dir: Path, enough: int) -> int:
    """The size of the article files under content_dir (the text and Markdown kinds the reader
    reads; hidden files, hidden and linked folders left out, as the reader leaves them),
    counted until `enough` bytes are reached.

    Only sizes are read (one stat per file), so a large archive costs a walk of its folders."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(content_dir):
        here = Path(dirpath)
        dirnames[:] = sorted(
            n for n in dirnames if not n.startswith(".") and not (here / n).is_symlink()
        )
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or _kind_of(path) is None:
                continue
            try:
                total += path.lstat().st_size
            except OSError:  # gone, or unreadable: the reader reports it
                continue
            if total >= enough:
                return total
    return total


def _kind_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    return None


def _not_an_article(path: Path, relative: str) -> Problem:
    name = path.name
    if name.startswith("."):
        return Problem(relative, "hidden file; not an article", "excluded")
    if name.endswith(("~", ".bak", ".swp", ".tmp", ".orig")) or name.startswith("#"):
        return Problem(relative, "editor backup file; not an article", "excluded")
    suffix = path.suffix.lower() or "(no extension)"
    return Problem(
        relative, f"not an article ({suffix}); articles are .txt or .md files", "skipped"
    )


# What makes a front matter slug a path: a folder separator or a parent reference.
_PATH_LIKE = re.compile(r"[/\\]|(^|[/\\])\.\.($|[/\\])")


def path_slug_note(relative: str, slug: str) -> str | None:
    """A note for a page named after a path too long or deep for a folder name (its slug is
    the file's name, cut, and a hash); None when the path gave the name as it is."""
    # Cheap first (it runs for every article): a shortened name ends in the path's hash.
    if not slug.endswith("-" + _path_tag(relative)) or slug != _slug_from_path(relative):
        return None
    stem = relative.rsplit(".", 1)[0]
    full = slugify(stem.replace("/", "-")) or "article"
    depth = relative.count("/")
    where = f"{depth} folders deep" if depth > 10 else "named at length"
    return (
        f"the file is {where}: its path gives a page name of {len(full):,} characters "
        f"(the limit is {MAX_SLUG_CHARS}); the page is named {slug!r}"
    )


def _slug_from_path(relative: str) -> str:
    stem = relative.rsplit(".", 1)[0]
    slug = slugify(stem.replace("/", "-")) or "article"
    if len(slug) <= MAX_SLUG_CHARS:
        return slug
    # A deep folder or a long name: the file's own name, cut, and a hash of the whole path, so
    # two such files never share a slug and the same file always gets the same one.
    tag = _path_tag(relative)
    name = slugify(stem.rsplit("/", 1)[-1], max_length=MAX_SLUG_CHARS - 9, word_boundary=True)
    return f"{name or 'article'}-{tag}"


def _path_tag(relative: str) -> str:
    return hashlib.sha256(relative.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def _optional_text(meta: Mapping[str, Any], key: str) -> str | None:
    if key not in meta or meta[key] is None:
        return None
    value = meta[key]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ArticleError(
            f"'{key}' must be text, got {value!r} (quote it in YAML: {key}: \"{value}\")"
        )
    text = " ".join(clean(str(value)).split())
    limit = _MAX_FIELD_CHARS.get(key, 500)
    if len(text) > limit:
        raise ArticleError(f"'{key}' is {len(text):,} characters long; the limit is {limit:,}")
    return text or None


def _text_list(meta: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ArticleError(f"'{key}' must be a list of names")
    return tuple(v.strip() for v in value if v.strip())


def _story_id(meta: Mapping[str, Any]) -> str | None:
    """`story:` as a story id: the slug of one of the story's articles (as `digest stories`
    shows it), made a slug again so `Iran Tanker` and `iran-tanker` are one story."""
    value = _optional_text(meta, "story")
    if value is None:
        return None
    story = slugify(value, max_length=MAX_SLUG_CHARS)
    if not story:
        raise ArticleError(f"'story' {value!r} has no usable characters (use a story id)")
    return story


def _author(meta: Mapping[str, Any]) -> str | None:
    value = meta.get("author")
    if isinstance(value, list):
        return ", ".join(_text_list(meta, "author")) or None
    return _optional_text(meta, "author")


def _language(meta: Mapping[str, Any], warnings: list[str]) -> str:
    """The front matter's `language` as an ISO 639 code; "" when absent or not a language tag
    (then it is detected from the text)."""
    value = _optional_text(meta, "language")
    if value is None:
        return ""
    code = language_tag(value)
    if code is None:
        warnings.append(
            f"'language' {value!r} is not a language tag (like fa, es or pt-BR); "
            "the language is detected from the text instead"
        )
        return ""
    return code


def _with_language(article: Article) -> Article:
    """The article with its language: the front matter's, else detected from its text ("" when
    the text cannot tell: the pipeline then gives it the site's)."""
    if article.language:
        return article
    detected = detect_language((article.title, *article.paragraphs))
    return replace(article, language=detected) if detected else article
