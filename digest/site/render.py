"""Writers: render the Digest into Markdown pages through the Jinja2 templates in site_templates/.

Templates produce Markdown, so HTML autoescaping does not fit; instead every ``{{ value }}`` is
passed through ``escape_markdown`` unless it is ``Markup`` made by our own helpers. Article text
is data: it is never compiled as a template, and it can carry no HTML, link or template syntax.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import json
import math
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache, partial
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    meta,
    nodes,
)
from markupsafe import Markup

from digest import __version__
from digest.analysis.parallel import Lookahead
from digest.analysis.stories import listed_once, story_of_articles, story_summary
from digest.config import DigestConfig
from digest.language import direction, language_tag
from digest.model import Digest, DigestEntry, Story, TopicDigest
from digest.site.feeds import feed_site
from digest.site.paths import (
    ARCHIVE_PAGE,
    HOME_PAGE,
    OTHER_PAGE,
    SUBSCRIBE_PAGE,
    article_page_path,
    month_page_path,
    other_page_path,
    relative_path,
    story_page_path,
    topic_page_path,
)
from digest.sources.text import drop_controls
from digest.store.collector import paused_collector
from digest.store.fingerprint import fingerprint_of
from digest.store.history import Changes
from digest.store.markdown_pages import MarkdownPages, load_secret

# Every character that Markdown, its common extensions (attr_list, pymdownx), HTML or a template
# engine downstream could read as syntax becomes a numeric character reference: it renders as
# the same character, but nothing parses it.
_SPECIAL_CHARACTERS = "\\`*_{}[]()<>#|~!&\"'$=^+:@%"
_CHARACTER_REFERENCE = {c: f"&#{ord(c)};" for c in _SPECIAL_CHARACTERS}
# Splitting on them and mapping every other piece is ~8x faster than str.translate, which
# takes a slow path per character when it maps to longer strings.
_SPECIAL_SPLIT = re.compile(f"([{re.escape(_SPECIAL_CHARACTERS)}])")
_LIST_START = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-])")


def escape_markdown(value: Any) -> str:
    """Make untrusted text inert inside Markdown (and the HTML it becomes): one line, no syntax."""
    if isinstance(value, Markup):
        return str(value)
    # Control characters go first: Python-Markdown keeps its placeholders between \x02 and \x03.
    text = " ".join(drop_controls(str(value)).split())
    pieces = _SPECIAL_SPLIT.split(text)
    pieces[1::2] = [_CHARACTER_REFERENCE[c] for c in pieces[1::2]]
    text = "".join(pieces)
    # "1. " or "- " at the start would begin a list.
    return _LIST_START.sub(
        lambda m: (
            f"{m.group(1)}{m.group(2)}&#{ord(m.group(3))};"
            if m.group(2)
            else f"{m.group(4)}&#{ord(m.group(5))};"
        ),
        text,
    )


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (Markup, int, float)) and not isinstance(value, bool):
        return value
    return escape_markdown(value)


def safe_href(url: str) -> str:
    """A link target that Markdown takes whole: http(s) only, and no characters that end it."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        raise ValueError(f"refusing to link to {url!r}")
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


# How many of a story's other sources on the same topic a topic page names under it.
ALSO_SOURCES = 3


@dataclass(frozen=True)
class Page:
    """A generated Markdown page, its path under the docs folder and its title."""

    path: str
    title: str
    markdown: str
    # The newest date of what it shows (None: the digest's): a sitemap's "last modified", and
    # it stays the same for a page the day's news does not reach.
    updated: datetime | None = None
    # Its key in the render cache (digest.store.markdown_pages): the same key, the same
    # Markdown. None: it is not kept there (no cache folder, or an unbounded template). Not
    # part of what the page is: a page compares equal to the same page rendered without a cache.
    key: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Pending:
    """A page to render: its template and the context the template sees."""

    path: str
    title: str
    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class _Deferred:
    """A context value worked out only when its page is rendered: a kept page needs only
    its inputs (a story page's summary compares every sentence of its sources)."""

    compute: Callable[..., Any]
    inputs: tuple[Any, ...]


class _Unbounded(Exception):
    """A page's context holds a value whose changes a key cannot follow."""


@dataclass(frozen=True)
class ListingPage:
    """One page of a paged listing: its number (None: the listing's first URL) and stories."""

    number: int | None
    entries: tuple[DigestEntry, ...]
    # Display position, 1 = the oldest stories, and how many pages the listing has.
    position: int
    count: int
    newer: int | None | bool  # the newer page's number, None for the first URL, False: none
    older: int | None | bool


def stable_pages(items: Sequence[DigestEntry], size: int) -> list[ListingPage]:
    """A listing (newest first) as pages that do not shift when stories are added.

    Numbered pages hold full runs of `size` stories counted from the oldest, so page 1 always
    holds the first stories and a page, once full, never changes. The first URL shows the
    newest `size` stories (some may also be on the newest numbered page).
    """
    size = max(1, size)
    full = len(items) // size if len(items) > size else 0
    oldest_first = list(reversed(items))
    count = full + 1
    # The first URL's "older" link skips a numbered page it shows whole.
    shown_whole = full > 0 and len(items) % size == 0
    first_older: int | bool = (full - 1 if shown_whole else full) or False
    pages = [ListingPage(None, tuple(items[:size]), count, count, False, first_older)]
    for number in range(1, full + 1):
        chunk = tuple(reversed(oldest_first[(number - 1) * size : number * size]))
        newer: int | None = number + 1 if number < full else None
        pages.append(ListingPage(number, chunk, number, count, newer, number - 1 or False))
    return pages


def template_loader(templates_dir: Path | None) -> ChoiceLoader:
    """The user's templates_dir first, then the defaults shipped with the package."""
    loaders = []
    if templates_dir is not None and templates_dir.is_dir():
        loaders.append(FileSystemLoader(str(templates_dir)))
    loaders.append(FileSystemLoader(str(default_templates_dir())))
    return ChoiceLoader(loaders)


def default_templates_dir() -> Path:
    """The templates shipped with the package (site_templates/ of the source tree)."""
    try:
        return Path(str(resources.files("digest.site_templates")))
    except ModuleNotFoundError:
        # A source checkout or an editable install, where site_templates/ sits beside digest/.
        return Path(__file__).resolve().parents[2] / "site_templates"


class PageRenderer:
    """Renders Digest pages through Jinja2; one instance per build."""

    def __init__(self, config: DigestConfig) -> None:
        self.config = config
        self.env = Environment(
            loader=template_loader(config.templates_dir),
            undefined=StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            md=escape_markdown,
            date=format_date,
            isodate=lambda d: d.date().isoformat(),
            percent=lambda x: Markup(f"{round(100 * x)}%"),
            reading_minutes=reading_minutes,
            highlighted=highlighted_paragraphs,
            set_apart=set_apart_by_paragraph,
            json=lambda v: Markup(json.dumps(v, ensure_ascii=False)),
            lang_attrs=lambda article: language_attributes(article.language, config.language),
            in_language=lambda text, article: in_language(text, article, config.language),
        )
        # Article slug -> its story of several articles (set by render).
        self._stories: dict[str, Story] = {}
        # Set while render_later keys the pages (see PageFill).
        self._later: PageFill | None = None
        self._keys = _PageKeys(self.env, config, self._story_of)

    def _story_of(self, entry: DigestEntry) -> Story | None:
        return self._stories.get(entry.article.slug)

    def _all_pages(self, digest: Digest, changes: Changes | None) -> tuple[Page, ...]:
        pages: list[_Pending] = []
        topics = {t.topic.slug: t for t in digest.topics}
        self._stories = story_of_articles(digest)
        self._keys.forget()
        every = digest
        # Listings (home, topics, Other, archive) show each story once; every article keeps
        # its own page.
        digest = listed_once(digest)
        pages.append(self._page(HOME_PAGE, "Home", "home.md.j2", digest=digest, changes=changes))
        for topic_digest in digest.topics:
            pages.extend(self._paged(topic_digest, topics))
        pages.extend(self._other(digest, every.other))
        pages.extend(self._archive(digest))
        site = feed_site(self.config)
        if site is not None:
            pages.append(
                self._page(
                    SUBSCRIBE_PAGE,
                    "Subscribe",
                    "subscribe.md.j2",
                    feeds=site.links(),
                    opml_url=site.opml_url,
                    topic_feeds=[(t.topic, site.links(t.topic)) for t in digest.topics],
                )
            )
        for entry in every.entries:
            pages.append(
                self._page(
                    article_page_path(entry.article.slug),
                    entry.article.title,
                    "article.md.j2",
                    entry=entry,
                    topics=topics,
                )
            )
        pages.extend(self._story_pages(every))
        try:
            return tuple(self._rendered(pages))
        finally:
            self._keys.forget()

    def render(self, digest: Digest, changes: Changes | None = None) -> tuple[Page, ...]:
        """Every page; `changes` (from digest.store.history.record_build) feeds the home page."""
        # Rendering 11,500 pages leaves a few hundred objects of cyclic garbage, and each full
        # collection on the way would walk the whole digest again.
        with paused_collector():
            return self._all_pages(digest, changes)

    def _rendered(self, pending: Sequence[_Pending]) -> list[Page]:
        """The pages; those whose inputs are unchanged come from the cache folder
        (digest.store.markdown_pages), byte for byte what rendering them gives."""
        later = self._later
        if later is not None:
            return later.add_all(pending, [self._keys.key(later.store, page) for page in pending])
        secret = load_secret() if self.config.cache_dir is not None else None
        if secret is None or self.config.cache_dir is None:
            return rendered_each(self, pending)
        store = MarkdownPages(self.config.cache_dir, secret, self._keys.setup())
        keys = [self._keys.key(store, page) for page in pending]
        store.load(key for key in keys if key is not None)
        held = [store.get(key) if key is not None else None for key in keys]
        missing = [i for i, markdown in enumerate(held) if markdown is None]
        fresh = dict(zip(missing, rendered_each(self, [pending[i] for i in missing]), strict=True))
        pages = []
        for index, (page, key) in enumerate(zip(pending, keys, strict=True)):
            markdown = held[index]
            if markdown is None:
                rendered = fresh[index]
                if key is not None:
                    store.put(key, rendered.markdown)
                pages.append(replace(rendered, key=key))
            else:
                pages.append(Page(page.path, page.title, markdown, _newest(page.context), key))
        store.save()
        return pages

    def _reach(self, template: str) -> tuple[str, str] | None:
        """What a template reads of its context (see _PageKeys._reach)."""
        return self._keys._reach(template)

    def _story_pages(self, digest: Digest) -> list[_Pending]:
        by_path = {e.article.source_path: e for e in digest.entries}
        pages = []
        for story in digest.stories:
            if len(story.articles) < 2:
                continue
            entries = [by_path[p] for p in story.articles if p in by_path]
            # All story_summary reads of the entries: the story's own.
            members = {p: by_path[p] for p in story.articles if p in by_path}
            pages.append(
                self._page(
                    story_page_path(story.id),
                    story.title,
                    "story.md.j2",
                    story=story,
                    entries=entries,
                    # Worked out only if the page is rendered (see _Deferred).
                    summary=_Deferred(
                        story_summary,
                        (story, members, self.config.summary_sentences),
                    ),
                )
            )
        return pages

    def _paged(self, topic_digest: TopicDigest, topics: dict[str, TopicDigest]) -> list[_Pending]:
        slug = topic_digest.topic.slug
        site = feed_site(self.config)
        feeds = site.links(topic_digest.topic) if site is not None else ()
        pages = []
        every = topics[slug].entries if slug in topics else topic_digest.entries
        # Once per topic, not per page: at 100,000 articles a topic has hundreds of pages.
        sources = sources_by_story(every, self._story_of)
        for listing in stable_pages(topic_digest.entries, self.config.page_size):
            path = topic_page_path(slug, listing.number)
            pages.append(
                self._page(
                    path,
                    topic_digest.topic.name,
                    "topic.md.j2",
                    topic=topic_digest.topic,
                    total=len(topic_digest.entries),
                    entries=listing.entries,
                    pager=self._pager(listing, lambda n: topic_page_path(slug, n)),
                    feeds=feeds,
                    also=also_on_topic(listing.entries, sources, self._story_of),
                )
            )
        return pages

    def _other(self, digest: Digest, every_other: Sequence[DigestEntry]) -> list[_Pending]:
        # Paged like a topic page: with thousands of stories in Other one page would be huge.
        gathered = {}
        for suggestion in digest.suggestions:
            wanted = set(suggestion.articles)
            # Every article its words gather, also those listed once under their story.
            gathered[suggestion.slug] = [e for e in every_other if e.article.slug in wanted]
        pages = []
        for listing in stable_pages(digest.other, self.config.page_size):
            path = other_page_path(listing.number)
            pages.append(
                self._page(
                    path,
                    "Other",
                    "other.md.j2",
                    entries=listing.entries,
                    total=len(digest.other),
                    pager=self._pager(listing, other_page_path),
                    # Suggestions on the first page only, each with every story it gathers.
                    suggestions=digest.suggestions if listing.number is None else (),
                    gathered=gathered,
                )
            )
        return pages

    def _archive(self, digest: Digest) -> list[_Pending]:
        months: dict[tuple[int, int], list[DigestEntry]] = {}
        for entry in digest.entries:
            key = (entry.article.date.year, entry.article.date.month)
            months.setdefault(key, []).append(entry)
        ordered = sorted(months.items(), reverse=True)
        pages = [
            self._page(
                ARCHIVE_PAGE,
                "Archive",
                "archive.md.j2",
                months=[
                    {
                        "year": year,
                        "month": month,
                        "name": f"{calendar.month_name[month]} {year}",
                        "count": len(entries),
                        "path": month_page_path(year, month),
                    }
                    for (year, month), entries in ordered
                ],
            )
        ]
        for (year, month), entries in ordered:
            pages.append(
                self._page(
                    month_page_path(year, month),
                    f"{calendar.month_name[month]} {year}",
                    "month.md.j2",
                    month_name=f"{calendar.month_name[month]} {year}",
                    entries=entries,
                )
            )
        return pages

    def _pager(self, listing: ListingPage, path_of: Any) -> dict[str, Any]:
        first = listing.number is None
        return {
            "first": first,
            "number": listing.position,
            "count": listing.count,
            # Positions counted from the oldest story: fixed for a numbered page.
            "start": None if first else (listing.position - 1) * len(listing.entries) + 1,
            "end": None if first else listing.position * len(listing.entries),
            "previous": None if listing.newer is False else path_of(listing.newer),
            "next": None if listing.older is False else path_of(listing.older),
        }

    def _page(self, path: str, title: str, template: str, **context: Any) -> _Pending:
        return _Pending(path, title, template, context)

    def _render(self, page: _Pending) -> Page:
        path, title, template = page.path, page.title, page.template
        context = {
            name: value.compute(*value.inputs) if isinstance(value, _Deferred) else value
            for name, value in page.context.items()
        }
        folder = posixpath.dirname(path) or "."

        def url(target: str) -> Markup:
            """Relative link from this page to another generated page (MkDocs checks it)."""
            return Markup(_relative_url(target, folder))

        def link(text: Any, target: str) -> Markup:
            return Markup(f"[{escape_markdown(text)}]({url(target)})")

        def external(text: Any, href: str) -> Markup:
            # A bare destination, not <...>: MkDocs' raw-HTML scanner reads `<https://...>` in an
            # HTML line as a tag (`.../id/123/` as a valueless id attribute). safe_href leaves
            # no space, parenthesis or angle bracket that could end the destination early.
            return Markup(f"[{escape_markdown(text)}]({safe_href(href)})")

        def article_url(entry: DigestEntry) -> Markup:
            return url(article_page_path(entry.article.slug))

        def topic_url(slug: str) -> Markup:
            return url(topic_page_path(slug))

        try:
            compiled = self.env.get_template(template)
        except TemplateError as error:
            raise TemplateProblem(_describe(template, error)) from None
        try:
            rendered = compiled.render(
                config=self.config,
                page_path=path,
                url=url,
                link=link,
                external=external,
                article_url=article_url,
                topic_url=topic_url,
                home_url=url(HOME_PAGE),
                other_url=url(OTHER_PAGE),
                archive_url=url(ARCHIVE_PAGE),
                story_of=self._story_of,
                version=__version__,
                **context,
            )
        except TemplateError as error:
            raise TemplateProblem(_describe(compiled.filename or template, error)) from None
        return Page(path, title, rendered, _newest(context))


# The field names of each dataclass met in a page's context (see _PageKeys._other_value).
_DATACLASS_FIELDS: dict[type, tuple[str, ...]] = {}


def render_later(
    config: DigestConfig, digest: Digest, changes: Changes | None = None
) -> tuple[tuple[Page, ...], PageFill | None]:
    """Every page keyed, those the render cache holds not rendered or fetched yet: they come
    with empty Markdown, which the PageFill fetches (or renders) when asked; a page kept as
    written never needs it (at 100,000 articles, reading it all took seconds). The PageFill
    is None when nothing is kept in the cache (every page rendered now)."""
    renderer = PageRenderer(config)
    secret = load_secret() if config.cache_dir is not None else None
    if secret is None or config.cache_dir is None:
        return renderer.render(digest, changes), None
    store = MarkdownPages(config.cache_dir, secret, renderer._keys.setup())
    fill = PageFill(renderer, store)
    with paused_collector():
        try:
            renderer._later = fill
            return renderer._all_pages(digest, changes), fill
        finally:
            renderer._later = None


def rendered_each(renderer: PageRenderer, pages: Sequence[_Pending]) -> list[Page]:
    """Each page rendered, in order: over the machine's cores when there are many (a first
    build's thousands, a millisecond of Jinja each, on one core while the others waited),
    else here. The same pages as rendering them one by one here: workers forked from this
    process render from its pages and templates, and a page a worker could not render, or
    that said anything, is rendered here again, which raises or tells it (see Lookahead)."""
    ahead = Lookahead(
        partial(_render_at, renderer, pages), range(len(pages)), renderer.config.workers
    )
    try:
        return [ahead.take(index) or renderer._render(page) for index, page in enumerate(pages)]
    finally:
        ahead.close()


def _render_at(renderer: PageRenderer, pages: Sequence[_Pending], index: int) -> Page:
    return renderer._render(pages[index])


class PageFill:
    """The Markdown of pages rendered later (render_later): fetched from the render
    cache, or rendered, only for the pages asked for."""

    def __init__(self, renderer: PageRenderer, store: MarkdownPages) -> None:
        self.renderer, self.store = renderer, store
        # path -> (what renders the page, its key) of each page not filled yet
        self._waiting: dict[str, tuple[_Pending, str]] = {}

    def add_all(self, pending: Sequence[_Pending], keys: Sequence[str | None]) -> list[Page]:
        """The pages as render_later gives them: rendered now unless the cache holds them (so
        a broken template says so now, as it does for render)."""
        store = self.store
        held = store.present(key for key in keys if key is not None)
        missing = [i for i, key in enumerate(keys) if key is None or key not in held]
        fresh = rendered_each(self.renderer, [pending[i] for i in missing])
        rendered_at = dict(zip(missing, fresh, strict=True))
        pages = []
        for index, (page, key) in enumerate(zip(pending, keys, strict=True)):
            rendered = rendered_at.get(index)
            if rendered is None and key is not None:  # held: fetched when asked
                self._waiting[page.path] = (page, key)
                pages.append(Page(page.path, page.title, "", _newest(page.context), key))
                continue
            assert rendered is not None
            if key is not None:
                store.put(key, rendered.markdown)
            pages.append(replace(rendered, key=key))
        store.save()
        return pages

    def waiting(self, path: str) -> bool:
        """Whether the page's Markdown is still to be fetched (its Page has none yet)."""
        return path in self._waiting

    def fill(self, paths: Iterable[str]) -> dict[str, Page]:
        """The pages at these paths still waiting, with their Markdown: from the cache when it
        holds it (checked), else rendered and kept there."""
        asked = [(path, *self._waiting.pop(path)) for path in paths if path in self._waiting]
        if not asked:
            return {}
        store = self.store
        store.load(key for _, _, key in asked)
        with paused_collector():
            held = {path: store.get(key) for path, _, key in asked}
            missing = [(path, page, key) for path, page, key in asked if held[path] is None]
            fresh = rendered_each(self.renderer, [page for _, page, _ in missing])
            for (path, _, key), rendered in zip(missing, fresh, strict=True):
                held[path] = rendered.markdown
                store.put(key, rendered.markdown)
            filled = {
                path: Page(path, page.title, held[path] or "", _newest(page.context), key)
                for path, page, key in asked
            }
        store.save()
        return filled


class _PageKeys:
    """The render cache's keys: a page's key hashes its templates' sources and everything in
    its context, so a page whose inputs are unchanged comes from the cache folder."""

    def __init__(
        self, env: Environment, config: DigestConfig, story_of: Callable[[DigestEntry], Any]
    ) -> None:
        self.env, self.config, self._story_of = env, config, story_of
        # What each template reads (see _reach), worked out once per renderer.
        self._reaches: dict[str, tuple[str, str] | None] = {}
        # id(entry) -> (entry, its value in keys), and the same for the topics map, during
        # one render.
        self._entry_hashes: dict[int, tuple[Any, str]] = {}

    def forget(self) -> None:
        """Drop the entries' values of the render that ended (their ids may be reused)."""
        self._entry_hashes = {}

    def key(self, store: MarkdownPages, page: _Pending) -> str | None:
        """The page's key: a hash of its templates' sources and of everything in its context
        (each entry with its story); None when what the template reads cannot be bounded."""
        reach = self._reach(page.template)
        if reach is None:
            return None
        kind, sources = reach
        context = dict(page.context)
        if "topics" in context:
            if kind != "topic names":
                return None  # every topic's entries: the page would depend on every article
            context["topics"] = ["topic names", self._topic_names(context["topics"])]
        try:
            inputs = self._value(context)
        except _Unbounded:
            return None
        text = json.dumps([sources, page.path, inputs], ensure_ascii=False)
        return store.key(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())

    def _value(self, value: Any) -> Any:
        """A value of a page's context as JSON that changes whenever the value does."""
        # The common exact types first: a listing's context is thousands of nested values,
        # and the isinstance chain below cost 9 s of a 100,000-article update.
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is list or kind is tuple:
            return [self._value(v) for v in value]
        if kind is Story:
            # Hashed once per render: every page of a story of n articles holds the story, so
            # walking it on each would cost n squared (a 100,000-article archive's long stories).
            return ["story", self._story_value(value)]
        fields = _DATACLASS_FIELDS.get(kind)
        if fields is not None:
            return [kind.__qualname__, [self._value(getattr(value, f)) for f in fields]]
        return self._other_value(value)

    def _other_value(self, value: Any) -> Any:
        if isinstance(value, DigestEntry):
            return ["entry", self._entry_value(value)]
        if isinstance(value, Markup):
            return ["markup", str(value)]
        if isinstance(value, _Deferred):
            # Its code is in the setup (_RENDERING_MODULES), its inputs here.
            return ["deferred", value.compute.__qualname__, self._value(value.inputs)]
        if value is None or isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, (float, datetime)):
            return ["repr", repr(value)]
        if isinstance(value, (list, tuple)):
            return [self._value(v) for v in value]
        if isinstance(value, dict):
            return ["dict", [[self._value(k), self._value(v)] for k, v in value.items()]]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            # Only a type that reaches this branch: the next one of its kind comes here too.
            names = tuple(f.name for f in dataclasses.fields(value))
            _DATACLASS_FIELDS[type(value)] = names
            return [type(value).__qualname__, [self._value(getattr(value, f)) for f in names]]
        raise _Unbounded(type(value).__name__)

    def _topic_names(self, topics: dict[str, TopicDigest]) -> str:
        """A hash of the topics as a template that reads only their names sees them: worked
        out once for the map every article page gets."""
        held = self._entry_hashes.get(id(topics))
        if held is None:
            names = self._value({slug: t.topic for slug, t in topics.items()})
            text = json.dumps(names, ensure_ascii=False).encode("utf-8", "surrogatepass")
            held = self._entry_hashes[id(topics)] = (topics, hashlib.sha256(text).hexdigest())
        return held[1]

    def _entry_value(self, entry: DigestEntry) -> str:
        """An entry in a page's key: all of it, and its story (story_of can be called on
        any entry a template reaches). Listings show each entry on several pages: worked
        out once per render."""
        held = self._entry_hashes.get(id(entry))
        if held is None:
            value = f"{entry_hash(entry)} {self._story_value(self._story_of(entry))}"
            # The entry is kept beside its value: its id is not reused while the map lives.
            held = self._entry_hashes[id(entry)] = (entry, value)
        return held[1]

    def _story_value(self, story: Story | None) -> str:
        """A hash of all of a story, worked out once per story: held in each member's value,
        its whole text (every member's headline) would make the keys of a story of n
        articles cost n squared."""
        if story is None:
            return "None"
        held = self._entry_hashes.get(id(story))
        if held is None:
            text = repr(story).encode("utf-8", "surrogatepass")
            held = self._entry_hashes[id(story)] = (story, hashlib.sha256(text).hexdigest())
        return held[1]

    def _reach(self, template: str) -> tuple[str, str] | None:
        """What a template reads of its context, and a hash of its sources and of every
        template it loads: "topic names" when it reads `topics` only as `topics[...].topic`,
        else "context"; None when that cannot be bounded (a template named at run time,
        lipsum, the random filter), so its pages are always rendered."""
        if template not in self._reaches:
            self._reaches[template] = None
            try:
                sources = _template_closure(self.env, template)
            except TemplateError:
                return None  # rendering it says what is wrong
            if sources is None or not all(_bounded(ast) for _, _, ast in sources.values()):
                return None
            narrow = all(_topic_names_only(ast) for _, _, ast in sources.values())
            digest = hashlib.sha256()
            for name, (filename, source, _) in sorted(sources.items()):
                digest.update(f"\0{name}\0{filename}\0{source}".encode("utf-8", "surrogatepass"))
            kind = "topic names" if narrow else "context"
            self._reaches[template] = (kind, digest.hexdigest())
        return self._reaches[template]

    def setup(self) -> str:
        """A hash of what every page depends on besides its context: the code, the config."""
        code = fingerprint_of(("jinja2", "markupsafe"), _RENDERING_MODULES)
        return hashlib.sha256(f"{code}\0{self.config!r}".encode()).hexdigest()


def _newest(context: dict[str, Any]) -> datetime | None:
    """The newest date among the article, stories and articles a page's context holds."""
    dates = [e.article.date for e in context.get("entries") or ()]
    if context.get("entry") is not None:
        dates.append(context["entry"].article.date)
    if context.get("story") is not None:
        dates.append(context["story"].end)
    return max(dates, key=lambda d: d.timestamp()) if dates else None


# The code that turns an entry into its page: the filters and helpers here, the escaping.
_RENDERING_MODULES = (
    "site/render.py",
    "site/paths.py",
    "sources/text.py",
    "model.py",
    "language.py",
    # story_summary, deferred until a story page is rendered, and the stemmer it uses.
    "analysis/stories.py",
    "analysis/story_summary.py",
    "analysis/stemming.py",
)


def _template_closure(
    env: Environment, name: str
) -> dict[str, tuple[str, str, nodes.Template]] | None:
    """{name: (file, source, syntax tree)} of a template and every template it loads; None
    when one of them loads a template named only at run time."""
    assert env.loader is not None
    found: dict[str, tuple[str, str, nodes.Template]] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        source, filename, _ = env.loader.get_source(env, current)
        ast = env.parse(source, current, filename)
        found[current] = (filename or current, source, ast)
        for referenced in meta.find_referenced_templates(ast):
            if referenced is None:
                return None
            todo.append(referenced)
    return found


def _bounded(ast: nodes.Template) -> bool:
    """Whether a template's output depends on its context alone: not on lipsum (random text;
    Jinja's other globals always give the same) nor on the random filter. (A name it reads
    that is not in its context is undefined, an error, unless a template including it set it
    from the context.)"""
    if any(name.name == "lipsum" for name in ast.find_all(nodes.Name)):
        return False
    return not any(f.name == "random" for f in ast.find_all(nodes.Filter))


def _topic_names_only(ast: nodes.Template) -> bool:
    """Whether the template reads `topics` only as `topics[...].topic` (a topic, not its
    entries, which would tie each article page to every other article)."""
    allowed: set[int] = set()
    for getattr_node in ast.find_all(nodes.Getattr):
        item = getattr_node.node
        if (
            getattr_node.attr == "topic"
            and isinstance(item, nodes.Getitem)
            and isinstance(item.node, nodes.Name)
            and item.node.name == "topics"
        ):
            allowed.add(id(item.node))
    return all(id(name) in allowed for name in ast.find_all(nodes.Name) if name.name == "topics")


def entry_hash(entry: DigestEntry) -> str:
    """A hash of all of an entry: its article and what the analysis found."""
    article = entry.article
    fields = [
        article.source_path,
        article.slug,
        article.title,
        # repr keeps the time zone: the page shows the date as the article's own zone has it.
        repr(article.date),
        article.dateline,
        article.source,
        article.url,
        article.author,
        article.forced_topics,
        article.editor_summary,
        article.draft,
        article.content_hash,
        [(p.paragraph, p.kind, p.text) for p in article.set_apart],
        article.language,
        _summary_fields(entry.summary),
        [
            (
                m.topic,
                repr(m.share),
                m.paragraphs,
                m.evidence,
                m.forced,
                _summary_fields(m.summary),
                m.learned,
                m.continued,
                m.lead,
                m.context,
            )
            for m in entry.topics
        ],
    ]
    if entry.analysis_key:
        # It decides the text and the sentences (hashing them again was 60% of this, 4 s of
        # a 100,000-article update); the summaries and topics stay above, as a later step
        # (sections) may change them.
        fields.append(entry.analysis_key)
        texts: tuple[Any, ...] = ()
    else:
        sentences = [s.text for s in entry.sentences]
        # The long texts are hashed joined, after these lengths, which say where each ends.
        fields.append([len(p) for p in article.paragraphs])
        fields.append(
            [
                (len(text), s.paragraph, s.index)
                for text, s in zip(sentences, entry.sentences, strict=True)
            ]
        )
        texts = (article.paragraphs, sentences)
    digest = hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    for text in texts:
        digest.update(b"\0")
        digest.update("".join(text).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def language_attributes(language: str, site_language: str) -> Markup:
    """` lang="fa" dir="rtl"` for text in another language than the site's, else nothing
    (pages in the site's language stay as they were)."""
    code, site = language_tag(language), language_tag(site_language) or "en"
    if not code or code == site:
        return Markup("")
    return Markup(f' lang="{code}" dir="{direction(code)}"')


def in_language(text: Any, article: Any, site_language: str) -> Markup:
    """Inline text (a headline, a link to it) marked with its article's language when that is
    not the site's; Markdown inside a <span> is still read as Markdown."""
    attributes = language_attributes(article.language, site_language)
    inner = _finalize(text)
    return Markup(f"<span{attributes}>{inner}</span>") if attributes else Markup(inner)


def _summary_fields(summary: Any) -> Any:
    if summary is None:
        return None
    return [summary.method, [(s.text, s.paragraph, s.index) for s in summary.sentences]]


@lru_cache(maxsize=65536)
def _relative_url(target: str, folder: str) -> str:
    # Pages link to the same few topic, archive and Other pages: worth remembering.
    return quote(relative_path(target, folder), safe="/.-_~")


def _escape_keeping_edges(text: str) -> str:
    """escape_markdown, but keep one space where the piece began or ended with whitespace."""
    escaped = escape_markdown(text)
    if not escaped:
        # The space between two highlighted sentences: without it they run together
        # ("members.</mark><mark>That") in the page, in copied text and in the search index.
        return " " if text[:1].isspace() else ""
    if text[:1].isspace():
        escaped = " " + escaped
    if text[-1:].isspace():
        escaped += " "
    return escaped


def _sentence_pattern(sentence: str) -> re.Pattern[str]:
    # The splitter normalises whitespace (and may add a space after a glued quote), so match the
    # sentence's words in order with any whitespace, or none, between them.
    return re.compile(r"\s*".join(re.escape(word) for word in sentence.split()))


def highlighted_paragraphs(entry: DigestEntry) -> tuple[Markup, ...]:
    """The article's paragraphs, escaped, with the summary's sentences wrapped in <mark>.

    Every piece of article text goes through escape_markdown; only the <mark> tags are ours.
    """
    picked: dict[int, list[str]] = {}
    for sentence in entry.summary.sentences:
        picked.setdefault(sentence.paragraph, []).append(sentence.text)
    paragraphs = []
    for number, paragraph in enumerate(entry.article.paragraphs):
        pieces: list[str] = []
        cursor = 0
        for text in picked.get(number, ()):
            if not text.strip():
                continue
            # Most sentences stand verbatim in their paragraph: a plain search is enough, and
            # compiling a pattern per sentence would dominate the build of a large digest.
            start = paragraph.find(text, cursor)
            if start >= 0:
                end = start + len(text)
            else:
                found = _sentence_pattern(text).search(paragraph, cursor)
                if found is None:
                    continue
                start, end = found.span()
            pieces.append(_escape_keeping_edges(paragraph[cursor:start]))
            marked = escape_markdown(paragraph[start:end])
            pieces.append(f'<mark class="digest-pick">{marked}</mark>')
            cursor = end
        pieces.append(_escape_keeping_edges(paragraph[cursor:]))
        paragraphs.append(Markup("".join(pieces).strip()))
    return tuple(paragraphs)


def set_apart_by_paragraph(entry: DigestEntry) -> dict[int, list[Any]]:
    """The furniture taken out of an article's text, by the paragraph it stood before."""
    found: dict[int, list[Any]] = {}
    for piece in entry.article.set_apart:
        found.setdefault(piece.paragraph, []).append(piece)
    return found


class TemplateProblem(ValueError):
    """A page template failed; the message names the template file and the problem."""


def _describe(template: str, error: TemplateError) -> str:
    if isinstance(error, TemplateSyntaxError):
        return f"{error.filename or template}: line {error.lineno}: {error.message}"
    return f"{template}: {error.message or error}"


def format_date(value: datetime) -> str:
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


def reading_minutes(entry: DigestEntry) -> int:
    return _reading_minutes(entry.article.paragraphs)


@lru_cache(maxsize=65536)
def _reading_minutes(paragraphs: tuple[str, ...]) -> int:
    # Shown on every listing an article is in: counted once per text, not per listing.
    # 230 words a minute: a common adult reading speed for news prose.
    return max(1, math.ceil(sum(len(p.split()) for p in paragraphs) / 230))


def nav_items(digest: Digest, subscribe: bool = False) -> list[dict[str, Any] | str]:
    """The site nav: Home, the topics, Other, Archive (and Subscribe). Articles stay out of it."""
    items: list[dict[str, Any] | str] = [{"Home": HOME_PAGE}]
    topics: Iterable[TopicDigest] = digest.topics
    items.append({"Topics": [{t.topic.name: topic_page_path(t.topic.slug)} for t in topics]})
    items.append({"Other": OTHER_PAGE})
    items.append({"Archive": ARCHIVE_PAGE})
    if subscribe:
        items.append({"Subscribe": SUBSCRIBE_PAGE})
    return items


def sources_by_story(
    every: Sequence[DigestEntry], story_of: Callable[[DigestEntry], Story | None]
) -> dict[str, list[DigestEntry]]:
    """A topic's entries (every one on it) by the id of their story."""
    by_story: dict[str, list[DigestEntry]] = {}
    for entry in every:
        story = story_of(entry)
        if story is not None:
            by_story.setdefault(story.id, []).append(entry)
    return by_story


def also_on_topic(
    listed: Sequence[DigestEntry],
    by_story: dict[str, list[DigestEntry]],
    story_of: Callable[[DigestEntry], Story | None],
) -> dict[str, list[dict[str, str]]]:
    """For each listed story, its other sources on the same topic (by_story: the topic's
    entries by story, sources_by_story), up to ALSO_SOURCES, earliest first, so a reader sees
    why the story is there. A story's topics are its articles' own: a source not on the
    topic is not named, and no article is listed for a topic its story has only through
    another source."""
    also: dict[str, list[dict[str, str]]] = {}
    for entry in listed:
        story = story_of(entry)
        others = [e for e in by_story.get(story.id, []) if e is not entry] if story else []
        others.sort(key=lambda e: (e.article.date, e.article.slug))
        if others:
            also[entry.article.slug] = [
                {
                    "title": e.article.title,
                    "slug": e.article.slug,
                    "source": e.article.source or "",
                }
                for e in others[:ALSO_SOURCES]
            ]
    return also
