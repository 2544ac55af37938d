"""The Pagefind search bundle: one record per article, from what the digest knows, for any engine.

Material's search index holds every page's full text in one file that each reader downloads
before the first result (51.6 MB at 10,000 articles). Pagefind's index is split into fragments
a reader fetches per query, so the download grows with the query, not with the archive.

Records are added directly (title, summary and body text as the pipeline read them), so no page
is parsed again. Pagefind's Python package talks to its binary (shipped in the `pagefind[bin]`
wheel, nothing downloaded) over stdin/stdout; its own async client waits 0.1 s before reading
each reply, which made 1,000 articles take 100 s. The same protocol is spoken here, one request
after the other, reading each reply as soon as it comes: the records go in in digest order, so
the same digest gives the same bundle.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from digest.config import DigestConfig
from digest.model import Digest, DigestEntry

# Where the bundle lands in the site; the reader's script loads pagefind/pagefind.js from there.
BUNDLE = "pagefind"
# Pages whose text only Pagefind searches when it is on (the engine's own index skips them):
# articles, stories and archive months, and later pages of a topic; unbounded in number.
# The pages in the navigation (home, topics' first pages, the user's pages) stay in the engine's
# own search, whose index then stays small.
_PAGEFIND_ONLY = re.compile(r"^(articles|stories)/|^archive/[0-9]|/page-")


class SearchIndexError(Exception):
    """Pagefind could not index the digest (its message says why)."""


def pagefind_only(src_path: str) -> bool:
    """Whether a generated page is left out of the engine's own search index under Pagefind."""
    return bool(_PAGEFIND_ONLY.search(src_path))


def search_engine_tag(config: DigestConfig) -> str:
    """A <meta> tag for every page's head telling the reader's script (newsdigest.js) to search
    articles through the Pagefind bundle; none with `search: material`."""
    if config.search != "pagefind":
        return ""
    return '<meta name="newsdigest-search" content="pagefind">'


@dataclass(frozen=True)
class Record:
    """One article as Pagefind indexes it."""

    url: str
    content: str
    meta: Mapping[str, str]
    sort: Mapping[str, str]


_WORD = re.compile(r"\w+")


def article_record(entry: DigestEntry, url: str, topic_names: Mapping[str, str]) -> Record:
    """The record of one article: every word of its headline, summary and text is searchable.

    The text is the article's paragraphs (page furniture set apart stays out, as on the page).
    The summary is drawn from those paragraphs, so it is added only when it has words they lack
    (an editor's summary); repeated, its sentences would win every excerpt.
    Topics are shown (meta), not Pagefind filters: Pagefind 1.5.2 writes its filter file in a
    different byte order on each run, and the site must be the same bytes for the same input.
    """
    article = entry.article
    body = "\n".join(article.paragraphs)
    summary = entry.summary.text
    parts = [article.title, body]
    body_words = {w.casefold() for w in _WORD.findall(body)}
    if any(w.casefold() not in body_words for w in _WORD.findall(summary)):
        parts.insert(1, summary)
    topics = [topic_names.get(match.topic, match.topic) for match in entry.topics]
    meta = {
        "title": article.title,
        "summary": summary,
        "date": article.date.date().isoformat(),
        "source": article.source or "",
        "topics": ", ".join(topics),
    }
    return Record(
        url=url,
        content="\n".join(part for part in parts if part),
        meta=meta,
        sort={"date": article.date.isoformat()},
    )


def digest_records(
    digest: Digest, config: DigestConfig, url_of: Callable[[DigestEntry], str | None]
) -> list[Record]:
    """A record for every article that has a page (url_of: its URL from the site's root)."""
    names = {topic.slug: topic.name for topic in config.topics}
    records = []
    for entry in digest.entries:
        url = url_of(entry)
        if url is not None:
            records.append(article_record(entry, url, names))
    return records


def _executable() -> str:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise SearchIndexError(
            "search: pagefind needs the Pagefind binary: pip install 'pagefind[bin]' "
            "(or set `search: material` in the digest plugin's options)"
        ) from None
    return str(get_executable())


class _Service:
    """Pagefind's `--service` mode: base64 JSON messages, each ended by a comma."""

    def __init__(self, executable: str, log: IO[bytes]) -> None:
        self.process = subprocess.Popen(
            [executable, "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        self.message_id = 0
        self.buffer = b""

    def send(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.message_id += 1
        message = {"message_id": self.message_id, "payload": payload}
        data = json.dumps(message, ensure_ascii=False).encode("utf-8", "replace")
        # A lone surrogate (undecodable input kept by Python) is "?" here: Pagefind reads UTF-8.
        self.process.stdin.write(base64.b64encode(data) + b",")
        self.process.stdin.flush()
        while b"," not in self.buffer:
            # read1: what is there (a reply is short), without waiting for a full buffer.
            chunk = self.process.stdout.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                raise SearchIndexError("Pagefind stopped before it answered")
            self.buffer += chunk
        reply, self.buffer = self.buffer.split(b",", 1)
        response = json.loads(base64.b64decode(reply))
        answer: dict[str, Any] = response.get("payload") or {}
        if answer.get("type") == "Error":
            raise SearchIndexError(f"Pagefind: {answer.get('message')}")
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:  # it ends when its input does
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def write_pagefind(records: Iterable[Record], site_dir: Path, language: str = "en") -> Path:
    """Index the records and write the bundle to site_dir/pagefind (replacing an old one).

    Written into a temporary folder first, then moved in: a failed index leaves no half bundle.
    """
    target = site_dir / BUNDLE
    staging = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=site_dir))
    # Pagefind's messages, for the error when it fails.
    with tempfile.TemporaryFile() as log:
        service: _Service | None = None
        try:
            service = _Service(_executable(), log)
            # No playground (a debugging page): the bundle holds what readers need.
            index = service.send({"type": "NewIndex", "config": {"write_playground": False}})
            index_id = index["index_id"]
            for record in records:
                service.send(
                    {
                        "type": "AddRecord",
                        "index_id": index_id,
                        "url": record.url,
                        "content": record.content,
                        "language": language,
                        "meta": dict(record.meta),
                        "filters": None,
                        "sort": dict(record.sort),
                    }
                )
            # The files come back in the reply and are written here: Pagefind's own WriteFiles
            # replied before it had finished writing, and stopping it then cut a file short.
            bundle = service.send({"type": "GetFiles", "index_id": index_id})
            _write_files(bundle.get("files") or [], staging)
        except SearchIndexError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        except (OSError, KeyError, ValueError) as error:
            log.seek(0)
            said = log.read().decode("utf-8", "replace").strip()
            shutil.rmtree(staging, ignore_errors=True)
            raise SearchIndexError(f"Pagefind failed: {error} {said}".strip()) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            if service is not None:
                service.close()
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    # mkdtemp made it 0700: a web server running as another user would get 403.
    mode = 0o777 & ~_umask()
    for folder in [target, *(p for p in target.rglob("*") if p.is_dir())]:
        os.chmod(folder, mode)
    return target


def _write_files(files: Iterable[Mapping[str, Any]], folder: Path) -> None:
    """Write the bundle's files ({"path", "content" in base64}) under folder, never outside it."""
    root = folder.resolve()
    for file in files:
        target = (root / str(file["path"])).resolve()
        if not target.is_relative_to(root) or target == root:
            raise SearchIndexError(f"Pagefind named a file outside its folder: {file['path']!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(file["content"]))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
