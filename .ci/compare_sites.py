"""Compare sites of the same project built by different engines (MkDocs, ProperDocs, Zensical).

    python3 .ci/compare_sites.py REFERENCE OTHER [OTHER ...]

Each OTHER must have the same HTML pages as REFERENCE, the same feeds, OPML list, reader
assets and Pagefind bundle byte for byte (the digest writes them, whatever the engine), and a
search index that covers the same pages. With a Pagefind bundle (`search: pagefind`), the
articles, stories and archive months are searched through it: the MkDocs plugin keeps them out
of Material's index, while Zensical's index (which the digest does not filter) still holds them,
so only the other pages are compared there. Exit 1 listing every difference, 0 when there is none.

The theme's own files (Material's and Zensical's scripts, styles, fonts) and the search index's
file name and format differ between engines on purpose, so they are not compared.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Written by the digest itself: the same bytes from every engine.
DIGEST_FILES = ("assets/newsdigest.css", "assets/newsdigest.js", "assets/newsdigest-summaries.json")
# Where each engine puts its search index, and the key of its list of entries.
SEARCH_INDEXES = (("search/search_index.json", "docs"), ("search.json", "items"))
# Pages only Pagefind searches under `search: pagefind` (digest.site.search.pagefind_only, by URL).
PAGEFIND_ONLY = re.compile(r"^(articles|stories)/|^archive/[0-9]|/page-")


def html_pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")}


def digest_files(site: Path) -> dict[str, bytes]:
    """Feeds, OPML, their empty sitemaps and the reader's assets, by path."""
    found = {
        p.relative_to(site).as_posix(): p.read_bytes()
        for folder in ("feeds", "pagefind")
        for p in site.glob(f"{folder}/**/*")
        if p.is_file()
    }
    for path in DIGEST_FILES:
        if (site / path).is_file():
            found[path] = (site / path).read_bytes()
    return found


def search_pages(site: Path) -> set[str] | None:
    """The page URLs the site's search index holds, or None without an index."""
    for path, key in SEARCH_INDEXES:
        index = site / path
        if index.is_file():
            entries = json.loads(index.read_text(encoding="utf-8"))[key]
            pages = {entry["location"].split("#")[0] for entry in entries}
            if (site / "pagefind" / "pagefind.js").is_file():
                pages = {page for page in pages if not PAGEFIND_ONLY.search(page)}
            return pages
    return None


def compare(reference: Path, other: Path) -> list[str]:
    """Every way other differs from reference, one line each."""
    problems: list[str] = []
    want, have = html_pages(reference), html_pages(other)
    problems += [f"{other}: missing page {p}" for p in sorted(want - have)]
    problems += [f"{other}: extra page {p}" for p in sorted(have - want)]
    want_files, have_files = digest_files(reference), digest_files(other)
    if not any(p.startswith("feeds/") for p in want_files):
        problems.append(f"{reference}: no feeds to compare")
    for path in sorted(want_files.keys() | have_files.keys()):
        if path not in have_files:
            problems.append(f"{other}: missing {path}")
        elif path not in want_files:
            problems.append(f"{other}: extra {path}")
        elif want_files[path] != have_files[path]:
            problems.append(f"{other}: {path} differs from {reference}'s")
    want_search, have_search = search_pages(reference), search_pages(other)
    if have_search is None:
        problems.append(f"{other}: no search index")
    elif want_search is not None and want_search != have_search:
        missing = sorted(want_search - have_search)
        extra = sorted(have_search - want_search)
        problems.append(f"{other}: search index pages differ (missing {missing}, extra {extra})")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    reference, *others = (Path(arg) for arg in argv)
    problems: list[str] = []
    for other in others:
        found = compare(reference, other)
        problems += found
        pages, files = len(html_pages(other)), len(digest_files(other))
        verdict = "same" if not found else f"{len(found)} difference(s)"
        print(f"{other}: {pages} pages, {files} feed and asset files: {verdict} as {reference}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
