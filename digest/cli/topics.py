"""The `digest topics` commands (explain, suggest) and `digest eval topics`.

Registered on the main command group in digest/cli.py; help texts come from the docstrings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from digest.analysis.topic_corpus import (
    Document,
    adjusted_rand_index,
    learn_context,
    suggest_topics,
    suggestion_yaml,
    v_measure,
)
from digest.analysis.topic_evidence import BIAS, Decision
from digest.analysis.topics import Analysis, TopicMatcher
from digest.cli.options import EXIT_USAGE, config_option
from digest.cli.options import load_config as _load
from digest.config import DigestConfig
from digest.evaluation.topics import LabelError, evaluate, format_evaluation, read_article
from digest.model import Article, Topic, TopicSuggestion
from digest.pipeline import SUGGESTION_WINDOW, split_article
from digest.sources.files import ContentReader
from digest.wording import counted


def _matcher(config: DigestConfig, threshold: float | None = None) -> TopicMatcher:
    return TopicMatcher(config.topics, config.topic_threshold if threshold is None else threshold)


@click.group("topics")
def topics_group() -> None:
    """Why articles are in their topics, and which topics nobody configured yet."""


@topics_group.command("explain")
@config_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def explain(config_file: Path, file: Path) -> None:
    """Print, paragraph by paragraph, which topics FILE is about and why.

    For each paragraph: the topic words found (evidence), words that did not count (named in
    passing in a list, or inside a topic's `exclude` phrase), and topics it has because it
    continues a passage. Then, for each topic, whether the article joins it and why: the
    evidence model's features (headline, lede, share, position, distinct keywords, quotation,
    vocabulary, main topic, another name), each with its value and its part of the log-odds.
    """
    config = _load(config_file)
    try:
        article = read_article(file)
    except LabelError as error:
        raise click.ClickException(str(error)) from None
    matcher = _matcher(config)
    headline = (article.title, article.dateline or "")
    language = article.language or config.language
    analysis = matcher.analyse(article.paragraphs, split_article(article), headline, language)
    names = {t.slug: t.name for t in config.topics}
    click.echo(f"{article.title}\n")
    for report in analysis.paragraphs:
        about = ", ".join(names[s] for s in report.topics) or "no topic"
        click.echo(f"¶{report.index + 1} [{about}] {_preview(report.text)}")
        evidence = dict(report.evidence)
        for slug, words in report.evidence:
            note = "" if slug in report.topics else " (outweighed by a stronger topic)"
            click.echo(f"    {names[slug]}: {', '.join(words)}{note}")
        for slug, why in report.continued:
            click.echo(f"    {names[slug]}: continues the passage ({why})")
        for slug, words in report.passing:
            if slug not in evidence:
                click.echo(
                    f"    {names[slug]}: not counted, named in passing in a list: "
                    f"{', '.join(words)}"
                )
        for slug, words in report.excluded:
            click.echo(
                f"    {names[slug]}: not counted, inside an exclude phrase: {', '.join(words)}"
            )
    click.echo("")
    _echo_decisions(analysis, names, matcher.threshold)
    if config.topic_mode == "sections":
        click.echo(
            "Note: topic_mode is `sections`; a build places the article in one topic learned "
            "from the whole content folder, which this per-article view cannot show."
        )


def _echo_decisions(analysis: Analysis, names: dict[str, str], threshold: float) -> None:
    """Each topic with evidence: its share, whether the article joins it, and the numbers."""
    if not analysis.topics:
        click.echo("No configured topic: the article goes to Other.")
    for found in analysis.topics:
        verdict = "joins" if found.joined else "does not join"
        if found.lead:
            verdict += ", named in the headline or lede"
        click.echo(
            f"{names[found.topic]}: {found.share:.0%} of the article "
            f"(paragraphs {', '.join(str(p + 1) for p in found.paragraphs)}), "
            f"{counted(found.hits, 'keyword match', 'keyword matches')}; {verdict} "
            f"(threshold {threshold:.0%})"
        )
        if found.reason:
            click.echo(f"    decided by: {found.reason}")
        if found.decision is not None:
            click.echo(f"    {_contributions(found.decision)}")
        if found.context:
            click.echo(f"    context words found: {', '.join(found.context)}")


def _contributions(decision: Decision) -> str:
    """Every feature of the evidence model with its value and its part of the log-odds."""
    features = decision.evidence.features()
    parts = dict(decision.contributions)
    shown = ", ".join(
        f"{name} {features[name]:.2f} -> {parts[name]:+.2f}" for name in features if parts[name]
    )
    return (
        f"evidence (value -> log-odds): {shown}; base {BIAS:+.2f}; total {decision.score:+.2f}, "
        f"probability {decision.probability:.2f}"
    )


def _preview(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@topics_group.command("suggest")
@config_option
@click.option(
    "--content",
    "content_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Look at this folder of articles instead of the site's content_dir.",
)
@click.option(
    "--all",
    "use_all",
    is_flag=True,
    help="Cluster every article, not only those that fit no configured topic.",
)
@click.option(
    "--clusters",
    type=click.IntRange(2, 50),
    default=None,
    help="Number of clusters (default: chosen from the data, 2 to 12).",
)
@click.option(
    "--words",
    type=click.IntRange(1, 30),
    default=8,
    show_default=True,
    help="Signal words per suggested topic.",
)
@click.option(
    "--min-articles",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Smallest cluster that makes a suggestion.",
)
@click.option(
    "--score",
    is_flag=True,
    help="Treat each article's first folder under the "
    "content folder as its known category and print V-measure and adjusted Rand index.",
)
def suggest(
    config_file: Path,
    content_dir: Path | None,
    use_all: bool,
    clusters: int | None,
    words: int,
    min_articles: int,
    score: bool,
) -> None:
    """Propose topics for the articles that fit no configured topic.

    Clusters those articles (weighting words by the whole content folder), names each cluster
    by its most distinctive words and lists the articles those words would gather as a topic.
    Each suggestion ends with a line to paste under `topics:` in mkdocs.yml.
    """
    content_dir, topics, threshold = _topics_and_content(config_file, content_dir)
    read = ContentReader(content_dir).read_all()
    skipped = [p for p in read.problems if p.outcome == "skipped"]
    for problem in skipped:
        click.echo(f"skipped: {content_dir / problem.path}: {problem.message}", err=True)
    # The stories the Other page looks at: the newest SUGGESTION_WINDOW, named by their slugs,
    # so that the page and this command print the same clusters.
    # (--score evaluates clustering on every article instead.)
    articles = sorted(read.articles, key=lambda a: (-a.date.timestamp(), a.slug))
    if not score:
        articles = articles[:SUGGESTION_WINDOW]
    if not articles:
        raise click.ClickException(f"{content_dir}: no articles to look at")
    documents = [Document(a.slug, a.title, a.paragraphs, a.language or "en") for a in articles]
    candidates = _unplaced(articles, topics, threshold, use_all)
    click.echo(
        f"{len(candidates)} of {counted(len(articles), 'article')} "
        f"{'clustered' if use_all or not topics else 'fit no configured topic'}."
    )
    result = suggest_topics(
        documents,
        candidates,
        clusters=clusters,
        words=words,
        min_articles=min_articles,
        existing=topics,
        threshold=threshold,
    )
    clusters_found = counted(len(set(result.labels)), "cluster")
    click.echo(f"{clusters_found}, {counted(len(result.suggestions), 'suggestion')}.\n")
    for suggestion in result.suggestions:
        _echo_suggestion(suggestion)
    if score:
        paths = [a.source_path for a in articles]
        truth = [p.split("/", 1)[0] if "/" in p else "" for p in paths]
        _echo_score([truth[i] for i in candidates], result.labels)


def _topics_and_content(
    config_file: Path, content_dir: Path | None
) -> tuple[Path, tuple[Topic, ...], float]:
    """The folder to look at, and the configured topics and threshold (none without a config)."""
    if content_dir is None:
        config = _load(config_file)
        return config.content_dir, config.topics, config.topic_threshold
    if config_file.exists():
        config = _load(config_file)
        return content_dir, config.topics, config.topic_threshold
    return content_dir, (), DigestConfig.topic_threshold


def _unplaced(
    articles: list[Article], topics: tuple[Topic, ...], threshold: float, use_all: bool
) -> list[int]:
    """The indices of the articles to cluster: those no configured topic takes (or all)."""
    if use_all or not topics:
        return list(range(len(articles)))
    matcher = TopicMatcher(topics, threshold)
    configured = {t.name.casefold() for t in topics} | {t.slug for t in topics}
    return [
        i
        for i, a in enumerate(articles)
        if not (
            any(key.strip().casefold() in configured for key in a.forced_topics)
            or matcher.attribute(
                a.paragraphs, split_article(a), (a.title, a.dateline or ""), a.language or "en"
            )
        )
    ]


def _echo_suggestion(suggestion: TopicSuggestion) -> None:
    click.echo(f"# {suggestion.name}: a cluster of {counted(suggestion.cluster_size, 'article')}")
    click.echo(f"#   signal words: {', '.join(suggestion.keywords)}")
    shown = ", ".join(suggestion.articles[:5])
    more = len(suggestion.articles) - 5
    click.echo(
        f"#   its keywords would gather {counted(len(suggestion.articles), 'article')}"
        + (f": {shown}" if shown else "")
        + (f" and {more} more" if more > 0 else "")
    )
    click.echo(suggestion_yaml(suggestion) + "\n")


def _echo_score(clustered: list[str], labels: Sequence[int]) -> None:
    """Clustering scored against the articles' folders as known categories."""
    homogeneity, completeness, v = v_measure(clustered, labels)
    ari = adjusted_rand_index(clustered, labels)
    click.echo(
        f"Against the folders as categories ({len(set(clustered))}): "
        f"V-measure {v:.3f} (homogeneity {homogeneity:.3f}, completeness "
        f"{completeness:.3f}), adjusted Rand index {ari:.3f}"
    )


@topics_group.command("context")
@config_option
@click.option(
    "--content-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Learn from this folder instead of the config's content folder.",
)
@click.option("--words", default=15, show_default=True, help="Words to learn per topic.")
def context(config_file: Path, content_dir: Path | None, words: int) -> None:
    """Learn each topic's vocabulary from the articles that clearly belong to it.

    An article clearly belongs to a topic when it joins it on two or more distinct keywords.
    The words around those keywords that such articles share, and other articles seldom use,
    are printed as a `context:` line to paste under the topic in mkdocs.yml (review it first:
    a build uses only what the config says, so every article's topics stay reproducible).
    """
    config = _load(config_file)
    reader = ContentReader(content_dir or config.content_dir)
    articles = sorted(reader.read_all().articles, key=lambda a: a.source_path)
    if not articles:
        raise click.ClickException(f"{content_dir or config.content_dir}: no articles")
    documents = [
        Document(a.source_path, a.title, a.paragraphs, a.language or "en") for a in articles
    ]
    learned = learn_context(documents, _matcher(config), count=words)
    for topic, found in zip(config.topics, learned, strict=True):
        click.echo(f"# {topic.name}: {counted(found.articles, 'article')} clearly about it")
        if not found.words:
            click.echo("#   too few to learn from\n")
            continue
        new = [w for w in found.words if w.casefold() not in {c.casefold() for c in topic.context}]
        if topic.context:
            click.echo(f"#   configured already: {', '.join(topic.context)}")
        click.echo(
            f"context: [{', '.join(json.dumps(w, ensure_ascii=False) for w in found.words)}]"
        )
        click.echo(f"#   not configured yet: {', '.join(new) or 'none'}\n")


@click.command("topics")
@config_option
@click.argument("labels", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--article",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The article a paragraph labels .yml is about (default: found beside it).",
)
@click.option(
    "--mode",
    type=click.Choice(["config", "passages", "sections"]),
    default="config",
    show_default=True,
    help="How articles join topics: as the config's topic_mode says, or forced.",
)
@click.option("--threshold", type=float, default=None, help="Override topic_threshold.")
@click.option("--errors", "show_errors", type=int, default=0, help="List up to N wrong items.")
@click.option(
    "--stories",
    is_flag=True,
    help="Count an article as on every topic page that lists its story (stories grouped from "
    "the labelled articles and their 'date's with the config's `stories:`), as readers see it.",
)
def eval_topics(
    config_file: Path,
    labels: Path,
    article: Path | None,
    mode: str,
    threshold: float | None,
    show_errors: int,
    stories: bool,
) -> None:
    """Score the configured topics against LABELS: precision, recall and F1 per topic.

    LABELS is a paragraph labels file (.yml, like the seed's labels.yml), a JSONL of articles
    ({"title", "text", "topics": [...]} per line), or a folder of category folders whose names
    are topic names (each file inside is one article of that topic). The last line gives
    micro-averaged scores over all topics.
    """
    config = _load(config_file)
    if not config.topics:
        raise click.UsageError(f"{config_file}: no topics configured to evaluate")
    chosen = config.topic_mode if mode == "config" else mode
    try:
        if stories and labels.suffix in (".yml", ".yaml"):
            raise LabelError(f"{labels}: --stories scores articles, not a paragraph labels file")
        grouping = config.stories if stories else None
        evaluation = evaluate(labels, _matcher(config, threshold), article, chosen, grouping)
    except LabelError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    names = {t.slug: t.name for t in config.topics}
    as_read = ", counted by story" if stories else ""
    click.echo(f"{labels} ({evaluation.unit}s, {chosen}{as_read})")
    click.echo(format_evaluation(evaluation, names))
    for item in evaluation.errors[:show_errors]:
        gold = ", ".join(sorted(names[t] for t in item.gold)) or "none"
        found = ", ".join(sorted(names[t] for t in item.predicted)) or "none"
        click.echo(f"  {item.id}: labelled {gold}; found {found}")
