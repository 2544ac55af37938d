"""The `digest stories` command and `digest eval stories`.

Registered on the main command group in digest/cli.py; help texts come from the docstrings.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import click

from digest.cli.options import EXIT_USAGE, config_option
from digest.cli.options import load_config as _load
from digest.config import ConfigError, DigestConfig, story_settings
from digest.model import StorySettings

# Thresholds `digest eval stories --sweep` scores, around the default.
SWEEP = (0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.25, 0.3, 0.35)


@click.command("stories")
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def stories_command(config_file: Path, fmt: str) -> None:
    """The stories of the content folder: articles about one event, grouped.

    Articles are read as a build reads them and grouped with the `stories:` options of
    mkdocs.yml. Newest story first. A file that is an exact copy of another (same headline and
    text: a build skips it) is listed in the story of the article it copies. `--format json`
    prints a list of objects with `id`, `title` and `articles` (the articles' paths relative
    to the folder of mkdocs.yml).
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

    if fmt == "json":
        payload = [
            {"id": s.id, "title": s.title, "articles": [shown(p) for p in s.articles]}
            for s in stories
        ]
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
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def eval_stories(
    config_file: Path,
    labels: Path,
    threshold: float | None,
    window_days: float | None,
    within_days: int | None,
    sweep: bool,
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
    except story_eval.StoryLabelError as error:
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
    if fmt == "json":
        payload = {"labels": str(labels), "articles": len(labelled), "events": events, "rows": rows}
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


def _as_options(settings: StorySettings) -> dict[str, float]:
    return {"threshold": settings.threshold, "window_days": settings.window_days}


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"
