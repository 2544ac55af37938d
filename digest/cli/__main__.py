"""`python -m digest.cli ...`: the `digest` command, without its script on PATH."""

from digest.cli.main import main

main()
