"""Configuration: topics, options from mkdocs.yml, and clear errors."""

from __future__ import annotations

import re
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
        ([{"name": "Alpha"}, {"name": "alpha"}], "share the slug"),
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


# -- every bad value: exit 2 naming the option, from `digest check` and `mkdocs build` alike --

BAD_VALUES = [
    ("summary_sentences", "abc", "summary_sentences: expected a whole number"),
    ("summary_sentences", 0, "summary_sentences: must be 1 or more"),
    ("summary_words", 0, "summary_words: must be 1 or more"),
    ("topic_summary_sentences", True, "topic_summary_sentences: expected a whole number"),
    ("page_size", 0, "page_size: must be 1 or more"),
    ("home_items_per_topic", -1, "home_items_per_topic: must be 0 or more"),
    ("feed_items", 0, "feed_items: must be 1 or more"),
    ("topic_suggestions", -2, "topic_suggestions: must be 0 or more"),
    ("workers", -1, "workers: must be 0 or more"),
    ("workers", 10_000, "workers: 10000 is more than 256"),
    ("topic_threshold", -1, "topic_threshold: a share"),
    ("topic_threshold", 2, "topic_threshold: a share"),
    ("topic_threshold", -1.0, "topic_threshold: a share"),
    ("topic_threshold", 2.0, "topic_threshold: a share"),
    ("topic_threshold", float("nan"), "topic_threshold: a share"),
    ("topic_threshold", "high", "topic_threshold: expected a number"),
    ("feeds", "yes please", "feeds: expected true or false"),
    ("summarizer", "bert", "summarizer: unknown summarizer 'bert'"),
    ("timezone", "Mars/Olympus", "timezone: unknown time zone 'Mars/Olympus'"),
    ("topic_mode", "chapters", "topic_mode: expected one of"),
    ("search", "lunr", "search: expected one of auto, pagefind, material, not 'lunr'"),
    ("search", True, "search: expected text"),
    ("topics", [{"name": "Grammar", "keywords": ["a"]}], "keyword 'a' is a word nearly every"),
    ("topics", [{"name": "x" * 300}], "has a slug of 300 characters"),
    ("cache_dir", "docs/cache", "is inside docs_dir"),
    ("cache_dir", "site/cache", "is inside site_dir"),
    ("cache_dir", "content/.cache", "is inside content_dir"),
    ("cache_dir", "/", "is the file-system root"),
    ("cache_dir", ".", "holds docs_dir"),
    ("content_dir", 5, "content_dir: expected a folder name"),
]


def _with_option(project: Path, name: str, value: object) -> None:
    path = project / "mkdocs.yml"
    config = yaml.safe_load(path.read_text())
    config["plugins"][1]["digest"][name] = value
    path.write_text(yaml.safe_dump(config))


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_a_bad_option_exits_2_naming_it_in_check_and_build(
    tmp_path: Path, name: str, value: object, message: str
) -> None:
    from click.testing import CliRunner

    from digest.cli import cli

    project = copy_fixture("basic", tmp_path)
    _with_option(project, name, value)
    checked = CliRunner().invoke(cli, ["check", "-f", str(project / "mkdocs.yml")])
    assert checked.exit_code == 2, checked.output
    assert message in checked.output
    assert "Traceback" not in checked.output
    built = mkdocs_build(project)
    assert built.returncode == 2, built.stderr
    assert message in built.stderr
    assert "Traceback" not in built.stderr
    assert not (project / "site").exists()
    assert not (project / "cache").exists() and not (project / "docs" / "cache").exists()


@pytest.mark.parametrize("epoch", ["-5", str(2**40), "yesterday", ""])
def test_a_bad_source_date_epoch_exits_2_naming_it(tmp_path: Path, epoch: str) -> None:
    from click.testing import CliRunner

    from digest.cli import cli

    project = copy_fixture("basic", tmp_path)
    checked = CliRunner(env={"SOURCE_DATE_EPOCH": epoch}).invoke(
        cli, ["check", "-f", str(project / "mkdocs.yml")]
    )
    assert checked.exit_code == 2, checked.output
    assert "SOURCE_DATE_EPOCH" in checked.output
    built = mkdocs_build(project, env={"SOURCE_DATE_EPOCH": epoch})
    assert built.returncode == 2, built.stderr
    assert "SOURCE_DATE_EPOCH" in built.stderr and "Traceback" not in built.stderr


def test_more_workers_than_cores_are_never_started() -> None:
    from digest.analysis.parallel import worker_count

    cores = worker_count(0)
    assert worker_count(10_000) == cores
    assert worker_count(1) == 1


def test_digest_build_exits_2_on_a_bad_option_too(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from digest.cli import cli

    project = copy_fixture("basic", tmp_path)
    _with_option(project, "topic_threshold", 2)
    result = CliRunner().invoke(cli, ["build", "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 2, result.output
    assert "topic_threshold: a share" in result.output
    assert not (project / "site").exists()


def test_a_misspelt_option_is_an_error_not_ignored(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from digest.cli import cli

    project = copy_fixture("basic", tmp_path)
    _with_option(project, "summary_sentence", 2)
    message = "summary_sentence: not an option of the digest plugin (did you mean"
    checked = CliRunner().invoke(cli, ["check", "-f", str(project / "mkdocs.yml")])
    assert checked.exit_code == 2 and message in checked.output
    # The plugin checks the names before MkDocs' own "Unrecognised configuration name"
    # warning, which --strict would turn into a bare exit 1.
    for strict in (False, True):
        built = mkdocs_build(project, strict=strict)
        assert built.returncode == 2 and message in built.stderr, built.stderr
        assert "Unrecognised configuration name" not in built.stderr


def test_the_readme_documents_each_option_of_the_table_in_its_order() -> None:
    # digest.config.OPTIONS makes the MkDocs schema and the checks; the README's table of
    # options is written from it, so a new option must be documented there too.
    from digest.config import OPTIONS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)
    assert documented == [option.name for option in OPTIONS]
