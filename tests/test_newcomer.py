"""What a new user meets first: the commands the README gives, run as written."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from digest.cli import cli
from tests.conftest import REPO, copy_fixture


def test_topics_explain_refuses_a_sidecar_and_names_its_article(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    sidecar = project / "content" / "sochi-2019-05-14.yml"
    result = CliRunner().invoke(
        cli, ["topics", "explain", "-f", str(project / "mkdocs.yml"), str(sidecar)]
    )
    assert result.exit_code == 1
    assert "not an article (.yml)" in result.output
    assert "metadata of sochi-2019-05-14.txt" in result.output
    assert "Other" not in result.output


def test_the_readme_gives_the_address_mkdocs_serve_uses() -> None:
    """With the shipped site_url, mkdocs serve serves the site under its path, not at /."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    path = re.sub(r"^https?://[^/]+", "", config["site_url"])
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"http://127.0.0.1:8000{path}" in readme
    assert "http://127.0.0.1:8000/>" not in readme
    assert "Open `site/index.html`" not in readme
