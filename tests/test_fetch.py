"""`digest fetch` end to end against a local news site (tests/fetch_server.py, 127.0.0.1)."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from digest.cli import cli
from digest.sources.files import ContentReader
from tests.conftest import FIXTURES, mkdocs_build
from tests.fetch_server import NewsServer, news_server

STORIES = yaml.safe_load((FIXTURES / "fetch" / "stories.yml").read_text(encoding="utf-8"))


@pytest.fixture
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        yield running


def write_site(root: Path, server: NewsServer, extra: str = "allow_private: true") -> Path:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "content").mkdir(exist_ok=True)
    config = f"""\
        site_name: Fetch test
        site_url: https://example.org/digest/
        theme:
          name: material
          font: false
        plugins:
          - search
          - digest:
              topics:
                - name: Local
                  keywords: [city council, harbor]
              sources:
                - name: The Lakeside Ledger
                  feed: {server.base}/rss.xml
                  {extra}
                  delay: 0
                  timeout: 0.5
                  max_bytes: 1000000
                  topics: [Local]
        """
    (root / "mkdocs.yml").write_text(textwrap.dedent(config), encoding="utf-8")
    return root / "mkdocs.yml"


def fetch(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["fetch", "-f", str(config), *args], catch_exceptions=False)


def articles(root: Path) -> dict[str, object]:
    read = ContentReader(root / "content").read_all()
    return {a.source_path: a for a in read.articles}


def line_for(output: str, needle: str) -> str:
    lines = [line for line in output.splitlines() if needle in line]
    assert lines, f"nothing about {needle!r} in:\n{output}"
    return lines[0]


def test_first_run_writes_clean_articles_and_names_every_trap(tmp_path: Path, server) -> None:
    config = write_site(tmp_path, server)
    # An article already in content/ from another source: the same library story, retitled.
    library = STORIES["library"]
    (tmp_path / "content" / "wire").mkdir()
    (tmp_path / "content" / "wire" / "westgate-library.md").write_text(
        "---\ntitle: Westgate library is back\ndate: 2026-03-01\nsource: Wire\n---\n\n"
        + "\n\n".join(library["body"][:4])
        + "\n",
        encoding="utf-8",
    )

    result = fetch(config)
    output = result.output
    assert result.exit_code == 0, output

    written = articles(tmp_path)
    ledger = {p: a for p, a in written.items() if p.startswith("the-lakeside-ledger/")}
    by_title = {a.title: a for a in ledger.values()}
    expected = ["flood-wall", "rail-strike", "drought", "glacier"]
    assert sorted(by_title) == sorted(STORIES[s]["title"] for s in expected)
    for slug in expected:
        article = by_title[STORIES[slug]["title"]]
        # Exactly the story: no caption, related links, newsletter box, comments or cookies.
        assert list(article.paragraphs) == STORIES[slug]["body"], slug
        assert article.source == "The Lakeside Ledger"
        assert article.url == f"{server.base}/{slug}.html"
        assert article.forced_topics == ("Local",)
    flood = by_title[STORIES["flood-wall"]["title"]]
    assert flood.author == "Marta Lindqvist"
    assert flood.date.isoformat() == "2026-03-02T14:00:00+00:00"  # the feed's date

    # The feed's full text is used as it is: the glacier page is never asked for.
    assert "/glacier.html" not in server.requests
    assert "full text from the feed" in line_for(output, "glacier")
    # robots.txt forbids /private/: not requested, and said so.
    assert not any(p.startswith("/private/") for p in server.requests)
    assert "forbidden by robots.txt" in line_for(output, "/private/draft.html")
    # Every trap is named with its URL and reason.
    assert "HTTP 404" in line_for(output, "/gone.html")
    assert "timeout" in line_for(output, "/slow.html")
    assert "too large" in line_for(output, "/huge.html")
    assert "not an HTML page (application/pdf)" in line_for(output, "/annual-report.pdf")
    assert "paywalled" in line_for(output, "/budget-talks.html")
    assert "almost no text" in line_for(output, "/video-storm.html")
    tracking = line_for(output, "utm_source=rss")
    assert tracking.startswith("duplicate:") and "flood-wall" in tracking
    wire = line_for(output, "/rail-strike-wire.html")
    assert re.search(r"duplicate of the-lakeside-ledger/2026-03-02-regional-rail", wire), wire
    assert "duplicate of wire/westgate-library.md" in line_for(output, "/library.html")
    # The 429 was retried after its Retry-After: the drought story is written.
    assert server.requests.count("/drought.html") == 2
    assert "4 new, 0 unchanged, 3 duplicates, 7 failed" in output
    # Polite: a User-Agent naming newsdigest on every request.
    assert all("newsdigest" in h.get("User-Agent", "") for h in server.headers)

    # Fetching again adds nothing and asks only for the feed (a 304) and what failed for
    # a reason that may pass (the page that timed out).
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")}
    count = len(server.requests)
    again = fetch(config)
    assert again.exit_code == 0, again.output
    second = server.requests[count:]
    assert len(second) <= 5, second
    assert "/rss.xml" in second and "/flood-wall.html" not in second
    assert "0 new, 5 unchanged, 2 duplicates, 7 failed" in again.output
    assert "(earlier run)" in line_for(again.output, "/gone.html")
    assert second.count("/slow.html") == 1
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")}
    assert after == before

    # The build uses what was fetched, and never the network.
    count = len(server.requests)
    built = mkdocs_build(tmp_path)
    assert built.returncode == 0, built.stderr
    assert len(server.requests) == count
    page = next((tmp_path / "site" / "articles").glob("*flood-wall*/index.html"))
    assert "Dalia Ferreira" in page.read_text(encoding="utf-8")


def test_same_content_gives_same_bytes(tmp_path: Path, server) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for root in (first, second):
        config = write_site(root, server)
        (root / "mkdocs.yml").write_text(
            config.read_text().replace("delay: 0", "delay: 0\n          max_items: 7"),
            encoding="utf-8",
        )
        assert fetch(config).exit_code == 0
    files = sorted(p.relative_to(first) for p in (first / "content").rglob("*.md"))
    assert len(files) == 5  # the first seven items hold five stories
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes()


def test_dry_run_writes_nothing_and_strict_fails_on_failures(tmp_path: Path, server) -> None:
    config = write_site(tmp_path, server)
    result = fetch(config, "--dry-run", "--strict")
    assert result.exit_code == 1
    assert "would write: the-lakeside-ledger/2026-03-02-city-council" in result.output
    assert "dry run: nothing written" in result.output
    assert not list((tmp_path / "content").rglob("*.md"))
    only = fetch(config, "--source", "the-lakeside-ledger", "--dry-run")
    assert only.exit_code == 0 and "would write" in only.output


def test_a_site_without_sources_has_nothing_to_fetch(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nplugins:\n  - digest\n")
    result = fetch(tmp_path / "mkdocs.yml")
    assert result.exit_code == 0 and "nothing to fetch" in result.output


def test_private_address_refused_unless_allowed(tmp_path: Path, server) -> None:
    config = write_site(tmp_path, server, extra="")
    result = fetch(config)
    assert result.exit_code == 0
    line = line_for(result.output, "/rss.xml")
    assert "refused" in line and "allow_private" in line
    assert server.requests == []  # refused before any connection


def test_unknown_source_and_bad_config_exit_2(tmp_path: Path, server) -> None:
    config = write_site(tmp_path, server)
    result = fetch(config, "--source", "Nope")
    assert result.exit_code == 2
    assert "no source named nope" in result.output
    config.write_text(
        config.read_text().replace(f"feed: {server.base}/rss.xml", "feed: ftp://example.org/x"),
        encoding="utf-8",
    )
    result = fetch(config)
    assert result.exit_code == 2
    assert "sources[0] (The Lakeside Ledger): feed" in result.output
    assert server.requests == []


def test_the_cache_keeps_the_feed_not_the_pages(tmp_path: Path, server) -> None:
    config = write_site(tmp_path, server)
    assert fetch(config).exit_code == 0
    kept = [p for p in (tmp_path / ".digest-cache" / "fetch" / "http").glob("*.json")]
    urls = sorted(json.loads(p.read_text())["url"] for p in kept)
    assert urls == [f"{server.base}/robots.txt", f"{server.base}/rss.xml"]
