"""One build of the digest's site, whatever engine runs it (see digest.mkdocs.plugin).

An engine adapter makes one DigestBuild per build and calls it from its own events: it opens
the page cache and the kept pages, moves the old site's pages aside and brings them back, makes
the digest and its pages, freezes the collector while the engine renders, and ends with the
search index and the feeds. What only the engine knows (where its pages land, how it converts
them, what its log says) stays in the adapter.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial
from pathlib import Path
from typing import Any

from digest.config import DigestConfig
from digest.memory import give_back_free_memory
from digest.model import Digest
from digest.site.build_steps import (
    GeneratedPages,
    Log,
    article_cards,
    file_reading,
    report_problems,
    why_not_keep_pages,
)
from digest.site.output import (
    page_meta,
    plain_text_html,
    summaries_json,
    write_feed_files,
    write_search_index,
)
from digest.site.render import PageRenderer, render_later
from digest.site.search import SearchBundle, pagefind_only
from digest.store.collector import paused_collector
from digest.store.history import record_build
from digest.store.kept_pages import KeptPages
from digest.store.page_cache import PageStore, RenderedPage
from digest.store.page_plan import Locate, PageCache
from digest.store.set_aside import SetAside
from digest.wording import counted

# Pages set aside between each return of free memory to the system (see digest.memory).
GIVE_BACK_EVERY = 1000

# Where an engine puts pages (see PagePlan): its locate and url_of.
Where = tuple[Locate, Callable[[str], "str | None"]]
# What an engine says of its pages for DigestBuild.plan_pages: (the Markdown setup, what every
# kept page's HTML shares), where, whether conversions may be stored, and set_markdown(path,
# markdown), how a page's Markdown reaches the engine's file for it.
Places = tuple[tuple[str, str], Where, bool, Callable[[str, str], None]]


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
        # The filter hiding the engine's line for each kept page, and the loggers it is on.
        self._quiet: tuple[logging.Filter, Sequence[str]] | None = None
        # Pages' HTML between converting and writing them (see html_set_aside).
        self._aside = SetAside(settings.cache_dir)

    @property
    def kept_pages(self) -> KeptPages | None:
        return self.page_cache.kept_pages if self.page_cache is not None else None

    def open_page_cache(
        self, enabled: bool, site: Path, live: Path | None, plugins: Iterable[str], hooks: bool
    ) -> bool:
        """Open the page cache (when enabled, with a cache folder) and, unless a plugin, hooks
        or the theme's search may read every page (see why_not_keep_pages), the kept pages;
        whether this build may keep pages.

        site: the folder the engine writes; live: the published site pages are kept from."""
        self.page_cache = None
        cache_dir = self.settings.cache_dir
        if not enabled or cache_dir is None:
            return False
        # Memory between builds only helps `mkdocs serve`; a build would hold every page twice.
        store = PageStore(cache_dir, use_memory=self.serving)
        not_keeping = why_not_keep_pages(self.settings, plugins, hooks)
        if not_keeping is not None:
            self.log.debug("every page is written: %s", not_keeping)
            self.page_cache = PageCache(store, None)
            return False
        self.page_cache = PageCache(store, KeptPages(cache_dir, site, live, self.serving))
        return True

    def is_kept(self, src: str) -> bool:
        """Whether the page at this source path is kept as written (not converted, not written)."""
        return self.page_cache is not None and self.page_cache.is_kept(src)

    def quiet_kept_pages(
        self, loggers: Sequence[str], function: str, current: Callable[[], str | None]
    ) -> None:
        """Until the build ends, hide what the engine's function says at INFO about a kept page
        (current: the source path of the page being built, None between pages)."""
        quiet = QuietKeptPages(function, current, self.is_kept)
        for name in loggers:
            logging.getLogger(name).addFilter(quiet)
        self._quiet = (quiet, loggers)

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
        with paused_collector():  # a snapshot of every article: many objects, no garbage
            changes = record_build(self.digest, self.settings.cache_dir, write=not self.serving)
        if self.kept_pages is not None:  # a kept page needs no Markdown: fetched when planned
            pages, later = render_later(self.settings, self.digest, changes)
        else:
            pages, later = PageRenderer(self.settings).render(self.digest, changes), None
        give_back_free_memory()  # what rendering every page's template left free
        self.generated = GeneratedPages(self.digest, pages, later)
        # The digest (articles, entries, pages) lives until the build ends. Left in the
        # collector's generations, every full collection walks all of it again while the
        # engine makes its files, plans and renders its pages: at 10,000 articles that cost
        # 10-15% of the build. Frozen, it is skipped; end (at the end of the build, or on an
        # error) hands it back.
        if not self._frozen:
            gc.freeze()
            self._frozen = True
        return self.generated

    def page_cache_off(self, why: str) -> None:
        """No page is kept or served from the cache this build (why: for the log)."""
        if self.page_cache is None:
            return
        self.log.info("page cache off: %s", why)
        if self.kept_pages is not None:
            self.kept_pages.choose([])  # the previous site's pages go: all are written
        self.page_cache = None

    def avoid_file_reading(self, extensions: Iterable[str]) -> None:
        """With the engine's Markdown extensions final: the page cache goes off if any of them
        pulls other files into pages (which ones is not known before converting)."""
        unsafe = file_reading(extensions)
        if unsafe:
            self.page_cache_off(f"{', '.join(unsafe)} reads files into pages")

    def page_settings(self, src: str) -> tuple[dict[str, Any], str | None]:
        """A page's settings (for a generated page, page_meta: its escaped title, out of the
        theme's search or not) and the date the engine gives it (None: the engine's own)."""
        generated = self.generated
        if generated is None:
            return {}, None
        page = generated.page(src)
        meta = page_meta(self.settings, page, quote=True) if page is not None else {}
        return meta, generated.update_date(src)

    def page_failed(self, src: str, error: Exception) -> str:
        """An article's page could not be converted: a warning naming the article's file (the
        rest builds), and the page's HTML as plain escaped paragraphs instead."""
        assert self.generated is not None
        entry = self.generated.entry(src)
        assert entry is not None
        self.log.warning(
            "%s: its page %s could not be converted (%s: %s); published as plain text",
            self.settings.content_dir / entry.article.source_path,
            src,
            type(error).__name__,
            error,
        )
        return plain_text_html(entry)

    def summaries(self, url_of: Callable[[str], str | None]) -> str:
        """The search summaries file of the articles whose page the engine publishes (url_of: a
        generated page's URL, None if none); their URLs are kept for the search index."""
        assert self.generated is not None
        cards, self.article_urls = article_cards(self.generated.digest, self.settings, url_of)
        return summaries_json(cards)

    def watched_folders(self) -> list[Path]:
        """What `serve` watches besides the docs folder: the articles, and the templates."""
        templates = self.settings.templates_dir
        extra = [templates] if templates is not None and templates.is_dir() else []
        return [self.settings.content_dir, *extra]

    def plan_pages(self, places: Callable[[bool], Places]) -> None:
        """Key every generated page where the engine places it and choose the kept ones, when
        the page cache is on; what keeping pages did goes to the log. Every page not kept gets
        its Markdown (set_markdown: the engine's, for a page it has had with none so far).
        places(keeping): the engine's (setup, where, store_conversions, set_markdown) for
        PageCache.plan_pages, keeping: whether pages may be kept."""
        generated = self.generated
        if generated is None:
            return
        setup, where, store_conversions, set_markdown = places(self.kept_pages is not None)
        if self.page_cache is None:
            generated.fill(page.path for page in generated.pages)
        else:
            told = self.page_cache.plan_pages(
                generated.pages, setup, where, generated.keepable, store_conversions, generated
            )
            if told is not None:
                self.log.info(told)
        generated.stop_filling()
        for path in generated.filled:  # the engine has had empty Markdown for them so far
            set_markdown(path, generated.by_path[path].markdown)

    def is_article(self, src: str) -> bool:
        """Whether the page at this source path is an article's page."""
        return self.generated is not None and self.generated.entry(src) is not None

    def start_rendering(
        self, site: Path, convert: tuple[Callable[[str, str], RenderedPage | None], list[str]]
    ) -> None:
        """The engine is about to render its pages into site, the kept pages in place: worker
        processes start converting the pages the engine will convert (convert: its conversion
        of a page, and its pages in the order it converts them; see
        PageCache.convert_ahead), and the search index starts."""
        if self.generated is not None:
            self.generated.forget_markdown()
        if self._frozen:
            # The engine's files and navigation (at 100,000 articles 240,000 objects, a File
            # and a Page for each page) live until the end too: frozen with the digest.
            gc.freeze()
        # The workers are forked before the search index's thread starts, and the index
        # waits for them: they and Pagefind would share the cores while the engine, on one,
        # has its pages' theme left to render once they are done.
        index = partial(self.index_search, site)
        if self.page_cache is None or not self.page_cache.convert_ahead(
            *convert, self.settings.workers, index
        ):
            index()

    def html_set_aside(self, src: str, html: str) -> str:
        """A converted page's HTML kept out of memory until the engine writes the page
        (html_back), for the pages only Pagefind searches (articles, stories, months): MkDocs
        converts every page before it writes any, and held all their HTML in between (at
        20,000 articles 305 MiB of the peak). What the engine holds meanwhile."""
        if not html or not pagefind_only(src):
            return html
        self._aside.put(src, html)
        if len(self._aside) % GIVE_BACK_EVERY == 0:  # the HTML that came and went meanwhile
            give_back_free_memory()
        return ""

    def html_back(self, src: str, html: str) -> str:
        """The HTML set aside for the page (html when there is none)."""
        found = self._aside.take(src)
        return found if found is not None else html

    def end(self) -> None:
        self._aside.close()
        if self.page_cache is not None:
            self.page_cache.stop_converting_ahead()
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
        if self._quiet is not None:
            quiet, loggers = self._quiet
            for name in loggers:
                logging.getLogger(name).removeFilter(quiet)
            self._quiet = None

    def index_search(self, site: Path) -> None:
        """Start indexing the articles for search (when the site searches them with Pagefind)
        into site, while the engine renders its pages; finish() waits for it.

        The index needs only the digest and the articles' URLs (known once the engine has its
        files), and Pagefind runs as a process of its own: on two cores it indexes beside the
        engine's rendering instead of after it. Nothing else may write site/pagefind from now
        on: the engine has emptied its site folder, and the kept pages (the old bundle among
        them, whose shards are reused) are in place."""
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
        # The record of every page and the feeds make many objects and no garbage; the whole
        # build is back in the collector now, which each full collection would walk.
        with paused_collector():
            self._finish(site, use_directory_urls)

    def _finish(self, site: Path, use_directory_urls: bool) -> None:
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


class QuietKeptPages(logging.Filter):
    """An engine says at INFO, for each page it does not write, that it skipped it (MkDocs:
    "Page skipped ... Generated empty output", its only info line while building a page): for
    the kept pages that is the point, not news (thousands of lines a build). Told by the
    function that says it and the page being built, never by the text."""

    def __init__(
        self, function: str, current: Callable[[], str | None], is_kept: Callable[[str], bool]
    ) -> None:
        super().__init__()
        self.function, self.current, self.is_kept = function, current, is_kept

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.funcName != self.function:
            return True
        src = self.current()
        return src is None or not self.is_kept(src)
