"""Read a site's Pagefind bundle as the browser does: each record's fragment is gzip'd JSON.

Pagefind's word index is binary and only its own script searches it (the browser tests do);
the fragments hold what a record shows (URL, content, meta), which the tests here check.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

_SIGNATURE = b"pagefind_dcd"


def records(site: Path) -> dict[str, dict[str, Any]]:
    """{record URL: {"url", "content", "meta", ...}} for every fragment of site/pagefind: the
    bundle's own index and its shards' (pagefind/shard-*/)."""
    found = {}
    for path in sorted((site / "pagefind").glob("**/fragment/*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(_SIGNATURE), path
        record = json.loads(data[len(_SIGNATURE) :])
        found[record["url"]] = record
    return found


def material_pages(site: Path) -> set[str]:
    """The pages Material's own search index holds (without the #section part)."""
    return {doc["location"].split("#")[0] for doc in _material_docs(site)}


def material_text(site: Path) -> str:
    """The text Material's own search index holds, every page's."""
    return " ".join(doc["title"] + " " + doc["text"] for doc in _material_docs(site))


def _material_docs(site: Path) -> list[dict[str, Any]]:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    return list(index["docs"])
