"""Generated pages' Markdown, kept between builds: an unchanged page is not rendered again.

Rendering 11,500 pages through Jinja (10,000 of them article pages) takes seconds on every
build, and a daily update changes a few hundred of them. The renderer (digest.site.render) keys
each page by a hash of everything its template can reach (the template sources, the code, the
config, every value in its context, each entry with its story) and asks this store first.

Unlike summaries or readings, a page's Markdown is not data the templates escape: it goes into
the site as it is, raw HTML included. A planted entry must never reach a page, and the cache
folder may come from elsewhere (a CI cache other workflows can write). So every entry carries
an HMAC made with a secret that never lives in the cache folder: a random key kept in the
user's own cache folder (``$XDG_CACHE_HOME/newsdigest/`` or ``~/.cache/newsdigest/``, mode
0600). Without the key, neither an entry nor its row key can be forged; an entry whose HMAC
does not verify is rendered afresh. A machine where that key cannot be kept (a read-only home)
renders every page, as before. A fresh machine (a CI runner) has a new key, so it renders
every page once, like a fresh clone reads every file once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from digest.store.cache import Encoded, reading, writing

log = logging.getLogger(__name__)

KEY_PREFIX = "md-page:"
SECRET_FILE = "page-secret"
_SECRET_BYTES = 32
# A repository secret for CI (see load_secret); a short one could be guessed.
CACHE_KEY_VARIABLE = "DIGEST_CACHE_KEY"
_MIN_GIVEN_KEY = 32
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def secret_folder() -> Path:
    """Where the key lives: the user's cache folder, never the digest's cache_dir."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "newsdigest"


def load_secret(folder: Path | None = None) -> bytes | None:
    """The key, made on first use; None where it cannot be kept or is not ours alone.

    DIGEST_CACHE_KEY, where set, is the key instead (hashed to its size): a CI runner is new
    every time, so its key in the home folder is too, but a repository secret stays the same,
    so a CI build with only cache_dir kept still reuses its rendered pages and search shards."""
    given = os.environ.get(CACHE_KEY_VARIABLE, "")
    if given:
        if len(given) < _MIN_GIVEN_KEY:
            log.warning(
                "digest: %s is shorter than %d characters; not used (nothing is kept)",
                CACHE_KEY_VARIABLE,
                _MIN_GIVEN_KEY,
            )
            return None
        return hashlib.sha256(b"newsdigest cache key\0" + given.encode("utf-8", "replace")).digest()
    folder = folder or secret_folder()
    path = folder / SECRET_FILE
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            _make_secret(path)
            descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            # Anyone else able to write it could forge entries; anyone able to read it too.
            if (
                not stat.S_ISREG(info.st_mode)
                or info.st_mode & 0o077
                or (hasattr(os, "getuid") and info.st_uid != os.getuid())
            ):
                log.warning("digest: %s is not private to this user; pages are not kept", path)
                return None
            secret = handle.read(_SECRET_BYTES + 1)
    except OSError as error:
        log.info("digest: no key for kept pages (%s); every page is rendered", error)
        return None
    return secret if len(secret) == _SECRET_BYTES else None


def _make_secret(path: Path) -> None:
    """Write a new random key so that no build ever reads half of one."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(_SECRET_BYTES))
        # link, not rename: a key another build made meanwhile wins, and it stays the same.
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(partial)


class MarkdownPages:
    """Rendered pages by input hash, each verified by its HMAC."""

    def __init__(self, cache_dir: Path, secret: bytes, setup: str) -> None:
        """setup: a hash of what every page depends on (code, templates, config): pages kept
        under another setup are dropped when this one saves."""
        self.cache_dir = cache_dir
        self._secret = secret
        self._prefix = KEY_PREFIX + self._mac("setup\0" + setup)[:16] + ":"
        self._found: dict[str, str] = {}
        self._stale: set[str] = set()
        self._used: list[str] = []
        self._new: dict[str, str] = {}

    def key(self, inputs: str) -> str:
        """The row key of a page whose inputs hash to `inputs` (unguessable without the key)."""
        return self._prefix + self._mac(f"key\0{inputs}")

    def _mac(self, text: str) -> str:
        data = text.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def load(self, keys: Iterable[str]) -> None:
        """Fetch, and verify, the pages a build expects."""
        wanted = list(keys)
        # The HMAC checks more than the checksum would.
        stored = reading(
            self.cache_dir,
            "kept pages",
            lambda c: c.get_many(wanted, self._stale, checked=False),
        )
        for key, text in stored.items():
            markdown = self._verified(key, text)
            if markdown is not None:
                self._found[key] = markdown

    def present(self, keys: Iterable[str]) -> set[str]:
        """Which of these pages the cache holds, unchecked (load checks each page it reads):
        this setup's keys in one range scan (asked for by name, the 120,000 pages of a
        100,000-article archive were as many lookups in a file of gigabytes)."""
        held = reading(self.cache_dir, "kept pages", lambda c: c.keys_under(self._prefix))
        return {key for key in keys if key in held}

    def _sealed(self, key: str, markdown: str) -> str:
        """The stored value of a page: its HMAC (bound to the row key), a newline, the page."""
        return self._mac(f"page\0{key}\0{markdown}") + "\n" + markdown

    def _seal(self, page: tuple[str, str]) -> str:
        return self._sealed(*page)

    def _verified(self, key: str, text: str) -> str | None:
        """The page in a stored value (its HMAC, a newline, the page) if the HMAC is right."""
        mac, newline, markdown = text.partition("\n")
        if not newline or not hmac.compare_digest(mac, self._mac(f"page\0{key}\0{markdown}")):
            log.debug("digest: kept page %s fails its check; rendered afresh", key)
            return None
        return markdown

    def get(self, key: str) -> str | None:
        markdown = self._found.get(key)
        if markdown is not None and key in self._stale:
            # Marked used only when the mark is old (REFRESH_DAYS): marking rewrites the row.
            self._used.append(key)
        return markdown

    def put(self, key: str, markdown: str) -> None:
        self._new[key] = markdown

    def save(self) -> None:
        """Store the new pages and mark the reused ones; pages of another setup go (a page
        whose inputs changed goes once unused for KEEP_DAYS)."""
        if not (self._new or self._used):
            return
        # Sealed as sqlite writes them: all at once, the pages of 100,000 articles were a
        # second copy of a gigabyte, the build's largest process at its peak.
        items = Encoded([(key, (key, md)) for key, md in self._new.items()], self._seal)
        only = (KEY_PREFIX, self._prefix)
        writing(
            self.cache_dir, "rendered pages", lambda c: c.put_many(items, self._used, only=only)
        )
        self._new, self._used = {}, []  # a later save (pages fetched later) writes its own
