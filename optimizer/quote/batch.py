"""Many quotes at once: a shipments CSV in, one row per shipment × option out (or a DataFrame)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import Problem, raise_if_any
from optimizer.io.atomic import write_with
from optimizer.network.records import Network
from optimizer.quote.engine import Filters, Quoter, QuoteResult
from optimizer.quote.report import COLUMNS, result_rows
from optimizer.quote.shipment import FIELDS, Shipment, parse_shipment

REQUIRED = ("from", "to", "weight_kg", "dims_cm", "value", "currency", "category")


def read_shipments(network: Network, path: str | Path) -> list[Shipment]:
    """Read a shipments CSV (columns: :data:`~optimizer.quote.shipment.FIELDS`).

    Every problem of every row is collected into one
    :class:`~optimizer.errors.InputError` (file, line, field, value).
    """
    path = Path(path)
    problems: list[Problem] = []
    shipments: list[Shipment] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise_if_any([Problem(str(path), f"cannot read: {exc.strerror}")])
        raise
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        unknown = [c for c in header if c not in FIELDS]
        if missing:
            problems.append(Problem(str(path), f"missing columns: {', '.join(missing)}", row=1,
                                    expected=f"columns {', '.join(FIELDS)}"))  # fmt: skip
        for column in unknown:
            problems.append(Problem(str(path), "unknown column", row=1, value=column,
                                    expected=f"one of {', '.join(FIELDS)}"))  # fmt: skip
        raise_if_any(problems)
        for line, row in enumerate(reader, start=2):
            if not row.get("id"):
                row["id"] = str(line - 1)
            shipment, bad = parse_shipment(network, row, file=str(path), row=line)
            problems += bad
            if shipment is not None:
                shipments.append(shipment)
    raise_if_any(problems)
    return shipments


def quote_all(
    quoter: Quoter,
    shipments: Iterable[Shipment],
    *,
    filters: Filters = Filters(),  # noqa: B008 - frozen
    hide_dominated: bool = False,
) -> Iterator[QuoteResult]:
    for shipment in shipments:
        yield quoter.quote(shipment, filters=filters, hide_dominated=hide_dominated)


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
    quoter = network if isinstance(network, Quoter) else Quoter(network)
    rows: list[dict[str, Any]] = []
    for result in quote_all(quoter, shipments, filters=filters, hide_dominated=hide_dominated):
        rows += result_rows(result)
    return pd.DataFrame(rows, columns=list(COLUMNS))


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
