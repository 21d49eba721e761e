"""``xborder history watch``: risk early warning on lanes and customs points.

Thin command: parse → :func:`optimizer.history.watch.watch` → render, write
alerts.csv and watch.png, optionally replan. Exit 4 when ``--fail-on`` is
given and an alert of that level is raised (the contract of ``simulate``'s
gates, for cron and CI); exit 2 for unreadable input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click

from optimizer.errors import InputError, Problem
from optimizer.fields import parse_when

_PATH = click.Path(exists=False, path_type=Path)


def parse_since(value: str | None) -> float | None:
    """A date (the start of that day, UTC) or an ISO date-time with an offset."""
    if value is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(
                [Problem("--since", "bad date", value=value, expected="YYYY-MM-DD")]
            ) from None
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
    return parse_when(value, "--since")


@click.command()
@click.argument("events", nargs=-1, required=True)
@click.option(
    "--baseline",
    type=_PATH,
    required=True,
    help="Calibrated network folder (history calibrate -o) the events are compared to.",
)
@click.option(
    "--since",
    default=None,
    help="Watch from this date [end of the baseline's data when the events go beyond it].",
)
@click.option("--as-of", default=None, help="End of the data (date or date-time) [latest event].")
@click.option(
    "--orders",
    multiple=True,
    help="Order lines (order_id = shipment_id) giving each clearance its category.",
)
@click.option("-o", "--out", "out", type=_PATH, default=None, help="Write alerts.csv, watch.png.")
@click.option("--assume-utc", is_flag=True, help="Read times without an offset as UTC.")
@click.option(
    "--min-n",
    type=click.IntRange(2),
    default=30,
    show_default=True,
    help="Series with fewer observations in the window are not watched.",
)
@click.option(
    "--min-baseline-n",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="Lanes and nodes calibrated on fewer samples are not watched.",
)
@click.option(
    "--alarms-per-year",
    type=click.FloatRange(0, 365, min_open=True),
    default=0.1,
    show_default=True,
    help="Design false alarms per series and year of each CUSUM (docs/watch.md).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["alert", "critical"]),
    default=None,
    help="Exit 4 when an alert (or a critical one) is raised.",
)
@click.option("--replan", "scenario", type=_PATH, default=None, help="Re-run SCENARIO drifted.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def watch(
    events: tuple[str, ...],
    baseline: Path,
    since: str | None,
    as_of: str | None,
    orders: tuple[str, ...],
    out: Path | None,
    assume_utc: bool,
    min_n: int,
    min_baseline_n: int,
    alarms_per_year: float,
    fail_on: str | None,
    scenario: Path | None,
    as_json: bool,
) -> None:
    """Watch lanes and customs points for drift against a calibrated baseline.

    Per lane: transit times against the baseline lognormal through a survival
    CUSUM (arrivals and shipments still in transit) and an EWMA chart. Per
    clearing node x category: the hold rate against that category's own
    baseline rate through a Bernoulli CUSUM, clearance times like transit.
    Prints the alerts (what moved, since when, on how much evidence, how
    severe: by the size of the shift, and with --replan by its effect on the
    plan).

    \b
    Examples:
      xborder history generate networks/global -o hist/ --shipments 20000 --seed 1 \\
          --drift-lane AIR-PVG-JFK:2026-06-01:1.3
      xborder history calibrate hist/events.parquet --network networks/global -o cal/ \\
          --as-of 2026-05-31
      xborder history watch 'hist/*.parquet' --baseline cal/ --orders hist/orders.csv -o watch/
      xborder history watch hist/events.parquet --baseline cal/ --json --fail-on alert
      xborder history watch hist/events.parquet --baseline cal/ \\
          --replan scenarios/us_deminimis_2026.yaml

    The history above has AIR-PVG-JFK 30 % slower for departures from 1 June;
    calibrated up to 31 May, watch flags it (critical, since 2026-06-01), and
    --fail-on alert exits 4.
    """
    from optimizer.history.drift import ChartSettings
    from optimizer.history.watch import WatchOptions
    from optimizer.history.watch import watch as run_watch
    from optimizer.history.watch_report import render, summary, write_alerts_csv, write_plot

    if not (baseline / "lanes.csv").exists() and not baseline.is_file():
        raise InputError(
            [
                Problem(
                    str(baseline),
                    "no network here",
                    expected="a network folder (xborder history calibrate ... -o FOLDER)",
                )
            ]
        )
    options = WatchOptions(
        since=parse_since(since),
        as_of=parse_when(as_of, "--as-of"),
        assume_utc=assume_utc,
        min_n=min_n,
        min_baseline_n=min_baseline_n,
        settings=ChartSettings(alarms_per_year=alarms_per_year),
    )
    say = _say(not as_json or sys.stderr.isatty())
    result = run_watch(events, baseline, options, orders=orders, say=say)
    compared = None
    if scenario is not None:
        from optimizer.history.replan import compare, plan_effects, regrade, replan

        say("replanning on the drifted network")
        rp = replan(scenario, baseline, result)
        compared = compare(rp)
        effects = plan_effects(rp, result.network)
        result = dataclasses.replace(result, alerts=regrade(result.alerts, effects))
    s = summary(result, out)
    if compared is not None:
        s["replan"] = compared
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_alerts_csv(s, out / "alerts.csv")
        write_plot(result, out / "watch.png")
        if compared is not None:
            from optimizer.io.atomic import write_text

            write_text(out / "replan.json", json.dumps(compared, indent=2) + "\n")
    if as_json:
        click.echo(json.dumps(s, indent=2))
    else:
        click.echo(render(s))
        if "replan" in s:
            from optimizer.history.replan import render as render_replan

            click.echo(render_replan(s["replan"]))
    if fail_on is not None:
        raised = [a for a in s["alerts"] if fail_on == "alert" or a["severity"] == "critical"]
        if raised:
            from optimizer.cli.exits import EXIT_GATE

            click.echo(f"watch: {len(raised)} alert(s) raised (--fail-on {fail_on})", err=True)
            sys.exit(EXIT_GATE)


def _say(enabled: bool) -> Callable[[str], None]:
    def say(message: str) -> None:
        if enabled:
            click.echo(f"[watch] {message}", err=True)

    return say
