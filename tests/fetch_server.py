"""A local news site for the fetch tests: the pages in fixtures/fetch/site/ on 127.0.0.1,
with ETags, a robots.txt, and the traps real sites have (404, a page that never answers, an
oversized page, a PDF, a 429 before the answer). Nothing here touches the internet."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parent / "fixtures" / "fetch" / "site"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/rss+xml; charset=utf-8",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
}
LAST_MODIFIED = "Mon, 02 Mar 2026 15:00:00 GMT"


@dataclass
class NewsServer:
    port: int = 0
    # Every request's path, in order (with its query), and the headers it carried.
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # Paths that answer 429 (Retry-After: 0) the first time they are asked.
    throttle_once: set[str] = field(default_factory=lambda: {"/drought.html"})
    huge_bytes: int = 3_000_000
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pages(self) -> list[str]:
        """Requests other than robots.txt and the feed."""
        return [p for p in self.requests if p not in ("/robots.txt", "/rss.xml")]


def _handler(server: NewsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.requests.append(self.path)
            server.headers.append(dict(self.headers.items()))
            path = self.path.split("?", 1)[0]
            if path in server.throttle_once:
                server.throttle_once.discard(path)
                self._send(429, b"slow down", "text/plain", {"Retry-After": "0"})
                return
            if path == "/slow.html":
                server.stop.wait(5)  # never answers within the tests' timeout
                return
            if path == "/huge.html":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                chunk = b"<p>" + b"filler " * 1000 + b"</p>\n"
                sent = 0
                try:
                    while sent < server.huge_bytes:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except OSError:
                    pass  # the client stopped reading at its limit
                return
            file = SITE / path.lstrip("/")
            if not path.startswith("/") or ".." in path or not file.is_file():
                self._send(404, b"<h1>Not found</h1>", "text/html")
                return
            body = file.read_bytes().replace(b"{port}", str(server.port).encode())
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", None, {"ETag": etag})
                return
            kind = TYPES.get(file.suffix, "application/octet-stream")
            self._send(200, body, kind, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

        def _send(
            self, status: int, body: bytes, kind: str | None, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], stop: threading.Event) -> Iterator[int]:
    """Serve on a free port of 127.0.0.1 from a thread, and give the port; `stop` is set before
    the server shuts down, so a handler still waiting on it (a trickled answer) ends."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def news_server() -> Iterator[NewsServer]:
    state = NewsServer()
    try:
        with serving(_handler(state), state.stop) as state.port:
            yield state
    finally:
        time.sleep(0.01)
