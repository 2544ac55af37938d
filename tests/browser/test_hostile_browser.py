"""Hostile input that only a browser shows: ids that clobber the theme's, a planted page cache.

The site is the browser fixture plus an article titled `__config`, built once, then given a
planted page cache (every converted page starts with `<p id="__config" hidden>` holding a
Material configuration whose search worker is a `data:` script), and built again. In Chromium
no page may run the planted script, every page's `__config` must be the theme's own, and
search, the palette toggle and newsdigest.js must work as on a clean site.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from digest.store.cache import CACHE_FILE
from tests.browser.conftest import DESKTOP, Tab, _QuietHandler, material_result
from tests.conftest import copy_fixture, mkdocs_build

CLOBBER = """---
title: __config
date: 2019-06-01T09:00:00+00:00
source: Fixture Clobber Weekly
---

Tram drivers in the fixture city voted on a new timetable, the union said on Saturday.

The vote followed weeks of talks about late-night services on the harbour line.
"""
MARKER = "planted-script-ran"
# Material's configuration, as a planted entry would write it: the search worker is a script.
PLANTED_CONFIG = {
    "base": ".",
    "features": [],
    "search": f"data:text/javascript,fetch('http://127.0.0.1:1/{MARKER}');postMessage(1)",
    "translations": {},
}
# The article titled __config last: the palette is tried there.
PAGES = ["", "other/", "articles/caracas-blackout-2019-05-20/", "articles/config-2019-06-01/"]


def _plant(project: Path) -> int:
    """Put the planted element in front of every converted page; returns how many."""
    planted = f'<p id="__config" hidden>{json.dumps(PLANTED_CONFIG)}</p>\n'
    count = 0
    with sqlite3.connect(project / ".digest-cache" / CACHE_FILE) as db:
        rows = db.execute("SELECT key, value FROM entries WHERE key LIKE 'page:%'").fetchall()
        for key, value in rows:
            stored = json.loads(value)
            stored["html"] = planted + stored["html"]
            text = json.dumps(stored)
            # A well-formed entry (its checksum matches): only the content check can refuse it.
            checksum = hashlib.sha256(f"{key}\0{text}".encode()).hexdigest()
            db.execute(
                "UPDATE entries SET value = ?, checksum = ? WHERE key = ?", (text, checksum, key)
            )
            count += 1
    return count


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_fixture("browser", tmp_path_factory.mktemp("hostile-browser"))
    (project / "content" / "config-2019-06-01.md").write_text(CLOBBER, encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert _plant(project) > 3
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


@pytest.fixture(scope="module")
def hostile_url(hostile_site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(hostile_site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def hostile_tab(browser: Any, hostile_url: str) -> Iterator[Callable[[], Tab]]:
    contexts = []

    def open_tab() -> Tab:
        context = browser.new_context(viewport=DESKTOP)
        contexts.append(context)
        tab = Tab(context.new_page(), hostile_url)
        # Every request, the workers' too: the planted script would call out to MARKER.
        context.on("request", lambda request: tab.outside_requests.append(request.url))
        tab.page.on(
            "console",
            lambda m: tab.console_errors.append(m.text) if m.type == "error" else None,
        )
        tab.page.on("pageerror", lambda error: tab.console_errors.append(str(error)))
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def test_no_planted_or_clobbering_id_reaches_the_theme(hostile_tab: Callable[[], Tab]) -> None:
    tab = hostile_tab()
    for path in PAGES:
        page = tab.open(path)
        tags = page.evaluate(
            "[...document.querySelectorAll('[id=\"__config\"]')].map(e => e.tagName)"
        )
        assert tags == ["SCRIPT"], f"{path}: elements with id __config: {tags}"
    article = tab.page
    assert article.locator("article h1").first.inner_text().startswith("__config")
    # The palette toggle still works: Material's scripts read their own configuration.
    scheme = article.evaluate("document.body.getAttribute('data-md-color-scheme')")
    article.locator("label[for^='__palette_']:visible").first.click()
    assert article.evaluate("document.body.getAttribute('data-md-color-scheme')") != scheme
    assert tab.console_errors == [], tab.console_errors
    assert not [url for url in tab.outside_requests if MARKER in url]


def test_search_works_and_runs_no_planted_script(hostile_tab: Callable[[], Tab]) -> None:
    tab = hostile_tab()
    page = tab.open("other/")
    # data-digest-summary: newsdigest.js ran on the result, so it read the real configuration.
    material_result(page, "timetable", "config-2019-06-01", timeout=15_000)
    page.wait_for_timeout(500)
    assert not [url for url in tab.outside_requests if MARKER in url]
    assert tab.console_errors == [], tab.console_errors


def test_a_search_from_the_address_runs_no_planted_script(hostile_tab: Callable[[], Tab]) -> None:
    """`?q=` starts a search on load: where the planted worker URL ran script before."""
    tab = hostile_tab()
    page = tab.open("?q=timetable")
    page.locator(".md-search-result__item").first.wait_for(timeout=15_000)
    page.wait_for_timeout(500)
    assert not [url for url in tab.outside_requests if MARKER in url]
    assert tab.console_errors == [], tab.console_errors
