"""``--executor/--scheduler/--workers``: the execution-layer options of parallel commands."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any, TypeVar

import click

from optimizer.errors import InputError, Problem
from optimizer.execute import EXECUTORS, ExecutorSpec

F = TypeVar("F", bound=Callable[..., Any])


def executor_options(
    what: str, *, workers: bool = True, default: str = "every usable CPU"
) -> Callable[[F], F]:
    """Add the options to a command (``what`` names its tasks in the help).

    ``workers=False`` leaves ``--workers`` out, for a command that already has it.
    """

    def decorate(command: F) -> F:
        options = [
            click.option(
                "--executor",
                type=click.Choice(EXECUTORS),
                default=None,
                help=f"Where {what} run: local processes (default) or Dask (needs the dask extra).",
            ),
            click.option(
                "--scheduler",
                metavar="ADDRESS",
                help="An existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor "
                "dask; its workers are used as they are).",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=1),
                help=f"Local processes or LocalCluster workers (default: {default}; "
                "1 = in this process). Same output either way.",
            ),
        ]
        for option in reversed(options if workers else options[:2]):
            command = option(command)
        return command

    return decorate


def executor_spec(executor: str | None, scheduler: str | None, workers: int | None) -> ExecutorSpec:
    """The spec the options ask for; contradictions are bad input (exit 2)."""
    kind = executor or ("dask" if scheduler else "local")
    if scheduler and kind != "dask":
        raise InputError(
            [
                Problem(
                    "options",
                    "--scheduler needs --executor dask",
                    field="--scheduler",
                    value=scheduler,
                )
            ]
        )
    # found, not imported: the run's workers start importing before this process does
    if kind == "dask" and importlib.util.find_spec("distributed") is None:
        raise InputError(
            [
                Problem(
                    "options",
                    "the dask executor is not installed",
                    field="--executor",
                    value="dask",
                    expected='pip install "xborder[dask]"',
                )
            ]
        )
    return ExecutorSpec(kind, workers, scheduler)  # type: ignore[arg-type]
