"""Pagefind shards kept in cache_dir, so a build into an empty site folder (what CI does, keeping
only the cache) indexes only the shards whose records changed.

A shard folder is named by a hash of its records (digest.site.search.shard_key), and Pagefind
writes the same bytes for the same records, so a kept copy is as good as a fresh index. But
the cache folder may come from elsewhere (a CI cache other workflows can write), and a shard's
files are what readers' search results show: a planted fragment would put a forged title,
summary or link in front of them. So every kept shard carries an HMAC of its name and of each
file's path and bytes, made with the secret that authenticates kept pages
(digest.store.markdown_pages.load_secret: the user's own key, or DIGEST_CACHE_KEY in CI). A
shard whose HMAC does not verify, or that holds anything but folders and regular files, is
indexed again. Without a secret nothing is kept, and every build indexes every shard.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER = "pagefind-shards"
_MAC_SUFFIX = ".mac"
_STAMP_SUFFIX = ".stamp"
# Far above any real stamp (an HMAC on a line): a planted giant is not read.
_MAX_STAMP_BYTES = 1024
# Far above any real shard (a 2,048-article shard is a few MB): a planted giant is not read.
_MAX_SHARD_BYTES = 256 * 1024 * 1024


class ShardCache:
    """Authenticated copies of Pagefind shard folders, by shard name."""

    def __init__(self, cache_dir: Path, secret: bytes) -> None:
        self.root = cache_dir / FOLDER
        self._secret = secret

    def _mac(self, name: str, files: Mapping[str, bytes]) -> str:
        signer = hmac.new(self._secret, b"pagefind-shard\0" + name.encode(), hashlib.sha256)
        for path in sorted(files):
            data = files[path]
            signer.update(b"\0%s\0%d\0" % (path.encode("utf-8", "surrogatepass"), len(data)))
            signer.update(hashlib.sha256(data).digest())
        return signer.hexdigest()

    def verified(
        self, name: str, files: Mapping[str, bytes] | None = None
    ) -> dict[str, bytes] | None:
        """The files ({relative path: bytes}) of index `name` if they match their HMAC: the
        cached copy, or `files` (read from a previous site) checked against the cached HMAC.
        None if there is none, or it does not verify."""
        try:
            mac = (self.root / (name + _MAC_SUFFIX)).read_text(encoding="ascii").strip()
            found = dict(files) if files is not None else unpacked(self._packed(name))
        except (OSError, ValueError, UnicodeError):
            return None
        if not found or not hmac.compare_digest(mac, self._mac(name, found)):
            log.debug("digest: kept search index %s fails its check; indexed again", name)
            return None
        return found

    def put(self, name: str, files: Mapping[str, bytes]) -> None:
        """Keep a copy of a freshly written index, packed in one file (a thousand small files
        cost a thousand system calls each way); a failure only logs."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for target, data in (
                (self.root / name, packed(files)),
                (self.root / (name + _MAC_SUFFIX), (self._mac(name, files) + "\n").encode()),
            ):
                partial = target.with_name(f".{target.name}.{os.getpid()}.new")
                partial.write_bytes(data)
                if target.is_dir() and not target.is_symlink():  # an older cache's folder
                    shutil.rmtree(target)
                os.replace(partial, target)
        except (OSError, ValueError) as error:
            log.info("digest: search index %s not kept in the cache: %s", name, error)

    def stamp(self, name: str, folder: Path) -> None:
        """Record the files of shard `name` as they stand in folder, verified or written by
        this build: a hash of their paths, sizes, modification times and inodes, under an
        HMAC."""
        stats = tree_stats(folder)
        if stats is None:
            return
        target = self.root / (name + _STAMP_SUFFIX)
        partial = target.with_name(f".{target.name}.{os.getpid()}.new")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            partial.write_text(self._stamp_mac(name, stats) + "\n", encoding="ascii")
            os.replace(partial, target)
        except OSError as error:
            log.info("digest: search index %s not stamped: %s", name, error)

    def stamped(self, name: str, folder: Path) -> bool:
        """Whether folder holds the files `stamp` recorded for shard `name`, unchanged (the
        same paths, sizes, times and inodes): then they are taken as verified without reading
        and hashing them again, as kept pages are (digest.store.outputs). A daily update of
        a 100,000-article archive read every fragment of 98 shards for their HMACs: 8.9 s."""
        path = self.root / (name + _STAMP_SUFFIX)
        try:
            mode = path.lstat()
            if not stat.S_ISREG(mode.st_mode) or mode.st_size > _MAX_STAMP_BYTES:
                return False
            mac = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeError):
            return False
        stats = tree_stats(folder)
        return stats is not None and hmac.compare_digest(mac, self._stamp_mac(name, stats))

    def _stamp_mac(self, name: str, stats: str) -> str:
        data = b"pagefind-stamp\0" + name.encode() + b"\0" + stats.encode()
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def _packed(self, name: str) -> bytes:
        path = self.root / name
        # No link and nothing larger than a shard: the cache folder is not trusted.
        mode = path.lstat()
        if not stat.S_ISREG(mode.st_mode) or mode.st_size > _MAX_SHARD_BYTES:
            raise ValueError(f"{path}: not a kept search index")
        return path.read_bytes()

    def keep_only(self, names: Iterable[str]) -> None:
        """Drop kept shards this build does not use (the cache holds one bundle's shards)."""
        wanted = set(names)
        try:
            entries = list(self.root.iterdir())
        except OSError:
            return
        for entry in entries:
            name = entry.name.removesuffix(_MAC_SUFFIX).removesuffix(_STAMP_SUFFIX)
            if name in wanted and not entry.name.startswith("."):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()


def read_plain_tree(
    folder: Path, leave_out: Callable[[str], bool] | None = None
) -> dict[str, bytes]:
    """Every file under folder by its relative POSIX path (but those, and the folders, whose
    relative path leave_out names); ValueError for a link, a device or anything but folders
    and regular files, or for more bytes than any shard has."""
    files: dict[str, bytes] = {}
    total = 0
    pending = [(folder, "")]
    if not stat.S_ISDIR(folder.lstat().st_mode):
        raise ValueError(f"{folder}: not a folder")
    while pending:
        current, prefix = pending.pop()
        for entry in sorted(current.iterdir()):
            relative = prefix + entry.name
            if leave_out is not None and leave_out(relative):
                continue
            mode = entry.lstat().st_mode
            if stat.S_ISDIR(mode):
                pending.append((entry, relative + "/"))
            elif stat.S_ISREG(mode):
                data = entry.read_bytes()
                total += len(data)
                if total > _MAX_SHARD_BYTES:
                    raise ValueError(f"{folder}: larger than any search shard")
                files[relative] = data
            else:
                raise ValueError(f"{entry}: not a folder or a regular file")
    return files


def tree_stats(folder: Path) -> str | None:
    """A hash of each file under folder: its relative path, size, modification time (ns) and
    inode, folder by folder in name order; None when folder is not a folder or holds anything
    but folders and regular files (no link is followed)."""
    digest = hashlib.sha256()
    pending = [(str(folder), "")]
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return None
        while pending:
            current, prefix = pending.pop()
            with os.scandir(current) as found:
                entries = sorted(found, key=lambda entry: entry.name)
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                name = (prefix + entry.name).encode("utf-8", "surrogatepass")
                if stat.S_ISDIR(info.st_mode):
                    pending.append((entry.path, prefix + entry.name + "/"))
                    digest.update(b"d\0%s\0" % name)
                elif stat.S_ISREG(info.st_mode):
                    sizes = (info.st_size, info.st_mtime_ns, info.st_ino)
                    digest.update(b"f\0%s\0%d %d %d\n" % (name, *sizes))
                else:
                    return None
    except OSError:
        return None
    return digest.hexdigest()


def write_tree(files: Mapping[str, bytes], folder: Path) -> None:
    """Write {relative path: bytes} under folder, a folder this build made (so no link is in
    it), never outside it: a path must be relative, without "." or ".." in it."""
    made: set[Path] = set()
    for path, data in files.items():
        parts = path.split("/")
        if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"a file outside its folder: {path!r}")
        target = folder.joinpath(*parts)
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(data)


_PACK_HEADER = b"digest search index 1\n"


def packed(files: Mapping[str, bytes]) -> bytes:
    """Files ({relative path: bytes}) as one byte string: for each, its path's and its
    contents' lengths on a line, then the two."""
    chunks = [_PACK_HEADER]
    for path in sorted(files):
        name, data = path.encode("utf-8", "surrogatepass"), files[path]
        chunks += [b"%d %d\n" % (len(name), len(data)), name, data]
    return b"".join(chunks)


def unpacked(data: bytes) -> dict[str, bytes]:
    """The files of packed(); ValueError for anything else (the cache is not trusted)."""
    if not data.startswith(_PACK_HEADER):
        raise ValueError("not a packed search index")
    files: dict[str, bytes] = {}
    at = len(_PACK_HEADER)
    while at < len(data):
        end = data.find(b"\n", at, at + 40)
        sizes = data[at:end].split(b" ") if end > 0 else []
        if len(sizes) != 2 or not all(size.isdigit() for size in sizes):
            raise ValueError("a packed search index is cut short or malformed")
        name_size, size = int(sizes[0]), int(sizes[1])
        name_end = end + 1 + name_size
        if name_end + size > len(data):
            raise ValueError("a packed search index is cut short")
        files[data[end + 1 : name_end].decode("utf-8")] = data[name_end : name_end + size]
        at = name_end + size
    return files
