"""One very long article costs every sumy algorithm a bounded time and memory.

A 5,000-sentence file (a scraper's mistake within the size limit) took LSA 48-83 s and up to
2.1 GB, KL-Sum over 240 s. Each algorithm now sees a bounded start of the article and ranks
the rest after it, in order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

import digest.analysis.summarizers as summarize
from digest.analysis.summarizers import MAX_GRAPH_SENTENCES, MAX_SUMY_SENTENCES, SUMY_ALGORITHMS

WORDS = (
    ("government", "minister", "said", "talks", "port", "harbour", "union", "strike", "vote")
    + ("oil", "price", "market", "election", "court", "police", "city", "council", "budget")
    + ("report", "water", "power", "energy", "school", "hospital", "river", "bridge")
)


def long_article(count: int) -> list[str]:
    # Different sentences with a vocabulary that grows, as a real long text's does.
    return [
        f"The {WORDS[i % len(WORDS)]} of district {i} met the {WORDS[(i * 7) % len(WORDS)]} "
        f"board on day {i % 31} and word{i} was said by {WORDS[(i * 3) % len(WORDS)]}."
        for i in range(count)
    ]


@pytest.mark.parametrize("algorithm", SUMY_ALGORITHMS)
def test_every_sumy_algorithm_is_fed_a_bounded_part_of_a_huge_article(
    algorithm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = MAX_SUMY_SENTENCES.get(algorithm, MAX_GRAPH_SENTENCES)
    assert limit <= MAX_GRAPH_SENTENCES
    fed: list[int] = []
    real = summarize.sumy_document

    def counted(sentences: Sequence[str], *args: Any, **kwargs: Any) -> Any:
        fed.append(len(sentences))
        # Fail at once rather than spend minutes in the algorithm.
        assert len(sentences) <= limit, f"{algorithm} was fed {len(sentences)} sentences"
        return real(sentences, *args, **kwargs)

    monkeypatch.setattr(summarize, "sumy_document", counted)
    sentences = long_article(5_000)
    started = time.perf_counter()
    ranked = summarize.SumySummarizer(algorithm).rank(sentences, "Harbour strike vote")
    elapsed = time.perf_counter() - started
    assert fed == [limit]
    # Every sentence is still ranked: the part not fed comes after, in article order.
    assert sorted(ranked) == list(range(5_000))
    assert ranked[limit:] == list(range(limit, 5_000))
    # Generous for a shared 2-core machine: measured 0.1-2 s per algorithm.
    assert elapsed < 30, f"{algorithm} took {elapsed:.1f} s"
