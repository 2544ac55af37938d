"""Topic pages and stories: a story's topics are its articles' own, shown once with its sources."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import mkdocs_build
from tests.test_story_site import _read, _site


def test_a_topic_page_shows_a_story_once_naming_its_other_sources_on_the_topic(
    tmp_path: Path,
) -> None:
    # A copy of the tanker story that never names Iran: it joins the story, not the topic.
    unnamed = (
        "wire-tanker",
        "Tanker seized in the Strait of Hormuz",
        "2019-07-19T20:00:00+00:00",
        "The Revolutionary Guard seized the British-flagged oil tanker Stena Impero in the "
        "Strait of Hormuz on Friday, its owners said, and took the ship to Bandar Abbas.\n\n"
        "The Swedish owner Stena Bulk said it could not contact the 23 crew members.",
    )
    site = _site(tmp_path / "site", [unnamed])
    built = mkdocs_build(site)
    assert built.returncode == 0, built.stderr
    story = _read(site, "stories/tanker-planet/index.html")
    assert "../../articles/wire-tanker/" in story  # the copy is one of the story's sources

    topic = _read(site, "topics/iran/index.html")
    assert topic.count("../../stories/tanker-planet/") == 1
    (entry,) = [part for part in topic.split("<h3") if "../../stories/tanker-planet/" in part]
    (also,) = re.findall(r"Also on Iran in this story:(.*?)</small>", entry, re.DOTALL)
    named = set(re.findall(r"\.\./\.\./articles/([^/]+)/", also))
    # The story's other sources on Iran are named; the copy that never names Iran is not, and
    # no page lists it for a topic it has only through its story.
    assert named and named <= {"tanker-planet", "tanker-bugle", "tanker-sentinel"}
    assert "wire-tanker" not in topic
    headlines = re.findall(r"<h3 id=[^>]*>.*?</h3>", topic)
    assert len(headlines) == 3, headlines
