"""Linear growth: listing pages hold at most page_size stories, however large the digest."""

from __future__ import annotations

import os
import random
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from digest.analysis import parallel
from digest.config import DigestConfig, topics_from_list
from digest.model import Digest, TopicSuggestion
from digest.pipeline import analyze_serially, build_digest
from digest.site import render
from digest.site.render import PageRenderer
from tests.conftest import run_apart

TOPICS = topics_from_list([{"name": "Harbour", "keywords": ["harbour", "dockers"]}])
HEADLINE = re.compile(r"^### ", re.MULTILINE)
STORY = re.compile(r"articles/[\w-]+\.md")


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
        # Every story is on a page; the first URL shows the newest, numbered pages full runs.
        shown = set(re.findall(r"articles/([\w-]+)\.md", "".join(listing.values())))
        assert shown == {e.article.slug for e in stories}
        assert len(listing) == len(stories) // config.page_size + 1
    assert len(digest.other) > config.page_size and len(harbour) > config.page_size


def test_numbered_listing_pages_keep_their_stories_when_new_ones_arrive(tmp_path: Path) -> None:
    digest, config = digest_of(tmp_path / "content", 60)
    before = {p.path: p.markdown for p in PageRenderer(config).render(digest)}
    # A day's news: stories newer than all others, each about an event of its own.
    rng = random.Random(7)
    for number in range(60, 75):
        names = " ".join(_name(rng) for _ in range(8))
        (tmp_path / "content" / f"story-{number:03d}.md").write_text(
            f"---\ntitle: Late story {number}\ndate: 2019-06-{number - 59:02d}\n---\n\n"
            f"The choir sang again on day {number}, witnesses said in the town square.\n\n"
            f"Late story {number} named {names}.\n",
            encoding="utf-8",
        )
    digest, config = digest_of_existing(tmp_path / "content", config)
    after = {p.path: p.markdown for p in PageRenderer(config).render(digest)}
    numbered = [path for path in before if "/page-" in path]
    assert "other/page-1.md" in numbered
    for path in numbered:
        # Every numbered page keeps its stories; all but the newest stay byte for byte the same
        # (the newest one's "Newer" link now leads to the page after it).
        assert STORY.findall(after[path]) == STORY.findall(before[path]), path
        folder = path.rsplit("/", 1)[0]
        pages_in_folder = sum(p.startswith(f"{folder}/page-") for p in numbered)
        if path != f"{folder}/page-{pages_in_folder}.md":
            assert after[path] == before[path], path
    assert "Late story 74" in after["other/index.md"]
    assert "Late story 74" not in after["other/page-1.md"]


def digest_of_existing(folder: Path, config: DigestConfig) -> tuple[Digest, DigestConfig]:
    return build_digest(config, analyze_serially), config


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


def _pages_rendered_apart_are_the_ones_rendered_here() -> None:
    with tempfile.TemporaryDirectory() as folder:
        digest, config = digest_of(Path(folder) / "content", 120)
        config = replace(config, workers=2)
        here = PageRenderer(config).render(digest)
        parallel.MAP_SERIAL_BELOW = 8  # a first build's thousands, in a small digest
        rendered_at = render._render_at

        def marked(renderer: PageRenderer, pages: list, index: int) -> render.Page:
            # Which process rendered the page, in the one field the check does not compare.
            return replace(rendered_at(renderer, pages, index), title=f"pid {os.getpid()}")

        render._render_at = marked  # type: ignore[assignment]
        apart = PageRenderer(config).render(digest)
    assert [(p.path, p.markdown) for p in apart] == [(p.path, p.markdown) for p in here]
    by = {p.title for p in apart if p.title.startswith("pid ")}
    assert by and f"pid {os.getpid()}" not in by  # rendered in the workers, not here
    assert len(here) >= 100


@pytest.mark.skipif(parallel.worker_count() < 2, reason="one core: no workers start")
def test_many_pages_are_rendered_over_the_cores_as_they_are_here() -> None:
    done = run_apart("test_scaling", "_pages_rendered_apart_are_the_ones_rendered_here")
    assert done.returncode == 0, done.stderr
