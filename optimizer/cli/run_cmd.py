"""``xborder run``: optimize a scenario and report the plan."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from optimizer.cli.exits import EXIT_INFEASIBLE
from optimizer.network.records import Network
from optimizer.scenario.records import Scenario


def _progress(enabled: bool, text: str) -> None:
    if enabled:
        click.echo(text, err=True)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write plan.json, allocations.csv, lanes.csv, routes.geojson, map.png here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print plan.json to stdout.")
@click.option("--pareto", is_flag=True, help="Cost vs P90 trade-off front (epsilon-constraint).")
@click.option(
    "--points", default=6, show_default=True, type=click.IntRange(2, 50), help="Pareto grid points."
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Override the scenario's solver time limit (s).",
)
@click.option("--seed", type=click.IntRange(min=0), help="Override the scenario's seed.")
@click.option("--no-map", is_flag=True, help="Skip map.png (faster).")
@click.option(
    "--currency-out",
    help="Report money in this currency (ISO 4217, from the network's fx.csv) at the rate in "
    "force on the plan date (default: the scenario's currency).",
)
def run(
    scenario: Path,
    out_dir: Path | None,
    as_json: bool,
    pareto: bool,
    points: int,
    time_limit: float | None,
    seed: int | None,
    no_map: bool,
    currency_out: str | None,
) -> None:
    """Optimize SCENARIO: pattern shares, routes and modes per demand.

    \b
    Examples:
      xborder run scenarios/us_deminimis_2026.yaml
      xborder run scenarios/eu_3eur_duty_2026h2.yaml -o out/ --json
      xborder run scenarios/us_deminimis_2026.yaml --pareto -o out/
      xborder run scenarios/us_deminimis_2026.yaml --currency-out EUR

    Exit codes: 0 plan found, 2 bad input, 3 some demand cannot be met
    (the reasons are printed per demand; the plan files are still written).
    """
    from optimizer.plan.report import explain_infeasible, render
    from optimizer.plan.writers import plan_dict, write_plan
    from optimizer.scenario.load import load
    from optimizer.solve.optimize import optimize

    talk = not as_json
    if out_dir is not None:
        from optimizer.io.outdir import check_out_dir

        check_out_dir(out_dir)  # before the solve, not after it
    _progress(talk, f"reading {scenario} ...")
    sc, network, warnings = load(scenario)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if currency_out is not None:
        sc = _report_in(sc, network, currency_out)
    solver = sc.solver
    if time_limit is not None:
        solver = dataclasses.replace(solver, time_limit_s=time_limit)
    if seed is not None:
        solver = dataclasses.replace(solver, seed=seed)
    sc = dataclasses.replace(sc, solver=solver)
    if pareto:
        _run_pareto(sc, network, points, out_dir, as_json, map_png=not no_map)
        return
    _progress(
        talk,
        f"optimizing {len(sc.demands)} demands on {network.name} ({len(network.lanes)} lanes) ...",
    )
    plan = optimize(sc, network)
    if out_dir is not None:
        paths = write_plan(plan, network, out_dir, map_png=not no_map)
        _progress(talk, "wrote " + ", ".join(str(p) for p in paths))
    if as_json:
        click.echo(json.dumps(plan_dict(plan), indent=2))
    else:
        click.echo(render(plan))
    if plan.totals is None:
        click.echo(f"error: no plan: solver status {plan.status}", err=True)
        sys.exit(EXIT_INFEASIBLE)
    if plan.infeasible_demands:
        click.echo(explain_infeasible(plan), err=True)
        sys.exit(EXIT_INFEASIBLE)


def _report_in(sc: Scenario, network: Network, currency: str) -> Scenario:
    """The scenario reporting in ``currency`` (``--currency-out``); exit 2 if the network
    has no rate for it. Only the reporting currency changes: the scenario's money was
    already converted to USD at its own currency's rate."""
    from optimizer.errors import raise_if_any
    from optimizer.network.fx import unknown_currency

    code = currency.strip().upper()
    bad = unknown_currency(code, dict(network.fx_per_usd), file="run", field="--currency-out")
    raise_if_any([bad] if bad is not None else [])
    return dataclasses.replace(sc, currency=code)  # optimize() reports in sc.currency


def _drop_stale_points(out_dir: Path, kept: int) -> None:
    """Remove point folders an earlier, longer front left behind (pareto/point_K, K > kept)."""
    import re
    import shutil

    for folder in (out_dir / "pareto").glob("point_*"):
        m = re.fullmatch(r"point_(\d+)", folder.name)
        if m and int(m.group(1)) > kept and folder.is_dir():
            shutil.rmtree(folder)


def _run_pareto(
    sc: Scenario,
    network: Network,
    points: int,
    out_dir: Path | None,
    as_json: bool,
    *,
    map_png: bool,
) -> None:
    """Front, then (with ``-o``) pareto.json (the ``--json`` document), pareto.png and each
    point's plan files in ``pareto/point_K/``."""
    from optimizer.io.atomic import write_text
    from optimizer.plan.writers import write_plan
    from optimizer.solve.pareto import (
        front_summary,
        pareto_dict,
        pareto_front,
        pareto_png,
        pareto_table,
        point_dir,
    )

    _progress(not as_json, f"Pareto front on a grid of up to {points} points ...")
    front = pareto_front(sc, network, points=points)
    per_usd = network.from_usd(1.0, sc.currency)
    document = json.dumps(pareto_dict(front, currency=sc.currency, per_usd=per_usd), indent=2)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_text(out_dir / "pareto.json", document + "\n")
        pareto_png(
            front,
            str(out_dir / "pareto.png"),
            per_usd=per_usd,
            currency=sc.currency,
            title=f"{sc.name}: cost vs P90 lead time",
        )
        for k, point in enumerate(front, 1):
            write_plan(point.plan, network, out_dir / point_dir(k), map_png=map_png)
        _drop_stale_points(out_dir, len(front))
        _progress(not as_json, f"wrote {out_dir / 'pareto.json'} and {len(front)} plan folder(s)")
    if as_json:
        click.echo(document)
    else:
        click.echo(front_summary(front, points))
        click.echo(pareto_table(front, per_usd, sc.currency))
        click.echo("\n" + network.fx_use(sc.currency).footer())
