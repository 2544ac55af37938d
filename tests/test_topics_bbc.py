"""Topics measured on the shared BBC News corpus (five categories, 1,111 articles)."""

from __future__ import annotations

from pathlib import Path

from digest.analysis.topic_corpus import Document, adjusted_rand_index, suggest_topics, v_measure
from digest.analysis.topics import TopicMatcher
from digest.evaluation.topics import evaluate, read_category_folders
from digest.project import load_project
from tests.conftest import FIXTURES, SHARED, require_shared

BBC = SHARED / "corpora" / "bbc-news-summary" / "articles"
CONFIG = FIXTURES / "bbc-topics" / "mkdocs.yml"


def test_five_categories_of_eight_words_reach_micro_f1_090() -> None:
    require_shared(BBC)
    config = load_project(CONFIG)
    names = [t.name for t in config.topics]
    assert names == ["Business", "Entertainment", "Politics", "Sport", "Tech"]
    assert all(1 <= len(t.keywords) <= 8 for t in config.topics)
    matcher = TopicMatcher(config.topics, config.topic_threshold)
    evaluation = evaluate(BBC, matcher, mode=config.topic_mode)
    assert len(evaluation.items) == 1111
    assert evaluation.micro.f1 >= 0.90, evaluation.micro
    assert all(score.f1 >= 0.85 for score in evaluation.scores), evaluation.scores


def test_suggest_finds_the_categories_with_no_topics_configured() -> None:
    require_shared(BBC)
    # Every fourth article of each category keeps the test quick; the benchmark runs them all.
    articles = [a for a in read_category_folders(BBC) if int(Path(a.id).stem) % 4 == 0]
    documents = [Document(a.id, a.title, a.paragraphs) for a in articles]
    found = suggest_topics(documents, words=8)
    truth = [a.topics[0] for a in articles]
    _h, _c, v = v_measure(truth, found.labels)
    assert len(set(found.labels)) == 5
    assert v >= 0.75
    assert adjusted_rand_index(truth, found.labels) >= 0.7
    words = {w for s in found.suggestions for w in s.keywords}
    assert {"film", "game"} <= words
