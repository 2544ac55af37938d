"""Peak memory of near-identical articles against distinct ones, in one run.

A wire story reprinted by many outlets with small edits (one sentence changed, another date,
another headline, another source) must cost about what as many distinct articles cost. For
each size N, two content folders are made:

- near-identical: one corpus article (../shared/corpora, read at run time, never stored in the
  project) copied N times, each copy with one sentence replaced by a made-up one, its own
  source (named after the headline) and date (a minute apart: all within one story's
  window), every tenth with an edited headline;
- distinct: N corpus articles (beyond the corpus' count, paragraphs of two articles mixed), a
  few hours apart;

and each command runs as its own process over each folder: `digest check`, `digest stories`,
`mkdocs build`. The peak resident memory of the largest process (ru_maxrss from wait4, which
counts reaped workers too) is printed for both folders, with the ratio near-identical/distinct.

    python benchmarks/near_identical.py --sizes 1000,2000
    python benchmarks/near_identical.py --sizes 5000 --commands check,stories
    python benchmarks/near_identical.py --sizes 1000,2000 --pin   # one story of N copies

The clustering itself splits copies this varied into stories of a few hundred; --pin makes them
one story (as an editor's `story:` does, or copies alike enough), the case where per-story work
that grows with the square of a story's size shows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import (  # noqa: E402  (a sibling script, not a package)
    CORPORA,
    EXTENSIONS,
    START,
    TOPICS,
    Story,
    front_matter,
    load_corpus,
)

# 51 made-up outlets (17 x 3).
NAMES = [
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Coastal",
    "Valley",
    "River",
    "Harbour",
    "City",
    "County",
    "Metro",
]
NAMES += ["Island", "Lakeside", "Highland", "Border", "Central", "Capital"]
KINDS = ["Herald", "Gazette", "Courier"]
# Most outlets keep the wire's headline; every tenth copy edits it.
HEADLINE_EDITS = ["Update: ", "Breaking: ", "Report: ", "Live: ", "Analysis: "]
HEADLINE_ENDS = ["", " - latest", " (updated)", ", officials say"]
# What an outlet adds or rewrites: made-up sentences, no corpus text.
ADDED = [
    "Officials said more details would be given at a briefing later in the day.",
    "A spokesperson declined to comment further when contacted by this newspaper.",
    "The announcement was welcomed by several groups, who called it overdue.",
    "Critics said the plan left too many questions unanswered for local people.",
    "It is not yet clear how the changes will affect residents in the region.",
    "More reaction is expected once the full report has been published.",
    "Local councillors said they had not been consulted before the decision.",
]


def _sentences(paragraph: str) -> list[str]:
    parts = [part.strip() for part in paragraph.replace("? ", "?\n").split(". ")]
    return [p if p.endswith((".", "?", "!")) else p + "." for p in parts if p]


def near_identical(base: Story, number: int) -> tuple[str, str]:
    """(headline, text) of the number-th copy: one sentence replaced, the outlet's name after
    the headline (as pages give it) and every tenth headline edited. No two are the same (a
    build skips exact copies): 196 texts of a 28-sentence article times 51 outlets."""
    paragraphs = [_sentences(p) for p in base.paragraphs]
    flat = [(i, j) for i, sentences in enumerate(paragraphs) for j in range(len(sentences))]
    where, which = flat[number % len(flat)]
    paragraphs[where][which] = ADDED[number // len(flat) % len(ADDED)]
    text = "\n\n".join(" ".join(sentences) for sentences in paragraphs)
    edit = number // 10
    title = (
        f"{HEADLINE_EDITS[edit % len(HEADLINE_EDITS)]}{base.title}"
        f"{HEADLINE_ENDS[edit % len(HEADLINE_ENDS)]}"
        if number % 10 == 9
        else base.title
    )
    return f"{title} | {outlet(number)}", text


def outlet(number: int) -> str:
    return f"{NAMES[number % len(NAMES)]} {KINDS[number // len(NAMES) % len(KINDS)]}"


def distinct(stories: list[Story], number: int) -> tuple[str, str]:
    story = stories[number % len(stories)]
    rounds = number // len(stories)
    if rounds == 0:
        return story.title, "\n\n".join(story.paragraphs)
    other = stories[(number * 7 + rounds) % len(stories)]
    paragraphs = [p for pair in zip(story.paragraphs, other.paragraphs, strict=False) for p in pair]
    return f"{story.title} and {other.title} ({rounds})", "\n\n".join(paragraphs)


def write_site(root: Path, count: int, near: bool, stories: list[Story], pin: bool) -> None:
    content = root / "content"
    content.mkdir(parents=True)
    (root / "docs").mkdir()
    base = max(stories[:50], key=lambda s: sum(len(p) for p in s.paragraphs))
    for number in range(count):
        if near:
            headline, text = near_identical(base, number)
            date = START + timedelta(minutes=number)
        else:
            headline, text = distinct(stories, number)
            date = START + timedelta(hours=8 * number)
        meta = {"title": headline, "date": date.isoformat(), "source": outlet(number)}
        if near and pin:
            meta["story"] = "a-00000"
        (content / f"a-{number:05d}.md").write_text(front_matter(meta) + text + "\n", "utf-8")
    config = {
        "site_name": "Near-identical benchmark",
        "site_url": "https://example.org/digest/",
        "theme": {"name": "material", "font": False},
        "markdown_extensions": EXTENSIONS,
        "plugins": ["search", {"digest": {"content_dir": "content", "topics": TOPICS}}],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")


COMMANDS = {
    "check": [sys.executable, "-m", "digest.cli", "check", "-f", "mkdocs.yml"],
    "stories": [sys.executable, "-m", "digest.cli", "stories", "-f", "mkdocs.yml"],
    "build": [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml"],
}


def peak_mb(root: Path, command: str) -> tuple[float, float]:
    """(peak RSS of the largest process in MB, seconds) of one command run in root."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        COMMANDS[command], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    # `digest check` exits 1 on warnings; anything else is a failure of the benchmark.
    if code not in (0, 1) or (code == 1 and command != "check"):
        sys.stderr.write(errors.decode(errors="replace")[-3000:])
        raise SystemExit(f"{command} failed in {root} (exit {code})")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,2000")
    parser.add_argument("--commands", default="check,stories,build")
    parser.add_argument(
        "--pin", action="store_true", help="pin the copies to one story (`story:` front matter)"
    )
    options = parser.parse_args()
    if not CORPORA.is_dir():
        raise SystemExit(f"no corpora at {CORPORA}")
    stories = load_corpus()
    commands = options.commands.split(",")
    print(f"{'N':>6} {'command':8} {'near MB':>9} {'s':>6} {'distinct MB':>12} {'s':>6} ratio")
    for size in (int(s) for s in options.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="near-identical-") as work:
            near_root, distinct_root = Path(work, "near"), Path(work, "distinct")
            write_site(near_root, size, True, stories, options.pin)
            write_site(distinct_root, size, False, stories, options.pin)
            for command in commands:
                near = peak_mb(near_root, command)
                other = peak_mb(distinct_root, command)
                print(
                    f"{size:>6} {command:8} {near[0]:>9.0f} {near[1]:>6.1f} "
                    f"{other[0]:>12.0f} {other[1]:>6.1f} {near[0] / other[0]:5.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
