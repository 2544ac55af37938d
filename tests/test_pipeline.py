"""The pipeline: from a content folder to a grouped Digest, without MkDocs."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from digest.config import DigestConfig, topics_from_list
from digest.pipeline import build_digest
from tests.conftest import run_apart

TOPICS = topics_from_list(
    [
        {"name": "Venezuela", "keywords": ["Venezuela", "Maduro", "Caracas"]},
        {"name": "Iran", "keywords": ["Iran", "Tehran"]},
    ]
)


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def article(title: str, date: str, body: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n\n{body}\n"


VENEZUELA_BODY = (
    "Venezuela's government said on Monday that Maduro would address the nation. "
    "Crowds gathered in Caracas ahead of the speech.\n\n"
    "Maduro blamed sanctions for shortages of food and medicine in Venezuela."
)
SPORT_BODY = (
    "The home side won the cup final 2-1 after extra time on Saturday. "
    "Their captain scored the winning goal in the 112th minute."
)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    write(folder, "caracas.md", article("Maduro speaks", "2019-05-02", VENEZUELA_BODY))
    write(folder, "final.md", article("Cup final won", "2019-05-04", SPORT_BODY))
    return folder


def config(content: Path, **options: object) -> DigestConfig:
    return DigestConfig(content_dir=content, topics=TOPICS, cache_dir=None, **options)  # type: ignore[arg-type]


def test_articles_are_grouped_by_topic_newest_first(content: Path) -> None:
    write(
        content,
        "later.md",
        article("Caracas protest", "2019-05-09", VENEZUELA_BODY.replace("Monday", "Friday")),
    )
    digest = build_digest(config(content))
    venezuela = next(t for t in digest.topics if t.topic.slug == "venezuela")
    assert [e.article.title for e in venezuela.entries] == ["Caracas protest", "Maduro speaks"]
    iran = next(t for t in digest.topics if t.topic.slug == "iran")
    assert iran.entries == ()
    assert [e.article.title for e in digest.other] == ["Cup final won"]
    assert [e.article.title for e in digest.entries] == [
        "Caracas protest",
        "Cup final won",
        "Maduro speaks",
    ]
    assert digest.problems == ()


def test_updated_is_the_newest_article_or_source_date_epoch(
    content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_digest(config(content)).updated == datetime(2019, 5, 4, tzinfo=timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    assert build_digest(config(content)).updated == datetime.fromtimestamp(
        1600000000, tz=timezone.utc
    )


def test_front_matter_topics_force_membership(content: Path) -> None:
    write(
        content,
        "forced.md",
        article("Talks in Oman", "2019-05-03", SPORT_BODY, "topics: [Iran]\n"),
    )
    digest = build_digest(config(content))
    iran = next(t for t in digest.topics if t.topic.slug == "iran")
    assert [e.article.title for e in iran.entries] == ["Talks in Oman"]
    assert iran.entries[0].topics[0].forced


def test_unknown_forced_topic_is_reported(content: Path) -> None:
    write(content, "odd.md", article("Odd", "2019-05-03", SPORT_BODY, "topics: [Atlantis]\n"))
    digest = build_digest(config(content))
    assert any(p.path == "odd.md" and "Atlantis" in p.message for p in digest.problems)


def test_editor_summary_replaces_the_generated_one(content: Path) -> None:
    write(
        content,
        "edited.md",
        article("Edited", "2019-05-03", SPORT_BODY, "summary: The hosts won in extra time.\n"),
    )
    entry = next(e for e in build_digest(config(content)).entries if e.article.title == "Edited")
    assert entry.summary.method == "editor"
    assert entry.summary.text == "The hosts won in extra time."


def test_drafts_are_left_out_and_reported_unless_included(content: Path) -> None:
    write(content, "draft.md", article("Draft", "2019-05-03", SPORT_BODY, "draft: true\n"))
    digest = build_digest(config(content))
    assert "Draft" not in {e.article.title for e in digest.entries}
    assert any(p.path == "draft.md" and p.outcome == "excluded" for p in digest.problems)
    included = build_digest(config(content, include_drafts=True))
    assert "Draft" in {e.article.title for e in included.entries}


def test_summary_length_follows_the_config(content: Path) -> None:
    long_body = " ".join(
        f"Sentence number {i} says something about the cup final." for i in range(9)
    )
    write(content, "long.md", article("Long", "2019-05-03", long_body))
    by_sentences = build_digest(config(content, summary_sentences=2))
    entry = next(e for e in by_sentences.entries if e.article.title == "Long")
    assert len(entry.summary.sentences) == 2
    by_words = build_digest(config(content, summary_words=25))
    entry = next(e for e in by_words.entries if e.article.title == "Long")
    assert len(entry.summary.text.split()) >= 25
    assert len(entry.summary.sentences) == 3  # 9 words each: three sentences meet 25 words


@pytest.mark.parametrize(
    "algorithm",
    ["lexrank", "textrank", "lsa", "luhn", "edmundson", "sumbasic", "klsum", "reduction", "lead"],
)
def test_every_summarizer_builds_the_digest(content: Path, algorithm: str) -> None:
    digest = build_digest(config(content, summarizer=algorithm))
    for entry in digest.entries:
        assert entry.summary.sentences
        assert entry.summary.method == algorithm
        indices = [s.index for s in entry.summary.sentences]
        assert indices == sorted(indices)  # article order


def test_missing_content_folder_is_reported(tmp_path: Path) -> None:
    digest = build_digest(config(tmp_path / "nowhere"))
    assert digest.entries == ()
    assert any("does not exist" in p.message for p in digest.problems)


def test_newest_first_follows_the_days_readers_see(tmp_path: Path) -> None:
    """Sorted by the instant alone, "31 May" (23:00 UTC) came above "1 June" (00:30 in
    Moscow, 21:30 UTC on 31 May) under the same day headings."""
    folder = tmp_path / "content"
    folder.mkdir()
    body = "Talks on the harbour strike went on into the night, the union said."
    write(folder, "late.md", article("Late in London", "2019-05-31T23:00:00+00:00", body))
    write(folder, "early.md", article("Early in Moscow", "2019-06-01T00:30:00+03:00", body))
    digest = build_digest(config(folder))
    shown = [(e.article.title, e.article.date.day) for e in digest.entries]
    assert shown == [("Early in Moscow", 1), ("Late in London", 31)]


def _stories_grouped_beside_are_the_entries_stories() -> None:
    import tempfile

    from digest import pipeline
    from digest.analysis.parallel import Background
    from digest.analysis.stories import stories_of

    forked = []

    class Watched(Background):  # type: ignore[type-arg]
        def __init__(self, function, *args):  # type: ignore[no-untyped-def]
            super().__init__(function, *args)
            forked.append((function.__name__, self._process is not None))

    pipeline.Background = Watched  # type: ignore[misc]
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        content.mkdir()
        for day in range(6):
            for event, words in enumerate(("harbour strike dockers", "choir festival concert")):
                (content / f"{event}-{day}.md").write_text(
                    f"---\ntitle: Day {day} of the {words.split()[0]} news\n"
                    f"date: 2024-05-{day + 1:02d}\n---\n\n"
                    f"The {words} went on in Kelby on day {day}, said Mara Quist of the town "
                    f"council, as the {words} drew crowds to the square again.\n",
                    encoding="utf-8",
                )
        config = DigestConfig(
            content_dir=content,
            topics=topics_from_list([{"name": "Harbour", "keywords": ["harbour"]}]),
            cache_dir=Path(folder) / "cache",
            topic_suggestions=0,
        )
        digest = build_digest(config, pipeline.cached_analysis(config))
    assert ("_stories", True) in forked  # grouped in a process of its own
    assert digest.stories == stories_of([e.article for e in digest.entries], config.stories)
    assert any(len(story.articles) > 1 for story in digest.stories)


def test_stories_are_grouped_beside_the_summaries_as_they_are_after() -> None:
    done = run_apart("test_pipeline", "_stories_grouped_beside_are_the_entries_stories")
    assert done.returncode == 0, done.stderr
