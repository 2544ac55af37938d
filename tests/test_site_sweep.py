"""Clearing the site folder before a build keeps only the recorded, unchanged pages."""

from __future__ import annotations

import os
from pathlib import Path

from digest.store.outputs import clear_all_but, written


def _page(site: Path, dest: str, text: str = "<p>page</p>") -> None:
    path = site / dest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_sweep_keeps_recorded_pages_and_clears_the_rest_in_every_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    kept = [f"articles/story-{i:03d}/index.html" for i in range(0, 60, 3)]
    for i in range(60):
        _page(site, f"articles/story-{i:03d}/index.html")
    _page(site, "index.html")
    _page(site, "archive/2024/05/index.html")
    _page(site, "pagefind/fragment/one.pf_fragment")
    _page(site, ".git/HEAD", "ref")
    expected = {dest: written(site, dest, "key") for dest in [*kept, "index.html"]}
    # A recorded page whose file changed since is not kept.
    _page(site, "index.html", "<p>edited by hand</p>")
    os.utime(site / "index.html", ns=(1, 1))
    records = {dest: made for dest, made in expected.items() if made is not None}

    stays, removed = clear_all_but(site, records, ["pagefind"])

    assert stays == set(kept)
    assert removed == 60 - len(kept) + 2  # the other article pages, the edited index, archive
    left = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert left == sorted([*kept, ".git/HEAD", "pagefind/fragment/one.pf_fragment"])
    assert not (site / "archive").exists()  # emptied folders go
    assert not (site / "articles" / "story-001").exists()


def test_sweep_of_a_missing_site_keeps_nothing(tmp_path: Path) -> None:
    assert clear_all_but(tmp_path / "none", {}) == (set(), 0)
