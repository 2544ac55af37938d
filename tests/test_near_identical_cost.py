"""A story of many near-identical articles (one wire story reprinted with small edits) costs
what as many distinct articles cost: no work or memory that grows with the square of its size.
benchmarks/near_identical.py measures it; these tests bound what is done."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import digest.analysis.story_summary as story_summary
from digest.analysis.story_summary import StoryDocument, summarize_story
from digest.config import DigestConfig
from digest.model import Article, DigestEntry, Story, StoryArticle, Summary
from digest.site.render import _PageKeys

DAY = datetime(2022, 6, 7, 9, tzinfo=timezone.utc)

# A made-up wire story; each copy replaces one sentence with its outlet's own.
WIRE = (
    "Flooding closed the main coastal road near Kelso Bay on Tuesday after two days of rain.",
    "Emergency crews moved about 140 people from low-lying homes to the town's sports hall.",
    "The regional council said the road would stay shut until engineers had inspected it.",
    "Rail services between Kelso Bay and Marrow were replaced by buses for the afternoon.",
    "Forecasters expect the rain to ease by Thursday, though rivers may keep rising.",
    "Residents were asked to avoid travelling unless their journey was essential.",
)
OWN = (
    "A local shop owner said the water reached the doorstep within an hour.",
    "The council opened a helpline for residents who need somewhere to stay tonight.",
    "Insurers said it was too early to estimate the cost of the damage to property.",
)


def _copies(count: int) -> list[StoryDocument]:
    documents = []
    for number in range(count):
        sentences = list(WIRE)
        sentences[number % len(WIRE)] = OWN[number % len(OWN)]
        documents.append(
            StoryDocument(
                f"copy-{number}",
                f"Outlet {number % 9}",
                DAY + timedelta(minutes=number),
                tuple(sentences),
            )
        )
    return documents


def test_a_story_of_reprints_reads_each_sentence_once_and_scans_once_a_pick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documents = _copies(120)
    read, scored = [], []
    content_stems, marginal = story_summary._content_stems, story_summary._marginal
    monkeypatch.setattr(
        story_summary, "_content_stems", lambda *a: read.append(a[0]) or content_stems(*a)
    )
    monkeypatch.setattr(story_summary, "_marginal", lambda *a: scored.append(1) or marginal(*a))
    picks = summarize_story(documents, sentences=4)
    # Each distinct sentence is read once, not once per copy (was 720 reads).
    assert sorted(read) == sorted(set(WIRE) | set(OWN))
    # A copy of a pick is dropped with it: each pick scans the sentences once (720 each), where
    # skipping the copies one full scan at a time took about 120 scans a pick.
    sentence_count = sum(len(d.sentences) for d in documents)
    assert len(scored) <= 4 * sentence_count
    # And none of the summary repeats another (a copy of a picked sentence is never picked).
    texts = [p.text for p in picks]
    assert len(picks) == 4 and len(set(texts)) == 4


def test_the_word_budget_drops_what_no_longer_fits_at_once() -> None:
    documents = _copies(30)
    picks = summarize_story(documents, words=40)
    assert sum(len(p.text.split()) for p in picks) <= 40
    assert len({p.text for p in picks}) == len(picks) >= 2


def _entry(number: int) -> DigestEntry:
    article = Article(
        source_path=f"copy-{number}.md",
        slug=f"copy-{number}",
        title=f"Floods close coastal road ({number})",
        date=DAY + timedelta(minutes=number),
        paragraphs=WIRE,
        source=f"Outlet {number % 9}",
    )
    return DigestEntry(article=article, sentences=(), summary=Summary((), "test"))


def _story(entries: list[DigestEntry], title: str = "Floods close coastal road") -> Story:
    return Story(
        id=entries[0].article.slug,
        title=title,
        articles=tuple(e.article.source_path for e in entries),
        start=entries[0].article.date,
        end=entries[-1].article.date,
        headlines=tuple(
            StoryArticle(e.article.slug, e.article.title, e.article.source) for e in entries
        ),
    )


def test_a_page_key_holds_its_story_as_a_hash_not_every_member_headline() -> None:
    entries = [_entry(number) for number in range(2000)]
    story = _story(entries)
    keys = _PageKeys(None, DigestConfig(), lambda entry: story)  # type: ignore[arg-type]
    values = [keys._entry_value(entry) for entry in entries[:50]]
    # Each entry's value is bounded, whatever the story's size (it held the story's whole
    # repr, 2,000 headlines, in each of its 2,000 members: n squared).
    assert max(len(v) for v in values) < 200
    # Still every change of the story changes the keys of its members' pages.
    renamed = _story(entries, title="Coastal road closed by floods")
    other = _PageKeys(None, DigestConfig(), lambda entry: renamed)  # type: ignore[arg-type]
    assert other._entry_value(entries[0]) != values[0]
    alone = _PageKeys(None, DigestConfig(), lambda entry: None)  # type: ignore[arg-type]
    assert alone._entry_value(entries[0]) != values[0]
