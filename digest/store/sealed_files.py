"""Files another program keeps in the cache folder, sealed with the kept pages' key.

Some caches are written by code the digest does not control (Zensical's converted pages in
``cache_dir/zensical/.cache/``, records of the fetch cache): they go into the site or into
content/ as they are, and the cache folder may come from elsewhere (a CI cache other workflows
can write). After a run, every such file gets an HMAC (made with the secret of
digest.store.markdown_pages: one key, kept outside the cache folder) bound to its name and
bytes; before the next run, a file whose HMAC is missing or wrong, or which is not a regular
file, is removed, so the program makes it afresh. Without the key nothing is kept.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import shutil
import stat
from pathlib import Path

from digest.store.history import write_atomic

log = logging.getLogger(__name__)

# A file larger than this is not sealed (and so not kept): nothing a page cache holds is.
MAX_FILE_BYTES = 64 * 1024 * 1024
_MAX_SEAL_BYTES = 256 * 1024 * 1024


def file_mac(secret: bytes, name: str, data: bytes) -> str:
    """The HMAC of one file: its name (relative, POSIX) and bytes."""
    mac = hmac.new(secret, b"file\0" + name.encode("utf-8", "surrogatepass") + b"\0", "sha256")
    mac.update(data)
    return mac.hexdigest()


def _files(folder: Path) -> list[tuple[str, Path, os.stat_result]]:
    """Every entry under folder (never following links): (relative name, path, lstat)."""
    found = []
    for root, dirs, names in os.walk(folder):
        for name in [*dirs, *names]:
            path = Path(root) / name
            with contextlib.suppress(OSError):
                found.append((path.relative_to(folder).as_posix(), path, path.lstat()))
    return found


def _read_seal(seal: Path) -> dict[str, str]:
    try:
        with open(seal, "rb") as handle:
            data = handle.read(_MAX_SEAL_BYTES + 1)
        value = json.loads(data) if len(data) <= _MAX_SEAL_BYTES else None
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def verify_folder(folder: Path, seal: Path, secret: bytes | None) -> int:
    """Remove every file of folder the seal does not vouch for (and any link, device or
    other non-regular entry); the number removed. No key: the whole folder goes."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        _remove(folder)
        return 1
    if not folder.is_dir():
        return 0
    if secret is None:
        shutil.rmtree(folder, ignore_errors=True)
        return 1
    macs = _read_seal(seal)
    removed = 0
    for name, path, info in sorted(_files(folder), key=lambda f: f[0]):
        if stat.S_ISDIR(info.st_mode):
            continue
        good = False
        if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES and name in macs:
            try:
                data = _read_nofollow(path)
            except OSError:
                data = None
            good = data is not None and hmac.compare_digest(
                macs[name], file_mac(secret, name, data)
            )
        if not good:
            log.info("digest: %s in the cache fails its check; made afresh", name)
            _remove(path)
            removed += 1
    return removed


def _read_nofollow(path: Path) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path}: not a regular file")
        return handle.read(MAX_FILE_BYTES + 1)


def seal_folder(folder: Path, seal: Path, secret: bytes | None) -> None:
    """Write the HMAC of every regular file under folder into seal (no key: no seal, and the
    next run keeps nothing)."""
    if secret is None or not folder.is_dir() or folder.is_symlink():
        with contextlib.suppress(OSError):
            seal.unlink()
        return
    macs = {}
    for name, path, info in _files(folder):
        if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES:
            try:
                macs[name] = file_mac(secret, name, _read_nofollow(path))
            except OSError:
                continue
    try:
        seal.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(seal, json.dumps(macs, sort_keys=True))
    except OSError as error:
        log.info("digest: %s not written (%s); the cache is rebuilt next time", seal, error)


def sealed_text(secret: bytes, label: str, text: str) -> str:
    """text with its HMAC before it (one line): what save_sealed writes."""
    mac = hmac.new(secret, label.encode("utf-8") + b"\0" + text.encode("utf-8"), "sha256")
    return mac.hexdigest() + "\n" + text


def opened_text(secret: bytes, label: str, sealed: str) -> str | None:
    """The text of sealed_text's output if its HMAC (for this label) verifies, else None."""
    mac, newline, text = sealed.partition("\n")
    expected = sealed_text(secret, label, text).partition("\n")[0]
    return text if newline and hmac.compare_digest(mac, expected) else None


def load_sealed(path: Path, secret: bytes | None, label: str, limit: int) -> str | None:
    """A file save_sealed wrote, if it verifies under the key (None: missing, too big, forged,
    or no key)."""
    if secret is None:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return None
    try:
        return opened_text(secret, label, data.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def save_sealed(path: Path, secret: bytes | None, label: str, text: str) -> None:
    """Write text with its HMAC atomically (no key: the file is removed, nothing trusted)."""
    if secret is None:
        with contextlib.suppress(OSError):
            path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, sealed_text(secret, label, text))
