"""``xborder route``: route concrete orders over scheduled services (time-expanded MIP).

Thin by design: read (our YAML format or the raw hzjken CSVs) -> route -> render.
Exit 0 on a plan, 2 on bad input (raised as InputError, rendered by the main
group), 3 when some order cannot arrive by its due date (each explained) or no
solution was found within the time limit.
"""

from __future__ import annotations

import json
import sys

import click

from optimizer.cli.exits import EXIT_INFEASIBLE, EXIT_OK, fail_input
from optimizer.solve.settings import MIP_BACKENDS, Backend

EXAMPLES = """
\b
Examples:
  xborder route scenarios/orders/hzjken/scenario.yaml
  xborder route scenarios/orders/global_month.yaml -o out/month
  xborder route scenarios/orders/hzjken/scenario.yaml --json -o out/hzjken
  xborder route --hzjken benchmarks/multimodal/hzjken_mmt
"""


@click.command(epilog=EXAMPLES)
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--hzjken",
    "hzjken_dir",
    type=click.Path(file_okay=False),
    help="Read the published hzjken case CSVs from this folder instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write plan.json, orders.csv, legs.csv and gantt.png here.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.001),
    default=None,
    help="Solver time limit in seconds (default: none, solve to optimality).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option(
    "--backend",
    type=click.Choice([b.value for b in MIP_BACKENDS], case_sensitive=False),
    default=Backend.SCIP.value,
    show_default=True,
    help="MIP solver behind OR-Tools.",
)
def route(
    scenario: str | None,
    hzjken_dir: str | None,
    as_json: bool,
    out_dir: str | None,
    time_limit: float | None,
    seed: int,
    backend: str,
) -> None:
    """Assign every order to dated departures at least cost.

    Costs are containers and fixed charges per used departure, warehouse dwell
    per m3 and day, transit duties and import tax; every order arrives by its
    due date, unsplittable orders on one path. Orders that cannot are
    explained (earliest possible arrival, the leg whose schedule blocks) and
    the command exits 3.
    """
    from optimizer.orders.planner import route as solve_route
    from optimizer.orders.writers import plan_dict, render_table, write_plan

    if (scenario is None) == (hzjken_dir is None):
        fail_input("give either SCENARIO or --hzjken DIR (exactly one)")
    if out_dir is not None:
        from optimizer.io.outdir import check_out_dir

        check_out_dir(out_dir)  # before the solve, not after it
    if hzjken_dir is not None:
        from optimizer.orders.hzjken import read_hzjken

        data = read_hzjken(hzjken_dir)
    else:
        from optimizer.orders.reader import read_orders_scenario

        data = read_orders_scenario(str(scenario))
    click.echo(
        f"routing {len(data.orders)} orders over {len(data.services)} scheduled "
        f"services with {Backend.parse(backend)}...",
        err=True,
    )
    plan = solve_route(data, time_limit_s=time_limit, seed=seed, backend=Backend.parse(backend))
    if out_dir is not None:
        for path in write_plan(plan, out_dir):
            click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(json.dumps(plan_dict(plan), indent=2))
    else:
        click.echo(render_table(plan))
    if plan.infeasible:
        click.echo(f"{len(plan.infeasible)} order(s) cannot arrive by their due date", err=True)
        sys.exit(EXIT_INFEASIBLE)
    if not plan.status.has_solution:
        click.echo(f"no plan: solver status {plan.status}", err=True)
        sys.exit(EXIT_INFEASIBLE)
    sys.exit(EXIT_OK)
