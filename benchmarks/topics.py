"""Topic benchmark: attribution on the seed, the 5x8-word BBC config, and suggestions.

In one run, on the same machine:

1. the seed article's 18 labelled paragraphs with the shipped mkdocs.yml topics (P/R/F1);
2. the BBC News corpus (1,111 articles, five categories) with tests/fixtures/bbc-topics, each
   category described by at most eight words: article-level scores in both topic modes
   (`passages`, keywords only; `sections`, learned from the corpus), ms per article;
3. `digest topics suggest` with no topics configured on the same articles: the number of
   clusters it chooses, V-measure and adjusted Rand index against the categories, next to
   a peer measured in the same run (spherical k-means on the raw TF-IDF, same k, no LSA).

    python benchmarks/topics.py             # everything (about a minute on two cores)
    python benchmarks/topics.py --limit 4   # every 4th article of each category: quick check
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from digest.analysis.topic_corpus import (
    Document,
    TermVectors,
    adjusted_rand_index,
    spherical_kmeans,
    suggest_topics,
    suggestion_yaml,
    v_measure,
)
from digest.analysis.topics import TopicMatcher
from digest.evaluation.topics import (
    evaluate,
    evaluate_articles,
    format_evaluation,
    read_category_folders,
)
from digest.project import load_project

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LABELS = SHARED / "seed" / "labels.yml"
BBC = SHARED / "corpora" / "bbc-news-summary" / "articles"
BBC_CONFIG = REPO / "tests" / "fixtures" / "bbc-topics" / "mkdocs.yml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1, help="keep every Nth BBC article")
    args = parser.parse_args(argv)
    if not LABELS.exists() or not BBC.is_dir():
        print(f"shared data not found beside the repository ({SHARED})", file=sys.stderr)
        return 2

    shipped = load_project(REPO / "mkdocs.yml")
    seed = evaluate(LABELS, TopicMatcher(shipped.topics, shipped.topic_threshold))
    print("## Seed article, paragraph labels, shipped topics\n")
    print(format_evaluation(seed, {t.slug: t.name for t in shipped.topics}))

    config = load_project(BBC_CONFIG)
    names = {t.slug: t.name for t in config.topics}
    articles = [a for i, a in enumerate(read_category_folders(BBC)) if i % max(1, args.limit) == 0]
    matcher = TopicMatcher(config.topics, config.topic_threshold)
    words = max(len(t.keywords) for t in config.topics)
    for mode in ("passages", "sections"):
        started = time.perf_counter()
        evaluation = evaluate_articles(articles, matcher, mode)
        ms = 1000 * (time.perf_counter() - started) / len(articles)
        print(f"\n## BBC, {len(config.topics)} topics of at most {words} words, mode {mode}")
        print(f"({len(articles)} articles, {ms:.1f} ms per article)\n")
        print(format_evaluation(evaluation, names))

    documents = [Document(a.id, a.title, a.paragraphs) for a in articles]
    truth = [a.topics[0] for a in articles]
    started = time.perf_counter()
    found = suggest_topics(documents)
    suggest_s = time.perf_counter() - started
    k = len(set(found.labels))
    homogeneity, completeness, v = v_measure(truth, found.labels)
    ari = adjusted_rand_index(truth, found.labels)
    started = time.perf_counter()
    raw = spherical_kmeans(TermVectors(documents).matrix, k)
    peer_s = time.perf_counter() - started
    _, _, peer_v = v_measure(truth, raw)
    peer_ari = adjusted_rand_index(truth, raw)
    print(f"\n## Suggestions with no topics configured ({len(articles)} BBC articles)\n")
    print(f"clusters chosen: {k} (the corpus has 5 categories), {suggest_s:.1f} s")
    print(
        f"V-measure {v:.3f} (homogeneity {homogeneity:.3f}, completeness {completeness:.3f}), "
        f"ARI {ari:.3f}"
    )
    print(
        f"peer, k-means on raw TF-IDF with k={k}: V-measure {peer_v:.3f}, ARI {peer_ari:.3f}, "
        f"{peer_s:.1f} s; suggest/peer V-measure ratio {v / peer_v if peer_v else 0:.2f}"
    )
    print()
    for suggestion in found.suggestions:
        print(f"# cluster of {suggestion.cluster_size}, gathers {len(suggestion.articles)}")
        print(suggestion_yaml(suggestion))
    return 0


if __name__ == "__main__":
    sys.exit(main())
