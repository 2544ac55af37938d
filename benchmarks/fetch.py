"""How fast `digest fetch` turns a feed into article files, and how much memory it takes.

    python benchmarks/fetch.py [--articles 200] [--json]

Serves a feed of N news pages on 127.0.0.1 (the fixture layouts of tests/fixtures/fetch/,
each page's story made distinct by shuffling the words of its sentences, so no page is a
duplicate of another), runs the fetch stage into a temporary content folder with no delay
between requests, and reports articles per second, peak memory (max RSS of this process)
and what the second run asks for (the feed only). The numbers measure this code (extraction,
duplicate checks, writing), not a network: a real run is bounded by `delay` per host.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import resource
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from digest.config import config_from_mapping
from digest.sources.fetch import FetchRun
from digest.store.markdown_pages import load_secret

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures" / "fetch"


def _layouts():
    spec = importlib.util.spec_from_file_location("make_pages", FIXTURES / "make_pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shuffled(text: str, rng: random.Random) -> str:
    words = text.rstrip(".").split()
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def make_site(count: int) -> dict[str, bytes]:
    make_pages = _layouts()
    stories = yaml.safe_load((FIXTURES / "stories.yml").read_text(encoding="utf-8"))
    names = list(stories)
    pages: dict[str, bytes] = {}
    items = []
    for number in range(count):
        rng = random.Random(number)
        story = dict(stories[names[number % len(names)]])
        story["title"] = f"{story['title']} ({number})"
        story["body"] = [_shuffled(p, rng) for p in story["body"]]
        slug = f"story-{number}"
        others = [(f"story-{(number + k) % count}", "Another story") for k in (1, 2, 3)]
        layout = make_pages.ledger if number % 2 else make_pages.courier
        pages[f"/{slug}.html"] = layout(slug, story, others).encode()
        items.append(
            f"<item><title>{story['title']}</title><link>{make_pages.BASE}/{slug}.html</link>"
            f"<pubDate>Mon, 02 Mar 2026 {number % 24:02d}:00:00 +0000</pubDate></item>"
        )
    pages["/rss.xml"] = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()
    pages["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return pages


def serve(pages: dict[str, bytes]) -> tuple[ThreadingHTTPServer, list[str]]:
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            port = str(self.server.server_address[1]).encode()
            body = pages.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            body = body.replace(b"{port}", port)
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            kind = "application/rss+xml" if self.path.endswith(".xml") else "text/html"
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    httpd, asked = serve(make_site(args.articles))
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        options = {
            "sources": [
                {
                    "name": "Bench",
                    "feed": f"{base}/rss.xml",
                    "allow_private": True,
                    "delay": 0,
                    "max_items": args.articles,
                }
            ]
        }
        config = config_from_mapping(options, root)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        # As `digest fetch` runs: what it keeps in cache_dir is sealed with the user's key.
        secret = load_secret()
        first = FetchRun(config, secret=secret).run(config.sources)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        asked.clear()
        start = time.perf_counter()
        second = FetchRun(config, secret=secret).run(config.sources)
        again = time.perf_counter() - start
    httpd.shutdown()
    result = {
        "articles": first.count("new"),
        "seconds": round(seconds, 2),
        "articles_per_second": round(first.count("new") / seconds, 1),
        "max_rss_mb": round(peak / 1024, 1),
        "rss_growth_mb": round((peak - rss_before) / 1024, 1),
        "failed": first.count("failed"),
        "duplicates": first.count("duplicate"),
        "second_run_new": second.count("new"),
        "second_run_requests": len(asked),
        "second_run_seconds": round(again, 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
