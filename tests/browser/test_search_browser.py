"""Article search through Pagefind in Material's header search box, as a reader meets it.

The site (tests/browser/conftest.py) is built with `search: pagefind` (what the default,
`search: auto`, picks past a few dozen articles): Material's own index holds the navigation's
pages only, and articles come from the Pagefind bundle in pagefind/, fetched in parts per query.
A digest of a few articles keeps Material's own index under `search: auto` (the last test).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from digest.pipeline import build_digest, cached_analysis
from digest.project import load_project
from digest.site import search
from digest.site.output import page_url
from digest.site.paths import article_page_path
from digest.site.search import digest_records
from digest.store.search_shards import ShardCache
from tests.browser.conftest import DESKTOP, PHONE, Tab, material_result, serve
from tests.conftest import copy_fixture, mkdocs_build

HOSTILE_TITLE = "Library extends opening hours <after> a petition & a *vote*"


def _search(tab: Tab, query: str) -> Any:
    page = tab.page
    # Material listens for key presses: "/" focuses the search box, then type as a reader does.
    page.keyboard.press("/")
    page.keyboard.type(query, delay=30)
    # The results of the whole word (an earlier letter's search may still be on its way).
    page.locator(f'.digest-search[data-query="{query}"]').wait_for(state="attached")
    return page.locator(".digest-search .md-search-result__item:not(.digest-search-more)")


def test_a_word_deep_in_an_article_finds_it_with_its_summary(open_tab, site: Path) -> None:
    tab = open_tab()
    requests: list[str] = []
    tab.page.on("request", lambda request: requests.append(request.url))
    page = tab.open("")
    # Before the reader searches, once the page is idle: Pagefind's script and WebAssembly and
    # the newest articles' page list (the same size at any size of archive), as Material loads
    # its index; no part of the word index, no article's text, no older shard.
    # (Pagefind's web worker fetches the WebAssembly: the page's own request events see it.)
    for _ in range(300):
        if [url for url in requests if url.endswith("/pagefind/wasm.en.pagefind")]:
            break
        page.wait_for_timeout(100)
    page.wait_for_load_state("networkidle")
    loaded = {
        url.split("/pagefind/", 1)[1].split("?")[0] for url in requests if "/pagefind/" in url
    }
    assert {n for n in loaded if not n.endswith(".pf_meta")} == {
        "shards.json",
        "pagefind.js",
        "pagefind-worker.js",
        "pagefind-entry.json",
        "wasm.en.pagefind",
    }
    assert len(loaded) == 6
    # "neighbourhoods" is deep in the article's text, not in its headline or summary.
    items = _search(tab, "neighbourhoods")
    item = items.filter(has=page.locator("a[href$='/articles/caracas-blackout-2019-05-20/']"))
    item.first.wait_for()
    assert items.count() == 1
    text = " ".join(item.inner_text().split())
    assert "Caracas goes dark again as Maduro blames sabotage" in text
    summary = item.locator(".digest-search-summary").inner_text()
    assert summary.startswith("Large parts of Caracas lost power")
    assert "neighbourhoods" not in summary
    assert item.locator(".digest-search-meta").inner_text().startswith("2019-05-20 · Fixture Wire")
    assert item.locator(".digest-search-excerpt mark").first.inner_text() == "neighbourhoods"
    assert page.locator(".digest-search > .md-search-result__meta").inner_text() == (
        "1 matching article"
    )
    # The query fetched Pagefind's parts, not a whole index, and not the summaries file.
    assert [url for url in requests if "/pagefind/fragment/" in url]
    assert not [url for url in requests if "newsdigest-summaries.json" in url]
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d for d in index["docs"] if d["location"].startswith("articles/")]
    # The result is a link to the article.
    item.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/articles/caracas-blackout-2019-05-20/")
    tab.assert_clean()


def test_a_word_found_nowhere_says_so(open_tab) -> None:
    tab = open_tab()
    tab.open("")
    _search(tab, "zyxwvutsrq")
    meta = tab.page.locator(".digest-search > .md-search-result__meta")
    meta.wait_for()
    assert meta.inner_text() == "No matching articles"
    tab.assert_clean()


def test_a_hostile_title_and_text_show_literally(open_tab) -> None:
    tab = open_tab()
    page = tab.open("")
    # A word of the headline: the excerpt starts with the headline, tags and all, as text.
    items = _search(tab, "extends")
    item = items.filter(has=page.locator("a[href$='/articles/library-hours-2019-06-03/']"))
    item.first.wait_for()
    assert item.locator("h1").inner_text() == HOSTILE_TITLE
    excerpt = " ".join(item.locator(".digest-search-excerpt").inner_text().split())
    assert excerpt.startswith(HOSTILE_TITLE)
    assert item.locator(".digest-search-excerpt mark").inner_text() == "extends"
    # No element came from the index but Pagefind's <mark>.
    tags = page.evaluate(
        """() => Array.from(document.querySelectorAll('.digest-search article *'))
                      .map(e => e.tagName.toLowerCase())"""
    )
    assert set(tags) <= {"div", "h1", "p", "mark"}, tags
    assert page.title() != "injected"
    assert not [url for url in tab.outside_requests if "tracker.invalid" in url]
    tab.assert_clean()


def test_phone_and_dark_mode_show_results_in_materials_panel(open_tab) -> None:
    for viewport, scheme, name in ((PHONE, "dark", "search-phone-dark"), (DESKTOP, "dark", None)):
        tab = open_tab(viewport, color_scheme=scheme)
        page = tab.open("")
        if viewport is PHONE:
            # On a phone the box opens from the magnifier in the header.
            page.locator("label.md-header__button[for='__search']").click()
            page.keyboard.type("Oslo", delay=30)
            items = page.locator(".digest-search .md-search-result__item")
        else:
            items = _search(tab, "Oslo")
        item = items.filter(has=page.locator("a[href$='/articles/oslo-talks-2019-05-29/']"))
        item.first.wait_for()
        # Within the screen, once Material's panel has slid in (a 250 ms transition).
        page.wait_for_timeout(400)
        box = item.first.bounding_box()
        assert box is not None and box["x"] >= 0
        assert box["x"] + box["width"] <= viewport["width"] + 0.5
        # Material's own panel colours: light text on the dark scheme's background.
        color = page.evaluate(
            "e => getComputedStyle(e).color",
            item.locator("h1").element_handle(),
        )
        red, green, blue = (int(c) for c in color[color.index("(") + 1 : -1].split(",")[:3])
        assert red + green + blue > 3 * 150, color
        if name:
            tab.screenshot(name)
        tab.assert_clean()


def test_the_keyboard_reaches_the_articles(open_tab) -> None:
    """Material's keys work on the article results: arrows move to them, Enter opens one."""
    for keys in (["ArrowDown", "Enter"], ["Enter"]):
        tab = open_tab()
        page = tab.open("")
        items = _search(tab, "neighbourhoods")
        items.first.wait_for()
        for key in keys:
            page.keyboard.press(key)
            if key == "ArrowDown":
                focused = page.evaluate("document.activeElement.getAttribute('href')")
                assert focused.endswith("/articles/caracas-blackout-2019-05-20/")
        page.wait_for_url("**/articles/caracas-blackout-2019-05-20/")
        tab.assert_clean()


@pytest.fixture(scope="module")
def sharded(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The site with its search in shards of a few articles, as a daily rebuild leaves it: the
    bundle written for the articles but the two newest, then again into the same folder with
    all of them (the digest's own cut, with blocks of 1 to 4 articles instead of 256 to 2,048)."""
    project = site.parent
    config = load_project(project / "mkdocs.yml")
    digest = build_digest(config, cached_analysis(config))
    records = digest_records(digest, config, lambda e: page_url(article_page_path(e.article.slug)))
    newest = sorted(records, key=lambda r: datetime.fromisoformat(r.sort["date"]))[-2:]
    root = tmp_path_factory.mktemp("sharded")
    copy, fresh = root / "site", root / "fresh"
    shutil.copytree(site, copy)
    fresh.mkdir()
    sizes = {"base_block": 1, "max_block": 4}
    # Shards are reused when the cache's HMAC (made with the user's key) vouches for them.
    cache = ShardCache(root / "cache", b"k" * 32)
    search.write_pagefind([r for r in records if r not in newest], copy, **sizes, cache=cache)
    bundle = search.write_pagefind(records, copy, **sizes, cache=cache)
    search.write_pagefind(records, fresh, **sizes)
    files = [
        {p.relative_to(f).as_posix(): p.read_bytes() for p in f.rglob("*") if p.is_file()}
        for f in (copy / "pagefind", fresh / "pagefind")
    ]
    assert files[0] == files[1]  # byte for byte an empty folder's build
    return copy, bundle


def test_articles_old_and_new_are_found_across_shards(open_tab, sharded) -> None:
    folder, bundle = sharded
    # 7 articles: blocks of 4 and 2 (the 2 written before, with the newest one after them),
    # then the newest article in the bundle's own index; the 4 oldest were not indexed again.
    assert (bundle.records, bundle.shards, bundle.indexed_shards) == (7, 3, 2)
    assert bundle.reused_records == 4
    listing = json.loads((folder / "pagefind" / "shards.json").read_text(encoding="utf-8"))
    with serve(folder) as base:
        for word, slug, shard in (
            # Deep in the oldest block's third article, and in the newest article.
            ("neighbourhoods", "caracas-blackout-2019-05-20", listing["shards"][0]),
            ("coordinator", "senate-hearing-2019-06-03", None),
        ):
            tab = open_tab(base=base)
            requests: list[str] = []
            tab.page.on("request", lambda request, seen=requests: seen.append(request.url))
            page = tab.open("")
            items = _search(tab, word)
            item = items.filter(has=page.locator(f"a[href$='/articles/{slug}/']"))
            item.first.wait_for()
            assert items.count() == 1
            assert item.locator(".digest-search-summary").inner_text()
            assert item.locator(".digest-search-excerpt mark").first.inner_text() == word
            # Every shard was merged, and Pagefind's script and WebAssembly came once, from
            # pagefind/ (a shard has none).
            for name in listing["shards"]:
                assert [u for u in requests if f"/pagefind/{name}/pagefind-entry.json" in u]
            assert len([u for u in requests if u.endswith(".pagefind")]) == 1
            assert len([u for u in requests if u.endswith("/pagefind-worker.js")]) == 1
            if shard:
                assert [u for u in requests if f"/pagefind/{shard}/fragment/" in u]
            else:
                assert [u for u in requests if "/pagefind/fragment/" in u]
            tab.assert_clean()


def test_topic_and_month_filters_narrow_the_articles(open_tab) -> None:
    tab = open_tab()
    page = tab.open("")
    items = _search(tab, "said")
    items.first.wait_for()
    count = page.locator(".digest-search > .md-search-result__meta")
    topic = page.locator(".digest-search-filters select[name=topic]")
    month = page.locator(".digest-search-filters select[name=month]")
    topic.locator("option[value=Iran]").wait_for(state="attached")
    everything = count.inner_text()
    assert int(everything.split()[0]) >= 4, everything
    # Every topic of the digest, and the months newest first under their year.
    assert topic.locator("option").all_inner_texts() == [
        "All topics",
        "Election interference",
        "Iran",
        "Venezuela",
    ]
    assert month.locator("option").all_inner_texts() == [
        "Any month",
        "June 2019",
        "May 2019",
        "April 2019",
    ]
    topic.select_option("Iran")
    page.wait_for_function(
        "text => document.querySelector('.digest-search > .md-search-result__meta')"
        ".textContent !== text",
        arg=everything,
    )
    lines = page.locator(".digest-search .digest-search-meta").all_inner_texts()
    assert lines and all("Iran" in line for line in lines), lines
    assert len(lines) < int(everything.split()[0])
    # Both: Iran's articles of April 2019, of which there are none.
    month.select_option("2019-04")
    page.wait_for_function(
        "() => document.querySelector('.digest-search > .md-search-result__meta')"
        ".textContent === 'No matching articles'"
    )
    topic.select_option("")
    page.wait_for_function(
        "() => document.querySelectorAll('.digest-search .digest-search-meta').length > 0"
    )
    lines = page.locator(".digest-search .digest-search-meta").all_inner_texts()
    assert lines and all(line.startswith("2019-04-") for line in lines), lines
    tab.screenshot("search-filters-desktop", max_height=800)
    tab.assert_clean()


# Front matter is article data: the card under a result shows it as text, never as markup.
CARD_SOURCE = "<img src=x onerror=\"fetch('http://127.0.0.1:1/card-script-ran')\"> Wire & Co"
CARD_ARTICLE = f"""---
title: Quarry reopens after a year of talks
date: 2019-05-21T08:00:00+00:00
source: {json.dumps(CARD_SOURCE)}
---

The quarry outside the fixture town reopened on Tuesday after a year of talks with residents.

Its owners agreed to limit blasting to weekday mornings and to pave the access road.

Residents said the quarrystone trucks would still pass the school twice a day.
"""


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The browser fixture under the default, `search: auto`: its few articles (5 KB) stay in
    Material's own index, the quicker of the two at that size."""
    project = copy_fixture("browser", tmp_path_factory.mktemp("auto-site"))
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "      search: pagefind\n" in text
    config.write_text(text.replace("      search: pagefind\n", ""), encoding="utf-8")
    (project / "content" / "quarry-2019-05-21.md").write_text(CARD_ARTICLE, encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert "search: auto: articles searched through the theme's own index" in result.stderr
    assert not (project / "site" / "pagefind").exists()
    with serve(project / "site") as url:
        yield url


def test_a_small_digest_keeps_materials_search_with_summaries(open_tab, small_site: str) -> None:
    tab = open_tab(base=small_site)
    requests: list[str] = []
    tab.page.on("request", lambda request: requests.append(request.url))
    page = tab.open("")
    assert page.locator("meta[name=newsdigest-search]").count() == 0
    item = material_result(page, "neighbourhoods", "caracas-blackout-2019-05-20")
    # Material's excerpt shows where the word matched; the digest's summary goes under it.
    assert item.first.locator("mark", has_text="neighbourhoods").count() >= 1
    summary = " ".join(item.first.locator(".digest-search-summary").inner_text().split())
    assert summary.startswith("Large parts of Caracas lost power")
    # Date, source and topics, as a Pagefind result shows them.
    line = item.first.locator(".digest-search-meta").inner_text()
    assert line == "2019-05-20 · Fixture Wire · Venezuela"
    assert not [url for url in requests if "/pagefind/" in url]
    tab.screenshot("search-small-digest-desktop", max_height=800)
    tab.assert_clean()


def test_a_hostile_source_shows_literally_in_materials_results(open_tab, small_site: str) -> None:
    tab = open_tab(base=small_site)
    page = tab.open("")
    item = material_result(page, "quarrystone", "quarry-2019-05-21")
    line = item.first.locator(".digest-search-meta").inner_text()
    assert line == f"2019-05-21 · {CARD_SOURCE}"
    assert item.first.locator("img").count() == 0
    page.wait_for_timeout(300)
    tab.assert_clean()  # the planted fetch would be a request leaving 127.0.0.1's site


def test_a_word_typed_at_full_speed_runs_a_few_searches_not_one_per_letter(open_tab) -> None:
    tab = open_tab()
    # Pagefind searches in its web worker: each search is a message to it, counted here, and
    # held back 0.8 s as a slow search on a slow device would be, so that the word is typed
    # faster than a search runs however busy the machine running the test is.
    tab.page.add_init_script(
        """(() => {
          const send = Worker.prototype.postMessage;
          window.digestSearches = [];
          Worker.prototype.postMessage = function (message, ...rest) {
            if (message && message.method === "search") {
              window.digestSearches.push(message.args[0]);
              setTimeout(() => send.call(this, message, ...rest), 800);
              return;
            }
            return send.call(this, message, ...rest);
          };
        })();"""
    )
    page = tab.open("")
    page.keyboard.press("/")
    page.keyboard.type("neighbourhoods")  # no delay: keys as fast as they come
    page.locator('.digest-search[data-query="neighbourhoods"]').wait_for(state="attached")
    searched = [query for query in page.evaluate("window.digestSearches") if query]
    # Each letter's search ran to its end before: 14 of them, the word's last.
    assert searched[-1] == "neighbourhoods"
    assert len(searched) <= 5, searched
    tab.assert_clean()
