"""Shared test helpers: where the shared corpora are, and building fixture sites with MkDocs."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = SHARED / "seed" / "sochi-2019-05-14.txt"


def require_shared(path: Path = SHARED) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (it sits beside the repository in CI)")
    return path


def copy_fixture(name: str, destination: Path) -> Path:
    """Copy tests/fixtures/NAME to destination/NAME and return it (builds never touch the repo)."""
    target = destination / name
    shutil.copytree(FIXTURES / name, target)
    return target


def mkdocs_build(
    project: Path,
    *,
    strict: bool = True,
    env: dict[str, str] | None = None,
    args: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `mkdocs build` in a project folder as a user would (args: more of its options);
    output captured."""
    # Not --quiet: it hides warnings from MkDocs, and so from --strict.
    command = [sys.executable, "-m", "mkdocs", "build", *args]
    if strict:
        command.append("--strict")
    full_env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    return subprocess.run(
        command, cwd=project, env=full_env, capture_output=True, text=True, timeout=600
    )


# --- a test run leaves the checkout as it was ----------------------------------------------------

_CHECKOUT_BEFORE = pytest.StashKey[set[str] | None]()
_CHECKOUT_CHANGED = pytest.StashKey[list[str]]()


def run_apart(module: str, check: str) -> subprocess.CompletedProcess[str]:
    """Run a check (a function of a test module) in a process of its own: a test run may
    leave threads about, and no worker process is forked beside a thread."""
    return subprocess.run(
        [sys.executable, "-c", f"from tests.{module} import {check}; {check}()"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def checkout_status(repo: Path = REPO) -> set[str] | None:
    """`git status --porcelain` of the checkout, one entry a line (None: not a git checkout)."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return set(result.stdout.splitlines()) if result.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_CHECKOUT_BEFORE] = checkout_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it changed the checkout: tests write into temporary folders only
    (screenshots too, unless DIGEST_UPDATE_SCREENSHOTS=1 asks to refresh the README's)."""
    before = session.config.stash.get(_CHECKOUT_BEFORE, None)
    if before is None or os.environ.get("DIGEST_UPDATE_SCREENSHOTS", "") not in ("", "0"):
        return
    changed = sorted((checkout_status() or before) - before)
    session.config.stash[_CHECKOUT_CHANGED] = changed
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    changed = config.stash.get(_CHECKOUT_CHANGED, [])
    if changed:
        terminalreporter.write_sep("=", "the test run changed the checkout", red=True)
        for line in changed:
            terminalreporter.write_line(f"  {line}")
        terminalreporter.write_line(
            "Tests must write into temporary folders (a file edited during the run shows too)."
        )


@pytest.fixture
def seed_text() -> str:
    return require_shared(SEED).read_text(encoding="utf-8")


def make_read_only(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a cache folder behave as on a read-only mount (the tests may run as root, who may
    write anywhere): no lock file, and opening a file in it for writing fails with EROFS."""
    from digest.store import cache as cache_module

    (cache_dir / cache_module.LOCK_FILE).unlink()
    real_open = os.open

    def read_only_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent == cache_dir and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_open)
