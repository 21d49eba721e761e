"""Many quotes at once: a shipments CSV in, one row per shipment × option out (or a DataFrame).

Batches take the Pareto flags from the priced route table (``pareto="table"``,
the same front as the label search, without a second pass over the routes)
and, with more than one worker, quote through the execution layer
(:mod:`optimizer.execute`: spawned local processes or Dask): each worker gets
the network once and prepares its own quoter, shipments are grouped by (origin,
market) so each corridor's route table is built by one worker only, and rows
come back in input order, so the output does not depend on the workers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from optimizer.errors import raise_if_any
from optimizer.execute import ExecutorSpec, Shared, TaskRunner, WarmUp, run_tasks
from optimizer.fields import Field, header_problems
from optimizer.io.atomic import write_with
from optimizer.network.records import Network
from optimizer.network.tables import read_csv_rows
from optimizer.quote.engine import Filters, ParetoMethod, Quoter, QuoteResult
from optimizer.quote.report import COLUMNS, result_rows
from optimizer.quote.shipment import FIELDS, Shipment, parse_shipment

if TYPE_CHECKING:  # pandas is imported by quote_frame only: batch workers never load it
    import pandas as pd

#: Columns every shipments CSV has (a row gives ``category`` or ``hs_code``, or both).
REQUIRED = ("from", "to", "weight_kg", "dims_cm", "value", "currency")


def read_shipments(network: Network, path: str | Path) -> list[Shipment]:
    """Read a shipments CSV (columns: :data:`~optimizer.quote.shipment.FIELDS`).

    Every problem of every row is collected into one
    :class:`~optimizer.errors.InputError` (file, line, field, value).
    """
    path = Path(path)
    shipments: list[Shipment] = []
    rows, header, problems = read_csv_rows(path)
    if header:
        columns = (Field(c, "str", "a shipment field", required=c in REQUIRED) for c in FIELDS)
        problems += header_problems(str(path), header, columns, unknown_is_error=True)
    raise_if_any(problems)
    for line, row in rows:
        if not row.get("id"):
            row["id"] = str(line - 1)
        shipment, bad = parse_shipment(network, row, file=str(path), row=line)
        problems += bad
        if shipment is not None:
            shipments.append(shipment)
    raise_if_any(problems)
    return shipments


#: Below this many shipments a batch is quoted in-process (starting workers would not pay off).
PARALLEL_MIN_SHIPMENTS = 500
#: Shipments quoted per window: rows of a window are kept until it is written in input order.
WINDOW = 20_000


def quote_all(
    quoter: Quoter,
    shipments: Iterable[Shipment],
    *,
    filters: Filters = Filters(),  # noqa: B008 - frozen
    hide_dominated: bool = False,
    pareto: ParetoMethod = "table",
) -> Iterator[QuoteResult]:
    """Quote each shipment in turn (in-process); flags from the route table by default."""
    for shipment in shipments:
        yield quoter.quote(shipment, filters=filters, hide_dominated=hide_dominated, pareto=pareto)


def quote_rows(
    quoter: Quoter,
    shipments: Sequence[Shipment],
    *,
    filters: Filters = Filters(),  # noqa: B008 - frozen
    hide_dominated: bool = False,
    workers: int | ExecutorSpec = 1,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Rows of each shipment's quote (:func:`~optimizer.quote.report.result_rows`), in input order.

    ``workers`` > 1 (or an :class:`~optimizer.execute.ExecutorSpec`) quotes on
    that many processes or on Dask when the batch has at least
    :data:`PARALLEL_MIN_SHIPMENTS`; results are identical to quoting in-process.
    ``progress`` is called with the number of shipments just quoted.
    """
    return _quote_each(quoter, shipments, result_rows, filters, hide_dominated, workers, progress)


def quote_csv(
    quoter: Quoter,
    shipments: Sequence[Shipment],
    *,
    filters: Filters = Filters(),  # noqa: B008 - frozen
    hide_dominated: bool = False,
    workers: int | ExecutorSpec = 1,
    progress: Callable[[int], None] | None = None,
    runner: TaskRunner | None = None,
) -> Iterator[tuple[bool, int, str]]:
    """Per shipment, in input order: (any option?, rows, the rows as CSV text, no header).

    As :func:`quote_rows`, but the rows are formatted where they are quoted, so
    a parallel batch ships one string per shipment back instead of row dicts.
    ``runner``: workers already started (``workers`` is then its spec), so that
    they import and start while the caller reads its input.
    """
    return _quote_each(
        quoter, shipments, _csv_text, filters, hide_dominated, workers, progress, runner
    )


def _csv_text(result: QuoteResult) -> tuple[bool, int, str]:
    rows = result_rows(result)
    buffer = io.StringIO()  # as csv.DictWriter writes them, without its per-row key checks
    csv.writer(buffer).writerows([[row.get(c, "") for c in COLUMNS] for row in rows])
    return result.ok, len(rows), buffer.getvalue()


T = TypeVar("T")


def _quote_each(
    quoter: Quoter,
    shipments: Sequence[Shipment],
    render: Callable[[QuoteResult], T],
    filters: Filters,
    hide_dominated: bool,
    workers: int | ExecutorSpec,
    progress: Callable[[int], None] | None,
    runner: TaskRunner | None = None,
) -> Iterator[T]:
    """``render`` of each shipment's quote, in input order, in-process or on the workers."""
    spec = workers if isinstance(workers, ExecutorSpec) else ExecutorSpec(workers=workers)
    if runner is not None:
        spec = runner.spec
    many = len(shipments) >= PARALLEL_MIN_SHIPMENTS
    parallel = many and (spec.kind == "dask" or spec.worker_count > 1)
    if not parallel:
        for result in quote_all(quoter, shipments, filters=filters, hide_dominated=hide_dominated):
            if progress is not None:
                progress(1)
            yield render(result)
        return
    quoter.prepare(filters)  # lane tables built once here; a prepared quoter pickles (~0.3 MB)
    shared = Shared(_batch_state, (quoter, filters, hide_dominated, render))
    # one run over every window's chunks (one pool start); a window's rows are kept until
    # its last chunk is back, then written in input order
    chunks: list[list[tuple[int, Shipment]]] = []
    ends: list[int] = []  # index of each window's last chunk
    for start in range(0, len(shipments), WINDOW):
        window = shipments[start : start + WINDOW]
        chunks += [[(start + i, s) for i, s in c] for c in _chunks(window, spec.worker_count)]
        ends.append(len(chunks) - 1)
    rendered: dict[int, Any] = {}
    following = 0
    results = (
        run_tasks(_quote_chunk, chunks, executor=spec, shared=shared, warm=WarmUp((__name__,)))
        if runner is None
        else runner.run(_quote_chunk, chunks, shared=shared)
    )
    for task in results:
        if task.value is None:
            raise RuntimeError(f"quoting a chunk of the batch failed: {task.error}")
        rendered.update(task.value)
        if progress is not None:
            progress(len(task.value))
        if task.index in ends:
            last = min(following + WINDOW, len(shipments))
            for i in range(following, last):
                yield rendered.pop(i)
            following = last


#: What a batch worker holds: (a prepared quoter, filters, hide_dominated, render).
BatchState = tuple[Quoter, Filters, bool, Callable[[QuoteResult], Any]]


def _batch_state(payload: BatchState) -> BatchState:
    """In a worker, once per batch: the quoter arrives prepared (its lane tables built)."""
    return payload


def _chunks(window: Sequence[Shipment], workers: int) -> list[list[tuple[int, Shipment]]]:
    """Shipments grouped by corridor (origin, market), largest groups first, split evenly.

    One worker builds a corridor's route table; a group larger than a fair
    share of the window is split so that no worker is left waiting on it.
    """
    groups: dict[tuple[str, str], list[tuple[int, Shipment]]] = {}
    for i, shipment in enumerate(window):
        groups.setdefault((shipment.origin, shipment.market), []).append((i, shipment))
    most = max(64, len(window) // (8 * workers))
    chunks = [group[k : k + most] for group in groups.values() for k in range(0, len(group), most)]
    return sorted(chunks, key=len, reverse=True)


def _quote_chunk(state: BatchState, chunk: list[tuple[int, Shipment]]) -> list[tuple[int, Any]]:
    """In a worker: quote a chunk (flags from the route table) and render each result."""
    quoter, filters, hide, render = state
    return [
        (i, render(quoter.quote(s, filters=filters, hide_dominated=hide, pareto="table")))
        for i, s in chunk
    ]


def quote_frame(
    network: Network | Quoter,
    shipments: Iterable[Shipment],
    *,
    filters: Filters = Filters(),  # noqa: B008 - frozen
    hide_dominated: bool = False,
) -> pd.DataFrame:
    """Quote every shipment: one row per shipment × option (columns :data:`COLUMNS`).

    A shipment no option can carry gets rows with ``option`` 0 and the reason.
    """
    import pandas as pd

    quoter = network if isinstance(network, Quoter) else Quoter(network)
    rows: list[dict[str, Any]] = []
    for result in quote_all(quoter, shipments, filters=filters, hide_dominated=hide_dominated):
        rows += result_rows(result)
    return pd.DataFrame(rows, columns=list(COLUMNS))


#: ``quote --batch --json`` summary (docs/schemas/quote-batch.schema.json).
BATCH_FORMAT_VERSION = 1


def batch_summary(
    *, shipments: int, without_option: int, rows: int, output: str, seconds: float
) -> dict[str, Any]:
    """What ``quote --batch --json`` prints: counts, the CSV written, the time it took."""
    return {
        "format_version": BATCH_FORMAT_VERSION,
        "shipments": shipments,
        "without_option": without_option,
        "rows": rows,
        "output": output,
        "seconds": round(seconds, 3),
    }


def write_csv_text(path: str | Path, texts: Iterable[str]) -> None:
    """Write the header and then ``texts`` (rows already as CSV, see :func:`quote_csv`)."""

    def writer(handle: Any) -> None:
        csv.writer(handle).writerow(COLUMNS)
        for text in texts:
            handle.write(text)

    write_with(path, writer)


def write_rows(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write quote rows to ``path`` atomically; return how many were written."""
    count = 0

    def writer(handle: Any) -> None:
        nonlocal count
        out = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        out.writeheader()
        for row in rows:
            out.writerow(row)
            count += 1

    write_with(path, writer)
    return count
