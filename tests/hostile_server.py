"""A scriptable server on 127.0.0.1 for the hostile fetch tests: each path answers with what
the test says (status, headers, body, or a function writing the answer itself, for trickles
and floods). ETags make conditional requests answer 304. Nothing here touches the internet."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.fetch_server import serving

# (status, headers, body), or a function given the handler to write the answer by hand.
Answer = tuple[int, dict[str, str], bytes] | Callable[[BaseHTTPRequestHandler], None]


@dataclass
class HostileServer:
    port: int = 0
    routes: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, path: str, body: str | bytes, kind: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (200, {"Content-Type": kind}, data)


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.requests.append(self.path)
            answer = server.routes.get(self.path.split("?", 1)[0])
            if answer is None:
                status, headers, body = (404, {"Content-Type": "text/plain"}, b"not found")
            elif callable(answer):
                with contextlib.suppress(OSError):  # the client gave up, as it should
                    answer(self)
                return
            else:
                status, headers, body = answer
            headers = dict(headers)
            if status == 200:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                headers.setdefault("ETag", etag)
                if self.headers.get("If-None-Match") == headers["ETag"]:
                    status, body = 304, b""
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    state = HostileServer()
    state.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\n")
    with serving(_handler(state), state.stop) as state.port:
        yield state
