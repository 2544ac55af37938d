"""The cache file is read through ahead of a build only when it is worth it and safe."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from digest.memory import available_memory
from digest.store.cache import CACHE_FILE
from digest.store.read_ahead import read_ahead, read_through


def test_a_large_enough_cache_file_is_read_through_in_a_thread(tmp_path: Path) -> None:
    if available_memory() == 0:
        pytest.skip("this system does not say how much memory is free")
    (tmp_path / CACHE_FILE).write_bytes(b"x" * 300_000)
    thread = read_ahead(tmp_path, min_bytes=1000)
    assert thread is not None
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert read_through(tmp_path / CACHE_FILE) == 300_000


def test_nothing_is_read_ahead_when_small_missing_or_a_link(tmp_path: Path) -> None:
    assert read_ahead(tmp_path, min_bytes=1) is None  # no file
    (tmp_path / "elsewhere").write_bytes(b"x" * 5_000)
    (tmp_path / CACHE_FILE).symlink_to(tmp_path / "elsewhere")
    assert read_ahead(tmp_path, min_bytes=1) is None
    assert read_through(tmp_path / CACHE_FILE) == 0  # never followed
    (tmp_path / CACHE_FILE).unlink()
    (tmp_path / CACHE_FILE).write_bytes(b"x" * 5_000)
    assert read_ahead(tmp_path, min_bytes=10_000) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MemAvailable is Linux's")
def test_free_memory_is_known_on_linux() -> None:
    assert available_memory() > 0
