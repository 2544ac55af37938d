"""Configuration: topics, options from mkdocs.yml, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from digest.config import ConfigError, topics_from_list
from digest.project import load_project
from tests.conftest import copy_fixture, mkdocs_build


def test_topic_slug_and_keywords_default_from_the_name() -> None:
    (topic,) = topics_from_list([{"name": "Election interference"}])
    assert topic.slug == "election-interference"
    assert topic.keywords == ("Election interference",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"name": ""}], "non-empty 'name'"),
        ([{"name": "A"}, {"name": "a"}], "share the slug"),
        ([{"name": "Other"}], "reserved"),
        ([{"name": "A", "keyword": ["x"]}], "unknown option"),
        ([{"name": "A", "keywords": "x", "slug": "Bad Slug"}], "invalid slug"),
        ("Venezuela", "expected a list"),
    ],
)
def test_bad_topics_are_refused_with_a_reason(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        topics_from_list(raw)


def test_cli_reads_the_plugin_options_from_mkdocs_yml(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    config = load_project(project / "mkdocs.yml")
    assert [t.name for t in config.topics] == ["Venezuela", "Iran", "Election interference"]
    assert config.content_dir == project / "content"
    assert config.site_url == "https://news.example.org/digest/"


def test_mkdocs_only_tags_do_not_break_the_cli(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    text = (project / "mkdocs.yml").read_text()
    text += "extra:\n  analytics: !ENV [ANALYTICS_KEY, 'none']\n"
    (project / "mkdocs.yml").write_text(text)
    assert len(load_project(project / "mkdocs.yml").topics) == 3


def test_bad_plugin_option_fails_the_build_naming_mkdocs_yml(tmp_path: Path) -> None:
    project = copy_fixture("basic", tmp_path)
    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    config["plugins"][1]["digest"]["timezone"] = "Mars/Olympus"
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config))
    result = mkdocs_build(project)
    assert result.returncode != 0
    assert "Mars/Olympus" in result.stderr
