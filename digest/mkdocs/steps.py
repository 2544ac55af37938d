"""MkDocs-specific render steps and setup fingerprints of the digest plugin.

Each step stands in for one page's ``Page.render``: hand over a stored conversion (`Restore`),
convert and store the result (`Record`), set up a page kept as written (`Kept`), or report a
failing article page for its file (`Guard`). The fingerprints say what every page's HTML
shares (the Markdown setup, the config, theme, plugins, navigation, code versions).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import Files
from mkdocs.structure.toc import AnchorLink, TableOfContents

from digest.model import DigestEntry
from digest.site.output import plain_text_html
from digest.store.fingerprint import markdown_setup, site_setup
from digest.store.kept_pages import KeptPages
from digest.store.page_cache import PageStore, RenderedPage, TocEntry
from digest.store.page_plan import PagePlan
from digest.wording import counted

log = get_plugin_logger("digest.mkdocs.plugin")


KEPT_TEMPLATE = "newsdigest-kept.html"


class PageCache:
    """The page cache's part in one MkDocs build: plans the generated pages (PagePlan: kept as
    written, or keyed), gives each page its render step, and saves what it stored.

    kept_pages: None when this build writes every page."""

    def __init__(self, store: PageStore, kept_pages: KeptPages | None) -> None:
        self.store, self.kept_pages = store, kept_pages
        self.plan: PagePlan | None = None
        # src_uri -> anchors of each page converted or restored without a warning
        self.clean: dict[str, tuple[str, ...]] = {}
        if kept_pages is not None:
            kept_pages.clean = self.clean
        self.store_conversions = False

    def plan_pages(
        self,
        config: MkDocsConfig,
        nav: Any,
        files: Files,
        pages: Sequence[Any],
        keepable: Callable[[Any], list[Any] | None],
    ) -> str | None:
        """Key every generated page; returns what keeping pages did, for the log."""

        def locate(path: str) -> tuple[str, str, str] | None:
            file = files.get_file_from_path(path)
            if file is None or file.generated_by is None:
                return None
            return file.src_uri, file.dest_uri, file.url

        def url_of(path: str) -> str | None:
            found = files.get_file_from_path(path)
            # A link to an excluded page is reported when converting: as good as none.
            return None if found is None or found.inclusion.is_excluded() else found.url

        setup = markdown_setup(config)
        # MkDocs collects a page's links to anchors (which every build must check) only when
        # its log is not verbose: a conversion is stored only then.
        level = logging.getLogger("mkdocs.structure.pages").getEffectiveLevel()
        self.store_conversions = level > logging.DEBUG
        self.plan = PagePlan(self.store, self.kept_pages, locate, url_of)
        shared = site_setup(config, nav, setup) if self.kept_pages is not None else ""
        return self.plan.plan(pages, setup, shared, keepable)

    def is_kept(self, src: str) -> bool:
        return self.kept_pages is not None and src in self.kept_pages.kept

    def set_render_step(self, page: Any, markdown: str) -> None:
        """Kept as written, restored from the cache, or converted and stored (or neither)."""
        src = page.file.src_uri
        kept = self.kept_pages.kept.get(src) if self.kept_pages is not None else None
        if kept is not None:
            # The site folder holds this page as this build would write it: nothing is
            # converted, and the theme renders an empty template, which MkDocs does not write.
            page.meta["template"] = KEPT_TEMPLATE
            wrap_render(page, Kept(page, kept.anchors))
            return
        expected = self.plan.expected.get(src) if self.plan is not None else None
        # A page another plugin rewrote is converted as usual, and not stored.
        if expected is None or markdown != expected[1]:
            return
        key, _, resolves = expected
        found = self.store.get(key)
        if found is not None:
            # This page's render step becomes handing over the stored result: MkDocs sets up
            # no Markdown converter for it, and every later step runs as usual.
            wrap_render(page, Restore(page, found, markdown, self.clean))
        elif self.store_conversions and resolves:
            wrap_render(page, Record(page, self.store, key, markdown, self.clean))

    def finish(self) -> None:
        """Save the record of the written pages and the new conversions."""
        if self.kept_pages is not None:
            self.kept_pages.save()
        if self.plan is not None:
            hits, total = self.plan.counts()
            log.info("%d of %s from the cache", hits, counted(total, "generated page"))
        self.store.save()


class Restore:
    """Sets what converting a page's Markdown would, from its stored conversion."""

    def __init__(
        self, page: Any, rendered: RenderedPage, markdown: str, clean: dict[str, tuple[str, ...]]
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


class Record:
    """Converts a page, then stores the result unless it links to anchors elsewhere (which
    every build must check). Only pages whose every link resolves get this step: a page whose
    conversion warns is converted, and warns, on every build."""

    def __init__(
        self,
        page: Any,
        store: PageStore,
        key: str,
        markdown: str,
        clean: dict[str, tuple[str, ...]],
    ) -> None:
        self.page, self.store, self.key, self.markdown, self.clean = (
            page,
            store,
            key,
            markdown,
            clean,
        )

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page = self.page
        del page.render
        page.render(config, files)
        # Not stored either when a later plugin changed the Markdown after the key was made.
        if page.links_to_anchors or page.markdown != self.markdown:
            return
        rendered = RenderedPage(
            html=page.content,
            toc=tuple(_toc_entry(link) for link in page.toc),
            # MkDocs' raw-HTML scanner can record a valueless attribute as the anchor None.
            anchors=tuple(sorted(a for a in page.present_anchor_ids or () if isinstance(a, str))),
            heading=page._title_from_render,
        )
        self.store.put(self.key, rendered)
        self.clean[page.file.src_uri] = rendered.anchors


class Kept:
    """A page kept from the previous build: nothing to convert; its anchors are known, for
    other pages' links to them."""

    def __init__(self, page: Any, anchors: tuple[str, ...]) -> None:
        self.page, self.anchors = page, anchors

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page = self.page
        del page.render
        page.content = ""
        page.toc = TableOfContents([])
        page.present_anchor_ids = set(self.anchors)
        page.links_to_anchors = {}


class Guard:
    """An article page's render: a failure is a warning naming the article's file, and the
    page shows its text as plain escaped paragraphs instead."""

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
            page.content = plain_text_html(self.entry)
            page.toc = TableOfContents([])
            page.present_anchor_ids = set()
            page.links_to_anchors = {}


def wrap_render(page: Any, render: Any) -> None:
    """Install a render step, inside the page's guard when it has one."""
    guard = page.__dict__.get("render")
    if isinstance(guard, Guard):
        guard.inner = render
    else:
        page.render = render


def _toc_entry(link: AnchorLink) -> TocEntry:
    return TocEntry(link.title, link.id, link.level, tuple(_toc_entry(c) for c in link.children))


def _anchor_link(entry: TocEntry) -> AnchorLink:
    link = AnchorLink(entry.title, entry.anchor, entry.level)
    link.children = [_anchor_link(child) for child in entry.children]
    return link
