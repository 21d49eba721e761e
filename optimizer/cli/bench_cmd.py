"""``xborder bench``: standard benchmarks run through the solver core (DESIGN.md §3).

Exit codes follow :mod:`optimizer.cli.exits`: 0 solved (optimal or with a gap), 2 a bad
file (the reader's :class:`~optimizer.errors.InputError`), 3 proven infeasible, 1 a
solver error or a limit reached before any solution.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from optimizer.cli.exits import EXIT_BUG, EXIT_INFEASIBLE
from optimizer.mcnd.model import (
    McndResult,
    choose_backend,
    choose_method,
    known_values,
    read_dow,
    solve_instance,
)
from optimizer.mcnd.search import SearchSettings, search
from optimizer.solve.settings import Backend, SolverSettings, SolveStatus

EXIT_NO_RESULT = EXIT_BUG  # a solver error or a limit reached before any solution


@click.group()
def bench() -> None:
    """Run standard benchmarks through the xborder solver core."""


@bench.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="S",
    help="Stop after S seconds and report the incumbent and bound.",
)
@click.option(
    "--gap",
    type=click.FloatRange(0, 1, max_open=True),
    default=1e-6,
    show_default=True,
    metavar="G",
    help="Relative MIP gap at which to stop.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="search: parallel capacity-scaling runs, one per step (0: one per usable "
    "CPU, at most one per step; 1: a single process).",
)
@click.option(
    "--backend",
    type=click.Choice(["auto", *(b.value for b in Backend)], case_sensitive=False),
    default="auto",
    show_default=True,
    help="MIP solver behind OR-Tools (exact method); auto: HiGHS (MathOpt) when "
    "fixed charges dominate, SCIP otherwise.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "search"]),
    default="auto",
    show_default=True,
    help="exact: the strong MIP; search: strong LP by column generation, capacity "
    "scaling, restricted MIPs (docs/mcnd.md); auto: search for large "
    "instances with a time limit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def mcnd(
    file: str,
    time_limit: float | None,
    gap: float,
    seed: int,
    workers: int,
    backend: str,
    method: str,
    as_json: bool,
) -> None:
    """Solve one MCND instance (Canad .dow FILE) and compare with its known value.

    Builds the strong arc-based formulation (binary design per arc, split flows,
    capacity and strong linking rows) and prints objective, bound, gap, status and
    time; for the C, C+ and R instances it also prints the published or reproduced
    value and our difference to it.

    \b
    Examples:
      xborder bench mcnd benchmarks/mcnd/C/c33.dow
      xborder bench mcnd benchmarks/mcnd/C/c37.dow --time-limit 120 --json
    """
    instance = read_dow(file)
    if method == "auto":
        method = choose_method(instance, time_limit)
    chosen = choose_backend(instance) if backend.lower() == "auto" else Backend.parse(backend)
    if method == "search":
        result = search(
            instance, SearchSettings(time_limit_s=time_limit or 120.0, seed=seed, workers=workers)
        )
    else:
        settings = SolverSettings(
            time_limit_s=time_limit, relative_gap=gap, seed=seed, backend=chosen
        )
        result = solve_instance(instance, settings)
    report = _report(result, len(instance.arcs), len(instance.commodities), instance.n_nodes)
    if as_json:
        click.echo(json.dumps(report))
    else:
        _print_text(report)
    if result.status is SolveStatus.INFEASIBLE:
        if not as_json:
            click.echo(f"infeasible: {result.reason}", err=True)
        sys.exit(EXIT_INFEASIBLE)
    if not result.status.has_solution:
        sys.exit(EXIT_NO_RESULT)


#: ``bench mcnd --json`` (docs/schemas/bench-mcnd.schema.json); a measurement, so it has
#: its time (``seconds``).
BENCH_FORMAT_VERSION = 1


def _report(result: McndResult, n_arcs: int, n_commodities: int, n_nodes: int) -> dict[str, Any]:
    """The result as a flat JSON-ready dict, with the known value when we ship one."""
    known = known_values().get(result.name)
    diff = None
    if known is not None and known.value is not None and result.objective is not None:
        diff = result.objective - known.value
    return {
        "format_version": BENCH_FORMAT_VERSION,
        "instance": result.name,
        "nodes": n_nodes,
        "arcs": n_arcs,
        "commodities": n_commodities,
        "status": result.status.value,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "seconds": round(result.seconds, 3),
        "backend": result.backend,
        "open_arcs": len(result.open_arcs),
        "known_value": None if known is None else known.value,
        "known_kind": None if known is None else known.kind,
        "known_source": None if known is None else known.source,
        "difference": diff,
        "reason": result.reason,
    }


def _print_text(r: dict[str, Any]) -> None:
    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".")

    click.echo(
        f"instance    {r['instance']} ({r['nodes']} nodes, {r['arcs']} arcs, "
        f"{r['commodities']} commodities)"
    )
    click.echo(f"status      {r['status']}")
    click.echo(f"objective   {num(r['objective'])}")
    click.echo(f"bound       {num(r['bound'])}")
    gap = "-" if r["gap"] is None else f"{100 * r['gap']:.4f} %"
    click.echo(f"gap         {gap}")
    click.echo(f"seconds     {r['seconds']:.2f} ({r['backend']}, {r['open_arcs']} arcs open)")
    if r["known_kind"] == "infeasible":
        click.echo(f"known       infeasible ({r['known_source']})")
    elif r["known_kind"] is not None:
        click.echo(f"known       {num(r['known_value'])} ({r['known_kind']}; {r['known_source']})")
    if r["difference"] is not None:
        click.echo(f"difference  {r['difference']:+,.2f}")
