"""The `digest` command, run as a user would (CliRunner with exceptions propagated)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from tests.conftest import copy_fixture


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_fixture("basic", tmp_path)


def run(project: Path, *args: str) -> object:
    runner = CliRunner()
    return runner.invoke(
        cli, [*args[:1], "-f", str(project / "mkdocs.yml"), *args[1:]], catch_exceptions=False
    )


def test_render_writes_markdown_pages(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(project, "render", str(out))
    assert result.exit_code == 0, result.output
    home = (out / "index.md").read_text(encoding="utf-8")
    # Front matter gives each page its title, HTML-escaped (see site_files._with_title).
    assert home.startswith('---\ntitle: "Home"\n---\n\n# Fixture digest')
    assert "[US, Russia desire stronger relations](articles/sochi-2019-05-14.md)" in home
    article = (out / "articles" / "harbour-strike-2019-05-20.md").read_text(encoding="utf-8")
    assert "# Dock workers end strike at the port of Hamburg" in article
    assert (out / "topics" / "venezuela" / "index.md").is_file()


def test_check_passes_on_good_content(project: Path) -> None:
    result = run(project, "check")
    assert result.exit_code == 0, result.output
    assert "2 articles in the digest, 0 problems" in result.output


def test_check_names_bad_files_and_exits_1(project: Path) -> None:
    (project / "content" / "empty.txt").write_text("   \n")
    (project / "content" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    result = run(project, "check")
    assert result.exit_code == 1
    assert "empty.txt: empty file" in result.output
    assert "photo.jpg: not an article" in result.output
    assert "2 articles in the digest, 2 problems" in result.output


def test_check_fails_on_a_template_the_build_would_fail_on(project: Path) -> None:
    (project / "site_templates").mkdir(exist_ok=True)
    (project / "site_templates" / "article.md.j2").write_text("# {{ entry.no_such_field }}\n")
    result = run(project, "check")
    assert result.exit_code == 1
    assert "article.md.j2" in result.output and "no_such_field" in result.output


def test_missing_config_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "-f", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert "nope.yml" in result.output


def test_build_writes_the_site(project: Path) -> None:
    site = project / "public"
    result = run(project, "build", "--strict", "-d", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "topics" / "iran" / "index.html").is_file()


def test_failed_build_keeps_the_previous_site(project: Path) -> None:
    site = project / "public"
    assert run(project, "build", "-d", str(site)).exit_code == 0
    before = (site / "index.html").read_bytes()
    (project / "content" / "broken.md").write_text("---\ntitle: [\n---\nBody.\n")
    result = run(project, "build", "--strict", "-d", str(site))
    assert result.exit_code == 1
    assert (site / "index.html").read_bytes() == before
    assert not any(p.name.startswith(".digest-build-") for p in project.iterdir())


def test_help_comes_from_docstrings() -> None:
    result = CliRunner().invoke(cli, ["render", "--help"], catch_exceptions=False)
    assert "Write the digest's generated Markdown pages to OUT_DIR." in result.output
