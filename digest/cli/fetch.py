"""`digest fetch`: write new articles from the sources in mkdocs.yml to content/<source>/.

The only command that uses the network; `mkdocs build` and the other commands never do.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.cli.options import EXIT_PROBLEMS, EXIT_USAGE, config_option
from digest.cli.options import load_config as _load
from digest.config import Source
from digest.wording import counted

if TYPE_CHECKING:
    from digest.sources.fetch import FetchReport


@click.command("fetch")
@config_option
@click.option(
    "--source",
    "source_names",
    multiple=True,
    metavar="NAME",
    help="Fetch only this source (its name or folder); repeatable.",
)
@click.option("--dry-run", is_flag=True, help="Fetch and report, but write no article.")
@click.option("--strict", is_flag=True, help="Exit 1 when any item failed.")
@click.option(
    "--verbose",
    is_flag=True,
    help="Also say where digest's clean-up and trafilatura disagreed, and which was kept.",
)
def fetch_command(
    config_file: Path,
    source_names: tuple[str, ...],
    dry_run: bool,
    strict: bool,
    verbose: bool = False,
) -> None:
    """Fetch new articles from the `sources:` in mkdocs.yml into content/<source>/.

    Feeds (RSS, Atom, JSON Feed), sitemaps and lists of pages; robots.txt is honoured, each
    host is asked one request at a time with a pause; private and loopback addresses are
    refused unless the source sets allow_private. Items already in content/ (by URL or by
    text) are not written again. Ends with a report: new, unchanged, duplicates, failures.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from digest.sources.fetch import FetchRun, Outcome
    from digest.store.markdown_pages import load_secret

    config = _load(config_file)
    sources = config.sources
    if not sources:
        # Not an error: the daily workflow runs this for sites that add articles by hand too.
        click.echo(f"{config_file}: no `sources:` under the digest plugin; nothing to fetch")
        return
    if source_names:
        sources = _chosen(sources, source_names)
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_items(source: object, count: int) -> None:
            name = getattr(source, "name", "")
            tasks[name] = progress.add_task(f"fetch {name}", total=count)

        def on_outcome(outcome: Outcome) -> None:
            if outcome.source in tasks:
                progress.advance(tasks[outcome.source])

        run = FetchRun(
            config,
            dry_run=dry_run,
            on_items=on_items,
            on_outcome=on_outcome,
            # What earlier runs kept in cache_dir is trusted only under this user's key.
            secret=load_secret(),
        )
        try:
            report = run.run(sources)
        finally:
            run.fetcher.close()
    _print_report(report, dry_run, verbose)
    if strict and report.failures:
        sys.exit(EXIT_PROBLEMS)


def _chosen(sources: tuple[Source, ...], source_names: tuple[str, ...]) -> tuple[Source, ...]:
    """The sources named by --source (a name or a folder); exit 2 naming any that is none."""
    wanted = {n.casefold() for n in source_names}
    known = {s.name.casefold() for s in sources} | {s.slug for s in sources}
    missing = sorted(wanted - known)
    if missing:
        names = ", ".join(s.name for s in sources)
        listed = ", ".join(missing)
        click.echo(f"Error: no source named {listed} (there are: {names})", err=True)
        sys.exit(EXIT_USAGE)
    return tuple(s for s in sources if {s.name.casefold(), s.slug} & wanted)


def _print_report(report: FetchReport, dry_run: bool, verbose: bool) -> None:
    """Each item that was written, a duplicate or failed, the notes, then the counts."""
    for outcome in report.outcomes:
        if outcome.status == "new":
            verb = "would write" if dry_run else "new"
            click.echo(f"{verb}: {outcome.file} ({outcome.detail}) <- {outcome.url}")
            for note in outcome.notes if verbose else ():
                click.echo(f"  extraction: {note}")
        elif outcome.status == "duplicate":
            click.echo(f"duplicate: {outcome.url}: {outcome.detail}")
        elif outcome.status == "failed":
            # On stdout with the rest: the report reads in order, failures among the items.
            click.echo(f"failed: {outcome.url}: {outcome.detail}")
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(
        f"{report.count('new')} new, {report.count('unchanged')} unchanged, "
        f"{counted(report.count('duplicate'), 'duplicate')}, {report.count('failed')} failed "
        f"({counted(report.requests, 'request')})"
        + (" (dry run: nothing written)" if dry_run else "")
    )
