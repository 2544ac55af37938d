"""What a digest site holds besides its pages' HTML, for any site builder.

The MkDocs plugin and the Zensical adapter (and `digest render`) share these, so every engine
publishes the same stylesheet, script, search summaries, feeds and OPML list, and the same
navigation. Nothing here imports a site builder.
"""

from __future__ import annotations

import html
import json
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from digest.analysis.stories import listed_once
from digest.config import DigestConfig
from digest.model import Digest, DigestEntry, TopicDigest
from digest.site.feeds import build_feeds, sitemap_stubs, write_feeds
from digest.site.render import Page, PageRenderer, article_page_path, nav_items
from digest.site.search import (
    SearchBundle,
    names_by_slug,
    out_of_theme_search,
    pending_records,
    resolved_search,
    result_card,
    shard_cache,
    write_pagefind,
)
from digest.store.history import Changes

# The reader's stylesheet and script ship in the package; a docs/ file at the same path replaces
# one (a user's own restyling).
STYLESHEET = "assets/newsdigest.css"
SCRIPT = "assets/newsdigest.js"
ASSETS = (STYLESHEET, SCRIPT)
# Article summaries by page URL: the script shows them in search results.
SUMMARIES = "assets/newsdigest-summaries.json"


def shipped_asset(path: str) -> str:
    """The text of one of ASSETS as shipped in the package."""
    return (Path(__file__).parent / path).read_text(encoding="utf-8")


def page_dest(src_path: str, use_directory_urls: bool = True) -> str:
    """Where a Markdown page's HTML lands, by MkDocs' rule (Zensical follows it):
    x/index.md -> x/index.html, x/a.md -> x/a/index.html (or x/a.html)."""
    folder, name = src_path.rsplit("/", 1) if "/" in src_path else ("", src_path)
    stem = name.rsplit(".", 1)[0]
    if stem in ("index", "README"):
        dest = "index.html"
    elif use_directory_urls:
        dest = f"{stem}/index.html"
    else:
        dest = f"{stem}.html"
    return f"{folder}/{dest}" if folder else dest


def page_url(src_path: str, use_directory_urls: bool = True) -> str:
    """A page's URL relative to the site root, as MkDocs' File.url gives it."""
    dest = page_dest(src_path, use_directory_urls)
    if use_directory_urls and dest.endswith("index.html"):
        dest = dest[: -len("index.html")] or "./"
    return quote(dest)


def summaries_json(cards: Mapping[str, Mapping[str, str]]) -> str:
    """The search summaries file the reader's script adds to the theme's own results (under
    `search: material`): {page URL: {"summary", "date", "source", "topics"}}, keys sorted so
    the bytes are stable."""
    return json.dumps(dict(cards), sort_keys=True)


def article_summaries(
    digest: Digest, config: DigestConfig, use_directory_urls: bool = True
) -> dict[str, dict[str, str]]:
    """{article page URL: its result card (summary, date, source, topics)} for every article."""
    names = names_by_slug(config)
    return {
        page_url(article_page_path(e.article.slug), use_directory_urls): result_card(e, names)
        for e in digest.entries
    }


def in_nav(path: str) -> bool:
    """Whether a generated page may be in the navigation: not articles, stories, archive
    months or later listing pages (thousands of them: MkDocs renders the nav into every page)."""
    return not (
        path.startswith(("articles/", "stories/", "archive/2", "archive/1")) or "/page-" in path
    )


def plain_text_html(entry: DigestEntry) -> str:
    """An article's page as plain escaped paragraphs: what is published when its page cannot
    be converted."""
    article = entry.article
    texts = (article.title, entry.summary.text, *article.paragraphs)
    return "".join(f"<p>{html.escape(text)}</p>" for text in texts)


def update_day(dated: datetime | None) -> str | None:
    """The day a page says it was updated (sitemap.xml's lastmod): the content's own date, so
    rebuilds stay byte-identical; never before 1970, as sitemap.xml.gz's time stamp is an
    unsigned 32-bit number."""
    if dated is None:
        return None
    return max(dated.astimezone(timezone.utc).date(), _EPOCH_DAY).isoformat()


_EPOCH_DAY = date(1970, 1, 1)


def write_feed_files(
    digest: Digest, config: DigestConfig, root: Path, use_directory_urls: bool
) -> list[str]:
    """Write the feeds, the OPML list and their folders' empty sitemaps under root; their
    paths. A story is one item, under its earliest article's id: a new source is no new item."""
    feeds = build_feeds(listed_once(digest), config, use_directory_urls)
    files = feeds + sitemap_stubs(feeds)
    write_feeds(files, root)
    return [feed.path for feed in files]


def write_search_index(
    digest: Digest, config: DigestConfig, root: Path, urls: Mapping[str, str]
) -> tuple[SearchBundle, int, float]:
    """Write the Pagefind bundle of the articles under root (urls: each article's page URL by
    its source path); the bundle, how many articles it indexes and the seconds it took."""
    records = pending_records(digest, config, lambda e: urls.get(e.article.source_path))
    started = time.perf_counter()
    bundle = write_pagefind(records, root, config.language, cache=shard_cache(config.cache_dir))
    return bundle, len(records), time.perf_counter() - started


def site_nav(config: DigestConfig, user_nav: Sequence[Any] = ()) -> list[Any]:
    """The digest's navigation (Home, topics, Other, Archive, Subscribe), then the user's.

    Made from the configured topics alone, so it is known before any article is read (MkDocs
    needs it in on_config)."""
    placeholder = Digest(
        entries=(), topics=tuple(TopicDigest(t, ()) for t in config.topics), other=()
    )
    return _text_titles(nav_items(placeholder, subscribe=config.feeds)) + list(user_nav)


def _text_titles(items: list[Any]) -> list[Any]:
    """The digest's nav entries with their titles HTML-escaped: themes print a nav title as
    HTML (Material does), and a topic's name is the user's text, `R&D <Labs>` included."""
    escaped: list[Any] = []
    for item in items:
        if isinstance(item, dict):
            escaped.append(
                {
                    html.escape(title, quote=False): _text_titles(value)
                    if isinstance(value, list)
                    else value
                    for title, value in item.items()
                }
            )
        else:
            escaped.append(item)
    return escaped


def insert_in_head(html_text: str, tags: str) -> str:
    """Put tags just before the first </head> (the real one: page content comes after it)."""
    if not tags:
        return html_text
    at = html_text.find("</head>")
    if at < 0:  # not as themes write it: look again ignoring case (lowercasing a page costs)
        at = html_text.lower().find("</head>")
    if at < 0:
        return html_text
    return f"{html_text[:at]}{tags}\n{html_text[at:]}"


def page_meta(config: DigestConfig, page: Page, *, quote: bool) -> dict[str, Any]:
    """A generated page's settings for the engine: its title, escaped for HTML, and for a page
    Pagefind searches, `search: exclude` (out of the theme's own index, which every visit
    downloads whole: see digest/site/search.py).

    Without a title of its own, an engine takes the page's title from its first heading as
    HTML: Zensical (and Material's `striptags`) turn its `&#60;` back into `<` inside <title>,
    so a headline `</title><script>...` would run. A title set here is printed as written.
    quote: whether quotes are escaped too (the MkDocs plugin's titles; Zensical's search shows
    the title as text in a result's path, where `&#x27;` would be seen).
    """
    meta: dict[str, Any] = {"title": html.escape(page.title, quote=quote)}
    if out_of_theme_search(config, page.path):
        meta["search"] = {"exclude": True}
    return meta


def _with_title(config: DigestConfig, page: Page) -> str:
    """The page's Markdown under front matter with its page_meta (a headline with `&`, `<` or
    `>` shows its entity in Zensical's search results: the price of a safe <title>). JSON
    strings are YAML strings, with every quote escaped."""
    meta = page_meta(config, page, quote=False)
    title = json.dumps(meta["title"], ensure_ascii=False)
    exclude = "search:\n  exclude: true\n" if "search" in meta else ""
    return f"---\ntitle: {title}\n{exclude}---\n\n{page.markdown}"


def add_reader_assets(extra_css: list[Any], extra_javascript: list[Any]) -> None:
    """Add the reader's stylesheet and script to a site's extra_css and extra_javascript, unless
    the site lists them itself (a script as a path, or as a mapping with its path)."""
    if STYLESHEET not in extra_css:
        extra_css.append(STYLESHEET)
    paths = [s.get("path") if isinstance(s, dict) else str(s) for s in extra_javascript]
    if SCRIPT not in paths:
        extra_javascript.append(SCRIPT)


class DocsConflict(ValueError):
    """A user's docs file sits where the digest writes a generated page."""


def docs_conflict(source: object, path: str) -> DocsConflict:
    """The error for a user's docs file (source) at a generated page's path."""
    return DocsConflict(
        f"{source}: conflicts with the digest's generated page {path}; rename or remove it"
    )


@dataclass(frozen=True)
class DocsFolder:
    """What write_docs_folder wrote: the generated pages and every other file, by path."""

    pages: tuple[Page, ...]
    user_files: tuple[str, ...]
    other_files: tuple[str, ...]


def write_docs_folder(
    config: DigestConfig,
    digest: Digest,
    changes: Changes | None,
    out_dir: Path,
    *,
    use_directory_urls: bool = True,
    user_docs: Path | None = None,
) -> DocsFolder:
    """Write everything a Markdown site builder needs to publish the digest into out_dir.

    The user's own docs (when given) are copied first; then the generated pages, the reader's
    stylesheet and script (unless the user's docs have their own), the search summaries, and,
    with feeds on, the feeds, OPML list and their empty sitemaps as static files, and with
    Pagefind (see resolved_search) its bundle, byte for byte what the MkDocs build writes. Raises
    TemplateProblem, FeedError, DocsConflict or SearchIndexError.
    """
    config = resolved_search(config)
    root = out_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)

    def target(path: str) -> Path:
        where = (root / path).resolve()
        if not where.is_relative_to(root):
            raise DocsConflict(f"refusing to write outside {out_dir}: {path}")
        where.parent.mkdir(parents=True, exist_ok=True)
        return where

    pages = PageRenderer(config).render(digest, changes)
    user_files: list[str] = []
    if user_docs is not None and user_docs.is_dir():
        generated = {page.path for page in pages}
        for source in sorted(user_docs.rglob("*")):
            # Hidden files and folders stay out, as MkDocs leaves them out of a site.
            relative = source.relative_to(user_docs)
            if not source.is_file() or any(p.startswith(".") for p in relative.parts):
                continue
            path = relative.as_posix()
            if path in generated:
                raise docs_conflict(source, path)
            shutil.copyfile(source, target(path))
            user_files.append(path)
    for page in pages:
        target(page.path).write_text(_with_title(config, page), encoding="utf-8")
    other: list[str] = []
    for asset in ASSETS:
        if asset not in user_files:
            target(asset).write_text(shipped_asset(asset), encoding="utf-8")
            other.append(asset)
    summaries = summaries_json(article_summaries(digest, config, use_directory_urls))
    target(SUMMARIES).write_text(summaries, encoding="utf-8")
    other.append(SUMMARIES)
    if config.feeds:
        other.extend(write_feed_files(digest, config, root, use_directory_urls))
    if config.search == "pagefind":
        # The same records, hence the same bundle, as the MkDocs plugin writes into its site;
        # a builder copies it into the site as it copies the feeds.
        urls = {
            e.article.source_path: page_url(article_page_path(e.article.slug), use_directory_urls)
            for e in digest.entries
        }
        bundle = write_search_index(digest, config, root, urls)[0].path
        other.extend(
            p.relative_to(root).as_posix() for p in sorted(bundle.rglob("*")) if p.is_file()
        )
    return DocsFolder(pages, tuple(user_files), tuple(other))
