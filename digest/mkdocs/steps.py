"""MkDocs-specific render steps and setup fingerprints of the digest plugin.

Each step stands in for one page's ``Page.render``: restore a stored conversion or convert (or
take one made ahead in a worker) and store it (`Converted`), set up a page kept as written
(`Kept`), or report a failing article page for its file (`Guard`). Which step a page gets is
the engine-neutral PageCache's answer (digest.store.page_plan); the fingerprints say what every
page's HTML shares (the Markdown setup, the config, theme, plugins, navigation, code versions).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from digest.site.digest_build import Places
from digest.store.fingerprint import markdown_setup, site_setup
from digest.store.page_cache import RenderedPage, TocEntry
from digest.store.page_plan import PageCache

KEPT_TEMPLATE = "newsdigest-kept.html"


def page_places(config: MkDocsConfig, nav: Any, files: Files, keeping: bool) -> Places:
    """Where MkDocs places the generated pages, for DigestBuild.plan_pages (see Places; keeping:
    whether pages may be kept, which decides what every kept page's HTML shares)."""

    def locate(path: str) -> tuple[str, str, str] | None:
        file = files.get_file_from_path(path)
        if file is None or file.generated_by is None:
            return None
        return file.src_uri, file.dest_uri, file.url

    def url_of(path: str) -> str | None:
        found = files.get_file_from_path(path)
        # A link to an excluded page is reported when converting: as good as none.
        return None if found is None or found.inclusion.is_excluded() else found.url

    def set_markdown(path: str, markdown: str) -> None:
        files.src_uris[path].content_string = markdown

    setup = markdown_setup(config)
    shared = site_setup(config, nav, setup) if keeping else ""
    # Links to anchors (checked every build) are collected only when MkDocs is not verbose.
    level = logging.getLogger("mkdocs.structure.pages").getEffectiveLevel()
    return (setup, shared), (locate, url_of), level > logging.DEBUG, set_markdown


def render_step(cache: PageCache, page: Any, markdown: str) -> Kept | Converted | None:
    """Kept as written, restored from the cache, or converted and stored (None: as usual)."""
    anchors = cache.kept_anchors(page.file.src_uri)
    if anchors is not None:
        # The site folder holds this page as this build would write it: nothing is
        # converted, and the theme renders an empty template, which MkDocs does not write.
        page.meta["template"] = KEPT_TEMPLATE
        return Kept(page, anchors)
    stored = cache.stored(page.file.src_uri, markdown)
    if stored is None or (stored.rendered is None and not stored.may_store):
        return None
    return Converted(page, cache, stored.key, markdown, stored.rendered)


def convert_apart(config: MkDocsConfig, files: Files) -> Callable[[str, str], RenderedPage | None]:
    """A page's conversion as Converted stores it, made in a worker process (for
    DigestBuild.start_rendering); None for a page linking to anchors elsewhere."""

    def convert(src: str, markdown: str) -> RenderedPage | None:
        file = files.src_uris[src]  # (none: KeyError, and MkDocs converts the page itself)
        page = file.page or Page(None, file, config)
        page.markdown = markdown
        try:
            Page.render(page, config, files)
            return None if page.links_to_anchors else _rendered(page)
        finally:  # else a worker keeps every page it made (as file.page), HTML and all
            file.page = page.markdown = page.content = None

    return convert


def _rendered(page: Any) -> RenderedPage:
    return RenderedPage(
        html=page.content,
        toc=tuple(TocEntry.of(link) for link in page.toc),
        # MkDocs' raw-HTML scanner can record a valueless attribute as the anchor None.
        anchors=tuple(sorted(a for a in page.present_anchor_ids or () if isinstance(a, str))),
        heading=page._title_from_render,
    )


def _set_converted(page: Any, content: str, toc: list[AnchorLink], anchors: Any) -> None:
    """Set what converting a page's Markdown sets, for a page that is not converted now."""
    page.content = content
    page.toc = TableOfContents(toc)
    page.present_anchor_ids = set(anchors)
    page.links_to_anchors = {}


@dataclass(eq=False)
class Converted:
    """Sets what converting a page's Markdown sets: from its stored conversion (MkDocs sets up
    no Markdown converter for it), one made ahead in a worker, or by converting it now. A new
    conversion is stored unless the page links to anchors elsewhere (which every build must
    check). Only pages whose every link resolves are stored: a page whose conversion warns is
    converted, and warns, on every build."""

    page: Any
    cache: PageCache
    key: str
    markdown: str
    stored: RenderedPage | None

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        page = self.page
        del page.render  # back to the class's method
        rendered = self.stored or self.cache.converted_ahead(page.file.src_uri)
        if page.markdown != self.markdown:  # a later plugin changed it after the key was made
            page.render(config, files)
            return
        if rendered is None:
            page.render(config, files)
            if page.links_to_anchors:
                return
            rendered = _rendered(page)
        else:
            toc = [_anchor_link(entry) for entry in rendered.toc]
            if toc:  # as MkDocs' get_toc does
                toc[0].active = True  # type: ignore[attr-defined]
            _set_converted(page, rendered.html, toc, rendered.anchors)
            page._title_from_render = rendered.heading
        if self.stored is None:
            self.cache.store.put(self.key, rendered)
        # Stored only when converting it said nothing: it may be kept next time.
        self.cache.clean[page.file.src_uri] = rendered.anchors


@dataclass(eq=False)
class Kept:
    """A page kept from the previous build: nothing to convert; its anchors are known, for
    other pages' links to them."""

    page: Any
    anchors: tuple[str, ...]

    def __call__(self, config: MkDocsConfig, files: Files) -> None:
        del self.page.render
        _set_converted(self.page, "", [], self.anchors)


@dataclass(eq=False)
class Guard:
    """An article page's render: a failure is a warning naming the article's file, and the
    page shows its text as plain escaped paragraphs instead (failed: the build's page_failed
    for this page, which warns and gives that HTML)."""

    page: Any
    failed: Callable[[Exception], str]
    # The page's own render step it guards (None: MkDocs' conversion).
    inner: Any = None

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
            _set_converted(page, self.failed(error), [], ())


def _anchor_link(entry: TocEntry) -> AnchorLink:
    link = AnchorLink(entry.title, entry.anchor, entry.level)
    link.children = [_anchor_link(child) for child in entry.children]
    return link
