"""Hostile input, round three, for the configuration: every option range-checked (finite
numbers, ports, NUL in folder names), each bad value exit 2 with the option named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import cli


def _project(root: Path, digest: dict) -> Path:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "docs").mkdir(exist_ok=True)
    config = {"site_name": "Hostile", "plugins": [{"digest": digest}]}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "mkdocs.yml"


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("delay", float("nan"), "'delay' must be a finite number"),
        ("delay", float("inf"), "'delay' must be a finite number"),
        ("timeout", float("nan"), "'timeout' must be a finite number"),
        ("timeout", float("inf"), "'timeout' must be a finite number"),
        ("feed", "http://127.0.0.1:99999/rss.xml", "feed: 'http://127.0.0.1:99999/rss.xml'"),
        ("feed", "http://[::1", "feed: 'http://[::1' is not a usable address"),
    ],
)
def test_a_bad_source_value_exits_2_naming_the_option(
    tmp_path: Path, option: str, value: object, named: str
) -> None:
    source = {"name": "Ledger", "feed": "https://news.example/rss.xml", option: value}
    config = _project(tmp_path, {"sources": [source]})
    for command in ("fetch", "check"):
        result = CliRunner().invoke(cli, [command, "-f", str(config)])
        assert result.exit_code == 2, (command, result.output, result.exception)
        assert "sources[0] (Ledger)" in result.output and named in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize("option", ["content_dir", "cache_dir", "templates_dir"])
def test_a_nul_in_a_folder_option_exits_2_naming_it(tmp_path: Path, option: str) -> None:
    config = _project(tmp_path, {option: "fold\0er"})
    for command in ("check", "build"):
        result = CliRunner().invoke(cli, [command, "-f", str(config)])
        assert result.exit_code == 2, (command, result.output, result.exception)
        assert f"{option}: " in result.output and "not a usable folder name" in result.output
