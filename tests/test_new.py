"""`digest new`: a project of one's own that builds as it is; and what a newcomer trips on next."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import cli
from digest.project import load_project
from digest.site.render import default_templates_dir
from tests.browser.conftest import SCREENSHOTS, screenshot_folder
from tests.conftest import REPO, checkout_status, mkdocs_build

ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _digest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The `digest` command as a user runs it, in cwd."""
    return subprocess.run(
        [sys.executable, "-m", "digest.cli", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _new(tmp_path: Path, *args: str) -> Path:
    result = _digest("new", "mydigest", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "mydigest"


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`digest new mydigest && cd mydigest && mkdocs build --strict`, in an empty folder."""
    project = _new(tmp_path_factory.mktemp("new"))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    return project


def test_new_writes_a_project_without_the_repositorys_own_docs(tmp_path: Path) -> None:
    project = _new(tmp_path)
    assert _files(project) == [
        ".github/workflows/digest.yml",
        ".gitignore",
        "content/riverside-tram-line-2025-04-02.md",
        "docs/about.md",
        "mkdocs.yml",
        "requirements.txt",
    ]
    raw = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
    assert raw["site_name"] == "Mydigest"
    assert raw["site_url"] == "https://example.org/mydigest/"
    # Every nav entry is a page of the new project (none of this repository's docs).
    for entry in raw["nav"]:
        for page in entry.values():
            assert (project / "docs" / page).is_file(), page
    config = load_project(project / "mkdocs.yml")
    assert [t.name for t in config.topics] == ["Transport", "Floods and storms"]
    assert config.sources == ()  # the example sources are comments: nothing is fetched
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    assert "# sources:" in text and "#     feed: https://" in text
    ignored = (project / ".gitignore").read_text(encoding="utf-8").split()
    assert {"site/", ".digest-cache/"} <= set(ignored)


def test_the_workflow_fetches_builds_and_publishes_keeping_the_cache(tmp_path: Path) -> None:
    project = _new(tmp_path)
    workflow = yaml.safe_load((project / ".github/workflows/digest.yml").read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    uses = [step.get("uses", "") for step in steps]
    assert any(run.startswith("digest fetch") for run in runs)
    assert "mkdocs build --strict" in runs
    assert any(use.startswith("actions/upload-pages-artifact") for use in uses)
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".digest-cache"
    deploy = workflow["jobs"]["deploy"]["steps"]
    assert deploy[0]["uses"].startswith("actions/deploy-pages")
    # It installs the release that made the project (setup-python caches pip by this file).
    from digest import __version__

    requirements = (project / "requirements.txt").read_text(encoding="utf-8")
    assert f"newsdigest=={__version__}" in requirements.splitlines()
    assert "-r requirements.txt" in " ".join(runs)


def test_the_new_project_builds_strict_with_its_topics_and_feeds(built: Path) -> None:
    site = built / "site"
    for slug in ("transport", "floods-and-storms"):
        page = (site / "topics" / slug / "index.html").read_text(encoding="utf-8")
        assert "Riverside tram line opens a month late" in page, slug
        feed = json.loads((site / "feeds" / "topics" / slug / "feed.json").read_text("utf-8"))
        assert [item["title"] for item in feed["items"]] == [
            "Riverside tram line opens a month late after spring floods"
        ]
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert (site / "feeds" / name).is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Transport" in home and "Floods and storms" in home
    assert (site / "about" / "index.html").is_file()
    assert (site / "articles" / "riverside-tram-line-2025-04-02" / "index.html").is_file()


def test_check_passes_on_the_new_project_and_names_an_empty_topic(built: Path) -> None:
    checked = _digest("check", cwd=built)
    assert checked.returncode == 0, checked.stderr
    assert "1 article in the digest, 0 problems; 2 topic placements" in checked.stdout
    config = built / "mkdocs.yml"
    original = config.read_text(encoding="utf-8")
    try:
        broken = original.replace(
            "        # - name: City council\n",
            "        - name: City council\n          keywords: []\n",
        )
        assert broken != original
        config.write_text(broken, encoding="utf-8")
        checked = _digest("check", cwd=built)
        assert checked.returncode == 2
        assert "topic 'City council' has no keywords" in checked.stderr
        # The build names it too, and stops with the other bad-config errors.
        result = mkdocs_build(built)
        assert result.returncode == 2
        assert "topic 'City council' has no keywords" in result.stderr
    finally:
        config.write_text(original, encoding="utf-8")


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ({"name": "Sport", "keywords": []}, "topic 'Sport' has no keywords"),
        ({"name": "Sport", "keywords": None}, "topic 'Sport' has no keywords"),
        ({"name": "Sport", "keywords": ["", "  "]}, "topic 'Sport' has no keywords"),
        ({"name": "Sport", "keywords": ["match", ""]}, "has an empty keyword"),
        ({"name": "Sport", "keywords": ["—"]}, "keyword '—' has no letter or digit"),
        ({"name": "Sport", "keywords": ["of the", "about"]}, "keyword 'of the' is a word nearly"),
        ({"name": "The"}, "so its name is its keyword): keyword 'The' is a word nearly"),
    ],
)
def test_a_topic_no_article_can_join_properly_is_named(
    tmp_path: Path, topic: dict[str, object], message: str
) -> None:
    project = _new(tmp_path)
    config = project / "mkdocs.yml"
    raw = config.read_text(encoding="utf-8")
    extra = yaml.safe_dump([topic], allow_unicode=True).replace("\n", "\n        ")
    config.write_text(raw.replace("      topics:\n", f"      topics:\n        {extra}\n"), "utf-8")
    checked = CliRunner().invoke(cli, ["check", "-f", str(config)])
    assert checked.exit_code == 2
    assert message in checked.output


def test_keywords_that_can_match_are_kept() -> None:
    from digest.config import topics_from_list

    (topic,) = topics_from_list([{"name": "US", "keywords": ["U.S.", "委内瑞拉", "Labour"]}])
    assert topic.keywords == ("U.S.", "委内瑞拉", "Labour")


def test_new_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "mydigest"
    target.mkdir()
    (target / "mkdocs.yml").write_text("site_name: Mine\n", encoding="utf-8")
    refused = _digest("new", "mydigest", cwd=tmp_path)
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert _files(target) == ["mkdocs.yml"]
    forced = _digest("new", "mydigest", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    # What was there is kept as it is, and said so.
    assert (target / "mkdocs.yml").read_text(encoding="utf-8") == "site_name: Mine\n"
    assert "mkdocs.yml (already there: kept as it is)" in forced.stdout
    assert (target / "content" / "riverside-tram-line-2025-04-02.md").is_file()


def test_an_empty_folder_is_fine_and_templates_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "mydigest").mkdir()
    project = _new(tmp_path, "--templates", "--name", 'Tram: "news"', "--site-url", "https://a.b/")
    shipped = sorted(p.name for p in default_templates_dir().glob("*.j2"))
    assert sorted(p.name for p in (project / "site_templates").iterdir()) == shipped
    for name in shipped:
        copied = (project / "site_templates" / name).read_bytes()
        assert copied == (default_templates_dir() / name).read_bytes()
    raw = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
    assert raw["site_name"] == 'Tram: "news"' and raw["site_url"] == "https://a.b/"
    again = tmp_path / "again"
    again.mkdir()
    assert not (_new(again) / "site_templates").exists()


def test_a_bad_site_url_is_refused(tmp_path: Path) -> None:
    result = _digest("new", "mydigest", "--site-url", "example.org", cwd=tmp_path)
    assert result.returncode == 2 and "--site-url" in result.stderr
    assert not (tmp_path / "mydigest").exists()


def test_help_comes_from_the_docstring() -> None:
    result = CliRunner().invoke(cli, ["new", "--help"])
    assert result.exit_code == 0
    assert "Create a digest project in DIRECTORY" in result.output
    assert "--templates" in result.output and "--force" in result.output


def test_screenshots_go_to_a_temporary_folder_unless_asked(tmp_path: Path) -> None:
    assert screenshot_folder(tmp_path, {}) == tmp_path
    assert screenshot_folder(tmp_path, {"DIGEST_UPDATE_SCREENSHOTS": "0"}) == tmp_path
    assert screenshot_folder(tmp_path, {"DIGEST_UPDATE_SCREENSHOTS": "1"}) == SCREENSHOTS
    assert SCREENSHOTS.is_relative_to(REPO)


def test_checkout_status_sees_a_file_a_test_would_leave_behind(tmp_path: Path) -> None:
    """The session check (tests/conftest.py) compares these before and after a run."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert checkout_status(repo) == set()
    (repo / "stray.png").write_bytes(b"x")
    assert checkout_status(repo) == {"?? stray.png"}
    assert checkout_status(tmp_path / "nowhere") is None
