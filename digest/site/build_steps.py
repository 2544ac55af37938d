"""What an engine adapter does around its build, with no engine's objects: the settings checked
for this build, the problems told, the generated pages' titles and dates, whether unchanged
pages may be kept, the search summaries, and the search index and feeds written last.

The MkDocs plugin calls these from its events; nothing here imports a site builder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from digest.config import DigestConfig
from digest.model import Digest, DigestEntry
from digest.site.feeds import autodiscovery_links, check_site_url
from digest.site.output import update_day
from digest.site.render import Page, PageFill, article_page_path
from digest.site.search import (
    AUTO_PAGEFIND_BYTES,
    names_by_slug,
    pagefind_only,
    resolved_search,
    result_card,
    search_engine_tag,
)


class Log(Protocol):
    """Where an engine tells what a build did (a logging.Logger, or MkDocs' plugin logger)."""

    def info(self, msg: str, *args: Any) -> None: ...

    def warning(self, msg: str, *args: Any) -> None: ...

    def debug(self, msg: str, *args: Any) -> None: ...


# Plugins known to make nothing of a page they are not shown (out of search, out of nav).
# With any other plugin (or hooks) every page is written: it may read or change pages.
PAGE_LOCAL_PLUGINS = frozenset({"search", "material/search", "digest"})
# Extensions that read other files into pages (snippets, includes): a page's Markdown does not
# say everything its HTML depends on, so the page cache stays off with them.
FILE_READING_EXTENSIONS = frozenset(
    {"pymdownx.snippets", "markdown_include.include", "mdx_include", "markdown_inline_graphviz"}
)


def settings_for_build(settings: DigestConfig) -> tuple[DigestConfig, str | None]:
    """The settings with `search: auto` decided, once per build, from the content folder's
    size, and a line saying what it chose (None: search was not auto). Raises FeedError for a
    site_url the feeds cannot use."""
    resolved = resolved_search(settings)
    told = None
    if settings.search != resolved.search:
        engine = "Pagefind" if resolved.search == "pagefind" else "the theme's own index"
        told = (
            f"search: auto: articles searched through {engine} "
            f"(Pagefind from {AUTO_PAGEFIND_BYTES // 1000} KB of articles)"
        )
    if resolved.feeds:
        check_site_url(resolved.site_url)
    return resolved, told


def head_tags(settings: DigestConfig, src_path: str, use_directory_urls: bool) -> str:
    """What every page's head gets, whatever the engine: the tag telling the reader's script
    which search finds articles, and with feeds on the feed autodiscovery links."""
    tags = [search_engine_tag(settings)]
    if settings.feeds:
        tags.append(autodiscovery_links(settings, src_path, use_directory_urls))
    return "\n".join(tag for tag in tags if tag)


def report_problems(digest: Digest, content_dir: Path, log: Log) -> None:
    """Each file that was skipped, or read with a warning or a note, as the engine tells it
    (`--strict` fails on a warning)."""
    for problem in digest.problems:
        where = content_dir / problem.path
        if problem.outcome in ("excluded", "note"):
            log.info("%s: %s", where, problem.message)
        elif problem.outcome == "warning":
            log.warning("%s: %s", where, problem.message)
        else:
            log.warning("%s: skipped: %s", where, problem.message)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def why_not_keep_pages(settings: DigestConfig, plugins: Iterable[str], hooks: bool) -> str | None:
    """Why this build writes every page (None: it may keep unchanged ones)."""
    if settings.search != "pagefind":
        return "the theme's search indexes every page (search: material, or auto on a small digest)"
    others = sorted(set(plugins) - PAGE_LOCAL_PLUGINS)
    if others:
        return f"plugin {others[0]!r} may read or change any page"
    if hooks:
        return "hooks may read or change any page"
    return None


def file_reading(extensions: Iterable[str]) -> list[str]:
    """The extensions among these that pull other files into pages (which ones is not known
    before converting): the page cache stays off with any of them."""
    return sorted(FILE_READING_EXTENSIONS & set(map(str, extensions)))


class GeneratedPages:
    """One build's generated pages by their path in the docs: title, date, the article each
    article page was made from, and what a page kept as written depends on."""

    def __init__(
        self, digest: Digest, pages: Sequence[Page], later: PageFill | None = None
    ) -> None:
        """later: where the Markdown of the pages that have none yet comes from (see
        render_later)."""
        self.digest, self.pages = digest, tuple(pages)
        self.by_path = {page.path: page for page in pages}
        self.dates: dict[str, datetime] = {p.path: p.updated for p in pages if p.updated}
        # src_uri of each article page -> the entry it was made from
        self.sources = {article_page_path(e.article.slug): e for e in digest.entries}
        self._later = later
        # The pages given their Markdown by fill: until then the engine had them empty.
        self.filled: set[str] = set()
        # Read once: asked for each of 120,000 pages (twice), a lookup of the environment
        # cost 2.9 s of a 100,000-article update.
        self._fixed_date = os.environ.get("SOURCE_DATE_EPOCH")

    def page(self, src: str) -> Page | None:
        return self.by_path.get(src)

    def waiting(self, path: str) -> bool:
        """Whether the page's Markdown is still to be fetched (its Page has none yet)."""
        return self._later is not None and self._later.waiting(path)

    def stop_filling(self) -> None:
        """No page is filled after the plan: what renders the kept ones (a context per page)
        is let go."""
        self._later = None

    def fill(self, paths: Iterable[str]) -> dict[str, Page]:
        """The waiting pages among these, with their Markdown (and so from now on)."""
        filled = self._later.fill(paths) if self._later is not None else {}
        if filled:
            self.filled.update(filled)
            self.by_path.update(filled)
            self.pages = tuple(self.by_path[page.path] for page in self.pages)
        return filled

    def forget_markdown(self) -> None:
        """Let go of the pages' Markdown once the engine has it (and the plan its keys): only
        titles, dates and articles are asked for after that, and at 100,000 articles the
        Markdown of every page is half a gigabyte."""
        # (A kept page never had any: dataclasses.replace of 120,000 pages took seconds.)
        self.pages = tuple(
            replace(page, markdown="") if page.markdown else page for page in self.pages
        )
        self.by_path = {page.path: page for page in self.pages}

    def entry(self, src: str) -> DigestEntry | None:
        return self.sources.get(src)

    def update_date(self, src: str) -> str | None:
        # Engines date every page with today's date (sitemap.xml lastmod, the mtime inside
        # sitemap.xml.gz); the content's own dates keep rebuilds byte-identical.
        if self._fixed_date:
            return None
        return update_day(self.dates.get(src, self.digest.updated))

    def keepable(self, page: Page) -> list[Any] | None:
        """What a page kept as written depends on besides its Markdown, location and links
        (None: never kept). Out of the navigation and the theme's search, that is its title and
        the date the engine gives it (SOURCE_DATE_EPOCH's when that is set)."""
        if not pagefind_only(page.path):
            return None
        return [page.title, self.update_date(page.path), self._fixed_date]


def article_cards(
    digest: Digest, settings: DigestConfig, url_of: Callable[[str], str | None]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """({article page URL: its search result card}, {article source path: its page URL}) of the
    articles whose page the engine publishes (url_of: a generated page's URL, None if none)."""
    summaries = {}
    urls = {}
    names = names_by_slug(settings)
    for entry in digest.entries:
        url = url_of(article_page_path(entry.article.slug))
        if url is not None:
            summaries[url] = result_card(entry, names)
            urls[entry.article.source_path] = url
    return summaries, urls
