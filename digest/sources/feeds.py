"""Feed and sitemap items: what a source lists, newest first.

Bodies come from the network or the cache and are untrusted: XML is parsed without entities,
DTDs or network access; JSON with the standard parser; nothing is evaluated.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import feedparser
from dateutil import parser as dateparser
from lxml import etree

from digest.sources.urls import absolute


class FeedError(ValueError):
    """The document is not a feed or sitemap this code can read."""


@dataclass(frozen=True)
class Item:
    """One entry of a feed or sitemap."""

    url: str
    title: str | None = None
    date: datetime | None = None
    author: str | None = None
    # The entry's HTML content as the feed gave it (content:encoded, Atom content, JSON
    # Feed content_html): the full text when the feed carries it.
    content_html: str | None = None
    content_text: str | None = None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dateparser.parse(value.strip())
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed if 1800 <= parsed.year <= 2200 else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def parse_feed(body: bytes, base_url: str) -> list[Item]:
    """Items of an RSS, Atom or JSON Feed document (in document order)."""
    if body.lstrip()[:1] == b"{":
        return _json_feed(body, base_url)
    # A stream, never a str: feedparser treats a str that looks like a URL or a file name
    # as something to open.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    if not parsed.entries and (parsed.bozo or not parsed.version):
        raise FeedError(f"not a feed ({getattr(parsed, 'bozo_exception', 'no entries')})")
    items = []
    for entry in parsed.entries:
        link = absolute(base_url, entry.get("link") or entry.get("id") or "")
        if link is None:
            continue
        content = None
        for part in entry.get("content") or []:
            if part.get("type") in ("text/html", "application/xhtml+xml") and part.get("value"):
                content = part["value"]
                break
        date = _date(entry.get("published") or entry.get("updated") or entry.get("dc_date"))
        items.append(
            Item(
                url=link,
                title=_text(entry.get("title")),
                date=date,
                author=_text(entry.get("author")),
                content_html=content,
            )
        )
    return items


def _json_feed(body: bytes, base_url: str) -> list[Item]:
    try:
        document = json.loads(body)
    except ValueError as error:
        raise FeedError(f"not valid JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError("a JSON document without an 'items' list is not a JSON Feed")
    items = []
    for entry in document["items"]:
        if not isinstance(entry, dict):
            continue
        href = entry.get("url") or entry.get("external_url") or entry.get("id")
        link = absolute(base_url, href) if isinstance(href, str) else None
        if link is None:
            continue
        authors = entry.get("authors") or ([entry["author"]] if "author" in entry else [])
        names = (
            [a.get("name") for a in authors if isinstance(a, dict)]
            if isinstance(authors, list)
            else []
        )
        items.append(
            Item(
                url=link,
                title=_text(entry.get("title")),
                date=_date(entry.get("date_published") or entry.get("date_modified")),
                author=", ".join(n.strip() for n in names if isinstance(n, str) and n.strip())
                or None,
                content_html=_text(entry.get("content_html")),
                content_text=_text(entry.get("content_text")),
            )
        )
    return items


_SAFE_XML = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)
_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def parse_sitemap(body: bytes, base_url: str) -> tuple[list[Item], list[str]]:
    """(pages, child sitemaps) of a sitemap, news sitemap or sitemap index."""
    try:
        root = etree.fromstring(body, _SAFE_XML)
    except etree.XMLSyntaxError as error:
        raise FeedError(f"not a sitemap ({error})") from None
    if root is None or not isinstance(root.tag, str):
        raise FeedError("not a sitemap (empty document)")
    tag = etree.QName(root).localname
    if tag not in ("urlset", "sitemapindex"):
        raise FeedError(f"not a sitemap (root element <{tag}>)")

    def child_text(node: Any, name: str) -> str | None:
        for found in node.iter(f"{_SITEMAP}{name}", name, f"{_NEWS}{name}"):
            return _text(found.text)
        return None

    if tag == "sitemapindex":
        children = [child_text(node, "loc") for node in root.iter(f"{_SITEMAP}sitemap", "sitemap")]
        return [], [u for c in children if c and (u := absolute(base_url, c))]
    items = []
    for node in root.iter(f"{_SITEMAP}url", "url"):
        loc = child_text(node, "loc")
        link = absolute(base_url, loc) if loc else None
        if link is None:
            continue
        date = _date(child_text(node, "publication_date") or child_text(node, "lastmod"))
        items.append(Item(url=link, title=child_text(node, "title"), date=date))
    return items, []


def newest(items: list[Item], limit: int) -> list[Item]:
    """At most limit items, newest first; undated ones keep their place after dated ones."""
    floor = datetime(1800, 1, 1, tzinfo=timezone.utc)
    ranked = sorted(enumerate(items), key=lambda p: (-(p[1].date or floor).timestamp(), p[0]))
    return [item for _, item in ranked[:limit]]
