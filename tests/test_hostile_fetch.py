"""Hostile input, round three, for `digest fetch`: a scriptable server on 127.0.0.1
(tests/hostile_server.py) plays the hostile site; caches are edited between runs."""

from __future__ import annotations

import hashlib
import json
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from threading import Event

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import cli
from digest.config import FEED_ITEMS, config_from_mapping
from digest.sources.addresses import AddressRefused, check_url
from digest.sources.fetch import FetchReport, FetchRun
from digest.sources.files import ContentReader
from digest.sources.http import Fetcher, FetchError, Policy
from tests.hostile_server import HostileServer, hostile_server


@pytest.fixture(autouse=True)
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's own key folder (the caches' secret lives outside the cache folder)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@pytest.fixture
def server():
    with hostile_server() as running:
        yield running


PLACES = ["harbour", "library", "bridge", "school", "market", "station", "clinic", "park"]
VERBS = ["opened", "closed", "repaired", "inspected", "funded", "expanded", "moved", "sold"]


def story_text(seed: int, words: int = 230) -> list[str]:
    """A story of its own words: every 5-word run holds a word naming the seed, so no two
    seeds share one."""
    sentences = []
    for i in range(words // 7 + 1):
        place, verb = PLACES[(seed + i) % len(PLACES)], VERBS[(seed * 3 + i) % len(VERBS)]
        sentences.append(f"Crew{seed} said {place} {verb} d{seed}n{i} near town{seed}.")
    return [" ".join(sentences[k : k + 5]) for k in range(0, len(sentences), 5)]


def rss(server: HostileServer, items: list[tuple[str, str, list[str]]]) -> str:
    """A feed whose items carry their full text: (path, title, paragraphs)."""
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{server.base}{path}</link>"
        "<pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate><content:encoded><![CDATA["
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        + "]]></content:encoded></item>"
        for path, title, paragraphs in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Ledger</title>'
        f"{entries}</channel></rss>"
    )


def run(root: Path, *sources: dict) -> FetchReport:
    options = {"sources": [{"allow_private": True, "delay": 0, "timeout": 2, **s} for s in sources]}
    config = config_from_mapping(options, root)
    return FetchRun(config).run(config.sources)


def fetch_cli(root: Path, *sources: dict) -> str:
    """`digest fetch` as users run it (with this user's key for the caches): its report."""
    options = [{"allow_private": True, "delay": 0, "timeout": 2, **s} for s in sources]
    config = {"site_name": "Hostile", "plugins": [{"digest": {"sources": options}}]}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(cli, ["fetch", "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    return result.output


def texts(root: Path) -> str:
    read = ContentReader(root / "content").read_all()
    return "\n".join("\n".join(a.paragraphs) for a in read.articles)


def test_a_tampered_feed_cache_answered_304_writes_no_forged_item(
    tmp_path: Path, server: HostileServer
) -> None:
    server.page("/rss.xml", rss(server, [("/a", "Harbour news", story_text(1))]), "text/xml")
    (tmp_path / "content").mkdir()
    assert "1 new" in fetch_cli(tmp_path, {"name": "Ledger", "feed": f"{server.base}/rss.xml"})
    kept = tmp_path / ".digest-cache" / "fetch" / "http"
    [meta_path] = [p for p in kept.glob("*.json") if "rss.xml" in p.read_text()]
    forged = rss(server, [("/forged", "Forged", ["FORGED " + p for p in story_text(9)])])
    meta_path.with_suffix(".body").write_bytes(forged.encode())
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = hashlib.sha256(forged.encode()).hexdigest()
    meta_path.write_text(json.dumps(meta))
    report = fetch_cli(tmp_path, {"name": "Ledger", "feed": f"{server.base}/rss.xml"})
    assert "FORGED" not in texts(tmp_path)
    assert "0 new, 1 unchanged" in report


def test_a_planted_seen_entry_does_not_hide_a_new_story(
    tmp_path: Path, server: HostileServer
) -> None:
    server.page("/rss.xml", rss(server, [("/a", "Harbour news", story_text(1))]), "text/xml")
    (tmp_path / "content").mkdir()
    source = {"name": "Ledger", "feed": f"{server.base}/rss.xml"}
    assert "1 new" in fetch_cli(tmp_path, source)
    [written] = [p.relative_to(tmp_path / "content") for p in (tmp_path / "content").rglob("*.md")]
    seen = tmp_path / ".digest-cache" / "fetch" / "seen.json"
    # The next story, planted as already written (pointing at the article there is), in the
    # format the file had (a JSON object) or has (a line before it).
    text = seen.read_text()
    head, _, body = text.rpartition("\n") if not text.startswith("{") else ("", "", text)
    entries = json.loads(body)
    entries[f"{server.base}/b"] = {"status": "new", "file": written.as_posix(), "detail": ""}
    seen.write_text((head + "\n" if head else "") + json.dumps(entries))
    items = [("/a", "Harbour news", story_text(1)), ("/b", "Bridge news", story_text(2))]
    server.page("/rss.xml", rss(server, items), "text/xml")
    report = fetch_cli(tmp_path, source)
    assert "1 new, 1 unchanged" in report
    assert "Crew2 said" in texts(tmp_path)


def article_page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{escape(title)}</title></head><body><article>"
        f"<h1>{escape(title)}</h1><p>Published 2 March 2026</p>{body}</article></body></html>"
    )


def link_feed(server: HostileServer, paths: list[str]) -> str:
    """A feed of teasers: every item's page is fetched."""
    entries = "".join(
        f"<item><title>Item {n}</title><link>{server.base}{path}</link>"
        "<pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate><description>Teaser...</description>"
        "</item>"
        for n, path in enumerate(paths)
    )
    return f'<rss version="2.0"><channel><title>Ledger</title>{entries}</channel></rss>'


def test_one_bad_item_or_source_never_stops_the_run(tmp_path: Path, server: HostileServer) -> None:
    bad = {
        "/punycode": (200, {"Content-Type": "text/html; charset=punycode"}, b"<p>\xff\xfe</p>"),
        "/moved-1": (301, {"Location": "http:www.example.org/x"}, b""),
        "/moved-2": (301, {"Location": "http://[::1/x"}, b""),
        "/moved-3": (301, {"Location": "http://127.0.0.1:99999/x"}, b""),
    }
    server.routes.update(bad)
    server.page("/good", article_page("Good news", story_text(3)))
    server.page("/other", article_page("Other news", story_text(4)))
    server.page("/third", article_page("Third news", story_text(5)))
    server.page("/rss.xml", link_feed(server, [*bad, "/good"]), "text/xml")
    (tmp_path / "content").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "content" / "linked").symlink_to(elsewhere, target_is_directory=True)
    sources = (
        {"name": "Ledger", "feed": f"{server.base}/rss.xml"},
        {"name": "Linked", "urls": [f"{server.base}/third"]},
        {"name": "Wire", "urls": [f"{server.base}/other"]},
    )
    report = fetch_cli(tmp_path, *sources)
    for path in [*bad, "/third"]:
        assert f"failed: {server.base}{path}: " in report, path
    assert "2 new" in report and "5 failed" in report
    assert "Crew3 said" in texts(tmp_path) and "Crew4 said" in texts(tmp_path)
    assert list(elsewhere.iterdir()) == []
    # Recorded: the next run goes through them again without a traceback.
    again = fetch_cli(tmp_path, *sources)
    assert "0 new, 2 unchanged" in again and "5 failed" in again


# -- limits applied while the answer streams in -----------------------------------------------


def _gzip(chunks: Iterable[bytes]) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(packer.compress(c) for c in chunks) + packer.flush()


def test_a_gzip_bomb_is_stopped_at_the_limit_not_after_it(server: HostileServer) -> None:
    # 64 MB of zeros, gzipped twice: a few KB on the wire.
    bomb = _gzip([_gzip(b"\0" * 1_000_000 for _ in range(64))])
    assert len(bomb) < 20_000
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}
    server.routes["/bomb"] = (200, headers, bomb)
    policy = Policy(allow_private=True, delay=0, timeout=5, max_bytes=1_000_000)
    tracemalloc.start()
    try:
        with Fetcher() as client, pytest.raises(FetchError, match="too large") as failed:
            client.get(f"{server.base}/bomb", policy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert failed.value.permanent
    # What the limit allows, and some: never the 64 MB the bomb unpacks to.
    assert peak < 16_000_000, peak


def test_gzip_and_deflate_bodies_within_the_limit_are_read(server: HostileServer) -> None:
    page = article_page("Good news", story_text(3)).encode()
    gzipped = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    server.routes["/gzip"] = (200, gzipped, _gzip([page]))
    deflated = {"Content-Type": "text/html", "Content-Encoding": "deflate"}
    server.routes["/deflate"] = (200, deflated, zlib.compress(page))
    policy = Policy(allow_private=True, delay=0)
    with Fetcher() as client:
        for path in ("/gzip", "/deflate"):
            assert client.get(f"{server.base}{path}", policy).body == page


def _trickle(head: bytes, body: bytes, stop: Event) -> Callable[[BaseHTTPRequestHandler], None]:
    """An answer written a byte every 0.5 s after `head`."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(head)
        handler.wfile.flush()
        for byte in body:
            if stop.wait(0.5):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return answer


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_trickling_answer_is_cut_at_the_overall_deadline(
    server: HostileServer, where: str
) -> None:
    page = b"<html><body><p>" + b"x" * 60 + b"</p></body></html>"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page)
    if where == "body":
        server.routes["/slow"] = _trickle(head, page, server.stop)
    else:
        server.routes["/slow"] = _trickle(b"", head + page, server.stop)
    policy = Policy(allow_private=True, delay=0, timeout=1)
    started = time.monotonic()
    with Fetcher() as client, pytest.raises(FetchError, match="too slow|timeout"):
        client.get(f"{server.base}/slow", policy)
    # Three timeouts at most (and a read's), not the 40 s the answer would take.
    assert time.monotonic() - started < 3 * policy.timeout + 3


def test_a_feed_of_many_items_is_cut_to_the_documented_default(
    tmp_path: Path, server: HostileServer
) -> None:
    paths = [f"/s/{n}" for n in range(1000)]
    server.page("/rss.xml", link_feed(server, paths), "text/xml")
    report = run(tmp_path, {"name": "Big", "feed": f"{server.base}/rss.xml"})
    assert len(report.outcomes) == FEED_ITEMS
    assert len([p for p in server.requests if p.startswith("/s/")]) == FEED_ITEMS
    left = 1000 - FEED_ITEMS
    note = f"Big: {left} older items beyond max_items ({FEED_ITEMS}) not fetched this run"
    assert report.notes == (note,)


# -- addresses: RFC 6890's special-purpose blocks, in both families ------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::c0a8:101",  # IPv4-compatible 192.168.1.1
        "::ffff:0:7f00:1",  # SIIT 127.0.0.1
        "::ffff:0:a00:1",  # SIIT 10.0.0.1
        "fec0::1",  # site-local
        "64:ff9b:1::1",  # local-use NAT64
        "192.0.0.9",  # IETF protocol assignments
        "192.88.99.1",  # 6to4 relay anycast
    ],
)
def test_ipv6_forms_of_private_addresses_and_special_blocks_are_refused(address: str) -> None:
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    with pytest.raises(AddressRefused):
        check_url(url, allow_private=False, resolve=lambda host, port: [host])


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1::1", "64:ff9b::5db8:d822", "2002:5db8:d822::1"]
)
def test_public_addresses_in_either_family_pass(address: str) -> None:
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    check_url(url, allow_private=False, resolve=lambda host, port: [host])


# -- duplicates: the same story however it is spelt, different stories however alike --------------


def test_the_same_story_with_soft_hyphens_inside_words_is_a_duplicate(
    tmp_path: Path, server: HostileServer
) -> None:
    story = story_text(6)
    # Soft hyphens (and a zero-width space) where a typesetting system breaks words.
    hyphenated = [p.replace("said", "sa\u00adid").replace("near", "ne\u200bar") for p in story]
    server.page("/a", article_page("Harbour plan", story))
    # The reprint's full text in a feed (a page's extraction drops them; a feed's keeps them).
    feed = rss(server, [("/b", "Harbour plan, reprinted", hyphenated)])
    server.page("/rss.xml", feed, "text/xml")
    (tmp_path / "content").mkdir()
    report = run(
        tmp_path,
        {"name": "First", "urls": [f"{server.base}/a"]},
        {"name": "Second", "feed": f"{server.base}/rss.xml"},
    )
    assert [o.status for o in report.outcomes] == ["new", "duplicate"]


ABOUT = (
    "About Northwind Instruments: Northwind Instruments designs and builds measuring equipment "
    "for water utilities, laboratories and farms in twelve countries. Founded in 1987 and based "
    "in Tarrow, the company employs 640 people and sells through a network of regional partners. "
    "Its sensors monitor more than four thousand reservoirs and treatment plants. For more "
    "information, visit the company's website or contact its press office in Tarrow."
)


def test_two_press_releases_sharing_their_boilerplate_are_both_kept(
    tmp_path: Path, server: HostileServer
) -> None:
    first = [
        "Northwind Instruments today announced a new flow meter for small water utilities, "
        "priced at half of its current model and built to run for ten years on one battery.",
        ABOUT,
    ]
    second = [
        "Northwind Instruments today reported third-quarter revenue of 48 million, up eleven "
        "percent on a year ago, as orders from laboratories in Asia doubled.",
        ABOUT,
    ]
    server.page("/one", article_page("New flow meter", first))
    server.page("/two", article_page("Quarterly results", second))
    (tmp_path / "content").mkdir()
    source = {"name": "Press", "urls": [f"{server.base}/one", f"{server.base}/two"]}
    report = run(tmp_path, source)
    assert [o.status for o in report.outcomes] == ["new", "new"], report.outcomes
