"""One build's plan for its generated pages, for every engine: which are kept as written (see
digest.store.kept_pages) and the page cache key of every other one (see page_cache).

The engine says where each page lands (its source path, output path and URL) and what a link
leads to; everything else here is the same for any engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from digest.store.fingerprint import UNRESOLVED, resolved_links
from digest.store.kept_pages import KeptPages, kept_key
from digest.store.page_cache import PageStore, page_key

# Where a page lands: (path in the docs, path in the site, URL), or None when it is not one of
# the engine's generated pages.
Locate = Callable[[str], "tuple[str, str, str] | None"]


class PlannedPage(Protocol):
    """A generated page (digest.site.render.Page) as the plan reads it."""

    @property
    def path(self) -> str: ...

    @property
    def markdown(self) -> str: ...


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
    ) -> str | None:
        """Choose the kept pages, then key every other one and fetch their stored conversions.

        shared: what every kept page's HTML shares (the site setup); keepable: a page's own
        settings that its finished HTML depends on (title, date), None for a page that is never
        kept. Returns what keeping pages did, for the log (None: no page may be kept)."""
        told = None
        kept: dict[str, Any] = {}
        if self.kept_pages is not None:
            told = self.kept_pages.choose(self._candidates(pages, shared, keepable))
            kept = self.kept_pages.kept
        for page in pages:
            place = self.locate(page.path) if page.path not in kept else None
            if place is None:
                continue
            src, dest, url = place
            links = self._links(page.markdown, src)
            key = page_key(markdown_setup, f"{src}\0{dest}\0{url}", page.markdown, links)
            resolves = not any(link.endswith(UNRESOLVED) for link in links)
            self.expected[page.path] = (key, page.markdown, resolves)
        self.store.load(key for key, _, _ in self.expected.values())
        return told

    def _links(self, markdown: str, src: str) -> list[str]:
        return resolved_links(markdown, src, self.url_of, self._memo)

    def _candidates(
        self,
        pages: Sequence[PlannedPage],
        shared: str,
        keepable: Callable[[PlannedPage], list[Any] | None],
    ) -> Iterator[tuple[str, str, str]]:
        for page in pages:
            own = keepable(page)
            place = self.locate(page.path) if own is not None else None
            if own is None or place is None:
                continue
            src, dest, url = place
            links = self._links(page.markdown, src)
            key = kept_key(shared, f"{src}\0{dest}\0{url}", page.markdown, links, own)
            yield page.path, dest, key

    def counts(self) -> tuple[int, int]:
        """(pages from the cache, generated pages): a page kept as written is not converted
        either, so it counts as one from the cache."""
        kept = len(self.kept_pages.kept) if self.kept_pages is not None else 0
        return self.store.hits + kept, len(self.expected) + kept
