"""Build the fixture site with `mkdocs build --strict` and check what a reader would see."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests import pagefind
from tests.conftest import copy_fixture, mkdocs_build

VENEZUELA_ARTICLE = """---
title: Venezuela's opposition calls for new protests in Caracas
date: 2019-05-01
source: Example Wire
topics: []
---

CARACAS, Venezuela — Venezuela's opposition leader Juan Guaido called on supporters to march
again in Caracas on Wednesday, a day after a failed attempt to win over the armed forces.

Guaido told a crowd that the pressure on President Nicolas Maduro would continue until new
elections are held. Maduro said the armed forces remained loyal and accused the opposition of
staging a coup with the support of Washington.

Oil workers joined the call for a general strike, the union said, as shortages of food and
medicine deepened across the country.
"""


class _Page(HTMLParser):
    """Collects what a reader sees: text in <article>, links, nav labels, the <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.title = ""
        self.text: list[str] = []
        self.nav: list[str] = []
        self._navs: list[str] = []  # classes of the <nav> elements we are inside
        self._in_title = False
        self._in_article = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"] or "")
        if tag == "title":
            self._in_title = True
        if tag == "article":
            self._in_article += 1
        if tag == "nav":
            self._navs.append(attributes.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "article":
            self._in_article -= 1
        if tag == "nav" and self._navs:
            self._navs.pop()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_article:
            self.text.append(data)
        in_site_nav = any("md-nav--primary" in c for c in self._navs)
        in_toc = any("md-nav--secondary" in c for c in self._navs)
        if in_site_nav and not in_toc and data.strip():
            self.nav.append(data.strip())

    @property
    def article_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def read_page(site: Path, path: str) -> _Page:
    parser = _Page()
    parser.feed((site / path).read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_fixture("basic", tmp_path_factory.mktemp("site"))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    return project / "site"


def test_every_page_is_built(built: Path) -> None:
    for path in (
        "index.html",
        "topics/venezuela/index.html",
        "topics/iran/index.html",
        "topics/election-interference/index.html",
        "other/index.html",
        "archive/index.html",
        "archive/2019-05/index.html",
        "articles/sochi-2019-05-14/index.html",
        "articles/harbour-strike-2019-05-20/index.html",
    ):
        assert (built / path).is_file(), path


def test_nav_holds_topics_not_articles(built: Path) -> None:
    page = read_page(built, "index.html")
    assert {"Home", "Venezuela", "Iran", "Election interference", "Other", "Archive"} <= set(
        page.nav
    )
    assert "US, Russia desire stronger relations" not in page.nav
    assert "Dock workers end strike at the port of Hamburg" not in page.nav


def test_topic_pages_hold_the_seed_with_a_topic_summary(built: Path) -> None:
    venezuela = read_page(built, "topics/venezuela/index.html").article_text
    assert "US, Russia desire stronger relations" in venezuela
    assert "Maduro" in venezuela or "Guaido" in venezuela
    iran = read_page(built, "topics/iran/index.html").article_text
    assert "Iran" in iran and "Maduro" not in iran
    election = read_page(built, "topics/election-interference/index.html").article_text
    assert "Mueller" in election or "meddling" in election
    assert "Maduro" not in election


def test_article_without_topic_is_on_other_page(built: Path) -> None:
    other = read_page(built, "other/index.html")
    assert "Dock workers end strike at the port of Hamburg" in other.article_text
    assert any(link.endswith("articles/harbour-strike-2019-05-20/") for link in other.links)


def test_article_page_shows_metadata_and_original_link(built: Path) -> None:
    page = read_page(built, "articles/harbour-strike-2019-05-20/index.html")
    assert "Dock workers end strike" in page.title
    assert "Example Wire" in page.article_text
    assert "Jana Example" in page.article_text
    assert "20 May 2019" in page.article_text
    assert "https://wire.example.com/2019/05/20/hamburg-strike" in page.links
    # The dateline is shown apart from the body, not swallowed or repeated.
    assert "HAMBURG, Germany" in page.article_text


def test_search_index_holds_summaries_and_text(built: Path) -> None:
    # A digest of a few articles (`search: auto`, the default) keeps Material's own index, as
    # the quicker of the two at that size: every article page's text is in it, no Pagefind.
    assert not (built / "pagefind").exists()
    text = pagefind.material_text(built)
    assert "overtime pay" in text
    assert "Black Sea resort of Sochi" in text
    html = (built / "index.html").read_text(encoding="utf-8")
    assert "newsdigest-search" not in html


def test_new_article_lands_on_its_topic_page(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    (project / "content" / "caracas-protests.md").write_text(VENEZUELA_ARTICLE, encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    venezuela = read_page(site, "topics/venezuela/index.html").article_text
    assert "opposition calls for new protests in Caracas" in venezuela
    assert (
        "opposition calls for new protests"
        not in read_page(site, "topics/iran/index.html").article_text
    )
    assert "general strike" in pagefind.material_text(site)


def test_bad_article_warns_and_strict_fails_but_rest_builds(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    (project / "content" / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n")
    strict = mkdocs_build(project, strict=True)
    assert strict.returncode != 0
    assert "broken.md" in strict.stderr
    lenient = mkdocs_build(project, strict=False)
    assert lenient.returncode == 0
    assert "broken.md" in lenient.stderr and "YAML" in lenient.stderr
    assert (project / "site" / "articles" / "sochi-2019-05-14" / "index.html").is_file()


def test_missing_content_folder_is_a_clear_error(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    config["plugins"][1]["digest"]["content_dir"] = "no-such-folder"
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config))
    result = mkdocs_build(project)
    assert result.returncode != 0
    assert "no-such-folder" in result.stderr and "does not exist" in result.stderr
