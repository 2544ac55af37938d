"""Polite, bounded HTTP for `digest fetch`.

One request at a time; per host a pause between requests; robots.txt honoured; connect and
read timeouts and an overall deadline; a size limit enforced while reading; redirects followed
by hand (at most MAX_REDIRECTS), each hop checked against the address rules and robots.txt;
429 and 5xx retried after `Retry-After` or a backoff; conditional GET with what the cache kept.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import re
import time
import urllib.robotparser
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from digest import __version__
from digest.sources.addresses import (
    AddressRefused,
    Resolver,
    check_url,
    is_public,
    system_resolver,
)

USER_AGENT = f"newsdigest/{__version__} (digest fetch; static news digest generator)"
ROBOTS_AGENT = "newsdigest"
MAX_REDIRECTS = 5
RETRIES = 3
# A server asking for a longer wait than this is treated as failing for this run.
MAX_RETRY_WAIT = 60.0
# robots.txt is re-read after a day (RFC 9309 suggests caching it no longer than that).
ROBOTS_TTL = 24 * 3600.0
MAX_ROBOTS_BYTES = 500_000
# Crawl-delay above this is capped: a typo'd 86400 would stall the whole run.
MAX_CRAWL_DELAY = 30.0
_CHUNK = 65_536
_HEADER_VALUE = re.compile(r"[\x20-\x7e]{1,1000}")
# What a cache record's HMAC covers besides the body.
_MAC_FIELDS = ("url", "etag", "last_modified", "content_type", "stored", "sha256")

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    "application/json",
    "text/plain",  # some servers label feeds so; the parser decides
    "text/html",  # and some feeds are served as HTML by mistake
)


class FetchError(Exception):
    """This URL could not be fetched; `reason` says why, `permanent` whether to try again."""

    def __init__(self, url: str, reason: str, permanent: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Response:
    """A successful answer: the final URL (after redirects), the body and what it is."""

    url: str
    status: int
    content_type: str
    body: bytes
    last_modified: str | None = None
    # True when the server said 304 and the body is the one the cache kept.
    not_modified: bool = False

    def text(self) -> str:
        """The body as text: the header's charset, else the page's <meta charset>, else UTF-8
        if it decodes, else Windows-1252 (what browsers assume for old Western pages)."""
        names: list[str] = []
        header = re.search(r"charset=[\"']?([\w.:-]+)", self.content_type, re.I)
        meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", self.body[:4096], re.I)
        if header is not None:
            names.append(header.group(1))
        elif meta is not None:
            names.append(meta.group(1).decode("ascii", "replace"))
        for name in [*names, "utf-8"]:
            try:
                return self.body.decode(str(name))
            except (LookupError, UnicodeError):  # UnicodeError: "punycode", "idna" and such
                continue
        return self.body.decode("cp1252", errors="replace")


@dataclass(frozen=True)
class Policy:
    """A source's limits for its requests."""

    allow_private: bool = False
    delay: float = 1.0
    timeout: float = 10.0
    max_bytes: int = 5_000_000


class HttpCache:
    """ETag / Last-Modified and the body they validate, per URL, under cache_dir.

    Everything read back is untrusted (the folder is restored from CI caches and could be
    edited): a record carries an HMAC over its URL, headers and body made with the kept
    pages' key (digest.store.markdown_pages, kept outside the cache folder; the caller passes
    it), so a body replaced together with its checksum is not served on a 304. Entries are
    also checked for shape, header values for printable ASCII without line breaks, bodies for
    size; anything odd is ignored as if it were not there. Without the key nothing is kept.
    """

    def __init__(self, folder: Path, secret: bytes | None) -> None:
        """secret: the key (`digest fetch` passes digest.store.markdown_pages.load_secret's);
        None keeps nothing."""
        self.folder = folder
        self.secret = secret

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.folder / f"{key}.json", self.folder / f"{key}.body"

    def _mac(self, meta: Mapping[str, Any], body: bytes) -> str:
        assert self.secret is not None
        fields = json.dumps([meta.get(k) for k in _MAC_FIELDS], ensure_ascii=True)
        mac = hmac.new(self.secret, b"http\0" + fields.encode("ascii") + b"\0", "sha256")
        mac.update(body)
        return mac.hexdigest()

    def load(self, url: str, max_bytes: int) -> tuple[dict[str, str], bytes] | None:
        if self.secret is None:
            return None
        meta_path, body_path = self._paths(url)
        try:
            if meta_path.stat().st_size > 10_000 or body_path.stat().st_size > max_bytes:
                return None
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("url") != url:
            return None
        mac = meta.get("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, self._mac(meta, body)):
            return None
        validators = {}
        for key in ("etag", "last_modified", "content_type", "stored"):
            value = meta.get(key)
            if isinstance(value, str) and _HEADER_VALUE.fullmatch(value):
                validators[key] = value
        if hashlib.sha256(body).hexdigest() != meta.get("sha256"):
            return None
        return validators, body

    def store(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        if self.secret is None:
            return
        meta: dict[str, Any] = {
            "url": url,
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
            "content_type": headers.get("content-type"),
            "stored": str(time.time()),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        meta["mac"] = self._mac(meta, body)
        meta_path, body_path = self._paths(url)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            body_path.write_bytes(body)
            meta_path.write_text(json.dumps(meta), encoding="utf-8")
        except OSError:
            pass  # a cache that cannot be written only costs a full download next time


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the request's overall deadline: a
    server sending its headers or body a byte at a time never trips a per-read timeout."""

    def __init__(self, inner: httpcore.NetworkStream, backend: PinnedBackend) -> None:
        self._inner = inner
        self._backend = backend

    def _timeout(self, timeout: float | None) -> float | None:
        deadline = self._backend.deadline
        if deadline is None:
            return timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise httpcore.ReadTimeout("the overall deadline for this request has passed")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._timeout(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._timeout(timeout))
        return _DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Opens connections only to addresses the rules allow, judged when connecting.

    check_url() judges a name before the request; a name that resolves to a public address
    then and to 127.0.0.1 a moment later (DNS rebinding) would slip past it. Here the name is
    resolved once more, every address checked, and the socket opened to a checked address
    itself, so what was judged is what is connected to.
    """

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve
        self.allow_private = False
        # time.monotonic() by which the current request must be done (see _DeadlineStream).
        self.deadline: float | None = None
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = list(self.resolve(host, port))
        except AddressRefused as error:
            raise httpcore.ConnectError(str(error)) from None
        if not self.allow_private:
            private = [a for a in addresses if not is_public(a)]
            if private or not addresses:
                raise httpcore.ConnectError(
                    f"refused: {host} now resolves to {private[0] if private else 'nothing'}"
                )
        last: Exception = httpcore.ConnectError(f"cannot connect to {host}")
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
                return _DeadlineStream(stream, self)
            except httpcore.ConnectError as failed:
                last = failed
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never used")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def pinned_transport(backend: PinnedBackend) -> httpx.BaseTransport:
    """httpx's own transport with its connection pool on PinnedBackend (TLS still checks the
    certificate against the host name: httpcore passes the name, not the address, for SNI)."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool = httpcore.ConnectionPool(  # httpx exposes no network_backend option
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=backend,
        max_connections=10,
    )
    return transport


class Fetcher:
    """Fetches one URL at a time, politely; see the module docstring."""

    def __init__(
        self,
        cache: HttpCache | None = None,
        transport: httpx.BaseTransport | None = None,
        resolve: Resolver = system_resolver,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.resolve = resolve
        self.sleep = sleep
        self.clock = clock
        self._backend: PinnedBackend | None = None
        if transport is None:
            self._backend = PinnedBackend(resolve)
            transport = pinned_transport(self._backend)
        # No redirects by httpx (we check each hop), no cookies kept, no proxy from the
        # environment guessing (trust_env=False): what is asked is what this code decides.
        self.client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self.requests = 0  # how many requests went out (the tests and the report count them)
        self.requested: list[str] = []

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ---------------------------------------------------------------------------

    def get(
        self,
        url: str,
        policy: Policy,
        accept: tuple[str, ...] = HTML_TYPES,
        conditional: bool = True,
    ) -> Response:
        """The answer for url after at most MAX_REDIRECTS redirects, or FetchError."""
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self._check(current, policy)
            if not self.allowed(current, policy):
                # Not remembered as lasting: robots.txt is itself cached for a day, and asking
                # it again costs no page request.
                raise FetchError(current, "forbidden by robots.txt")
            location = self._request(current, policy, accept, conditional)
            if isinstance(location, Response):
                return location
            current = location
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects", permanent=True)

    def allowed(self, url: str, policy: Policy) -> bool:
        """Whether robots.txt of url's host lets newsdigest fetch it."""
        parser = self._robots_for(url, policy)
        return parser.can_fetch(ROBOTS_AGENT, url)

    # -- internals ------------------------------------------------------------------------

    def _check(self, url: str, policy: Policy) -> None:
        try:
            check_url(url, policy.allow_private, self.resolve)
        except AddressRefused as error:
            raise FetchError(url, f"refused: {error}", permanent=True) from None
        except ValueError as error:  # urlsplit's own: "Invalid IPv6 URL", a bad port
            raise FetchError(url, f"not a usable address ({error})", permanent=True) from None

    def _robots_for(self, url: str, policy: Policy) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._robots:
            return self._robots[origin]
        robots_url = origin + "/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        lines = self._robots_lines(robots_url, policy)
        # RFC 9309: an unreachable robots.txt (server error) means "assume all disallowed".
        parser.parse(["User-agent: *", "Disallow: /"] if lines is None else lines)
        self._robots[origin] = parser
        return parser

    def _robots_lines(self, robots_url: str, policy: Policy) -> list[str] | None:
        cached = self.cache.load(robots_url, MAX_ROBOTS_BYTES) if self.cache else None
        if cached is not None:
            validators, body = cached
            stored = validators.get("stored", "")
            try:
                fresh = 0 <= time.time() - float(stored) < ROBOTS_TTL
            except ValueError:
                fresh = False
            if fresh:
                return body.decode("utf-8", errors="replace").splitlines()
        robots_policy = Policy(policy.allow_private, policy.delay, policy.timeout, MAX_ROBOTS_BYTES)
        try:
            self._check(robots_url, robots_policy)
            result = self._request(robots_url, robots_policy, ("text/plain",), False, robots=True)
        except FetchError as error:
            # Unreachable (5xx after retries, timeout): disallow all, as RFC 9309 says.
            # Missing (4xx) comes back as an empty Response below: allow all.
            if error.reason.startswith("HTTP 4"):
                if self.cache is not None:  # remembered for a day like a robots.txt
                    self.cache.store(robots_url, {}, b"")
                return []
            return None
        if not isinstance(result, Response):  # a redirect for robots.txt: follow one hop
            try:
                self._check(result, robots_policy)
                second = self._request(result, robots_policy, ("text/plain",), False, robots=True)
            except FetchError:
                return []
            if not isinstance(second, Response):
                return []
            result = second
        if self.cache is not None:
            self.cache.store(robots_url, {}, result.body)
        return result.body.decode("utf-8", errors="replace").splitlines()

    def _wait_for_host(self, url: str, policy: Policy) -> None:
        host = urlsplit(url).netloc
        delay = policy.delay
        parser = self._robots.get(f"{urlsplit(url).scheme}://{host}")
        if parser is not None:
            crawl_delay = parser.crawl_delay(ROBOTS_AGENT)
            if crawl_delay is not None:
                delay = max(delay, min(float(crawl_delay), MAX_CRAWL_DELAY))
        last = self._last_request.get(host)
        if last is not None:
            remaining = last + delay - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last_request[host] = self.clock()

    def _request(
        self,
        url: str,
        policy: Policy,
        accept: tuple[str, ...],
        conditional: bool,
        robots: bool = False,
    ) -> Response | str:
        """One URL, retried on 429/5xx: a Response, or the next URL of a redirect."""
        cached = self.cache.load(url, policy.max_bytes) if (self.cache and conditional) else None
        # Only the encodings _read_limited decodes itself, output bounded as it goes.
        headers = {"Accept": ", ".join(accept) + ", */*;q=0.1", "Accept-Encoding": "gzip, deflate"}
        if cached is not None:
            validators = cached[0]
            if "etag" in validators:
                headers["If-None-Match"] = validators["etag"]
            if "last_modified" in validators:
                headers["If-Modified-Since"] = validators["last_modified"]
        timeout = httpx.Timeout(policy.timeout)
        if self._backend is not None:
            self._backend.allow_private = policy.allow_private
        for attempt in range(RETRIES + 1):
            self._wait_for_host(url, policy)
            if self._backend is not None:
                self._backend.deadline = time.monotonic() + overall_deadline(policy)
            self.requests += 1
            self.requested.append(url)
            try:
                with self.client.stream("GET", url, headers=headers, timeout=timeout) as answer:
                    status = answer.status_code
                    if status in (429, 500, 502, 503, 504) and attempt < RETRIES:
                        wait = retry_after(answer.headers.get("retry-after"), time.time())
                        wait = 2.0**attempt if wait is None else wait
                        if wait > MAX_RETRY_WAIT:
                            raise FetchError(url, f"HTTP {status}, asked to wait {wait:.0f} s")
                        self.sleep(wait)
                        continue
                    if 300 <= status < 400 and status != 304:
                        location = answer.headers.get("location")
                        if not location:
                            raise FetchError(url, f"HTTP {status} without a Location")
                        return _joined(url, location)
                    if status == 304 and cached is not None:
                        return Response(
                            url=url,
                            status=304,
                            content_type=cached[0].get("content_type", ""),
                            body=cached[1],
                            last_modified=cached[0].get("last_modified"),
                            not_modified=True,
                        )
                    if status != 200:
                        raise FetchError(url, f"HTTP {status}", permanent=status in (404, 410))
                    content_type = answer.headers.get("content-type", "")
                    if not robots:
                        _check_type(url, content_type, accept)
                    body = _read_limited(answer, url, policy)
                    if not robots and accept == HTML_TYPES:
                        _sniff(url, body)
                    validated = "etag" in answer.headers or "last-modified" in answer.headers
                    if self.cache is not None and not robots and conditional and validated:
                        self.cache.store(url, answer.headers, body)
                    return Response(
                        url=url,
                        status=200,
                        content_type=content_type,
                        body=body,
                        last_modified=answer.headers.get("last-modified"),
                    )
            except httpx.InvalidURL as error:  # not an HTTPError: a redirect's odd address
                raise FetchError(url, f"not a usable address ({error})", permanent=True) from None
            except httpx.TimeoutException:
                raise FetchError(url, f"no answer within {policy.timeout:g} s (timeout)") from None
            except httpx.HTTPError as error:
                raise FetchError(url, f"network error: {type(error).__name__}: {error}") from None
        raise FetchError(url, "still failing after retries")  # pragma: no cover - loop returns


def _joined(url: str, location: str) -> str:
    """A redirect's target, or FetchError when its Location is not an address."""
    try:
        target = urljoin(url, location)
        urlsplit(target).port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as error:
        reason = f"redirect to an unusable address {location!r} ({error})"
        raise FetchError(url, reason, permanent=True) from None
    return target


_NEVER_A_FEED = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")


def _check_type(url: str, content_type: str, accept: tuple[str, ...]) -> None:
    media = content_type.split(";", 1)[0].strip().lower()
    if accept == HTML_TYPES:
        if media and media not in accept:
            raise FetchError(url, f"not an HTML page ({media})", permanent=True)
    # Feeds and sitemaps come with every label servers have (octet-stream included): the
    # parser decides, unless the label says it is media.
    elif media.startswith(_NEVER_A_FEED):
        raise FetchError(url, f"not a feed or sitemap ({media})", permanent=True)


def _sniff(url: str, body: bytes) -> None:
    """A PDF or other binary served without (or with a wrong) Content-Type."""
    if body.lstrip()[:5] == b"%PDF-":
        raise FetchError(url, "not an HTML page (a PDF)", permanent=True)
    if b"\x00" in body[:2048]:
        raise FetchError(url, "not an HTML page (binary data)", permanent=True)


def overall_deadline(policy: Policy) -> float:
    """Seconds a whole request (headers and body) may take: a server answering a byte at a
    time never trips the per-read timeout, but it does trip this."""
    return 3 * policy.timeout


class _Decoder:
    """One Content-Encoding layer (gzip or deflate), decoded with its output bounded: a
    gzip bomb is stopped at the limit, not after it has filled the memory."""

    def __init__(self, name: str) -> None:
        self.name = name
        gzip = name in ("gzip", "x-gzip")
        self._raw_allowed = not gzip  # "deflate" is zlib data, or raw deflate from some servers
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
        self._started = False

    def decode(self, data: bytes, limit: int) -> bytes:
        """At most limit + 1 bytes of output for data (more than limit: too large)."""
        try:
            out = self._zlib.decompress(data, limit + 1)
        except zlib.error:
            if self._started or not self._raw_allowed:
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, limit + 1)
        self._started = True
        # Input left unread means the output stopped at limit + 1 bytes: the caller's size
        # check then fails, so the rest is never decoded.
        return out

    def finish(self, limit: int) -> bytes:
        return self._zlib.flush(limit + 1) if self._started else b""


def _decoders(url: str, answer: httpx.Response) -> list[_Decoder]:
    """The layers to undo, last applied first; FetchError for an encoding not asked for."""
    names = [n.strip().lower() for n in answer.headers.get("content-encoding", "").split(",")]
    layers = []
    for name in reversed([n for n in names if n and n != "identity"]):
        if name not in ("gzip", "x-gzip", "deflate"):
            raise FetchError(url, f"content encoding {name!r} was not asked for", True)
        layers.append(_Decoder(name))
    return layers


def _read_limited(answer: httpx.Response, url: str, policy: Policy) -> bytes:
    """The body, decoded, at most policy.max_bytes before and after decoding (checked as each
    piece arrives and is decoded), within an overall deadline."""
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(
            url, f"too large ({int(declared):,} bytes, limit {policy.max_bytes:,})", True
        )
    layers = _decoders(url, answer)
    pieces: Iterable[bytes]
    if answer.is_stream_consumed:  # an answer made in memory (a test's mock transport)
        layers, pieces = [], [answer.content]
    else:
        pieces = answer.iter_raw()
    sizes = [0] * (len(layers) + 1)  # bytes out of the wire, then out of each layer
    deadline = time.monotonic() + overall_deadline(policy)
    chunks: list[bytes] = []

    def take(data: bytes, level: int) -> None:
        sizes[level] += len(data)
        if sizes[level] > policy.max_bytes:
            what = "bytes" if level == 0 else "bytes once decoded"
            raise FetchError(
                url, f"too large (over the limit of {policy.max_bytes:,} {what})", True
            )
        if level == len(layers):
            chunks.append(data)
            return
        out = layers[level].decode(data, policy.max_bytes - sizes[level + 1])
        if out:
            take(out, level + 1)

    try:
        # Raw pieces as they come (no chunk size: httpx would wait to fill one, past the
        # deadline), decoded here rather than by httpx, whose decoder has no output bound.
        for piece in pieces:
            if time.monotonic() > deadline:
                raise FetchError(url, f"too slow (not complete in {overall_deadline(policy):g} s)")
            take(piece, 0)
        for level, layer in enumerate(layers):
            tail = layer.finish(policy.max_bytes - sizes[level + 1])
            if tail:
                take(tail, level + 1)
    except zlib.error as error:
        reason = f"the body does not decode as its Content-Encoding ({error})"
        raise FetchError(url, reason, permanent=True) from None
    return b"".join(chunks)
