"""Broken and hostile content: every file accounted for, nothing injected, nothing outside the site.

tests/fixtures/hostile/ holds good articles mixed with every broken and hostile case, and
expected.yml says what must become of each file. The cases git cannot hold (symlinks, a FIFO,
a 10 MB file, a .git folder) are made here, beside the copied fixture.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from digest.analysis.stories import listed_once
from digest.cli import cli
from digest.model import Digest
from digest.pipeline import build_digest
from digest.project import load_project
from tests.conftest import FIXTURES, copy_fixture, mkdocs_build
from tests.safety import SiteChecker, dangerous_url, fragment_problems

EXPECTED = yaml.safe_load((FIXTURES / "hostile" / "expected.yml").read_text(encoding="utf-8"))
ALL_EXPECTED: dict[str, dict[str, str]] = {**EXPECTED["files"], **EXPECTED["made"]}
IN_DIGEST = {"published", "warning"}


def make_unstorable_cases(project: Path) -> Path:
    """Add the cases of expected.yml's `made:` to a copied fixture; returns the content folder."""
    content = project / "content"
    outside = project / "outside"
    outside.mkdir()
    (outside / "secret-2019-05-14.txt").write_text("Secret headline\n\nNot for the site.\n")
    (content / "big-10mb-2019-05-14.txt").write_bytes(
        b"A headline\n\n" + b"Words of a story that never ends. " * 310_000
    )
    (content / "huge-front-matter.md").write_text(
        "---\ntitle: Huge\ndate: 2019-05-14\nsummary: " + "x" * 70_000 + "\n---\n\nBody.\n"
    )
    os.symlink(outside / "secret-2019-05-14.txt", content / "outside-link-2019-05-14.txt")
    os.symlink("good-election-2019-05-22.md", content / "inside-link-2019-05-14.md")
    os.symlink("loop-link.txt", content / "loop-link.txt")
    os.symlink("no-such-file.txt", content / "broken-link.txt")
    os.mkfifo(content / "fifo-2019-05-14.txt")
    os.symlink(outside, content / "linked-folder")
    with open(bytes(content) + b"/latin1-name-caf\xe9-2019-05-14.txt", "wb") as handle:
        handle.write(b"A file name in Latin-1\n\nThe name is not UTF-8, the text is.\n")
    (content / ".git").mkdir()
    (content / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    # A hidden folder is not read, so a link into it must not publish what it holds.
    (content / ".drafts").mkdir()
    (content / ".drafts" / "secret-2019-05-14.md").write_text(
        "---\ntitle: Unpublished draft\ndate: 2019-05-14\n---\n\nNot for the site yet.\n"
    )
    os.symlink(".drafts/secret-2019-05-14.md", content / "into-hidden-link-2019-05-14.md")
    return content


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_fixture("hostile", tmp_path_factory.mktemp("hostile"))
    make_unstorable_cases(root)
    return root


@pytest.fixture(scope="module")
def digest(project: Path) -> Digest:
    return build_digest(load_project(project / "mkdocs.yml"))


def shown(name: str) -> str:
    """A file name as the report prints it (undecodable bytes escaped)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under root (symlinks not followed) with its size and mtime."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.lstat()
            found[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def built(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built (not strict) from the mixed content; checks nothing escaped the build."""
    escape_target = Path("/tmp/digest-escape")
    assert not escape_target.exists(), "left over from an earlier run; remove it"
    before = _tree(project.parent)
    result = mkdocs_build(project, strict=False)
    assert result.returncode == 0, result.stderr
    after = _tree(project.parent)
    # Only the site and the summary cache may change; nothing beside or above the project.
    changed = {
        path
        for path in set(before) | set(after)
        if before.get(path) != after.get(path)
        and not path.startswith(("hostile/site/", "hostile/.digest-cache/"))
        and path not in ("hostile/site", "hostile/.digest-cache", "hostile")
    }
    assert not changed
    assert not escape_target.exists()
    return project / "site"


# --- the report ---------------------------------------------------------------------------------


def test_expected_yml_lists_every_file_in_the_fixture(project: Path) -> None:
    content = project / "content"
    present = set()
    for dirpath, dirnames, filenames in os.walk(content):
        here = Path(dirpath)
        for name in list(dirnames):
            if name.startswith(".") or (here / name).is_symlink():
                present.add((here / name).relative_to(content).as_posix() + "/")
                dirnames.remove(name)
        present.update(shown((here / n).relative_to(content).as_posix()) for n in filenames)
    assert present == set(ALL_EXPECTED)


def test_every_file_is_in_the_digest_or_in_the_report(project: Path, digest: Digest) -> None:
    """Worked out from the folder, not from expected.yml: nothing is lost silently."""
    content = project / "content"
    published = {entry.article.source_path for entry in digest.entries}
    reported = {problem.path for problem in digest.problems}
    for dirpath, dirnames, filenames in os.walk(content):
        here = Path(dirpath)
        for name in list(dirnames):
            relative = (here / name).relative_to(content).as_posix() + "/"
            if relative in reported:
                dirnames.remove(name)  # reported as a whole, not read
        for name in filenames:
            relative = shown((here / name).relative_to(content).as_posix())
            assert relative in published or relative in reported, relative
    assert all(p.message.strip() for p in digest.problems)


@pytest.mark.parametrize("name", sorted(ALL_EXPECTED))
def test_each_file_has_its_expected_outcome(name: str, digest: Digest) -> None:
    expected = ALL_EXPECTED[name]
    published = {entry.article.source_path for entry in digest.entries}
    problems = [p for p in digest.problems if p.path == name]
    outcome = expected["outcome"]
    assert (name in published) == (outcome in IN_DIGEST)
    if outcome == "published":
        assert problems == []
        return
    assert [p.outcome for p in problems] == ["warning" if outcome == "warning" else outcome] * len(
        problems
    )
    assert problems, f"{name}: no message in the report"
    messages = " | ".join(p.message for p in problems)
    assert expected["reason"] in messages


def test_slug_clashes_never_overwrite_a_page(digest: Digest) -> None:
    slugs = [entry.article.slug for entry in digest.entries]
    assert len(slugs) == len(set(slugs))
    by_path = {entry.article.source_path: entry.article for entry in digest.entries}
    assert by_path["good-venezuela-2019-05-20.md"].title.startswith("Guaido calls")
    assert by_path["dup-story.md"].title == "Second of two with one slug"
    assert by_path["traversal-slug-2019-05-12.md"].slug == "tmp-digest-escape"
    assert by_path["absolute-slug-2019-05-12.md"].slug == "etc-passwd"


def test_text_is_cleaned_not_lost(digest: Digest) -> None:
    by_path = {entry.article.source_path: entry.article for entry in digest.entries}
    control = by_path["control-chars-2019-05-05.md"]
    assert control.title == "Control[31m characters evil are removed"
    assert "\x00" not in control.paragraphs[0] and "\x1b" not in control.paragraphs[0]
    assert by_path["utf16-bom-2019-05-03.txt"].title == "A UTF-16 file with a byte order mark"
    assert by_path["crlf-2019-05-02.md"].paragraphs == (
        "The file was saved on Windows. Its lines end in CR LF.",
        "It still reads as two paragraphs.",
    )
    assert len(by_path["old-mac-cr-2019-05-02.txt"].paragraphs) == 1
    assert by_path["chinese-2019-05-09.md"].title == "图书馆在旧车站开设新分馆"
    # A scraped story on one line is cut after sentence ends, losing no word.
    scraped = by_path["one-line-scrape-2019-05-13.txt"]
    assert len(scraped.paragraphs) > 3
    assert all(len(p) <= 3_000 and p.endswith(".") for p in scraped.paragraphs)
    source = (FIXTURES / "hostile" / "content" / "one-line-scrape-2019-05-13.txt").read_text()
    assert " ".join(scraped.paragraphs) == source.split("\n\n", 1)[1].strip()
    assert any("quoted Tehran text." in p for p in by_path["nested-lists-2019-05-13.md"].paragraphs)


def test_check_prints_the_report_and_exits_1(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["check", "-f", str(project / "mkdocs.yml")], catch_exceptions=False
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for name, expected in ALL_EXPECTED.items():
        if expected["outcome"] == "published":
            continue
        label = {"skipped": "skipped", "warning": "warning", "excluded": "note"}[
            expected["outcome"]
        ]
        wanted = f"{label}: {project / 'content' / name}: "
        line = next((line for line in lines if line.startswith(wanted)), None)
        assert line is not None, f"no report line for {name}"
        assert expected["reason"] in line
    assert not (project / "site").exists() or (project / "site" / "index.html").exists()


# --- the built site -----------------------------------------------------------------------------


def _h1_text(page: Path) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), re.DOTALL)
    assert found is not None, page
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_every_article_in_the_digest_has_its_page(built: Path, digest: Digest) -> None:
    for entry in digest.entries:
        page = built / "articles" / entry.article.slug / "index.html"
        assert page.is_file(), entry.article.source_path
        assert _h1_text(page) == entry.article.title
    assert len(list((built / "articles").glob("*/index.html"))) == len(digest.entries)


def test_no_page_holds_live_markup(built: Path) -> None:
    assert SiteChecker(built).problems() == {}


_ID = re.compile(r"""<(h[1-6])\b[^>]*?\bid=["']([^"']*)""")


def test_heading_ids_from_article_text_never_clobber_the_themes_ids(built: Path) -> None:
    """A headline `__config` must not give an id Material or newsdigest.js looks up."""
    pages = sorted(built.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text("utf-8")
        where = page.relative_to(built).as_posix()
        assert not [i for tag, i in _ID.findall(text) if i.startswith("_")], where
        if 'id="__config"' in text:
            assert text.count('id="__config"') == 1, where
            assert re.search(r'<script id="__config"', text), where
    reserved = built / "articles" / "reserved-id-title-2019-05-15" / "index.html"
    assert _h1_text(reserved) == "__config"


def test_search_index_holds_no_live_markup(built: Path, digest: Digest) -> None:
    checker = SiteChecker(built)
    assert checker.search_index_problems() == {}
    index = json.loads((built / "search" / "search_index.json").read_text("utf-8"))
    titles = {html.unescape(d["title"]) for d in index["docs"]}
    hostile = next(e for e in digest.entries if e.article.source_path.startswith("script-title"))
    assert hostile.article.title in titles


def test_titles_are_text_in_head_and_header(built: Path, digest: Digest) -> None:
    entry = next(e for e in digest.entries if e.article.source_path.startswith("script-title"))
    page = (built / "articles" / entry.article.slug / "index.html").read_text("utf-8")
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    assert title is not None
    assert "<" not in title.group(1)
    assert html.unescape(title.group(1)) == f"{entry.article.title} - Hostile fixture"


def test_template_syntax_stays_text(built: Path, digest: Digest) -> None:
    entry = next(e for e in digest.entries if e.article.source_path.startswith("jinja"))
    page = (built / "articles" / entry.article.slug / "index.html").read_text("utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "{{ config.site_name }} {% include 'home.md.j2' %} {# comment #}" in text
    assert "Template syntax {{ 7 * 7 }}" in text
    assert "An editor's summary with {{ 7*7 }}" in text


def _feed_files(site: Path) -> list[Path]:
    return sorted(p for p in (site / "feeds").rglob("*") if p.suffix in (".xml", ".json"))


def test_feeds_hold_every_article_and_no_live_markup(built: Path, digest: Digest) -> None:
    if not (built / "feeds").is_dir():
        pytest.skip("this build writes no feeds")
    atom = "{http://www.w3.org/2005/Atom}"
    for path in _feed_files(built):
        where = path.relative_to(built).as_posix()
        fragments: list[str] = []
        urls: list[str] = []
        if path.suffix == ".json":
            feed: dict[str, Any] = json.loads(path.read_text("utf-8"))
            for item in feed["items"]:
                fragments.append(item.get("content_html", ""))
                urls += [item.get("url", ""), item.get("external_url", "")]
        else:
            root = ET.parse(path).getroot()
            fragments += [e.text or "" for e in root.iter("description")]
            fragments += [e.text or "" for e in root.iter(f"{atom}content")]
            urls += [e.text or "" for e in root.iter("link")]
            urls += [e.get("href", "") for e in root.iter(f"{atom}link")]
        for fragment in fragments:
            assert fragment_problems(fragment) == [], where
        assert not [u for u in urls if dangerous_url(u)], where
    rss = ET.parse(built / "feeds" / "rss.xml").getroot()
    titles = {e.text for e in rss.iter("title")}
    # A story of several articles is one item, its earliest article's (the rest are on the
    # story's page).
    for entry in listed_once(digest).entries:
        assert entry.article.title in titles, entry.article.source_path


def test_strict_build_fails_naming_each_bad_file(project: Path, built: Path) -> None:
    result = mkdocs_build(project, strict=True)
    assert result.returncode != 0
    for name, expected in ALL_EXPECTED.items():
        if expected["outcome"] in ("skipped", "warning"):
            assert f"{project / 'content' / name}: " in result.stderr, name


def test_failed_strict_digest_build_keeps_the_previous_site(project: Path, built: Path) -> None:
    before = {p.relative_to(built): p.read_bytes() for p in built.rglob("*") if p.is_file()}
    result = CliRunner().invoke(
        cli, ["build", "--strict", "-f", str(project / "mkdocs.yml")], catch_exceptions=False
    )
    assert result.exit_code == 1
    after = {p.relative_to(built): p.read_bytes() for p in built.rglob("*") if p.is_file()}
    assert after == before
    leftovers = [p.name for p in project.iterdir() if p.name.startswith(".digest-build-")]
    assert leftovers == []


# --- the checker itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fragment",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href=" JaVa&#x09;ScRiPt:alert(1)">x</a>',
        "<iframe src=https://example.org></iframe>",
        "<svg><a xlink:href='javascript:alert(1)'>x</a></svg>",
    ],
)
def test_the_checker_finds_live_markup(fragment: str) -> None:
    assert fragment_problems(fragment)


def test_the_checker_finds_a_title_breakout(built: Path, tmp_path: Path) -> None:
    page = (built / "index.html").read_text("utf-8")
    broken = re.sub(r"<title>", "<title></title><script>alert(1)</script><title>", page, count=1)
    assert broken != page
    (built / "broken-copy.html").write_text(broken, encoding="utf-8")
    try:
        found = SiteChecker(built).page_problems(built / "broken-copy.html")
    finally:
        (built / "broken-copy.html").unlink()
    assert any("alert(1)" in f for f in found)


# --- one file never stops the build ---------------------------------------------------------------


def test_a_file_200_folders_deep_or_with_a_long_name_is_published(tmp_path: Path) -> None:
    """Slugs become folder names: a path-made slug over 255 bytes stopped the whole build."""
    project = copy_fixture("basic", tmp_path)
    content = project / "content"
    deep = content.joinpath(*["d"] * 200)
    deep.mkdir(parents=True)
    body = "Harbour workers voted on Monday to accept the offer, the union said.\n"
    (deep / "deep-2019-05-16.txt").write_text(f"A story 200 folders deep\n\n{body}")
    long_name = "a-" * 115 + "2019-05-16.txt"
    (content / long_name).write_text(f"A story with a long file name\n\n{body}")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    digest = build_digest(load_project(project / "mkdocs.yml"))
    slugs = {e.article.source_path: e.article.slug for e in digest.entries}
    deep_slug = slugs["d/" * 200 + "deep-2019-05-16.txt"]
    assert deep_slug.startswith("deep-2019-05-16-") and len(deep_slug) <= 100
    assert len(slugs[long_name]) <= 100
    for slug in (deep_slug, slugs[long_name]):
        assert (project / "site" / "articles" / slug / "index.html").is_file()


def test_a_digest_of_articles_from_before_1970_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs stores the newest page date in sitemap.xml.gz as an unsigned 32-bit number."""
    project = copy_fixture("basic", tmp_path)
    for path in (project / "content").iterdir():
        path.unlink()
    (project / "content" / "moon-1969-07-20.md").write_text(
        "---\ntitle: Men walk on the Moon\ndate: 1969-07-20\n---\n\n"
        "Two astronauts landed on the Moon on Sunday and walked on its surface.\n"
    )
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # pages dated by their articles
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert (project / "site" / "sitemap.xml.gz").is_file()


# --- nothing lost or let in silently ------------------------------------------------------------

ARTICLE = "---\ntitle: {title}\ndate: 2019-05-14\n---\n\n{title} was said on Tuesday.\n"


def test_a_folder_that_cannot_be_read_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_fixture("basic", tmp_path)
    locked = project / "content" / "locked"
    locked.mkdir()
    (locked / "inside-2019-05-14.md").write_text(ARTICLE.format(title="Locked away"))
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        # As a folder of mode 000 does for any user but root (the tests may run as root).
        if Path(os.fsdecode(path)) == locked:
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    digest = build_digest(load_project(project / "mkdocs.yml"))
    found = [p for p in digest.problems if p.path == "locked/"]
    assert [p.outcome for p in found] == ["skipped"]
    assert "folder cannot be read (Permission denied)" in found[0].message
    assert "harbour-strike-2019-05-20.md" in {e.article.source_path for e in digest.entries}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder of mode 000")
def test_a_folder_of_mode_000_is_reported_by_check(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    locked = project / "content" / "locked"
    locked.mkdir()
    (locked / "inside-2019-05-14.md").write_text(ARTICLE.format(title="Locked away"))
    locked.chmod(0)
    try:
        result = CliRunner().invoke(cli, ["check", "-f", str(project / "mkdocs.yml")])
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 1
    assert f"skipped: {project / 'content' / 'locked'}/: folder cannot be read" in result.output


def _swap_after_check(monkeypatch: pytest.MonkeyPatch, checked: Path, swap: Any) -> None:
    """Run swap() right after the reader's lstat of `checked`: a link swapped in mid-build."""
    real_lstat = Path.lstat

    def lstat(self: Path) -> os.stat_result:
        info = real_lstat(self)
        if self == checked:
            swap()
        return info

    monkeypatch.setattr(Path, "lstat", lstat)


def test_a_file_swapped_for_a_link_after_the_check_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_fixture("basic", tmp_path)
    secret = tmp_path / "secret-2019-05-14.md"
    secret.write_text(ARTICLE.format(title="Secret outside"))
    target = project / "content" / "swapped-2019-05-14.md"
    target.write_text(ARTICLE.format(title="Harmless inside"))

    def swap() -> None:
        target.unlink()
        os.symlink(secret, target)

    _swap_after_check(monkeypatch, target, swap)
    digest = build_digest(load_project(project / "mkdocs.yml"))
    assert "Secret outside" not in {e.article.title for e in digest.entries}
    found = [p for p in digest.problems if p.path == "swapped-2019-05-14.md"]
    assert found and "symbolic link while the build read it" in found[0].message


def test_a_folder_swapped_for_a_link_after_the_check_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_fixture("basic", tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "story-2019-05-14.md").write_text(ARTICLE.format(title="Secret outside"))
    folder = project / "content" / "sub"
    folder.mkdir()
    (folder / "story-2019-05-14.md").write_text(ARTICLE.format(title="Harmless inside"))

    def swap() -> None:
        folder.rename(project / "moved-away")
        os.symlink(outside, folder)

    _swap_after_check(monkeypatch, folder / "story-2019-05-14.md", swap)
    digest = build_digest(load_project(project / "mkdocs.yml"))
    assert "Secret outside" not in {e.article.title for e in digest.entries}
    found = [p for p in digest.problems if p.path == "sub/story-2019-05-14.md"]
    assert found and "outside the content folder" in found[0].message


def test_utf8_file_names_are_read_in_the_c_locale(tmp_path: Path) -> None:
    """With LC_ALL=C and PYTHONUTF8=0 Python decodes file names as ASCII."""
    import subprocess
    import sys

    project = copy_fixture("basic", tmp_path)
    (project / "content" / "café-2019-05-14.md").write_text(
        ARTICLE.format(title="Café reopens"), encoding="utf-8"
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    env.pop("PYTHONIOENCODING", None)
    result = subprocess.run(
        [sys.executable, "-c", "from digest.cli import main; main()", "check"],
        cwd=project,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert b"3 articles in the digest, 0 problems" in result.stdout + result.stderr


def test_html_in_a_topics_name_and_description_stays_text(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    path = project / "mkdocs.yml"
    config = yaml.safe_load(path.read_text())
    config["plugins"][1]["digest"]["topics"][0].update(
        name="R&D <b onmouseover=alert(1)>Labs</b>",
        slug="labs",
        description="Labs <img src=x onerror=alert(2)> & more",
    )
    path.write_text(yaml.safe_dump(config))
    result = mkdocs_build(project, strict=False)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    assert SiteChecker(site).problems() == {}
    home = (site / "index.html").read_text("utf-8")
    assert "R&amp;D &lt;b onmouseover=alert(1)&gt;Labs&lt;/b&gt;" in home
    channel = ET.parse(site / "feeds" / "topics" / "labs" / "rss.xml").getroot().find("channel")
    assert channel is not None
    description = channel.findtext("description") or ""
    assert fragment_problems(description) == []
    assert html.unescape(description) == "Labs <img src=x onerror=alert(2)> & more"


def _swap_forever(content: str, outside: str, inside_text: str) -> None:
    target = os.path.join(content, "swap-2019-05-14.md")
    link = os.path.join(content, ".swap-link")
    copy = os.path.join(content, ".swap-copy")
    while True:
        with contextlib.suppress(OSError):
            os.symlink(os.path.join(outside, "swap-2019-05-14.md"), link)
            os.replace(link, target)
            with open(copy, "w") as handle:
                handle.write(inside_text)
            os.replace(copy, target)


def test_links_swapped_in_during_reads_never_publish_outside_text(tmp_path: Path) -> None:
    """The race itself: another process swapping a file and a link to outside while the
    reader runs (it published the outside file in 4 of 60 tries before)."""
    import multiprocessing

    from digest.sources.files import ArticleError, ContentReader

    content = tmp_path / "content"
    content.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "swap-2019-05-14.md").write_text(ARTICLE.format(title="Secret outside"))
    inside_text = ARTICLE.format(title="Harmless inside")
    target = content / "swap-2019-05-14.md"
    target.write_text(inside_text)
    swapper = multiprocessing.get_context("spawn").Process(
        target=_swap_forever, args=(str(content), str(outside), inside_text), daemon=True
    )
    swapper.start()
    reader = ContentReader(content)
    titles: set[str] = set()
    try:
        time.sleep(0.5)  # the swapper is running
        for _ in range(10_000):
            try:
                article, _ = reader.read_file(target, target.name)
            except ArticleError:
                continue
            titles.add(article.title)
    finally:
        swapper.kill()
        swapper.join()
    assert "Secret outside" not in titles
    assert "Harmless inside" in titles
