"""`digest build`: the site folder it leaves, and what a killed build leaves behind."""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from digest.cli import cli
from tests.conftest import copy_fixture


def _build(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["build", "-f", str(project / "mkdocs.yml")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output


def test_the_site_folder_gets_the_mode_of_any_new_folder(tmp_path: Path) -> None:
    """mkdtemp's 0700 made a web server running as another user answer 403."""
    project = copy_fixture("basic", tmp_path)
    mask = os.umask(0o022)
    try:
        _build(project)
    finally:
        os.umask(mask)
    assert stat.S_IMODE((project / "site").stat().st_mode) == 0o755


def test_start_up_removes_what_a_killed_build_left(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    stale = project / ".digest-build-k1ll3d"
    (stale / "articles").mkdir(parents=True)
    (stale / "articles" / "index.html").write_text("half a site")
    running = project / ".digest-build-running"
    running.mkdir()
    # Another build still running holds its folder locked: it must be left alone.
    guard = os.open(running, os.O_RDONLY)
    fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        _build(project)
    finally:
        os.close(guard)
    assert not stale.exists()
    assert running.is_dir()
    assert (project / "site" / "index.html").is_file()


def test_start_up_brings_back_a_site_moved_aside_by_a_killed_build(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    _build(project)
    # Killed between moving the old site aside and moving the new one in.
    os.replace(project / "site", project / "site.previous")
    (project / "content" / "empty.md").write_text("")
    result = CliRunner().invoke(cli, ["build", "--strict", "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 1
    # The next build failed (--strict and a bad file), but the old site is back in place.
    assert (project / "site" / "index.html").is_file()
    assert not (project / "site.previous").exists()


WORKER = """
import multiprocessing, os, sys, time
from digest.analysis.parallel import exit_with_parent

def child(parent):
    exit_with_parent(parent)
    time.sleep(60)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child, args=(os.getpid(),))
    process.start()
    print(process.pid, flush=True)
    time.sleep(60)
"""


def test_pool_workers_end_when_their_build_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "build.py"
    script.write_text(WORKER)
    build = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert build.stdout is not None
    worker = int(build.stdout.readline())
    time.sleep(1.0)  # the worker has asked to end with its parent
    build.kill()  # SIGKILL: no cleanup runs in the build
    build.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        # A zombie (ended, not reaped by init yet) counts as ended.
        status = Path(f"/proc/{worker}/stat")
        if status.exists() and status.read_text().split(") ", 1)[1].startswith("Z"):
            return
        time.sleep(0.1)
    os.kill(worker, 9)
    raise AssertionError("a worker outlived its killed build")
