"""The MkDocs plugin: a thin adapter from MkDocs events to the plain-Python pipeline.

This is the only module that imports MkDocs. It turns the plugin's options into a DigestConfig,
runs the pipeline, adds the rendered pages as generated files, and reports every problem
with the file it concerns (``mkdocs build --strict`` turns those warnings into a failure).
"""

from __future__ import annotations

import gc
import html
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from digest.analysis.parallel import progress_bar
from digest.config import (
    OPTIONS,
    ConfigError,
    DigestConfig,
    Option,
    check_option_names,
    config_from_mapping,
)
from digest.mkdocs.steps import Guard, PageCache
from digest.model import Digest, DigestEntry
from digest.pipeline import build_digest, cached_analysis
from digest.site.feeds import FeedError, autodiscovery_links, check_site_url
from digest.site.headings import keep_heading_ids_out_of_reserved_names
from digest.site.output import (
    ASSETS,
    SCRIPT,
    STYLESHEET,
    SUMMARIES,
    in_nav,
    insert_in_head,
    shipped_asset,
    site_nav,
    summaries_json,
    update_day,
    write_feed_files,
    write_search_index,
)
from digest.site.render import Page, PageRenderer, TemplateProblem, article_page_path
from digest.site.search import (
    AUTO_PAGEFIND_BYTES,
    SearchIndexError,
    names_by_slug,
    pagefind_only,
    resolved_search,
    result_card,
    search_engine_tag,
)
from digest.store.history import record_build
from digest.store.kept_pages import KeptPages
from digest.store.page_cache import PageStore
from digest.store.publish import staged_site
from digest.wording import counted

log = get_plugin_logger(__name__)


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
    """Options of the `digest` plugin in mkdocs.yml: digest.config.OPTIONS, each checked there."""


def _schema_entry(option: Option) -> Any:
    checked = _Checked(default=option.default)
    made: Any = checked if option.default is not None else c.Optional(checked)
    made.required = True  # as base.Config does for the options it finds in a class body
    return made


DigestPluginConfig._schema = tuple((o.name, _schema_entry(o)) for o in OPTIONS)


def digest_config(plugin_config: DigestPluginConfig, config: MkDocsConfig) -> DigestConfig:
    """The pipeline's settings from the plugin's options and the site's own."""
    base_dir = Path(config.config_file_path or ".").resolve().parent
    options: dict[str, Any] = {k: plugin_config[k] for k in plugin_config}
    options["cache_dir"] = options["cache_dir"] or str(DigestConfig.cache_dir)
    try:
        return config_from_mapping(
            options,
            base_dir,
            docs_dir=Path(config.docs_dir),
            site_dir=Path(config.site_dir),
            site_name=config.site_name,
            site_url=config.site_url or None,
            site_description=config.site_description or "",
            language=(config.theme.get("language") or DigestConfig.language),
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
        self.page_cache: PageCache | None = None
        # Whether this build froze the GC.
        self._frozen = False
        # src_uri of each article page -> the entry it was made from
        self._sources: dict[str, DigestEntry] = {}
        # source_path of each article -> its page's URL (the search records' URLs)
        self._article_urls: dict[str, str] = {}
        self._quiet = _KeptPagesQuiet(self)
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
        keep_heading_ids_out_of_reserved_names(config.mdx_configs)
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if SCRIPT not in [str(script) for script in config.extra_javascript]:
            config.extra_javascript.append(SCRIPT)
        config.nav = site_nav(self.settings, list(config.nav or []))
        self._start_caches(config)
        return config

    def _start_caches(self, config: MkDocsConfig) -> None:
        assert self.settings is not None
        self.page_cache = None
        cache_dir = self.settings.cache_dir
        if not self.config["page_cache"] or cache_dir is None:
            return
        # Memory between builds only helps `mkdocs serve`; a build would hold every page twice.
        store = PageStore(cache_dir, use_memory=self.serving)
        not_keeping = _why_not_keep_pages(self.settings, config)
        if not_keeping is not None:
            log.debug("every page is written: %s", not_keeping)
            self.page_cache = PageCache(store, None)
            return
        site = Path(config.site_dir)
        self.page_cache = PageCache(
            store, KeptPages(cache_dir, site, self.final_site, self.serving)
        )
        kept_template = str(Path(__file__).parent / "templates")
        if kept_template not in config.theme.dirs:  # on_config runs on every serve rebuild
            config.theme.dirs.append(kept_template)
        self._quiet.config = config
        for name in _BUILD_LOGGERS:
            logging.getLogger(name).addFilter(self._quiet)

    @property
    def _kept_pages(self) -> KeptPages | None:
        return self.page_cache.kept_pages if self.page_cache is not None else None

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # MkDocs empties the site folder right after this event; the pages this build may keep
        # are moved aside first and brought back in on_files, before anything is written.
        if self._kept_pages is not None:
            why = self._kept_pages.move_aside()
            if why is not None:
                log.info("every page is written: %s", why)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.settings is not None
        if self._kept_pages is not None:
            why = self._kept_pages.bring_back()
            if why is not None:
                log.info("every page is written: %s", why)
        if not self.settings.content_dir.is_dir():
            raise PluginError(f"{self.settings.content_dir}: content folder does not exist")
        self._make_digest(config)
        assert self.digest is not None
        changes = record_build(self.digest, self.settings.cache_dir, write=not self.serving)
        try:
            self.pages = PageRenderer(self.settings).render(self.digest, changes)
            self._titles = {page.path: page.title for page in self.pages}
            self._dates = {page.path: page.updated for page in self.pages if page.updated}
            self._sources = {article_page_path(e.article.slug): e for e in self.digest.entries}
        except TemplateProblem as error:
            raise PluginError(f"digest template {error}") from None
        self._add_files(files, config)
        return files

    def _make_digest(self, config: MkDocsConfig) -> None:
        assert self.settings is not None
        show = self.show_progress or self.config["progress"] or _env_flag("DIGEST_PROGRESS")
        try:
            with progress_bar() as progress:
                cache = cached_analysis(self.settings, progress if show else None)
                self.digest = build_digest(self.settings, cache)
        except ValueError as error:
            raise PluginError(f"{config.config_file_path}: {error}") from None
        stats = cache.stats
        log.info(
            "%s: %d summarized, %d from the cache",
            counted(stats.articles, "article"),
            stats.analysed,
            stats.from_memory + stats.from_file,
        )
        _report_problems(self.digest, self.settings.content_dir)

    def _add_files(self, files: Files, config: MkDocsConfig) -> None:
        assert self.settings is not None and self.digest is not None
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
            inclusion = InclusionLevel.UNDEFINED if in_nav(page.path) else InclusionLevel.NOT_IN_NAV
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

    def on_nav(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # After every plugin's on_config and on_files: the Markdown setup is final, and the
        # links of each key are resolved in the final files.
        unsafe = sorted(_FILE_READING_EXTENSIONS & set(map(str, config.markdown_extensions)))
        if self.page_cache is not None and unsafe:
            # They pull other files into pages, and which ones is not known before converting.
            log.info("page cache off: %s reads files into pages", ", ".join(unsafe))
            if self._kept_pages is not None:
                self._kept_pages.choose([])  # the previous site's pages go: all are written
            self.page_cache = None
        if self.page_cache is not None:
            told = self.page_cache.plan_pages(config, nav, files, self.pages, self._keepable)
            if told is not None:
                log.info(told)
        # The digest (articles, entries, pages) lives until the build ends. Left in the
        # collector's generations, every full collection walks all of it again while MkDocs
        # renders pages: at 10,000 articles that cost 10-15% of the build. Frozen, it is
        # skipped; on_post_build (or on_build_error) hands it back.
        if not self._frozen:
            gc.freeze()
            self._frozen = True
        return nav

    def _keepable(self, page: Page) -> list[Any] | None:
        """What a page kept as written depends on besides its Markdown, location and links
        (None: never kept). Out of the navigation and the theme's search, that is its title and
        the date MkDocs gives it (SOURCE_DATE_EPOCH's when that is set)."""
        if not pagefind_only(page.path):
            return None
        return [page.title, self._update_date(page.path), os.environ.get("SOURCE_DATE_EPOCH")]

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
        # MkDocs dates every page with today's date (sitemap.xml lastmod, the mtime inside
        # sitemap.xml.gz); the content's own dates keep rebuilds byte-identical.
        if self.digest is None or os.environ.get("SOURCE_DATE_EPOCH"):
            return None
        return update_day(self._dates.get(src_uri, self.digest.updated))

    @event_priority(-100)  # after every other plugin: the key is the Markdown MkDocs converts
    def _serve_converted(
        self, markdown: str, *, page: Any, config: MkDocsConfig, files: Any
    ) -> str:
        src = page.file.src_uri
        entry = self._sources.get(src)
        if entry is not None and self.settings is not None:
            # Whatever breaks an article's page is reported for its file; the rest builds.
            page.render = Guard(page, self.settings.content_dir, entry)
        if self.page_cache is not None:
            self.page_cache.set_render_step(page, markdown)
        return markdown

    on_page_markdown = CombinedEvent(_set_title_and_date, _serve_converted)

    def on_post_page(self, output: str, *, page: Any, config: MkDocsConfig) -> str:
        # Feed autodiscovery goes into the finished HTML rather than through a theme override:
        # an override's main.html would be shadowed by a user's own custom_dir main.html (Material
        # tells users to write one), and overriding a Material partial means copying it. Adding
        # <link> tags before </head> works with any theme and any custom_dir.
        if self.settings is None:
            return output
        if pagefind_only(page.file.src_uri):
            _release(page)
        if not output:  # empty: a page kept as written
            return output
        # The reader's script reads which search finds articles from the page.
        tags = [search_engine_tag(self.settings)]
        if self.settings.feeds:
            tags.append(
                autodiscovery_links(self.settings, page.file.src_uri, config.use_directory_urls)
            )
        return insert_in_head(output, "\n".join(tag for tag in tags if tag))

    def _end_build(self) -> None:
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
        for name in _BUILD_LOGGERS:
            logging.getLogger(name).removeFilter(self._quiet)

    def on_build_error(self, *, error: Exception) -> None:
        self._end_build()
        if self._kept_pages is not None:  # failed before on_files: the old site goes back
            self._kept_pages.bring_back_after_error()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._end_build()
        if self.page_cache is not None:
            self.page_cache.finish()
        if self.settings is None or self.digest is None:
            return
        site = Path(config.site_dir)
        try:
            if self.settings.search == "pagefind":
                bundle, count, seconds = write_search_index(
                    self.digest, self.settings, site, self._article_urls
                )
                # The time goes to the log only (benchmarks/search.py reads it), never the site.
                log.info(
                    "search: %s indexed by Pagefind in %.1f s (%s)",
                    counted(count, "article"),
                    seconds,
                    bundle.describe(),
                )
            if self.settings.feeds:
                written = write_feed_files(
                    self.digest, self.settings, site, config.use_directory_urls
                )
                log.debug("wrote %s", counted(len(written), "feed file"))
        except (FeedError, SearchIndexError) as error:
            raise PluginError(f"{config.config_file_path}: digest plugin: {error}") from None

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        # Rebuild when an article or a template changes, not only the docs folder.
        assert self.settings is not None
        server.watch(str(self.settings.content_dir))
        if self.settings.templates_dir is not None and self.settings.templates_dir.is_dir():
            server.watch(str(self.settings.templates_dir))
        return server


class _KeptPagesQuiet(logging.Filter):
    """MkDocs says "Page skipped ... Generated empty output" (its only info line while building
    a page) for each page it does not write: for the kept pages that is the point, not news
    (thousands of lines a build). Told by where it is said and which page is being built."""

    def __init__(self, plugin: DigestPlugin) -> None:
        super().__init__()
        self.plugin = plugin
        self.config: MkDocsConfig | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.funcName != "_build_page":
            return True
        page = getattr(self.config, "_current_page", None)
        cache = self.plugin.page_cache
        return page is None or cache is None or not cache.is_kept(page.file.src_uri)


# Where MkDocs, and ProperDocs (its fork, under its own name), build pages.
_BUILD_LOGGERS = ("mkdocs.commands.build", "properdocs.commands.build")
# Plugins known to make nothing of a page they are not shown (out of search, out of nav).
# With any other plugin (or hooks) every page is written: it may read or change pages.
_PAGE_LOCAL_PLUGINS = frozenset({"search", "material/search", "digest"})
# Extensions that read other files into pages (snippets, includes): a page's Markdown does not
# say everything its HTML depends on, so the page cache stays off with them.
_FILE_READING_EXTENSIONS = frozenset(
    {"pymdownx.snippets", "markdown_include.include", "mdx_include", "markdown_inline_graphviz"}
)


def _why_not_keep_pages(settings: DigestConfig, config: MkDocsConfig) -> str | None:
    """Why this build writes every page (None: it may keep unchanged ones)."""
    if settings.search != "pagefind":
        return "the theme's search indexes every page (search: material, or auto on a small digest)"
    others = sorted(set(config.plugins) - _PAGE_LOCAL_PLUGINS)
    if others:
        return f"plugin {others[0]!r} may read or change any page"
    if config.hooks:
        return "hooks may read or change any page"
    return None


def _release(page: Any) -> None:
    """Let go of a written article page's Markdown and HTML. MkDocs keeps every page's until
    the build ends, for nothing once the page is written (the theme's search has read it in
    on_page_context): at 100,000 articles that was gigabytes. Its anchors stay, for the check
    of links to them."""
    page.markdown = None
    page.content = None
    if page.file.generated_by is not None:
        page.file.content_string = ""


def _report_problems(digest: Digest, content_dir: Path) -> None:
    """Each file that was skipped, or read with a warning or a note, as MkDocs tells it
    (`--strict` fails on a warning)."""
    for problem in digest.problems:
        where = content_dir / problem.path
        if problem.outcome in ("excluded", "note"):
            log.info("%s: %s", where, problem.message)
        elif problem.outcome == "warning":
            log.warning("%s: %s", where, problem.message)
        else:
            log.warning("%s: skipped: %s", where, problem.message)


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
        # Told as `mkdocs build` tells it (info lines included).
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
    final = Path(config.site_dir).resolve()
    if isinstance(plugin, DigestPlugin):
        # MkDocs keeps one instance of a plugin with on_startup for every build in a process:
        # what is set here for this build is unset after it. Pages that cannot have changed
        # are linked from the live site, not written again.
        plugin.show_progress = progress
        plugin.serving = False
        plugin.final_site = final
    try:
        with staged_site(final, log.info) as staging:
            config.site_dir = str(staging)
            build(config)
    finally:
        if isinstance(plugin, DigestPlugin):
            plugin.show_progress = False
            plugin.final_site = None
    return final
