"""Hostile input, round three: caches planted or edited between runs (CI caches other workflows
can write) must never put their bytes into the site or content/."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.store.sealed_files import seal_folder, verify_folder
from tests.conftest import copy_fixture

MARK = "<script>window.planted=1</script>"


@pytest.fixture(autouse=True)
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's own key folder (the kept pages' secret lives outside the cache folder)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def _zensical_build(project: Path, site: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["build", "-f", str(project / "mkdocs.yml"), "--engine", "zensical", "-d", str(site)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def test_a_poisoned_zensical_page_cache_is_not_published(tmp_path: Path) -> None:
    if importlib.util.find_spec("zensical") is None:
        pytest.skip("zensical is not installed (pip install -e '.[zensical]')")
    project = copy_fixture("feeds", tmp_path)
    _zensical_build(project, tmp_path / "first")
    cache = project / ".digest-cache" / "zensical" / ".cache"
    poisoned = 0
    for record in cache.iterdir():
        if not record.name.isdigit():
            continue
        value = json.loads(record.read_text(encoding="utf-8"))
        if "</h1>" in value.get("data", ""):
            value["data"] = value["data"].replace("</h1>", "</h1>" + MARK, 1)
            record.write_text(json.dumps(value), encoding="utf-8")
            poisoned += 1
    assert poisoned
    site = tmp_path / "second"
    _zensical_build(project, site)
    pages = [p for p in site.rglob("*.html") if MARK in p.read_text(encoding="utf-8")]
    assert pages == []


def test_only_files_the_seal_vouches_for_are_left(tmp_path: Path) -> None:
    folder, seal, key = tmp_path / "cache", tmp_path / "seal.json", b"k" * 32
    (folder / "sub").mkdir(parents=True)
    (folder / "a").write_text("kept")
    (folder / "sub" / "b").write_text("kept too")
    seal_folder(folder, seal, key)
    assert verify_folder(folder, seal, key) == 0
    (folder / "sub" / "b").write_text("edited")
    (folder / "planted").write_text("new")
    (folder / "link").symlink_to(folder / "a")
    assert verify_folder(folder, seal, key) == 3
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["a"]
    # Another key (another machine's seal, or a forged one): nothing is kept.
    assert verify_folder(folder, seal, b"x" * 32) == 1
    assert verify_folder(folder, seal, None) == 1 and not folder.exists()
