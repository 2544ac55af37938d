"""What broken and hostile files cost a build, measured against the same build without them.

In one run, on the same machine, each a separate cold `mkdocs build` (no summary cache):

- good:  N good articles (BBC News from ../shared/corpora) with the hostile fixture's mkdocs.yml;
- mixed: the same N articles plus every file of tests/fixtures/hostile/content and the cases
  the tests make (a 10 MB file, symlinks, a FIFO, ...);
- worst: the good articles plus one article of each pathological kind at the size limit
  (MAX_ARTICLE_BYTES): brackets, markup just under the refused share, nested quotes, tags,
  emphasis, one endless sentence (some are refused as not prose, which is the point); each
  case is also timed alone through `markdown_to_text`, the part written to stay linear.

    python benchmarks/hostile.py              # N=60 (about a minute)
    python benchmarks/hostile.py --good 200
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURE = REPO / "tests" / "fixtures" / "hostile"
sys.path.insert(0, str(REPO))

from digest.sources.files import MAX_ARTICLE_BYTES  # noqa: E402
from digest.sources.text import markdown_to_text  # noqa: E402
from tests.test_hostile import make_unstorable_cases  # noqa: E402


def good_articles(folder: Path, count: int) -> None:
    """Write `count` BBC articles as plain-text files with dates in their names."""
    root = SHARED / "corpora" / "bbc-news-summary" / "articles"
    if not root.is_dir():
        sys.exit(f"shared corpus not found at {root}")
    sources = sorted(root.glob("*/*.txt"))[:count]
    folder.mkdir(parents=True, exist_ok=True)
    for number, source in enumerate(sources):
        text = source.read_text(encoding="utf-8", errors="replace").strip()
        day = 1 + number % 28
        (folder / f"bbc-{number:04d}-2019-04-{day:02d}.txt").write_text(text + "\n")


def pathological(limit: int) -> dict[str, str]:
    """Bodies just under the size limit that are hard on Markdown and regex engines."""
    room = limit - 200
    return {
        "brackets": "Caracas news. " + "[" * room,
        # Just under the markup share that is refused: every fifth visible character is `[`.
        "dense-markup": "Caracas news. " + "[abcd " * (room // 6),
        "nested-quotes": "Tehran news.\n\n" + ">" * room,
        "tags": "Maduro news. " + "<a" * (room // 2),
        "emphasis": "Mueller news. " + "*a " * (room // 3),
        "endless-sentence": "Guaido " + "word " * (room // 5),
        "blank-lines": "Iran news.\n" + "\n" * room + "More Iran news.",
        "nested-lists": "News.\n\n" + "".join("  " * i + "- x\n" for i in range(700)),
    }


def build(project: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build of {project} failed:\n{result.stderr[-2000:]}")
    return elapsed


def project(root: Path, name: str, good: int) -> Path:
    folder = root / name
    folder.mkdir()
    shutil.copy(FIXTURE / "mkdocs.yml", folder / "mkdocs.yml")
    (folder / "docs").mkdir()
    good_articles(folder / "content", good)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=60, help="good articles in every build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-hostile-bench-") as tmp:
        root = Path(tmp)
        good = project(root, "good", args.good)
        mixed = project(root, "mixed", args.good)
        shutil.copytree(FIXTURE / "content", mixed / "content", dirs_exist_ok=True)
        make_unstorable_cases(mixed)
        worst = project(root, "worst", args.good)
        cases = pathological(MAX_ARTICLE_BYTES)
        for name, body in cases.items():
            text = f"---\ntitle: Pathological {name}\ndate: 2019-05-01\n---\n\n{body}\n"
            (worst / "content" / f"{name}.md").write_text(text)
        files = sum(1 for _ in (mixed / "content").rglob("*"))

        print(f"{args.good} good articles; the mixed folder holds {files} entries")
        times = {name: build(folder) for name, folder in (("good", good), ("mixed", mixed))}
        times["worst"] = build(worst)
        print(f"{'build':<8}{'seconds':>9}{'vs good':>9}{'extra s':>9}")
        for name, seconds in times.items():
            ratio = seconds / times["good"]
            print(f"{name:<8}{seconds:>9.1f}{ratio:>8.2f}x{seconds - times['good']:>9.1f}")

        print(f"\nmarkdown_to_text on each {MAX_ARTICLE_BYTES:,}-byte case:")
        for name, body in cases.items():
            started = time.perf_counter()
            markdown_to_text(body)
            print(f"  {name:<18}{time.perf_counter() - started:6.2f} s")


if __name__ == "__main__":
    main()
