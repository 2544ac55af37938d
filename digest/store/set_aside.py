"""Texts set aside in a temporary file until they are asked for again.

An engine that converts every page before writing any (MkDocs) holds every page's HTML in
between. Set aside, each page's HTML waits on disk and is read back once, when its page is
written: at 20,000 articles the peak was 1,015 MiB so, 1,320 with the HTML held.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO


class SetAside:
    """Texts by key in a file of their own (gone when closed, or when the process ends),
    each taken back once."""

    def __init__(self, folder: Path | None = None) -> None:
        # In the cache folder when there is one: /tmp may be memory itself (tmpfs).
        self.folder = folder if folder is not None and folder.is_dir() else None
        self._file: IO[bytes] | None = None
        self._where: dict[str, tuple[int, int]] = {}
        self._end = 0
        self._unflushed = False
        self._count = 0

    def __len__(self) -> int:
        """How many texts were put (taken or not)."""
        return self._count

    def put(self, key: str, text: str) -> None:
        if self._file is None:
            # Open across calls, closed by close(): no context manager fits.
            self._file = tempfile.TemporaryFile(prefix="digest-aside-", dir=self.folder)  # noqa: SIM115
        data = text.encode("utf-8", "surrogatepass")
        self._file.seek(self._end)
        self._file.write(data)
        self._where[key] = (self._end, len(data))
        self._end += len(data)
        self._unflushed = True
        self._count += 1

    def take(self, key: str) -> str | None:
        """The text set aside under key (None: there is none, or it was taken)."""
        where = self._where.pop(key, None)
        if where is None or self._file is None:
            return None
        if self._unflushed:
            self._file.flush()
            self._unflushed = False
        start, size = where
        return os.pread(self._file.fileno(), size, start).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._where.clear()
        self._end = 0
