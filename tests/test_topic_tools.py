"""Topic tools: explain, evaluate, suggest (CLI and Other page), sections mode, cluster scores."""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from digest.analysis.topic_corpus import adjusted_rand_index, v_measure
from digest.cli import cli
from digest.config import config_from_mapping
from digest.pipeline import build_digest
from digest.project import load_project
from tests.conftest import FIXTURES, REPO, SHARED, copy_fixture, mkdocs_build, require_shared

SUGGEST = FIXTURES / "topic-suggestions"


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


class _Text(HTMLParser):
    """Collects the text of h2/h3 headings, list-item links and <pre> blocks of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.headings: list[str] = []
        self.links: list[str] = []
        self.pre: list[str] = []
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        if tag in ("h2", "h3"):
            self.headings.append("")
        if tag == "pre":
            self.pre.append("")
        if tag == "li":
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if any(t in ("h2", "h3") for t in self.stack):
            self.headings[-1] += data
        if "pre" in self.stack:
            self.pre[-1] += data
        if "li" in self.stack:
            self.items[-1] += data


def parse(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.items = [" ".join(item.split()) for item in parser.items]
    return parser


def test_other_page_suggests_topics_ready_to_paste(tmp_path: Path) -> None:
    project = copy_fixture("topic-suggestions", tmp_path)
    built = mkdocs_build(project)
    assert built.returncode == 0, built.stderr
    page = parse(project / "site" / "other" / "index.html")
    assert "Suggested topics" in [h.strip() for h in page.headings]
    pasted = [yaml.safe_load(block)[0] for block in page.pre]
    assert len(pasted) == 2
    by_word = {w: p for p in pasted for w in p["keywords"]}
    football, fire = by_word["striker"], by_word["wildfire"]
    assert football is not fire
    assert {"derby", "league", "manager"} <= set(football["keywords"])
    assert {"smoke", "blaze", "evacuate"} <= set(fire["keywords"])
    assert all(len(p["keywords"]) == 8 for p in pasted)
    # Each suggestion lists the stories its words would gather: the three of its cluster.
    assert "Club signs defender before deadline" in page.items
    assert "Residents return to burned streets" in page.items
    # The configured topic keeps its story; a pasted suggestion loads as a topic.
    config = config_from_mapping({"topics": pasted}, tmp_path)
    assert [len(t.keywords) for t in config.topics] == [8, 8]


def test_article_page_explains_its_topic(tmp_path: Path) -> None:
    project = copy_fixture("topic-suggestions", tmp_path)
    assert mkdocs_build(project).returncode == 0
    page = parse(project / "site" / "articles" / "iran-tanker-2019-06-14" / "index.html")
    [why] = [i for i in page.items if i.startswith("Iran:")]
    assert why == (
        "Iran: 100% of the article (paragraphs 1, 2), matched Iran, Tehran; "
        "named in the headline or first lines"
    )


def test_seed_article_page_says_which_paragraph_continues_the_iran_passage(
    tmp_path: Path,
) -> None:
    require_shared()
    project = copy_fixture("basic", tmp_path)
    assert mkdocs_build(project).returncode == 0
    page = parse(project / "site" / "articles" / "sochi-2019-05-14" / "index.html")
    [why] = [i for i in page.items if i.startswith("Iran:")]
    assert why.startswith("Iran: 12% of the article (paragraphs 16, 17, 18), matched Iran")
    assert why.endswith("; paragraph 17 continues the passage")


def test_sections_mode_learns_a_topic_the_keywords_missed(tmp_path: Path) -> None:
    topics = [
        {"name": "Football", "keywords": ["league", "striker"]},
        {"name": "Wildfires", "keywords": ["wildfire"]},
        {"name": "Iran", "keywords": ["Iran", "Tehran"]},
    ]
    options = {"content_dir": str(SUGGEST / "content"), "topics": topics, "cache_dir": None}
    passages = build_digest(config_from_mapping(options, tmp_path))
    sections = build_digest(config_from_mapping({**options, "topic_mode": "sections"}, tmp_path))
    homes = "wildfire-homes-2019-07-06"
    # "Residents return to burned streets" never says "wildfire": keywords alone miss it ...
    assert homes in {e.article.slug for e in passages.other}
    # ... its words are the wildfire stories' words, so the sections mode places it there.
    entry = next(e for e in sections.entries if e.article.slug == homes)
    [match] = entry.topics
    assert match.topic == "wildfires" and match.learned
    assert {"blaze", "smoke"} & set(match.evidence)
    assert sections.other == ()
    assert all(len(e.topics) == 1 for e in sections.entries)


def test_no_suggestions_when_disabled_or_too_few_articles(tmp_path: Path) -> None:
    options = {"content_dir": str(SUGGEST / "content"), "topics": [], "cache_dir": None}
    assert build_digest(config_from_mapping(options, tmp_path)).suggestions
    off = build_digest(config_from_mapping({**options, "topic_suggestions": 0}, tmp_path))
    assert off.suggestions == ()
    seed = build_digest(config_from_mapping({"cache_dir": None}, REPO))
    assert seed.suggestions == ()


def test_topics_suggest_command_prints_yaml_and_scores_folders(tmp_path: Path) -> None:
    # Folders as known categories: the command's --score compares its clusters with them.
    content = tmp_path / "by-folder"
    for path in (SUGGEST / "content").glob("*.md"):
        folder = content / path.name.split("-")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    output = run(
        "topics", "suggest", "-f", str(tmp_path / "none.yml"), "--content", str(content),
        "--clusters", "3", "--min-articles", "1", "--score",
    )  # fmt: skip
    lines = [yaml.safe_load(line)[0] for line in output.splitlines() if line.startswith("- {")]
    assert len(lines) == 3
    assert "V-measure 1.000" in output
    assert "adjusted Rand index 1.000" in output


def test_topics_explain_shows_evidence_passing_and_continuation() -> None:
    require_shared()
    seed = REPO / "content" / "sochi-2019-05-14.txt"
    output = run("topics", "explain", "-f", str(REPO / "mkdocs.yml"), str(seed))
    paragraphs = output.split("\n¶")
    assert paragraphs[2].startswith("2 [Election interference]")
    assert "Iran: not counted, named in passing in a list: Iran" in paragraphs[2]
    assert paragraphs[17].startswith("17 [Iran]")
    assert "continues the passage (between paragraphs 16 and 18 about it)" in paragraphs[17]
    assert "Iran: 12% of the article (paragraphs 16, 17, 18)" in output


def test_eval_topics_on_the_seed_labels() -> None:
    require_shared()
    labels = SHARED / "seed" / "labels.yml"
    output = run("eval", "topics", "-f", str(REPO / "mkdocs.yml"), str(labels))
    micro = next(line for line in output.splitlines() if line.startswith("micro"))
    assert micro.split()[1:4] == ["1.000", "1.000", "1.000"]
    assert "18 paragraphs, 0 wrong" in output


def test_eval_topics_on_jsonl_and_category_folders(tmp_path: Path) -> None:
    records = [
        {"title": "a", "text": "Maduro spoke.\n\nGuaido replied.", "topics": ["venezuela"]},
        {"title": "b", "text": "Iran and Tehran were named.\n\nIran again.", "topics": ["Iran"]},
        {"title": "c", "text": "Rain fell on Tuesday.", "topics": ["Iran"]},
    ]  # fmt: skip
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    output = run("eval", "topics", "-f", str(REPO / "mkdocs.yml"), str(labels), "--errors", "5")
    rows = {line.split()[0]: line.split()[1:] for line in output.splitlines() if line}
    assert rows["Venezuela"][:3] == ["1.000", "1.000", "1.000"]
    assert rows["Iran"][:3] == ["1.000", "0.500", "0.667"]
    assert "line 3: labelled Iran; found none" in output
    folders = tmp_path / "cats"
    (folders / "iran").mkdir(parents=True)
    (folders / "iran" / "one.txt").write_text("Iran story\n\nIran and Tehran.\n", encoding="utf-8")
    output = run("eval", "topics", "-f", str(REPO / "mkdocs.yml"), str(folders))
    assert "1 article, 0 wrong" in output


def test_eval_topics_reports_bad_labels_clearly(tmp_path: Path) -> None:
    labels = tmp_path / "bad.jsonl"
    labels.write_text('{"text": "x", "topics": ["Sport"]}\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["eval", "topics", "-f", str(REPO / "mkdocs.yml"), str(labels)]
    )
    assert result.exit_code == 2
    assert "label 'Sport' is not a configured topic" in result.output


def test_v_measure_and_adjusted_rand_index_known_values() -> None:
    assert v_measure([0, 0, 1, 1], [5, 5, 7, 7])[2] == pytest.approx(1.0)
    homogeneity, completeness, v = v_measure([0, 0, 1, 1], [0, 0, 1, 2])
    assert (homogeneity, completeness, v) == pytest.approx((1.0, 2 / 3, 0.8))
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)
    assert adjusted_rand_index(list("aabbcc"), list("xyzxyz")) < 0
    assert adjusted_rand_index([1, 1, 2, 2], [3, 3, 4, 4]) == pytest.approx(1.0)


def test_other_page_and_suggest_command_print_the_same_clusters() -> None:
    # The fixture's file names sort otherwise than its dates: the page sees the stories
    # newest first, the command reads them by name; both must find the same clusters.
    config = SUGGEST / "mkdocs.yml"
    digest = build_digest(dataclasses.replace(load_project(config), cache_dir=None))
    output = run("topics", "suggest", "-f", str(config))
    printed = [yaml.safe_load(line)[0] for line in output.splitlines() if line.startswith("- {")]
    on_page = [{"name": s.name, "keywords": list(s.keywords)} for s in digest.suggestions]
    assert on_page and printed == on_page


def test_suggestions_do_not_depend_on_the_order_of_the_stories() -> None:
    from digest.analysis.topic_corpus import Document, suggest_topics

    themes = {
        "match": "striker derby league goal keeper",
        "fire": "blaze smoke wildfire hills evacuate",
        "vote": "ballot polls turnout candidate voters",
    }
    documents = [
        Document(f"{name}-{n}", f"{name} {n}", (f"{words} story {n} town.",) * (n % 3 + 1))
        for name, words in themes.items()
        for n in range(5)
    ]
    forward = suggest_topics(documents, clusters=3)
    backward = suggest_topics(documents[::-1], clusters=3)
    assert forward.suggestions == backward.suggestions
    assert dict(zip(forward.documents, forward.labels, strict=True)) == dict(
        zip(backward.documents, backward.labels, strict=True)
    )


def test_suggestions_are_named_by_distinctive_words_not_corpus_wide_ones() -> None:
    from digest.analysis.topic_corpus import Document, suggest_topics

    # "percent" and "federal" fill the budget stories and turn up in the others too (as in a
    # real news mix): the cluster is about the budget, not about percent.
    budget = [
        Document(
            f"budget-{n}",
            "Budget",
            (
                "The percent rose a percent, federal percent and federal percent again. "
                f"The deficit and appropriations bill went to the senate committee {n}.",
            ),
        )
        for n in range(6)
    ]
    fire = [
        Document(f"fire-{n}", "Fire", (f"Blaze and smoke forced evacuations in the hills {n}.",))
        for n in range(6)
    ]
    fire += [
        Document(f"fire-x{n}", "Fire", (f"Blaze and smoke, federal percent help {n}.",))
        for n in range(3)
    ]
    found = suggest_topics(budget + fire, clusters=2)
    names = {s.name for s in found.suggestions}
    budget_name = next(n for n in names if "Deficit" in n or "Appropriations" in n)
    assert "Percent" not in budget_name and "Federal" not in budget_name


def test_eval_topics_by_story_counts_what_the_pages_show(tmp_path: Path) -> None:
    # Two reports of one event, a day apart: only the first names Iran. Its story is on the
    # Iran page, so a reader finds the second there too; scored by story it counts as on Iran.
    crew = (
        "The Stena Impero's crew of twenty-three remained aboard the vessel at Bandar Abbas "
        "on Saturday, Stena Bulk chief executive Erik Hanell said in Gothenburg."
    )
    records = [
        {
            "title": "Iran's Revolutionary Guard seizes the Stena Impero in the Strait of Hormuz",
            "text": "Iran's Revolutionary Guard seized the British-flagged tanker Stena Impero "
            f"on Friday, Tehran said.\n\n{crew}\n\nIran said the ship broke maritime rules.",
            "topics": ["Iran"],
            "date": "2019-07-19",
        },
        {
            "title": "Stena Impero crew held at Bandar Abbas, Stena Bulk says",
            "text": f"{crew}\n\nErik Hanell said Stena Bulk had no contact with the Stena Impero "
            "crew at Bandar Abbas and asked for access to the twenty-three sailors.",
            "topics": [],
            "date": "2019-07-20",
        },
        {"title": "Rain", "text": "Rain fell in Oslo.", "topics": [], "date": "2019-07-23"},
    ]  # fmt: skip
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    config = str(REPO / "mkdocs.yml")
    alone = run("eval", "topics", "-f", config, str(labels), "--errors", "5")
    assert "3 articles, 0 wrong" in alone
    by_story = run("eval", "topics", "-f", config, str(labels), "--stories", "--errors", "5")
    assert "(articles, passages, counted by story)" in by_story
    assert "line 2: labelled none; found Iran" in by_story
    assert "line 3" not in by_story
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "topics": [], "date": "someday"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "topics", "-f", config, str(bad), "--stories"])
    assert result.exit_code == 2
    assert "bad.jsonl:1: 'someday' is not a date" in result.output
