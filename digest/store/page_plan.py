"""One build's plan for its generated pages, for every engine: which are kept as written (see
digest.store.kept_pages) and the page cache key of every other one (see page_cache); and the
page cache's part in a build (PageCache), which the engine's render steps ask.

The engine says where each page lands (its source path, output path and URL) and what a link
leads to; everything else here is the same for any engine.

A page the render cache holds may come without its Markdown (digest.site.render.PageFill): it
is keyed by its render key (the same key, the same Markdown) and by the link targets the
previous build recorded for it, and its Markdown is fetched only if it is not kept. At 100,000
articles reading every page's Markdown and parsing its links took 20 s of a daily update that
keeps all but a thousand pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from digest.analysis.parallel import Lookahead
from digest.store.fingerprint import UNRESOLVED, link_targets, resolved_targets
from digest.store.kept_pages import Keepable, KeptPages, kept_key
from digest.store.outputs import Written
from digest.store.page_cache import PageStore, RenderedPage, page_key
from digest.wording import counted

# Where a page lands: (path in the docs, path in the site, URL), or None when it is not one of
# the engine's generated pages.
Locate = Callable[[str], "tuple[str, str, str] | None"]


class PlannedPage(Protocol):
    """A generated page (digest.site.render.Page) as the plan reads it."""

    @property
    def path(self) -> str: ...

    @property
    def markdown(self) -> str: ...

    @property
    def key(self) -> str | None: ...


class LaterPages(Protocol):
    """Pages whose Markdown is fetched only when asked (digest.site.build_steps.GeneratedPages
    over a digest.site.render.PageFill): a page kept as written never needs it."""

    def waiting(self, path: str) -> bool:
        """Whether the page's Markdown is still to be fetched."""
        ...

    def fill(self, paths: Iterable[str]) -> Mapping[str, PlannedPage]:
        """The waiting pages among these, with their Markdown."""
        ...


class PagePlan:
    """The keys of one build's generated pages, and what became of them.

    expected: path -> (page cache key, Markdown, whether its every link resolves) of each page
    that is not kept as written (a link to no page warns when converted: such a page is never
    stored, so it warns on every build)."""

    def __init__(
        self,
        store: PageStore,
        kept_pages: KeptPages | None,
        locate: Locate,
        url_of: Callable[[str], str | None],
    ) -> None:
        self.store, self.kept_pages = store, kept_pages
        self.locate, self.url_of = locate, url_of
        self.expected: dict[str, tuple[str, str, bool]] = {}
        # {(folder, target): resolved} for this build: pages in one folder share their links.
        self._memo: dict[tuple[str, str], str] = {}

    def plan(
        self,
        pages: Sequence[PlannedPage],
        markdown_setup: str,
        shared: str,
        keepable: Callable[[PlannedPage], list[Any] | None],
        later: LaterPages | None = None,
    ) -> str | None:
        """Choose the kept pages, then key every other one and fetch their stored conversions.

        shared: what every kept page's HTML shares (the site setup); keepable: a page's own
        settings that its finished HTML depends on (title, date), None for a page that is never
        kept; later: where the Markdown of pages that have none yet comes from. Returns what
        keeping pages did, for the log (None: no page may be kept)."""
        told = None
        kept: dict[str, Any] = {}
        if self.kept_pages is not None:
            previous = self.kept_pages.previous()
            if later is not None:  # what the record cannot say of a page: from its Markdown
                unknown = [p.path for p in pages if not self._recorded(p, later, previous)]
                pages = _with(pages, later.fill(unknown))
            candidates = self._candidates(pages, shared, keepable, later, previous)
            told = self.kept_pages.choose(candidates)
            kept = self.kept_pages.kept
        if later is not None:
            pages = _with(pages, later.fill([p.path for p in pages if p.path not in kept]))
        for page in pages:
            place = self.locate(page.path) if page.path not in kept else None
            if place is None:
                continue
            src, dest, url = place
            links = resolved_targets(link_targets(page.markdown), src, self.url_of, self._memo)
            key = page_key(markdown_setup, f"{src}\0{dest}\0{url}", page.markdown, links)
            resolves = not any(link.endswith(UNRESOLVED) for link in links)
            self.expected[page.path] = (key, page.markdown, resolves)
        self.store.load(key for key, _, _ in self.expected.values())
        return told

    def _recorded(
        self, page: PlannedPage, later: LaterPages, previous: Mapping[str, Written]
    ) -> bool:
        """Whether the page has its Markdown, or the previous build recorded it with the same
        render key (the same key, the same Markdown: its hash and link targets are recorded)."""
        if not later.waiting(page.path):
            return True
        place = self.locate(page.path)
        before = previous.get(place[1]) if place is not None else None
        return before is not None and bool(before.render_key) and before.render_key == page.key

    def _candidates(
        self,
        pages: Sequence[PlannedPage],
        shared: str,
        keepable: Callable[[PlannedPage], list[Any] | None],
        later: LaterPages | None,
        previous: Mapping[str, Written],
    ) -> Iterator[Keepable]:
        for page in pages:
            own = keepable(page)
            place = self.locate(page.path) if own is not None else None
            if own is None or place is None:
                continue
            src, dest, url = place
            if later is not None and later.waiting(page.path):
                before = previous[dest]  # recorded with this render key (see _recorded)
                targets, digest = before.targets, before.markdown_digest
            else:
                targets, digest = tuple(link_targets(page.markdown)), markdown_digest(page)
            links = resolved_targets(targets, src, self.url_of, self._memo)
            key = kept_key(shared, f"{src}\0{dest}\0{url}", digest, links, own)
            yield Keepable(page.path, dest, key, targets, page.key or "", digest)

    def counts(self) -> tuple[int, int]:
        """(pages from the cache, generated pages): a page kept as written is not converted
        either, so it counts as one from the cache."""
        kept = len(self.kept_pages.kept) if self.kept_pages is not None else 0
        return self.store.hits + kept, len(self.expected) + kept


def markdown_digest(page: PlannedPage) -> str:
    """A hash of the page's Markdown: what a kept page's key holds of it."""
    return hashlib.sha256(page.markdown.encode("utf-8", "surrogatepass")).hexdigest()


def _with(pages: Sequence[PlannedPage], filled: Mapping[str, PlannedPage]) -> Sequence[PlannedPage]:
    return [filled.get(page.path, page) for page in pages] if filled else pages


@dataclass(frozen=True)
class Stored:
    """What the page cache holds for one page about to be converted: its key, its stored
    conversion (None: none yet) and whether a new conversion may be stored."""

    key: str
    rendered: RenderedPage | None
    may_store: bool


class PageCache:
    """The page cache's part in one build: plans the generated pages (PagePlan: kept as
    written, or keyed), says what each page about to be converted has in the cache, and saves
    what was stored.

    kept_pages: None when this build writes every page."""

    def __init__(self, store: PageStore, kept_pages: KeptPages | None) -> None:
        self.store, self.kept_pages = store, kept_pages
        self.plan: PagePlan | None = None
        # src path -> anchors of each page converted or restored without a warning
        self.clean: dict[str, tuple[str, ...]] = {}
        if kept_pages is not None:
            kept_pages.clean = self.clean
        self.store_conversions = False
        self._ahead: Lookahead[str, RenderedPage] | None = None

    def plan_pages(
        self,
        pages: Sequence[PlannedPage],
        setup: tuple[str, str],
        where: tuple[Locate, Callable[[str], str | None]],
        keepable: Callable[[Any], list[Any] | None],
        store_conversions: bool,
        later: LaterPages | None = None,
    ) -> str | None:
        """Key every generated page; returns what keeping pages did, for the log.

        setup: (the Markdown setup, what every kept page's HTML shares); where: the engine's
        locate and url_of (see PagePlan); store_conversions: whether the engine's conversions
        may be stored at all this build; later: see PagePlan.plan."""
        markdown_setup, shared = setup
        self.store_conversions = store_conversions
        self.plan = PagePlan(self.store, self.kept_pages, *where)
        return self.plan.plan(pages, markdown_setup, shared, keepable, later)

    def is_kept(self, src: str) -> bool:
        return self.kept_pages is not None and src in self.kept_pages.kept

    def kept_anchors(self, src: str) -> tuple[str, ...] | None:
        """The anchors of a page kept as written (None: the page is not kept)."""
        kept = self.kept_pages.kept.get(src) if self.kept_pages is not None else None
        return kept.anchors if kept is not None else None

    def stored(self, src: str, markdown: str) -> Stored | None:
        """The page's entry in the cache, or None when it has none (not a generated page, or
        another plugin rewrote its Markdown: converted as usual, and not stored)."""
        expected = self.plan.expected.get(src) if self.plan is not None else None
        if expected is None or markdown != expected[1]:
            return None
        key, _, resolves = expected
        assert self.plan is not None
        # Compared once, when the engine reads the page: its Markdown need not be held after.
        self.plan.expected[src] = (key, "", resolves)
        return Stored(key, self.store.get(key), self.store_conversions and resolves)

    def convert_ahead(
        self,
        convert: Callable[[str, str], RenderedPage | None],
        order: Iterable[str],
        workers: int,
        done: Callable[[], None],
    ) -> bool:
        """Convert, in worker processes a few chunks ahead of the engine, the pages it would
        convert and store, in the order it converts them (order: its pages' source paths;
        convert(src, markdown): the engine's conversion of one page, None when it is not to be
        stored); the engine's render step takes each (converted_ahead) or converts it itself.
        Converting is most of a cold build's page work, and the engine does it on one core.
        Whether workers started; done() is called once the engine has taken every page."""
        plan = self.plan
        if plan is None or not self.store_conversions:
            return False
        markdown: dict[str, str] = {}
        for src in order:
            key, text, resolves = plan.expected.get(src) or ("", "", False)
            if resolves and not self.is_kept(src) and not self.store.has(key):
                markdown[src] = text

        def convert_one(src: str) -> RenderedPage | None:
            return convert(src, markdown[src])

        ahead = Lookahead(convert_one, list(markdown), workers, done=done)
        # The workers have their own copy: here the Markdown goes as each page is converted.
        markdown.clear()
        self._ahead = ahead if ahead.started else None
        return ahead.started

    def converted_ahead(self, src: str) -> RenderedPage | None:
        """The page's conversion from convert_ahead (None: convert it now)."""
        return self._ahead.take(src) if self._ahead is not None else None

    def stop_converting_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None

    def finish(self) -> str | None:
        """Save the record of the written pages and the new conversions; how many pages came
        from the cache, for the log (None: no page was planned)."""
        self.stop_converting_ahead()
        if self.kept_pages is not None:
            self.kept_pages.save()
        told = None
        if self.plan is not None:
            hits, total = self.plan.counts()
            told = f"{hits} of {counted(total, 'generated page')} from the cache"
        self.store.save()
        return told
