"""Converted pages, kept between builds: MkDocs has no incremental build of its own.

Turning a generated page's Markdown into HTML is the largest part of what MkDocs spends on it.
The HTML only depends on the page's Markdown, where the page lives, where the pages it links to
live, and the Markdown setup (extensions, their settings, the versions of the code). An entry's
key is a hash of all of these, so a hit is the HTML a fresh conversion would give; the site
builder (the MkDocs plugin) hands it over instead of converting again.

The entries live in the summary cache's SQLite file under their own keys (same checksums),
plus memory for ``mkdocs serve``. Listing pages change with every new article, so entries no
build has used since yesterday are dropped rather than kept for weeks like summaries.

Cached HTML goes into pages, so it is checked before use, never trusted: every tag must be one
an article page is made of, every attribute plain (no ``style``, no event handlers), every link
``http``, ``https``, ``mailto`` or relative, and no comment, CDATA or stray ``<``. Nor may it
hold what the theme or a script reads as settings or hooks: an id in the theme's ``__`` names
(Material reads its configuration from the first ``id="__config"``), a ``data-md-*`` attribute
or an ``md-`` class. An entry that fails is converted afresh. A planted cache file can at worst
show wrong text, as a planted summary could, never run a script or steer the theme.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.store.cache import SummaryCache, reading, writing

log = logging.getLogger(__name__)

KEY_PREFIX = "page:"

# What article pages are made of: the packaged templates' tags, Python-Markdown's and its
# common extensions' output. A page with anything else is simply not served from the cache.
_TAGS = frozenset(
    [
        "a",
        "abbr",
        "article",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "nav",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "section",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    ]
)
_ATTRIBUTES = frozenset(
    [
        "alt",
        "class",
        "colspan",
        "datetime",
        "dir",
        "height",
        "hidden",
        "href",
        "id",
        "lang",
        "loading",
        "open",
        "rel",
        "reversed",
        "rowspan",
        "scope",
        "src",
        "start",
        "target",
        "title",
        "type",
        "width",
    ]
)
_URL_ATTRIBUTES = frozenset({"href", "src"})
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# HTML's own whitespace: Python's \s also takes \xa0 and others, which a browser reads as part
# of an unquoted value (`alt=\xa0"x onerror=..."` would hide a live handler from the check).
_WS = "[\t\n\f\r ]"
# A whole tag, attribute values quoted and free of < > (Python-Markdown escapes them).
_TAG = re.compile(
    f"<(/?)([a-zA-Z][a-zA-Z0-9]*)"
    f"((?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:{_WS}*={_WS}*(?:\"[^\"<>]*\"|'[^'<>]*'))?)*)"
    f"{_WS}*/?>"
)
_ATTRIBUTE = re.compile(
    f"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:{_WS}*={_WS}*(?:\"([^\"<>]*)\"|'([^'<>]*)'))?"
)
# Heading ids go into href="#..." attributes unescaped by the theme: plain characters only.
_ANCHOR = re.compile(r"[^\x00-\x20\x7f\"'<>&`=]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# Browsers ignore these inside a URL's scheme ("java\tscript:").
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


def is_reserved_id(value: str) -> bool:
    """Whether an element id could clobber one the theme or a script looks up.

    Material names every element it finds by id ``__something`` (``__config``, ``__search``,
    ``__palette_0``) and so does newsdigest.js; an element earlier in the page with such an id
    is found instead of the theme's own (DOM clobbering). Ids made from text never start with
    an underscore: the digest's heading ids are kept out of that space (see the plugin).
    """
    return value.startswith("_")


def _safe_class(value: str) -> bool:
    # Material's own components are md- classes; page content never needs them.
    return not any(token.lower().startswith("md-") for token in value.split())


def _safe_url(value: str) -> bool:
    url = _URL_IGNORED.sub("", html.unescape(value))
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES


def _local_url(value: str) -> bool:
    # What a page loads by itself (an image) comes from the site: a planted entry must not
    # make every reader's browser call another host.
    url = _URL_IGNORED.sub("", html.unescape(value))
    return _SCHEME.match(url) is None and not url.startswith(("//", "\\", "/\\", "\\/"))


def _safe_attributes(text: str) -> bool:
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        if not (name in _ATTRIBUTES or name.startswith(("data-", "aria-"))):
            return False
        if name.startswith("data-md"):  # Material mounts its components on these
            return False
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if name in _URL_ATTRIBUTES and value is not None and not _safe_url(value):
            return False
        if name == "src" and value is not None and not _local_url(value):
            return False
        if name == "id" and (value is None or not _plain_id(html.unescape(value))):
            return False
        if name == "class" and value is not None and not _safe_class(html.unescape(value)):
            return False
    return True


def _plain_id(value: str) -> bool:
    return _ANCHOR.fullmatch(value) is not None and not is_reserved_id(value)


def is_plain_html(text: str) -> bool:
    """Whether HTML holds only the tags, attributes and links article pages are made of."""
    position = text.find("<")
    while position >= 0:
        tag = _TAG.match(text, position)
        if tag is None or tag.group(2).lower() not in _TAGS:
            return False
        if tag.group(3) and not _safe_attributes(tag.group(3)):
            return False
        position = text.find("<", tag.end())
    return True


@dataclass(frozen=True)
class TocEntry:
    """One heading of a page's table of contents (its title is HTML)."""

    title: str
    anchor: str
    level: int
    children: tuple[TocEntry, ...] = ()

    @classmethod
    def of(cls, link: Any) -> TocEntry:
        """The entry of an engine's heading (its title, id, level and children)."""
        return cls(link.title, link.id, link.level, tuple(cls.of(c) for c in link.children))


@dataclass(frozen=True)
class RenderedPage:
    """What converting a page's Markdown gave: its HTML, headings and anchors."""

    html: str
    toc: tuple[TocEntry, ...]
    anchors: tuple[str, ...]
    # The first <h1>'s text, which a site builder may use as the page title.
    heading: str | None


def page_key(setup: str, location: str, markdown: str, links: Sequence[str]) -> str:
    """The key of a page's HTML: its Markdown setup, location, text and resolved links."""
    text = json.dumps([setup, location, markdown, list(links)], ensure_ascii=False)
    return KEY_PREFIX + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _toc_to_json(entries: Sequence[TocEntry]) -> list[Any]:
    return [[e.title, e.anchor, e.level, _toc_to_json(e.children)] for e in entries]


def _toc_from_json(value: Any) -> tuple[TocEntry, ...]:
    if not isinstance(value, list):
        raise ValueError("table of contents is not a list")
    entries = []
    for item in value:
        title, anchor, level, children = item
        if not (isinstance(title, str) and isinstance(anchor, str) and type(level) is int):
            raise ValueError("table of contents entry has the wrong shape")
        entries.append(TocEntry(title, anchor, level, _toc_from_json(children)))
    return tuple(entries)


def encode_page(page: RenderedPage) -> str:
    return json.dumps(
        {
            "html": page.html,
            "toc": _toc_to_json(page.toc),
            "anchors": list(page.anchors),
            "heading": page.heading,
        },
        ensure_ascii=False,
    )


def _toc_titles(entries: Sequence[TocEntry]) -> Iterable[str]:
    for entry in entries:
        yield entry.title
        yield from _toc_titles(entry.children)


def _toc_anchors(entries: Sequence[TocEntry]) -> Iterable[str]:
    for entry in entries:
        yield entry.anchor
        yield from _toc_anchors(entry.children)


def decode_page(text: str) -> RenderedPage:
    """A stored page, or ValueError when it is malformed or holds anything but plain HTML."""
    try:
        value = json.loads(text)
        page = RenderedPage(
            html=value["html"],
            toc=_toc_from_json(value["toc"]),
            anchors=tuple(value["anchors"]),
            heading=value["heading"],
        )
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        raise ValueError(f"malformed page entry: {error}") from None
    if not isinstance(page.html, str) or not all(isinstance(a, str) for a in page.anchors):
        raise ValueError("page entry has the wrong shape")
    if page.heading is not None and not isinstance(page.heading, str):
        raise ValueError("page entry has the wrong shape")
    texts = [page.html, page.heading or "", *_toc_titles(page.toc)]
    if not all(is_plain_html(t) for t in texts):
        raise ValueError("page entry holds markup an article page does not have")
    if not all(_plain_id(a) for a in (*page.anchors, *_toc_anchors(page.toc))):
        raise ValueError("page entry has an anchor that is not a plain id, or a reserved one")
    return page


# Converted pages written to the cache at a time during a build (see PageStore.put), and read
# from it at a time (see PageStore.get).
FLUSH_PAGES = 1000
FETCH_PAGES = 500

# Pages of the latest build in this process, for `mkdocs serve` rebuilds.
_memory: dict[str, RenderedPage] = {}


class PageStore:
    """Converted pages by key: memory first, then the cache folder's SQLite file.

    A build says which keys it expects (load); their pages are read when asked (get), a part at
    a time in the order they were expected, and let go of once handed over: a build that takes
    every page from the cache (into a new folder, or after a change every page shows) held all
    their HTML at once, and at 100,000 articles its process peaked at 4.4 GiB."""

    def __init__(self, cache_dir: Path | None, *, use_memory: bool = True) -> None:
        self.cache_dir = cache_dir
        self.use_memory = use_memory
        self._found: dict[str, RenderedPage] = {}
        # The expected keys the file holds, in the order expected, and where each stands.
        self._stored: list[str] = []
        self._place: dict[str, int] = {}
        self._used: set[str] = set()
        self._new: dict[str, RenderedPage] = {}
        # False once a write failed (a read-only cache): said once, not tried again.
        self._saving = True

    def load(self, keys: Iterable[str]) -> None:
        """Note the keys a build expects, and which of them the cache holds."""
        wanted = []
        for key in dict.fromkeys(keys):
            remembered = _memory.get(key) if self.use_memory else None
            if remembered is not None:
                self._found[key] = remembered
            else:
                wanted.append(key)
        if wanted and self.cache_dir is not None:
            held = self._read(wanted, lambda c: c.keys_in(wanted))
            self._stored = [key for key in wanted if key in held]
            self._place = {key: at for at, key in enumerate(self._stored)}

    def has(self, key: str) -> bool:
        """Whether the key's page is in memory or the cache (without counting it as used); a
        stored page that turns out damaged when read is then missing."""
        return key in self._found or key in self._place

    def get(self, key: str) -> RenderedPage | None:
        if key not in self._found and key in self._place:
            self._fetch(self._place[key])
        # Handed over once; `mkdocs serve` keeps them for the next build (see save).
        page = self._found.get(key) if self.use_memory else self._found.pop(key, None)
        if page is not None:
            self._used.add(key)
        return page

    def _fetch(self, start: int) -> None:
        """Read the stored pages from the one at start on, FETCH_PAGES of them."""
        keys = [k for k in self._stored[start : start + FETCH_PAGES] if k in self._place]
        found = self._read(keys, lambda c: c.get_many(keys))
        for key in keys:
            del self._place[key]  # asked once: not read again, found or not
            text = found.get(key)
            if text is None:
                continue
            try:
                self._found[key] = decode_page(text)
            except ValueError as error:
                log.debug("digest: cached page %s not used: %s", key, error)

    def put(self, key: str, page: RenderedPage) -> None:
        self._new[key] = page
        if not self.use_memory and len(self._new) >= FLUSH_PAGES:
            # Written a part at a time: the HTML of every converted page held until the build
            # ends took gigabytes at 100,000 articles (the engine lets go of its own copy).
            self._write_new()

    def _write_new(self) -> None:
        if self.cache_dir is not None and self._saving:
            new = [(key, encode_page(page)) for key, page in self._new.items()]
            self._saving = writing(self.cache_dir, "converted pages", lambda c: c.put_many(new))
        self._new.clear()

    @property
    def hits(self) -> int:
        return len(self._used)

    def save(self) -> None:
        """Store this build's new pages, mark the reused ones, and remember both."""
        if self.use_memory:
            _memory.clear()  # only the latest build's pages: bounded by the content
            _memory.update((key, self._found[key]) for key in self._used)
            _memory.update(self._new)
        if self.cache_dir is None or not self._saving or not (self._new or self._used):
            return
        new = ((key, encode_page(page)) for key, page in self._new.items())
        used = sorted(self._used)
        writing(
            self.cache_dir, "converted pages", lambda c: c.put_many(new, used, churn=KEY_PREFIX)
        )

    def _read(
        self, keys: list[str], read: Callable[[SummaryCache], dict[str, str]]
    ) -> Mapping[str, str]:
        assert self.cache_dir is not None
        return reading(self.cache_dir, "converted pages", read) if keys else {}
