"""The ``xborder`` command line: parse, load, solve, render; exit codes from results.

Exit codes (DESIGN.md §5): 0 success, 2 bad input, 3 infeasible, 4 a CI gate
not met, 1 only for a bug. Subcommands live in their own modules and are
imported only when used, so ``xborder --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from optimizer.cli.exits import EXIT_INPUT
from optimizer.errors import InputError

# command name -> "module:attribute"
_COMMANDS = {
    "validate": "optimizer.cli.network_cmds:validate",
    "network": "optimizer.cli.network_cmds:network",
    "run": "optimizer.cli.run_cmd:run",
    "quote": "optimizer.cli.quote_cmd:quote",
    "simulate": "optimizer.cli.simulate_cmd:simulate",
    "bench": "optimizer.cli.bench_cmd:bench",
    "route": "optimizer.cli.route_cmd:route",
    "serve": "optimizer.cli.serve_cmd:serve",
    "history": "optimizer.cli.history_cmd:history",
    "sweep": "optimizer.cli.sweep_cmd:sweep",
    "compare": "optimizer.cli.compare_cmd:compare",
    "tariffs": "optimizer.cli.tariffs_cmd:tariffs",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in _COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = _COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # command not built yet
            raise
        command: click.Command = getattr(module, attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for warning in exc.warnings:
                click.echo(f"warning: {warning}", err=True)
            click.echo(f"error: {exc.render()}", err=True)
            ctx.exit(EXIT_INPUT)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xborder")
def main() -> None:
    """xborder: cross-border logistics route optimizer.

    \b
    Examples:
      xborder validate networks/global
      xborder network show networks/global
      xborder run scenarios/us_deminimis_2026.yaml -o out/
    """
