"""The `digest stories` command and `digest eval stories`.

Registered on the main command group in digest/cli.py; help texts come from the docstrings.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import click

from digest.cli.options import EXIT_USAGE, config_option
from digest.cli.options import load_config as _load
from digest.config import ConfigError, DigestConfig, story_settings
from digest.model import Article, DigestEntry, Story, StorySettings, Summary

# Thresholds `digest eval stories --sweep` scores, around the default.
SWEEP = (0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.14, 0.16, 0.2, 0.25)
# Thresholds the plain tf-idf average-link baseline is scored at (its best one is reported:
# tuned on the labels themselves, so the baseline is at its strongest).
BASELINE_SWEEP = (0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.25, 0.3)


@click.command("stories")
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def stories_command(config_file: Path, fmt: str) -> None:
    """The stories of the content folder: articles about one event, grouped.

    Articles are read as a build reads them and grouped with the `stories:` options of
    mkdocs.yml. Newest story first. A file that is an exact copy of another (same headline and
    text: a build skips it) is listed in the story of the article it copies. `--format json`
    prints a list of objects with `id`, `title`, `articles` (the articles' paths relative to
    the folder of mkdocs.yml), `sources` (the outlets, in the order they reported), `dates`
    (`start`, `end`) and `summary` (the story page's sentences, each with `text`, the
    `article` it comes from, its `source`, and `update`: from a later day than the first).
    Files that could not be read are in no story; they are named on standard error.
    """
    from digest.analysis.stories import cluster_stories
    from digest.config import resolve_timezone
    from digest.pipeline import boilerplate_of
    from digest.sources.files import ContentReader

    config = _load(config_file)
    if not config.content_dir.is_dir():
        raise click.UsageError(f"{config.content_dir}: content folder does not exist")
    reader = ContentReader(
        config.content_dir,
        resolve_timezone(config.timezone),
        config.include_drafts,
        datetime.now(timezone.utc),
        boilerplate_of(config),
    )
    read = reader.read_all()
    articles = read.articles
    by_path = {a.source_path: a for a in articles}
    stories = cluster_stories(articles, config.stories)
    # An exact copy is not published, but it is the same story as the article it copies.
    copies: dict[str, list[str]] = {}
    for copy, original in read.copies:
        copies.setdefault(original, []).append(copy)
    stories = tuple(
        replace(s, articles=tuple(p for a in s.articles for p in (a, *copies.get(a, ()))))
        for s in stories
    )
    project = config_file.resolve().parent

    def shown(source_path: str) -> str:
        path = (config.content_dir / source_path).resolve()
        return Path(os.path.relpath(path, project)).as_posix()

    copied = {copy for copy, _ in read.copies}
    unread = [p for p in read.problems if p.outcome == "skipped" and p.path not in copied]
    for problem in unread:
        click.echo(f"not in any story: {problem}", err=True)
    if fmt == "json":
        payload = [_story_json(s, by_path, shown, config.summary_sentences) for s in stories]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for story in stories:
        span = story.start.date().isoformat()
        if story.end.date() != story.start.date():
            span += f" to {story.end.date().isoformat()}"
        click.echo(f"{story.title} [{story.id}] ({_count(len(story.articles), 'article')}, {span})")
        for path in story.articles:
            if path not in by_path:
                click.echo(f"    {shown(path)} (an exact copy: not published)")
                continue
            source = by_path[path].source
            click.echo(f"    {shown(path)}" + (f" ({source})" if source else ""))
    multiple = sum(len(s.articles) > 1 for s in stories)
    click.echo(
        f"{_count(len(articles), 'article')} in {_count(len(stories), 'story', 'stories')}; "
        f"{multiple} with more than one article"
    )


@click.command("stories")
@config_option
@click.argument("labels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--threshold", type=float, default=None, help="Override stories.threshold.")
@click.option("--window-days", type=float, default=None, help="Override stories.window_days.")
@click.option(
    "--within-days",
    type=click.IntRange(1, 366),
    default=None,
    help="Move every date into this many days first (7: one week), so that dates cannot "
    "tell events apart.",
)
@click.option("--sweep", is_flag=True, help="Score a range of thresholds around the default.")
@click.option(
    "--compare",
    is_flag=True,
    help="Also score a plain tf-idf average-link clustering (every pair compared), at its "
    "best threshold on these labels, and cross-validate: tune the threshold of each on one "
    "half of the topics (or events) and score it on the other half.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def eval_stories(
    config_file: Path,
    labels: Path,
    threshold: float | None,
    window_days: float | None,
    within_days: int | None,
    sweep: bool,
    compare: bool,
    fmt: str,
) -> None:
    """Score the story clustering against LABELS with BCubed precision, recall and F1.

    LABELS is JSON Lines, one article a line, with `event` (articles with the same value report
    the same event), `title`, `text` (paragraphs separated by blank lines) and `date`, as in
    ../shared/corpora/basil-events/. The `stories:` options come from mkdocs.yml when it exists
    (else the defaults); --threshold and --window-days override them.
    """
    from digest.analysis.stories import cluster_stories
    from digest.evaluation import stories as story_eval

    config = _load(config_file) if config_file.exists() else DigestConfig()
    overrides = {
        key: value
        for key, value in (("threshold", threshold), ("window_days", window_days))
        if value is not None
    }
    try:
        settings = story_settings({**_as_options(config.stories), **overrides})
    except ConfigError as error:
        raise click.UsageError(str(error)) from None
    try:
        labelled = story_eval.read_labels(labels)
    except story_eval.EvaluationError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    if within_days is not None:
        labelled = story_eval.within_days(labelled, within_days)
    thresholds = sorted({*SWEEP, settings.threshold}) if sweep else [settings.threshold]
    rows = []
    for value in thresholds:
        tried = replace(settings, threshold=value)
        stories = cluster_stories([item.article for item in labelled], tried)
        score = story_eval.score_stories(labelled, stories)
        rows.append(
            {
                "threshold": value,
                "window_days": tried.window_days,
                "precision": round(score.precision, 4),
                "recall": round(score.recall, 4),
                "f1": round(score.f1, 4),
                "stories": len(stories),
            }
        )
    events = len({item.event for item in labelled})
    compared = _compare(labelled, settings) if compare else None
    if fmt == "json":
        payload = {"labels": str(labels), "articles": len(labelled), "events": events, "rows": rows}
        if compared is not None:
            payload["compare"] = compared
        click.echo(json.dumps(payload, indent=2))
        return
    moved = f", dates moved into {_count(within_days, 'day')}" if within_days else ""
    click.echo(f"{labels}: {_count(len(labelled), 'article')}, {_count(events, 'event')}{moved}\n")
    click.echo("| threshold | BCubed precision | BCubed recall | BCubed F1 | stories |")
    click.echo("|---|---|---|---|---|")
    for row in rows:
        mark = " (configured)" if row["threshold"] == settings.threshold and sweep else ""
        click.echo(
            f"| {row['threshold']:g}{mark} | {row['precision']:.3f} | {row['recall']:.3f} "
            f"| {row['f1']:.3f} | {row['stories']} |"
        )
    if compared is not None:
        _echo_compared(compared)


def _compare(labelled: list, settings: StorySettings) -> dict[str, object]:
    """The tf-idf average-link baseline at its best threshold, and both methods tuned on one
    half and scored on the other (each way)."""
    from digest.analysis.stories import cluster_stories
    from digest.evaluation import stories as story_eval

    def ours(items: list, value: float) -> float:
        tried = replace(settings, threshold=value)
        found = cluster_stories([item.article for item in items], tried)
        return story_eval.score_stories(items, found).f1

    def baseline(items: list, links: list, value: float) -> float:
        return story_eval.score_stories(items, story_eval.baseline_stories(items, links, value)).f1

    links = story_eval.baseline_links(labelled)
    scores = {value: baseline(labelled, links, value) for value in BASELINE_SWEEP}
    best = max(scores, key=lambda v: (scores[v], -v))
    folds = []
    one, other = story_eval.halves(labelled)
    for tune, check in ((one, other), (other, one)):
        tuned = [labelled[i] for i in tune]
        checked = [labelled[i] for i in check]
        mine = max(SWEEP, key=lambda v: (ours(tuned, v), -v))
        tuned_links = story_eval.baseline_links(tuned)
        theirs = max(BASELINE_SWEEP, key=lambda v: (baseline(tuned, tuned_links, v), -v))
        folds.append(
            {
                "tuned_on": len(tuned),
                "checked_on": len(checked),
                "threshold": mine,
                "f1": round(ours(checked, mine), 4),
                "baseline_threshold": theirs,
                "baseline_f1": round(
                    baseline(checked, story_eval.baseline_links(checked), theirs), 4
                ),
            }
        )
    return {"baseline_threshold": best, "baseline_f1": round(scores[best], 4), "folds": folds}


def _echo_compared(compared: dict) -> None:
    click.echo(
        f"\nPlain tf-idf average-link, at its best threshold on these labels "
        f"({compared['baseline_threshold']:g}): BCubed F1 {compared['baseline_f1']:.3f}\n"
    )
    click.echo(
        "| tuned on | checked on | threshold | BCubed F1 | baseline threshold | baseline F1 |"
    )
    click.echo("|---|---|---|---|---|---|")
    for fold in compared["folds"]:
        click.echo(
            f"| {fold['tuned_on']} articles | {fold['checked_on']} articles "
            f"| {fold['threshold']:g} | {fold['f1']:.3f} "
            f"| {fold['baseline_threshold']:g} | {fold['baseline_f1']:.3f} |"
        )


def _story_json(
    story: Story, by_path: dict[str, Article], shown: Callable[[str], str], sentences: int
) -> dict[str, object]:
    """One story as `digest stories --format json` prints it."""
    from digest.analysis.stories import story_summary
    from digest.analysis.tokenizer import sentences_of

    members = [by_path[p] for p in story.articles if p in by_path]
    entries = {
        a.source_path: DigestEntry(a, sentences_of(a.paragraphs), Summary((), "none"))
        for a in members
    }
    path_of = {a.slug: a.source_path for a in members}
    return {
        "id": story.id,
        "title": story.title,
        "articles": [shown(p) for p in story.articles],
        "sources": list(dict.fromkeys(a.source for a in members if a.source)),
        "dates": {"start": story.start.isoformat(), "end": story.end.isoformat()},
        "summary": [
            {
                "text": s.text,
                "article": shown(path_of[s.article]),
                "source": s.source,
                "update": s.update,
            }
            for s in story_summary(story, entries, sentences)
        ],
    }


def _as_options(settings: StorySettings) -> dict[str, float]:
    return {"threshold": settings.threshold, "window_days": settings.window_days}


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


@click.command("story-summaries")
@click.argument(
    "clusters", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def eval_story_summaries(clusters: Path, fmt: str) -> None:
    """Score story summaries with ROUGE against human multi-document summaries.

    CLUSTERS is JSON Lines, one story a line, with `documents` (a list of `{"text": ...}`)
    and `summary` (what people wrote of the whole story), as in
    ../shared/corpora/multi-news-sample/. Each system gets the human summary's length in
    words: the digest's story summary (never over it), the lead of the newest (last) article,
    the lead of the first, and sumy's LexRank over all the story's sentences (cut at it).
    Prints mean ROUGE-1 and ROUGE-2 recall and F1 (percent, Porter stemming on).
    """
    from digest.evaluation import story_summaries
    from digest.evaluation.rouge import EvaluationError

    try:
        cases = story_summaries.read_cases(clusters)
        scores = story_summaries.evaluate(cases)
    except EvaluationError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    if fmt == "json":
        payload = {"clusters": str(clusters), "stories": len(cases), "systems": scores}
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(f"{clusters}: {len(cases)} stories, each system at the human summary's length\n")
    click.echo("| system | ROUGE-1 recall | ROUGE-2 recall | ROUGE-1 F1 | ROUGE-2 F1 | words |")
    click.echo("|---|---|---|---|---|---|")
    for name, row in scores.items():
        click.echo(
            f"| {name} | {row['rouge1_recall']:.2f} | {row['rouge2_recall']:.2f} "
            f"| {row['rouge1_f1']:.2f} | {row['rouge2_f1']:.2f} | {row['words']:.0f} |"
        )
