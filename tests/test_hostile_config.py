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


# -- leftovers: what `digest check` names -----------------------------------------------------


def test_check_names_a_far_date_a_long_slug_a_deep_folder_and_a_path_slug(tmp_path: Path) -> None:
    config = _project(tmp_path, {})
    content = tmp_path / "content"
    body = "Harbour workers voted on Monday to accept the offer, the union said.\n"

    def article(name: str, front: str) -> None:
        (content / name).write_text(f"---\n{front}\n---\n\n{body}", encoding="utf-8")

    article("far.md", "title: A far date\ndate: 2107-05-14")
    article("long-slug.md", "title: A long slug\ndate: 2019-05-14\nslug: " + "b" * 300)
    article("traversal.md", "title: A path for a slug\ndate: 2019-05-14\nslug: ../../x")
    deep = content.joinpath(*["d"] * 200)
    deep.mkdir(parents=True)
    (deep / "deep-2019-05-16.txt").write_text(f"A story 200 folders deep\n\n{body}")
    long_name = "a-" * 115 + "2019-05-16.txt"
    (content / long_name).write_text(f"A story with a long file name\n\n{body}")
    result = CliRunner().invoke(cli, ["check", "-f", str(config)])
    said = {line.split(": ", 2)[1]: line for line in result.output.splitlines() if ": " in line}

    def line(name: str) -> str:
        return said[str(content / name)]

    assert "2107-05-14" in line("far.md")
    assert "300 characters long" in line("long-slug.md")
    assert "'../../x' is a path" in line("traversal.md") and "'x'" in line("traversal.md")
    assert line("d/" * 200 + "deep-2019-05-16.txt").startswith("note: ")
    assert "200 folders deep" in line("d/" * 200 + "deep-2019-05-16.txt")
    assert "page name of" in line(long_name)
    # The deep and long-named files are published, so a strict build still passes for them;
    # the far date, the long slug and the path slug each count.
    assert "4 articles in the digest, 3 problems" in result.output
