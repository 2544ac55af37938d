"""Stories: articles about one event, from several outlets, grouped into one story."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from digest.analysis import stories as clustering
from digest.analysis.stories import cluster_stories, listed_once, story_summary
from digest.analysis.tokenizer import sentences_of, split_words
from digest.config import ConfigError, config_from_mapping
from digest.evaluation.stories import bcubed, evaluate, read_labels, within_days
from digest.model import Article, DigestEntry, StorySettings, Summary
from digest.pipeline import group

from .conftest import SHARED, require_shared

DAY = datetime(2019, 7, 19, 9, tzinfo=timezone.utc)

# Three outlets on each of four events, written for these tests. Two events are about Iran
# and two about the same Senate bill's week: a shared subject must not make them one story.
EVENTS = {
    "tanker": [
        (
            "Iran seizes British-flagged tanker Stena Impero in the Strait of Hormuz",
            "Iran's Revolutionary Guard seized the British-flagged oil tanker Stena Impero in the "
            "Strait of Hormuz on Friday, its owners said, and took the ship to Bandar Abbas.",
            "The Swedish owner Stena Bulk said it could not contact the 23 crew members. Britain "
            "summoned Iran's charge d'affaires and warned of serious consequences.",
        ),
        (
            "Britain warns Tehran after Revolutionary Guard takes Stena Impero",
            "British officials condemned the seizure of the Stena Impero, a tanker flagged in "
            "Britain, by Revolutionary Guard boats near the Strait of Hormuz.",
            "Stena Bulk, the tanker's Swedish owner, said the crew of 23 were unharmed. The ship "
            "was escorted to the port of Bandar Abbas, Iranian media reported.",
        ),
        (
            "Tanker seized: what we know about the Stena Impero",
            "The Stena Impero was sailing through the Strait of Hormuz when Revolutionary Guard "
            "speedboats and a helicopter surrounded it, according to Stena Bulk.",
            "Its 23 crew members come from India, Russia, Latvia and the Philippines. Britain said "
            "the seizure in Omani waters was unacceptable and called for the ship's release.",
        ),
    ],
    "visit": [
        (
            "Abe meets Rouhani in Tehran in bid to ease tensions",
            "Japanese Prime Minister Shinzo Abe met President Hassan Rouhani in Tehran on "
            "Wednesday, the first visit by a Japanese leader to Iran in four decades.",
            "Abe carried a message of restraint and said Japan wanted to play a mediating role. "
            "Rouhani told reporters that Iran would not start a war.",
        ),
        (
            "Shinzo Abe's Iran visit: Japan offers to mediate",
            "Shinzo Abe arrived in Tehran for talks with Hassan Rouhani and the supreme leader, "
            "Ayatollah Ali Khamenei, offering Japan's help as a mediator.",
            "The Japanese prime minister urged restraint, and Rouhani welcomed the visit, the "
            "first by a Japanese leader since the 1979 revolution.",
        ),
        (
            "Japan's leader in Tehran as a mediator",
            "Prime Minister Shinzo Abe of Japan held talks with President Hassan Rouhani in "
            "Tehran, hoping to mediate between Iran and Washington.",
            "Khamenei told Abe he would not reply to any message from Washington. Rouhani said the "
            "talks with the Japanese prime minister had been constructive.",
        ),
    ],
    "bridge": [
        (
            "Genoa bridge collapse kills dozens as Morandi viaduct gives way",
            "A section of the Morandi bridge in Genoa collapsed during a storm on Tuesday, sending "
            "cars and trucks plunging 45 metres onto railway tracks.",
            "Rescuers searched the rubble for survivors. Italy's transport minister Danilo "
            "Toninelli said those responsible would pay.",
        ),
        (
            "Rescuers search rubble after Genoa's Morandi bridge falls",
            "Firefighters worked through the night in Genoa after the Morandi viaduct collapsed, "
            "dropping vehicles onto the railway below.",
            "Danilo Toninelli, the transport minister, blamed the motorway operator Autostrade per "
            "l'Italia for poor maintenance of the bridge.",
        ),
        (
            "Italy blames operator for Genoa bridge disaster",
            "Italian ministers turned on Autostrade per l'Italia after a stretch of the Morandi "
            "bridge in Genoa fell onto railway tracks in a storm.",
            "Toninelli said the company's concession could be revoked, as rescuers pulled "
            "survivors from the rubble of the viaduct.",
        ),
    ],
    "tariffs": [
        (
            "Iran's oil exports fall as American sanctions bite",
            "Iran's crude exports fell to their lowest level in years in July as buyers in Asia "
            "stopped loading cargoes under the threat of American sanctions.",
            "Refiners in South Korea and India cut purchases to zero, shipping data showed, and "
            "the rial slid against the dollar in Tehran's currency markets.",
        ),
        (
            "Sanctions cut Iranian crude sales to a trickle",
            "Shipping data showed Iranian crude exports dropping sharply in July, as refiners in "
            "India and South Korea halted purchases to avoid sanctions.",
            "The rial hit a record low against the dollar and traders in Tehran said currency "
            "exchanges had run short of dollars.",
        ),
        (
            "Asian buyers shun Iranian oil",
            "Refiners in India and South Korea stopped buying Iranian crude in July, according to "
            "shipping data, leaving exports at their lowest level in years.",
            "In Tehran the rial slumped to a record low against the dollar as sanctions bit.",
        ),
    ],
}
OUTLETS = ("Daily Planet", "Bugle", "Sentinel")


def _articles(start: datetime = DAY) -> tuple[list[Article], dict[str, str]]:
    articles, truth = [], {}
    hour = 0
    for event, versions in EVENTS.items():
        for outlet, (title, *paragraphs) in zip(OUTLETS, versions, strict=True):
            hour += 5
            slug = f"{event}-{outlet.split()[-1].lower()}"
            article = Article(
                source_path=f"{slug}.md",
                slug=slug,
                title=title,
                date=start + timedelta(hours=hour % 72),
                paragraphs=tuple(paragraphs),
                source=outlet,
            )
            articles.append(article)
            truth[article.source_path] = event
    return articles, truth


def _assignment(found: tuple) -> dict[str, str]:
    return {path: story.id for story in found for path in story.articles}


def test_each_event_is_one_story_and_a_shared_subject_is_not_enough() -> None:
    articles, truth = _articles()
    found = cluster_stories(articles)
    score = bcubed(truth, _assignment(found))
    assert (score.precision, score.recall) == (1.0, 1.0), [s.articles for s in found]
    by_event = {truth[s.articles[0]]: s for s in found}
    assert by_event["tanker"].title.startswith(("Iran seizes", "Britain warns", "Tanker seized"))
    assert len(by_event["tanker"].articles) == 3


def test_the_same_articles_in_any_order_give_the_same_stories() -> None:
    articles, _ = _articles()
    expected = cluster_stories(articles)
    for seed in range(5):
        shuffled = list(articles)
        random.Random(seed).shuffle(shuffled)
        assert cluster_stories(shuffled) == expected


def test_a_story_keeps_its_id_when_later_articles_join() -> None:
    articles, truth = _articles()
    first = [a for a in articles if a.slug.endswith("-planet")]
    before = {truth[s.articles[0]]: s.id for s in cluster_stories(first)}
    after = {truth[s.articles[0]]: s.id for s in cluster_stories(articles)}
    assert before == after
    assert before["bridge"] == "bridge-planet"


def test_articles_further_apart_than_the_window_start_new_stories() -> None:
    articles, truth = _articles()
    # The third outlet reports each event forty days later.
    late = [
        replace(a, date=a.date + timedelta(days=40)) if a.slug.endswith("sentinel") else a
        for a in articles
    ]
    found = cluster_stories(late, StorySettings(window_days=7))
    assert len(found) == 8
    assert len(cluster_stories(late, StorySettings(window_days=60))) == 4


def test_the_threshold_decides_how_alike_articles_must_be() -> None:
    articles, _ = _articles()
    assert len(cluster_stories(articles, StorySettings(threshold=1.0))) == len(articles)
    # Two Iran events told with the same subject words: one story when the threshold is low.
    tanker = [a for a in articles if a.slug.startswith("tanker")]
    retold = [
        replace(
            a,
            source_path=f"re-{a.source_path}",
            slug=f"re-{a.slug}",
            paragraphs=(a.paragraphs[0].replace("Stena Impero", "Grace One"),),
        )
        for a in tanker
    ]
    assert len(cluster_stories([*tanker, *retold], StorySettings(threshold=0.01))) == 1
    assert len(cluster_stories([*tanker, *retold], StorySettings(threshold=0.3))) > 1


def test_syndicated_copies_join_their_story() -> None:
    articles, truth = _articles()
    copy = replace(
        articles[0], source_path="wire/tanker-copy.md", slug="tanker-copy", source="Wire"
    )
    found = _assignment(cluster_stories([*articles, copy]))
    assert found["wire/tanker-copy.md"] == found[articles[0].source_path]


def test_work_per_article_is_bounded_not_all_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    # 600 one-article events that all share a subject within one window: an all-pairs
    # clustering would compare ~180,000 pairs; here each article looks at a few candidates.
    rng = random.Random(7)
    vocabulary = [f"word{i}" for i in range(5000)]
    articles = [
        Article(
            source_path=f"a{i:04d}.md",
            slug=f"a{i:04d}",
            title=f"Iran {' '.join(rng.sample(vocabulary, 4))}",
            date=DAY + timedelta(minutes=i),
            paragraphs=(" ".join(["Iran", *rng.sample(vocabulary, 40)]),),
        )
        for i in range(600)
    ]
    clusterer = clustering.StoryClusterer(StorySettings())
    df, documents = _frequencies(articles)
    for article in clustering.chronological(articles):
        terms = clustering.article_terms(article)
        clusterer.add(article, clustering.term_vector(terms, df, documents))
    assert clusterer.comparisons <= len(articles) * clustering._CANDIDATES
    assert len(clusterer.stories) == len(articles)


def _frequencies(articles: list[Article]) -> tuple:
    from collections import Counter

    df: Counter[str] = Counter()
    for article in articles:
        df.update(clustering.article_terms(article).keys())
    return df, len(articles)


def test_names_count_as_terms_of_their_own() -> None:
    article = Article(
        source_path="x.md",
        slug="x",
        title="A headline",
        date=DAY,
        paragraphs=("Officials said Michael Cohen met Robert Mueller. Cohen left.",),
    )
    terms = clustering.article_terms(article)
    assert terms["name:michael cohen"] == 1
    assert terms["name:robert mueller"] == 1
    assert "name:officials said" not in terms
    assert "said" not in terms and terms["cohen"] == 2 * 2.0  # twice, in the lede


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"threshold": 0}, "stories.threshold"),
        ({"threshold": 1.5}, "stories.threshold"),
        ({"threshold": "high"}, "stories.threshold"),
        ({"window_days": -1}, "stories.window_days"),
        ({"window_days": True}, "stories.window_days"),
        ({"windows": 3}, "stories: unknown option"),
        ("loose", "stories: expected a mapping"),
    ],
)
def test_bad_story_options_name_the_option(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping({"stories": raw}, Path("."))


def test_story_options_reach_the_config() -> None:
    config = config_from_mapping({"stories": {"threshold": 0.3, "window_days": 3}}, Path("."))
    assert config.stories == StorySettings(threshold=0.3, window_days=3.0)
    assert config_from_mapping({}, Path(".")).stories == StorySettings()


def test_the_default_holds_on_basil_events_moved_into_one_week() -> None:
    labels = require_shared(SHARED / "corpora" / "basil-events" / "events-even.jsonl")
    week = within_days(read_labels(labels), 7)
    assert len({item.article.date.date() for item in week}) == 7
    score = evaluate(week, StorySettings())
    assert score.f1 > 0.93, score


def test_bcubed_scores_merges_and_splits() -> None:
    truth = {"a": 1, "b": 1, "c": 2, "d": 2}
    assert bcubed(truth, {"a": "x", "b": "x", "c": "y", "d": "y"}).f1 == 1.0
    merged = bcubed(truth, {"a": "x", "b": "x", "c": "x", "d": "x"})
    assert (merged.precision, merged.recall) == (0.5, 1.0)
    split = bcubed(truth, {"a": "p", "b": "q", "c": "r", "d": "s"})
    assert (split.precision, split.recall) == (1.0, 0.5)


@pytest.mark.parametrize(
    ("stories", "expected"),
    [
        ({"threshold": 0.3, "window_days": 3}, StorySettings(threshold=0.3, window_days=3.0)),
        ({"threshold": 3}, "stories.threshold"),
        ({"thresh": 0.3}, "stories: unknown option"),
    ],
)
def test_the_plugin_reads_and_checks_the_stories_options(
    tmp_path: Path, stories: dict, expected: object
) -> None:
    from mkdocs.config import load_config

    from digest.mkdocs.plugin import DigestConfigError, digest_config

    from .conftest import copy_fixture

    project = copy_fixture("basic", tmp_path)
    raw = yaml.safe_load((project / "mkdocs.yml").read_text())
    raw["plugins"][1]["digest"]["stories"] = stories
    (project / "mkdocs.yml").write_text(yaml.safe_dump(raw))
    config = load_config(str(project / "mkdocs.yml"))
    plugin = config.plugins["digest"]
    if isinstance(expected, StorySettings):
        assert digest_config(plugin.config, config).stories == expected
    else:
        # A bad option is a configuration error: `mkdocs build` exits 2 naming it.
        with pytest.raises(DigestConfigError, match=str(expected)):
            digest_config(plugin.config, config)


def _write_project(root: Path, stories: dict | None = None) -> Path:
    """A site whose content folder holds the EVENTS articles as Markdown files."""
    articles, _ = _articles()
    content = root / "content" / "wire"
    content.mkdir(parents=True)
    for article in articles:
        front = {
            "title": article.title,
            "date": article.date.isoformat(),
            "source": article.source,
        }
        body = "\n\n".join(article.paragraphs)
        (content / f"{article.slug}.md").write_text(
            f"---\n{yaml.safe_dump(front)}---\n\n{body}\n", encoding="utf-8"
        )
    options: dict = {"content_dir": "content"}
    if stories is not None:
        options["stories"] = stories
    config = {"site_name": "Stories", "plugins": [{"digest": options}]}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def _run(*args: str):
    from click.testing import CliRunner

    from digest.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_digest_stories_lists_each_event_once_with_project_relative_paths(tmp_path: Path) -> None:
    project = _write_project(tmp_path / "site")
    result = _run("stories", "-f", str(project / "mkdocs.yml"), "--format", "json")
    assert result.exit_code == 0, result.output
    stories = json.loads(result.output)
    assert len(stories) == 4
    keys = {"id", "title", "articles", "sources", "dates", "summary"}
    assert all(set(story) == keys for story in stories)
    paths = sorted(p for story in stories for p in story["articles"])
    assert paths[0] == "content/wire/bridge-bugle.md" and len(paths) == 12
    tanker = next(s for s in stories if "content/wire/tanker-planet.md" in s["articles"])
    assert tanker["id"] == "wire-tanker-planet"  # the earliest article's slug
    assert sorted(tanker["articles"]) == [
        "content/wire/tanker-bugle.md",
        "content/wire/tanker-planet.md",
        "content/wire/tanker-sentinel.md",
    ]
    assert tanker["sources"] == ["Daily Planet", "Bugle", "Sentinel"]
    assert tanker["dates"]["start"] <= tanker["dates"]["end"]
    # The summary: sentences from its articles, each credited, no two saying the same thing.
    texts = {
        path: (project / path).read_text("utf-8").replace("\n", " ") for path in tanker["articles"]
    }
    assert len(tanker["summary"]) >= 3
    assert len({s["article"] for s in tanker["summary"]}) >= 2
    for sentence in tanker["summary"]:
        assert sentence["text"] in texts[sentence["article"]]
    text = _run("stories", "-f", str(project / "mkdocs.yml"))
    assert "12 articles in 4 stories; 4 with more than one article" in text.output


def test_digest_stories_refuses_a_bad_option_with_exit_2(tmp_path: Path) -> None:
    project = _write_project(tmp_path / "site", stories={"window_days": 0})
    result = _run("stories", "-f", str(project / "mkdocs.yml"))
    assert result.exit_code == 2
    assert "stories.window_days" in result.output


def test_eval_stories_scores_labelled_events(tmp_path: Path) -> None:
    articles, truth = _articles()
    labels = tmp_path / "events.jsonl"
    with labels.open("w", encoding="utf-8") as out:
        for article in articles:
            row = {
                "event": truth[article.source_path],
                "title": article.title,
                "date": article.date.isoformat(),
                "text": "\n\n".join(article.paragraphs),
            }
            out.write(json.dumps(row) + "\n")
    config = str(tmp_path / "absent.yml")
    result = _run("eval", "stories", str(labels), "-f", config, "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)["rows"][0]
    assert (row["precision"], row["recall"], row["f1"], row["stories"]) == (1.0, 1.0, 1.0, 4)
    split = _run("eval", "stories", str(labels), "-f", config, "--threshold", "0.9")
    assert "| 0.9 |" in split.output and "| 1.000 | 1.000 |" not in split.output
    swept = _run("eval", "stories", str(labels), "-f", config, "--sweep")
    assert "0.09 (configured)" in swept.output
    compared = _run("eval", "stories", str(labels), "-f", config, "--compare", "--format", "json")
    report = json.loads(compared.output)["compare"]
    assert 0 < report["baseline_f1"] <= 1
    # Tuned on one half of the events, checked on the other, each way: all 12 articles.
    assert sorted(f["checked_on"] for f in report["folds"]) == [6, 6]
    assert all(0 < f["f1"] <= 1 and 0 < f["baseline_f1"] <= 1 for f in report["folds"])
    bad = _run("eval", "stories", str(labels), "-f", config, "--threshold", "2")
    assert bad.exit_code == 2 and "stories.threshold" in bad.output
    labels.write_text('{"title": "no event"}\n', encoding="utf-8")
    broken = _run("eval", "stories", str(labels), "-f", config)
    assert broken.exit_code == 2


def test_eval_stories_on_basil_events_in_one_week_through_the_command() -> None:
    labels = require_shared(SHARED / "corpora" / "basil-events" / "events-even.jsonl")
    result = _run(
        "eval", "stories", str(labels), "-f", "absent.yml", "--within-days", "7", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)["rows"][0]
    assert row["threshold"] == StorySettings().threshold
    assert row["f1"] > 0.93


def _entry(article: Article) -> DigestEntry:
    sentences = sentences_of(article.paragraphs)
    return DigestEntry(article, sentences, Summary(sentences[:2], "lead"))


def test_a_story_summary_draws_from_its_sources_without_repeating_itself() -> None:
    articles, truth = _articles()
    tanker = [a for a in articles if truth[a.source_path] == "tanker"]
    # A syndicated copy says what the first article says, in its words.
    copy = replace(tanker[0], source_path="copy.md", slug="copy", source="Wire")
    entries = {a.source_path: _entry(a) for a in [*tanker, copy]}
    (story,) = cluster_stories([*tanker, copy])
    summary = story_summary(story, entries, 3)
    assert len(summary) >= 3
    assert len({s.source for s in summary}) >= 2
    stems = [set(split_words(s.text.lower())) for s in summary]
    for i, one in enumerate(stems):
        for other in stems[:i]:
            assert len(one & other) / min(len(one), len(other)) < 0.6, summary
    by_slug = {a.slug: a for a in [*tanker, copy]}
    for sentence in summary:
        assert sentence.text in " ".join(by_slug[sentence.article].paragraphs)
        assert sentence.source == by_slug[sentence.article].source
        assert sentence.update == (by_slug[sentence.article].date.date() > story.start.date())


def test_listings_show_a_story_once_by_its_earliest_article() -> None:
    articles, truth = _articles()
    entries = [_entry(a) for a in articles]
    digest = group(entries, ())
    digest = replace(digest, stories=cluster_stories(articles))
    listed = listed_once(digest)
    assert len(listed.entries) == 4 and len(listed.other) == 4
    assert {e.article.slug for e in listed.entries} == {s.id for s in digest.stories}
    assert len(digest.entries) == 12  # every article keeps its page


def test_digest_stories_on_basil_in_one_week_with_syndicated_copies(tmp_path: Path) -> None:
    """As the held-back check runs: a content folder of BASIL articles, dates in one week, plus
    copies (exact, and re-headlined by another outlet), scored from `digest stories` JSON."""
    labels = require_shared(SHARED / "corpora" / "basil-events" / "events-even.jsonl")
    week = within_days(read_labels(labels), 7)
    content = tmp_path / "site" / "content"
    content.mkdir(parents=True)
    truth: dict[str, str] = {}

    def write(name: str, title: str, article: Article, source: str) -> None:
        front = {"title": title, "date": article.date.isoformat(), "source": source}
        body = "\n\n".join(article.paragraphs)
        (content / name).write_text(f"---\n{yaml.safe_dump(front)}---\n\n{body}\n", "utf-8")

    for number, item in enumerate(week):
        article = item.article
        write(f"{number:03d}.md", article.title, article, article.source or "")
        truth[f"content/{number:03d}.md"] = item.event
        if number % 10 == 0:
            write(f"{number:03d}-copy.md", article.title, article, article.source or "")
            truth[f"content/{number:03d}-copy.md"] = item.event
        if number % 10 == 5:
            write(f"{number:03d}-wire.md", "Wire: " + article.title, article, "Wire")
            truth[f"content/{number:03d}-wire.md"] = item.event
    (tmp_path / "site" / "mkdocs.yml").write_text(
        yaml.safe_dump({"site_name": "BASIL", "plugins": [{"digest": {}}]}), encoding="utf-8"
    )
    result = _run("stories", "-f", str(tmp_path / "site" / "mkdocs.yml"), "--format", "json")
    assert result.exit_code == 0, result.output
    found = {path: story["id"] for story in json.loads(result.output) for path in story["articles"]}
    assert set(found) == set(truth)
    score = bcubed(truth, found)
    assert score.f1 > 0.93, score
    assert found["content/000-copy.md"] == found["content/000.md"]


def _coverage(events: int = 120, seed: int = 3) -> list[Article]:
    """Coverage of one event a day: each event told by one to four outlets over a few days, in
    words of its own and of the beat every event shares."""
    rng = random.Random(seed)
    beat = [f"beat{i}" for i in range(40)]
    articles = []
    for event in range(events):
        own = [f"ev{event}w{i}" for i in range(12)]
        day = DAY + timedelta(days=event)  # one event a day, told over the next days
        for outlet in range(rng.randint(1, 4)):
            words = rng.sample(own, 8) + rng.sample(beat, 20)
            articles.append(
                Article(
                    source_path=f"{outlet}/event-{event:03d}.md",
                    slug=f"event-{event:03d}-{outlet}",
                    title=" ".join(["Event", *words[:4]]),
                    date=day + timedelta(hours=rng.randint(0, 60)),
                    paragraphs=(" ".join(words) + ".",),
                )
            )
    return articles


def _resumed_from(earlier: list[Article], later: list[Article]) -> tuple:
    settings = StorySettings()
    _, checkpoint = clustering.cluster_incrementally(earlier, settings, None)
    return clustering.cluster_incrementally(later, settings, checkpoint)


def test_the_next_days_articles_resume_the_clustering_and_give_what_clustering_all_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles = clustering.chronological(_coverage(events=600))
    settings = StorySettings()
    expected, expected_checkpoint = clustering.cluster_incrementally(articles, settings, None)
    _, checkpoint = clustering.cluster_incrementally(articles[:-10], settings, None)
    counted = []
    original = clustering.article_terms
    monkeypatch.setattr(
        clustering, "article_terms", lambda article: counted.append(article) or original(article)
    )
    found, resumed_checkpoint = clustering.cluster_incrementally(articles, settings, checkpoint)
    assert found == expected
    assert resumed_checkpoint == expected_checkpoint
    # Only the articles around the new ones (and the idf's least number before them) were
    # read again, not a year and a half of them.
    assert 10 <= len(counted) < len(articles) / 3


def test_edits_deletions_and_late_articles_give_what_clustering_all_would() -> None:
    articles = clustering.chronological(_coverage())
    rng = random.Random(11)
    for _ in range(6):
        later = list(articles)
        at = rng.randrange(len(later))
        change = rng.choice(["edit", "delete", "backfill"])
        if change == "edit":
            later[at] = replace(later[at], paragraphs=(later[at].paragraphs[0] + " beat1.",))
        elif change == "delete":
            del later[at]
        else:
            later.append(
                replace(later[at], source_path="late/x.md", slug="late-x", title="Late news")
            )
        expected = clustering.cluster_incrementally(later, StorySettings(), None)
        assert _resumed_from(articles, later) == expected, change


def test_new_articles_do_not_regroup_the_archive() -> None:
    articles = clustering.chronological(_coverage())
    cut = len(articles) - 15
    before = cluster_stories(articles[:cut])
    after = cluster_stories(articles)
    span = clustering.idf_span(StorySettings())
    settled = articles[cut].date.timestamp() - 2 * span
    old_before = {s for s in before if s.end.timestamp() < settled}
    assert old_before and old_before <= set(after)


def test_a_malformed_checkpoint_is_not_used() -> None:
    articles = clustering.chronological(_coverage(40))
    expected = clustering.cluster_incrementally(articles, StorySettings(), None)
    _, genuine = clustering.cluster_incrementally(articles[:-3], StorySettings(), None)
    value = json.loads(genuine)
    forged = [
        "not json",
        json.dumps({**value, "heads": [0] * len(value["heads"])}),
        json.dumps({**value, "story_of": [0] * len(value["story_of"])}),
        json.dumps({**value, "story_of": [5, *value["story_of"][1:]]}),
        json.dumps({**value, "vectors": {"0": {"x": "1"}}}),
        json.dumps({**value, "vectors": {}}),
    ]
    for text in forged:
        found = clustering.cluster_incrementally(articles, StorySettings(), text)
        assert found[0] == expected[0], text[:60]


def test_story_in_front_matter_pins_an_article_to_that_story() -> None:
    articles, truth = _articles()
    tanker = next(a for a in articles if truth[a.source_path] == "tanker")
    bridge = [a for a in articles if truth[a.source_path] == "bridge"]
    # An editor files one bridge report under the tanker story, and starts a story of their own
    # for two articles that share no words.
    pinned = replace(bridge[0], story=tanker.slug)
    own = [
        replace(articles[3], story="editors-pick"),
        replace(bridge[1], story="editors-pick"),
    ]
    rest = [a for a in articles if a not in (bridge[0], articles[3], bridge[1])]
    found = _assignment(cluster_stories([*rest, pinned, *own]))
    assert found[pinned.source_path] == found[tanker.source_path]
    assert found[own[0].source_path] == found[own[1].source_path]
    assert found[own[0].source_path] != found[tanker.source_path]
    # Every article is in exactly one story.
    assert len(found) == len(articles)


def test_story_pins_resume_as_clustering_all_would() -> None:
    articles, truth = _articles()
    tanker = next(a for a in articles if truth[a.source_path] == "tanker")
    later = replace(articles[6], date=articles[6].date + timedelta(days=3), story=tanker.slug)
    everything = [*articles[:6], *articles[7:], later]
    _, checkpoint = clustering.cluster_incrementally(articles[:6], StorySettings(), None)
    resumed, _ = clustering.cluster_incrementally(everything, StorySettings(), checkpoint)
    assert resumed == cluster_stories(everything)
    assert _assignment(resumed)[later.source_path] == _assignment(resumed)[tanker.source_path]


@pytest.mark.parametrize(
    ("value", "message"),
    [("[one, two]", "'story' must be text"), ("'!!!'", "'story' '!!!' has no usable")],
)
def test_a_bad_story_key_is_refused_naming_the_file_and_key(
    tmp_path: Path, value: str, message: str
) -> None:
    from digest.sources.files import ContentReader

    (tmp_path / "a.md").write_text(
        f"---\ntitle: A\ndate: 2019-07-19\nstory: {value}\n---\n\nText of the article.\n", "utf-8"
    )
    (tmp_path / "b.md").write_text(
        "---\ntitle: B\ndate: 2019-07-19\nstory: Iran Tanker\n---\n\nOther text.\n", "utf-8"
    )
    read = ContentReader(tmp_path, timezone.utc, False, DAY, None).read_all()
    assert [a.story for a in read.articles] == ["iran-tanker"]
    (problem,) = [p for p in read.problems if p.path == "a.md"]
    assert message in problem.message


def test_a_kept_outcome_keeps_the_story_pin() -> None:
    from digest.sources.files import FileOutcome
    from digest.store.read_cache import decode_outcome, encode_outcome

    article = Article(
        source_path="a.md",
        slug="a",
        title="A",
        date=DAY,
        paragraphs=("Text.",),
        content_hash="0" * 64,
        story="iran-tanker",
    )
    stamp = (1, 2, 3, 4, 5)
    text = encode_outcome("a.md", stamp, FileOutcome(article), timezone.utc)
    assert decode_outcome(text, "a.md", stamp, timezone.utc).article == article


def test_ecb_plus_clusters_are_read_as_events_and_halved_by_topic(tmp_path: Path) -> None:
    from digest.evaluation.stories import halves

    labels = tmp_path / "ecb.jsonl"
    rows = [
        {"cluster": f"t{t:02d}-{kind}", "topic": t, "title": f"A {t} {kind}", "text": "Text."}
        for t in (2, 4, 6, 8)
        for kind in ("ecb", "plus")
    ]
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    read = read_labels(labels)
    assert [item.event for item in read][:2] == ["t02-ecb", "t02-plus"]
    one, other = halves(read)
    # A topic's two look-alike events are always in the same half.
    assert {read[i].group for i in one} == {"2", "6"} and {read[i].group for i in other} == {
        "4",
        "8",
    }


def test_terms_fetched_a_part_at_a_time_and_let_go_give_what_all_at_once_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A large archive's terms are fetched a part at a time as the clustering moves forward and
    # let go behind it; the stories and the checkpoint are those of having them all.
    articles = clustering.chronological(_coverage(events=200))
    settings = StorySettings()
    expected = clustering.cluster_incrementally(articles, settings, None)
    asked: list[int] = []

    def terms_many(part: Sequence[Article]) -> list[dict[str, float]]:
        asked.append(len(part))
        return [clustering.article_terms(a) for a in part]

    monkeypatch.setattr(clustering, "_TERMS_PART", 37)
    forgotten: list[int] = []
    original = clustering._Frequencies.__init__

    def frequencies(self: clustering._Frequencies, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        forget = self.forget
        assert forget is not None

        def told(index: int) -> object:
            forgotten.append(index)
            return forget(index)

        self.forget = told

    monkeypatch.setattr(clustering._Frequencies, "__init__", frequencies)
    assert clustering.cluster_incrementally(articles, settings, None, terms_many) == expected
    assert len(asked) >= len(articles) // 37 and max(asked) == 37
    # Let go behind the window (its span, at least _IDF_ARTICLES) as it moved on.
    assert len(forgotten) >= len(articles) - clustering._IDF_ARTICLES - 37
