"""Converted pages kept between builds: the same bytes as converting, and never trusted."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from digest.analysis import parallel
from digest.store.cache import CACHE_FILE
from digest.store.page_cache import RenderedPage, TocEntry, decode_page, encode_page, is_plain_html
from tests.conftest import copy_fixture, mkdocs_build
from tests.safety import SiteChecker

# What Python-Markdown and the packaged templates make of an article page.
ARTICLE_HTML = (
    '<h1 id="a-title">A &amp; B &lt;script&gt;</h1>\n'
    '<p class="digest-summary">Summary with &quot;quotes&quot; &#39;single&#39;.</p>\n'
    '<p><small class="digest-meta">14 May 2019 · <a href="https://apnews.com/x?a=1&amp;b=2">'
    "AP</a></small></p>\n"
    '<ul>\n<li><a href="../../topics/iran/">Iran</a>: 20% of the article</li>\n</ul>\n'
    '<small class="digest-legend" data-search-exclude><mark>Highlighted</mark></small>\n'
    '<div class="digest-text">\n<p><strong>SOCHI</strong> — <mark class="digest-pick">'
    'It said 3 &lt; 4.</mark></p>\n</div>\n<p><img alt="x" src="../img.png" /><br /></p>'
)


def test_article_page_html_counts_as_plain() -> None:
    assert is_plain_html(ARTICLE_HTML)
    assert is_plain_html("No markup at all & nothing else")


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<SCRIPT src='https://evil.example/x.js'></SCRIPT>",
        '<p onclick="alert(1)">x</p>',
        '<p OnMouseOver="alert(1)">x</p>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JavaScript:alert(1)">x</a>',
        '<a href="java\tscript:alert(1)">x</a>',
        '<a href="jav&#x61;script:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<img src="vbscript:msgbox(1)">',
        '<a href="x>" onclick="alert(1)">x</a>',
        "<a href=javascript:alert(1)>x</a>",
        '<p style="position:fixed;top:0">x</p>',
        "<iframe src='https://example.org'></iframe>",
        "<svg onload=alert(1)>",
        "<!-- <script>alert(1)</script> -->",
        "<![CDATA[x]]>",
        # Material reads its settings from the first id="__config" (DOM clobbering).
        '<p id="__config" hidden>{"base": ".", "search": "data:text/javascript,1"}</p>',
        "<p id='__search'>x</p>",
        '<p id="&#95;_config">x</p>',
        "<h2 id=_x>x</h2>",
        '<div data-md-component="search">x</div>',
        '<div class="digest-text md-search__form">x</div>',
        # A planted image would make every reader's browser call another host.
        '<img alt="" src="https://tracker.invalid/pixel.gif">',
        '<img alt="" src="//tracker.invalid/pixel.gif">',
        "a < b",
        "<p",
        "<form action='https://evil.example'><input name=p></form>",
        "<object data='x.swf'></object>",
        "<meta http-equiv='refresh' content='0;url=https://evil.example'>",
        "<base href='https://evil.example/'>",
        "<style>body{display:none}</style>",
        # \xa0 is not whitespace to HTML: the browser reads `\xa0"x` as an unquoted value,
        # and the onerror after it as a live attribute.
        '<img alt=\xa0"x onerror=alert(1) " src="y.png">',
        '<img alt="x"\x0bonerror="alert(1)">',
        '<img/onerror="alert(1)" src="y.png">',
    ],
)
def test_markup_an_article_page_never_has_is_refused(html: str) -> None:
    assert not is_plain_html(html)


def page(html: str = ARTICLE_HTML) -> RenderedPage:
    return RenderedPage(
        html=html,
        toc=(TocEntry("A &amp; B", "a-title", 1, (TocEntry("Sub", "sub", 2),)),),
        anchors=("a-title", "sub"),
        heading="A &amp; B",
    )


def test_pages_round_trip_exactly() -> None:
    assert decode_page(encode_page(page())) == page()


@pytest.mark.parametrize(
    "text",
    [
        encode_page(page(ARTICLE_HTML + "<script>alert(1)</script>")),
        json.dumps(
            {
                "html": "<p>x</p>",
                "toc": [["<img src=x onerror=alert(1)>", "a", 1, []]],
                "anchors": [],
                "heading": None,
            }
        ),
        json.dumps({"html": "<p>x</p>", "toc": [], "anchors": [], "heading": "<script>"}),
        # The theme prints a heading id into href="#..." as it is.
        json.dumps(
            {
                "html": "<p>x</p>",
                "toc": [["T", 'x"><img src=x onerror=alert(1)>', 2, []]],
                "anchors": [],
                "heading": None,
            }
        ),
        json.dumps({"html": "<p>x</p>", "toc": [], "anchors": ['a" onclick="x'], "heading": None}),
        json.dumps({"html": "<p>x</p>", "toc": [], "anchors": ["__config"], "heading": None}),
        json.dumps(
            {"html": "<p>x</p>", "toc": [["T", "__config", 2, []]], "anchors": [], "heading": None}
        ),
        json.dumps({"html": 3, "toc": [], "anchors": [], "heading": None}),
        json.dumps({"html": "<p>x</p>", "toc": "no", "anchors": [], "heading": None}),
        json.dumps({"html": "<p>x</p>"}),
        "not json",
        json.dumps([1, 2]),
    ],
)
def test_stored_pages_that_are_not_plain_article_html_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        decode_page(text)


# -- whole builds ------------------------------------------------------------------------------


def site_files(project: Path) -> dict[str, bytes]:
    site = project / "site"
    return {
        str(path.relative_to(site)): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file()
    }


def set_plugin_option(project: Path, name: str, value: object) -> None:
    config_path = project / "mkdocs.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "digest" in plugin:
            plugin["digest"][name] = value
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def cached(result: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    """(pages from the cache, generated pages) from the plugin's log line."""
    found = re.search(r"(\d+) of (\d+) generated pages? from the cache", result.stderr)
    assert found is not None, result.stderr
    return int(found.group(1)), int(found.group(2))


def page_entries(project: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(project / ".digest-cache" / CACHE_FILE) as db:
        return db.execute("SELECT key, value FROM entries WHERE key LIKE 'page:%'").fetchall()


def test_a_rebuild_serves_every_article_page_from_the_cache_with_the_same_bytes(
    tmp_path: Path,
) -> None:
    project = copy_fixture("basic", tmp_path)
    first = mkdocs_build(project)
    assert first.returncode == 0, first.stderr
    hits, pages = cached(first)
    assert hits == 0 and pages > 2  # two articles, topic pages, home, archive...
    converted = site_files(project)
    second = mkdocs_build(project)
    assert second.returncode == 0, second.stderr
    assert cached(second) == (pages, pages)
    assert site_files(project) == converted

    # And the same bytes as a build that never uses the page cache.
    plain = copy_fixture("basic", tmp_path / "plain")
    set_plugin_option(plain, "page_cache", False)
    result = mkdocs_build(plain)
    assert result.returncode == 0, result.stderr
    assert "generated page" not in result.stderr
    assert site_files(plain) == converted


# A build in a process of its own (a test run may leave threads about, and no worker is forked
# beside a thread), with pages converted ahead from one page on, counting the pages taken.
_AHEAD_BUILD = """
from digest.analysis import parallel
from digest.mkdocs.plugin import build_site
from digest.store.page_plan import PageCache

parallel.MAP_SERIAL_BELOW = 1
take = PageCache.converted_ahead
taken = []
def counted(self, src):
    found = take(self, src)
    taken.append(found is not None)
    return found
PageCache.converted_ahead = counted
build_site("mkdocs.yml", strict=True)
print(len(taken), sum(taken))
"""


@pytest.mark.skipif(parallel.worker_count() < 2, reason="one core: no workers start")
def test_pages_converted_ahead_in_workers_are_the_bytes_mkdocs_converts(tmp_path: Path) -> None:
    # A cold build of 512 pages or more converts them in worker processes ahead of MkDocs
    # (here from one page on): the same bytes as MkDocs converting each itself, stored alike.
    plain = copy_fixture("basic", tmp_path / "plain")
    set_plugin_option(plain, "page_cache", False)
    assert mkdocs_build(plain).returncode == 0
    project = copy_fixture("basic", tmp_path)
    ahead = subprocess.run(
        [sys.executable, "-c", _AHEAD_BUILD], cwd=project, capture_output=True, text=True
    )
    assert ahead.returncode == 0, ahead.stderr
    asked, taken = map(int, ahead.stdout.split())
    assert asked > 2 and taken == asked
    assert site_files(project) == site_files(plain)
    again = mkdocs_build(project)
    assert cached(again) == (asked, asked)


def test_editing_an_article_converts_the_pages_it_is_on_only(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    _, pages = cached(mkdocs_build(project))
    story = project / "content" / "harbour-strike-2019-05-20.md"
    story.write_text(
        story.read_text(encoding="utf-8") + "\nDockers voted on a new offer late on Friday.\n",
        encoding="utf-8",
    )
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    hits, _ = cached(result)
    # Its own page, and the pages listing it with its summary, are converted again.
    assert 0 < hits < pages
    html = next((project / "site" / "articles").glob("harbour-strike*/index.html"))
    assert "Dockers voted on a new offer" in html.read_text(encoding="utf-8")


def test_a_changed_markdown_setup_converts_every_page_again(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    assert mkdocs_build(project).returncode == 0
    config_path = project / "mkdocs.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["markdown_extensions"] = [{"toc": {"permalink": True}}]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert cached(result)[0] == 0
    html = next((project / "site" / "articles").glob("sochi*/index.html"))
    assert 'class="headerlink"' in html.read_text(encoding="utf-8")


def test_a_planted_page_is_converted_again_not_shown(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    assert mkdocs_build(project).returncode == 0
    clean = site_files(project)
    cache_file = project / ".digest-cache" / CACHE_FILE
    entries = page_entries(project)
    assert len(entries) > 2
    with sqlite3.connect(cache_file) as db:
        for key, value in entries:
            stored = json.loads(value)
            stored["html"] += '<img src="x" onerror="alert(1)"><script>alert(1)</script>'
            planted = json.dumps(stored)
            # A well-formed entry: the checksum matches, so only the content check stops it.
            checksum = hashlib.sha256(f"{key}\0{planted}".encode()).hexdigest()
            db.execute(
                "UPDATE entries SET value = ?, checksum = ? WHERE key = ?", (planted, checksum, key)
            )
    # Without the site folder no page is kept as written: every one comes through the cache.
    shutil.rmtree(project / "site")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert cached(result)[0] == 0
    assert SiteChecker(project / "site").problems() == {}
    assert site_files(project) == clean


@pytest.mark.parametrize(
    "broken_link",
    [
        "[Corrections](../../corrections.md)",
        "[Corrections][fixes]\n\n[fixes]: ../../corrections.md",
        "[Corrections](<../../corrections and fixes.md>)",
    ],
)
def test_a_page_whose_conversion_warns_warns_on_every_build(
    tmp_path: Path, broken_link: str
) -> None:
    project = copy_fixture("basic", tmp_path)
    templates = project / "site_templates"
    templates.mkdir()
    packaged = Path(__file__).resolve().parents[1] / "site_templates" / "article.md.j2"
    (templates / "article.md.j2").write_text(
        packaged.read_text(encoding="utf-8") + f"\n{broken_link}\n", encoding="utf-8"
    )
    for attempt in range(2):
        result = mkdocs_build(project, strict=False)
        assert result.returncode == 0, result.stderr
        assert "corrections" in result.stderr, f"build {attempt + 1} did not warn"
        hits, pages = cached(result)
        assert hits == (0 if attempt == 0 else pages - 2)  # never the two article pages
    assert mkdocs_build(project).returncode != 0  # --strict still fails on it


def test_a_quiet_build_keeps_no_page_whose_warnings_it_could_not_see(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    templates = project / "site_templates"
    templates.mkdir()
    packaged = Path(__file__).resolve().parents[1] / "site_templates" / "article.md.j2"
    (templates / "article.md.j2").write_text(
        packaged.read_text(encoding="utf-8") + "\n[Corrections](../../corrections.md)\n",
        encoding="utf-8",
    )
    quiet = mkdocs_build(project, strict=False, args=["-q"])
    assert quiet.returncode == 0, quiet.stderr
    strict = mkdocs_build(project)
    assert strict.returncode != 0
    assert "corrections.md" in strict.stderr


def test_extensions_that_read_files_into_pages_turn_the_page_cache_off(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    config_path = project / "mkdocs.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["markdown_extensions"] = ["pymdownx.snippets"]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for _ in range(2):
        result = mkdocs_build(project)
        assert result.returncode == 0, result.stderr
        assert "page cache off: pymdownx.snippets reads files into pages" in result.stderr
        assert "generated page" not in result.stderr


def add_hook(project: Path, source: str) -> None:
    """Add an MkDocs hook (a plugin in a file) that counts builds in builds.txt."""
    counter = (
        "from pathlib import Path\n"
        "COUNTER = Path(__file__).parent / 'builds.txt'\n"
        "def on_pre_build(config):\n"
        "    n = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1\n"
        "    COUNTER.write_text(str(n))\n"
    )
    (project / "hooks.py").write_text(counter + source, encoding="utf-8")
    config_path = project / "mkdocs.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["hooks"] = ["hooks.py"]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def test_a_plugin_running_after_the_cache_still_has_its_change_shown(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    add_hook(
        project,
        "from mkdocs.plugins import event_priority\n"
        "@event_priority(-200)\n"
        "def on_page_markdown(markdown, page, config, files):\n"
        "    return markdown + '\\n\\nLate stamp ' + COUNTER.read_text() + '.\\n'\n",
    )
    for build in (1, 2):
        result = mkdocs_build(project)
        assert result.returncode == 0, result.stderr
        for html in (project / "site" / "articles").glob("*/index.html"):
            assert f"Late stamp {build}." in html.read_text(encoding="utf-8")
    # What the late plugin made was never kept under the key of the Markdown before it.
    assert not any("Late stamp" in value for _, value in page_entries(project))


def test_a_page_another_plugin_rewrites_is_converted_as_rewritten(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    # This one stamps a build number into article pages.
    add_hook(
        project,
        "def on_page_markdown(markdown, page, config, files):\n"
        "    if not page.file.src_uri.startswith('articles/'):\n"
        "        return markdown\n"
        "    return markdown + '\\n\\nStamped by build ' + COUNTER.read_text() + '.\\n'\n",
    )
    for build in (1, 2):
        result = mkdocs_build(project)
        assert result.returncode == 0, result.stderr
        hits, pages = cached(result)
        assert hits == (0 if build == 1 else pages - 2)  # never the two article pages
        for html in (project / "site" / "articles").glob("*/index.html"):
            assert f"Stamped by build {build}." in html.read_text(encoding="utf-8")
    assert not any("Stamped" in value for _, value in page_entries(project))


def test_converted_pages_unused_since_yesterday_are_dropped_but_summaries_kept(
    tmp_path: Path,
) -> None:
    from digest.store.cache import SummaryCache

    with SummaryCache(tmp_path) as cache:
        cache.put_many([("page:old", "<p>old</p>"), ("page:current", "<p>now</p>")])
        cache.put_many([("summary-entry", "{}")])
    # Three days pass without a build using the old page or the summary.
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        db.execute("UPDATE entries SET used = used - 3 WHERE key != 'page:current'")
    with SummaryCache(tmp_path) as cache:
        cache.put_many([("page:new", "<p>new</p>")], ["page:current"], churn="page:")
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        keys = {key for (key,) in db.execute("SELECT key FROM entries")}
    assert keys == {"page:current", "page:new", "summary-entry"}


def test_converted_pages_are_written_a_part_at_a_time_during_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A build does not hold every converted page until it ends (gigabytes at 100,000
    # articles): they reach the cache a part at a time, and the next build finds them all.
    from digest.store import page_cache
    from digest.store.page_cache import PageStore, RenderedPage

    monkeypatch.setattr(page_cache, "FLUSH_PAGES", 3)
    store = PageStore(tmp_path, use_memory=False)
    pages = {f"key-{n}": RenderedPage(f"<p>page {n}</p>", (), (), None) for n in range(7)}
    for key, page in pages.items():
        store.put(key, page)
        assert len(store._new) < 3
    store.save()
    again = PageStore(tmp_path, use_memory=False)
    again.load(pages)
    assert {key: again.get(key) for key in pages} == pages


def test_stored_pages_are_read_a_part_at_a_time_when_asked_and_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.store import page_cache
    from digest.store.cache import SummaryCache

    count = 1_200
    writer = page_cache.PageStore(tmp_path, use_memory=False)
    keys = [f"page:{i:05d}" for i in range(count)]
    for i, key in enumerate(keys):
        writer.put(key, RenderedPage(f"<p>page {i}</p>", (), (), None))
    writer.save()
    reads: list[int] = []
    read_values = SummaryCache.get_many

    def counted(self: SummaryCache, keys: list[str], *args: object, **kwargs: object) -> object:
        reads.append(len(keys))
        return read_values(self, keys, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SummaryCache, "get_many", counted)
    store = page_cache.PageStore(tmp_path, use_memory=False)
    store.load([*keys, "page:missing"])
    assert reads == []  # only which keys are there
    assert store.has(keys[0]) and not store.has("page:missing")
    pages = [store.get(key) for key in keys]
    assert [p.html if p else None for p in pages] == [f"<p>page {i}</p>" for i in range(count)]
    assert reads and max(reads) <= page_cache.FETCH_PAGES and sum(reads) == count
    assert store.get(keys[0]) is None  # handed over once, not held to the end of the build
    assert store.get("page:missing") is None
    assert store.hits == count
