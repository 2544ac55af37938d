"""The Zensical engine's rebuild with and without the published site's search shards.

`digest build --engine zensical` writes its docs folder afresh on every build, so its Pagefind
bundle is written into an empty folder unless the published site's shards are seeded there
first (digest/site/search.py, seed_shards). For N articles (the benchmark digest of
benchmarks/build.py, `search: pagefind`), in one run: a cold Zensical build, then unchanged
rebuilds, alternating seeded (as shipped) and unseeded (seed_shards replaced by a no-op in
that process), each `digest build --engine zensical` in a process of its own. Prints each
rebuild's wall time and the ratio of the medians.

    python benchmarks/zensical_update.py --size 10000 --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build as bench  # noqa: E402  (benchmarks/build.py: the same corpus and site)

_BUILD = """
import sys
from digest.cli import cli
if sys.argv[1] == "unseeded":
    import digest.zensical.build as engine
    engine.seed_shards = lambda previous, bundle: 0
sys.argv[1:] = ["build", "--engine", "zensical", "-f", sys.argv[2]]
cli()
"""


def zensical_build(config: Path, mode: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _BUILD, mode, str(config)],
        cwd=config.parent,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="articles")
    parser.add_argument("--rounds", type=int, default=2, help="seeded/unseeded pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-zensical-") as workdir:
        root = Path(workdir) / "site"
        bench.write_ours(root, args.size, bench.load_corpus())
        config = root / "mkdocs.yml"
        settings = yaml.safe_load(config.read_text("utf-8"))
        for plugin in settings["plugins"]:
            if isinstance(plugin, dict) and "digest" in plugin:
                plugin["digest"]["search"] = "pagefind"
        config.write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
        print(f"{args.size:,} articles: cold {zensical_build(config, 'seeded'):.1f} s", flush=True)
        times: dict[str, list[float]] = {"seeded": [], "unseeded": []}
        for _ in range(args.rounds):
            for mode in times:
                times[mode].append(zensical_build(config, mode))
                print(f"  {mode}: {times[mode][-1]:.1f} s", flush=True)
    seeded, unseeded = (statistics.median(times[m]) for m in ("seeded", "unseeded"))
    print(f"{bench.machine()}")
    print(
        f"unchanged rebuild, median: seeded {seeded:.1f} s, unseeded {unseeded:.1f} s, "
        f"ratio {seeded / unseeded:.2f}"
    )


if __name__ == "__main__":
    main()
