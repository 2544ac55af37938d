"""Stories in the built site: story pages, listings that show a story once, stable feed ids."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import yaml

from digest.analysis.story_summary import _content_stems as content_stems
from digest.analysis.story_summary import near_duplicates
from tests.conftest import mkdocs_build
from tests.test_stories import _articles

SITE_URL = "https://news.example.org/digest/"


class _Story(HTMLParser):
    """The story page as a reader sees it: summary paragraphs with their credits, links."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self.credits: list[list[str]] = []
        self.links: list[str] = []
        self.h1 = ""
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._in.append(tag)
        if tag == "p":
            self.paragraphs.append("")
            self.credits.append([])
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)
            if "p" in self._in:
                self.credits[-1].append(href)

    def handle_endtag(self, tag: str) -> None:
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if "h1" in self._in:
            self.h1 += data
        if "p" in self._in and "small" not in self._in:
            self.paragraphs[-1] += data


def _site(root: Path, extra: list[tuple[str, str, str, str]] = ()) -> Path:
    """A site of the test events (three outlets each), one topic, feeds on."""
    content = root / "content"
    content.mkdir(parents=True)
    articles, _ = _articles()
    rows = [
        (a.slug, a.title, a.date.isoformat(), a.source or "", "\n\n".join(a.paragraphs))
        for a in articles
    ]
    rows += [(slug, title, date, "Wire", body) for slug, title, date, body in extra]
    for slug, title, date, source, body in rows:
        front = {"title": title, "date": date, "source": source, "url": f"https://ex.org/{slug}"}
        (content / f"{slug}.md").write_text(
            f"---\n{yaml.safe_dump(front)}---\n\n{body}\n", encoding="utf-8"
        )
    (root / "docs").mkdir()
    config = {
        "site_name": "Stories",
        "site_url": SITE_URL,
        "docs_dir": "docs",
        "theme": {"name": "material", "font": False},
        "plugins": [
            "search",
            {"digest": {"topics": [{"name": "Iran", "keywords": ["Iran", "Tehran", "Iranian"]}]}},
        ],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def _read(site: Path, path: str) -> str:
    return (site / "site" / path).read_text(encoding="utf-8")


HOSTILE = "Tanker <script>alert(1)</script> seized in the Strait of Hormuz"


def test_story_pages_listings_and_feeds(tmp_path: Path) -> None:
    copy = (
        "wire-tanker",
        HOSTILE,
        "2019-07-19T20:00:00+00:00",
        # A syndicated copy of the first outlet's article: its sentences must not repeat.
        "Iran's Revolutionary Guard seized the British-flagged oil tanker Stena Impero in the "
        "Strait of Hormuz on Friday, its owners said, and took the ship to Bandar Abbas.\n\n"
        "The Swedish owner Stena Bulk said it could not contact the 23 crew members.",
    )
    site = _site(tmp_path / "site", [copy])
    built = mkdocs_build(site)
    assert built.returncode == 0, built.stderr

    page = _Story()
    page.feed(_read(site, "stories/tanker-planet/index.html"))
    assert "<script>alert" not in _read(site, "stories/tanker-planet/index.html")
    summary = [
        (text.strip(), credit) for text, credit in zip(page.paragraphs, page.credits, strict=True)
    ]
    summary = [(text, credit) for text, credit in summary if credit and text]
    # Each sentence is credited to the article it comes from, and they come from 2+ sources.
    assert len(summary) >= 3
    credited = {credit[0] for _, credit in summary}
    assert len(credited) >= 2
    assert all(c.startswith("../../articles/") for c in credited)
    stems = [content_stems(text.removeprefix("Update:")) for text, _ in summary]
    for i, one in enumerate(stems):
        assert not any(near_duplicates(one, other) for other in stems[:i]), summary
    # Every source is listed with its page and its original.
    for slug in ("tanker-planet", "tanker-bugle", "tanker-sentinel", "wire-tanker"):
        assert f"../../articles/{slug}/" in page.links
        assert f"https://ex.org/{slug}" in page.links
    assert "4 sources" in _read(site, "stories/tanker-planet/index.html")

    # The Iran topic lists each of its two Iran stories once, linked to the story page.
    topic = _read(site, "topics/iran/index.html")
    headlines = re.findall(r"<h3 id=[^>]*>.*?</h3>", topic)
    assert len(headlines) == 3, headlines  # the tanker, the oil exports, Abe's visit
    assert topic.count("../../stories/tanker-planet/") == 1
    assert "4 sources" in topic
    # The listing names the story's other sources on the topic, linked to their pages (on a
    # topic page only those about the topic: "Also on Iran in this story").
    also = re.findall(r"Also on Iran in this story: (.*?)</small>", topic, re.DOTALL)
    assert len(also) == 3, also  # each story of several sources
    (tanker,) = [a for a in also if "Stena Impero" in a]
    # The earliest of four is listed: the others on Iran by their own text are named (two;
    # the fourth is in the story but not on the topic page).
    assert tanker.count("../../articles/") == 2 and "more" not in tanker
    assert "Britain warns Tehran after Revolutionary Guard takes Stena Impero" in tanker
    # Article pages link to their story.
    article = _read(site, "articles/tanker-bugle/index.html")
    assert "../../stories/tanker-planet/" in article

    feed = json.loads(_read(site, "feeds/feed.json"))
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == 4  # one item per story: four events, thirteen articles
    assert len(set(ids)) == len(ids)

    # A later source joins the bridge story: the story's URL and its feed item stay.
    later = (
        "bridge-late",
        "Genoa mourns victims of Morandi bridge collapse",
        "2019-07-22T10:00:00+00:00",
        "Genoa held a state funeral for victims of the Morandi bridge collapse, as Toninelli "
        "pressed Autostrade per l'Italia over the viaduct's maintenance and rescuers ended the "
        "search of the rubble by the railway.",
    )
    again = _site(tmp_path / "again", [copy, later])
    assert mkdocs_build(again).returncode == 0
    story_pages = sorted(p.name for p in (again / "site" / "stories").iterdir())
    assert story_pages == sorted(p.name for p in (site / "site" / "stories").iterdir())
    assert "bridge-late" in _read(again, "stories/bridge-planet/index.html")
    feed_again = json.loads(_read(again, "feeds/feed.json"))
    assert [item["id"] for item in feed_again["items"]] == ids
