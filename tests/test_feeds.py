"""Feeds: build the feeds fixture with `mkdocs build --strict` and read every feed as readers do.

RSS and Atom go through feedparser (no errors allowed), Atom also through the RELAX NG grammar of
RFC 4287 (tests/resources/atom-rfc4287.rng), JSON Feed through a JSON Feed 1.1 JSON Schema
(tests/resources/jsonfeed-1.1.schema.json; feedparser 6.0 does not read JSON Feed), and the OPML
through listparser. Hostile text and GUID stability are also checked on digests built in-process.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import unicodedata
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import jsonschema
import listparser
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from digest.config import DigestConfig
from digest.model import Article, Digest, DigestEntry, Sentence, Summary, Topic, TopicMatch
from digest.pipeline import build_digest, group
from digest.project import load_project
from digest.site.feeds import (
    FeedError,
    FeedSite,
    article_guid,
    autodiscovery_links,
    build_feeds,
    clean_text,
)
from tests.conftest import FIXTURES, copy_fixture, mkdocs_build

RESOURCES = Path(__file__).resolve().parent / "resources"
SITE_URL = "https://news.example.org/digest/"
TOPICS = ("venezuela", "iran", "election-interference")
FEED_FILES = ("rss.xml", "atom.xml", "feed.json")
UTC = timezone.utc

# The fixture's articles as a reader knows them: title -> publication time (UTC).
ARTICLES = {
    "Investigators describe how a troll farm targeted voters": datetime(2019, 5, 13, tzinfo=UTC),
    "<script>alert('x')</script> Ports & ]]> harbours gnp.exe": datetime(
        2019, 5, 11, 10, 0, tzinfo=UTC
    ),
    "Diplomats juggle two crises in one week": datetime(2019, 5, 9, 8, 15, tzinfo=UTC),
    "Venezuela's rivals agree to meet for talks abroad": datetime(2019, 5, 2, 18, 0, tzinfo=UTC),
    "Power cuts return to Caracas as rationing plan stalls": datetime(2019, 4, 28, tzinfo=UTC),
}
TOPIC_TITLES = {
    "venezuela": [
        "Diplomats juggle two crises in one week",
        "Venezuela's rivals agree to meet for talks abroad",
        "Power cuts return to Caracas as rationing plan stalls",
    ],
    "iran": ["Diplomats juggle two crises in one week"],
    "election-interference": ["Investigators describe how a troll farm targeted voters"],
}
# feed_items: 4 in the fixture, so the site feed holds the four newest.
SITE_TITLES = list(ARTICLES)[:4]


# --- Building ---


def _build(root: Path, name: str = "feeds", env: dict[str, str] | None = None) -> Path:
    project = copy_fixture(name, root)
    result = mkdocs_build(project, env=env)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return project / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("feeds-a"))


@pytest.fixture(scope="module")
def config() -> DigestConfig:
    loaded = load_project(FIXTURES / "feeds" / "mkdocs.yml")
    # In-process digests must not write a summary cache into the fixture folder.
    return dataclasses.replace(loaded, cache_dir=None)


@pytest.fixture(scope="module")
def digest(config: DigestConfig) -> Digest:
    return build_digest(config)


def _feed_paths() -> list[str]:
    paths = [f"feeds/{name}" for name in FEED_FILES]
    paths += [f"feeds/topics/{slug}/{name}" for slug in TOPICS for name in FEED_FILES]
    return paths


def _local(site: Path, url: str) -> Path:
    """The file in the built site that an absolute site URL points at."""
    assert url.startswith(SITE_URL), url
    path = url[len(SITE_URL) :]
    target = site / path
    return target / "index.html" if path.endswith("/") or not path else target


def _parse(site: Path, path: str) -> Any:
    parsed = feedparser.parse((site / path).read_bytes())
    assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def _json(site: Path, path: str) -> Any:
    return json.loads((site / path).read_bytes())


# --- Every feed, as readers parse it ---


def test_every_feed_and_the_opml_is_written(site: Path) -> None:
    for path in [*_feed_paths(), "feeds/subscriptions.opml"]:
        text = (site / path).read_text(encoding="utf-8")
        # No Python None leaking into a value (mkdocs-rss-plugin writes <image><url>None).
        assert not re.search(r'>None<|="None"|: "None"|<image>', text), path


@pytest.mark.parametrize("path", [p for p in _feed_paths() if not p.endswith(".json")])
def test_rss_and_atom_parse_without_error(site: Path, path: str) -> None:
    parsed = _parse(site, path)
    assert parsed.version == ("rss20" if path.endswith("rss.xml") else "atom10")


@pytest.mark.parametrize("kind", ["rss.xml", "atom.xml", "feed.json"])
def test_site_feed_items_are_the_newest_articles_with_their_dates(site: Path, kind: str) -> None:
    for folder, expected in [("feeds", SITE_TITLES)] + [
        (f"feeds/topics/{slug}", titles) for slug, titles in TOPIC_TITLES.items()
    ]:
        path = f"{folder}/{kind}"
        if kind == "feed.json":
            items = _json(site, path)["items"]
            titles = [item["title"] for item in items]
            dates = [
                datetime.fromisoformat(i["date_published"].replace("Z", "+00:00")) for i in items
            ]
        else:
            entries = _parse(site, path).entries
            titles = [e.title for e in entries]
            dates = [datetime(*e.published_parsed[:6], tzinfo=UTC) for e in entries]
        assert titles == expected, path
        assert dates == [ARTICLES[t] for t in titles], path


def test_rss_channel_dates_come_from_the_articles(site: Path) -> None:
    root = etree.parse(str(site / "feeds/rss.xml")).getroot()
    last_build = root.findtext("channel/lastBuildDate")
    assert parsedate_to_datetime(last_build) == max(ARTICLES.values())
    pub_dates = [parsedate_to_datetime(d) for d in root.xpath("channel/item/pubDate/text()")]
    assert pub_dates == [ARTICLES[t] for t in SITE_TITLES]
    venezuela = etree.parse(str(site / "feeds/topics/venezuela/rss.xml")).getroot()
    assert parsedate_to_datetime(venezuela.findtext("channel/lastBuildDate")) == datetime(
        2019, 5, 9, 8, 15, tzinfo=UTC
    )
    atom = _parse(site, "feeds/topics/iran/atom.xml")
    assert datetime(*atom.feed.updated_parsed[:6], tzinfo=UTC) == datetime(
        2019, 5, 9, 8, 15, tzinfo=UTC
    )


def test_items_carry_guid_categories_source_author_and_absolute_links(site: Path) -> None:
    parsed = _parse(site, "feeds/rss.xml")
    by_title = {e.title: e for e in parsed.entries}
    two = by_title["Diplomats juggle two crises in one week"]
    assert [t.term for t in two.tags] == ["Venezuela", "Iran"]
    assert two.author == "Ben Example"
    assert two.publisher == "Example Wire"
    assert two.guidislink is False and two.id.startswith("urn:uuid:")
    talks = by_title["Venezuela's rivals agree to meet for talks abroad"]
    assert 'href="https://wire.example.com/2019/05/02/venezuela-talks"' in talks.description
    guids = [e.id for e in parsed.entries]
    assert len(set(guids)) == len(guids)
    for entry in parsed.entries:
        assert _local(site, entry.link).is_file(), entry.link
    # Every URL anywhere in every feed is absolute.
    for path in _feed_paths():
        text = (site / path).read_text(encoding="utf-8")
        if path.endswith(".json"):
            feed = json.loads(text)
            urls = [feed["home_page_url"], feed["feed_url"]]
            urls += [i[k] for i in feed["items"] for k in ("url", "external_url") if k in i]
        else:
            doc = etree.fromstring(text.encode())
            urls = doc.xpath("//@href | //*[local-name()='link' and not(@href)]/text()")
        assert urls
        for url in urls:
            assert urlsplit(url).scheme == "https" and urlsplit(url).netloc, (path, url)


def test_atom_entries_link_to_the_site_and_the_original(site: Path) -> None:
    parsed = _parse(site, "feeds/topics/venezuela/atom.xml")
    talks = next(e for e in parsed.entries if e.title.startswith("Venezuela's rivals"))
    links = {link["rel"]: link["href"] for link in talks.links}
    assert links["alternate"] == f"{SITE_URL}articles/venezuela-talks-2019-05-02/"
    assert links["related"] == "https://wire.example.com/2019/05/02/venezuela-talks"
    assert talks.author == "Ana Example"
    feed_links = {link["rel"]: link["href"] for link in parsed.feed.links}
    assert feed_links["self"] == f"{SITE_URL}feeds/topics/venezuela/atom.xml"
    assert feed_links["alternate"] == f"{SITE_URL}topics/venezuela/"


def test_guids_are_shared_by_a_feeds_formats_and_differ_between_feeds(site: Path) -> None:
    # One GUID per article per feed: the three formats of a feed agree, while the site feed and
    # each topic feed differ (a topic item carries another summary, and readers such as newsboat
    # keep one item per GUID across subscriptions).
    title = "Diplomats juggle two crises in one week"
    per_feed = []
    for folder in ("feeds", "feeds/topics/venezuela", "feeds/topics/iran"):
        ids = {next(e.id for e in _parse(site, f"{folder}/rss.xml").entries if e.title == title)}
        ids.add(next(e.id for e in _parse(site, f"{folder}/atom.xml").entries if e.title == title))
        items = _json(site, f"{folder}/feed.json")["items"]
        ids.add(next(i["id"] for i in items if i["title"] == title))
        assert len(ids) == 1, folder
        per_feed.append(ids.pop())
    assert len(set(per_feed)) == 3
    assert all(guid.startswith("urn:uuid:") for guid in per_feed)


def test_topic_feeds_carry_the_topic_summary(site: Path, digest: Digest) -> None:
    title = "Diplomats juggle two crises in one week"
    entry = next(e for e in digest.entries if e.article.title == title)
    texts = {}
    for slug in ("venezuela", "iran"):
        items = _json(site, f"feeds/topics/{slug}/feed.json")["items"]
        texts[slug] = next(i["summary"] for i in items if i["title"] == title)
        match = entry.match(slug)
        assert match is not None and match.summary is not None
        assert texts[slug] == match.summary.text
    site_item = next(i for i in _json(site, "feeds/feed.json")["items"] if i["title"] == title)
    assert site_item["summary"] == entry.summary.text
    assert "Maduro" in texts["venezuela"] and "Tehran" not in texts["venezuela"]
    assert "Iran" in texts["iran"] and "Maduro" not in texts["iran"]


# --- Validation against the formats' own schemas ---


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(RESOURCES / "atom-rfc4287.rng")))


@pytest.fixture(scope="module")
def json_schema() -> jsonschema.protocols.Validator:
    schema = json.loads((RESOURCES / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _assert_atom_valid(schema: etree.RelaxNG, content: bytes) -> None:
    doc = etree.fromstring(content)
    assert schema.validate(doc), schema.error_log
    # RFC 4287's Schematron rules, which the grammar leaves out.
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert doc.xpath("a:author", namespaces=ns) or not doc.xpath(
        "a:entry[not(a:author)]", namespaces=ns
    )
    for entry in doc.xpath("a:entry[not(a:content)]", namespaces=ns):
        assert entry.xpath("a:link[@rel='alternate' or not(@rel)]", namespaces=ns)


def test_atom_schema_rejects_what_rfc_4287_forbids(atom_schema: etree.RelaxNG) -> None:
    # The grammar is only worth something if it fails: no atom:id, and a date that is not one.
    bad = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b"<updated>14 May 2019</updated></feed>"
    )
    assert not atom_schema.validate(etree.fromstring(bad))


@pytest.mark.parametrize("path", [p for p in _feed_paths() if p.endswith("atom.xml")])
def test_atom_feeds_validate_against_rfc_4287(
    site: Path, path: str, atom_schema: etree.RelaxNG
) -> None:
    _assert_atom_valid(atom_schema, (site / path).read_bytes())


@pytest.mark.parametrize("path", [p for p in _feed_paths() if p.endswith(".json")])
def test_json_feeds_validate_against_json_feed_1_1(
    site: Path, path: str, json_schema: jsonschema.protocols.Validator
) -> None:
    feed = _json(site, path)
    json_schema.validate(feed)
    assert feed["feed_url"] == SITE_URL + path


def test_json_feed_schema_rejects_a_broken_feed(
    json_schema: jsonschema.protocols.Validator,
) -> None:
    broken = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1"}]}
    assert not json_schema.is_valid(broken)  # an item needs content_html or content_text


def test_opml_lists_every_feed(site: Path) -> None:
    parsed = listparser.parse((site / "feeds/subscriptions.opml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    urls = [feed.url for feed in parsed.feeds]
    expected = [f"{SITE_URL}feeds/rss.xml"] + [
        f"{SITE_URL}feeds/topics/{slug}/rss.xml" for slug in TOPICS
    ]
    assert urls == expected
    for feed in parsed.feeds:
        assert _local(site, feed.url).is_file()
    titles = [feed.title for feed in parsed.feeds]
    assert titles[0] == "Feeds & <Fixture>"
    assert titles[1:] == [
        f"Feeds & <Fixture>: {t}" for t in ("Venezuela", "Iran", "Election interference")
    ]
    assert [feed.categories for feed in parsed.feeds[1:]] == [[["Topics"]]] * 3


# --- Hostile text in the built feeds ---


def test_hostile_article_is_text_in_every_feed(site: Path) -> None:
    title = "<script>alert('x')</script> Ports & ]]> harbours gnp.exe"
    rss_root = etree.parse(str(site / "feeds/rss.xml")).getroot()
    item = next(i for i in rss_root.iter("item") if i.findtext("title") == title)
    description = item.findtext("description")
    # The description is HTML: the hostile text in it is escaped, so it holds no element but p/a.
    tags = _Tags()
    tags.feed(description)
    assert set(tags.names) <= {"p", "a"}
    assert "Wire & <Co> ]]>" in tags.text
    assert tags.hrefs == ["https://example.com/a?x=1&y=%3C2%3E"]
    atom = _parse(site, "feeds/atom.xml")
    entry = next(e for e in atom.entries if e.title == title)
    assert entry.title_detail.type == "text/plain"
    for path in _feed_paths():
        text = (site / path).read_text(encoding="utf-8")
        assert "\u202e" not in text, path
        if path.endswith(".json"):
            # JSON Feed titles are plain text; only content_html is HTML.
            for item in json.loads(text)["items"]:
                html_tags = _Tags()
                html_tags.feed(item["content_html"])
                assert set(html_tags.names) <= {"p", "a"}, path
        else:
            assert "<script" not in text, path


# --- Byte-identical rebuilds ---


def test_two_builds_give_identical_feeds(site: Path, tmp_path: Path) -> None:
    again = _build(tmp_path)
    for path in [*_feed_paths(), "feeds/subscriptions.opml"]:
        assert (again / path).read_bytes() == (site / path).read_bytes(), path


def test_source_date_epoch_sets_the_build_date(
    digest: Digest, config: DigestConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    epoch = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(epoch.timestamp())))
    files = {f.path: f.content for f in build_feeds(digest, config)}
    for slug in (None, *TOPICS):
        folder = "feeds" if slug is None else f"feeds/topics/{slug}"
        rss = etree.fromstring(files[f"{folder}/rss.xml"])
        assert parsedate_to_datetime(rss.findtext("channel/lastBuildDate")) == epoch
        atom = feedparser.parse(files[f"{folder}/atom.xml"])
        assert datetime(*atom.feed.updated_parsed[:6], tzinfo=UTC) == epoch
        # Items keep the articles' own dates.
        assert all(datetime(*e.published_parsed[:6], tzinfo=UTC) < epoch for e in atom.entries)


# --- Pages: Subscribe, topic feed links, autodiscovery ---


class _Tags(HTMLParser):
    """Element names, hrefs and text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.hrefs: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.append(tag)
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)

    def handle_data(self, data: str) -> None:
        self.text += data


class _Head(HTMLParser):
    """Feed <link rel=alternate> tags in <head>, <meta> names, and every <a href> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.feeds: list[tuple[str, str, str]] = []
        self.meta: dict[str, str] = {}
        self.anchors: list[tuple[str, str]] = []
        self._in_head = False
        self._anchor: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "head":
            self._in_head = True
        elif tag == "link" and self._in_head and a.get("rel") == "alternate" and "type" in a:
            self.feeds.append((a["type"], a.get("title", ""), a["href"]))
        elif tag == "meta" and "name" in a:
            self.meta[a["name"]] = a.get("content", "")
        elif tag == "a" and "href" in a:
            self._anchor, self._text = a["href"], ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag == "a" and self._anchor is not None:
            self.anchors.append((self._anchor, " ".join(self._text.split())))
            self._anchor = None

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._text += data


def _head(path: Path) -> _Head:
    """The page's head, with feed links resolved against the page's published address."""
    parser = _Head()
    parser.feed(path.read_text(encoding="utf-8"))
    site = next(folder for folder in path.parents if (folder / "sitemap.xml").is_file())
    page_url = SITE_URL + path.parent.relative_to(site).as_posix().strip(".") + "/"
    page_url = page_url.replace("//", "/").replace(":/", "://")
    parser.feeds = [(kind, title, urljoin(page_url, href)) for kind, title, href in parser.feeds]
    return parser


SITE_FEEDS = [
    ("application/rss+xml", "Feeds & <Fixture> (RSS)", f"{SITE_URL}feeds/rss.xml"),
    ("application/atom+xml", "Feeds & <Fixture> (Atom)", f"{SITE_URL}feeds/atom.xml"),
    ("application/feed+json", "Feeds & <Fixture> (JSON Feed)", f"{SITE_URL}feeds/feed.json"),
]


def test_every_page_advertises_the_site_feeds(site: Path) -> None:
    pages = [p for p in site.rglob("*.html") if p.name != "404.html"]
    assert len(pages) > 10
    for page in pages:
        head = _head(page)
        assert head.feeds[-3:] == SITE_FEEDS, page
        # The user's own theme override still applies next to ours.
        assert head.meta.get("fixture-custom-dir") == "kept", page
        for _, _, href in head.feeds:
            assert _local(site, href).is_file()


def test_topic_pages_advertise_their_own_feed_first(site: Path) -> None:
    head = _head(site / "topics/iran/index.html")
    assert head.feeds == [
        (
            "application/rss+xml",
            "Feeds & <Fixture>: Iran (RSS)",
            f"{SITE_URL}feeds/topics/iran/rss.xml",
        ),
        (
            "application/atom+xml",
            "Feeds & <Fixture>: Iran (Atom)",
            f"{SITE_URL}feeds/topics/iran/atom.xml",
        ),
        (
            "application/feed+json",
            "Feeds & <Fixture>: Iran (JSON Feed)",
            f"{SITE_URL}feeds/topics/iran/feed.json",
        ),
        *SITE_FEEDS,
    ]
    assert _head(site / "about/index.html").feeds == SITE_FEEDS


def test_topic_page_links_to_its_feeds(site: Path) -> None:
    anchors = dict(
        (text, href) for href, text in _head(site / "topics/venezuela/index.html").anchors
    )
    assert anchors["RSS"] == f"{SITE_URL}feeds/topics/venezuela/rss.xml"
    assert anchors["Atom"] == f"{SITE_URL}feeds/topics/venezuela/atom.xml"
    assert anchors["JSON Feed"] == f"{SITE_URL}feeds/topics/venezuela/feed.json"


def test_subscribe_page_lists_every_feed_and_is_in_the_nav(site: Path) -> None:
    page = _head(site / "subscribe/index.html")
    hrefs = {href for href, _ in page.anchors}
    for path in [*_feed_paths(), "feeds/subscriptions.opml"]:
        assert SITE_URL + path in hrefs, path
    home = _head(site / "index.html")
    assert ("subscribe/", "Subscribe") in home.anchors


# --- site_url and feeds: false ---


def test_build_without_site_url_fails_naming_mkdocs_yml(tmp_path: Path) -> None:
    project = copy_fixture("feeds-no-site-url", tmp_path)
    result = mkdocs_build(project)
    assert result.returncode != 0
    assert "mkdocs.yml" in result.stderr and "site_url" in result.stderr, result.stderr
    assert not (project / "site" / "feeds").exists()


def test_feeds_can_be_turned_off(tmp_path: Path) -> None:
    project = copy_fixture("feeds-no-site-url", tmp_path)
    settings = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
    settings["plugins"][1]["digest"]["feeds"] = False
    (project / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    built = project / "site"
    assert not (built / "feeds").exists()
    assert not (built / "subscribe").exists()
    assert _head(built / "index.html").feeds == []


def test_check_site_url_messages() -> None:
    digest = Digest(entries=(), topics=(), other=())
    with pytest.raises(FeedError, match="site_url"):
        build_feeds(digest, DigestConfig(site_url=None))
    with pytest.raises(FeedError, match="not an absolute"):
        build_feeds(digest, DigestConfig(site_url="/digest/"))


# --- In-process: GUIDs, limits, URLs, hostile text ---


def _items(files: dict[str, bytes], path: str = "feeds/feed.json") -> dict[str, dict[str, Any]]:
    return {item["title"]: item for item in json.loads(files[path])["items"]}


def _files(digest: Digest, config: DigestConfig, **options: Any) -> dict[str, bytes]:
    return {f.path: f.content for f in build_feeds(digest, config, **options)}


def test_guids_survive_new_summaries_topics_and_addresses(
    digest: Digest, config: DigestConfig
) -> None:
    before = _items(_files(digest, config))
    # Shorter summaries, the Iran topic gone, the site moved to another address.
    changed = dataclasses.replace(
        config,
        summary_sentences=1,
        topics=tuple(t for t in config.topics if t.slug != "iran"),
        site_url="https://moved.example.net/news/",
    )
    after_files = _files(build_digest(changed), changed)
    after = _items(after_files)
    assert before.keys() == after.keys()
    for title in before:
        assert after[title]["id"] == before[title]["id"], title
        assert after[title]["url"].startswith("https://moved.example.net/news/")
    # In a topic feed too, the item keeps its GUID when its summary changes.
    path = "feeds/topics/venezuela/feed.json"
    before_topic, after_topic = _items(_files(digest, config), path), _items(after_files, path)
    assert {t: i["id"] for t, i in before_topic.items()} == {
        t: i["id"] for t, i in after_topic.items()
    }
    two = "Diplomats juggle two crises in one week"
    assert after[two]["summary"] != before[two]["summary"]
    assert after[two]["tags"] == ["Venezuela"]


def test_guid_comes_from_the_file_and_date_not_the_title_or_slug(digest: Digest) -> None:
    article = digest.entries[0].article
    renamed = dataclasses.replace(article, title="A corrected headline", slug="other-slug")
    assert article_guid(renamed) == article_guid(article)
    assert article_guid(dataclasses.replace(article, source_path="elsewhere.md")) != article_guid(
        article
    )
    assert article_guid(article, "iran") == article_guid(renamed, "iran") != article_guid(article)


def test_feed_items_limits_every_feed(digest: Digest, config: DigestConfig) -> None:
    files = _files(digest, dataclasses.replace(config, feed_items=2))
    assert list(_items(files)) == SITE_TITLES[:2]
    assert list(_items(files, "feeds/topics/venezuela/feed.json")) == TOPIC_TITLES["venezuela"][:2]
    rss = feedparser.parse(files["feeds/topics/venezuela/rss.xml"])
    assert len(rss.entries) == 2


def test_links_follow_use_directory_urls(digest: Digest, config: DigestConfig) -> None:
    files = _files(digest, config, use_directory_urls=False)
    item = _items(files)["Diplomats juggle two crises in one week"]
    assert item["url"] == f"{SITE_URL}articles/two-crises-2019-05-09.html"
    site = FeedSite(SITE_URL, "x", use_directory_urls=False)
    assert site.page_url("topics/iran/index.md") == f"{SITE_URL}topics/iran/"
    assert site.page_url("index.md") == SITE_URL


def test_autodiscovery_links_escape_the_site_name() -> None:
    config = DigestConfig(site_name='A "quoted" <site>', site_url=SITE_URL)
    links = autodiscovery_links(config, "index.md")
    head = _Head()
    head.feed(f"<head>{links}</head>")
    # Relative to the page, so a preview or an offline copy never calls the published site.
    assert head.feeds[0] == ("application/rss+xml", 'A "quoted" <site> (RSS)', "feeds/rss.xml")
    head = _Head()
    head.feed(f"<head>{autodiscovery_links(config, 'topics/iran/index.md')}</head>")
    assert head.feeds[-3][2] == "../../feeds/rss.xml"
    assert autodiscovery_links(dataclasses.replace(config, feeds=False), "index.md") == ""


HOSTILE = (
    "Bad\x00\x01\x1b[31m <script>alert(1)</script> & ]]> \u202eexe.txt\u202c "
    "\ud800lone\udfff \u2066iso\u2069 \x85\ufffe end"
)


def _hostile_digest() -> tuple[Digest, DigestConfig]:
    topic = Topic(name="Topic ]]> & <b>", slug="topic", description="Desc \x0b <i>")
    article = Article(
        source_path="evil.md",
        slug="evil",
        title=HOSTILE,
        date=datetime(2019, 5, 1, 12, tzinfo=timezone(timedelta(hours=-5))),
        paragraphs=(HOSTILE,),
        source="Src \x07 & <b>bold</b> ]]>",
        url="javascript:alert(1)",
        author="\u2066Mallory\u2069 ]]> <x>",
    )
    sentence = Sentence(HOSTILE, 0, 0)
    summary = Summary((sentence,), "lead")
    entry = DigestEntry(
        article=article,
        sentences=(sentence,),
        summary=summary,
        topics=(TopicMatch("topic", 1.0, (0,), ("x",), summary=summary),),
    )
    safe = dataclasses.replace(
        article, source_path="ok.md", slug="ok", title="Fine", url="https://example.com/x y"
    )
    ok = DigestEntry(article=safe, sentences=(sentence,), summary=summary)
    config = DigestConfig(
        site_name="Site \x01 & <b> \u202e",
        site_url=SITE_URL,
        site_description="]]> & \x1f",
        topics=(topic,),
    )
    return group([entry, ok], [topic]), config


def test_hostile_text_leaves_every_feed_valid(
    atom_schema: etree.RelaxNG, json_schema: jsonschema.protocols.Validator
) -> None:
    digest, config = _hostile_digest()
    files = _files(digest, config)
    expected_title = clean_text(HOSTILE)
    assert expected_title == "Bad[31m <script>alert(1)</script> & ]]> exe.txt lone iso end"
    for path, content in files.items():
        text = content.decode("utf-8")  # strict: no lone surrogates survived
        for char in text:
            category = unicodedata.category(char)
            assert category not in ("Cc", "Cs") or char in "\n", (path, hex(ord(char)))
            assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffe"
        assert "javascript:" not in text, path
        if path.endswith(".json"):
            feed = json.loads(content)
            json_schema.validate(feed)
            assert feed["items"][0]["title"] == expected_title
            assert "external_url" not in feed["items"][0]
            continue
        etree.fromstring(content)  # well-formed XML (lxml is strict)
        if path.endswith(".opml"):
            assert not listparser.parse(content).bozo
            continue
        parsed = feedparser.parse(content)
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.entries[0].title == expected_title
        if path.endswith("atom.xml"):
            _assert_atom_valid(atom_schema, content)
    rss = etree.fromstring(files["feeds/topics/topic/rss.xml"])
    assert rss.findtext("channel/item/category") == "Topic ]]> & <b>"
    tags = _Tags()
    tags.feed(rss.findtext("channel/item/description"))
    assert set(tags.names) == {"p"}  # the article's <script> and <b> are text, not elements
    assert "<script>alert(1)</script>" in tags.text
    assert "https://example.com/x%20y" in files["feeds/feed.json"].decode()


def test_empty_digest_gives_valid_feeds_dated_without_the_clock(
    atom_schema: etree.RelaxNG,
    json_schema: jsonschema.protocols.Validator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    topic = Topic(name="Iran", slug="iran")
    config = DigestConfig(site_url=SITE_URL, topics=(topic,))
    files = _files(group([], [topic]), config)
    _assert_atom_valid(atom_schema, files["feeds/atom.xml"])
    json_schema.validate(json.loads(files["feeds/topics/iran/feed.json"]))
    assert feedparser.parse(files["feeds/rss.xml"]).bozo == 0
    assert b"Thu, 01 Jan 1970 00:00:00 GMT" in files["feeds/rss.xml"]
    assert files == _files(group([], [topic]), config)


def test_write_feeds_stays_inside_the_site_folder(tmp_path: Path) -> None:
    from digest.site.feeds import FeedFile, write_feeds

    written = write_feeds([FeedFile("feeds/rss.xml", b"x")], tmp_path / "site")
    assert written == [(tmp_path / "site/feeds/rss.xml").resolve()]
    with pytest.raises(FeedError):
        write_feeds([FeedFile("../outside.xml", b"x")], tmp_path / "site")
    assert not (tmp_path / "outside.xml").exists()
    shutil.rmtree(tmp_path / "site")


# --- A real feed reader ---


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    """The built site on an HTTP server on 127.0.0.1 (an ephemeral port), for a feed reader."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _newsboat(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config").touch()
    command = ["newsboat", "-C", str(tmp_path / "config"), "-c", str(tmp_path / "cache.db")]
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat is not installed (apt)")
def test_newsboat_subscribes_to_everything_from_the_opml(
    site: Path, served: str, tmp_path: Path
) -> None:
    # As a new user would: import the OPML from the Subscribe page, reload, read the cache.
    opml = tmp_path / "subscriptions.opml"
    with urllib.request.urlopen(f"{served}feeds/subscriptions.opml", timeout=30) as response:
        text = response.read().decode("utf-8")
    # The OPML points at the published site; this reader fetches from the local copy.
    opml.write_text(text.replace(SITE_URL, served), encoding="utf-8")
    urls = tmp_path / "urls"
    _newsboat(tmp_path, "-u", str(urls), "-i", str(opml))
    _newsboat(tmp_path, "-u", str(urls), "-x", "reload")
    unread = _newsboat(tmp_path, "-u", str(urls), "-x", "print-unread").stdout
    total = len(SITE_TITLES) + sum(len(titles) for titles in TOPIC_TITLES.values())
    assert unread.split()[0] == str(total)
    with sqlite3.connect(tmp_path / "cache.db") as db:
        feeds = dict(db.execute("SELECT rssurl, title FROM rss_feed"))
        rows = db.execute("SELECT feedurl, title, url, pubDate, content FROM rss_item").fetchall()
    expected = {f"{served}feeds/rss.xml": SITE_TITLES} | {
        f"{served}feeds/topics/{slug}/rss.xml": titles for slug, titles in TOPIC_TITLES.items()
    }
    assert set(feeds) == set(expected)
    assert feeds[f"{served}feeds/topics/iran/rss.xml"] == "Feeds & <Fixture>: Iran"
    for feed_url, titles in expected.items():
        items = sorted((r for r in rows if r[0] == feed_url), key=lambda r: -r[3])
        assert [r[1] for r in items] == titles, feed_url
        for _, title, url, published, content in items:
            assert datetime.fromtimestamp(published, UTC) == ARTICLES[title]
            assert url.startswith(f"{SITE_URL}articles/") and url.endswith("/")
            assert _local(site, url).is_file(), url
            assert content.startswith("<p>")


@pytest.mark.skipif(shutil.which("jing") is None, reason="jing is not installed (apt)")
def test_atom_feeds_pass_jing(site: Path, tmp_path: Path) -> None:
    # A second, independent RELAX NG validator (James Clark's jing), which also checks the
    # grammar itself against RELAX NG's restrictions; the hostile digest's feed included.
    digest, config = _hostile_digest()
    hostile = tmp_path / "hostile-atom.xml"
    hostile.write_bytes(_files(digest, config)["feeds/atom.xml"])
    feeds = [site / p for p in _feed_paths() if p.endswith("atom.xml")] + [hostile]
    schema = RESOURCES / "atom-rfc4287.rng"
    result = subprocess.run(
        ["jing", str(schema), *map(str, feeds)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.xml"
    broken.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>')
    result = subprocess.run(["jing", str(schema), str(broken)], capture_output=True, timeout=120)
    assert result.returncode != 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(st.characters(codec=None), max_size=40),
    summary=st.text(st.characters(codec=None), max_size=80),
    source=st.text(max_size=20),
    author=st.text(max_size=20),
    topic_name=st.text(min_size=1, max_size=20),
)
def test_any_text_gives_well_formed_feeds(
    title: str,
    summary: str,
    source: str,
    author: str,
    topic_name: str,
    json_schema: jsonschema.protocols.Validator,
) -> None:
    # Any Unicode, surrogates and controls included, in any text field: every feed stays
    # well-formed and parses, and what readers show is the cleaned text.
    topic = Topic(name=topic_name, slug="t")
    article = Article(
        source_path="a.md",
        slug="a",
        title=title,
        date=datetime(2019, 5, 1, tzinfo=UTC),
        paragraphs=(summary,),
        source=source or None,
        author=author or None,
    )
    sentence = Sentence(summary, 0, 0)
    text = Summary((sentence,), "lead")
    entry = DigestEntry(article, (sentence,), text, (TopicMatch("t", 1.0, (0,), (), summary=text),))
    config = DigestConfig(site_name=title or "x", site_url=SITE_URL, topics=(topic,))
    for path, content in _files(group([entry], [topic]), config).items():
        if path.endswith(".json"):
            feed = json.loads(content)
            json_schema.validate(feed)
            assert feed["items"][0]["title"] == (clean_text(title) or "Untitled")
            continue
        etree.fromstring(content)
        if path.endswith(".opml"):
            continue
        parsed = feedparser.parse(content)
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert len(parsed.entries) == 1
