"""The same project built by MkDocs, ProperDocs and Zensical: same pages, same feeds, search.

ProperDocs and Zensical come with the `properdocs` and `zensical` extras (CI installs both);
without one, its tests skip and say so.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from digest.cli import cli
from tests.conftest import REPO, copy_fixture, mkdocs_build


def _compare_sites() -> ModuleType:
    """.ci/compare_sites.py, the check CI runs on the shipped site, as a module."""
    spec = importlib.util.spec_from_file_location(
        "compare_sites", REPO / ".ci" / "compare_sites.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare_sites = _compare_sites()


def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[{module}]')")


def zensical_build(project: Path, *args: str) -> object:
    return CliRunner().invoke(
        cli,
        ["build", "-f", str(project / "mkdocs.yml"), "--engine", "zensical", *args],
        catch_exceptions=False,
    )


def properdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "properdocs", "build", "--strict", "-f", "mkdocs.yml"]
    return subprocess.run(
        [*command, "-d", str(site)],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def feeds_sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The feeds fixture (hostile headline, a user page, a custom_dir override) built by MkDocs,
    then by Zensical: (project, MkDocs site)."""
    project = copy_fixture("feeds", tmp_path_factory.mktemp("engines"))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return project, project / "site"


@pytest.fixture(scope="module")
def zensical_site(feeds_sites: tuple[Path, Path]) -> Path:
    _needs("zensical")
    project, _ = feeds_sites
    site = project.parent / "zensical-site"
    result = zensical_build(project, "--strict", "-d", str(site))
    assert result.exit_code == 0, result.output
    return site


def test_properdocs_builds_the_same_pages_and_feeds(feeds_sites: tuple[Path, Path]) -> None:
    _needs("properdocs")
    project, mkdocs_site = feeds_sites
    site = project.parent / "properdocs-site"
    result = properdocs_build(project, site)
    assert result.returncode == 0, result.stderr
    assert compare_sites.compare(mkdocs_site, site) == []
    assert (site / "articles" / "hostile-title-2019-05-11" / "index.html").is_file()


def test_zensical_builds_the_same_pages_and_feeds(
    feeds_sites: tuple[Path, Path], zensical_site: Path
) -> None:
    _, mkdocs_site = feeds_sites
    assert compare_sites.compare(mkdocs_site, zensical_site) == []
    # Not vacuous: the comparison covers the generated pages, the feeds and the OPML list.
    pages = compare_sites.html_pages(zensical_site)
    assert {"index.html", "subscribe/index.html", "about/index.html"} <= pages
    assert "topics/venezuela/index.html" in pages
    files = compare_sites.digest_files(zensical_site)
    assert {"feeds/rss.xml", "feeds/subscriptions.opml", "feeds/topics/iran/atom.xml"} <= set(files)
    assert compare_sites.search_pages(zensical_site) == compare_sites.search_pages(mkdocs_site)


def test_compare_sites_reports_a_changed_feed_and_a_missing_page(
    feeds_sites: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    _, mkdocs_site = feeds_sites
    other = tmp_path / "other"
    shutil.copytree(mkdocs_site, other)
    (other / "feeds" / "rss.xml").write_bytes(b"<rss/>")
    (other / "subscribe" / "index.html").unlink()
    problems = compare_sites.compare(mkdocs_site, other)
    assert any("feeds/rss.xml differs" in p for p in problems)
    assert any("missing page subscribe/index.html" in p for p in problems)
    assert compare_sites.main([str(mkdocs_site), str(other)]) == 1


def test_zensical_site_escapes_a_hostile_headline(zensical_site: Path) -> None:
    page = (zensical_site / "articles" / "hostile-title-2019-05-11" / "index.html").read_text()
    title = page[page.index("<title>") : page.index("</title>") + len("</title>")]
    assert "<script>" not in title and "&lt;script&gt;" in title
    assert "<script>alert" not in page
    for html_file in zensical_site.rglob("*.html"):
        assert "<script>alert" not in html_file.read_text(encoding="utf-8"), html_file


def test_zensical_site_has_feed_links_assets_and_the_users_override(zensical_site: Path) -> None:
    topic = (zensical_site / "topics" / "iran" / "index.html").read_text(encoding="utf-8")
    head = topic[: topic.index("</head>")]
    # The topic's own feeds first, then the site's, relative to the page (as the plugin does).
    assert head.index('href="../../feeds/topics/iran/rss.xml"') < head.index(
        'href="../../feeds/rss.xml"'
    )
    assert "assets/newsdigest.css" in head and "assets/newsdigest.js" in topic
    # The fixture's custom_dir main.html is honoured.
    assert '<meta name="fixture-custom-dir" content="kept">' in head
    subscribe = (zensical_site / "subscribe" / "index.html").read_text(encoding="utf-8")
    assert "subscriptions.opml" in subscribe


def test_zensical_rebuild_is_byte_identical(feeds_sites: tuple[Path, Path], tmp_path: Path) -> None:
    _needs("zensical")
    project, _ = feeds_sites
    first, second = tmp_path / "one", tmp_path / "two"
    assert zensical_build(project, "-d", str(first)).exit_code == 0
    assert zensical_build(project, "-d", str(second)).exit_code == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for path in files:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path


def test_two_steps_render_then_zensical_build(
    feeds_sites: tuple[Path, Path], tmp_path: Path
) -> None:
    _needs("zensical")
    import zensical

    project, mkdocs_site = feeds_sites
    work = tmp_path / "two-steps"
    work.mkdir()
    result = CliRunner().invoke(
        cli,
        [
            "render",
            "-f",
            str(project / "mkdocs.yml"),
            str(work / "docs"),
            "--site-config",
            str(work / "mkdocs.yml"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert (work / "docs" / "feeds" / "rss.xml").read_bytes() == (
        mkdocs_site / "feeds" / "rss.xml"
    ).read_bytes()
    assert (work / "docs" / "about.md").is_file()  # the user's own page
    zensical.build(str(work / "mkdocs.yml"), {"clean": True, "strict": False})
    # Zensical builds into `site` beside the config it is given.
    site = work / "site"
    assert compare_sites.compare(mkdocs_site, site) == []


def test_strict_zensical_build_fails_on_a_skipped_file_and_keeps_the_old_site(
    feeds_sites: tuple[Path, Path], zensical_site: Path, tmp_path: Path
) -> None:
    import shutil

    project, _ = feeds_sites
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("site"))
    (broken / "content" / "broken.md").write_text("---\ntitle: [\n---\nBody.\n")
    site = tmp_path / "site"
    shutil.copytree(zensical_site, site)
    before = (site / "index.html").read_bytes()
    result = zensical_build(broken, "--strict", "-d", str(site))
    assert result.exit_code == 1
    assert "broken.md" in result.output
    assert (site / "index.html").read_bytes() == before
    assert not any(p.name.startswith(".digest-zensical-") for p in tmp_path.iterdir())


def test_missing_zensical_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_fixture("basic", tmp_path)
    monkeypatch.setitem(sys.modules, "zensical", None)  # import zensical raises ImportError
    result = zensical_build(project, "-d", str(tmp_path / "site"))
    assert result.exit_code == 2
    assert 'pip install "newsdigest[zensical]"' in result.output
    assert not (tmp_path / "site").exists()


def test_zensical_engine_without_site_url_names_the_option(tmp_path: Path) -> None:
    project = copy_fixture("feeds-no-site-url", tmp_path)
    result = zensical_build(project, "-d", str(tmp_path / "site"))
    assert result.exit_code == 2
    assert "site_url" in result.output


def test_zensical_build_of_the_hostile_fixture_runs_nothing(tmp_path: Path) -> None:
    """Every hostile article through Zensical's own Markdown setup (its default extensions):
    no script, event handler or javascript: link comes from article text."""
    _needs("zensical")
    import lxml.html

    project = copy_fixture("hostile", tmp_path)
    site = tmp_path / "site"
    result = zensical_build(project, "-d", str(site))
    assert result.exit_code == 0, result.output
    pages = sorted(site.glob("articles/*/index.html"))
    assert len(pages) > 10
    for page in pages:
        tree = lxml.html.fromstring(page.read_bytes())
        for script in tree.iter("script"):
            assert "alert" not in (script.text or ""), page
        for element in tree.iter():
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), (page, name)
                assert not value.strip().lower().startswith("javascript:"), (page, value)
        title = tree.find(".//title")
        assert title is not None and not len(title), page  # text only, no elements


def test_zensical_rebuild_from_its_cache_equals_a_fresh_build(tmp_path: Path) -> None:
    """The Zensical project kept in the cache folder (its own page cache) after an article is
    edited and another removed gives the bytes of a build from nothing."""
    _needs("zensical")
    import shutil

    project = copy_fixture("feeds", tmp_path)
    assert zensical_build(project, "-d", str(tmp_path / "first")).exit_code == 0
    assert (project / ".digest-cache" / "zensical" / ".cache").is_dir()
    content = project / "content"
    edited = sorted(content.glob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA late paragraph, added.\n")
    removed = sorted(content.glob("*.md"))[-1]
    removed.unlink()
    incremental = tmp_path / "incremental"
    assert zensical_build(project, "-d", str(incremental)).exit_code == 0
    # The same project and history, without the Zensical cache.
    fresh_project = tmp_path / "fresh"
    shutil.copytree(project, fresh_project, ignore=shutil.ignore_patterns("zensical", "site"))
    fresh = tmp_path / "fresh-site"
    assert zensical_build(fresh_project, "-d", str(fresh)).exit_code == 0
    files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(incremental) for p in incremental.rglob("*") if p.is_file()
    )
    assert not (incremental / "articles" / removed.stem).exists()
    for path in files:
        assert (fresh / path).read_bytes() == (incremental / path).read_bytes(), path
    assert "A late paragraph, added." in (
        incremental / "articles" / edited.stem / "index.html"
    ).read_text(encoding="utf-8")


def test_render_without_site_url_names_the_option(tmp_path: Path) -> None:
    project = copy_fixture("feeds-no-site-url", tmp_path)
    result = CliRunner().invoke(
        cli, ["render", "-f", str(project / "mkdocs.yml"), str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "site_url" in result.output


def test_a_zensical_rebuild_keeps_unchanged_pages_as_they_are(
    feeds_sites: tuple[Path, Path], tmp_path: Path
) -> None:
    # As a MkDocs build does: a page whose bytes are unchanged keeps its very file (a deploy
    # that compares files, or a reader's cache, sees no change), and the site is the same.
    import shutil

    _needs("zensical")
    project, _ = feeds_sites
    work = tmp_path / "project"
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("site"))
    site = tmp_path / "site"
    assert zensical_build(work, "-d", str(site)).exit_code == 0
    pages = sorted(site.glob("articles/*/index.html"))
    assert pages
    before = {page: (page.stat().st_ino, page.read_bytes()) for page in pages}
    assert zensical_build(work, "-d", str(site)).exit_code == 0
    assert {page: (page.stat().st_ino, page.read_bytes()) for page in pages} == before
    # A page edited in the published site is not kept: it is written again.
    (pages[0]).write_text("edited", encoding="utf-8")
    assert zensical_build(work, "-d", str(site)).exit_code == 0
    assert pages[0].read_bytes() == before[pages[0]][1]
