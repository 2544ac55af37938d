"""Hostile input, round three, for `digest fetch`: a scriptable server on 127.0.0.1
(tests/hostile_server.py) plays the hostile site; caches are edited between runs."""

from __future__ import annotations

import hashlib
import json
from html import escape
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import cli
from digest.config import config_from_mapping
from digest.sources.fetch import FetchReport, FetchRun
from digest.sources.files import ContentReader
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
