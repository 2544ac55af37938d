"""A built digest served on 127.0.0.1 and Debian's Chromium driven by Playwright.

Playwright's own browser download does not work offline, so the tests launch the system
Chromium (`apt-get install chromium`) and skip with the reason when it or Playwright is missing.
The site is built twice, like a newsroom's daily rebuild, so the home page has a "what's new".
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import REPO, copy_fixture, mkdocs_build

CHROMIUM = Path(os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The README's screenshots. A test run writes its screenshots to a temporary folder, so the
# checkout stays as it was; DIGEST_UPDATE_SCREENSHOTS=1 rewrites the committed ones.
SCREENSHOTS = REPO / "tests" / "screenshots"
UPDATE_SCREENSHOTS = "DIGEST_UPDATE_SCREENSHOTS"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 400, "height": 860}

# The previous build: one article not yet written, one since edited, one since withdrawn.
HELD_BACK = "senate-hearing-2019-06-03.md"
EDITED = "caracas-blackout-2019-05-20.md"
WITHDRAWN = """---
title: Port strike called off before it began
date: 2019-05-18T08:00:00+02:00
source: Fixture Local
---

Dock workers called off a strike planned for Monday after talks overnight, the union said.
"""


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


T = TypeVar("T")


def _mkdocs(project: Path) -> str:
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return result.stderr


def build_twice(project: Path, build: Callable[[Path], T]) -> T:
    """The fixture digest built as yesterday's content, then today's (an article added, one
    edited, one withdrawn), so the home page has a "What's new" section; `build` builds once."""
    content = project / "content"
    for seed in (REPO / "content").glob("sochi-2019-05-14.*"):
        shutil.copy(seed, content)
    held_back = (content / HELD_BACK).read_bytes()
    edited = (content / EDITED).read_text(encoding="utf-8")
    (content / HELD_BACK).unlink()
    # The edit added the last paragraph.
    (content / EDITED).write_text(edited.rsplit("\n\n", 1)[0] + "\n", encoding="utf-8")
    (content / "port-strike-2019-05-18.md").write_text(WITHDRAWN, encoding="utf-8")
    build(project)
    (content / HELD_BACK).write_bytes(held_back)
    (content / EDITED).write_text(edited, encoding="utf-8")
    (content / "port-strike-2019-05-18.md").unlink()
    return build(project)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_fixture("browser", tmp_path_factory.mktemp("browser-site"))
    stderr = build_twice(project, _mkdocs)
    assert "WARNING" not in stderr, stderr
    return project / "site"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A local web server for folder; its base URL."""
    # Search needs http: Material loads its index with fetch and a web worker.
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


def screenshot_folder(temporary: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """Where the screenshots go: the committed ones only when asked to refresh them."""
    return SCREENSHOTS if environ.get(UPDATE_SCREENSHOTS, "") not in ("", "0") else temporary


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_folder(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def material_result(page: Any, word: str, slug: str, timeout: float = 30_000) -> Any:
    """Type word into Material's search box as a reader does ("/" focuses it); the article's
    result (one <li> per page, its first link the page), once newsdigest.js has annotated it."""
    page.keyboard.press("/")
    page.keyboard.type(word, delay=30)
    item = page.locator(
        ".md-search-result__item[data-digest-summary]",
        has=page.locator(f"> a[href*='articles/{slug}/']"),
    )
    item.first.wait_for(timeout=timeout)
    return item


@dataclass
class Tab:
    """A page plus everything it did that a reader would not want: errors, outside requests."""

    page: Any
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    # Where screenshot() writes (see screenshot_folder); None: this tab takes none.
    screenshots: Path | None = None

    def open(self, path: str) -> Any:
        self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def assert_clean(self) -> None:
        assert self.outside_requests == [], "requests left 127.0.0.1"
        assert self.console_errors == [], "the browser console has errors"

    def screenshot(self, name: str, max_height: int = 1300) -> Path:
        """Write NAME.png into the screenshots folder (tests/screenshots/ when refreshing the
        README's; via a temporary file: never a half-written PNG).

        On a desktop, the page from the top, up to max_height: more than one screen, so an
        article's summary and its highlighted sentences both show, but not a whole long page.
        On a phone, one screen."""
        assert self.screenshots is not None, "a tab from open_tab takes screenshots"
        self.screenshots.mkdir(parents=True, exist_ok=True)
        target = self.screenshots / f"{name}.png"
        temporary = target.with_name(target.name + ".tmp")
        # No hover effect from the last click: the same page gives the same picture.
        self.page.mouse.move(0, 0)
        viewport = self.page.viewport_size or DESKTOP
        height = viewport["height"]
        if viewport["width"] >= DESKTOP["width"]:
            # A taller window rather than full_page=True, whose resizing makes pixels vary.
            scroll_height = self.page.evaluate("document.documentElement.scrollHeight")
            height = max(viewport["height"], min(scroll_height, max_height))
        if height != viewport["height"]:
            self.page.set_viewport_size({"width": viewport["width"], "height": height})
        self.page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        image = self.page.screenshot(animations="disabled", caret="hide")
        if height != viewport["height"]:
            self.page.set_viewport_size(viewport)
        temporary.write_bytes(image)
        os.replace(temporary, target)
        return target


@pytest.fixture
def open_tab(browser: Any, base_url: str, screenshots: Path) -> Iterator[Callable[..., Tab]]:
    contexts = []

    def open_tab(
        viewport: dict[str, int] = DESKTOP, color_scheme: str = "light", base: str | None = None
    ) -> Tab:
        """A new tab on the site (or on another local server's, base)."""
        context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
        contexts.append(context)
        home = base or base_url
        tab = Tab(context.new_page(), home, screenshots=screenshots)

        def on_request(request: Any) -> None:
            url = request.url
            if not url.startswith((home, "data:", "blob:")):
                tab.outside_requests.append(url)

        def on_console(message: Any) -> None:
            if message.type == "error":
                tab.console_errors.append(f"{message.text} ({message.location.get('url')})")

        tab.page.on("request", on_request)
        tab.page.on("console", on_console)
        tab.page.on("pageerror", lambda error: tab.console_errors.append(str(error)))
        return tab

    yield open_tab
    for context in contexts:
        context.close()
