"""Parallel analysis gives exactly what analysing one by one gives, in the same order."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from datetime import datetime, timezone
from typing import Any

import pytest

from digest.analysis import parallel
from digest.analysis.parallel import Lookahead, analyze_parallel, progress_bar, worker_count
from digest.analysis.summarizers import Budget
from digest.config import topics_from_list
from digest.model import Article
from digest.pipeline import AnalysisSettings, analyze_serially
from digest.sources.files import ContentReader
from tests.conftest import SHARED, require_shared, run_apart

BBC = SHARED / "corpora" / "bbc-news-summary" / "articles"
TOPICS = topics_from_list(
    [
        {"name": "Economy", "keywords": ["economy", "growth", "inflation", "interest rates"]},
        {"name": "Elections", "keywords": ["election", "voters", "Labour", "Tory", "poll"]},
        {"name": "Technology", "keywords": ["broadband", "software", "computer", "mobile"]},
    ]
)


def settings(summarizer: str = "digest") -> AnalysisSettings:
    return AnalysisSettings(
        summarizer=summarizer,
        budget=Budget(sentences=3),
        topic_budget=Budget(sentences=2),
        topics=TOPICS,
        topic_threshold=0.15,
    )


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Article, ...]:
    """Real BBC articles (headline, blank line, body) as plain-text files with dated names."""
    source = require_shared(BBC)
    content = tmp_path_factory.mktemp("content")
    for number, path in enumerate(sorted(source.glob("*/*.txt"))[::9][:80]):
        target = content / f"{path.parent.name}-{path.stem}-2005-01-{1 + number % 28:02d}.txt"
        target.write_bytes(path.read_bytes())
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    read = ContentReader(content, timezone.utc, False, now).read_all()
    assert len(read.articles) >= 60, read.problems
    return read.articles


@pytest.mark.parametrize("summarizer", ["digest", "lexrank", "lsa"])
def test_parallel_results_equal_serial_results(
    articles: tuple[Article, ...], summarizer: str
) -> None:
    serial = analyze_serially(articles, settings(summarizer))
    together = analyze_parallel(articles, settings(summarizer), workers=2, serial_below=0)
    assert together == serial
    assert [e.article.source_path for e in together] == [a.source_path for a in articles]


def test_spawned_workers_agree_despite_their_own_hash_seeds(
    articles: tuple[Article, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spawned interpreters each draw a PYTHONHASHSEED; LSA once followed it.
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    subset = articles[:24]
    serial = analyze_serially(subset, settings("lsa"))
    assert analyze_parallel(subset, settings("lsa"), workers=2, serial_below=0) == serial


def test_small_inputs_never_start_a_pool(
    articles: tuple[Article, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process pool was started for a handful of articles")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    few = articles[:5]
    assert analyze_parallel(few, settings(), workers=2) == analyze_serially(few, settings())
    assert analyze_parallel((), settings(), workers=2) == []


def test_a_system_without_processes_falls_back_to_one(
    articles: tuple[Article, ...], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", broken)
    subset = articles[:20]
    result = analyze_parallel(subset, settings(), workers=2, serial_below=0)
    assert result == analyze_serially(subset, settings())
    assert "continuing in one process" in caplog.text


def test_progress_counts_up_to_the_total(articles: tuple[Article, ...]) -> None:
    seen: list[tuple[int, int]] = []
    subset = articles[:40]
    analyze_parallel(
        subset, settings(), workers=2, serial_below=0, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (40, 40)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert {t for _, t in seen} == {40}


def test_a_bad_setting_fails_once_with_its_message(articles: tuple[Article, ...]) -> None:
    with pytest.raises(ValueError, match="unknown summarizer 'nonsense'"):
        analyze_parallel(articles, settings("nonsense"), workers=2, serial_below=0)


def test_worker_count() -> None:
    cores = worker_count(0)
    assert cores >= 1
    # Never more processes than cores: the work is bound by them.
    assert worker_count(3) == min(3, cores)
    assert worker_count(1) == 1


def _count_in_a_daemon(results: Any) -> None:
    results.put(worker_count(0))


def test_a_daemonic_process_starts_no_workers() -> None:
    # A Background's process (daemonic) may not start processes: its map_parallel runs here.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_count_in_a_daemon, args=(results,), daemon=True)
    process.start()
    counted = results.get(timeout=60)
    process.join(timeout=60)
    assert counted == 1


def test_the_progress_bar_draws_only_for_long_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("Summarizing", min_total=100) as update:
        for done in range(1, 11):
            update(done, 10)
    assert "Summarizing" not in capsys.readouterr().err
    with progress_bar("Summarizing", min_total=100) as update:
        for done in range(1, 201):
            update(done, 200)
    err = capsys.readouterr().err
    assert "Summarizing" in err and "200/200" in err


def test_chunks_cover_every_article_once(
    articles: tuple[Article, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny chunks and a narrow window: many round trips, still every article once, in order.
    monkeypatch.setattr(parallel, "MAX_CHUNK", 1)
    monkeypatch.setattr(parallel, "IN_FLIGHT_PER_WORKER", 1)
    subset = articles[:30]
    result = analyze_parallel(subset, settings(), workers=2, serial_below=0)
    assert [e.article for e in result] == list(subset)


def test_learned_vocabulary_and_story_terms_are_the_same_over_workers(
    articles: tuple[Article, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The per-article parts of whole-corpus work run in workers (map_parallel): what a topic
    # learns from them, and each article's story terms, must not depend on where they ran.
    from digest.analysis.stories import article_terms
    from digest.analysis.topic_corpus import Document, MemberWords, learned_topics

    documents = [Document(a.slug, a.title, a.paragraphs, a.language or "en") for a in articles]
    task = MemberWords(TOPICS, 0.15)
    serial = [task(d) for d in documents]
    assert parallel.map_parallel(task, documents, workers=2, serial_below=0) == serial
    assert any(part["about"] for part in serial)  # some clear members: something is learned
    terms = [article_terms(a) for a in articles]
    assert parallel.map_parallel(article_terms, articles, workers=2, serial_below=0) == terms
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    assert parallel.map_parallel(task, documents[:12], workers=2, serial_below=0) == serial[:12]
    learned = learned_topics(documents, TOPICS, 0.15, workers=2)
    assert learned == learned_topics(documents, TOPICS, 0.15, workers=1)
    assert any(t.context for t in learned)
    # Counted a few articles at a time (a large folder never holds every part at once).
    from digest.analysis import topic_corpus

    monkeypatch.setattr(topic_corpus, "LEARN_PART", 7)
    assert learned_topics(documents, TOPICS, 0.15, workers=1) == learned


def test_map_parallel_falls_back_to_one_process(
    articles: tuple[Article, ...], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", broken)
    titles = parallel.map_parallel(str.upper, [a.title for a in articles], 2, serial_below=0)
    assert titles == [a.title.upper() for a in articles]
    assert "continuing in one process" in caplog.text


def test_map_parallel_runs_a_function_that_cannot_be_sent_here(
    articles: tuple[Article, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a closure cannot reach a worker: no pool should start")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    seen: list[str] = []

    def record(article: Article) -> str:  # a closure: it does not pickle
        seen.append(article.slug)
        return article.title

    titles = parallel.map_parallel(record, articles, 2, serial_below=0)
    assert titles == [a.title for a in articles] and len(seen) == len(articles)


def test_numpys_blas_runs_on_one_thread_during_the_analysis() -> None:
    from threadpoolctl import threadpool_info

    with parallel.one_blas_thread():
        inside = {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}
    assert inside == {1}


def _words(text: str) -> list[str]:
    return sorted(text.split())


def _fails(text: str) -> list[str]:
    raise ValueError(f"cannot read {text!r}")


def test_background_work_gives_what_working_here_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the build goes on while a process of its own works this out"
    # As in a build (earlier tests may leave a thread of theirs running in this process).
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)
    beside = parallel.Background(_words, text)
    assert beside._process is not None  # forked
    assert beside.result() == _words(text)
    # Its failure is raised here, by working it out again in this process.
    with pytest.raises(ValueError, match="cannot read"):
        parallel.Background(_fails, "x").result()
    # Threads running (mkdocs serve): no fork, the same result worked out here.
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 2)
    here = parallel.Background(_words, text)
    assert here._process is None and here.result() == _words(text)


needs_two_cores = pytest.mark.skipif(worker_count() < 2, reason="one core: no workers start")


def _results_come_from_workers() -> None:
    keys = [f"page-{i}" for i in range(100)]
    here = os.getpid()
    # A closure: the workers inherit it, nothing is sent.
    ahead = Lookahead(lambda key: (key.upper(), os.getpid()), keys, 2, chunk=8, serial_below=10)
    assert ahead.started
    results = [ahead.take(key) for key in keys]
    assert [result[0] for result in results if result] == [key.upper() for key in keys]
    assert here not in {result[1] for result in results if result}
    assert ahead.take("page-0") is None and ahead.take("another") is None
    assert not ahead.started  # its workers gone once every key is taken


def _failed_or_told_keys_are_left_to_the_caller() -> None:
    def work(key: int) -> int:
        if key == 3:
            raise ValueError("three")
        if key == 5:
            logging.getLogger("digest.test").warning("told by a worker")
        return key * 2

    ahead = Lookahead(work, list(range(20)), 2, chunk=4, serial_below=1)
    assert [ahead.take(key) for key in range(20)] == [
        None if key in (3, 5) else key * 2 for key in range(20)
    ]


def _keys_asked_out_of_order_are_answered() -> None:
    keys = list(range(200))
    ahead = Lookahead(lambda key: key + 1, keys, 2, chunk=8, serial_below=1)
    asked = [150, 3, 199, *range(200)]
    assert [ahead.take(key) for key in asked] == [151, 4, 200] + [
        None if key in (150, 3, 199) else key + 1 for key in range(200)
    ]


@needs_two_cores
@pytest.mark.parametrize(
    "check",
    [
        "_results_come_from_workers",
        "_failed_or_told_keys_are_left_to_the_caller",
        "_keys_asked_out_of_order_are_answered",
    ],
)
def test_lookahead_in_a_process_of_its_own(check: str) -> None:
    done = run_apart("test_parallel", check)
    assert done.returncode == 0, done.stderr
    assert "told by a worker" not in done.stderr  # told where the key is worked out


def test_lookahead_starts_nothing_for_few_keys_or_beside_a_thread() -> None:
    assert not Lookahead(str, ["a", "b"], 2).started
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        ahead = Lookahead(str, [str(i) for i in range(1000)], 2, serial_below=1)
        assert not ahead.started and ahead.take("1") is None
    finally:
        release.set()
        thread.join()


def test_lookahead_chunks_grow_and_cover_every_key_once() -> None:
    chunks = parallel._growing_chunks(list(range(50)), 16)
    assert [len(chunk) for chunk in chunks] == [4, 8, 16, 16, 6]
    assert [key for chunk in chunks for key in chunk] == list(range(50))
