"""The daily update: a rebuild into the previous site folder keeps the pages that cannot have
changed, and its site is byte-identical to a build of the same content into an empty folder."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from tests.conftest import mkdocs_build

START = datetime(2019, 3, 1, 7, 0, tzinfo=timezone.utc)
PLACES = ["Caracas", "Tehran", "the harbour", "the capital", "the port", "the border"]
KEPT = re.compile(r"(\d+) of (\d+) pages? kept from the previous build")


def _article(number: int, rng: random.Random, when: datetime, extra: str = "") -> str:
    place = rng.choice(PLACES)
    names = " ".join(
        "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)).title()
        for _ in range(6)
    )
    return (
        f"---\ntitle: Report {number} from {place}\ndate: {when.isoformat()}\n"
        f"source: Wire {number % 3}\n---\n\n"
        f"Officials in {place} said on day {number} that talks with {names} would go on.\n\n"
        f"The second paragraph of report {number} says what happened next in {place}.{extra}\n"
    )


def make_project(root: Path, count: int, *, plugins: list[object] | None = None) -> Path:
    content = root / "content"
    content.mkdir(parents=True)
    (root / "docs").mkdir()
    rng = random.Random(count)
    for number in range(count):
        when = START + timedelta(hours=9 * number)
        (content / f"report-{number:03d}.md").write_text(
            _article(number, rng, when), encoding="utf-8"
        )
    digest = {
        "topics": [
            {"name": "Venezuela", "keywords": ["Caracas", "Venezuela"]},
            {"name": "Iran", "keywords": ["Tehran", "Iran"]},
        ],
        "page_size": 5,
        # Pages are kept under Pagefind only (Material's index needs every page's text); eight
        # articles would keep Material's index under `search: auto`.
        "search": "pagefind",
    }
    config = {
        "site_name": "Daily digest",
        "site_url": "https://news.example.org/daily/",
        "docs_dir": "docs",
        "theme": {"name": "material", "font": False},
        "plugins": plugins if plugins is not None else ["search", {"digest": digest}],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def folders(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir()}


def kept(result: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    found = KEPT.search(result.stderr)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def build_into_empty_folder(project: Path, name: str) -> Path:
    site = project.parent / name
    result = mkdocs_build(project, args=["-d", str(site)])
    assert result.returncode == 0, result.stderr
    return site


def edit(content: Path, rng: random.Random, round_number: int) -> str:
    """One change a newsroom makes between builds; returns what it was."""
    files = sorted(content.glob("*.md"))
    change = ["newer", "newer", "older", "edit", "delete", "rename"][round_number % 6]
    if change in ("newer", "older"):
        number = 500 + round_number
        offset = 9 * (len(files) + 5) if change == "newer" else -24 * 40
        when = START + timedelta(hours=offset)
        for extra in range(3 if change == "newer" else 1):
            (content / f"new-{number}-{extra}.md").write_text(
                _article(number * 10 + extra, rng, when + timedelta(hours=extra)),
                encoding="utf-8",
            )
    elif change == "edit":
        target = rng.choice(files)
        target.write_text(
            target.read_text(encoding="utf-8") + "\nA correction was added.\n", encoding="utf-8"
        )
    elif change == "delete":
        rng.choice(files).unlink()
    else:
        target = rng.choice(files)
        target.rename(target.with_name("renamed-" + target.name))
    return change


def test_after_each_edit_the_site_is_the_same_bytes_as_a_build_into_an_empty_folder(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "project", 30)
    first = mkdocs_build(project)
    assert first.returncode == 0, first.stderr
    rng = random.Random(5)
    kept_in_total = 0
    for round_number in range(6):
        change = edit(project / "content", rng, round_number)
        result = mkdocs_build(project)
        assert result.returncode == 0, result.stderr
        kept_now, keepable = kept(result)
        kept_in_total += kept_now
        assert kept_now < keepable, change  # something changed, and was written
        fresh = build_into_empty_folder(project, f"fresh-{round_number}")
        assert site_files(project / "site") == site_files(fresh), change
        assert folders(project / "site") == folders(fresh), change
    assert kept_in_total > 0


def test_a_day_of_new_articles_writes_their_pages_and_leaves_the_others_alone(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "project", 30)
    assert mkdocs_build(project).returncode == 0
    before = article_files(project / "site")
    edit(project / "content", random.Random(1), 0)  # three articles newer than all
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    kept_now, keepable = kept(result)
    assert 20 <= kept_now < keepable, (kept_now, keepable)
    assert unchanged_pages_left_alone(before, article_files(project / "site")) >= 20
    assert len(list((project / "site" / "articles").glob("new-500-*"))) == 3


def article_files(site: Path) -> dict[str, tuple[int, int, bytes]]:
    found = {}
    for page in (site / "articles").glob("*/index.html"):
        info = page.stat()
        found[page.parent.name] = (info.st_ino, info.st_mtime_ns, page.read_bytes())
    return found


def unchanged_pages_left_alone(
    before: dict[str, tuple[int, int, bytes]], after: dict[str, tuple[int, int, bytes]]
) -> int:
    """How many article pages kept their bytes; each of them must be the very file the
    earlier build wrote (same inode, same time): not rewritten, not replaced."""
    same = [name for name in before if name in after and before[name][2] == after[name][2]]
    for name in same:
        assert before[name][:2] == after[name][:2], name
    return len(same)


def test_a_page_changed_in_the_site_folder_is_written_again(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", 12)
    assert mkdocs_build(project).returncode == 0
    expected = site_files(project / "site")
    page = project / "site" / "articles" / "report-004" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"Officials", b"Planted"))
    (project / "site" / "articles" / "report-005" / "index.html").unlink()
    (project / "site" / "articles" / "stale.html").write_text("left over")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert site_files(project / "site") == expected


def test_a_changed_setting_every_page_shows_writes_every_page(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", 12)
    assert mkdocs_build(project).returncode == 0
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("Daily digest", "Morning digest"),
        encoding="utf-8",
    )
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert kept(result)[0] == 0
    page = project / "site" / "articles" / "report-004" / "index.html"
    assert "Morning digest" in page.read_text(encoding="utf-8")


def test_a_planted_record_cannot_put_bytes_into_the_site(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", 12)
    assert mkdocs_build(project).returncode == 0
    expected = site_files(project / "site")
    (record,) = (project / ".digest-cache" / "site").glob("*.json")
    # (The record is sealed: its JSON follows a line with its HMAC.)
    value = json.loads(record.read_text(encoding="utf-8").rpartition("\n")[2])
    # A planted page, and a record that claims it is the page the build wrote.
    page = project / "site" / "articles" / "report-004" / "index.html"
    page.write_text("<script>alert(1)</script>", encoding="utf-8")
    info = page.stat()
    entry = value["pages"]["articles/report-004/index.html"]
    entry[1:4] = [info.st_size, info.st_mtime_ns, info.st_ino]
    value["pages"]["../outside.html"] = entry
    record.write_text(json.dumps(value), encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    # The malformed record (a path outside the site) is not used: every page is written.
    assert kept(result)[0] == 0
    assert site_files(project / "site") == expected
    for garbage in ["[]", "{", '{"format": 1, "pages": {"a": [1]}}']:
        record.write_text(garbage, encoding="utf-8")
        result = mkdocs_build(project)
        assert result.returncode == 0, result.stderr
        assert site_files(project / "site") == expected


def test_with_another_plugin_every_page_is_written(tmp_path: Path) -> None:
    digest = {"topics": [{"name": "Iran", "keywords": ["Tehran"]}]}
    project = make_project(tmp_path / "project", 8, plugins=["search", "tags", {"digest": digest}])
    assert mkdocs_build(project).returncode == 0
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert "kept from the previous build" not in result.stderr


def digest_build(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from digest.cli.main import cli; cli()", "build", "--strict"],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_digest_build_links_the_kept_pages_from_the_live_site(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", 20)
    assert digest_build(project).returncode == 0
    before = article_files(project / "site")
    edit(project / "content", random.Random(2), 0)
    result = digest_build(project)
    assert result.returncode == 0, result.stderr
    assert kept(result)[0] > 0, result.stderr
    assert unchanged_pages_left_alone(before, article_files(project / "site")) >= 10
    fresh = build_into_empty_folder(project, "fresh")
    assert site_files(project / "site") == site_files(fresh)
    assert [p.name for p in project.iterdir() if "site" in p.name] == ["site"]


def test_serve_rebuilds_keep_pages_in_memory_and_give_the_same_site(tmp_path: Path) -> None:
    # As `mkdocs serve` rebuilds: the config loaded again for each build, which goes into the
    # same temporary folder with a serve URL; the record of written pages stays in memory.
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    project = make_project(tmp_path / "project", 20)
    site = tmp_path / "served"
    logging.getLogger("mkdocs").setLevel(logging.INFO)  # as `mkdocs serve` logs

    def rebuild() -> tuple[int, int]:
        config = load_config(str(project / "mkdocs.yml"), site_dir=str(site))
        config.plugins.on_startup(command="serve", dirty=False)
        found: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: found.append(record.getMessage())  # type: ignore[method-assign]
        logging.getLogger("mkdocs").addHandler(handler)
        try:
            build(config, serve_url="http://127.0.0.1:8000/daily/")
        finally:
            logging.getLogger("mkdocs").removeHandler(handler)
        matches = [KEPT.search(message) for message in found]
        counts = [(int(m[1]), int(m[2])) for m in matches if m]
        return counts[0] if counts else (0, 0)

    try:
        rebuild()
        edit(project / "content", random.Random(3), 0)
        kept_now, keepable = rebuild()
    finally:
        logging.getLogger("mkdocs").setLevel(logging.NOTSET)
    assert 0 < kept_now < keepable
    assert not (project / ".digest-cache" / "site").exists()  # nothing written for serve
    fresh = build_into_empty_folder(project, "fresh")
    assert site_files(site) == site_files(fresh)
