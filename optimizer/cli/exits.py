"""Exit codes of every ``xborder`` command (DESIGN.md §5), and the one bad-input exit.

Apart from :mod:`optimizer.cli.main` so subcommands import them without importing the
group that loads them.
"""

from __future__ import annotations

import sys

import click

EXIT_OK = 0  # success
EXIT_BUG = 1  # only for a bug (or an MCND solver error / limit without a solution)
EXIT_INPUT = 2  # bad input: usage, unreadable or invalid data
EXIT_INFEASIBLE = 3  # infeasible, with the explanation
EXIT_GATE = 4  # a CI gate (--fail-under) not met


def fail_input(message: str) -> None:
    """Print one bad-input message and exit 2 (for problems found outside readers)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INPUT)
