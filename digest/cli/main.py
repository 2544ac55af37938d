"""The `digest` command: build the site, render its Markdown, check the content.

Help texts come from the docstrings. Exit codes: 0 success; 1 the content has problems
(`check`, or `build --strict`); 2 bad usage or configuration.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from digest import __version__
from digest.cli.options import EXIT_PROBLEMS, EXIT_USAGE, config_option
from digest.cli.options import load_config as _load
from digest.config import DigestConfig
from digest.model import Digest, Problem
from digest.pipeline import analysed_digest
from digest.site.render import PageRenderer, TemplateProblem
from digest.store.history import record_build
from digest.wording import counted


def _analysed(config: DigestConfig) -> Digest:
    """The digest, summaries from the cache where unchanged; a progress bar for long runs."""
    return analysed_digest(config)[0]


def _report(problems: tuple[Problem, ...], content_dir: Path) -> int:
    """Print problems as `path: message`; return how many should fail a strict build."""
    failing = 0
    for problem in problems:
        labels = {"skipped": "skipped", "warning": "warning", "excluded": "note", "note": "note"}
        click.echo(
            f"{labels[problem.outcome]}: {content_dir / problem.path}: {problem.message}", err=True
        )
        failing += problem.outcome not in ("excluded", "note")
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
@click.option(
    "--engine",
    type=click.Choice(["mkdocs", "zensical"]),
    default="mkdocs",
    show_default=True,
    help="The site builder: MkDocs (with the digest plugin) or Zensical (the `zensical` extra).",
)
def build(config_file: Path, strict: bool, site_dir: str | None, engine: str) -> None:
    """Build the whole site with MkDocs, as `mkdocs build` does, or with Zensical.

    The site is built in a temporary folder and swapped in only when the build succeeds, so a
    failed build leaves the previous site in place.
    """
    if engine == "zensical":
        _build_with_zensical(config_file, strict, site_dir)
        return
    from digest.mkdocs.plugin import build_site

    try:
        with _told_as_mkdocs_tells_it():
            built = build_site(str(config_file), strict=strict, site_dir=site_dir, progress=True)
    except Exception as error:  # MkDocs' Abort, PluginError, ConfigurationError
        click.echo(f"Error: build failed: {error}", err=True)
        # A bad digest option is a usage error, as in `digest check` (DigestConfigError).
        sys.exit(EXIT_USAGE if getattr(error, "exit_code", None) == EXIT_USAGE else EXIT_PROBLEMS)
    click.echo(f"Site written to {built}")


@contextlib.contextmanager
def _told_as_mkdocs_tells_it() -> Iterator[None]:
    """What MkDocs and the plugin log, on stderr as `mkdocs build` shows it (info lines
    included), unless the "mkdocs" logger already has somewhere to go."""
    mkdocs_log = logging.getLogger("mkdocs")
    said = None
    if not mkdocs_log.handlers:
        said = logging.StreamHandler()
        said.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        mkdocs_log.addHandler(said)
        mkdocs_log.setLevel(logging.INFO)
    try:
        yield
    finally:
        if said is not None:
            mkdocs_log.removeHandler(said)
            mkdocs_log.setLevel(logging.NOTSET)


def _build_with_zensical(config_file: Path, strict: bool, site_dir: str | None) -> None:
    from digest.site.feeds import FeedError, check_site_url
    from digest.site.output import DocsConflict
    from digest.site.search import SearchIndexError
    from digest.zensical import ZensicalError, ZensicalMissing, build_site

    config = _load(config_file)
    if config.feeds:
        try:
            check_site_url(config.site_url)
        except FeedError as error:  # as the plugin's on_config: bad configuration
            raise click.UsageError(f"{config_file}: digest plugin: {error}") from None

    def analyse(settings: DigestConfig) -> Digest:
        digest = _analysed(settings)
        # Reported as the plugin reports them; --strict fails on them as mkdocs --strict does.
        if _report(digest.problems, settings.content_dir) and strict:
            raise ZensicalError("content problems above, and --strict")
        return digest

    try:
        built = build_site(
            config_file,
            config,
            analyse,
            strict=strict,
            site_dir=Path(site_dir) if site_dir else None,
        )
    except ZensicalMissing as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    except (
        ZensicalError,
        TemplateProblem,
        FeedError,
        DocsConflict,
        SearchIndexError,
        OSError,
    ) as error:
        prefix = "digest template " if isinstance(error, TemplateProblem) else ""
        click.echo(f"Error: build failed: {prefix}{error}", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"Site written to {built} (Zensical)")


@cli.command()
@config_option
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--site-config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a config that builds OUT_DIR into `site` beside it (e.g. `zensical build "
    "-f FILE`); it must sit in a folder that holds OUT_DIR.",
)
def render(config_file: Path, out_dir: Path, site_config: Path | None) -> None:
    """Write the digest's generated Markdown pages to OUT_DIR.

    With them goes everything else a Markdown site builder (Zensical, plain MkDocs) needs to
    publish OUT_DIR as the site: the user's own docs, the reader's stylesheet and script, the
    search summaries, and the feeds and OPML list as static files (the same bytes `mkdocs
    build` writes). Problems are reported as in `check`.
    """
    import yaml

    from digest.site.feeds import FeedError
    from digest.site.output import DocsConflict, write_docs_folder
    from digest.site.search import SearchIndexError
    from digest.zensical.build import derived_config, load_mkdocs_yml

    config = _load(config_file)
    raw = load_mkdocs_yml(config_file)
    base = config_file.resolve().parent
    digest = _analysed(config)
    _report(digest.problems, config.content_dir)
    try:
        written = write_docs_folder(
            config,
            digest,
            # Recorded like a site build, so the home page's "what's new" matches `mkdocs build`.
            record_build(digest, config.cache_dir),
            out_dir,
            use_directory_urls=bool(raw.get("use_directory_urls", True)),
            user_docs=base / str(raw.get("docs_dir") or "docs"),
        )
    except FeedError as error:  # feeds on without a usable site_url: bad configuration
        raise click.UsageError(f"{config_file}: digest plugin: {error}") from None
    except (DocsConflict, TemplateProblem, SearchIndexError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{counted(len(written.pages), 'page')} written to {out_dir}, with "
        f"{len(written.user_files)} of your docs files and "
        f"{counted(len(written.other_files), 'asset or feed', 'assets and feeds')}"
    )
    if site_config is not None:
        project = site_config.resolve().parent
        if not out_dir.resolve().is_relative_to(project):
            raise click.BadParameter(
                f"{site_config} must sit in a folder that holds {out_dir}",
                param_hint="--site-config",
            )
        # Zensical builds only into a folder beside its config.
        site_dir = project / "site"
        derived = derived_config(raw, config, config_file, project, out_dir.resolve(), site_dir)
        site_config.write_text(
            yaml.dump(derived, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        click.echo(f"Site config written to {site_config}")


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
        f"{counted(len(digest.entries), 'article')} in the digest, "
        f"{counted(failing, 'problem')}; "
        f"{counted(sum(len(t.entries) for t in digest.topics), 'topic placement')}, "
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

    from digest.analysis.summarizers import Budget
    from digest.evaluation import rouge as evaluation

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
        summaries = evaluation.budget_label(budget)
        click.echo(f"{counted(len(articles), 'article')}, {summaries} per summary\n")
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
    mkdocs.yml (when it exists; else the defaults) and checked for captions, credits, forms and
    self-promotion, sign-up, video and advertisement text, related links, wire prefixes, glued
    headlines, fragments, sentences run together and openings that point back at a sentence the
    summary left out (in English, German, French, Spanish, Italian, Portuguese and Dutch). The
    check has its own rules, not the cleaner's, and says how many defects the cleaner passes.
    """
    import json
    from dataclasses import replace

    from digest.analysis.summarizers import Budget, make_summarizer
    from digest.evaluation import readability
    from digest.evaluation.rouge import EvaluationError
    from digest.pipeline import AnalysisSettings, analyze_serially, boilerplate_of
    from digest.sources.files import ContentReader

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
from digest.cli.topics import eval_topics, topics_group  # noqa: E402

cli.add_command(topics_group)
# `digest fetch` (the only command that uses the network) lives in digest/cli/fetch.py.
from digest.cli.fetch import fetch_command  # noqa: E402

cli.add_command(fetch_command)
eval_group.add_command(eval_topics)
from digest.cli.stories import eval_stories, eval_story_summaries, stories_command  # noqa: E402

cli.add_command(stories_command)
eval_group.add_command(eval_stories)
eval_group.add_command(eval_story_summaries)
# `digest new` (a project of one's own) lives in digest/cli/new.py.
from digest.cli.new import new_command  # noqa: E402

cli.add_command(new_command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
