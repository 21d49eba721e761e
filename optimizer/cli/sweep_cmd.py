"""``xborder sweep``: a grid or seeded sample of scenario variants, one plan per point."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from optimizer.cli.executor_opts import executor_options, executor_spec


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--vary",
    "vary",
    multiple=True,
    required=True,
    metavar="PATH=V1,V2,...",
    help="A scenario field and its values (repeatable; the points are their grid). "
    "PATH=LO..HI samples a number (with --sample). Paths: docs/sweep.md.",
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    help="Draw this many points (seeded) instead of the full grid.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Sample seed."
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: points.parquet, summary.csv, plots/, points/KEY/ (plan per point).",
)
@executor_options("points")
@click.option(
    "--map",
    "map_png",
    is_flag=True,
    help="Also write each point's routes.geojson and map.png (slower).",
)
@click.option("--fresh", is_flag=True, help="Solve every point again (default: skip points done).")
@click.option("--json", "as_json", is_flag=True, help="Print the sweep summary as JSON on stdout.")
def sweep(
    scenario: Path,
    vary: tuple[str, ...],
    sample: int | None,
    seed: int,
    out_dir: Path,
    executor: str | None,
    scheduler: str | None,
    workers: int | None,
    map_png: bool,
    fresh: bool,
    as_json: bool,
) -> None:
    """Solve SCENARIO once per point of a grid (or seeded sample) of field values.

    Each point's plan goes to DIR/points/KEY/plan/ (as `xborder run -o`), one row
    per point to DIR/points.parquet (parameters, status, reason, cost per order and
    its split, P50/P90, on-time estimate, pattern shares, CO2e); DIR/plots/ has each
    output against each parameter and a pattern-share heat map. Re-running the same
    command skips the points already done; an infeasible or failed point is a row.

    \b
    Examples:
      xborder sweep scenarios/us_deminimis_2026.yaml -o out/sweep \\
          --vary 'what_if.cost_multipliers[mode=sea_fcl].factor=0.7,1,1.3' \\
          --vary plan_date=2026-03-01,2026-09-01
      xborder sweep scenarios/eu_3eur_duty_2026h1.yaml -o out/eu --sample 50 --seed 1 \\
          --vary 'objective.value_of_day_per_order=0..0.5' \\
          --vary 'what_if.closed_corridors=[],[suez]' --executor dask --workers 2

    Exit codes: 0 every point has a result row (whatever its status), 2 bad input.
    """
    from optimizer.execute import TaskRunner
    from optimizer.sweep.warm import SWEEP_WORKER

    started = time.perf_counter()
    spec_exec = executor_spec(executor, scheduler, workers)
    # workers start first (and import the solver) while this process imports, reads the
    # scenario and writes the points
    with TaskRunner(spec_exec, warm=SWEEP_WORKER) as runner:
        from tqdm import tqdm

        from optimizer.sweep.report import points_frame, summary_table, write_plots, write_points
        from optimizer.sweep.run import build_spec, read_base, run_sweep

        base = read_base(scenario)
        spec = build_spec(base, vary, sample, seed)
        bar = tqdm(
            unit="point", desc="sweep", file=sys.stderr, disable=None if not as_json else True
        )
        counts = {"points": 0, "solved": 0}

        def on_total(points: int, to_run: int) -> None:
            counts.update(points=points, solved=to_run)
            bar.reset(total=to_run)
            if points != to_run and not as_json:
                click.echo(
                    f"{points - to_run} of {points} points already done in {out_dir}", err=True
                )

        try:
            records, _ = run_sweep(
                base,
                spec,
                out_dir,
                executor=runner,
                map_png=map_png,
                fresh=fresh,
                on_total=on_total,
                progress=bar.update,
            )
        finally:
            bar.close()
        currency = str(base.doc.get("currency") or "USD")
        frame = points_frame(spec, records, currency)
        files = write_points(frame, out_dir) + write_plots(spec, frame, out_dir, currency, runner)
    statuses = {str(k): int(v) for k, v in frame["status"].value_counts().sort_index().items()}
    if as_json:
        summary = {
            "format_version": 1,
            "points": counts["points"],
            "solved": counts["solved"],
            "skipped": counts["points"] - counts["solved"],
            "statuses": statuses,
            "executor": spec_exec.kind,
            "seconds": round(time.perf_counter() - started, 3),
            "files": [str(p) for p in files],
        }
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(summary_table(spec, frame))
    click.echo(
        f"\n{counts['solved']} points solved, {counts['points'] - counts['solved']} skipped, "
        f"in {time.perf_counter() - started:.1f} s; wrote {out_dir / 'points.parquet'}, "
        f"{out_dir / 'summary.csv'}, {out_dir / 'plots'}/"
    )
