"""The MkDocs plugin: a thin adapter from MkDocs events to the plain-Python pipeline.

This is the only module that imports MkDocs. It turns the plugin's options into a DigestConfig,
runs the pipeline, adds the rendered pages as generated files, and reports every problem
with the file it concerns (``mkdocs build --strict`` turns those warnings into a failure).
"""

from __future__ import annotations

import gc
import hashlib
import html
import importlib
import json
import logging
import os
import posixpath
import re
import shutil
import tempfile
import time
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.toc import AnchorLink, TableOfContents

from digest import __version__
from digest.analysis.parallel import progress_bar
from digest.analysis.stories import listed_once
from digest.config import ConfigError, DigestConfig, check_option_names, config_from_mapping
from digest.model import Digest, DigestEntry
from digest.pipeline import build_digest, cached_analysis
from digest.site.feeds import (
    FeedError,
    autodiscovery_links,
    build_feeds,
    check_site_url,
    sitemap_stubs,
    write_feeds,
)
from digest.site.output import (
    ASSETS,
    SCRIPT,
    STYLESHEET,
    SUMMARIES,
    insert_in_head,
    shipped_asset,
    site_nav,
    summaries_json,
)
from digest.site.render import Page, PageRenderer, TemplateProblem, article_page_path
from digest.site.search import (
    AUTO_PAGEFIND_BYTES,
    SearchIndexError,
    digest_records,
    names_by_slug,
    pagefind_only,
    resolved_search,
    result_card,
    search_engine_tag,
    shard_cache,
    write_pagefind,
)
from digest.store.history import record_build
from digest.store.outputs import (
    Written,
    clear_all_but,
    load_record,
    record_path,
    save_record,
    still_there,
    written,
)
from digest.store.page_cache import PageStore, RenderedPage, TocEntry, is_reserved_id, page_key
from digest.wording import counted

log = get_plugin_logger(__name__)
# The reader's stylesheet and script (digest.site.output, shared with the other engines) are
# emitted as generated files, so users need not copy them; a docs/ file at the same path
# replaces one.
_D = DigestConfig


class _Checked(c.Type):
    """An option MkDocs passes through as written: digest.config checks it, so a bad value
    gets the same message (naming the option) and exit code 2 from `mkdocs build` as from
    `digest check`, rather than MkDocs' own schema error (exit 1) for some values only."""

    def __init__(self, default: Any = None) -> None:
        super().__init__(object, default=default)


class DigestConfigError(ConfigurationError):
    """A bad digest option or environment value: `mkdocs build` exits 2, as `digest` does."""

    exit_code = 2


class DigestPluginConfig(base.Config):
    """Options of the `digest` plugin in mkdocs.yml (each is checked by digest.config)."""

    content_dir = _Checked(default=str(_D.content_dir))
    """Folder of articles (.txt and .md), relative to mkdocs.yml."""
    templates_dir = _Checked(default=str(_D.templates_dir))
    """Folder whose Jinja2 templates override the built-in ones of the same name."""
    topics = _Checked(default=[])
    """The topics that group the digest; an article can be in several. Each has a `name`, and
    optionally `slug`, `description`, `keywords`, `exclude` (phrases in which a topic word
    means something else, e.g. `interfering in Venezuela`) and `context` (the topic's
    vocabulary: a lone keyword counts only with some of these, e.g. `Russia`, `FBI`)."""
    topic_threshold = _Checked(default=_D.topic_threshold)
    """Share of an article's sentences that must be about a topic for it to join the topic."""
    topic_mode = _Checked(default=_D.topic_mode)
    """`passages`: an article joins every topic enough of it is about; `sections`: each article
    joins its one best topic, learned from the corpus (like a newspaper's sections)."""
    topic_suggestions = _Checked(default=_D.topic_suggestions)
    """How many candidate topics the Other page suggests from the articles it lists (0: none)."""
    timezone = _Checked(default=_D.timezone)
    """IANA time zone for dates written without one (e.g. `Europe/Berlin`)."""
    summarizer = _Checked(default=_D.summarizer)
    """`digest` (default), `lead`, or a sumy algorithm: lexrank, textrank, lsa, luhn,
    edmundson, sumbasic, klsum, reduction."""
    summary_sentences = _Checked(default=_D.summary_sentences)
    """Sentences in an article's summary."""
    summary_words = c.Optional(_Checked())
    """A word budget for the summary instead of a sentence count."""
    topic_summary_sentences = _Checked(default=_D.topic_summary_sentences)
    """Sentences in an article's summary on a topic page (drawn from the part about the topic)."""
    feeds = _Checked(default=_D.feeds)
    """Write RSS, Atom and JSON feeds (whole digest and per topic), OPML and a Subscribe page.
    Needs `site_url`, since every link in a feed is absolute."""
    feed_items = _Checked(default=_D.feed_items)
    """Number of newest articles in each feed."""
    page_size = _Checked(default=_D.page_size)
    """Stories per topic page before the next page starts."""
    home_items_per_topic = _Checked(default=_D.home_items_per_topic)
    """Stories per topic on the home page."""
    cache_dir = c.Optional(_Checked())
    """Where summaries are cached between builds, relative to mkdocs.yml (`.digest-cache`)."""
    workers = _Checked(default=_D.workers)
    """Processes that summarize in parallel; 0 means one per core."""
    progress = _Checked(default=False)
    """Show a progress bar while summarizing many articles (also with `DIGEST_PROGRESS=1`;
    `digest build` always shows one)."""
    include_drafts = _Checked(default=_D.include_drafts)
    """Publish articles whose front matter says `draft: true`."""
    boilerplate = _Checked(default=[])
    """Regular expressions for page furniture of your sources ("^Subscribe to"): a paragraph or
    sentence one matches is shown muted and left out of summaries and topics."""
    sources = _Checked(default=[])
    """Feeds, sitemaps and pages `digest fetch` writes articles from (the build never fetches):
    each has a `name` and one of `feed`, `sitemap` or `urls`, and optionally `slug`, `topics`,
    `max_items`, `include`, `exclude`, `allow_private`, `delay`, `timeout` and `max_bytes`."""
    stories = _Checked(default={})
    """How articles about the same event, from several outlets, are grouped into stories:
    `threshold` (least likeness, 0 to 1, for an article to join a story; higher splits more)
    and `window_days` (an article joins only stories with an article this many days before)."""
    search = _Checked(default=_D.search)
    """`pagefind`: articles are searched through a Pagefind index the reader fetches in small
    parts per query, written into the site's pagefind/ folder; `material`: the theme's search
    plugin alone (one file with every page's text, downloaded on the first visit); `auto`
    (default): `material` while the content folder holds under 100 KB of articles (about 20 of
    800 words), where its one small file gives the first result sooner, `pagefind` from there
    on (and with it the results' topic and month menus)."""
    page_cache = _Checked(default=True)
    """Keep the generated pages' converted HTML in the cache folder: a rebuild converts only
    the pages whose Markdown, links or Markdown setup changed, and leaves the pages that cannot
    have changed in the site folder as they are (not rendered, not written)."""


def digest_config(plugin_config: DigestPluginConfig, config: MkDocsConfig) -> DigestConfig:
    """The pipeline's settings from the plugin's options and the site's own."""
    base_dir = Path(config.config_file_path or ".").resolve().parent
    options: dict[str, Any] = {k: plugin_config[k] for k in plugin_config}
    options["cache_dir"] = plugin_config.cache_dir or str(_D.cache_dir)
    try:
        return config_from_mapping(
            options,
            base_dir,
            docs_dir=Path(config.docs_dir),
            site_dir=Path(config.site_dir),
            site_name=config.site_name,
            site_url=config.site_url or None,
            site_description=config.site_description or "",
            language=(config.theme.get("language") or _D.language),
        )
    except (ConfigError, ValueError) as error:
        raise DigestConfigError(f"{config.config_file_path}: digest plugin: {error}") from None


class DigestPlugin(BasePlugin[DigestPluginConfig]):
    """Builds the digest's pages (and feeds) into a MkDocs site."""

    def __init__(self) -> None:
        self.settings: DigestConfig | None = None
        self.digest: Digest | None = None
        self.pages: tuple[Page, ...] = ()
        self._titles: dict[str, str] = {}
        self._dates: dict[str, datetime] = {}
        # `mkdocs serve` previews: they do not count as builds for "what's new".
        self.serving = False
        # Set by `digest build` (build_site); mkdocs build stays quiet unless asked.
        self.show_progress = False
        # Generated pages' HTML from earlier builds (None: page_cache off or no cache_dir).
        self.page_store: PageStore | None = None
        self._markdown_setup = ""
        # src_uri -> (key, Markdown) of each generated page, as the digest made it
        self._expected: dict[str, tuple[str, str]] = {}
        self._warnings = _WarningCounter()
        # Whether this build may store conversions (see on_nav), and whether it froze the GC.
        self._store_conversions = False
        self._frozen = False
        self._link_memo: dict[tuple[str, str], str] = {}
        # src_uri of each article page -> the entry it was made from
        self._sources: dict[str, DigestEntry] = {}
        # source_path of each article -> its page's URL (the search records' URLs)
        self._article_urls: dict[str, str] = {}
        # Pages kept from the previous build as they are (see _choose_kept_pages):
        # why not (None: they may be), src_uri -> how the kept file was written, and
        # src_uri -> (dest_uri, key) of every page that may be kept by the next build.
        self._not_keeping: str | None = "not configured yet"
        self._kept: dict[str, Written] = {}
        self._keepable: dict[str, tuple[str, str]] = {}
        # src_uri -> anchors of each page whose conversion said nothing (a warning must be
        # seen again on the next build, so a page that gave one is never kept)
        self._clean: dict[str, tuple[str, ...]] = {}
        self._stash: Path | None = None
        self._record_file: Path | None = None
        self._quiet = _KeptPagesQuiet(self._kept)
        # `digest build` builds into a new folder that replaces this one, the live site: the
        # one to keep pages from.
        self.final_site: Path | None = None

    def load_config(
        self, options: dict[str, Any], config_file_path: str | None = None
    ) -> tuple[base.ConfigErrors, base.ConfigWarnings]:
        # MkDocs only warns about an unknown option, and under --strict stops on that warning
        # (exit 1) before on_config runs: the names are checked first, so a misspelt one gets
        # the name it resembles and exit 2 from `mkdocs build --strict` too.
        try:
            check_option_names(options)
        except ConfigError as error:
            raise DigestConfigError(f"{config_file_path}: digest plugin: {error}") from None
        return super().load_config(options, config_file_path)

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # `search: auto` is decided here, once per build, from the content folder's size.
        settings = digest_config(self.config, config)
        self.settings = resolved_search(settings)
        if settings.search != self.settings.search:
            log.info(
                "search: auto: articles searched through %s (Pagefind from %d KB of articles)",
                "Pagefind" if self.settings.search == "pagefind" else "the theme's own index",
                AUTO_PAGEFIND_BYTES // 1000,
            )
        if self.settings.feeds:
            try:
                check_site_url(self.settings.site_url)
            except FeedError as error:
                raise DigestConfigError(
                    f"{config.config_file_path}: digest plugin: {error}"
                ) from None
        _keep_heading_ids_out_of_reserved_names(config)
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if SCRIPT not in [str(script) for script in config.extra_javascript]:
            config.extra_javascript.append(SCRIPT)
        config.nav = site_nav(self.settings, list(config.nav or []))
        self.page_store = None
        if self.config.page_cache and self.settings.cache_dir is not None:
            # Memory between builds only helps `mkdocs serve`; a build would hold every page twice.
            self.page_store = PageStore(self.settings.cache_dir, use_memory=self.serving)
        self._expected = {}
        self._link_memo = {}
        self._warnings.attach()
        self._not_keeping = _why_not_keep_pages(self.config, self.settings, config)
        if self.page_store is None:
            self._not_keeping = "the page cache is off"
        self._kept.clear()
        self._keepable = {}
        self._clean = {}
        self._record_file = None
        if self._not_keeping is None:
            kept_template = str(Path(__file__).parent / "templates")
            if kept_template not in config.theme.dirs:  # on_config runs on every serve rebuild
                config.theme.dirs.append(kept_template)
            for name in _BUILD_LOGGERS:
                logging.getLogger(name).addFilter(self._quiet)
        else:
            log.debug("every page is written: %s", self._not_keeping)
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # MkDocs empties the site folder right after this event; the pages this build may keep
        # are moved aside first and brought back in on_files, before anything is written.
        self._stash = None
        if self._not_keeping is not None or self.final_site is not None:
            return
        site = Path(config.site_dir)
        stash = site.with_name(f".{site.name}.digest-previous")
        try:
            if stash.is_dir() and not stash.is_symlink():
                if site.exists():  # left by a killed build: the site folder is newer
                    shutil.rmtree(stash)
                else:  # killed between moving the site aside and back
                    os.rename(stash, site)
            if site.is_dir() and not site.is_symlink():
                os.rename(site, stash)
                self._stash = stash
        except OSError as error:
            log.info("every page is written: the site folder cannot be moved aside (%s)", error)

    def _unstash(self, config: MkDocsConfig) -> None:
        stash, self._stash = self._stash, None
        if stash is None:
            return
        site = Path(config.site_dir)
        try:
            if site.is_dir() and not site.is_symlink() and not any(site.iterdir()):
                site.rmdir()
            os.rename(stash, site)
        except OSError as error:
            log.info("every page is written: the previous site cannot be put back (%s)", error)
            shutil.rmtree(stash, ignore_errors=True)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.settings is not None
        self._unstash(config)
        if not self.settings.content_dir.is_dir():
            raise PluginError(f"{self.settings.content_dir}: content folder does not exist")
        show = self.show_progress or self.config.progress or _env_flag("DIGEST_PROGRESS")
        try:
            with progress_bar() as progress:
                analysis = cached_analysis(self.settings, progress if show else None)
                self.digest = build_digest(self.settings, analysis)
        except ValueError as error:
            raise PluginError(f"{config.config_file_path}: {error}") from None
        stats = getattr(analysis, "stats", None)
        if stats is not None:
            log.info(
                "%s: %d summarized, %d from the cache",
                counted(stats.articles, "article"),
                stats.analysed,
                stats.from_memory + stats.from_file,
            )
        for problem in self.digest.problems:
            where = self.settings.content_dir / problem.path
            if problem.outcome in ("excluded", "note"):
                log.info("%s: %s", where, problem.message)
            elif problem.outcome == "warning":
                log.warning("%s: %s", where, problem.message)
            else:
                log.warning("%s: skipped: %s", where, problem.message)
        changes = record_build(self.digest, self.settings.cache_dir, write=not self.serving)
        try:
            self.pages = PageRenderer(self.settings).render(self.digest, changes)
            self._titles = {page.path: page.title for page in self.pages}
            self._dates = {page.path: page.updated for page in self.pages if page.updated}
            self._sources = {article_page_path(e.article.slug): e for e in self.digest.entries}
        except TemplateProblem as error:
            raise PluginError(f"digest template {error}") from None
        for asset in ASSETS:
            if files.get_file_from_path(asset) is None:
                files.append(File.generated(config, asset, content=shipped_asset(asset)))
        for page in self.pages:
            existing = files.get_file_from_path(page.path)
            if existing is not None and not existing.generated_by:
                raise PluginError(
                    f"{existing.abs_src_path}: conflicts with the digest's generated page "
                    f"{page.path}; rename or remove it"
                )
            if existing is not None:
                files.remove(existing)
            inclusion = (
                InclusionLevel.NOT_IN_NAV
                if page.path.startswith(("articles/", "stories/", "archive/2", "archive/1"))
                or "/page-" in page.path
                else InclusionLevel.UNDEFINED
            )
            files.append(
                File.generated(config, page.path, content=page.markdown, inclusion=inclusion)
            )
        summaries = {}
        self._article_urls = {}
        names = names_by_slug(self.settings)
        for entry in self.digest.entries:
            article = files.get_file_from_path(article_page_path(entry.article.slug))
            if article is not None:
                summaries[article.url] = result_card(entry, names)
                self._article_urls[entry.article.source_path] = article.url
        files.append(File.generated(config, SUMMARIES, content=summaries_json(summaries)))
        return files

    def on_nav(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # After every plugin's on_config and on_files: the Markdown setup is final, and the
        # links of each key are resolved in the final files.
        if self.page_store is not None:
            unsafe = sorted(_FILE_READING_EXTENSIONS & set(map(str, config.markdown_extensions)))
            if unsafe:
                # They pull other files into pages, and which ones is not known before converting.
                log.info("page cache off: %s reads files into pages", ", ".join(unsafe))
                self.page_store = None
        if self.page_store is not None:
            self._markdown_setup = _markdown_setup(config)
            # A conversion is kept only if its warnings would have been seen: not with -q (they
            # are not logged) nor -v (MkDocs then skips collecting links to anchors).
            level = logging.getLogger("mkdocs.structure.pages").getEffectiveLevel()
            self._store_conversions = logging.DEBUG < level <= logging.INFO
            if self._not_keeping is None:
                self._choose_kept_pages(config, nav, files)
            for page in self.pages:
                if page.path in self._kept:
                    continue
                file = files.get_file_from_path(page.path)
                if file is not None and file.generated_by is not None:
                    key = page_key(
                        self._markdown_setup,
                        f"{file.src_uri}\0{file.dest_uri}\0{file.url}",
                        page.markdown,
                        _resolved_links(page.markdown, file.src_uri, files, self._link_memo),
                    )
                    self._expected[page.path] = (key, page.markdown)
            self.page_store.load(key for key, _ in self._expected.values())
        # The digest (articles, entries, pages) lives until the build ends. Left in the
        # collector's generations, every full collection walks all of it again while MkDocs
        # renders pages: at 10,000 articles that cost 10-15% of the build. Frozen, it is
        # skipped; on_post_build (or on_build_error) hands it back.
        if not self._frozen:
            gc.freeze()
            self._frozen = True
        return nav

    def _set_title_and_date(
        self, markdown: str, *, page: Any, config: MkDocsConfig, files: Any
    ) -> str:
        # Without a meta title MkDocs takes the page title from the first heading as HTML, and
        # Material writes it into <title> through `striptags`, which turns our `&lt;` back into
        # `<`: a headline `</title><script>...` would run. A meta title is printed as it is, so
        # it is set here, HTML-escaped, for every generated page.
        title = self._titles.get(page.file.src_uri)
        if title is not None:
            page.meta["title"] = html.escape(title, quote=True)
            settings = self.settings
            if (
                settings is not None
                and settings.search == "pagefind"
                and pagefind_only(page.file.src_uri)
            ):
                # Searched through Pagefind: out of Material's index, which every visit
                # downloads whole (see digest/site/search.py).
                page.meta["search"] = {"exclude": True}
        dated = self._update_date(page.file.src_uri)
        if dated is not None:
            page.update_date = dated
        return markdown

    def _update_date(self, src_uri: str) -> str | None:
        if self.digest is None or os.environ.get("SOURCE_DATE_EPOCH"):
            return None
        # MkDocs dates every page with today's date (sitemap.xml lastmod, the mtime inside
        # sitemap.xml.gz); the content's own dates keep rebuilds byte-identical.
        dated = self._dates.get(src_uri, self.digest.updated)
        if dated is None:
            return None
        day = dated.astimezone(timezone.utc).date()
        # MkDocs writes the newest of these into sitemap.xml.gz as an unsigned 32-bit
        # time stamp: a site of articles from before 1970 would fail there.
        return max(day, _EPOCH_DAY).isoformat()

    def _choose_kept_pages(self, config: MkDocsConfig, nav: Any, files: Files) -> None:
        """Decide which pages the previous build wrote exactly as this one would, and leave
        only those (and the search bundle, which reuses its own parts) in the site folder.

        A page may be kept when it is out of the navigation and out of the theme's search
        (articles, stories, archive months, later listing pages): its HTML then depends only on
        its Markdown, title, date, location, the locations of what it links to, and what every
        page shares (the Markdown setup, theme, config, navigation, code versions). Its key
        is a hash of all of these; the record says which key each written file had.
        """
        assert self.settings is not None and self.settings.cache_dir is not None
        site = Path(config.site_dir)
        source = self.final_site or site
        self._record_file = record_path(self.settings.cache_dir, source)
        previous = _serve_records.get(str(site)) if self.serving else load_record(self._record_file)
        shared = _site_setup(config, nav, self._markdown_setup)
        for page in self.pages:
            if not pagefind_only(page.path):
                continue
            file = files.get_file_from_path(page.path)
            if file is None or file.generated_by is None:
                continue
            key = _final_key(
                shared,
                f"{file.src_uri}\0{file.dest_uri}\0{file.url}",
                page.markdown,
                _resolved_links(page.markdown, file.src_uri, files, self._link_memo),
                # The date MkDocs gives the page (SOURCE_DATE_EPOCH's when that is set).
                [page.title, self._update_date(page.path), os.environ.get("SOURCE_DATE_EPOCH")],
            )
            self._keepable[page.path] = (file.dest_uri, key)
            before = (previous or {}).get(file.dest_uri)
            if (
                before is not None
                and before.key == key
                and still_there(source, file.dest_uri, before)
            ):
                self._kept[page.path] = before
        dests = {self._keepable[src][0] for src in self._kept}
        try:
            if source == site:
                removed = clear_all_but(site, dests, ["pagefind"])
            else:
                removed = 0
                if source.is_dir() and not source.is_symlink():
                    _link_into(source, site, sorted(dests), ["pagefind"])
        except OSError as error:
            log.info("every page is written: the previous site cannot be reused (%s)", error)
            self._kept.clear()
            clear_all_but(site, set())
            return
        log.info(
            "%d of %s kept from the previous build (%s replaced)",
            len(self._kept),
            counted(len(self._keepable), "page"),
            counted(removed, "file"),
        )

    @event_priority(-100)  # after every other plugin: the key is the Markdown MkDocs converts
    def _serve_converted(
        self, markdown: str, *, page: Any, config: MkDocsConfig, files: Any
    ) -> str:
        expected = self._expected.get(page.file.src_uri)
        entry = self._sources.get(page.file.src_uri)
        if entry is not None and self.settings is not None:
            # Whatever breaks an article's page is reported for its file; the rest builds.
            page.render = _Guard(page, self.settings.content_dir, entry)
        kept = self._kept.get(page.file.src_uri)
        if kept is not None:
            # The site folder holds this page as this build would write it: nothing is
            # converted, and the theme renders an empty template, which MkDocs does not write.
            page.meta["template"] = KEPT_TEMPLATE
            _wrap_render(page, _Kept(page, kept.anchors))
            return markdown
        # A page another plugin rewrote is converted as usual, and not kept.
        if self.page_store is None or expected is None or markdown != expected[1]:
            return markdown
        key = expected[0]
        found = self.page_store.get(key)
        if found is not None:
            # This page's render step becomes handing over the stored result: MkDocs sets up
            # no Markdown converter for it, and every later step runs as usual.
            _wrap_render(page, _Restore(page, found, markdown, self._clean))
        elif self._store_conversions:
            _wrap_render(page, _Record(page, self, key, markdown))
        return markdown

    on_page_markdown = CombinedEvent(_set_title_and_date, _serve_converted)

    def on_post_page(self, output: str, *, page: Any, config: MkDocsConfig) -> str:
        # Feed autodiscovery goes into the finished HTML rather than through a theme override:
        # an override's main.html would be shadowed by a user's own custom_dir main.html (Material
        # tells users to write one), and overriding a Material partial means copying it. Adding
        # <link> tags before </head> works with any theme and any custom_dir.
        if self.settings is None or not output:  # empty: a page kept as written
            return output
        # The reader's script reads which search finds articles from the page.
        tags = [search_engine_tag(self.settings)]
        if self.settings.feeds:
            tags.append(
                autodiscovery_links(self.settings, page.file.src_uri, config.use_directory_urls)
            )
        return insert_in_head(output, "\n".join(tag for tag in tags if tag))

    def _thaw(self) -> None:
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def on_build_error(self, *, error: Exception) -> None:
        self._thaw()
        self._warnings.detach()
        for name in _BUILD_LOGGERS:
            logging.getLogger(name).removeFilter(self._quiet)
        if self._stash is not None:  # failed before on_files: the old site goes back
            self._unstash_after_error(Path(self._stash))

    def _unstash_after_error(self, stash: Path) -> None:
        self._stash = None
        site = stash.with_name(stash.name.removeprefix(".").removesuffix(".digest-previous"))
        try:
            if site.is_dir() and not any(site.iterdir()):
                site.rmdir()
            if not site.exists():
                os.rename(stash, site)
        except OSError:
            pass  # the next build finds it and puts it back

    def _save_record(self, config: MkDocsConfig) -> None:
        """Remember how each page that may be kept next time was written."""
        if self._not_keeping is not None or self._record_file is None:
            return
        site = Path(config.site_dir)
        record: dict[str, Written] = {}
        for src, (dest, key) in self._keepable.items():
            kept = self._kept.get(src)
            if kept is not None:
                record[dest] = kept
            elif src in self._clean:
                made = written(site, dest, key, self._clean[src])
                if made is not None:
                    record[dest] = made
        if self.serving:
            _serve_records.clear()
            _serve_records[str(site)] = record
        else:
            save_record(self._record_file, record)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._thaw()
        self._warnings.detach()
        for name in _BUILD_LOGGERS:
            logging.getLogger(name).removeFilter(self._quiet)
        self._save_record(config)
        if self.page_store is not None:
            # A page kept as written is not converted either: it counts as one from the cache.
            log.info(
                "%d of %s from the cache",
                self.page_store.hits + len(self._kept),
                counted(len(self._expected) + len(self._kept), "generated page"),
            )
            self.page_store.save()
        if self.settings is None or self.digest is None:
            return
        if self.settings.search == "pagefind":
            urls = self._article_urls
            records = digest_records(
                self.digest, self.settings, lambda e: urls.get(e.article.source_path)
            )
            started = time.perf_counter()
            try:
                bundle = write_pagefind(
                    records,
                    Path(config.site_dir),
                    self.settings.language,
                    cache=shard_cache(self.settings.cache_dir),
                )
            except SearchIndexError as error:
                raise PluginError(f"{config.config_file_path}: digest plugin: {error}") from None
            # The time goes to the log only (benchmarks/search.py reads it), never into the site.
            log.info(
                "search: %s indexed by Pagefind in %.1f s (%s)",
                counted(len(records), "article"),
                time.perf_counter() - started,
                bundle.describe(),
            )
        if not self.settings.feeds:
            return
        try:
            # A story is one item, under its earliest article's id: a new source is no new item.
            listed = listed_once(self.digest)
            files = build_feeds(listed, self.settings, config.use_directory_urls)
            write_feeds(files + sitemap_stubs(files), Path(config.site_dir))
        except FeedError as error:
            raise PluginError(f"{config.config_file_path}: digest plugin: {error}") from None
        log.debug("wrote %s", counted(len(files), "feed file"))

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        # Rebuild when an article or a template changes, not only the docs folder.
        assert self.settings is not None
        server.watch(str(self.settings.content_dir))
        if self.settings.templates_dir is not None and self.settings.templates_dir.is_dir():
            server.watch(str(self.settings.templates_dir))
        return server


class _SafeSlugify:
    """A heading-id maker that never returns an id the theme or a script looks up.

    Heading ids come from heading text, which is article text: a headline `__config` would give
    `id="__config"` ahead of Material's `<script id="__config">`, and every script on the page
    would read the wrong element. Ids in the reserved space (see is_reserved_id) get an `h`
    in front; every other id stays as the configured slugify makes it. A heading with no
    letter the slugify keeps (Arabic, Chinese with the default one) is `heading`, not the empty
    id Python-Markdown would turn into `_1`.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, value: str, separator: str) -> str:
        made = self.inner(value, separator)
        if not isinstance(made, str):
            return made
        if not made:
            return "heading"
        return f"h{made}" if is_reserved_id(made) else made

    def __repr__(self) -> str:  # in the page cache's Markdown setup fingerprint: no address
        return f"_SafeSlugify({_stable(self.inner)})"


def _keep_heading_ids_out_of_reserved_names(config: MkDocsConfig) -> None:
    from markdown.extensions.toc import slugify

    settings = config.mdx_configs.setdefault("toc", {})
    inner = settings.get("slugify", slugify)
    if not isinstance(inner, _SafeSlugify):  # on_config runs again on every serve rebuild
        settings["slugify"] = _SafeSlugify(inner)


class _WarningCounter(logging.Handler):
    """Counts what MkDocs reports, to tell whether converting a page said anything: warnings,
    and the info-level link validation messages (`validation: ...: info`)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or record.name.startswith("mkdocs.structure"):
            self.count += 1

    def attach(self) -> None:
        logging.getLogger("mkdocs").addHandler(self)

    def detach(self) -> None:
        logging.getLogger("mkdocs").removeHandler(self)


# Extensions that read other files into pages (snippets, includes): a page's Markdown does not
# say everything its HTML depends on, so the page cache stays off with them.
_FILE_READING_EXTENSIONS = frozenset(
    {"pymdownx.snippets", "markdown_include.include", "mdx_include", "markdown_inline_graphviz"}
)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _stable(value: Any) -> Any:
    """A JSON fallback for settings: functions by name, objects without memory addresses,
    sets in order (their order changes from one process to the next)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=lambda item: json.dumps(item, default=_stable, sort_keys=True))
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return _ADDRESS.sub("", repr(value))


def _markdown_setup(config: MkDocsConfig) -> str:
    """Everything besides a page's own text that its converted HTML depends on."""
    extensions: list[Any] = []
    modules = {"mkdocs", "markdown"}
    for extension in config.markdown_extensions:
        if isinstance(extension, str):
            extensions.append(extension)
            modules.add(extension.split(".")[0])
        else:  # an Extension object another plugin added: its class and settings
            kind = type(extension)
            extensions.append([f"{kind.__module__}.{kind.__qualname__}", extension.getConfigs()])
            modules.add(kind.__module__.split(".")[0])
    text = json.dumps(
        [
            __version__,
            [_module_version(name) for name in sorted(modules)],
            extensions,
            config.mdx_configs,
            config.use_directory_urls,
            config.validation,
        ],
        default=_stable,
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _module_version(name: str) -> str:
    """A Markdown package's version (from the module: reading every package's metadata to map
    modules to distributions costs a third of a second); for a local module, its source."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return f"{name}: not importable"
    version = getattr(module, "__version__", None)
    if not isinstance(version, str):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            source = Path(getattr(module, "__file__", None) or "")
            try:
                version = hashlib.sha256(source.read_bytes()).hexdigest()
            except OSError:
                version = "unknown"
    return f"{name}={version}"


# Markdown link and image targets: (target) or (<target>), reference definitions, and HTML
# href/src values. Three patterns, each starting with something the regex engine can search
# for quickly: one alternation of all three was a tenth of a second per thousand pages.
_INLINE_LINK = re.compile(r"\]\(\s*(?:<([^>\n]+)>|([^)\s]+))")  # [text](target), (<target>)
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(?:<([^>\n]+)>|(\S+))", re.MULTILINE)
_HTML_LINK = re.compile(r"(?<!\w)(?:href|src)=[\"']([^\"']+)")


def _link_targets(markdown: str) -> list[str]:
    found = [group for m in _INLINE_LINK.finditer(markdown) for group in m.groups() if group]
    if "]:" in markdown:
        found += [group for m in _REFERENCE.finditer(markdown) for group in m.groups() if group]
    if "href=" in markdown or "src=" in markdown:
        found += [m.group(1) for m in _HTML_LINK.finditer(markdown)]
    return found


def _resolved_links(
    markdown: str, src_uri: str, files: Files, memo: dict[tuple[str, str], str]
) -> list[str]:
    """Each relative link of a page with the URL its target has in this build (or none).

    memo: {(folder, target): resolved} for one build; pages in one folder share their links.
    """
    folder = posixpath.dirname(src_uri)
    resolved = set()
    for target in _link_targets(markdown):
        found = memo.get((folder, target))
        if found is None:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path:
                found = ""
            else:
                path = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
                file = files.get_file_from_path(path.lstrip("/"))
                found = f"{target}\0{file.url if file is not None else ''}"
            memo[(folder, target)] = found
        if found:
            resolved.add(found)
    return sorted(resolved)


def _wrap_render(page: Any, render: Any) -> None:
    """Install a render step, inside the page's guard when it has one."""
    guard = page.__dict__.get("render")
    if isinstance(guard, _Guard):
        guard.inner = render
    else:
        page.render = render


class _Guard:
    """Stands in for an article page's ``Page.render``: a failure is a warning naming the
    article's file, and the page shows its text as plain escaped paragraphs instead."""

    def __init__(self, page: Any, content_dir: Path, entry: DigestEntry) -> None:
        self.page, self.content_dir, self.entry = page, content_dir, entry
        self.inner: Any = None

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page = self.page
        try:
            if self.inner is not None:
                self.inner(config, files)  # it puts the class's render back itself
            else:
                del page.render
                page.render(config, files)
        except Exception as error:  # any failure of one page: reported, the rest builds
            page.__dict__.pop("render", None)
            log.warning(
                "%s: its page %s could not be converted (%s: %s); published as plain text",
                self.content_dir / self.entry.article.source_path,
                page.file.src_uri,
                type(error).__name__,
                error,
            )
            article = self.entry.article
            page.content = "".join(
                f"<p>{html.escape(text)}</p>"
                for text in (article.title, self.entry.summary.text, *article.paragraphs)
            )
            page.toc = TableOfContents([])
            page.present_anchor_ids = set()
            page.links_to_anchors = {}


class _Kept:
    """Stands in for the ``Page.render`` of a page kept from the previous build: nothing to
    convert; its anchors are known, for other pages' links to them."""

    def __init__(self, page: Any, anchors: tuple[str, ...]) -> None:
        self.page, self.anchors = page, anchors

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page = self.page
        del page.render
        page.content = ""
        page.toc = TableOfContents([])
        page.present_anchor_ids = set(self.anchors)
        page.links_to_anchors = {}


class _KeptPagesQuiet(logging.Filter):
    """MkDocs says "Page skipped ... Generated empty output" for each page it does not write:
    for the kept pages that is the point, not news (thousands of lines a build)."""

    def __init__(self, kept: dict[str, Written]) -> None:
        super().__init__()
        self.kept = kept

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith("Page skipped: '"):
            return True
        return message.split("'", 2)[1] not in self.kept


KEPT_TEMPLATE = "newsdigest-kept.html"
# Where MkDocs, and ProperDocs (its fork, under its own name), say "Page skipped".
_BUILD_LOGGERS = ("mkdocs.commands.build", "properdocs.commands.build")
# `mkdocs serve` rebuilds into a temporary folder: its record stays in memory.
_serve_records: dict[str, dict[str, Written]] = {}
# Plugins known to make nothing of a page they are not shown (out of search, out of nav).
# With any other plugin (or hooks) every page is written: it may read or change pages.
_PAGE_LOCAL_PLUGINS = frozenset({"search", "material/search", "digest"})


def _why_not_keep_pages(
    options: DigestPluginConfig, settings: DigestConfig, config: MkDocsConfig
) -> str | None:
    """Why this build writes every page (None: it may keep unchanged ones)."""
    if not options.page_cache or settings.cache_dir is None:
        return "the page cache is off"
    if settings.search != "pagefind":
        return "the theme's search indexes every page (search: material, or auto on a small digest)"
    others = sorted(set(config.plugins) - _PAGE_LOCAL_PLUGINS)
    if others:
        return f"plugin {others[0]!r} may read or change any page"
    if config.hooks:
        return "hooks may read or change any page"
    return None


def _final_key(
    shared: str, location: str, markdown: str, links: list[str], page_settings: list[Any]
) -> str:
    # The small parts as JSON (unambiguous), the Markdown as it is after them: putting a long
    # text through JSON escaping cost more than hashing it.
    head = json.dumps([shared, location, links, page_settings], ensure_ascii=False)
    digest = hashlib.sha256(head.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(markdown.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _site_setup(config: MkDocsConfig, nav: Any, markdown_setup: str) -> str:
    """Everything a kept page's HTML shares with every other page: the Markdown setup, the
    config (theme and its options, extra, CSS and scripts, site name and URL...), each
    plugin's options and code version, the theme's templates, the navigation, our own code.

    When any of it changes, no page is kept.
    """
    # Where things are (not what pages show), and what is taken apart below.
    location = {"site_dir", "docs_dir", "config_file_path", "plugins", "dev_addr", "watch", "theme"}
    settings = {
        key: [str(item) for item in config[key]] if key == "extra_javascript" else config[key]
        for key in config
        if key not in location
    }
    plugins: list[Any] = []
    for name, plugin in config.plugins.items():
        kind = type(plugin)
        module = kind.__module__.split(".")[0]
        plugins.append([name, f"{kind.__module__}.{kind.__qualname__}", _module_version(module)])
        plugins.append({key: plugin.config[key] for key in plugin.config})
    theme = config.theme
    custom = theme.custom_dir
    folders = [
        _folder_fingerprint(Path(folder)) if folder == custom else [folder, _theme_version(folder)]
        for folder in theme.dirs
    ]
    text = json.dumps(
        [
            __version__,
            _code_fingerprint(),
            markdown_setup,
            settings,
            plugins,
            [theme.name, dict(theme), folders, theme.static_templates],
            _nav_outline(nav.items),
        ],
        default=_stable,
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _nav_outline(items: Any) -> list[Any]:
    """The navigation as every page shows it: titles, URLs, and for a page whose title is not
    known yet (a user's page titled by its first heading), its source text."""
    outline: list[Any] = []
    for item in items:
        children = getattr(item, "children", None)
        file = getattr(item, "file", None)
        entry: list[Any] = [type(item).__name__, item.title, getattr(item, "url", None)]
        if file is not None and item.title is None:
            try:
                entry.append(hashlib.sha256(file.content_bytes).hexdigest())
            except OSError:
                entry.append("unreadable")
        if children:
            entry.append(_nav_outline(children))
        outline.append(entry)
    return outline


def _theme_version(folder: str) -> str:
    """The version of the installed package a theme folder belongs to."""
    parts = Path(folder).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            package = parts[parts.index(marker) + 1]
            return _module_version(package)
    return json.dumps(_folder_fingerprint(Path(folder)))


def _folder_fingerprint(folder: Path) -> list[Any]:
    """Each file of a folder (a custom_dir of theme overrides) by name, size and time."""
    found: list[Any] = [str(folder)]
    for path in sorted(folder.rglob("*")):
        try:
            info = path.stat()
        except OSError:
            continue
        found.append([path.relative_to(folder).as_posix(), info.st_size, info.st_mtime_ns])
    return found


def _code_fingerprint() -> str:
    """Our own code and packaged files: a change to any of them may change every page."""
    global _CODE
    if _CODE is None:
        root = Path(__file__).resolve().parents[1]
        digest = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".js", ".css", ".html", ".j2"}:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
        _CODE = digest.hexdigest()
    return _CODE


_CODE: str | None = None


def _link_into(source: Path, site: Path, dests: list[str], folders: list[str]) -> None:
    """Hard-link the kept pages and folders of the live site into the new one (a copy where
    links cannot be made), so `digest build` keeps them without writing them."""
    for dest in dests:
        _link_file(source / dest, site / dest)
    for folder in folders:
        top = source / folder
        if not top.is_dir() or top.is_symlink():
            continue
        for path in sorted(top.rglob("*")):
            if path.is_file() and not path.is_symlink():
                _link_file(path, site / path.relative_to(source))


def _link_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


class _Restore:
    """Stands in for one page's ``Page.render``: sets what converting its Markdown would."""

    def __init__(
        self,
        page: Any,
        rendered: RenderedPage,
        markdown: str,
        clean: dict[str, tuple[str, ...]],
    ) -> None:
        self.page, self.rendered, self.markdown, self.clean = page, rendered, markdown, clean

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page, rendered = self.page, self.rendered
        del page.render  # back to the class's method
        if page.markdown != self.markdown:  # a later plugin changed it after the key was made
            page.render(config, files)
            return
        page.content = rendered.html
        toc = [_anchor_link(entry) for entry in rendered.toc]
        if toc:  # as MkDocs' get_toc does
            toc[0].active = True  # type: ignore[attr-defined]
        page.toc = TableOfContents(toc)
        page._title_from_render = rendered.heading
        page.present_anchor_ids = set(rendered.anchors)
        page.links_to_anchors = {}
        # Stored only when converting it said nothing: it may be kept next time.
        self.clean[page.file.src_uri] = rendered.anchors


class _Record:
    """Wraps one page's ``Page.render``: converts, then keeps the result unless it said
    anything (a broken link) or links to anchors elsewhere (which every build must check)."""

    def __init__(self, page: Any, plugin: DigestPlugin, key: str, markdown: str) -> None:
        self.page, self.plugin, self.key, self.markdown = page, plugin, key, markdown

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page, counter = self.page, self.plugin._warnings
        del page.render
        before = counter.count
        page.render(config, files)
        store = self.plugin.page_store
        # Not kept either when a later plugin changed the Markdown after the key was made.
        if (
            store is None
            or counter.count != before
            or page.links_to_anchors
            or page.markdown != self.markdown
        ):
            return
        rendered = RenderedPage(
            html=page.content,
            toc=tuple(_toc_entry(link) for link in page.toc),
            # MkDocs' raw-HTML scanner can record a valueless attribute as the anchor None.
            anchors=tuple(sorted(a for a in page.present_anchor_ids or () if isinstance(a, str))),
            heading=page._title_from_render,
        )
        store.put(self.key, rendered)
        self.plugin._clean[page.file.src_uri] = rendered.anchors


def _toc_entry(link: AnchorLink) -> TocEntry:
    return TocEntry(link.title, link.id, link.level, tuple(_toc_entry(c) for c in link.children))


def _anchor_link(entry: TocEntry) -> AnchorLink:
    link = AnchorLink(entry.title, entry.anchor, entry.level)
    link.children = [_anchor_link(child) for child in entry.children]
    return link


_EPOCH_DAY = date(1970, 1, 1)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def build_site(
    config_file: str, strict: bool = False, site_dir: str | None = None, progress: bool = False
) -> Path:
    """Build the site as `mkdocs build` does, into a temporary folder swapped in on success.

    A failed build (a strict warning, a broken template) leaves the previous site untouched.
    With progress, a bar shows while many articles are summarized.
    """

    mkdocs_log = logging.getLogger("mkdocs")
    said = None
    if not mkdocs_log.handlers:
        # Told as `mkdocs build` tells it (info lines included): a conversion is kept in the
        # page cache, and a page kept as written, only when its messages could be seen.
        said = logging.StreamHandler()
        said.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        mkdocs_log.addHandler(said)
        mkdocs_log.setLevel(logging.INFO)
    try:
        return _build_site(config_file, strict, site_dir, progress)
    finally:
        if said is not None:
            mkdocs_log.removeHandler(said)
            mkdocs_log.setLevel(logging.NOTSET)


def _build_site(config_file: str, strict: bool, site_dir: str | None, progress: bool) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(config_file, strict=strict, site_dir=site_dir)
    plugin = config.plugins.get("digest")
    if isinstance(plugin, DigestPlugin):
        # MkDocs keeps one instance of a plugin with on_startup for every build in a process:
        # what is set here for this build is unset after it.
        plugin.show_progress = progress
        plugin.serving = False
    final = Path(config.site_dir).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(final)
    if isinstance(plugin, DigestPlugin):
        # Pages that cannot have changed are linked from the live site, not written again.
        plugin.final_site = final
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=final.parent))
    # mkdtemp makes it 0700: a web server running as another user would get 403 for the
    # whole site. It gets the mode any new folder gets.
    os.chmod(staging, 0o777 & ~_umask())
    # Held while this build runs: start-up cleaning leaves a folder alone while it is locked.
    guard = _lock_folder(staging)
    try:
        config.site_dir = str(staging)
        build(config)
        previous = final.with_name(final.name + ".previous")
        if previous.exists():
            shutil.rmtree(previous)
        if final.exists():
            os.replace(final, previous)
        os.replace(staging, final)
        if previous.exists():
            shutil.rmtree(previous)
    finally:
        if isinstance(plugin, DigestPlugin):
            plugin.show_progress = False
            plugin.final_site = None
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if guard is not None:
            os.close(guard)
    return final


STAGING_PREFIX = ".digest-build-"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _lock_folder(folder: Path) -> int | None:
    """An exclusive lock on a folder (None: taken by another process, or no flock here)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


def _clean_leftovers(final: Path) -> None:
    """Remove what a killed `digest build` left beside the site: its staging folders (a whole
    site each, never used again), and bring back a site moved aside but not yet replaced.

    A staging folder a running build holds locked is left alone."""
    running = False
    for leftover in sorted(final.parent.glob(STAGING_PREFIX + "*")):
        if leftover.is_symlink() or not leftover.is_dir():
            continue
        guard = _lock_folder(leftover)
        if guard is None:
            running = True
            continue
        try:
            log.info("removing %s, left by a build that did not finish", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
        finally:
            os.close(guard)
    previous = final.with_name(final.name + ".previous")
    if running or previous.is_symlink() or not previous.is_dir():
        return
    if final.exists():
        shutil.rmtree(previous, ignore_errors=True)
    else:  # stopped between moving the old site aside and moving the new one in
        os.replace(previous, final)
