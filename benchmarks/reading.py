"""The digest's own share of a rebuild: reading, analysis lookups and rendering the pages.

In one run, on one project of N articles (benchmarks/build.py's write_ours), times
`build_digest` + `PageRenderer.render`, each build in a fresh process as `mkdocs build` runs:

- cold: no cache folder (every file read, every article analysed, every page rendered);
- unchanged: the same content again;
- +NEW: NEW more articles added (the daily update), then built;
- unchanged again: the same content as the +NEW build.

Each build prints a hash of its Digest and of every page's path, title and Markdown; builds of
the same content must agree (the caches change the time, never the output). MkDocs' own work
(converting, theming, search, writing) is not in these numbers.

    python benchmarks/reading.py --size 10000 --new 100
    python benchmarks/reading.py --size 500 --new 20    # a quick check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import load_corpus, write_ours  # noqa: E402

# Files changed less than this long ago are read again by the next build (see
# digest.sources.files.settled): wait it out so the builds see settled files, as a daily
# update does.
SETTLE_SECONDS = 3.5


def child(root: Path) -> None:
    """One build of the project at root: times and output hashes as JSON on stdout."""
    from digest.pipeline import build_digest, cached_analysis
    from digest.project import load_project
    from digest.site.render import PageRenderer

    config = load_project(root / "mkdocs.yml")
    started, cpu_started = time.perf_counter(), time.process_time()
    digest = build_digest(config, cached_analysis(config))
    built = time.perf_counter()
    pages = PageRenderer(config).render(digest, None)
    rendered, cpu_done = time.perf_counter(), time.process_time()
    page_hash = hashlib.sha256()
    for page in pages:
        page_hash.update(f"{page.path}\0{page.title}\0{page.markdown}\0".encode())
    result = {
        "build_digest": built - started,
        "render": rendered - built,
        # This process's CPU time: steadier than wall time on a busy machine (the analysis of
        # new articles runs in worker processes, which this leaves out).
        "cpu": cpu_done - cpu_started,
        "articles": len(digest.entries),
        "pages": len(pages),
        "digest_hash": hashlib.sha256(repr(digest).encode()).hexdigest(),
        "page_hash": page_hash.hexdigest(),
    }
    print(json.dumps(result))


def build(root: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="articles at the start")
    parser.add_argument("--new", type=int, default=100, help="articles the update adds")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    workdir = Path(tempfile.mkdtemp(prefix="digest-reading-"))
    root = workdir / "project"
    try:
        paths = write_ours(root, args.size + args.new, load_corpus())
        waiting = workdir / "waiting"
        waiting.mkdir()
        for path in paths[args.size :]:
            path.rename(waiting / path.name)
        time.sleep(SETTLE_SECONDS)
        runs = {"cold": build(root), "unchanged": build(root)}
        for path in paths[args.size :]:
            (waiting / path.name).rename(path)
        time.sleep(SETTLE_SECONDS)
        runs[f"+{args.new} new"] = build(root)
        runs["unchanged again"] = build(root)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    cold = runs["cold"]["build_digest"] + runs["cold"]["render"]
    print(f"{args.size:,} articles (+{args.new}), build_digest + PageRenderer.render, seconds:")
    print(f"{'build':<18}{'digest':>9}{'render':>9}{'total':>9}{'of cold':>9}{'cpu':>9}")
    for name, run in runs.items():
        total = run["build_digest"] + run["render"]
        print(
            f"{name:<18}{run['build_digest']:>9.2f}{run['render']:>9.2f}{total:>9.2f}"
            f"{total / cold:>9.3f}{run['cpu']:>9.2f}"
        )
    same = (
        runs["cold"]["page_hash"] == runs["unchanged"]["page_hash"]
        and runs["cold"]["digest_hash"] == runs["unchanged"]["digest_hash"]
        and runs[f"+{args.new} new"]["page_hash"] == runs["unchanged again"]["page_hash"]
        and runs[f"+{args.new} new"]["digest_hash"] == runs["unchanged again"]["digest_hash"]
    )
    print("same output with and without the caches:", "yes" if same else "NO")
    if args.keep:
        print(f"project kept in {root}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
