"""The `digest` command (help texts come from the docstrings of digest.cli.main)."""

from digest.cli.main import cli, main

__all__ = ["cli", "main"]
