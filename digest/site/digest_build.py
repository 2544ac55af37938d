"""One build of the digest's site, whatever engine runs it (see digest.mkdocs.plugin).

An engine adapter makes one DigestBuild per build and calls it from its own events: it opens
the page cache and the kept pages, moves the old site's pages aside and brings them back, makes
the digest and its pages, freezes the collector while the engine renders, and ends with the
search index and the feeds. What only the engine knows (where its pages land, how it converts
them, what its log says) stays in the adapter.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from digest.config import DigestConfig
from digest.model import Digest
from digest.site.build_steps import GeneratedPages, Log, report_problems
from digest.site.output import write_feed_files, write_search_index
from digest.site.render import PageRenderer
from digest.site.search import SearchBundle
from digest.store.history import record_build
from digest.store.kept_pages import KeptPages
from digest.store.page_cache import PageStore
from digest.store.page_plan import PageCache
from digest.wording import counted


class DigestBuild:
    """One build's digest, generated pages, page cache and kept pages."""

    def __init__(self, settings: DigestConfig, serving: bool, log: Log) -> None:
        self.settings, self.log = settings, log
        # `mkdocs serve` previews: they do not count as builds for "what's new".
        self.serving = serving
        self.digest: Digest | None = None
        # This build's generated pages, their titles, dates and articles (set by make_pages).
        self.generated: GeneratedPages | None = None
        # Generated pages' HTML from earlier builds (None: page_cache off or no cache_dir).
        self.page_cache: PageCache | None = None
        # source_path of each article -> its page's URL (the search records' URLs)
        self.article_urls: dict[str, str] = {}
        # Whether this build froze the GC.
        self._frozen = False
        # The search index being written beside the engine's rendering (see index_search).
        self._search: Future[tuple[SearchBundle, int, float]] | None = None

    @property
    def kept_pages(self) -> KeptPages | None:
        return self.page_cache.kept_pages if self.page_cache is not None else None

    def open_page_cache(
        self, enabled: bool, site: Path, live: Path | None, not_keeping: str | None
    ) -> bool:
        """Open the page cache (when enabled, with a cache folder) and, unless not_keeping says
        why every page is written, the kept pages; whether this build may keep pages.

        site: the folder the engine writes; live: the published site pages are kept from."""
        self.page_cache = None
        cache_dir = self.settings.cache_dir
        if not enabled or cache_dir is None:
            return False
        # Memory between builds only helps `mkdocs serve`; a build would hold every page twice.
        store = PageStore(cache_dir, use_memory=self.serving)
        if not_keeping is not None:
            self.log.debug("every page is written: %s", not_keeping)
            self.page_cache = PageCache(store, None)
            return False
        self.page_cache = PageCache(store, KeptPages(cache_dir, site, live, self.serving))
        return True

    def move_aside(self) -> None:
        """Before the engine empties its site folder: the pages this build may keep go aside."""
        if self.kept_pages is not None:
            self._all_written(self.kept_pages.move_aside())

    def bring_back(self) -> None:
        """Before anything is written: the pages moved aside come back."""
        if self.kept_pages is not None:
            self._all_written(self.kept_pages.bring_back())

    def _all_written(self, why: str | None) -> None:
        if why is not None:
            self.log.info("every page is written: %s", why)

    def make_pages(self, analyse: Callable[[DigestConfig], tuple[Digest, str]]) -> GeneratedPages:
        """Make the digest (analyse: the pipeline, with its line for the log), tell its
        problems, and render its pages. Raises ValueError (from the pipeline) or
        TemplateProblem."""
        self.digest, told = analyse(self.settings)
        self.log.info(told)
        report_problems(self.digest, self.settings.content_dir, self.log)
        changes = record_build(self.digest, self.settings.cache_dir, write=not self.serving)
        pages = PageRenderer(self.settings).render(self.digest, changes)
        self.generated = GeneratedPages(self.digest, pages)
        return self.generated

    def page_cache_off(self, why: str) -> None:
        """No page is kept or served from the cache this build (why: for the log)."""
        if self.page_cache is None:
            return
        self.log.info("page cache off: %s", why)
        if self.kept_pages is not None:
            self.kept_pages.choose([])  # the previous site's pages go: all are written
        self.page_cache = None

    def freeze(self) -> None:
        # The digest (articles, entries, pages) lives until the build ends. Left in the
        # collector's generations, every full collection walks all of it again while the
        # engine renders pages: at 10,000 articles that cost 10-15% of the build. Frozen, it
        # is skipped; end (at the end of the build, or on an error) hands it back.
        if not self._frozen:
            gc.freeze()
            self._frozen = True

    def end(self) -> None:
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def index_search(self, site: Path) -> None:
        """Start indexing the articles for search (when the site searches them with Pagefind)
        into site, while the engine renders its pages; finish() waits for it.

        The index needs only the digest and the articles' URLs (known once the engine has its
        files), and Pagefind runs as a process of its own: on two cores it indexes beside the
        engine's rendering instead of after it. The engine must have emptied its site folder
        already (Pagefind writes site/pagefind)."""
        digest, settings = self.digest, self.settings
        if digest is None or settings.search != "pagefind" or self._search is not None:
            return
        urls = dict(self.article_urls)
        pool = ThreadPoolExecutor(1, thread_name_prefix="digest-search")
        self._search = pool.submit(write_search_index, digest, settings, site, urls)
        pool.shutdown(wait=False)  # its one thread ends with the task

    def failed(self) -> None:
        """The build failed: if it did before the kept pages came back, the old site goes back."""
        self.end()
        if self._search is not None:
            # Nothing may write into the site folder once the build has given up on it.
            wait([self._search])
        if self.kept_pages is not None:
            self.kept_pages.bring_back_after_error()

    def finish(self, site: Path, use_directory_urls: bool) -> None:
        """Save what the page cache and kept pages learnt, then write the search index and the
        feeds into the built site. Raises FeedError or SearchIndexError."""
        self.end()
        if self.page_cache is not None:
            told = self.page_cache.finish()
            if told is not None:
                self.log.info(told)
        digest, settings = self.digest, self.settings
        if digest is None:
            return
        if settings.search == "pagefind":
            if self._search is None:
                self.index_search(site)
            assert self._search is not None
            bundle, count, seconds = self._search.result()
            # The time goes to the log only (benchmarks/search.py reads it), never the site.
            self.log.info(
                "search: %s indexed by Pagefind in %.1f s (%s)",
                counted(count, "article"),
                seconds,
                bundle.describe(),
            )
        if settings.feeds:
            written = write_feed_files(digest, settings, site, use_directory_urls)
            self.log.debug("wrote %s", counted(len(written), "feed file"))
