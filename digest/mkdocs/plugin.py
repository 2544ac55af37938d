"""The MkDocs plugin: a thin adapter from MkDocs events to the plain-Python pipeline.

This is the only module that imports MkDocs. It turns the plugin's options into a DigestConfig,
runs the pipeline, adds the rendered pages as generated files, and reports every problem
with the file it concerns (``mkdocs build --strict`` turns those warnings into a failure).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from digest.config import (
    OPTIONS,
    ConfigError,
    DigestConfig,
    Option,
    check_option_names,
    config_from_mapping,
)
from digest.mkdocs.steps import Guard, convert_apart, page_places, render_step
from digest.pipeline import analysed_digest
from digest.site.build_steps import GeneratedPages, env_flag, head_tags, settings_for_build
from digest.site.digest_build import DigestBuild
from digest.site.feeds import FeedError
from digest.site.headings import keep_heading_ids_out_of_reserved_names
from digest.site.output import (
    ASSETS,
    SUMMARIES,
    add_reader_assets,
    docs_conflict,
    in_nav,
    insert_in_head,
    shipped_asset,
    site_nav,
)
from digest.site.render import TemplateProblem
from digest.site.search import SearchIndexError, pagefind_only
from digest.store.publish import staged_site

log = get_plugin_logger(__name__)


class DigestConfigError(ConfigurationError):
    """A bad digest option or environment value: `mkdocs build` exits 2, as `digest` does."""

    exit_code = 2


class DigestPluginConfig(base.Config):
    """Options of the `digest` plugin in mkdocs.yml: digest.config.OPTIONS, each checked there."""


def _schema_entry(option: Option) -> Any:
    # Passed through as written (any object): digest.config checks it, so a bad value gets
    # the same message (naming the option) and exit code 2 from `mkdocs build` as from
    # `digest check`, rather than MkDocs' own schema error (exit 1) for some values only.
    checked = c.Type(object, default=option.default)
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
        # This build's settings, digest, pages and caches (made anew in every on_config).
        self.build: DigestBuild | None = None
        # `mkdocs serve` previews: they do not count as builds for "what's new".
        self.serving = False
        # Set by `digest build` (build_site); mkdocs build stays quiet unless asked.
        self.show_progress = False
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
        try:
            settings, told = settings_for_build(digest_config(self.config, config))
        except FeedError as error:
            raise DigestConfigError(f"{config.config_file_path}: digest plugin: {error}") from None
        if told is not None:
            log.info(told)
        self.build = DigestBuild(settings, self.serving, log)
        keep_heading_ids_out_of_reserved_names(config.mdx_configs)
        add_reader_assets(config.extra_css, config.extra_javascript)
        config.nav = site_nav(settings, list(config.nav or []))
        site, enabled = Path(config.site_dir), self.config["page_cache"]
        plugins, hooks = config.plugins, bool(config.hooks)
        if self.build.open_page_cache(enabled, site, self.final_site, plugins, hooks):
            kept_template = str(Path(__file__).parent / "templates")
            if kept_template not in config.theme.dirs:  # on_config runs on every serve rebuild
                config.theme.dirs.append(kept_template)
            # MkDocs says "Page skipped" for each page it does not write, from _build_page.
            self.build.quiet_kept_pages(_BUILD_LOGGERS, "_build_page", partial(_building, config))
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # MkDocs empties the site folder right after this event; the pages this build may keep
        # are moved aside first and brought back in on_files, before anything is written.
        if self.build is not None:
            self.build.move_aside()

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.build is not None
        self.build.bring_back()
        content_dir = self.build.settings.content_dir
        if not content_dir.is_dir():
            raise PluginError(f"{content_dir}: content folder does not exist")
        show = self.show_progress or self.config["progress"] or env_flag("DIGEST_PROGRESS")
        try:
            generated = self.build.make_pages(lambda c: analysed_digest(c, show, self.serving))
        except ValueError as error:
            raise PluginError(f"{config.config_file_path}: {error}") from None
        except TemplateProblem as error:
            raise PluginError(f"digest template {error}") from None
        self._add_files(files, config, generated)
        return files

    def _add_files(self, files: Files, config: MkDocsConfig, generated: GeneratedPages) -> None:
        assert self.build is not None
        for asset in ASSETS:
            if files.get_file_from_path(asset) is None:
                files.append(File.generated(config, asset, content=shipped_asset(asset)))
        for page in generated.pages:
            existing = files.get_file_from_path(page.path)
            if existing is not None and not existing.generated_by:
                raise PluginError(str(docs_conflict(existing.abs_src_path, page.path)))
            if existing is not None:
                files.remove(existing)
            inclusion = InclusionLevel.UNDEFINED if in_nav(page.path) else InclusionLevel.NOT_IN_NAV
            files.append(
                File.generated(config, page.path, content=page.markdown, inclusion=inclusion)
            )

        def url_of(path: str) -> str | None:
            found = files.get_file_from_path(path)
            return found.url if found is not None else None

        summaries = self.build.summaries(url_of)
        files.append(File.generated(config, SUMMARIES, content=summaries))

    def on_nav(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # After every plugin's on_config and on_files: the Markdown setup is final, and the
        # links of each key are resolved in the final files.
        assert self.build is not None
        self.build.avoid_file_reading(config.markdown_extensions)
        self.build.plan_pages(partial(page_places, config, nav, files))
        order = [file.src_uri for file in files.documentation_pages()]
        self.build.start_rendering(Path(config.site_dir), (convert_apart(config, files), order))
        return nav

    def _set_title_and_date(
        self, markdown: str, *, page: Any, config: MkDocsConfig, files: Any
    ) -> str:
        # A meta title is printed as it is (see digest.site.output.page_meta for why).
        if self.build is None:
            return markdown
        meta, dated = self.build.page_settings(page.file.src_uri)
        page.meta.update(meta)
        if dated is not None:
            page.update_date = dated
        return markdown

    @event_priority(-100)  # after every other plugin: the key is the Markdown MkDocs converts
    def _serve_converted(
        self, markdown: str, *, page: Any, config: MkDocsConfig, files: Any
    ) -> str:
        if self.build is None:
            return markdown
        cache = self.build.page_cache
        step = render_step(cache, page, markdown) if cache is not None else None
        if self.build.is_article(page.file.src_uri):
            # Whatever breaks an article's page is reported for its file; the rest builds.
            page.render = Guard(page, partial(self.build.page_failed, page.file.src_uri), step)
        elif step is not None:
            page.render = step
        return markdown

    on_page_markdown = CombinedEvent(_set_title_and_date, _serve_converted)

    @event_priority(-100)  # after every other plugin has seen it
    def on_page_content(self, html: str, *, page: Any, config: MkDocsConfig, files: Any) -> str:
        if self.build is not None and pagefind_only(page.file.src_uri):
            page.markdown, page.file.content_string = None, ""  # converted: read no more
            html = self.build.html_set_aside(page.file.src_uri, html)
        return html

    @event_priority(100)  # before any other plugin (the theme's search) reads the page
    def on_page_context(self, context: Any, *, page: Any, config: MkDocsConfig, nav: Any) -> Any:
        if self.build is not None:
            page.content = self.build.html_back(page.file.src_uri, page.content)
        return context

    def on_post_page(self, output: str, *, page: Any, config: MkDocsConfig) -> str:
        # Feed autodiscovery goes into the finished HTML, not a theme override (a user's own
        # custom_dir main.html, which Material tells users to write, would shadow it; a partial
        # would be copied): <link> tags before </head> work with any theme and custom_dir.
        if self.build is None:
            return output
        if pagefind_only(page.file.src_uri):
            page.content = None  # written: MkDocs would hold it to the end of the build
        if not output:  # empty: a page kept as written
            return output
        # The reader's script reads which search finds articles from the page.
        tags = head_tags(self.build.settings, page.file.src_uri, config.use_directory_urls)
        return insert_in_head(output, tags)

    def on_build_error(self, *, error: Exception) -> None:
        if self.build is not None:
            self.build.failed()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.build is None:
            return
        try:
            self.build.finish(Path(config.site_dir), config.use_directory_urls)
        except (FeedError, SearchIndexError) as error:
            raise PluginError(f"{config.config_file_path}: digest plugin: {error}") from None

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        # Rebuild when an article or a template changes, not only the docs folder.
        assert self.build is not None
        for folder in self.build.watched_folders():
            server.watch(str(folder))
        return server


# Where MkDocs, and ProperDocs (its fork, under its own name), build pages.
_BUILD_LOGGERS = ("mkdocs.commands.build", "properdocs.commands.build")


def _building(config: MkDocsConfig) -> str | None:
    """The source path of the page MkDocs is building (None between pages)."""
    page = getattr(config, "_current_page", None)
    return page.file.src_uri if page is not None else None


def build_site(
    config_file: str, strict: bool = False, site_dir: str | None = None, progress: bool = False
) -> Path:
    """Build the site as `mkdocs build` does, into a temporary folder swapped in on success.

    A failed build (a strict warning, a broken template) leaves the previous site untouched.
    With progress, a bar shows while many articles are summarized. What MkDocs says goes to
    the "mkdocs" logger (the CLI shows it as `mkdocs build` does).
    """
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
