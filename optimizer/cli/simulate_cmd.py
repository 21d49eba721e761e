"""``xborder simulate``: Monte Carlo stress test of a plan, with CI gates (exit 4)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from optimizer.cli.executor_opts import executor_options, executor_spec
from optimizer.cli.exits import EXIT_GATE, EXIT_INPUT

if TYPE_CHECKING:
    from optimizer.network.records import Network
    from optimizer.plan.records import Plan
    from optimizer.scenario.records import Scenario


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="plan.json from `xborder run -o DIR` (default: optimize the scenario now).",
)
@click.option(
    "--trials",
    type=click.IntRange(min=1),
    help="Trials (replications of the horizon); overrides simulation.trials.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Random seed; overrides simulation.seed. Same seed, same numbers.",
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    help="Horizon in weeks; overrides simulation.horizon_weeks.",
)
@executor_options("chunks of trials", default="1 without --executor, else every usable CPU")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write simulation.json and lead_times.png here.",
)
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 4 if METRIC (on_time, on_time_p05, stock_service; METRIC@DEMAND for "
    "one demand) is below VALUE. Shares are in [0, 1]: 0.95 or 95%. Repeatable.",
)
@click.option(
    "--fail-over",
    "fail_over",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 4 if METRIC (cost_mean, cost_p95, lead_p90, lead_p99, stockout_rate, "
    "co2e_per_order, ...) is above VALUE. Shares are in [0, 1]: 0.05 or 5%. Repeatable.",
)
def simulate(
    scenario: Path,
    plan_file: Path | None,
    trials: int | None,
    seed: int | None,
    weeks: int | None,
    as_json: bool,
    out_dir: Path | None,
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
    executor: str | None,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Simulate a plan of SCENARIO order by order: on-time rate, lead-time and cost risk.

    Transit times, departures, customs inspections, demand noise, stock-outs
    and the disruptions of the scenario's `simulation:` section are drawn
    trial by trial (docs/simulate.md).

    \b
    Examples:
      xborder simulate scenarios/us_deminimis_2026.yaml --trials 500 --seed 7
      xborder run scenarios/us_deminimis_2026.yaml -o out/
      xborder simulate scenarios/us_deminimis_2026.yaml --plan out/plan.json \\
          --fail-under on_time=0.95 --fail-over cost_p95=12.5 -o out/sim/

    Exit codes: 0 every gate holds, 2 bad input, 3 no plan to simulate,
    4 a gate failed (one line on stderr says which).
    """
    from optimizer.simulate import simulate as run_simulation
    from optimizer.simulate.config import read_config
    from optimizer.simulate.gates import evaluate, parse_gates
    from optimizer.simulate.results import histogram_png, table, to_dict

    gates = parse_gates(fail_under, fail_over)
    if out_dir is not None:
        from optimizer.io.outdir import check_out_dir

        check_out_dir(out_dir)  # before the simulation, not after it
    talk = not as_json
    spec = executor_spec(executor, scheduler, workers or (None if executor or scheduler else 1))
    from optimizer.scenario.load import load

    sc, network, warnings = load(scenario)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    config = read_config(sc, network)
    config = dataclasses.replace(
        config,
        trials=config.trials if trials is None else trials,
        seed=config.seed if seed is None else seed,
        horizon_weeks=config.horizon_weeks if weeks is None else weeks,
    )
    plan = _plan(sc, network, plan_file, talk)
    known = {d.id for d in plan.demands}
    for g in gates:
        if g.demand is not None and g.demand not in known:
            click.echo(
                f"error: gate {g.label}: no demand {g.demand!r} in the plan "
                f"(demands: {', '.join(sorted(known))})",
                err=True,
            )
            sys.exit(EXIT_INPUT)
    bar = _Bar(config.trials, enabled=talk and sys.stderr.isatty())
    try:
        result = run_simulation(plan, sc, network, config, executor=spec, progress=bar)
    finally:
        bar.close()
    verdicts = evaluate(gates, result)
    document = json.dumps({**to_dict(result), "gates": [v.to_dict() for v in verdicts]}, indent=2)
    document += "\n"
    if out_dir is not None:
        from optimizer.io.atomic import write_text

        write_text(out_dir / "simulation.json", document)
        histogram_png(result, str(out_dir / "lead_times.png"))
        if talk:
            click.echo(
                f"wrote {out_dir / 'simulation.json'}, {out_dir / 'lead_times.png'}", err=True
            )
    click.echo(document if as_json else table(result), nl=not as_json)
    failures = [v.reason for v in verdicts if v.verdict != "pass"]
    if failures:
        click.echo("gate failed: " + "; ".join(failures), err=True)
        sys.exit(EXIT_GATE)


def _plan(sc: Scenario, network: Network, plan_file: Path | None, talk: bool) -> Plan:
    from optimizer.cli.exits import EXIT_INFEASIBLE

    if plan_file is not None:
        from optimizer.plan.reader import read_plan

        return read_plan(plan_file, sc, network)
    from optimizer.solve.optimize import optimize

    if talk:
        click.echo(
            f"optimizing {len(sc.demands)} demands (pass --plan to reuse a plan) ...", err=True
        )
    plan = optimize(sc, network)
    if plan.totals is None:
        click.echo(f"error: no plan to simulate: solver status {plan.status}", err=True)
        sys.exit(EXIT_INFEASIBLE)
    return plan


class _Bar:
    """A tqdm bar over trials on stderr, or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, unit="trial", file=sys.stderr, leave=False, desc="simulating"
            )

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
