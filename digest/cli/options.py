"""What every `digest` command shares: the --config-file option and loading it."""

from __future__ import annotations

from pathlib import Path

import click

from digest.config import ConfigError, DigestConfig
from digest.project import load_project

EXIT_PROBLEMS = 1
EXIT_USAGE = 2

config_option = click.option(
    "-f",
    "--config-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("mkdocs.yml"),
    show_default=True,
    help="The site's mkdocs.yml, whose `digest` plugin options are used.",
)


def load_config(config_file: Path) -> DigestConfig:
    """The site's digest settings; a broken or missing mkdocs.yml is a usage error (exit 2)."""
    try:
        return load_project(config_file)
    except (ConfigError, OSError, ValueError) as error:
        raise click.UsageError(str(error)) from None
