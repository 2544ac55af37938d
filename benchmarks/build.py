"""Build-time benchmark: newsdigest against Material's blog plugin + mkdocs-rss-plugin.

In one run, on the same machine, for each size N:

- ours, cold: `mkdocs build` of a digest site of N articles, no summary cache, no site;
- ours, warm: the same build again, nothing changed (summaries come from the cache);
- ours, one changed: one article's text edited, then built again;
- the floor: plain `mkdocs build` (same theme, extensions and search, no digest plugin) of the
  very Markdown pages the digest generates (`digest render`), with the same small nav: what
  MkDocs itself costs to turn our pages into a site. Our warm builds go below it by handing
  MkDocs converted pages from the page cache; what is left is the theme, search and writing;
- the peer: `mkdocs build` of a Material for MkDocs blog of the same N articles as posts with
  categories, pre-summarized (the corpus' reference summary as each post's excerpt and
  description), with mkdocs-rss-plugin writing its feeds.

Articles come from ../shared/corpora (BBC News + news-decks), reused beyond their count with
distinct titles and dates. Every build is a separate `mkdocs build` process; its wall time and
peak memory (largest process, from wait4; and the sum over the build's processes, sampled) are
recorded. The table goes to stdout and, between markers, into docs/performance.md.

With --daily-update it measures the daily update instead: a cold and a warm build of N
articles, then a day of articles newer than all others (100; 300 at 100,000 and more) added
and `mkdocs build` again into the same site folder (time, pages converted, HTML pages written,
peak memory), and the same content built into an
empty folder, whose files must be byte-identical to the update's.

    python benchmarks/build.py --sizes 1000,10000     # the full run (many minutes)
    python benchmarks/build.py --sizes 1000,10000 --daily-update
    python benchmarks/build.py --sizes 100 --no-write  # a quick check
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
DOC = REPO / "docs" / "performance.md"
BEGIN = "<!-- benchmark:begin -->"
END = "<!-- benchmark:end -->"


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: tuple[str, ...]
    summary: str
    category: str
    source: str
    url: str | None


def load_corpus() -> list[Story]:
    """Every article of both corpora, in a fixed order."""
    stories: list[Story] = []
    bbc = CORPORA / "bbc-news-summary"
    for path in sorted((bbc / "articles").glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").strip().split("\n", 1)
        if len(lines) < 2:
            continue
        paragraphs = tuple(p.strip() for p in re.split(r"\n\s*\n", lines[1]) if p.strip())
        reference_path = bbc / "summaries" / path.parent.name / path.name
        reference = reference_path.read_text(encoding="utf-8", errors="replace")
        # The references run sentences together ("...bn.For the..."): a readable excerpt.
        summary = " ".join(re.sub(r"\.(?=[A-Z\"])", ". ", reference).split()[:60])
        stories.append(
            Story(lines[0].strip(), paragraphs, summary, path.parent.name.title(), "BBC", None)
        )
    decks = CORPORA / "news-decks" / "decks-even.jsonl"
    for line in decks.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        stories.append(
            Story(
                record["title"].strip(),
                (record["text"].strip(),),
                record["reference"].strip(),
                "World",
                record["source"],
                record["url"],
            )
        )
    return stories


def archive_corpus() -> list[Story]:
    """load_corpus and the other corpora's articles (BASIL, ECB+, Multi-News, Spanish crisis
    news), for an archive of a year: at ARCHIVE_PER_DAY a day, the same text comes back about
    every nine days, after the seven days in which a story takes in new articles."""
    stories = load_corpus()
    for name, category in (
        ("basil-events/events-even.jsonl", "World"),
        ("ecbplus-even/stories-even.jsonl", "World"),
        ("es-crisis-even/crisis-es-even.jsonl", "World"),
    ):
        for line in (CORPORA / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            stories.append(_plain_story(record, category))
    clusters = CORPORA / "multi-news-sample" / "clusters.jsonl"
    for line in clusters.read_text(encoding="utf-8").splitlines():
        for document in json.loads(line)["documents"]:
            stories.append(_plain_story(document, "World"))
    return stories


def _plain_story(record: dict[str, object], category: str) -> Story:
    text = str(record.get("text") or "")
    paragraphs = tuple(p.strip() for p in re.split(r"\n+", text) if p.strip())
    title = str(record.get("title") or paragraphs[0][:80] if paragraphs else "Untitled").strip()
    summary = " ".join(text.split()[:60])
    source = str(record.get("source") or "Agency")
    return Story(title.split("\n")[0][:150], paragraphs, summary, category, source, None)


TOPICS = [
    {"name": "Business", "keywords": ["economy", "shares", "profits", "bank", "inflation"]},
    {"name": "Politics", "keywords": ["Labour", "Tory", "Tories", "minister", "parliament"]},
    {"name": "Sport", "keywords": ["match", "championship", "coach", "football", "rugby"]},
    {"name": "Technology", "keywords": ["computer", "software", "internet", "broadband"]},
    {"name": "Entertainment", "keywords": ["film", "music", "album", "actor", "festival"]},
    {"name": "World", "keywords": ["Trump", "Syria", "Russia", "refugees", "Merkel"]},
]
EXTENSIONS = ["admonition", "attr_list", "md_in_html"]
START = datetime(2016, 1, 1, 6, 0, tzinfo=timezone.utc)


# From this many articles on, the digest is an archive of a year: a few hundred articles a
# day (a smaller one gets about 3 a day, as before; at that pace 100,000 articles would run
# past 2100, which the reader refuses as an implausible date).
ARCHIVE = 50_000
ARCHIVE_PER_DAY = 300


def articles(stories: list[Story], n: int) -> list[tuple[Story, str, datetime]]:
    """N (story, title, date): the corpus reused with distinct titles, about 3 stories a day
    (ARCHIVE_PER_DAY from ARCHIVE articles on)."""
    step = timedelta(days=1) / ARCHIVE_PER_DAY if n >= ARCHIVE else timedelta(hours=8)
    picked = []
    seen: set[str] = set()
    for i in range(n):
        story = stories[i % len(stories)]
        rounds = i // len(stories)
        title = story.title if rounds == 0 else f"{story.title} (part {rounds + 1})"
        while title.casefold() in seen:  # a few corpus headlines repeat
            title += " (again)"
        seen.add(title.casefold())
        picked.append((story, title, START + step * i))
    return picked


def front_matter(meta: dict[str, object]) -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n"


def write_article(content: Path, i: int, story: Story, title: str, date: datetime) -> Path:
    meta: dict[str, object] = {"title": title, "date": date.isoformat(), "source": story.source}
    if story.url:
        meta["url"] = story.url
    path = content / f"story-{i:05d}.md"
    path.write_text(front_matter(meta) + "\n\n".join(story.paragraphs) + "\n", "utf-8")
    return path


def write_ours(root: Path, n: int, stories: list[Story]) -> list[Path]:
    content = root / "content"
    content.mkdir(parents=True)
    (root / "docs").mkdir()
    paths = [
        write_article(content, i, story, title, date)
        for i, (story, title, date) in enumerate(articles(stories, n))
    ]
    config = {
        "site_name": "Benchmark digest",
        "site_url": "https://example.org/digest/",
        "theme": {"name": "material", "font": False},
        "markdown_extensions": EXTENSIONS,
        "plugins": ["search", {"digest": {"content_dir": "content", "topics": TOPICS}}],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return paths


def write_peer(root: Path, n: int, stories: list[Story]) -> None:
    posts = root / "docs" / "blog" / "posts"
    posts.mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Benchmark blog\n", "utf-8")
    (root / "docs" / "blog" / "index.md").write_text("# Blog\n", "utf-8")
    for i, (story, title, date) in enumerate(articles(stories, n)):
        meta = {
            "date": date.replace(tzinfo=None),
            "categories": [story.category],
            "description": story.summary,
        }
        body = "\n\n".join(story.paragraphs)
        text = f"# {title}\n\n{story.summary}\n\n<!-- more -->\n\n{body}\n"
        (posts / f"story-{i:05d}.md").write_text(front_matter(meta) + text, "utf-8")
    config = {
        "site_name": "Benchmark blog",
        "site_url": "https://example.org/blog/",
        "theme": {"name": "material", "font": False},
        "markdown_extensions": EXTENSIONS,
        "plugins": [
            "search",
            {"blog": {"post_excerpt": "required", "categories": True, "archive": True}},
            {
                "rss": {
                    "match_path": "blog/posts/.*",
                    "use_git": False,
                    "date_from_meta": {"as_creation": "date", "as_update": "date"},
                    "categories": ["categories"],
                    "cache_dir": str(root / ".rss-cache"),
                }
            },
        ],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")


def write_floor(root: Path, ours: Path) -> None:
    """Our generated pages as a plain MkDocs project: the floor under our warm build."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    docs = root / "docs"
    subprocess.run(
        [sys.executable, "-m", "digest.cli", "render", "-f", str(ours / "mkdocs.yml"), str(docs)],
        cwd=ours,
        env=env,
        check=True,
        capture_output=True,
    )
    topics = sorted(p.parent.name for p in docs.glob("topics/*/index.md"))
    config = {
        "site_name": "Benchmark floor",
        "site_url": "https://example.org/digest/",
        "theme": {"name": "material", "font": False},
        "markdown_extensions": EXTENSIONS,
        "plugins": ["search"],
        "nav": [
            {"Home": "index.md"},
            {"Topics": [f"topics/{slug}/index.md" for slug in topics]},
            {"Other": "other/index.md"},
            {"Archive": "archive/index.md"},
        ],
        # Generated pages outside the nav, as the plugin marks them.
        "not_in_nav": "\n".join(
            sorted({"/" + p.relative_to(docs).parts[0] + "/" for p in docs.rglob("*.md")})
        ),
        "validation": {"nav": {"omitted_files": "ignore"}, "links": {"not_found": "ignore"}},
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mb: float  # the largest single process (wait4)
    tree_rss_mb: float  # the build's processes together (sampled every 0.1 s)
    # From the plugin's log line "N articles: S summarized, C from the cache" (ours only).
    summarized: int | None = None
    # From "H of P generated pages from the cache": pages MkDocs did not convert (ours only).
    pages_cached: tuple[int, int] | None = None


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total


def mkdocs_build(root: Path, engine: str = "mkdocs", site: Path | None = None) -> Run:
    """One build as its own process: `mkdocs build`, `properdocs build` (the same plugin run by
    the MkDocs 1.x fork) or `digest build --engine zensical`; `site`: another site folder."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    config = str(root / "mkdocs.yml")
    elsewhere = ["-d", str(site)] if site is not None else []
    # Not -q: the digest's log line says how many articles were summarized.
    command = {
        "mkdocs": [sys.executable, "-m", "mkdocs", "build", "-f", config, *elsewhere],
        "properdocs": [sys.executable, "-m", "properdocs", "build", "-f", config],
        "zensical": [sys.executable, "-m", "digest.cli", "build", "--engine", "zensical"],
    }[engine]
    if engine == "zensical":
        command += ["-f", config]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            if Path("/proc").is_dir():
                peak = max(peak, _tree_rss_kb(process.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.stderr.write(errors.decode(errors="replace"))
        raise SystemExit(f"{engine} build failed in {root} (exit {process.returncode})")
    found = re.search(rb"(\d+) articles?: (\d+) summarized", errors)
    summarized = int(found.group(2)) if found else None
    pages = re.search(rb"(\d+) of (\d+) generated pages? from the cache", errors)
    pages_cached = (int(pages.group(1)), int(pages.group(2))) if pages else None
    # ru_maxrss is in KiB on Linux (and includes reaped descendants: the summary workers).
    return Run(
        seconds,
        usage.ru_maxrss / 1024,
        max(peak, usage.ru_maxrss) / 1024,
        summarized,
        pages_cached,
    )


@dataclass(frozen=True)
class Result:
    n: int
    peer: Run | None  # None: not measured at this size (--peer-sizes)
    cold: Run
    warm: Run
    changed: Run
    floor: Run
    # Nothing changed, built into an empty site folder with the cache kept: what CI does.
    fresh: Run
    # The same site, summaries cached, built by the other engines (None: not installed).
    engines: dict[str, Run | None]


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def measure(n: int, stories: list[Story], workdir: Path, repeat: int, peer: bool) -> Result:
    peer_root = workdir / f"peer-{n}"
    ours_root = workdir / f"ours-{n}"
    floor_root = workdir / f"floor-{n}"
    write_peer(peer_root, n, stories)
    paths = write_ours(ours_root, n, stories)
    peer_runs, cold_runs, warm_runs, changed_runs, floor_runs, fresh_runs = [], [], [], [], [], []
    for attempt in range(repeat):
        if peer:
            shutil.rmtree(peer_root / "site", ignore_errors=True)
            peer_runs.append(mkdocs_build(peer_root))
            print(f"  N={n} peer build {attempt + 1}: {peer_runs[-1].seconds:.1f} s", flush=True)
        shutil.rmtree(ours_root / "site", ignore_errors=True)
        shutil.rmtree(ours_root / ".digest-cache", ignore_errors=True)
        cold_runs.append(mkdocs_build(ours_root))
        print(f"  N={n} ours cold {attempt + 1}: {cold_runs[-1].seconds:.1f} s", flush=True)
        warm_runs.append(mkdocs_build(ours_root))
        print(f"  N={n} ours warm {attempt + 1}: {warm_runs[-1].seconds:.1f} s", flush=True)
        shutil.rmtree(ours_root / "site")
        fresh_runs.append(mkdocs_build(ours_root))
        print(f"  N={n} ours warm, empty site folder {attempt + 1}: {fresh_runs[-1].seconds:.1f} s")
        changed = paths[len(paths) // 2]
        changed.write_text(
            changed.read_text("utf-8") + f"\nA correction was added to this story ({attempt}).\n",
            "utf-8",
        )
        changed_runs.append(mkdocs_build(ours_root))
        print(f"  N={n} ours one changed {attempt + 1}: {changed_runs[-1].seconds:.1f} s")
        if attempt == 0:
            write_floor(floor_root, ours_root)
        shutil.rmtree(floor_root / "site", ignore_errors=True)
        floor_runs.append(mkdocs_build(floor_root))
        print(f"  N={n} floor {attempt + 1}: {floor_runs[-1].seconds:.1f} s", flush=True)
    for run, expected, label in (
        (cold_runs, n, "cold"),
        (warm_runs, 0, "warm"),
        (fresh_runs, 0, "warm, empty site folder"),
        (changed_runs, 1, "one changed"),
    ):
        counts = {r.summarized for r in run}
        if counts != {expected}:
            print(f"  warning: {label} builds summarized {counts} articles, expected {expected}")
    # The other engines on the same project, after the MkDocs builds: summaries cached, as a
    # daily rebuild finds them. Each writes its own site folder, so none reuses another's.
    engines: dict[str, Run | None] = {}
    for engine in ("properdocs", "zensical"):
        if importlib.util.find_spec(engine) is None:
            engines[engine] = None
            continue
        runs, again = [], []
        for attempt in range(repeat):
            shutil.rmtree(ours_root / "site", ignore_errors=True)
            # Zensical's own page cache lives in the digest's cache folder: the first build
            # fills it, the second (nothing changed) is the daily rebuild.
            shutil.rmtree(ours_root / ".digest-cache" / "zensical", ignore_errors=True)
            runs.append(mkdocs_build(ours_root, engine))
            print(f"  N={n} {engine} {attempt + 1}: {runs[-1].seconds:.1f} s", flush=True)
            if engine == "zensical":
                again.append(mkdocs_build(ours_root, engine))
                print(f"  N={n} {engine} again {attempt + 1}: {again[-1].seconds:.1f} s")
        engines[engine] = best(runs)
        if again:
            engines[f"{engine} again"] = best(again)
    return Result(
        n,
        best(peer_runs) if peer_runs else None,
        best(cold_runs),
        best(warm_runs),
        best(changed_runs),
        best(floor_runs),
        best(fresh_runs),
        engines,
    )


def table(results: list[Result]) -> str:
    lines = [
        "| N | peer (Material blog + RSS) | ours cold | ours warm | ours warm, empty site "
        "folder (CI) | ours one changed | cold / peer | warm / peer | CI warm / peer "
        "| changed / peer | floor (MkDocs alone) | floor / warm "
        "| peak memory, ours (largest / all) | peak memory, peer |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ours_peak = max((r.cold, r.warm, r.changed), key=lambda run: run.tree_rss_mb)
        if r.peer is not None:
            peer = f"{r.peer.seconds:.1f} s"
            ratios = " | ".join(
                f"{run.seconds / r.peer.seconds:.2f}"
                for run in (r.cold, r.warm, r.fresh, r.changed)
            )
            peer_memory = f"{r.peer.tree_rss_mb:.0f} MB"
        else:
            peer, ratios, peer_memory = "not run", "– | – | – | –", "–"
        lines.append(
            f"| {r.n:,} | {peer} | {r.cold.seconds:.1f} s | {r.warm.seconds:.1f} s "
            f"| {r.fresh.seconds:.1f} s | {r.changed.seconds:.1f} s | {ratios} "
            f"| {r.floor.seconds:.1f} s | {r.floor.seconds / r.warm.seconds:.0%} "
            f"| {max(x.max_rss_mb for x in (r.cold, r.warm, r.changed)):.0f} MB / "
            f"{ours_peak.tree_rss_mb:.0f} MB | {peer_memory} |"
        )
    for r in results:
        if r.warm.pages_cached and r.changed.pages_cached:
            lines.append("")
            lines.append(
                f"N={r.n:,}: pages MkDocs did not have to convert (from the page cache): warm "
                f"{r.warm.pages_cached[0]:,} of {r.warm.pages_cached[1]:,}, one changed "
                f"{r.changed.pages_cached[0]:,} of {r.changed.pages_cached[1]:,}."
            )
    if any(run is not None for r in results for run in r.engines.values()):
        lines.append("")
        lines.append(
            "The same sites, summaries cached, by engine (MkDocs: the warm build above, page "
            "cache full; ProperDocs: `properdocs build`, the same; Zensical: `digest build "
            "--engine zensical`, first with Zensical's cache empty, then again):"
        )
        lines.append("")
        lines.append(
            "| N | MkDocs 1.6 | ProperDocs | Zensical, first | Zensical, again "
            "| Zensical again / MkDocs |"
        )
        lines.append("|---:|---:|---:|---:|---:|---:|")

        def cell(run: Run | None) -> str:
            return f"{run.seconds:.1f} s" if run else "not installed"

        for r in results:
            again = r.engines.get("zensical again")
            lines.append(
                f"| {r.n:,} | {r.warm.seconds:.1f} s | {cell(r.engines.get('properdocs'))} "
                f"| {cell(r.engines.get('zensical'))} | {cell(again)} "
                f"| {f'{again.seconds / r.warm.seconds:.0%}' if again else ''} |"
            )
    sizes = sorted(results, key=lambda r: r.n)
    for small, large in zip(sizes, sizes[1:], strict=False):
        factor = large.n / small.n
        lines.append("")
        lines.append(
            f"Growth from N={small.n:,} to N={large.n:,} ({factor:g}× the articles): ours cold "
            f"{large.cold.seconds / small.cold.seconds:.1f}×, warm "
            f"{large.warm.seconds / small.warm.seconds:.1f}×"
            + (
                f"; the peer {large.peer.seconds / small.peer.seconds:.1f}×."
                if large.peer and small.peer
                else "."
            )
        )
    return "\n".join(lines)


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        # The peer's plugin is only needed where the peer is built (--peer-sizes).
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            return f"{name} not installed"

    names = ("mkdocs", "mkdocs-material", "mkdocs-rss-plugin", "properdocs", "zensical")
    packages = ", ".join(installed(name) for name in (*names, "newsdigest"))
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{python}, {cores} cores; {packages} ({code_version()})"


def code_version() -> str:
    """Which digest code the builds ran: its commit (the builds import it as we would)."""
    found = subprocess.run(
        [sys.executable, "-c", "import digest; print(digest.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    source = Path(found.stdout.strip()).resolve().parents[1]
    marker = source / "COMMIT"  # a snapshot made with `git archive` records its commit here
    if marker.is_file():
        return f"commit {marker.read_text().strip()[:10]}"
    head = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "--short=10", "HEAD"],
        capture_output=True,
        text=True,
    )
    dirty = subprocess.run(
        ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no", "digest"],
        capture_output=True,
        text=True,
    )
    state = " with uncommitted changes" if dirty.stdout.strip() else ""
    return f"commit {head.stdout.strip() or 'unknown'}{state}"


def write_doc(text: str) -> None:
    block = f"{BEGIN}\n{text}\n{END}"
    if DOC.exists():
        page = DOC.read_text("utf-8")
        if BEGIN in page and END in page:
            before, rest = page.split(BEGIN, 1)
            after = rest.split(END, 1)[1]
            DOC.write_text(before + block + after, "utf-8")
            return
        DOC.write_text(page.rstrip("\n") + "\n\n" + block + "\n", "utf-8")
        return
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(f"# Performance\n\n{block}\n", "utf-8")


@dataclass(frozen=True)
class Update:
    """The daily update at one size: `new` articles newer than all others, built into the
    site folder of the day before, and the same content built into an empty folder."""

    n: int
    new: int
    cold: Run
    warm: Run | None  # None: not measured (--update-only)
    update: Run
    empty: Run | None  # None: not measured (--update-only)
    pages: int  # HTML pages in the site
    rendered: int  # pages MkDocs converted from Markdown (not from the page cache)
    written: int  # HTML pages the update wrote (the rest are the files of the day before)
    identical: bool | None  # the update's site is byte for byte the empty-folder build's


# A day's new articles: 100 for a digest of 10,000; a year's archive of 100,000 gets 300.
NEW_ARTICLES = 100


def new_articles(n: int) -> int:
    return 300 if n >= 100_000 else NEW_ARTICLES


def measure_update(
    n: int, stories: list[Story], workdir: Path, new: int, update_only: bool = False
) -> Update:
    """The daily update at N; update_only: only the cold build and the update (a 100,000-article
    archive: each further build takes many minutes)."""
    root = workdir / f"update-{n}"
    write_ours(root, n, stories)
    shutil.rmtree(root / "site", ignore_errors=True)
    cold = mkdocs_build(root)
    print(f"  N={n} cold: {cold.seconds:.1f} s", flush=True)
    warm = None if update_only else mkdocs_build(root)
    if warm is not None:
        print(f"  N={n} warm: {warm.seconds:.1f} s", flush=True)
    newer = articles(stories, n + new)[n:]
    for i, (story, title, date) in enumerate(newer, start=n):
        write_article(root / "content", i, story, title, date)
    started = time.time_ns()
    update = mkdocs_build(root)
    print(f"  N={n} +{new} newer: {update.seconds:.1f} s", flush=True)
    if update.summarized != new:
        print(f"  warning: the update summarized {update.summarized}, not {new}")
    pages = list((root / "site").rglob("*.html"))
    written = sum(p.stat().st_mtime_ns >= started for p in pages)
    cached, converted = update.pages_cached or (0, 0)
    changed = converted - cached
    if update_only:
        return Update(n, new, cold, None, update, None, len(pages), changed, written, None)
    empty_site = workdir / f"update-{n}-empty"
    empty = mkdocs_build(root, site=empty_site)
    print(f"  N={n} same content, empty folder: {empty.seconds:.1f} s", flush=True)
    identical = _same_files(root / "site", empty_site)
    return Update(
        n, new, cold, warm, update, empty, len(pages), converted - cached, written, identical
    )


def _same_files(one: Path, other: Path) -> bool:
    def files(root: Path) -> dict[str, Path]:
        return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}

    left, right = files(one), files(other)
    return left.keys() == right.keys() and all(
        left[name].read_bytes() == right[name].read_bytes() for name in left
    )


def update_table(results: list[Update]) -> str:
    lines = [
        "| N | cold | warm | newer articles (the daily update) "
        "| update / cold | pages converted | pages written (of all) "
        "| same content into an empty folder | update: same bytes "
        "| peak memory, largest process (cold / update) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        same = {True: "yes", False: "NO", None: "not measured"}[r.identical]
        lines.append(
            f"| {r.n:,} | {r.cold.seconds:.1f} s | {_seconds(r.warm)} "
            f"| +{r.new}: {r.update.seconds:.1f} s | {r.update.seconds / r.cold.seconds:.2f} "
            f"| {r.rendered:,} | {r.written:,} of {r.pages:,} | {_seconds(r.empty)} "
            f"| {same} "
            f"| {r.cold.max_rss_mb:,.0f} MB / {r.update.max_rss_mb:,.0f} MB |"
        )
    return "\n".join(lines)


def _seconds(run: Run | None) -> str:
    return "not measured" if run is None else f"{run.seconds:.1f} s"


def write_update_doc(text: str) -> None:
    begin, end = "<!-- daily-update:begin -->", "<!-- daily-update:end -->"
    doc = DOC.read_text(encoding="utf-8")
    block = f"{begin}\n{text}\n{end}"
    if begin in doc and end in doc:
        doc = doc[: doc.index(begin)] + block + doc[doc.index(end) + len(end) :]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per build (best is kept)")
    parser.add_argument(
        "--peer-sizes", default=None, help="sizes at which to build the peer too (default: all)"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update the docs page")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    parser.add_argument(
        "--update-only",
        action="store_true",
        help="with --daily-update: only the cold build and the update (no warm build, no "
        "empty-folder build to compare bytes with)",
    )
    parser.add_argument(
        "--daily-update",
        action="store_true",
        help="measure only the daily update: cold, warm, then a day's newer articles "
        f"({NEW_ARTICLES}; 300 at 100,000 and more)",
    )
    args = parser.parse_args()
    if not CORPORA.is_dir():
        raise SystemExit(f"skipped: the corpora are not at {CORPORA} (../shared beside the repo)")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    peer_sizes = (
        set(sizes)
        if args.peer_sizes is None
        else {int(s) for s in args.peer_sizes.split(",") if s.strip().isdigit()}
    )
    stories = archive_corpus() if max(sizes, default=0) >= ARCHIVE else load_corpus()
    print(f"{len(stories)} corpus articles; sizes {sizes}; {machine()}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    try:
        if args.daily_update:
            updates = []
            for n in sizes:
                updates.append(
                    measure_update(n, stories, workdir, new_articles(n), args.update_only)
                )
                text = update_table(updates)
                print(text, flush=True)
                if not args.no_write:
                    write_update_doc(f"Measured {stamp}: {machine()}.\n\n{text}")
            return
        results = []
        for n in sizes:
            results.append(measure(n, stories, workdir, args.repeat, n in peer_sizes))
            text = table(results)
            print(text, flush=True)
            if not args.no_write:  # after each size: a long run stopped early still reports
                write_doc(f"Measured {stamp}: {machine()}.\n\n{text}")
    finally:
        if args.keep:
            print(f"sites kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.no_write:
        print(f"written to {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
