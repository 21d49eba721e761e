"""``/v1/quotes``: one shipment, or a batch streamed back as NDJSON.

A request's fields are named as ``xborder quote``'s options (``from``, ``to``,
``weight``, ``dims``, ...); they go through the CLI's own checks
(:func:`~optimizer.quote.request.parse_request`) and the answer is the CLI's
``--json`` document (:func:`~optimizer.quote.report.quote_json`), so the API
and the command line cannot disagree.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from optimizer.errors import Problem
from optimizer.network.records import Network
from optimizer.quote.report import quote_json
from optimizer.quote.request import DatedQuoters, QuoteRequest, parse_request, quote_dated

FILE = "request body"
#: parse_shipment's field names -> the API's (as the CLI options are named).
_API_NAMES = {"weight_kg": "weight", "dims_cm": "dims"}


#: Bounds documented in the schema but checked by the CLI's own code (one wording, and every
#: problem reported at once rather than the type checks first).
_POSITIVE: dict[str, Any] = {"exclusiveMinimum": 0}
_NOT_NEGATIVE: dict[str, Any] = {"minimum": 0}


class ShipmentIn(BaseModel):
    """One shipment to quote, with the filters of ``xborder quote``.

    FastAPI checks the types; the values (bounds, ids, codes) go through the
    CLI's checks, so every problem of a well-typed request comes back at once.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=False)

    id: StrictStr = Field("", max_length=200, description="Your reference, echoed in the answer.")
    origin: StrictStr = Field(alias="from", max_length=200, description="Origin node id.")
    to: StrictStr = Field(max_length=200, description="Market node id.")
    weight: StrictFloat = Field(json_schema_extra=_POSITIVE, description="Weight per piece, kg.")
    dims: StrictStr = Field(
        max_length=100, description="Dimensions per piece LxWxH, cm, e.g. 40x30x20."
    )
    pieces: StrictInt = Field(
        1, json_schema_extra={"minimum": 1}, description="Number of equal pieces."
    )
    value: StrictFloat = Field(
        json_schema_extra=_NOT_NEGATIVE, description="Declared value of the whole shipment."
    )
    currency: StrictStr = Field(max_length=10, description="ISO 4217 code of the value.")
    category: StrictStr | None = Field(
        None, max_length=100, description="Product category id or 2-digit HS chapter."
    )
    hs_code: StrictStr | None = Field(
        None,
        max_length=20,
        description="HS code, 2-10 digits, e.g. 6109.10: the duty is priced at it; its chapter "
        "gives the category when none is given (both given: the same chapter).",
    )
    incoterm: Literal["DDP", "DAP"] = Field("DDP", description="Who pays duties and taxes.")
    ship_date: StrictStr | None = Field(
        None,
        json_schema_extra={"format": "date"},
        description="YYYY-MM-DD: the customs rules (today).",
    )
    pattern: (
        Literal[
            "direct-package", "bonded-warehouse", "overseas-warehouse", "b2b-direct", "domestic"
        ]
        | None
    ) = None
    items: StrictInt = Field(
        0, json_schema_extra=_NOT_NEGATIVE, description="Items for per-item duties."
    )
    mode: list[StrictStr] = Field(default_factory=list, max_length=20, description="Allowed modes.")
    carrier: list[StrictStr] = Field(default_factory=list, max_length=50, description="Carriers.")
    max_days: StrictFloat | None = Field(
        None, json_schema_extra=_NOT_NEGATIVE, description="Only options with P90 at most."
    )
    max_price: StrictFloat | None = Field(
        None, json_schema_extra=_NOT_NEGATIVE, description="Only options costing at most (USD)."
    )
    value_of_day: StrictFloat | None = Field(
        None, json_schema_extra=_NOT_NEGATIVE, description="USD per day for BEST_VALUE."
    )
    hide_dominated: StrictBool = Field(False, description="Only Pareto-optimal options.")
    currency_out: StrictStr | None = Field(
        None,
        max_length=10,
        description="ISO 4217 code money is shown in (option 'money', answer 'fx'), at the "
        "rate in force on the ship date (default USD).",
    )


#: Field names of a shipment in a request, for "did you mean".
FIELDS = tuple(sorted(f.alias or name for name, f in ShipmentIn.model_fields.items()))


class BatchIn(BaseModel):
    """Shipments quoted in order; each answer is one NDJSON line."""

    model_config = ConfigDict(extra="forbid")

    shipments: list[ShipmentIn] = Field(description="The shipments, at most the server's limit.")


def check(
    network: Network, body: ShipmentIn, *, where: str = ""
) -> tuple[QuoteRequest | None, list[Problem]]:
    """The CLI's checks on one shipment; problem fields named as the request's (``where``:
    a prefix such as ``shipments[3].``)."""
    problems: list[Problem] = []
    raw = {
        "id": body.id,
        "from": body.origin,
        "to": body.to,
        "weight_kg": repr(body.weight),
        "dims_cm": body.dims,
        "pieces": str(body.pieces),
        "value": repr(body.value),
        "currency": body.currency,
        "category": body.category,
        "hs_code": body.hs_code,
        "incoterm": body.incoterm,
        "ship_date": body.ship_date,
        "pattern": body.pattern,
        "items": str(body.items),
    }
    request, found = parse_request(
        network,
        raw,
        modes=body.mode,
        carriers=body.carrier,
        max_days=body.max_days,
        max_price=body.max_price,
        value_of_day=body.value_of_day,
        hide_dominated=body.hide_dominated,
        currency_out=body.currency_out,
        file=FILE,
    )
    for p in found:
        name = _API_NAMES.get(p.field or "", p.field or "")
        problems.append(replace(p, field=where + name))
    return (request if not problems else None), problems


class QuoteService:
    """The quoters of a server (one per set of fx rates in force), used by one request at a
    time.

    The quoter caches routes per corridor in plain dicts; the lock keeps two
    requests from building the same cache entry at once. Quotes are CPU-bound
    and hold the interpreter anyway, so the lock costs no parallelism.
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        self._quoters = DatedQuoters(network)  # one per fx date, built when first asked
        self._lock = threading.Lock()

    def quote(self, request: QuoteRequest) -> dict[str, Any]:
        """The ``xborder quote --json`` document of ``request``."""
        with self._lock:
            result, fx = quote_dated(self._quoters, request)
        return quote_json(result, fx)

    def check_batch(self, shipments: list[ShipmentIn]) -> tuple[list[QuoteRequest], list[Problem]]:
        """Check every shipment first, as ``xborder quote --batch`` checks every row: any
        problem refuses the whole batch, with all of them (fields ``shipments[i].name``)."""
        requests: list[QuoteRequest] = []
        problems: list[Problem] = []
        for i, body in enumerate(shipments):
            request, found = check(self.network, body, where=f"shipments[{i}].")
            problems += found
            if request is not None:
                requests.append(request)
        return requests, problems

    def batch_lines(self, requests: list[QuoteRequest]) -> Iterator[str]:
        """One NDJSON line per checked shipment, in input order: ``{index, id, quote}``."""
        for i, request in enumerate(requests):
            line = {"index": i, "id": request.shipment.id, "quote": self.quote(request)}
            yield json.dumps(line, ensure_ascii=False) + "\n"
