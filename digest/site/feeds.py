"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the whole digest and of every topic, plus OPML.

Plain Python (no MkDocs): the plugin calls ``build_feeds`` after the site is built and writes the
files with ``write_feeds``; the page renderer asks ``feed_site`` for the links it shows.

Why ElementTree and ``json`` rather than feedgen: feedgen stamps ``lastBuildDate`` and every
entry's ``atom:updated`` with ``datetime.now()`` unless each is set by hand (one forgotten field
and two builds differ), adds generator/docs elements we do not want, formats RSS dates by
switching the whole process's locale with ``setlocale(LC_ALL)`` (not safe next to the live-reload
thread of ``mkdocs serve``), rejects control characters with an exception instead of leaving them
to us, and has no JSON Feed or OPML, which we must write ourselves anyway. Four small serializers
over one cleaned item model give byte-identical output we fully control, with no extra dependency.

Every text value is cleaned once (``clean_text``): characters XML 1.0 forbids, lone surrogates,
C1 controls and bidi overrides are removed; ElementTree and ``json`` then escape the rest
(``&``, ``<``, ``]]>``). HTML fields are built with ``html.escape`` so readers show the text as
written, never as markup.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from digest.config import DigestConfig, source_date_epoch
from digest.language import direction, language_tag
from digest.model import Article, Digest, DigestEntry, Summary, Topic
from digest.site.paths import HOME_PAGE, article_page_path, relative_path, topic_page_path

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# GUIDs are UUIDv5 in this namespace (itself uuid5(NAMESPACE_URL, "newsdigest:article")), so the
# same article gets the same id on every machine and every build.
_ARTICLE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "newsdigest:article")

# Where a feed stands when nothing has a date (no articles, no SOURCE_DATE_EPOCH): a fixed
# instant rather than the wall clock, so an empty digest still builds byte-identical feeds.
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class FeedError(ValueError):
    """Feeds cannot be built with this configuration (e.g. no site_url)."""


@dataclass(frozen=True)
class FeedFormat:
    key: str
    label: str
    media_type: str
    filename: str


RSS = FeedFormat("rss", "RSS", "application/rss+xml", "rss.xml")
ATOM = FeedFormat("atom", "Atom", "application/atom+xml", "atom.xml")
JSON_FEED = FeedFormat("json", "JSON Feed", "application/feed+json", "feed.json")
FORMATS: tuple[FeedFormat, ...] = (RSS, ATOM, JSON_FEED)

FEEDS_DIR = "feeds"
OPML_PATH = f"{FEEDS_DIR}/subscriptions.opml"
# mkdocs-material fetches sitemap.xml beside the target of every <link rel="alternate"> in a page
# (it maps language versions that way; zensical/zensical#908). Each folder of feeds gets a valid,
# empty one, so that fetch finds a document instead of a 404 and a console error on every page.
EMPTY_SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>\n'
)


def feed_path(fmt: FeedFormat, topic_slug: str | None = None) -> str:
    """Where a feed lives in the built site, e.g. feeds/rss.xml, feeds/topics/iran/atom.xml."""
    folder = FEEDS_DIR if topic_slug is None else f"{FEEDS_DIR}/topics/{topic_slug}"
    return f"{folder}/{fmt.filename}"


@dataclass(frozen=True)
class FeedLink:
    """One feed as a page shows it: format, title and absolute address."""

    format: FeedFormat
    title: str
    url: str

    @property
    def label(self) -> str:
        return self.format.label

    @property
    def media_type(self) -> str:
        return self.format.media_type


@dataclass(frozen=True)
class FeedSite:
    """Turns paths of the built site into absolute URLs."""

    base_url: str
    site_name: str
    use_directory_urls: bool = True

    def url(self, path: str) -> str:
        """Absolute URL of a file in the built site."""
        return urljoin(self.base_url, quote(path, safe="/-._~"))

    def page_url(self, src_path: str) -> str:
        """Absolute URL of a generated page, by MkDocs' rule (x/index.md -> x/, x/a.md -> x/a/)."""
        folder, name = posixpath.split(src_path)
        stem = posixpath.splitext(name)[0]
        if stem in ("index", "README"):
            dest = f"{folder}/" if folder else ""
        elif self.use_directory_urls:
            dest = f"{folder}/{stem}/" if folder else f"{stem}/"
        else:
            dest = f"{folder}/{stem}.html" if folder else f"{stem}.html"
        return self.url(dest)

    def title(self, topic: Topic | None = None) -> str:
        name = clean_text(self.site_name) or "News digest"
        return name if topic is None else f"{name}: {clean_text(topic.name) or topic.slug}"

    def links(self, topic: Topic | None = None) -> tuple[FeedLink, ...]:
        """The RSS, Atom and JSON feeds of the site (topic None) or of one topic."""
        slug = None if topic is None else topic.slug
        title = self.title(topic)
        return tuple(FeedLink(f, title, self.url(feed_path(f, slug))) for f in FORMATS)

    @property
    def opml_url(self) -> str:
        return self.url(OPML_PATH)


def feed_site(config: DigestConfig, use_directory_urls: bool = True) -> FeedSite | None:
    """The site's feed addresses, or None when feeds are off or there is no site_url."""
    if not config.feeds or not config.site_url:
        return None
    return FeedSite(check_site_url(config.site_url), config.site_name, use_directory_urls)


_TOPIC_PAGE = re.compile(r"topics/([^/]+)/(?:index|page-\d+)\.md")


def autodiscovery_links(
    config: DigestConfig, page_path: str, use_directory_urls: bool = True
) -> str:
    """<link rel="alternate"> tags for a page's head: the site's feeds, and on a topic's pages
    that topic's feeds first (a reader offering one choice should offer the page's own feed)."""
    site = feed_site(config, use_directory_urls)
    if site is None:
        return ""
    links = list(site.links())
    match = _TOPIC_PAGE.fullmatch(page_path)
    topic = next((t for t in config.topics if match and t.slug == match.group(1)), None)
    if topic is not None:
        links = list(site.links(topic)) + links
    # Relative to the page: the browser resolves it against wherever the site is served, so a
    # preview or an offline copy never calls the published site (Material fetches beside it).
    page_folder = posixpath.dirname(site.page_url(page_path)[len(site.base_url) :]) or "."
    return "\n".join(
        f'<link rel="alternate" type="{link.media_type}" '
        f'title="{html.escape(f"{link.title} ({link.label})")}" '
        f'href="{html.escape(relative_path(link.url[len(site.base_url) :], page_folder))}">'
        for link in links
    )


def check_site_url(site_url: str | None) -> str:
    """site_url as a base for absolute links (with a trailing slash), or a FeedError saying why."""
    if not site_url or not site_url.strip():
        raise FeedError(
            "feeds need absolute links: set `site_url` in mkdocs.yml to the address the site is "
            "published at (or turn feeds off with `feeds: false` under the digest plugin)"
        )
    parts = urlsplit(site_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"site_url {site_url!r} is not an absolute http(s) address")
    return site_url.strip() if site_url.strip().endswith("/") else site_url.strip() + "/"


# --- Cleaning untrusted text ---

# Not allowed in XML 1.0 (C0 controls but tab/newline/return, surrogates, U+FFFE/U+FFFF), plus
# C1 controls (allowed, but only ever noise in news text) and the bidi embedding, override and
# isolate controls that can make a title display as something it is not.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)


def clean_text(value: object) -> str:
    """Untrusted text as one line that any XML or JSON feed can carry."""
    if value is None:
        return ""
    return " ".join(_UNSAFE.sub("", str(value)).split())


def article_guid(article: Article, topic_slug: str | None = None) -> str:
    """A GUID for the article that survives rebuilds, moves between topics and better summaries.

    It comes from what identifies the article (its file in content/ and its calendar date), not
    from the page URL, the site address, the summary or the article's position in a feed.
    A topic feed's item gets its own GUID (the topic's slug joins the key): it carries another
    summary than the site feed's item, and readers such as newsboat keep one item per GUID
    across all subscriptions, so a shared GUID would empty the site feed of every story that
    is also in a subscribed topic feed. RSS, Atom and JSON editions of one feed share GUIDs.
    """
    key = f"{article.source_path}\n{article.date.date().isoformat()}"
    if topic_slug is not None:
        key += f"\ntopic:{topic_slug}"
    return f"urn:uuid:{uuid.uuid5(_ARTICLE_NAMESPACE, key)}"


def _external_url(url: str | None) -> str | None:
    """The original article's address if it is a usable http(s) URL, percent-encoded."""
    if not url:
        return None
    url = clean_text(url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def rfc822(value: datetime) -> str:
    """RFC 822 (as RFC 1123 spells it) in GMT, independent of the locale."""
    return format_datetime(value.astimezone(timezone.utc), usegmt=True)


def rfc3339(value: datetime) -> str:
    utc = value.astimezone(timezone.utc)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


# --- The model the serializers share ---


@dataclass(frozen=True)
class FeedItem:
    guid: str
    title: str
    link: str
    date: datetime
    summary: str
    categories: tuple[str, ...]
    original_url: str | None = None
    source: str | None = None
    author: str | None = None
    # The article's language when it is not the channel's (ISO 639-1), else None.
    language: str | None = None

    @property
    def html(self) -> str:
        """The description as HTML: the summary, then where the story comes from."""
        marked = (
            f' lang="{self.language}" dir="{direction(self.language)}"' if self.language else ""
        )
        parts = [f"<p{marked}>{html.escape(self.summary)}</p>"] if self.summary else []
        if self.original_url:
            label = html.escape(self.source or "Original article")
            href = html.escape(self.original_url)
            credit = f'<a href="{href}">{label}</a>'
            parts.append(f"<p>Source: {credit}</p>" if self.source else f"<p>{credit}</p>")
        elif self.source:
            parts.append(f"<p>Source: {html.escape(self.source)}</p>")
        return "".join(parts)


@dataclass(frozen=True)
class Channel:
    key: str  # "" for the whole digest, else the topic's slug
    title: str
    description: str
    language: str
    home: str  # absolute URL of the HTML page the feed mirrors
    links: tuple[FeedLink, ...]
    updated: datetime
    items: tuple[FeedItem, ...]

    def self_url(self, fmt: FeedFormat) -> str:
        return next(link.url for link in self.links if link.format == fmt)


@dataclass(frozen=True)
class FeedFile:
    """A file to write into the site folder."""

    path: str
    content: bytes


def _item(
    entry: DigestEntry,
    summary: Summary | None,
    site: FeedSite,
    topic_names: dict[str, str],
    topic_slug: str | None = None,
    channel_language: str = "en",
) -> FeedItem:
    # Imported here: render imports this module for the feed links its pages show.

    article = entry.article
    original = _external_url(article.url)
    return FeedItem(
        guid=article_guid(article, topic_slug),
        title=clean_text(article.title) or "Untitled",
        link=site.page_url(article_page_path(article.slug)),
        date=article.date,
        summary=clean_text((summary or entry.summary).text),
        categories=tuple(topic_names[m.topic] for m in entry.topics if topic_names.get(m.topic)),
        original_url=original,
        source=clean_text(article.source) or None,
        author=clean_text(article.author) or None,
        language=_item_language(article.language, channel_language),
    )


def _item_language(language: str, channel_language: str) -> str | None:
    code = language_tag(language)
    return code if code and code != (language_tag(channel_language) or "en") else None


def channels(digest: Digest, config: DigestConfig, site: FeedSite) -> tuple[Channel, ...]:
    """The whole digest's channel, then one per topic (its items carry the topic's summary)."""

    limit = max(1, config.feed_items)
    epoch = source_date_epoch()
    names = {t.topic.slug: clean_text(t.topic.name) for t in digest.topics}
    language = clean_text(config.language) or "en"

    def updated(entries: Sequence[DigestEntry]) -> datetime:
        if epoch is not None:
            return epoch
        if entries:
            return max(e.article.date for e in entries)
        return digest.updated or _EPOCH

    site_entries = digest.entries[:limit]
    result = [
        Channel(
            key="",
            title=site.title(),
            description=clean_text(config.site_description)
            or f"Summaries of the news from {site.title()}",
            language=language,
            home=site.page_url(HOME_PAGE),
            links=site.links(),
            updated=updated(digest.entries),
            items=tuple(
                _item(e, e.summary, site, names, channel_language=language) for e in site_entries
            ),
        )
    ]
    for topic_digest in digest.topics:
        topic = topic_digest.topic
        entries = topic_digest.entries[:limit]
        items = []
        for entry in entries:
            match = entry.match(topic.slug)
            summary = match.summary if match else None
            items.append(_item(entry, summary, site, names, topic.slug, language))
        result.append(
            Channel(
                key=topic.slug,
                title=site.title(topic),
                description=clean_text(topic.description)
                or f"Stories about {clean_text(topic.name)} from {site.title()}",
                language=language,
                home=site.page_url(topic_page_path(topic.slug)),
                links=site.links(topic),
                updated=updated(topic_digest.entries),
                items=tuple(items),
            )
        )
    return tuple(result)


# --- Serializers ---

ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)


def _sub(parent: ET.Element, tag: str, text: str | None = None, /, **attrib: str) -> ET.Element:
    # Positional-only, so that an attribute may be called "text" (OPML's outline has one).
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def rss(channel: Channel) -> bytes:
    root = ET.Element("rss", {"version": "2.0"})
    ch = _sub(root, "channel")
    _sub(ch, "title", channel.title)
    _sub(ch, "link", channel.home)
    # Readers show a channel's description as HTML, as they do an item's: the topic
    # description is the user's text, so it goes in escaped.
    _sub(ch, "description", html.escape(channel.description, quote=False))
    _sub(ch, "language", channel.language)
    _sub(ch, "lastBuildDate", rfc822(channel.updated))
    _sub(
        ch,
        f"{{{ATOM_NS}}}link",
        href=channel.self_url(RSS),
        rel="self",
        type=RSS.media_type,
    )
    for item in channel.items:
        it = _sub(ch, "item")
        _sub(it, "title", item.title)
        _sub(it, "link", item.link)
        _sub(it, "guid", item.guid, isPermaLink="false")
        _sub(it, "pubDate", rfc822(item.date))
        _sub(it, "description", item.html)
        for category in item.categories:
            _sub(it, "category", category)
        if item.author:
            _sub(it, f"{{{DC_NS}}}creator", item.author)
        if item.source:
            _sub(it, f"{{{DC_NS}}}publisher", item.source)
        if item.original_url:
            # The original story, for readers that show Dublin Core (the link is in the HTML too).
            _sub(it, f"{{{DC_NS}}}source", item.original_url)
        if item.language:
            # RSS's own <language> is the channel's: an item in another one says so in Dublin Core.
            _sub(it, f"{{{DC_NS}}}language", item.language)
    return _xml_bytes(root)


def atom(channel: Channel) -> bytes:
    # Atom is the default namespace, declared by hand: ElementTree's default_namespace option
    # refuses the unqualified attributes (rel, href) that Atom uses.
    def tag(name: str) -> str:
        return name

    root = ET.Element("feed", {"xmlns": ATOM_NS, "xmlns:dc": DC_NS, XML_LANG: channel.language})
    _sub(root, tag("id"), channel.self_url(ATOM))
    _sub(root, tag("title"), channel.title, type="text")
    _sub(root, tag("subtitle"), channel.description, type="text")
    _sub(root, tag("updated"), rfc3339(channel.updated))
    author = _sub(root, tag("author"))
    _sub(author, tag("name"), channel.title)
    _sub(root, tag("link"), rel="self", type=ATOM.media_type, href=channel.self_url(ATOM))
    _sub(root, tag("link"), rel="alternate", type="text/html", href=channel.home)
    for item in channel.items:
        entry = _sub(root, tag("entry"), **({XML_LANG: item.language} if item.language else {}))
        _sub(entry, tag("id"), item.guid)
        _sub(entry, tag("title"), item.title, type="text")
        # The article's own date: we know no later revision, and never use the build time.
        _sub(entry, tag("updated"), rfc3339(item.date))
        _sub(entry, tag("published"), rfc3339(item.date))
        if item.author:
            _sub(_sub(entry, tag("author")), tag("name"), item.author)
        _sub(entry, tag("link"), rel="alternate", type="text/html", href=item.link)
        if item.original_url:
            attrib = {"rel": "related", "type": "text/html", "href": item.original_url}
            if item.source:
                attrib["title"] = item.source
            _sub(entry, tag("link"), **attrib)
        for category in item.categories:
            _sub(entry, tag("category"), term=category)
        _sub(entry, tag("summary"), item.summary, type="text")
        _sub(entry, tag("content"), item.html, type="html")
        if item.source:
            _sub(entry, "dc:publisher", item.source)
    return _xml_bytes(root)


def json_feed(channel: Channel) -> bytes:
    items = []
    for item in channel.items:
        entry: dict[str, object] = {
            "id": item.guid,
            "url": item.link,
            "title": item.title,
            "content_html": item.html,
            "summary": item.summary,
            "date_published": rfc3339(item.date),
        }
        if item.original_url:
            entry["external_url"] = item.original_url
        if item.author:
            entry["authors"] = [{"name": item.author}]
        if item.categories:
            entry["tags"] = list(item.categories)
        if item.language:
            entry["language"] = item.language
        if item.source:
            # JSON Feed has no source field; extensions are objects named with a leading "_".
            entry["_newsdigest"] = {"source": item.source}
        items.append(entry)
    feed = {
        "version": JSON_FEED_VERSION,
        "title": channel.title,
        "home_page_url": channel.home,
        "feed_url": channel.self_url(JSON_FEED),
        "description": channel.description,
        "language": channel.language,
        "authors": [{"name": channel.title}],
        "items": items,
    }
    text = json.dumps(feed, ensure_ascii=False, indent=2)
    # "</" inside a string stays valid JSON; escaping it keeps the file inert if pasted into HTML.
    return text.replace("</", "<\\/").encode("utf-8") + b"\n"


def opml(channels_: Sequence[Channel], site: FeedSite) -> bytes:
    """An OPML 2.0 subscription list: the digest's feed, then a Topics folder with each topic's.

    It lists the RSS edition of each feed (the format every reader supports); importing the
    Atom and JSON editions as well would subscribe the reader to the same stories three times.
    """
    root = ET.Element("opml", {"version": "2.0"})
    head = _sub(root, "head")
    _sub(head, "title", f"{site.title()} feeds")
    if channels_:
        _sub(head, "dateModified", rfc822(max(c.updated for c in channels_)))
    body = _sub(root, "body")

    def outline(parent: ET.Element, channel: Channel) -> None:
        _sub(
            parent,
            "outline",
            type="rss",
            text=channel.title,
            title=channel.title,
            description=channel.description,
            language=channel.language,
            xmlUrl=channel.self_url(RSS),
            htmlUrl=channel.home,
        )

    topic_channels = [c for c in channels_ if c.key]
    for channel in channels_:
        if not channel.key:
            outline(body, channel)
    if topic_channels:
        folder = _sub(body, "outline", text="Topics", title="Topics")
        for channel in topic_channels:
            outline(folder, channel)
    return _xml_bytes(root)


def build_feeds(
    digest: Digest, config: DigestConfig, use_directory_urls: bool = True
) -> tuple[FeedFile, ...]:
    """Every feed file of the site: RSS, Atom and JSON for the digest and each topic, and OPML."""
    site = FeedSite(check_site_url(config.site_url), config.site_name, use_directory_urls)
    built = channels(digest, config, site)
    files: list[FeedFile] = []
    for channel in built:
        slug = channel.key or None
        files.append(FeedFile(feed_path(RSS, slug), rss(channel)))
        files.append(FeedFile(feed_path(ATOM, slug), atom(channel)))
        files.append(FeedFile(feed_path(JSON_FEED, slug), json_feed(channel)))
    files.append(FeedFile(OPML_PATH, opml(built, site)))
    return tuple(files)


def sitemap_stubs(files: Iterable[FeedFile]) -> tuple[FeedFile, ...]:
    """An empty sitemap.xml in every folder that holds feeds (see EMPTY_SITEMAP)."""
    folders = sorted({posixpath.dirname(feed.path) for feed in files})
    return tuple(FeedFile(posixpath.join(f, "sitemap.xml"), EMPTY_SITEMAP) for f in folders)


def write_feeds(files: Iterable[FeedFile], site_dir: Path) -> list[Path]:
    """Write feed files under site_dir; a path that would leave it is refused."""
    root = site_dir.resolve()
    written = []
    for feed in files:
        target = (root / feed.path).resolve()
        if not target.is_relative_to(root):
            raise FeedError(f"refusing to write feed outside the site folder: {feed.path}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(feed.content)
        written.append(target)
    return written
