"""Linear growth: listing pages hold at most page_size stories, however large the digest."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from digest.config import DigestConfig, topics_from_list
from digest.model import Digest, TopicSuggestion
from digest.pipeline import analyze_serially, build_digest
from digest.site.render import PageRenderer

TOPICS = topics_from_list([{"name": "Harbour", "keywords": ["harbour", "dockers"]}])
HEADLINE = re.compile(r"^### ", re.MULTILINE)


def digest_of(folder: Path, count: int, page_size: int = 10) -> tuple[Digest, DigestConfig]:
    folder.mkdir()
    rng = random.Random(count)
    for number in range(count):
        about = "The harbour dockers stayed out on strike" if number % 3 == 0 else "The choir sang"
        # Names of its own make each article a different event: texts alike but for a number
        # would rightly be grouped into one story, and listed once.
        names = " ".join(_name(rng) for _ in range(8))
        (folder / f"story-{number:03d}.md").write_text(
            f"---\ntitle: Story number {number}\ndate: 2019-05-{1 + number % 28:02d}\n---\n\n"
            f"{about} on day {number} of the week, witnesses said in the town.\n\n"
            f"Story {number} went on for a second paragraph about {names}.\n",
            encoding="utf-8",
        )
    config = DigestConfig(
        content_dir=folder,
        topics=TOPICS,
        cache_dir=None,
        page_size=page_size,
        topic_suggestions=0,
    )
    return build_digest(config, analyze_serially), config


def _name(rng: random.Random) -> str:
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))


@pytest.mark.parametrize("count", [40, 120])
def test_listing_pages_hold_at_most_page_size_stories(tmp_path: Path, count: int) -> None:
    digest, config = digest_of(tmp_path / "content", count)
    pages = {p.path: p.markdown for p in PageRenderer(config).render(digest)}
    harbour = digest.topics[0].entries
    for prefix, stories in (("other/", digest.other), ("topics/harbour/", harbour)):
        listing = {path: text for path, text in pages.items() if path.startswith(prefix)}
        counts = [len(HEADLINE.findall(text)) for text in listing.values()]
        assert max(counts) <= config.page_size
        assert sum(counts) == len(stories)
        assert len(listing) == -(-len(stories) // config.page_size)
    assert len(digest.other) > config.page_size and len(harbour) > config.page_size


def test_suggestions_show_once_with_every_story_they_gather(tmp_path: Path) -> None:
    digest, config = digest_of(tmp_path / "content", 60)
    gathered = tuple(e.article.slug for e in digest.other)
    suggestion = TopicSuggestion("Choir", "choir", ("choir",), gathered, len(gathered))
    pages = PageRenderer(config).render(replace(digest, suggestions=(suggestion,)))
    other = [p for p in pages if p.path.startswith("other/")]
    assert len(other) > 1
    first = next(p for p in other if p.path == "other/index.md")
    assert "Suggested topics" in first.markdown
    assert all("Suggested topics" not in p.markdown for p in other if p is not first)
    # The suggestion lists every story it would gather, not only those on the first page.
    for slug in gathered:
        assert f"articles/{slug}.md" in first.markdown.split("Suggested topics", 1)[1]
