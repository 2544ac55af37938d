"""Article text extraction: digest's against trafilatura's default `extract()` on its own, in
the same run, with the same metric.

    python benchmarks/extraction.py [--half even|odd|all] [--limit N] [--show-losses N] [--json]

Two page sets:

1. Real pages nobody here wrote: `../shared/corpora/extraction-pages/` (trafilatura's own
   evaluation set, 990 pages with strings that must and must not be in the main text). Scored
   as trafilatura scores it: whitespace collapsed, containment; a `with` string found is a true
   positive, a `without` string found a false positive; precision, recall and F1 over all
   strings. Rows are numbered from 0 in `expectations.jsonl`: the even rows are the tuning
   half, the odd rows are held out (report them once, `--half odd`). Skipped when absent.
2. Our fixture pages (tests/fixtures/fetch/ and tests/fixtures/extraction/), scored by 4-word
   shingle F1 against their bodies. They are shaped like real defects by the hands that wrote
   the fixes: a score of 1.000 shows a defect is fixed, not that the extractor is good.

"digest" is `extract()`'s text (what `digest fetch` writes for a page it accepts); "as written"
also counts a page `digest fetch` refuses (paywall stub, markup, near-empty) as empty text.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import trafilatura
import yaml

from digest.sources.extract import ALL_CORRECTIONS, CORRECTIONS, extract, problem

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "fetch"
DEFECT_FIXTURES = ROOT / "tests" / "fixtures" / "extraction"
CORPUS = ROOT.parent / "shared" / "corpora" / "extraction-pages"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/extraction-pages")


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


def trafilatura_alone(html: bytes | str) -> str:
    """trafilatura 2.x's default extraction, with the settings of its own evaluation."""
    return (
        trafilatura.extract(
            html, include_comments=False, include_tables=True, include_formatting=False
        )
        or ""
    )


def ours(
    html: bytes | str, url: str, corrections: frozenset[str] = CORRECTIONS
) -> tuple[str, str | None, tuple[str, ...]]:
    """digest's text, why `digest fetch` would refuse the page (or None), and its notes."""
    extracted = extract(html, url, corrections)
    return "\n".join(extracted.paragraphs), problem(extracted), extracted.notes


# -- the real page set ------------------------------------------------------------------------


def _flat(text: str) -> str:
    """Whitespace collapsed (trafilatura's scoring), and Unicode NFC for every text alike:
    digest writes NFC, and an "é" must not count as missing for being spelt e + accent."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class Tally:
    """True/false positives and negatives of with/without strings, trafilatura's way."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, text: str, row: dict[str, Any]) -> tuple[int, int]:
        flat = _flat(text)
        found = sum(_flat(s) in flat for s in row["with"])
        leaked = sum(_flat(s) in flat for s in row["without"])
        self.counts["tp"] += found
        self.counts["fn"] += len(row["with"]) - found
        self.counts["fp"] += leaked
        self.counts["tn"] += len(row["without"]) - leaked
        return found, leaked

    def scores(self) -> dict[str, float]:
        tp, fn, fp, tn = (self.counts[k] for k in ("tp", "fn", "fp", "tn"))
        precision = tp / max(1, tp + fp)
        recall = tp / max(1, tp + fn)
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "accuracy": round((tp + tn) / max(1, tp + tn + fp + fn), 4),
            "f1": round(2 * precision * recall / max(1e-9, precision + recall), 4),
        }


def corpus_rows(half: str, limit: int | None) -> list[dict[str, Any]]:
    lines = (CORPUS / "expectations.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    picked = [
        row
        for number, row in enumerate(rows)
        if half == "all" or (number % 2 == 0) == (half == "even")
    ]
    return picked[:limit] if limit else picked


def score_corpus(
    half: str, limit: int | None, verbose: bool, ablate: bool = False
) -> dict[str, Any]:
    names = ["trafilatura", "digest", "as written"]
    if ablate:
        names += [f"without {name}" for name in sorted(CORRECTIONS)]
        names += [f"with {name}" for name in sorted(ALL_CORRECTIONS - CORRECTIONS)]
    tallies = {name: Tally() for name in names}
    refused: Counter[str] = Counter()
    diffs: list[tuple[int, str, str]] = []
    rows = corpus_rows(half, limit)
    for row in rows:
        html = gzip.decompress((CORPUS / row["file"]).read_bytes())
        url = row["url"] or f"https://example.org/{row['file']}"
        base = trafilatura_alone(html)
        text, reason, notes = ours(html, url)
        b = tallies["trafilatura"].add(base, row)
        o = tallies["digest"].add(text, row)
        tallies["as written"].add("" if reason else text, row)
        for name in sorted(CORRECTIONS) if ablate else ():
            tallies[f"without {name}"].add(ours(html, url, CORRECTIONS - {name})[0], row)
        for name in sorted(ALL_CORRECTIONS - CORRECTIONS) if ablate else ():
            tallies[f"with {name}"].add(ours(html, url, CORRECTIONS | {name})[0], row)
        if reason:
            refused[re.sub(r"\d+", "N", reason.split(":")[0])] += 1
        # Gain in true positives minus new false positives: where digest and trafilatura part.
        gain = (o[0] - b[0]) - (o[1] - b[1])
        if gain and verbose:
            diffs.append((gain, row["file"], "; ".join(notes)))
    if verbose:
        for gain, name, notes in sorted(diffs):
            print(f"  {gain:+d} {name}: {notes}", file=sys.stderr)
    return {
        "half": half,
        "pages": len(rows),
        "scores": {name: tally.scores() for name, tally in tallies.items()},
        "refused": dict(refused),
    }


# -- our fixtures -----------------------------------------------------------------------------


def fixture_pairs() -> list[tuple[str, str, str]]:
    """(name, html, expected body) for each fixture page."""
    stories = yaml.safe_load((FIXTURES / "stories.yml").read_text(encoding="utf-8"))
    found = [
        (
            slug,
            (FIXTURES / "site" / f"{slug}.html").read_text(encoding="utf-8"),
            "\n".join(story["body"]),
        )
        for slug, story in stories.items()
    ]
    for page in sorted(DEFECT_FIXTURES.glob("*.html")):
        expected = page.with_suffix(".txt")
        if expected.exists():
            found.append(
                (
                    page.stem,
                    page.read_text(encoding="utf-8"),
                    expected.read_text(encoding="utf-8"),
                )
            )
    return found


def score_fixtures() -> dict[str, Any]:
    rows = []
    for name, html, expected in fixture_pairs():
        url = f"http://127.0.0.1/{name}.html"
        text, reason, _ = ours(html, url)
        rows.append(
            {
                "page": name,
                "digest": round(f1(text, expected), 3),
                "trafilatura": round(f1(trafilatura_alone(html), expected), 3),
                "refused": reason,
            }
        )
    mean = {
        key: round(sum(r[key] for r in rows) / max(1, len(rows)), 3)
        for key in ("digest", "trafilatura")
    }
    return {"pages": len(rows), "mean_f1": mean, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=("even", "odd", "all"), default="even")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N rows.")
    parser.add_argument("--verbose", action="store_true", help="Pages where the two differ.")
    parser.add_argument(
        "--ablate", action="store_true", help="Also score digest without each correction."
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"fixtures": score_fixtures()}
    if (CORPUS / "expectations.jsonl").is_file():
        result["corpus"] = score_corpus(args.half, args.limit, args.verbose, args.ablate)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    fixtures = result["fixtures"]
    print(f"Our fixture pages (4-word shingle F1; ours by construction), {fixtures['pages']}:")
    print(f"  {'page':<28} {'digest':>7} {'trafilatura':>12}")
    for row in fixtures["rows"]:
        note = f"  refused: {row['refused']}" if row["refused"] else ""
        print(f"  {row['page']:<28} {row['digest']:>7.3f} {row['trafilatura']:>12.3f}{note}")
    mean = fixtures["mean_f1"]
    print(f"  {'mean':<28} {mean['digest']:>7.3f} {mean['trafilatura']:>12.3f}")
    corpus = result.get("corpus")
    if corpus is None:
        print(f"{CORPUS} not found: real pages not scored")
        return
    print(
        f"\nextraction-pages, {corpus['half']} rows ({corpus['pages']} pages; "
        "with/without strings, trafilatura's metric):"
    )
    print(f"  {'':<22} {'precision':>9} {'recall':>7} {'accuracy':>8} {'F1':>7}")
    for name, s in corpus["scores"].items():
        print(
            f"  {name:<12} {s['precision']:>9.4f} {s['recall']:>7.4f} "
            f"{s['accuracy']:>8.4f} {s['f1']:>7.4f}"
        )
    if corpus["refused"]:
        print(f"  refused by digest fetch: {corpus['refused']}")


if __name__ == "__main__":
    main()
