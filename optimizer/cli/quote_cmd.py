"""``xborder quote``: every route option for a shipment (or a CSV of shipments), fully landed."""

from __future__ import annotations

import itertools
import json
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import click

from optimizer.cli.executor_opts import executor_options
from optimizer.cli.exits import EXIT_INFEASIBLE
from optimizer.errors import InputError, Problem
from optimizer.network.records import Network

if TYPE_CHECKING:
    from collections.abc import Iterator

    from optimizer.execute import TaskRunner
    from optimizer.quote.engine import Filters, QuoteResult


@click.command()
@click.option(
    "--network",
    "network_path",
    required=True,
    type=click.Path(),
    help="Network folder (CSV tables), e.g. networks/global.",
)
@click.option("--from", "origin", help="Origin node id (warehouse, port, airport).")
@click.option("--to", "market", help="Market node id.")
@click.option("--weight", "weight_kg", help="Weight per piece, kg.")
@click.option("--dims", "dims_cm", help="Dimensions per piece LxWxH, cm (e.g. 40x30x20).")
@click.option("--pieces", default="1", show_default=True, help="Number of equal pieces.")
@click.option("--value", help="Declared value of the whole shipment.")
@click.option("--currency", help="Currency of --value (ISO 4217, e.g. USD, EUR, CNY).")
@click.option("--category", help="Product category id or 2-digit HS chapter.")
@click.option(
    "--hs-code",
    "hs_code",
    help="HS code of the goods (2-10 digits, e.g. 6109.10): the duty is priced at it; "
    "its chapter gives the category when --category is not given.",
)
@click.option(
    "--incoterm",
    default="DDP",
    show_default=True,
    help="DDP: shipper pays duties and taxes; DAP: the receiver does.",
)
@click.option(
    "--ship-date",
    "ship_date",
    help="YYYY-MM-DD; selects the customs rules and exchange rates in force.",
)
@click.option(
    "--pattern",
    help="direct-package, bonded-warehouse, overseas-warehouse, b2b-direct (9710, a normal "
    "import) or domestic (default: all but b2b-direct that fit the pair).",
)
@click.option("--items", default="0", help="Items for per-item duties (default: one per piece).")
@click.option(
    "--mode",
    "modes",
    multiple=True,
    help="Allowed line-haul mode (repeatable); feeders truck/last_mile always allowed.",
)
@click.option(
    "--carrier", "carriers", multiple=True, help="Allowed line-haul carrier (repeatable)."
)
@click.option("--max-days", type=float, help="Only options with P90 lead time at most this.")
@click.option("--max-price", type=float, help="Only options with landed cost at most this (USD).")
@click.option(
    "--value-of-day",
    type=float,
    help="USD per day of P90 lead time for BEST_VALUE (default 1 % of value, ≥ 0.25).",
)
@click.option(
    "--hide-dominated",
    is_flag=True,
    help="Show only Pareto-optimal options (within each group: ship-now, from-stock).",
)
@click.option(
    "--lead",
    type=click.Choice(["ship-now", "from-stock"]),
    default="ship-now",
    show_default=True,
    help="Option group listed first (docs/quote.md).",
)
@click.option("--batch", type=click.Path(), help="Shipments CSV (one shipment per row).")
@click.option("-o", "--output", type=click.Path(), help="Quotes CSV to write (with --batch).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes (or LocalCluster workers) for --batch (default: every CPU; 1 = in-process). "
    "Same output either way.",
)
@executor_options("batch quotes", workers=False)
@click.option(
    "--currency-out",
    help="Show money in this currency (ISO 4217, from the network's fx.csv) at the rate in "
    "force on the ship date; the rate, its date and source are shown. Default: USD.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
def quote(network_path: str, **opts: Any) -> None:
    """Quote every route option for a shipment: price breakdown, P50/P90 days, CO2e, customs.

    \b
    Examples:
      xborder quote --network networks/global --from CN_SZX_ORIGIN --to M_US_EAST \\
          --weight 1.2 --dims 30x20x10 --value 45 --currency USD --category apparel \\
          --ship-date 2026-03-01
      xborder quote --network networks/global --from CN_SZX_ORIGIN --to M_US_EAST \\
          --weight 1.2 --dims 30x20x10 --value 45 --currency USD --category apparel \\
          --ship-date 2026-03-01 --currency-out EUR
      xborder quote --network networks/global --from CN_SZX_ORIGIN --to M_US_EAST \\
          --weight 0.3 --dims 15x8x3 --value 300 --currency USD --hs-code 8517.62 \\
          --ship-date 2026-03-01
      xborder quote --network networks/global --batch scenarios/shipments.csv -o quotes.csv
    """
    if opts["batch"]:
        with _early_workers(str(opts["batch"]), opts) as runner:
            from optimizer.network.reader import read_network

            network = read_network(network_path)
            _batch(network, str(opts["batch"]), opts, _filters(network, opts), runner)
        return
    from optimizer.network.reader import read_network

    network = read_network(network_path)
    result = _single(network, opts)
    if not result.options:
        sys.exit(EXIT_INFEASIBLE)


def _filters(network: Network, opts: dict[str, Any]) -> Filters:
    from optimizer.quote.request import parse_filters

    filters, problems = parse_filters(network, **_filter_opts(opts))
    if problems:
        raise InputError([_as_option(p) for p in problems])
    return filters


def _filter_opts(opts: dict[str, Any]) -> dict[str, Any]:
    """The filter options as :func:`~optimizer.quote.request.parse_filters` takes them."""
    return {
        "modes": tuple(str(m) for m in opts["modes"]),
        "carriers": tuple(str(c) for c in opts["carriers"]),
        "max_days": opts["max_days"],
        "max_price": opts["max_price"],
        "value_of_day": opts["value_of_day"],
    }


def _single(network: Network, opts: dict[str, Any]) -> QuoteResult:
    from optimizer.quote.report import quote_json, render_table
    from optimizer.quote.request import DatedQuoters, parse_request, quote_dated

    raw = {
        "from": opts["origin"],
        "to": opts["market"],
        "weight_kg": opts["weight_kg"],
        "dims_cm": opts["dims_cm"],
        "pieces": opts["pieces"],
        "value": opts["value"],
        "currency": opts["currency"],
        "category": opts["category"],
        "hs_code": opts["hs_code"],
        "incoterm": opts["incoterm"],
        "ship_date": opts["ship_date"],
        "pattern": opts["pattern"],
        "items": opts["items"],
    }
    request, problems = parse_request(
        network,
        {k: None if v is None else str(v) for k, v in raw.items()},
        hide_dominated=bool(opts["hide_dominated"]),
        lead=str(opts["lead"]),
        currency_out=opts["currency_out"],
        **_filter_opts(opts),
    )
    if request is None:
        raise InputError([_as_option(p) for p in problems])
    result, fx = quote_dated(DatedQuoters(network), request)
    if opts["as_json"]:
        click.echo(json.dumps(quote_json(result, fx), indent=2, ensure_ascii=False))
    else:
        click.echo(render_table(result, fx if opts["currency_out"] else None))
    return result


_OPTION_NAMES = {
    "from": "--from",
    "to": "--to",
    "weight_kg": "--weight",
    "dims_cm": "--dims",
    "ship_date": "--ship-date",
}


def _as_option(problem: Problem) -> Problem:
    """Name CLI fields as the options the user typed."""
    from dataclasses import replace

    name = problem.field or ""
    return replace(problem, field=_OPTION_NAMES.get(name, f"--{name.replace('_', '-')}"))


#: Shipment rows from which a batch starts its local workers before reading anything: the
#: size from which ``quote.batch`` quotes in parallel (its ``PARALLEL_MIN_SHIPMENTS``).
EARLY_WORKERS_MIN_ROWS = 500


def _early_workers(path: str, opts: dict[str, Any]) -> AbstractContextManager[TaskRunner | None]:
    """Local batch workers started now, so that they import the quote engine while this
    process reads the network and the shipments (~1 s each on a 10,000-row batch);
    ``None`` (nothing started) for Dask, one worker or a small or unreadable file."""
    from optimizer.cli.executor_opts import executor_spec
    from optimizer.execute import TaskRunner, WarmUp

    spec = executor_spec(opts["executor"], opts["scheduler"], opts.get("workers"))
    if spec.kind != "local" or spec.worker_count < 2:
        return nullcontext(None)
    try:
        with open(path, "rb") as handle:
            rows = sum(1 for _ in handle) - 1
    except OSError:  # read_shipments reports it
        return nullcontext(None)
    if rows < EARLY_WORKERS_MIN_ROWS:
        return nullcontext(None)
    # a batch worker imports the quote engine (what its tasks unpickle) before its first task
    return TaskRunner(spec, warm=WarmUp(("optimizer.quote.batch",)))


def _batch(
    network: Network,
    path: str,
    opts: dict[str, Any],
    filters: Filters,
    runner: TaskRunner | None = None,
) -> None:
    from tqdm import tqdm

    from optimizer.cli.executor_opts import executor_spec
    from optimizer.network.fx import epoch
    from optimizer.quote.batch import batch_summary, quote_csv, read_shipments, write_csv_text
    from optimizer.quote.request import DatedQuoters

    if opts["currency_out"]:
        raise InputError(
            [
                Problem(
                    "quote",
                    "not with --batch: the quotes CSV keeps its *_usd columns",
                    field="--currency-out",
                    value=str(opts["currency_out"]),
                    expected="--currency-out on a single quote (or --json of one)",
                )
            ]
        )
    if not opts["output"]:
        raise InputError(
            [
                Problem(
                    "quote",
                    "--batch needs -o/--output",
                    field="output",
                    expected="a CSV path for the quotes",
                )
            ]
        )
    from optimizer.io.outdir import check_out_file

    check_out_file(str(opts["output"]), option="--output")
    started = time.perf_counter()
    shipments = read_shipments(network, path)
    quoters = DatedQuoters(network)
    # consecutive shipments under the same exchange rates are quoted together (one quoter
    # pinned to their rates, fx.csv's dated rows); output stays in input order
    runs = [
        list(run)
        for _, run in itertools.groupby(
            shipments, key=lambda s: epoch(network.fx_history, s.ship_date)
        )
    ]
    stats = {"shipments": len(shipments), "without_option": 0}
    workers = executor_spec(opts["executor"], opts["scheduler"], opts.get("workers"))
    written = 0

    def texts() -> Iterator[str]:
        nonlocal written
        with tqdm(
            total=len(shipments), desc="quoting", unit="shipment", file=sys.stderr, disable=None
        ) as bar:
            for run in runs:
                for ok, count, text in quote_csv(
                    quoters.on(run[0].ship_date),
                    run,
                    filters=filters,
                    hide_dominated=bool(opts["hide_dominated"]),
                    workers=workers,
                    progress=bar.update,
                    runner=runner,
                ):
                    stats["without_option"] += not ok
                    written += count
                    yield text

    write_csv_text(str(opts["output"]), texts())
    summary = batch_summary(
        shipments=stats["shipments"],
        without_option=stats["without_option"],
        rows=written,
        output=str(opts["output"]),
        seconds=time.perf_counter() - started,
    )
    if opts["as_json"]:
        click.echo(json.dumps(summary))
    else:
        click.echo(
            f"{summary['shipments']} shipments, {written} option rows → {opts['output']} "
            f"({summary['without_option']} without option) in {summary['seconds']} s"
        )
