"""The MkDocs plugin as an adapter: template overrides, serve watching, conflicts, errors."""

from __future__ import annotations

from pathlib import Path

from digest.mkdocs.plugin import DigestPlugin
from tests.conftest import copy_fixture, mkdocs_build


def test_a_template_in_the_project_overrides_the_builtin_one(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    templates = project / "site_templates"
    templates.mkdir()
    (templates / "archive.md.j2").write_text(
        "# Back issues\n\n{% for month in months %}- {{ link(month.name, month.path) }}\n"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    archive = (project / "site" / "archive" / "index.html").read_text(encoding="utf-8")
    assert "Back issues" in archive
    assert 'href="2019-05/"' in archive
    # The other pages keep the built-in templates.
    assert "Dock workers end strike" in (project / "site" / "index.html").read_text()


def test_a_template_using_an_undefined_name_fails_loudly(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    templates = project / "site_templates"
    templates.mkdir()
    (templates / "archive.md.j2").write_text("# {{ no_such_thing }}\n", encoding="utf-8")
    result = mkdocs_build(project, strict=False)
    assert result.returncode != 0
    assert "archive.md.j2: 'no_such_thing' is undefined" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_docs_page_that_clashes_with_a_generated_one_is_refused(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    (project / "docs" / "index.md").write_text("# My own home\n")
    result = mkdocs_build(project, strict=False)
    assert result.returncode != 0
    assert "index.md" in result.stderr and "conflicts" in result.stderr


class _Server:
    def __init__(self) -> None:
        self.watched: list[str] = []

    def watch(self, path: str) -> None:
        self.watched.append(path)


def test_serve_watches_articles_and_templates(tmp_path: Path) -> None:
    from mkdocs.config import load_config

    project = copy_fixture("basic", tmp_path)
    (project / "site_templates").mkdir()
    config = load_config(str(project / "mkdocs.yml"))
    plugin = config.plugins["digest"]
    assert isinstance(plugin, DigestPlugin)
    plugin.on_config(config)
    server = _Server()
    plugin.on_serve(server, config=config, builder=None)
    assert str(project / "content") in server.watched
    assert str(project / "site_templates") in server.watched
