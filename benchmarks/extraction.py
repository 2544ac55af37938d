"""Article text extraction: digest's (trafilatura checked against the page's JSON-LD, the
headline and "Read more"-style lines dropped) against trafilatura on its own.

    python benchmarks/extraction.py [--pages DIR] [--json]

Scores 4-word shingle F1 of each page's extracted body against a hand-checked body. Without
--pages it uses the fixture pages of tests/fixtures/fetch/ (stories.yml holds their bodies);
with --pages, DIR holds NAME.html and NAME.txt (the checked body, paragraphs on their own
lines) pairs, e.g. pages saved from your own sources.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import yaml

from digest.sources.extract import extract, trafilatura_paragraphs

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "fetch"


def shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def f1(found: str, expected: str) -> float:
    a, b = shingles(found), shingles(expected)
    common = len(a & b)
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def pairs(folder: Path | None) -> list[tuple[str, str, str]]:
    """(name, html, expected body) for each page."""
    if folder is None:
        stories = yaml.safe_load((FIXTURES / "stories.yml").read_text(encoding="utf-8"))
        return [
            (
                slug,
                (FIXTURES / "site" / f"{slug}.html").read_text(encoding="utf-8"),
                "\n".join(story["body"]),
            )
            for slug, story in stories.items()
        ]
    return [
        (
            page.stem,
            page.read_text(encoding="utf-8", errors="replace"),
            page.with_suffix(".txt").read_text(encoding="utf-8"),
        )
        for page in sorted(folder.glob("*.html"))
        if page.with_suffix(".txt").exists()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for name, html, expected in pairs(args.pages):
        url = f"http://127.0.0.1/{name}.html"
        ours = "\n".join(extract(html, url).paragraphs)
        alone = "\n".join(trafilatura_paragraphs(html, url)[0])
        rows.append(
            {"page": name, "digest": f1(ours, expected), "trafilatura": f1(alone, expected)}
        )
    mean = {
        key: round(sum(r[key] for r in rows) / max(1, len(rows)), 3)
        for key in ("digest", "trafilatura")
    }
    if args.json:
        print(json.dumps({"pages": len(rows), "mean_f1": mean, "rows": rows}, indent=2))
        return
    print(f"{'page':<24} {'digest':>7} {'trafilatura':>12}")
    for row in rows:
        print(f"{row['page']:<24} {row['digest']:>7.3f} {row['trafilatura']:>12.3f}")
    label = f"mean of {len(rows)} pages"
    print(f"{label:<24} {mean['digest']:>7.3f} {mean['trafilatura']:>12.3f}")


if __name__ == "__main__":
    main()
