"""Where each generated page lives in the docs folder: one place for the pages, the feeds and the
engines that link to them."""

from __future__ import annotations

import posixpath


# Listings are numbered from the oldest stories (page-1 holds the first ones), and the first URL
# (index.md) shows the newest: a day's new stories change the first URL and add a page, while
# every numbered page keeps its stories for good.
def topic_page_path(slug: str, page: int | None = None) -> str:
    return f"topics/{slug}/index.md" if page is None else f"topics/{slug}/page-{page}.md"


def article_page_path(slug: str) -> str:
    return f"articles/{slug}.md"


def story_page_path(story_id: str) -> str:
    return f"stories/{story_id}.md"


def month_page_path(year: int, month: int) -> str:
    return f"archive/{year:04d}-{month:02d}.md"


OTHER_PAGE = "other/index.md"


def other_page_path(page: int | None = None) -> str:
    return OTHER_PAGE if page is None else f"other/page-{page}.md"


SUBSCRIBE_PAGE = "subscribe/index.md"
ARCHIVE_PAGE = "archive/index.md"
HOME_PAGE = "index.md"


def relative_path(target: str, folder: str) -> str:
    """posixpath.relpath(target, folder), without its cost for the paths pages link between
    (relative, no '.' or '..' parts): each listing links to thousands of articles."""
    target_parts = target.split("/")
    folder_parts = [] if folder == "." else folder.split("/")
    if any(part in ("", ".", "..") for part in (*target_parts, *folder_parts)):
        return posixpath.relpath(target, folder)
    common = 0
    for mine, theirs in zip(target_parts, folder_parts, strict=False):
        if mine != theirs:
            break
        common += 1
    parts = [".."] * (len(folder_parts) - common) + target_parts[common:]
    return "/".join(parts) or "."
