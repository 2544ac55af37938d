"""The digest built by Zensical (`digest build --engine zensical`), as a reader meets it in
Chromium: search finds an article by a word deep in its text, topic and article pages render,
what's new shows, hostile text runs nothing, and no page logs a console error.

The same fixture and the same two builds as the MkDocs site (conftest.site); `base_url` is
overridden here so every tab opens the Zensical site. Zensical's search is its own dialog (in a
shadow root, which Playwright's CSS locators pierce), not Material's.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from digest.cli import cli
from tests.browser.conftest import PHONE, _QuietHandler, build_twice, serve
from tests.browser.test_reader import EVERY_PAGE, SUMMARY_STARTS, _texts
from tests.conftest import copy_fixture


def _zensical_build(project: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["build", "--strict", "--engine", "zensical", "-f", str(project / "mkdocs.yml")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("zensical") is None:
        pytest.skip("zensical is not installed (pip install -e '.[zensical]')")
    project = copy_fixture("browser", tmp_path_factory.mktemp("zensical-site"))
    build_twice(project, _zensical_build)
    return project / "site"


@pytest.fixture(scope="module")
def base_url(zensical_site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(zensical_site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _headings(page, selector: str) -> list[str]:
    # Zensical turns on permalinks by default: each heading ends with its visible "¶" anchor.
    return [text.removesuffix("¶").strip() for text in _texts(page, selector)]


def _search(page, query: str):
    """Open Zensical's search dialog, type as a reader does, return the result links."""
    # The search button on a wide screen, the magnifier icon on a phone.
    page.locator(".md-search__button:visible, label[for='__search']:visible").first.click()
    box = page.locator("dialog input[role=combobox]")
    box.click()
    page.keyboard.type(query, delay=30)
    # The articles of the whole word (an earlier letter's search may still be on its way).
    page.locator(f'dialog .digest-search[data-query="{query}"]').wait_for(state="attached")
    return page.locator("dialog ol[role=listbox] a[role=option]")


def _articles(page):
    """The articles found through Pagefind, in newsdigest.js's block of Zensical's dialog."""
    return page.locator("dialog .digest-search ol > li > a")


def test_search_finds_an_article_by_a_word_deep_in_its_text(open_tab) -> None:
    tab = open_tab()
    requests: list[str] = []
    tab.page.on("request", lambda request: requests.append(request.url))
    page = tab.open("")
    # "neighbourhoods" is in the article's last paragraph, outside its summary.
    _search(page, "neighbourhoods")
    articles = _articles(page)
    article = articles.filter(
        has=page.locator("xpath=self::*[contains(@href, 'caracas-blackout')]")
    )
    article.first.wait_for()
    assert articles.count() == 1
    assert page.locator("dialog .digest-search > .f").inner_text() == "1 matching article"
    assert article.locator("h2").inner_text() == "Caracas goes dark again as Maduro blames sabotage"
    summary = " ".join(article.locator(".digest-search-summary").inner_text().split())
    assert summary.startswith(SUMMARY_STARTS["caracas-blackout-2019-05-20"])
    assert "neighbourhoods" not in summary
    assert (
        article.locator(".digest-search-meta").inner_text().startswith("2019-05-20 · Fixture Wire")
    )
    assert article.locator("mark").inner_text() == "neighbourhoods"
    # Found through the Pagefind bundle: Zensical's own index has no article page any more (it
    # holds the pages it still searches), and its "No results" for them is not shown.
    assert [url for url in requests if "/pagefind/fragment/" in url]
    assert page.locator("dialog a[role=option]").count() == 0
    assert not page.locator("dialog [role=status]").is_visible()
    # The topic filter narrows the articles: this one is not about Iran.
    topic = page.locator("dialog .digest-search-filters select[name=topic]")
    topic.locator("option[value=Iran]").wait_for(state="attached")
    topic.select_option("Iran")
    page.locator("dialog .digest-search > .f", has_text="No matching articles").wait_for()
    assert _articles(page).count() == 0
    topic.select_option("")
    article.first.wait_for()
    article.first.click()
    page.wait_for_load_state("networkidle")
    assert urlsplit(page.url).path.endswith("/articles/caracas-blackout-2019-05-20/")
    tab.assert_clean()


def test_zensicals_index_holds_no_article_but_its_pages_are_still_found(
    open_tab, zensical_site: Path
) -> None:
    index = json.loads((zensical_site / "search.json").read_text(encoding="utf-8"))
    pages = {item["location"].split("#")[0] for item in index["items"]}
    assert "" in pages and "topics/venezuela/" in pages
    assert not [p for p in pages if p.startswith(("articles/", "archive/2"))]
    tab = open_tab()
    page = tab.open("")
    results = _search(page, "Oslo")
    article = _articles(page).filter(has=page.locator("xpath=self::*[contains(@href, 'oslo')]"))
    summary = article.first.locator(".digest-search-summary")
    summary.wait_for()
    assert " ".join(summary.inner_text().split()).startswith(
        SUMMARY_STARTS["oslo-talks-2019-05-29"]
    )
    # Zensical's own results, below: the topic page's for the same story, without a summary.
    topic = results.filter(has=page.locator("xpath=self::*[contains(@href, 'topics/venezuela')]"))
    topic.first.wait_for()
    assert topic.first.locator(".digest-search-summary").count() == 0
    tab.screenshot("search-zensical-desktop", max_height=800)
    tab.assert_clean()


def test_home_topic_and_article_pages_render(open_tab) -> None:
    tab = open_tab()
    page = tab.open("")
    assert _headings(page, "article h2")[:5] == [
        "What's new since the last build",
        "Venezuela",
        "Iran",
        "Election interference",
        "Other",
    ]
    assert _texts(page, "article h2:has-text('new since') + p + ul > li") == [
        "NEW Senators press officials on election meddling ahead of 2020 · 3 June 2019",
        "UPDATED Caracas goes dark again as Maduro blames sabotage · 20 May 2019",
        "REMOVED Port strike called off before it began",
    ]
    page.locator("a[href$='topics/venezuela/']:visible").first.click()
    page.wait_for_load_state("networkidle")
    assert _headings(page, "article h1") == ["Venezuela"]
    assert _headings(page, "article h2") == ["29 May 2019", "20 May 2019", "14 May 2019"]
    page.locator("article h3 a", has_text="Caracas goes dark").click()
    page.wait_for_load_state("networkidle")
    lead = page.locator("article h1 + p")
    assert "digest-summary" in (lead.get_attribute("class") or "")
    marks = _texts(page, "article mark.digest-pick")
    assert marks and " ".join(lead.inner_text().split()).endswith(" ".join(marks))
    # The reader's stylesheet applies: the summary is styled, not a plain paragraph.
    assert page.locator("link[href$='assets/newsdigest.css']").count() == 1
    tab.assert_clean()


def test_hostile_text_runs_nothing(open_tab) -> None:
    tab = open_tab()
    page = tab.open("articles/library-hours-2019-06-03/")
    heading = _headings(page, "article h1")[0]
    assert heading.startswith("Library extends opening hours <after> a petition & a *vote*")
    assert page.title().startswith("Library extends opening hours <after>")
    assert page.locator("article script, article img, article b").count() == 0
    assert not [url for url in tab.outside_requests if "tracker.invalid" in url]


def test_no_console_error_and_no_request_leaves_the_machine(open_tab) -> None:
    for viewport in (None, PHONE):
        tab = open_tab(viewport) if viewport else open_tab()
        for path in [*EVERY_PAGE, "subscribe/"]:
            tab.open(path)
        results = _search(tab.page, "Maduro")
        results.first.wait_for()
        assert sorted(set(tab.outside_requests)) == []
        assert tab.console_errors == [], sorted(set(tab.console_errors))


@pytest.fixture(scope="module")
def small_zensical_site(zensical_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture built by Zensical under the default, `search: auto`: its few articles stay
    in Zensical's own index (zensical_site first: it skips when Zensical is missing)."""
    project = copy_fixture("browser", tmp_path_factory.mktemp("zensical-auto"))
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "      search: pagefind\n" in text
    config.write_text(text.replace("      search: pagefind\n", ""), encoding="utf-8")
    _zensical_build(project)
    return project / "site"


def test_a_small_digest_keeps_zensicals_search_with_summaries(
    open_tab, small_zensical_site: Path
) -> None:
    assert not (small_zensical_site / "pagefind").exists()
    index = json.loads((small_zensical_site / "search.json").read_text(encoding="utf-8"))
    assert any(item["location"].startswith("articles/") for item in index["items"])
    with serve(small_zensical_site) as url:
        tab = open_tab(base=url)
        requests: list[str] = []
        tab.page.on("request", lambda request: requests.append(request.url))
        page = tab.open("")
        page.locator(".md-search__button:visible").first.click()
        page.locator("dialog input[role=combobox]").click()
        page.keyboard.type("neighbourhoods", delay=30)
        result = page.locator(
            "dialog a[role=option][data-digest-summary][href*='articles/caracas-blackout']"
        )
        summary = result.first.locator(".digest-search-summary")
        summary.wait_for()
        assert " ".join(summary.inner_text().split()).startswith(
            SUMMARY_STARTS["caracas-blackout-2019-05-20"]
        )
        line = result.first.locator(".digest-search-meta").inner_text()
        assert line == "2019-05-20 · Fixture Wire · Venezuela"
        assert not [url for url in requests if "/pagefind/" in url]
        tab.assert_clean()
