"""The fetch stage's parts: address rules, HTTP politeness, cache, feeds, URLs, duplicates,
file names, config. HTTP goes through httpx.MockTransport: no socket is opened."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from digest.config import ConfigError, DigestConfig, config_from_mapping, sources_from_list
from digest.sources.addresses import AddressRefused, check_url
from digest.sources.dedupe import DuplicateIndex
from digest.sources.extract import extract
from digest.sources.feeds import parse_feed, parse_sitemap
from digest.sources.fetch import FetchRun
from digest.sources.http import Fetcher, FetchError, HttpCache, Policy, retry_after
from digest.sources.store import target_path
from digest.sources.urls import canonical_url

# The key authenticating what runs keep in the cache folder (the CLI uses the user's own).
KEY = b"k" * 32
PUBLIC = {"news.example": "93.184.216.34", "other.example": "93.184.216.35"}


def resolver(host: str, port: int) -> list[str]:
    """A fake DNS: the two public test names, and IP literals as themselves."""
    return [PUBLIC.get(host, host)]


def fetcher(handler, cache: HttpCache | None = None, slept: list[float] | None = None) -> Fetcher:
    naps = slept if slept is not None else []
    return Fetcher(
        cache=cache,
        transport=httpx.MockTransport(handler),
        resolve=resolver,
        sleep=naps.append,
    )


def page(text: str = "<p>Hello</p>", status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=text.encode(), headers={"content-type": "text/html", **headers}
    )


def test_private_link_local_and_loopback_addresses_are_refused() -> None:
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8000/",
        "http://10.0.0.7/admin",
        "http://[::1]/",
        "http://[::ffff:192.168.1.1]/",
    ):
        with pytest.raises(AddressRefused, match="allow_private"):
            check_url(url, allow_private=False, resolve=resolver)
        check_url(url, allow_private=True, resolve=resolver)  # allowed when the source says so
    check_url("https://news.example/a", allow_private=False, resolve=resolver)
    with pytest.raises(AddressRefused, match="not an http"):
        check_url("file:///etc/passwd", allow_private=True, resolve=resolver)


def test_a_redirect_to_a_private_address_is_refused_before_it_is_asked() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/"})

    with fetcher(handler) as client, pytest.raises(FetchError, match="refused.*169.254"):
        client.get("https://news.example/story", Policy())
    assert asked == ["https://news.example/robots.txt", "https://news.example/story"]


def test_redirects_are_limited() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        number = int(request.url.path.strip("/") or 0)
        return httpx.Response(301, headers={"location": f"/{number + 1}"})

    with fetcher(handler) as client, pytest.raises(FetchError, match="more than 5 redirects"):
        client.get("https://news.example/0", Policy())


def test_429_and_503_are_retried_after_retry_after() -> None:
    answers = iter(
        [httpx.Response(429, headers={"retry-after": "7"}), httpx.Response(503), page("<p>ok</p>")]
    )
    slept: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404) if request.url.path == "/robots.txt" else next(answers)

    with fetcher(handler, slept=slept) as client:
        assert client.get("https://news.example/a", Policy(delay=0)).body == b"<p>ok</p>"
    assert 7.0 in slept and 2.0 in slept  # Retry-After, then the backoff for the 503
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0) == 0.0


def test_size_limit_html_only_and_robots() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: newsdigest\nDisallow: /members/\n")
        if request.url.path == "/big":
            return page("x" * 2000)
        if request.url.path == "/photo.jpg":
            return httpx.Response(200, content=b"\xff\xd8", headers={"content-type": "image/jpeg"})
        return page()

    with fetcher(handler) as client:
        with pytest.raises(FetchError, match="too large"):
            client.get("https://news.example/big", Policy(max_bytes=1000))
        with pytest.raises(FetchError, match=r"not an HTML page \(image/jpeg\)"):
            client.get("https://news.example/photo.jpg", Policy())
        with pytest.raises(FetchError, match="forbidden by robots.txt"):
            client.get("https://news.example/members/x", Policy())
        assert client.get("https://news.example/open", Policy()).status == 200


def test_robots_txt_server_error_means_everything_disallowed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500) if request.url.path == "/robots.txt" else page()

    with fetcher(handler) as client, pytest.raises(FetchError, match="robots.txt"):
        client.get("https://news.example/a", Policy())


def test_a_missing_robots_txt_is_remembered(tmp_path: Path) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(404) if request.url.path == "/robots.txt" else page()

    for _ in range(2):
        with fetcher(handler, HttpCache(tmp_path, KEY)) as client:
            client.get("https://news.example/a", Policy())
    assert asked == ["/robots.txt", "/a", "/a"]


def test_conditional_get_and_an_untrusted_cache(tmp_path: Path) -> None:
    seen_headers: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        seen_headers.append(request.headers)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return page("<p>first</p>", etag='"v1"')

    cache = HttpCache(tmp_path, KEY)
    with fetcher(handler, cache) as client:
        client.get("https://news.example/a", Policy())
        again = client.get("https://news.example/a", Policy())
    assert again.not_modified and again.body == b"<p>first</p>"
    # A cache entry edited by someone else: a header injection and a swapped body are ignored
    # (the record's HMAC no longer verifies; nor would a header injection pass on its own).
    meta, body = cache._paths("https://news.example/a")
    entry = json.loads(meta.read_text())
    meta.write_text(json.dumps({**entry, "etag": '"v1"\r\nX-Evil: 1'}))
    assert cache.load("https://news.example/a", 10_000) is None
    meta.write_text(json.dumps(entry))
    assert cache.load("https://news.example/a", 10_000) is not None
    body.write_bytes(b"<script>evil()</script>")
    assert cache.load("https://news.example/a", 10_000) is None
    with fetcher(handler, cache) as client:
        assert client.get("https://news.example/a", Policy()).body == b"<p>first</p>"
    assert "if-none-match" not in seen_headers[-1]


def test_canonical_urls_drop_tracking_only() -> None:
    assert (
        canonical_url("HTTPS://News.Example:443/a?id=4&utm_source=x&fbclid=1&gclid=2#comments")
        == "https://news.example/a?id=4"
    )
    assert canonical_url("http://news.example") == "http://news.example/"


def test_near_duplicates_are_found_and_different_stories_are_not() -> None:
    story = " ".join(f"word{i} said the minister on day {i % 7}." for i in range(60))
    index = DuplicateIndex()
    index.add("a/first.md", story)
    edited = "LONDON (Wire) - " + story.replace("word59", "someone") + " More to follow."
    assert index.duplicate_of(edited) == "a/first.md"
    assert index.duplicate_of(" ".join(f"other{i} story about rain." for i in range(60))) is None


def test_paths_stay_inside_content(tmp_path: Path) -> None:
    content = tmp_path / "content"
    path = target_path(content, "../../etc", "../passwd" + "x" * 300, set())
    assert path.resolve().is_relative_to(content.resolve())
    assert len(path.name) <= 80
    path.parent.mkdir(parents=True)
    path.write_text("taken")
    assert target_path(content, "../../etc", "../passwd" + "x" * 300, set()).stem.endswith("-2")


def test_json_feed_atom_and_sitemaps() -> None:
    json_feed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "1", "url": "/a", "title": "A", "date_published": "2026-03-01T10:00:00Z"},
                {"id": "2", "url": "javascript:alert(1)", "title": "bad"},
            ],
        }
    ).encode()
    items = parse_feed(json_feed, "https://news.example/feed.json")
    assert [i.url for i in items] == ["https://news.example/a"]
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>B</title><link href="https://news.example/b"/><id>b</id>
      <updated>2026-03-02T10:00:00Z</updated><author><name>Jo</name></author></entry></feed>"""
    (entry,) = parse_feed(atom, "https://news.example/atom")
    assert (entry.url, entry.author, entry.date.day) == ("https://news.example/b", "Jo", 2)
    # An entity bomb is not expanded and reads no file.
    sitemap = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
      <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
              xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://news.example/c&e;</loc><news:news><news:title>C</news:title>
      <news:publication_date>2026-03-03</news:publication_date></news:news></url></urlset>"""
    pages, children = parse_sitemap(sitemap, "https://news.example/sitemap.xml")
    assert children == [] and "root:" not in pages[0].url and pages[0].title == "C"


def test_a_page_cannot_claim_another_sites_story_with_rel_canonical(tmp_path: Path) -> None:
    body = " ".join(
        f"Sentence number {i} of a long local story about the council." for i in range(30)
    )
    html = (
        '<html><head><link rel="canonical" href="https://other.example/their-story">'
        f"<title>Council story</title></head><body><article><h1>Council story</h1><p>{body}</p>"
        "</article></body></html>"
    )
    assert (
        extract(html, "https://news.example/s").canonical_url == "https://other.example/their-story"
    )
    (tmp_path / "content" / "o").mkdir(parents=True)
    (tmp_path / "content" / "o" / "theirs.md").write_text(
        "---\ntitle: Theirs\ndate: 2026-03-01\nurl: https://other.example/their-story\n---\n\n"
        "Something else entirely, about a football match and its penalties.\n"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404) if request.url.path == "/robots.txt" else page(html)

    config = config_from_mapping(
        {"sources": [{"name": "News", "urls": ["https://news.example/s"], "delay": 0}]},
        tmp_path,
        cache_dir=None,
    )
    run = FetchRun(config, fetcher=fetcher(handler))
    report = run.run(config.sources)
    assert [o.status for o in report.outcomes] == ["new"], report.outcomes
    written = (tmp_path / "content" / report.outcomes[0].file).read_text()
    assert "url: https://news.example/s" in written


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"feed": "https://x.example/rss"}], "sources\\[0\\]: a source needs a non-empty 'name'"),
        ([{"name": "A"}], "exactly one of 'feed', 'sitemap' or 'urls'"),
        ([{"name": "A", "feed": "https://x/f", "sitemap": "https://x/s"}], "exactly one"),
        ([{"name": "A", "feed": "javascript:alert(1)"}], "not an http"),
        ([{"name": "A", "urls": ["https://x/a"], "max_items": 0}], "'max_items' must be"),
        ([{"name": "A", "urls": ["https://x/a"], "include": ["("]}], "not a regular expression"),
        ([{"name": "A", "urls": ["https://x/a"], "allow_private": "yes"}], "true or false"),
        ([{"name": "A", "urls": ["https://x/a"], "colour": "red"}], "unknown option"),
        ([{"name": "A", "urls": ["https://x/a"]}, {"name": "a", "feed": "https://x/f"}], "share"),
    ],
)
def test_bad_sources_name_the_option(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        sources_from_list(raw)


def test_source_topics_must_be_configured(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="topic 'Sport' is not one of"):
        config_from_mapping(
            {"sources": [{"name": "A", "urls": ["https://x.example/a"], "topics": ["Sport"]}]},
            tmp_path,
        )
    assert DigestConfig().sources == ()


def test_a_pdf_without_a_pdf_content_type_is_still_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, content=b"%PDF-1.7\n...", headers={"content-type": "text/html"})

    with fetcher(handler) as client, pytest.raises(FetchError, match="a PDF"):
        client.get("https://news.example/report", Policy())


def _run(tmp_path: Path, source: dict, handler) -> list:
    config = config_from_mapping({"sources": [{"delay": 0, **source}]}, tmp_path)
    run = FetchRun(config, fetcher=fetcher(handler), secret=KEY)
    return list(run.run(config.sources).outcomes)


def _story(title: str, words: int = 120) -> str:
    text = " ".join(
        f"{title} detail {i} was reported by officials on the scene." for i in range(words // 9)
    )
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{text}</p></article></body></html>"
    )


def test_sitemap_index_include_exclude_and_max_items(tmp_path: Path) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        asked.append(path)
        if path == "/robots.txt":
            return httpx.Response(404)
        if path == "/index.xml":
            return httpx.Response(
                200,
                headers={"content-type": "application/xml"},
                content=b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                b"<sitemap><loc>https://news.example/news.xml</loc></sitemap></sitemapindex>",
            )
        if path == "/news.xml":
            urls = "".join(
                f"<url><loc>https://news.example/{kind}/{n}</loc><lastmod>2026-03-0{n}</lastmod></url>"
                for kind in ("world", "video")
                for n in (1, 2, 3)
            )
            return httpx.Response(
                200,
                headers={"content-type": "application/xml"},
                content=f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
            )
        return page(_story(f"Story {path.replace('/', ' ')}"))

    outcomes = _run(
        tmp_path,
        {
            "name": "Times",
            "sitemap": "https://news.example/index.xml",
            "include": ["/world/", "/video/"],
            "exclude": ["/video/"],
            "max_items": 2,
        },
        handler,
    )
    assert [(o.url, o.status) for o in outcomes] == [
        ("https://news.example/world/3", "new"),  # newest first
        ("https://news.example/world/2", "new"),
    ]
    assert not any(p.startswith("/video/") for p in asked)
    files = sorted(p.name for p in (tmp_path / "content" / "times").iterdir())
    assert files == ["2026-03-02-story-world-2.md", "2026-03-03-story-world-3.md"]


def test_feed_items_pointing_at_private_addresses_are_refused(tmp_path: Path) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.path == "/rss":
            items = "".join(
                f"<item><title>t</title><link>{link}</link></item>"
                for link in (
                    "http://169.254.169.254/latest/meta-data/iam/",
                    "http://localhost:8080/admin",
                    "https://news.example/fine",
                )
            )
            return httpx.Response(
                200,
                headers={"content-type": "application/rss+xml"},
                content=b'<rss version="2.0"><channel><title>x</title>'
                + items.encode()
                + b"</channel></rss>",
            )
        return page(_story("Fine story"))

    def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "localhost" else resolver(host, port)

    config = config_from_mapping(
        {"sources": [{"name": "N", "feed": "https://news.example/rss", "delay": 0}]}, tmp_path
    )
    client = Fetcher(transport=httpx.MockTransport(handler), resolve=resolve, sleep=lambda s: None)
    outcomes = FetchRun(config, fetcher=client).run(config.sources).outcomes
    assert [o.status for o in outcomes] == ["failed", "failed", "new"]
    assert all("refused" in o.detail for o in outcomes[:2])
    assert not any("169.254" in u or "localhost" in u for u in asked)


def test_a_tampered_seen_list_cannot_point_outside_content(tmp_path: Path) -> None:
    seen = tmp_path / ".digest-cache" / "fetch" / "seen.json"
    seen.parent.mkdir(parents=True)
    seen.write_text(
        json.dumps(
            {
                "https://news.example/a": {"status": "new", "file": "../../etc/hosts"},
                "https://news.example/b": {"status": "failed", "detail": 5},
            }
        )
    )
    config = config_from_mapping(
        {"sources": [{"name": "N", "urls": ["https://x.example/"]}]}, tmp_path
    )
    assert FetchRun(config, fetcher=fetcher(lambda r: httpx.Response(404))).seen.entries == {}


def test_the_build_does_not_even_import_the_network_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, digest.mkdocs.plugin, digest.pipeline, digest.cli; "
        "print(sorted(m for m in ('httpx', 'trafilatura', 'digest.sources.http') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _json_ld_page(body: list[str], shown: list[str], free: bool = True) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Port strike ends",
        "datePublished": "2026-03-04T08:00:00Z",
        "author": {"@type": "Person", "name": "Ada Quist"},
        "articleBody": " ".join(body),
        "isAccessibleForFree": free,
    }
    paragraphs = "".join(f"<p>{p}</p>" for p in shown)
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(data)}</script>'
        f"<title>Port strike ends</title></head><body><main><article><h1>Port strike ends</h1>"
        f"{paragraphs}</article></main></body></html>"
    )


BODY = [
    f"Dock workers at the eastern port returned on day {n} after talks that ran all night, "
    f"the union said, and the first ships were unloaded by noon in berth {n}."
    for n in range(1, 9)
]


def test_structured_body_is_used_when_the_page_shows_little_of_it() -> None:
    # A page that renders the story with a script: only the first paragraph is in the HTML.
    found = extract(_json_ld_page(BODY, BODY[:1]), "https://news.example/port")
    assert " ".join(found.paragraphs) == " ".join(BODY)
    assert all(len(p) < 600 for p in found.paragraphs)  # split into readable paragraphs
    assert (found.title, found.author, found.date) == (
        "Port strike ends",
        "Ada Quist",
        "2026-03-04T08:00:00Z",
    )


def test_a_page_marked_not_free_is_written_when_the_story_is_there() -> None:
    from digest.sources.extract import problem

    full = extract(_json_ld_page(BODY * 2, BODY * 2, free=False), "https://news.example/p")
    assert full.paywalled and problem(full) is None
    stub = extract(_json_ld_page(BODY[:2], BODY[:2], free=False), "https://news.example/p")
    assert "paywalled" in (problem(stub) or "")


def test_a_page_without_any_date_is_dated_the_day_it_was_fetched(tmp_path: Path) -> None:
    from datetime import date

    html = _story("Undated story")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404) if request.url.path == "/robots.txt" else page(html)

    config = config_from_mapping(
        {"sources": [{"name": "N", "urls": ["https://news.example/u"], "delay": 0}]}, tmp_path
    )
    run = FetchRun(config, fetcher=fetcher(handler), today=date(2026, 3, 5))
    (outcome,) = run.run(config.sources).outcomes
    assert "no date on the page, dated 2026-03-05 (the day fetched)" in outcome.detail
    assert outcome.file == "n/2026-03-05-undated-story.md"
    assert "date: '2026-03-05T00:00:00+00:00'" in (tmp_path / "content" / outcome.file).read_text()


def test_dns_rebinding_is_caught_when_connecting() -> None:
    """A name that is public when checked and 127.0.0.1 when connected to is refused, and
    the local server never sees a request."""
    from tests.fetch_server import news_server

    answers = {"count": 0}

    def rebinding(host: str, port: int) -> list[str]:
        answers["count"] += 1
        return ["93.184.216.34"] if answers["count"] == 1 else ["127.0.0.1"]

    with news_server() as server:
        client = Fetcher(resolve=rebinding, sleep=lambda s: None)
        client._robots[f"http://rebind.example:{server.port}"] = _allow_all()
        with client, pytest.raises(FetchError, match="refused: rebind.example now resolves"):
            client.get(f"http://rebind.example:{server.port}/flood-wall.html", Policy(delay=0))
        assert server.requests == []
        # The same connection rules allow it for a source that allows private addresses.
        client = Fetcher(resolve=lambda h, p: ["127.0.0.1"], sleep=lambda s: None)
        with client:
            got = client.get(
                f"http://rebind.example:{server.port}/flood-wall.html",
                Policy(allow_private=True, delay=0),
            )
        assert b"Lakeside Ledger" in got.body


def _allow_all():
    import urllib.robotparser

    parser = urllib.robotparser.RobotFileParser()
    parser.parse([])
    return parser


@pytest.mark.parametrize(
    ("paragraph", "furniture"),
    [
        ("By Marta Lindqvist", True),
        ("BY ANA BELTRÁN", True),
        ("By Jane Roe and John Doe, Reuters", True),
        ("Updated 9:15 AM EST, March 2, 2026", True),
        ("Read more: City council approves harbor flood wall", True),
        ("(AP Photo/Evan Vucci)", True),
        ("Photo: Jane Roe/Getty Images", True),
        ("Sign up for our morning newsletter", True),
        ("Share on Facebook", True),
        ("Advertisement", True),
        ("Reporting by Jane Doe; Editing by John Roe", True),
        ("© 2026 The Wire Service. All rights reserved.", True),
        ("The post Bridge repairs begin appeared first on The Ledger.", True),
        ("This article originally appeared in The Courier.", True),
        # Story text that looks a little like furniture stays.
        ("By the numbers", False),
        ("By then, the water had reached the second floor.", False),
        ("Updated guidance", False),
        ("He said the copyright law would change next year.", False),
        ("Copyright holders sued the company on Monday, the court said.", False),
        ("Copyright 2026 The Wire Service", True),
        ("Share prices fell 4 percent after the announcement, the exchange said.", False),
    ],
)
def test_furniture_by_shape(paragraph: str, furniture: bool) -> None:
    from digest.sources.extract import is_furniture

    assert is_furniture(paragraph) is furniture


def test_the_feeds_headline_serves_a_page_without_one(tmp_path: Path) -> None:
    text = " ".join(f"The committee heard witness number {i} on the water plan." for i in range(12))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.path == "/rss":
            item = (
                "<item><title>  Water plan\n hearing\x07 </title>"
                "<link>https://news.example/w</link><author>x@y.z (Kim Lee)</author></item>"
            )
            return httpx.Response(
                200,
                headers={"content-type": "application/rss+xml"},
                content=('<rss version="2.0"><channel><title>c</title>' + item).encode()
                + b"</channel></rss>",
            )
        return page(f"<html><body><div><p>{text}</p></div></body></html>")

    outcomes = _run(tmp_path, {"name": "N", "feed": "https://news.example/rss"}, handler)
    assert [o.status for o in outcomes] == ["new"], outcomes
    written = (tmp_path / "content" / outcomes[0].file).read_text()
    assert "title: Water plan hearing\n" in written


def test_written_paragraphs_read_back_as_extracted() -> None:
    """Whatever characters a page's text holds, the article file reads back to the same
    text: Markdown and HTML characters in it are data, not markup."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from digest.sources.store import _markdown_safe
    from digest.sources.text import markdown_to_text

    alphabet = st.sampled_from(list("ab Z09.,;:!?'\"()-+#>*_`[]<>&|\\/=~{}%$@^") + ["&amp;"])

    @settings(max_examples=1000, deadline=None)
    @given(st.lists(alphabet, min_size=1, max_size=40).map("".join))
    def check(raw: str) -> None:
        text = " ".join(raw.split())
        if not text:
            return
        assert " ".join(markdown_to_text(_markdown_safe(text)).split()) == text

    check()
    for text in ("AT&T and S&P 500, Q&A", "# 1 seed", "1. First", "<script>x</script>"):
        assert markdown_to_text(_markdown_safe(text)) == text
    # Readable where it can be.
    assert _markdown_safe("AT&T and Q&A") == "AT&T and Q&A"
    assert _markdown_safe("12 people were hurt.") == "12 people were hurt."


def test_a_hostile_page_is_written_as_text_and_built_without_live_markup(tmp_path: Path) -> None:
    """Markup, template syntax and script URLs in a fetched page end up as visible text:
    the file reads back to what the page said, and the built site has no live markup."""
    from digest.sources.files import ContentReader
    from tests.conftest import mkdocs_build
    from tests.safety import SiteChecker

    story = [
        "The council's web page showed <script>alert('x')</script> after the attack, "
        "officials said on Tuesday in a statement read to reporters.",
        "{{ config.extra }} and {% include 'secrets' %} appeared in the page template, "
        "according to the vendor, which has since patched the flaw.",
        "# not a heading, [a link](javascript:alert(1)) and snake_case_names stayed as text "
        "in the report, which runs to forty pages.",
        "--- the report ends with a rule and *no* emphasis, the auditor added, and the "
        "city will publish it in full next week.",
    ]
    data = {"@type": "NewsArticle", "headline": "</title><script>alert(1)</script> Hack"}
    body = "".join(f"<p>{__import__('html').escape(p)}</p>" for p in story)
    hostile = (
        # "<\/" as a page's CMS writes JSON inside <script>.
        '<html><head><script type="application/ld+json">'
        + json.dumps(data).replace("</", "<\\/")
        + "</script></head>"
        f"<body><article><h1>Hack</h1>{body}</article></body></html>"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404) if request.url.path == "/robots.txt" else page(hostile)

    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nsite_url: https://example.org/\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - digest\n"
    )
    outcomes = _run(tmp_path, {"name": "N", "urls": ["https://news.example/h"]}, handler)
    assert [o.status for o in outcomes] == ["new"], outcomes
    (article,) = ContentReader(tmp_path / "content").read_all().articles
    assert article.title == "</title><script>alert(1)</script> Hack"
    assert list(article.paragraphs) == story
    built = mkdocs_build(tmp_path)
    assert built.returncode == 0, built.stderr
    assert SiteChecker(tmp_path / "site").problems() == {}


def test_every_item_of_a_feed_is_taken_unless_max_items_says_otherwise(tmp_path: Path) -> None:
    items = "".join(
        f"<item><title>Story {n}</title><link>https://news.example/s/{n}</link></item>"
        for n in range(60)
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.path == "/rss":
            return httpx.Response(
                200,
                headers={"content-type": "application/rss+xml"},
                content=('<rss version="2.0"><channel><title>c</title>' + items).encode()
                + b"</channel></rss>",
            )
        number = request.url.path.rsplit("/", 1)[1]
        words = " ".join(f"w{number}x{i}" for i in range(80))
        return page(f"<html><body><article><p>{words}.</p></article></body></html>")

    outcomes = _run(tmp_path, {"name": "N", "feed": "https://news.example/rss"}, handler)
    assert sum(o.status == "new" for o in outcomes) == 60
    config = config_from_mapping(
        {"sources": [{"name": "N", "feed": "https://news.example/rss", "max_items": 5}]},
        tmp_path / "b",
    )
    report = FetchRun(config, fetcher=fetcher(handler)).run(config.sources)
    assert len(report.outcomes) == 5
    assert report.notes == ("N: 55 older items beyond max_items (5) not fetched this run",)


def test_a_feed_of_redirector_links_is_not_asked_again(tmp_path: Path) -> None:
    """Links through a redirector (/r/N -> /story/N): the pages are written under their own
    address, and the next run asks for the feed only."""
    asked: list[str] = []
    items = "".join(
        f"<item><title>Story {n}</title><link>https://news.example/r/{n}</link></item>"
        for n in range(3)
    )

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        asked.append(path)
        if path == "/robots.txt":
            return httpx.Response(404)
        if path == "/rss":
            return httpx.Response(
                200,
                headers={"content-type": "application/rss+xml"},
                content=('<rss version="2.0"><channel><title>c</title>' + items).encode()
                + b"</channel></rss>",
            )
        if path.startswith("/r/"):
            return httpx.Response(301, headers={"location": f"/story/{path[3:]}"})
        words = " ".join(f"w{path[-1]}x{i}" for i in range(80))
        return page(f"<html><body><article><p>{words}.</p></article></body></html>")

    source = {"name": "N", "feed": "https://news.example/rss"}
    first = _run(tmp_path, source, handler)
    assert [o.status for o in first] == ["new"] * 3
    assert "url: https://news.example/story/0" in (tmp_path / "content" / first[0].file).read_text()
    asked.clear()
    second = _run(tmp_path, source, handler)
    assert [o.status for o in second] == ["unchanged"] * 3
    assert [p for p in asked if p != "/robots.txt"] == ["/rss"]  # (no cache in this test)


def test_another_storys_json_ld_never_stands_in_for_the_page() -> None:
    other = {
        "@type": "NewsArticle",
        "headline": "A different story about football",
        "articleBody": " ".join(["The match ended in a draw after extra time."] * 40),
    }
    mine = " ".join(f"Local detail number {i} about the bridge repairs." for i in range(6))
    html = (
        '<html><head><script type="application/ld+json">'
        + json.dumps([other, {**other, "headline": "Yet another one"}])
        + "</script><title>Bridge repairs begin</title></head><body><article>"
        + f"<h1>Bridge repairs begin</h1><p>{mine}</p></article></body></html>"
    )
    found = extract(html, "https://news.example/bridge")
    assert " ".join(found.paragraphs) == mine
    assert found.title == "Bridge repairs begin"


def test_a_new_file_never_takes_an_existing_articles_page_slug(tmp_path: Path) -> None:
    from digest.sources.files import ContentReader

    content = tmp_path / "content"
    content.mkdir()
    # A hand-written article whose page slug is what the fetched one would get.
    (content / "n-2026-03-05-undated-story.md").write_text(
        "---\ntitle: Other\ndate: 2026-03-05\n---\n\nA different story about the harbour.\n"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return page(_story("Undated story"))

    from datetime import date

    config = config_from_mapping(
        {"sources": [{"name": "N", "urls": ["https://news.example/u"], "delay": 0}]}, tmp_path
    )
    (outcome,) = (
        FetchRun(config, fetcher=fetcher(handler), today=date(2026, 3, 5))
        .run(config.sources)
        .outcomes
    )
    assert outcome.file == "n/2026-03-05-undated-story-2.md"
    read = ContentReader(content).read_all()
    assert len(read.articles) == 2 and read.problems == ()


def test_a_recurring_headline_is_told_apart_so_the_build_does_not_warn(tmp_path: Path) -> None:
    from digest.sources.files import ContentReader

    content = tmp_path / "content" / "n"
    content.mkdir(parents=True)
    (content / "2026-03-04-morning-briefing.md").write_text(
        "---\ntitle: Morning briefing\ndate: 2026-03-04\n---\n\nYesterday's news about ferries.\n"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        words = " ".join(f"Today item {i} concerns the new tram line." for i in range(10))
        return page(
            "<html><head><title>Morning briefing</title><meta property='article:published_time'"
            " content='2026-03-05T07:00:00Z'></head><body><article><h1>Morning briefing</h1>"
            f"<p>{words}</p></article></body></html>"
        )

    outcomes = _run(tmp_path, {"name": "N", "urls": ["https://news.example/b"]}, handler)
    assert "headline also used by n/2026-03-04-morning-briefing.md" in outcomes[0].detail
    read = ContentReader(tmp_path / "content").read_all()
    assert sorted(a.title for a in read.articles) == [
        "Morning briefing",
        "Morning briefing (N, 2026-03-05)",
    ]
    assert read.problems == ()


def test_a_date_in_the_future_becomes_the_fetch_time(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return page(
            _story("Tomorrow's story").replace(
                "<head>",
                '<head><script type="application/ld+json">'
                '{"@type": "NewsArticle", "datePublished": "2031-01-01T00:00:00Z"}</script>',
            )
        )

    now = datetime(2026, 3, 5, 12, 0, tzinfo=timezone.utc)
    config = config_from_mapping(
        {"sources": [{"name": "N", "urls": ["https://news.example/f"], "delay": 0}]}, tmp_path
    )
    (outcome,) = FetchRun(config, fetcher=fetcher(handler), now=now).run(config.sources).outcomes
    assert "lies in the future, dated when fetched" in outcome.detail
    assert "date: '2026-03-05T12:00:00+00:00'" in (tmp_path / "content" / outcome.file).read_text()
