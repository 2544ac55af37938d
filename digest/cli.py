"""The `digest` command: build the site, render its Markdown, check the content.

Help texts come from the docstrings. Exit codes: 0 success; 1 the content has problems
(`check`, or `build --strict`); 2 bad usage or configuration.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from digest import __version__
from digest.changes import record_build
from digest.cli_options import EXIT_PROBLEMS, config_option
from digest.cli_options import load_config as _load
from digest.config import DigestConfig
from digest.model import Digest, Problem
from digest.parallel import progress_bar
from digest.pipeline import build_digest, cached_analysis
from digest.render import PageRenderer, TemplateProblem


def _analysed(config: DigestConfig) -> Digest:
    """The digest, summaries from the cache where unchanged; a progress bar for long runs."""
    with progress_bar() as progress:
        return build_digest(config, cached_analysis(config, progress))


def _report(problems: tuple[Problem, ...], content_dir: Path) -> int:
    """Print problems as `path: message`; return how many should fail a strict build."""
    failing = 0
    for problem in problems:
        label = {"skipped": "skipped", "warning": "warning", "excluded": "note"}[problem.outcome]
        click.echo(f"{label}: {content_dir / problem.path}: {problem.message}", err=True)
        failing += problem.outcome != "excluded"
    return failing


@click.group()
@click.version_option(__version__, prog_name="digest")
def cli() -> None:
    """newsdigest: turn a folder of news articles into a summarized, topic-grouped site."""


@cli.command()
@config_option
@click.option("--strict", is_flag=True, help="Fail on any warning (as `mkdocs build --strict`).")
@click.option(
    "-d",
    "--site-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write the site (default: the site_dir of mkdocs.yml).",
)
def build(config_file: Path, strict: bool, site_dir: str | None) -> None:
    """Build the whole site with MkDocs, as `mkdocs build` does.

    The site is built in a temporary folder and swapped in only when the build succeeds, so a
    failed build leaves the previous site in place.
    """
    from digest.plugin import build_site

    try:
        built = build_site(str(config_file), strict=strict, site_dir=site_dir, progress=True)
    except Exception as error:  # MkDocs' Abort, PluginError, ConfigurationError
        click.echo(f"Error: build failed: {error}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"Site written to {built}")


@cli.command()
@config_option
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def render(config_file: Path, out_dir: Path) -> None:
    """Write the digest's generated Markdown pages to OUT_DIR.

    For inspection, or for another Markdown site builder. Problems are reported as in `check`.
    """
    config = _load(config_file)
    digest = _analysed(config)
    _report(digest.problems, config.content_dir)
    out_root = out_dir.resolve()
    # Recorded like a site build, so the home page's "what's new" matches `mkdocs build`.
    pages = PageRenderer(config).render(digest, record_build(digest, config.cache_dir))
    for page in pages:
        target = (out_root / page.path).resolve()
        if not target.is_relative_to(out_root):
            raise click.ClickException(f"refusing to write outside {out_dir}: {page.path}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.markdown, encoding="utf-8")
    click.echo(f"{len(pages)} pages written to {out_dir}")


@cli.command()
@config_option
def check(config_file: Path) -> None:
    """Read every file in the content folder and report what would be skipped, and why.

    Nothing is built. Exits 1 when any file is skipped or has a warning, 0 when all is well.
    """
    config = _load(config_file)
    digest = _analysed(config)
    failing = _report(digest.problems, config.content_dir)
    try:
        # The pages as a build makes them: a template that fails fails here too.
        PageRenderer(config).render(digest)
    except TemplateProblem as error:
        click.echo(f"error: digest template {error}", err=True)
        failing += 1
    click.echo(
        f"{len(digest.entries)} articles in the digest, {failing} problem(s); "
        f"{sum(len(t.entries) for t in digest.topics)} topic placements, "
        f"{len(digest.other)} in Other"
    )
    if failing:
        sys.exit(EXIT_PROBLEMS)


@cli.group("eval")
def eval_group() -> None:
    """Score the digest against labelled data (each kind of score is a subcommand)."""


@eval_group.command("rouge")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sentences", type=click.IntRange(min=1), help="Sentences per summary [default: 3].")
@click.option("--words", type=click.IntRange(min=1), help="A word budget instead of sentences.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option(
    "--only",
    multiple=True,
    help="Rows to compute, by name (lead, digest, a sumy algorithm); repeat or comma-separate.",
)
@click.option("--language", default="english", show_default=True)
def eval_rouge(
    file: Path,
    sentences: int | None,
    words: int | None,
    fmt: str,
    only: tuple[str, ...],
    language: str,
) -> None:
    """ROUGE-1/2/L F1 (%) and ms per article of each summarizer on FILE.jsonl.

    Each line of FILE is a JSON object with `text` and `reference` (optionally `title`). Rows:
    the lead baseline, every plain sumy algorithm and the digest's default summarizer, all on
    the same sentence split. Needs the rouge-score package (the `test` extra).
    """
    import json

    from digest import evaluation
    from digest.summarize import Budget

    if sentences is not None and words is not None:
        raise click.UsageError("use either --sentences or --words, not both")
    budget = Budget(sentences=None, words=words) if words else Budget(sentences=sentences or 3)
    try:
        names = evaluation.resolve_names(n for item in only for n in item.split(",") if n.strip())
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--only") from None
    try:
        articles = evaluation.read_jsonl(file)
        scores = evaluation.evaluate(
            articles,
            budget,
            names,
            language,
            progress=lambda name: click.echo(f"scoring {name}...", err=True),
        )
    except evaluation.EvaluationError as error:
        raise click.ClickException(str(error)) from None
    if fmt == "json":
        payload = {
            "file": str(file),
            "budget": {"sentences": budget.sentences, "words": budget.words},
            "rows": [score.as_dict() for score in scores],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(f"{len(articles)} articles, {evaluation.budget_label(budget)} per summary\n")
        click.echo(evaluation.markdown_table(scores))


@eval_group.command("readability")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@config_option
@click.option("--summarizer", help="Summarizer to check instead of the configured one.")
@click.option("--sentences", type=click.IntRange(min=1), help="Sentences per summary.")
@click.option("--words", type=click.IntRange(min=1), help="A word budget instead of sentences.")
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def eval_readability(
    path: Path,
    config_file: Path,
    summarizer: str | None,
    sentences: int | None,
    words: int | None,
    examples: int,
    fmt: str,
) -> None:
    """How many summaries carry junk or lean on a sentence they left out, with examples.

    PATH is a content folder (read as a build reads it) or a JSON Lines file of objects with
    `text` and optionally `title`. Article and topic summaries are made with the settings of
    mkdocs.yml (when it exists; else the defaults) and checked for captions, credits, sign-up
    and navigation lines, related links, wire prefixes, glued headlines, fragments, sentences
    run together and openings that point back at a sentence the summary left out.
    """
    import json
    from dataclasses import replace

    from digest import readability
    from digest.evaluation import EvaluationError
    from digest.pipeline import AnalysisSettings, analyze_serially, boilerplate_of
    from digest.readers import ContentReader
    from digest.summarize import Budget, make_summarizer

    if sentences is not None and words is not None:
        raise click.UsageError("use either --sentences or --words, not both")
    config = _load(config_file) if config_file.exists() else DigestConfig()
    settings = AnalysisSettings.from_config(config)
    if summarizer:
        try:
            make_summarizer(summarizer)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--summarizer") from None
        settings = replace(settings, summarizer=summarizer)
    if sentences or words:
        budget = Budget(sentences=None, words=words) if words else Budget(sentences=sentences)
        settings = replace(settings, budget=budget)
    boilerplate = boilerplate_of(config)
    try:
        if path.is_dir():
            articles = ContentReader(path, boilerplate=boilerplate).read_all().articles
        else:
            articles = readability.articles_from_jsonl(path, boilerplate)
    except EvaluationError as error:
        raise click.ClickException(str(error)) from None
    report = readability.check_entries(analyze_serially(articles, settings), examples)
    if fmt == "json":
        click.echo(json.dumps({"path": str(path), **report.as_dict()}, indent=2))
    else:
        click.echo(readability.markdown_report(report, settings.summarizer))


# Topic commands live in digest/topic_cli.py; more `eval` subcommands attach the same way:
# `eval_group.add_command(...)` or `@eval_group.command()`.
from digest.topic_cli import eval_topics, topics_group  # noqa: E402

cli.add_command(topics_group)
eval_group.add_command(eval_topics)
from digest.stories_cli import eval_stories, stories_command  # noqa: E402

cli.add_command(stories_command)
eval_group.add_command(eval_stories)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
