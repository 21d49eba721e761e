"""``xborder history calibrate|demand|generate``: learn the network from the user's history.

Thin commands: parse → compute (:mod:`optimizer.history`) → render. DuckDB,
pyarrow and scipy come with the optional ``history`` extra; without it every
subcommand says so in one line and exits 2. Progress goes to stderr, results
to stdout (``--json`` for machine-readable output).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import click

from optimizer.cli.watch_cmd import watch
from optimizer.errors import InputError, Problem
from optimizer.fields import parse_when

_PATH = click.Path(exists=False, path_type=Path)
EXTRA_MODULES = ("duckdb", "pyarrow", "scipy")


def missing_extra() -> list[str]:
    """The modules of the ``history`` extra that are not installed."""
    return [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]


@click.group()
@click.pass_context
def history(ctx: click.Context) -> None:
    """Learn lanes, customs points and demand from your own shipment and order history.

    \b
    Examples:
      xborder history generate networks/global -o hist/ --shipments 20000 --seed 1
      xborder history calibrate hist/events.parquet --network networks/global -o calibrated/
      xborder history demand hist/orders.csv -o demands.csv --weeks 8
    """
    missing = missing_extra()
    if missing and not ctx.resilient_parsing:
        click.echo(
            f"error: xborder history needs the optional 'history' extra ({', '.join(missing)} "
            "not installed): pip install 'xborder[history]'",
            err=True,
        )
        ctx.exit(2)


def _progress(enabled: bool) -> Any:
    start = time.perf_counter()

    def say(message: str) -> None:
        if enabled:
            click.echo(f"[{time.perf_counter() - start:6.1f} s] {message}", err=True)

    return say


# --------------------------------------------------------------------------- calibrate
@history.command()
@click.argument("events", nargs=-1, required=True)
@click.option("--network", "network", type=_PATH, help="Network folder the events refer to.")
@click.option("-o", "--out", "out", type=_PATH, required=True, help="Folder to write.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["events", "scms"]),
    default="events",
    show_default=True,
    help="events: tracking events (docs/history.md); scms: the SCMS delivery-history CSV.",
)
@click.option("--as-of", default=None, help="End of the data (date or date-time) [latest event].")
@click.option(
    "--min-n",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Fewer observed samples keep the network's default.",
)
@click.option(
    "--prior-strength",
    type=click.FloatRange(0, min_open=True),
    default=20.0,
    show_default=True,
    help="Least weight of the group prior, in deliveries (docs/history.md, Pooling).",
)
@click.option("--assume-utc", is_flag=True, help="Read times without an offset as UTC.")
@click.option(
    "--holdout-after",
    default=None,
    help="Fit on the events up to this date; score the later deliveries against the P90.",
)
@click.option("--no-plot", is_flag=True, help="Do not draw calibration.png.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def calibrate(
    events: tuple[str, ...],
    network: Path | None,
    out: Path,
    fmt: str,
    as_of: str | None,
    min_n: int,
    prior_strength: float,
    assume_utc: bool,
    holdout_after: str | None,
    no_plot: bool,
    as_json: bool,
) -> None:
    """Calibrate a network from tracking events (CSV/Parquet files, folders or globs).

    Writes OUT as a complete network folder (lanes.csv transit times, nodes.csv
    customs figures learned where history supports them; every other table
    copied), plus calibration.csv (provenance per lane and node) and
    calibration.png. Unusable rows are counted by reason in the summary.

    \b
    Examples:
      xborder history generate networks/global -o hist/ --shipments 20000 --seed 1
      xborder history calibrate hist/events.parquet --network networks/global -o calibrated/
      xborder history calibrate 'hist/*.parquet' --network networks/global -o cal/ --json
      xborder history calibrate hist/events.parquet --network networks/global -o cal/ \
          --holdout-after 2026-03-15
      xborder history calibrate tests/data/scms/scms_excerpt.csv --format scms -o scms_out/
    """
    say = _progress(True)
    if fmt == "scms":
        from optimizer.history import scms

        result = scms.analyse(events, say=say)
        scms.write(result, out)
        s = scms.summary(result, out)
        click.echo(json.dumps(s, indent=2) if as_json else scms.render(s))
        return
    if network is None:
        raise click.UsageError("--network is required for --format events")
    from optimizer.history.calibrate import CalibrateOptions, connect
    from optimizer.history.calibrate import calibrate as run_calibration
    from optimizer.history.output import write_folder
    from optimizer.history.report import render, summary

    options = CalibrateOptions(
        min_n=min_n,
        prior_strength=prior_strength,
        assume_utc=assume_utc,
        as_of=parse_when(as_of, "--as-of"),
        holdout_after=parse_when(holdout_after, "--holdout-after"),
        plot=not no_plot,
    )
    con = connect()
    say("reading events")
    cal = run_calibration(events, network, options, con=con, say=say)
    say("writing the calibrated network")
    write_folder(cal, network, out)
    if options.plot:
        from optimizer.history.plot import write_plot

        write_plot(cal, con, out / "calibration.png")
    s = summary(cal, out)
    click.echo(json.dumps(s, indent=2) if as_json else render(s))


# --------------------------------------------------------------------------- demand
@history.command()
@click.argument("orders", nargs=-1, required=True)
@click.option("-o", "--out", "out", type=_PATH, required=True, help="Demands CSV to write.")
@click.option(
    "--weeks",
    type=click.IntRange(1),
    default=None,
    help="Use the last N whole weeks before the latest order [all weeks].",
)
@click.option(
    "--sla-days",
    type=click.FloatRange(0, min_open=True),
    default=14.0,
    show_default=True,
    help="sla_days written on every demand (the orders do not say it).",
)
@click.option("--network", type=_PATH, default=None, help="Check ids and convert currencies.")
@click.option("--currency", default="USD", show_default=True, help="Currency of `value`.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def demand(
    orders: tuple[str, ...],
    out: Path,
    weeks: int | None,
    sla_days: float,
    network: Path | None,
    currency: str,
    as_json: bool,
) -> None:
    """Aggregate order lines into weekly demands per origin x market x category.

    Writes a demands CSV for a scenario's `demands_csv:` (orders per week, mean
    weight, dimensions and value) and, beside it, DEMANDS.stats.csv with the
    weekly coefficient of variation and the weeks used.

    \b
    Examples:
      xborder history generate networks/global -o hist/ --shipments 20000 --seed 1
      xborder history demand hist/orders.csv -o demands.csv
      xborder history demand 'hist/orders*.csv' -o demands.csv --weeks 8 --sla-days 10
    """
    from optimizer.history import demand as dm

    say = _progress(True)
    result = dm.aggregate(
        orders,
        weeks=weeks,
        sla_days=sla_days,
        network_path=network,
        currency=currency,
        say=say,
    )
    dm.write(result, out)
    s = dm.summary(result, out)
    click.echo(json.dumps(s, indent=2) if as_json else dm.render(s))


# --------------------------------------------------------------------------- generate
@history.command()
@click.argument("net", type=_PATH)
@click.option("-o", "--out", "out", type=_PATH, required=True, help="Folder to write.")
@click.option("--shipments", type=click.IntRange(1), required=True, help="Shipments to draw.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--start", default="2026-01-01", show_default=True, help="First booking date.")
@click.option(
    "--days",
    type=click.FloatRange(0, min_open=True),
    default=270.0,
    show_default=True,
    help="Booking window; the data is cut off at its end (shipments in transit are censored).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="Events file format.",
)
@click.option("--no-lane", is_flag=True, help="Leave the lane column out (readers infer it).")
@click.option("--clean", is_flag=True, help="Inject no mess (returns, duplicates, typos...).")
@click.option(
    "--drift-lane",
    multiple=True,
    help="LANE:DATE:FACTOR - transit x FACTOR for departures from DATE (repeatable).",
)
@click.option(
    "--drift-hold",
    multiple=True,
    help="NODE:CATEGORY:DATE:FACTOR - hold rate x FACTOR for CATEGORY from DATE (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def generate(
    net: Path,
    out: Path,
    shipments: int,
    seed: int,
    start: str,
    days: float,
    fmt: str,
    no_lane: bool,
    clean: bool,
    drift_lane: tuple[str, ...],
    drift_hold: tuple[str, ...],
    as_json: bool,
) -> None:
    """Draw a synthetic history with known truth (events, orders, truth_*.csv, truth.json).

    Same network, options and seed give the same files, byte for byte.

    \b
    Examples:
      xborder history generate networks/global -o hist/ --shipments 20000 --seed 1
      xborder history generate tests/data/tiny -o h/ --shipments 5000 --format csv
      xborder history generate networks/global -o h/ --shipments 100000 \\
          --drift-lane FCL-CNSHA-GBFXT-SUEZ:2026-05-01:1.3
    """
    from optimizer.history import generate as gen
    from optimizer.network.reader import read_network

    say = _progress(True)
    network = read_network(net)
    spec = gen.GenerateSpec(
        shipments=shipments,
        seed=seed,
        start=_date(start, "--start"),
        days=days,
        mess=0.0 if clean else 1.0,
        fmt=fmt,
        write_lane=not no_lane,
        lane_drifts=tuple(_lane_drift(x, network) for x in drift_lane),
        hold_drifts=tuple(_hold_drift(x, network) for x in drift_hold),
    )
    say(f"drawing {shipments:,} shipments")
    drawn = gen.generate(network, spec)
    say(f"writing {drawn.injected['events']:,} events")
    files = gen.write(drawn, spec, out)
    if as_json:
        click.echo(json.dumps(gen.summary(drawn, spec, files, out), indent=2))
        return
    click.echo(
        f"wrote {out}: {drawn.injected['events']:,} events of {shipments:,} shipments "
        f"({', '.join(f.name for f in files)})"
    )
    mess = {k: v for k, v in drawn.injected.items() if k != "events"}
    click.echo("injected: " + ", ".join(f"{k} {v:,}" for k, v in mess.items()))


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError([Problem(option, "bad date", value=text, expected="YYYY-MM-DD")]) from None


def _factor(text: str, option: str, spec: str) -> float:
    try:
        value = float(text.rstrip("x"))
    except ValueError:
        value = -1.0
    if value < 0:
        raise InputError(
            [Problem(option, "bad factor", value=spec, expected="a number >= 0, e.g. 1.3")]
        )
    return value


def _lane_drift(spec: str, network: Any) -> Any:
    from optimizer.history.generate import LaneDrift

    parts = spec.split(":")
    if len(parts) != 3:
        raise InputError(
            [Problem("--drift-lane", "bad drift", value=spec, expected="LANE:DATE:FACTOR")]
        )
    _known(parts[0], [lane.id for lane in network.lanes], "--drift-lane", "lane")
    factor = _factor(parts[2], "--drift-lane", spec)
    if factor <= 0:
        raise InputError([Problem("--drift-lane", "bad factor", value=spec, expected="> 0")])
    return LaneDrift(parts[0], _date(parts[1], "--drift-lane"), factor)


def _hold_drift(spec: str, network: Any) -> Any:
    from optimizer.history.generate import HoldDrift

    parts = spec.split(":")
    if len(parts) != 4:
        raise InputError(
            [Problem("--drift-hold", "bad drift", value=spec, expected="NODE:CATEGORY:DATE:FACTOR")]
        )
    _known(parts[0], [n.id for n in network.nodes], "--drift-hold", "node")
    _known(parts[1], [c.id for c in network.categories], "--drift-hold", "category")
    return HoldDrift(
        parts[0], parts[1], _date(parts[2], "--drift-hold"), _factor(parts[3], "--drift-hold", spec)
    )


def _known(value: str, known: list[str], option: str, what: str) -> None:
    import difflib

    if value in known:
        return
    hint = difflib.get_close_matches(value, known, n=1)
    expected = f"a {what} id of the network" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    raise InputError([Problem(option, f"unknown {what}", value=value, expected=expected)])


history.add_command(watch)  # ``xborder history watch`` (issue 13) lives in its own module
