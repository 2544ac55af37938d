"""Search benchmark: Pagefind (`search: pagefind`) against Material's search index (`search:
material`), and which of the two the default, `search: auto`, picks at each size.

For each size N, in one run on the same machine, the benchmark digest of benchmarks/build.py
(N articles from ../shared/corpora) is built twice with `mkdocs build`: with `search: pagefind`
and with `search: material` (summaries cached by the first build, so the second is quicker).
Each site is served on 127.0.0.1 and opened in Debian's Chromium (Playwright, as the browser
tests); a reader opens the home page, presses "/" and types a word that occurs in one article
only, past 60% of its text. Recorded:

- indexing: the seconds the plugin's Pagefind step took (from its log line), and the bundle's
  size on disk and its number of shards;
- the daily update: the same digest's records indexed without its 100 newest articles into a
  fresh folder, then all of them into the same folder (write_pagefind, as the plugin calls it):
  the seconds of that second run, and how many shards and articles it indexed again;
- Material's search_index.json in each build (under Pagefind it holds the navigation's pages
  only; under `search: material` every page's text);
- in the browser: the time from navigation to the article in the results (the median of three
  visits, each in a fresh browser context), and the bytes the
  visit downloaded (every response body, page and theme included), and how much of that was
  search (Pagefind's files, or search_index.json and the summaries file). At sizes past the
  corpus, whose texts then repeat, the word is a made-up one planted in one article, past 70%
  of its text.

The table goes to stdout and, between markers, into docs/performance.md.

    python benchmarks/search.py --sizes 1000,10000
    python benchmarks/search.py --sizes 100 --no-write   # a quick check
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build as bench  # noqa: E402  (benchmarks/build.py: the same corpus and site)

DOC = bench.DOC
BEGIN = "<!-- search-benchmark:begin -->"
END = "<!-- search-benchmark:end -->"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_WORD = re.compile(r"[A-Za-z]{7,}")


@dataclass(frozen=True)
class Visit:
    seconds: float  # navigation to the article in the results
    total_bytes: int  # every response body of the visit
    search_bytes: int  # of which the search's own files


@dataclass(frozen=True)
class Result:
    n: int
    word: str
    index_seconds: float
    bundle_bytes: int
    nav_index_bytes: int  # search_index.json beside Pagefind (navigation pages only)
    full_index_bytes: int  # search_index.json with `search: material`
    summaries_bytes: int
    pagefind: Visit
    material: Visit
    shards: int
    update_seconds: float
    update: str  # shards and articles indexed again and reused
    auto: str  # the engine the default, `search: auto`, picks for this digest


def deep_unique_word(content: Path) -> tuple[str, str]:
    """(word, article slug): a word in one article only, past 60% of its text."""
    texts = {}
    for path in sorted(content.glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
        texts[path.stem] = body
    frequency: Counter[str] = Counter()
    for body in texts.values():
        frequency.update({w.casefold() for w in _WORD.findall(body)})
    # Prefix counts too: Pagefind matches a word's start and stems, so "Gibraltar" must not be
    # the start of another article's word either.
    for slug, body in texts.items():
        words = list(_WORD.finditer(body))
        for match in words[int(len(words) * 0.6) :]:
            word = match.group().casefold()
            if frequency[word] == 1 and not any(
                other != word and other.startswith(word[:6]) for other in frequency
            ):
                return match.group(), slug
    return plant_word(content)


# Beyond the corpus' 1,550 articles the texts repeat (with new titles), so no word of theirs is
# in one article only: one article then gets this made-up word, past 70% of its text.
PLANTED = "Quillonbrae"


def plant_word(content: Path) -> tuple[str, str]:
    paths = sorted(content.glob("*.md"))
    path = paths[len(paths) // 2]
    _, meta, body = path.read_text(encoding="utf-8").split("---\n", 2)
    paragraphs = body.strip().split("\n\n")
    total = sum(len(p.split()) for p in paragraphs)
    seen = 0
    for index, paragraph in enumerate(paragraphs):
        seen += len(paragraph.split())
        if seen >= 0.7 * total:
            paragraphs[index] = f"{paragraph} {PLANTED} was there."
            break
    path.write_text(f"---\n{meta}---\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return PLANTED, path.stem


def build(root: Path, search: str) -> str:
    config = yaml.safe_load((root / "mkdocs.yml").read_text("utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "digest" in plugin:
            plugin["digest"]["search"] = search
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    shutil.rmtree(root / "site", ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(root / "mkdocs.yml")],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"build failed in {root}")
    return result.stderr


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def visit(browser: Any, site: Path, word: str, slug: str) -> Visit:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    try:
        start = time.perf_counter()
        page.goto(base)
        page.keyboard.press("/")
        page.keyboard.type(word)
        page.locator(f".md-search-result__item a[href*='articles/{slug}/']").first.wait_for(
            timeout=120_000
        )
        seconds = time.perf_counter() - start
        page.wait_for_load_state("networkidle")
        sizes = {}
        for response in responses:
            try:
                sizes[response.url] = len(response.body())
            except Exception:  # a redirect or an aborted request has no body
                sizes.setdefault(response.url, 0)
        search = sum(
            size
            for url, size in sizes.items()
            if "/pagefind/" in url or "search_index.json" in url or "summaries.json" in url
        )
        return Visit(seconds, sum(sizes.values()), search)
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def visits_median(browser: Any, site: Path, word: str, slug: str, count: int) -> Visit:
    """`count` visits (each a new browser context: nothing cached), the median time; the
    machine is shared, so one visit's time is noisy. Bytes are the first visit's."""
    runs = [visit(browser, site, word, slug) for _ in range(count)]
    return Visit(
        statistics.median(r.seconds for r in runs), runs[0].total_bytes, runs[0].search_bytes
    )


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(
    n: int, stories: list[bench.Story], workdir: Path, browser: Any, visits: int = 3
) -> Result:
    root = workdir / f"search-{n}"
    bench.write_ours(root, n, stories)
    word, slug = deep_unique_word(root / "content")
    auto = default_engine(root)
    log = build(root, "pagefind")
    found = re.search(r"indexed by Pagefind in ([0-9.]+) s", log)
    if found is None:
        sys.stderr.write(log)
        raise SystemExit("the build did not index with Pagefind")
    site = root / "site"
    bundle, nav_index = size(site / "pagefind"), size(site / "search" / "search_index.json")
    summaries = size(site / "assets" / "newsdigest-summaries.json")
    with_pagefind = visits_median(browser, site, word, slug, visits)
    shards, update_seconds, update = daily_update(root)
    build(root, "material")
    full_index = size(site / "search" / "search_index.json")
    with_material = visits_median(browser, site, word, slug, visits)
    return Result(
        n,
        word,
        float(found.group(1)),
        bundle,
        nav_index,
        full_index,
        summaries,
        with_pagefind,
        with_material,
        shards,
        update_seconds,
        update,
        auto,
    )


def default_engine(root: Path) -> str:
    """What `search: auto` (the default) picks for the project's content folder."""
    from digest.project import load_project
    from digest.site.search import resolved_search

    return resolved_search(load_project(root / "mkdocs.yml")).search


def daily_update(root: Path, new: int = 100) -> tuple[int, float, str]:
    """(shards, seconds, what was indexed) of indexing the digest after its `new` newest
    articles were added to a bundle written without them, into the same folder."""
    from digest.pipeline import build_digest, cached_analysis
    from digest.project import load_project
    from digest.site.output import page_url
    from digest.site.paths import article_page_path
    from digest.site.search import digest_records, shard_cache, write_pagefind

    config = load_project(root / "mkdocs.yml")
    digest = build_digest(config, cached_analysis(config))
    records = digest_records(digest, config, lambda e: page_url(article_page_path(e.article.slug)))
    by_date = sorted(records, key=lambda r: datetime.fromisoformat(r.sort["date"]))
    folder = Path(tempfile.mkdtemp(prefix="update-", dir=root))
    try:
        # As the plugin calls it: shards reused when the cache's HMAC vouches for them.
        cache = shard_cache(folder / ".cache")
        write_pagefind(by_date[: max(0, len(by_date) - new)], folder, config.language, cache=cache)
        started = time.perf_counter()
        bundle = write_pagefind(records, folder, config.language, cache=cache)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return bundle.shards, seconds, bundle.describe()


def mb(count: int) -> str:
    return f"{count / 1e6:.2f} MB"


def table(results: list[Result]) -> str:
    lines = [
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d}: {bench.machine()}.",
        "",
        "| N | default (`auto`) uses | Pagefind indexing | update: 100 newer articles "
        "| bundle on disk (shards) "
        "| Pagefind: visit downloads (search part) "
        "| Pagefind: article shown after | Material index (`search: material`) "
        "| Material: visit downloads (search part) | Material: article shown after "
        "| Material index beside Pagefind |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.n:,} | {'Pagefind' if r.auto == 'pagefind' else 'Material'} "
            f"| {r.index_seconds:.1f} s | {r.update_seconds:.1f} s "
            f"| {mb(r.bundle_bytes)} ({r.shards}) "
            f"| {mb(r.pagefind.total_bytes)} ({mb(r.pagefind.search_bytes)}) "
            f"| {r.pagefind.seconds:.2f} s | {mb(r.full_index_bytes)} "
            f"| {mb(r.material.total_bytes)} ({mb(r.material.search_bytes)}) "
            f"| {r.material.seconds:.2f} s | {mb(r.nav_index_bytes)} |"
        )
    lines.append("")
    lines.append(
        "The update's shards: " + "; ".join(f"N={r.n:,}: {r.update}" for r in results) + "."
    )
    lines.append("")
    lines.append(
        "Words typed (one article each, past 60% of its text): "
        + ", ".join(f"N={r.n:,}: {r.word!r}" for r in results)
        + "."
    )
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in doc:
        doc = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs page")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    parser.add_argument("--visits", type=int, default=3, help="visits per site (median time)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    stories = bench.load_corpus()
    workdir = Path(tempfile.mkdtemp(prefix="digest-search-bench-"))
    results = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for n in (int(s) for s in args.sizes.split(",")):
                results.append(measure(n, stories, workdir, browser, args.visits))
                print(table(results[-1:]).split("\n", 2)[2], flush=True)
            browser.close()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = table(results)
    print(text)
    if not args.no_write:
        write_doc(text)


if __name__ == "__main__":
    main()
