"""Pagefind's filter files in one byte order, so the same records give the same bundle.

Pagefind 1.5.2 lists a filter's values (and the filters) in the order of a Rust hash map, which
changes from run to run: the filter files, the metadata file that names them by a hash of their
bytes, and the entry file that names the metadata differ each time. Here the values are put in
order of their text, the files re-encoded and renamed by a hash of the new bytes, and the names
in the metadata and entry files follow. Nothing else changes: the other files already come out
the same, and the reader's Pagefind script reads the files by the names it is given.

Pagefind's files are "pagefind_dcd" and a CBOR value, gzip'd. The CBOR here is the little
Pagefind writes (integers, text, byte strings, arrays, maps), encoded in its shortest
form as Pagefind does: decoding and encoding again gives back Pagefind's own bytes (tested).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

SIGNATURE = b"pagefind_dcd"
# gzip's bytes depend on the zlib that wrote them: part of every shard's key (search.shard_key).
ZLIB_VERSION = zlib.ZLIB_RUNTIME_VERSION
_META = re.compile(r"^pagefind\.(?P<hash>[^/]+)\.pf_meta$")
_FILTER = re.compile(r"^filter/(?P<hash>[^/]+)\.pf_filter$")


class FormatError(ValueError):
    """A Pagefind file is not in the format this module knows."""


def decode(data: bytes) -> Any:
    value, end = _decode(data, 0)
    if end != len(data):
        raise FormatError("trailing bytes after the CBOR value")
    return value


def _decode(data: bytes, at: int) -> tuple[Any, int]:
    if at >= len(data):
        raise FormatError("CBOR value cut short")
    head = data[at]
    major, info = head >> 5, head & 31
    at += 1
    if info < 24:
        length = info
    elif 24 <= info <= 27:
        size = 1 << (info - 24)
        length = int.from_bytes(data[at : at + size], "big")
        at += size
    else:
        raise FormatError(f"CBOR item {head:#x} not supported")
    if major == 0:
        return length, at
    if major == 1:
        return -1 - length, at
    if major in (2, 3):
        chunk = data[at : at + length]
        if len(chunk) != length:
            raise FormatError("CBOR string cut short")
        return (chunk if major == 2 else chunk.decode("utf-8")), at + length
    if major == 4:
        items = []
        for _ in range(length):
            item, at = _decode(data, at)
            items.append(item)
        return items, at
    if major == 5:
        pairs = {}
        for _ in range(length):
            key, at = _decode(data, at)
            pairs[key], at = _decode(data, at)
        return pairs, at
    raise FormatError(f"CBOR item {head:#x} not supported")


def encode(value: Any) -> bytes:
    if isinstance(value, bool) or value is None:
        raise FormatError(f"CBOR value {value!r} not supported")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(
            encode(key) + encode(item) for key, item in value.items()
        )
    raise FormatError(f"CBOR value of type {type(value).__name__} not supported")


def _head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise FormatError("integer too large")


def read(raw: bytes) -> Any:
    """A Pagefind file's value (gzip'd or not, as Pagefind's script accepts both)."""
    data = raw if raw.startswith(SIGNATURE) else gzip.decompress(raw)
    if not data.startswith(SIGNATURE):
        raise FormatError("not a Pagefind file")
    return decode(data[len(SIGNATURE) :])


def write(value: Any) -> bytes:
    # mtime=0: no timestamp in the header, so the same value gives the same bytes.
    return gzip.compress(SIGNATURE + encode(value), compresslevel=9, mtime=0)


def _name(language: str, data: bytes, digits: int) -> str:
    return f"{language}_{hashlib.sha256(data).hexdigest()[:digits]}"


def stable_filters(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The bundle's files ({path: bytes}) with its filter files in a fixed order (see above).

    A bundle without filters comes back as it is."""
    if not any(_FILTER.match(path) for path in files):
        return dict(files)
    entry = json.loads(files["pagefind-entry.json"])
    result = {path: data for path, data in files.items() if not _FILTER.match(path)}
    renamed: dict[str, str] = {}  # old metadata hash -> new
    for language, info in entry["languages"].items():
        meta_path = f"pagefind.{info['hash']}.pf_meta"
        meta = read(files[meta_path])
        if not isinstance(meta, list) or len(meta) < 4 or not isinstance(meta[3], list):
            raise FormatError(f"{meta_path}: not Pagefind 1.5's metadata")
        filters = []
        for name, chunk in meta[3]:
            old_path = f"filter/{chunk}.pf_filter"
            filter_name, values = read(files[old_path])
            values = sorted(values, key=lambda pair: pair[0])
            data = write([filter_name, values])
            new_hash = _name(language, data, 7)
            result[f"filter/{new_hash}.pf_filter"] = data
            filters.append([name, new_hash])
        meta[3] = sorted(filters, key=lambda pair: pair[0])
        data = write(meta)
        new_hash = _name(language, data, 10)
        del result[meta_path]
        result[f"pagefind.{new_hash}.pf_meta"] = data
        renamed[info["hash"]] = new_hash
    # The entry file as Pagefind wrote it, only the metadata's names replaced.
    text = files["pagefind-entry.json"].decode("utf-8")
    for old, new in renamed.items():
        if text.count(f'"hash":"{old}"') != 1:
            raise FormatError(f"pagefind-entry.json: no single name {old} to replace")
        text = text.replace(f'"hash":"{old}"', f'"hash":"{new}"')
    result["pagefind-entry.json"] = text.encode("utf-8")
    return result


def filter_values(files: Mapping[str, bytes]) -> dict[str, list[str]]:
    """{filter: its values} of a bundle's files (for tests and checks)."""
    found: dict[str, list[str]] = {}
    for path, data in files.items():
        if _FILTER.match(path):
            name, values = read(data)
            found.setdefault(name, []).extend(value for value, _ in values)
    return found
