"""One quote request, from raw fields to the priced result: shared by the CLI and the API.

``xborder quote`` and ``POST /v1/quotes`` both go through :func:`parse_request`
(the same checks and wording for every field) and :func:`run_quote` (the same
quote settings), then :func:`~optimizer.quote.report.quote_json`, so the two
can never disagree on a quote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from optimizer.errors import Problem
from optimizer.fields import Field, parse
from optimizer.network.fx import FxUse, epoch, unknown_currency
from optimizer.network.records import Mode, Network
from optimizer.quote.engine import Filters, Quoter, QuoteResult
from optimizer.quote.options import GROUPS, SHIP_NOW
from optimizer.quote.shipment import Shipment, parse_shipment


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """A checked shipment and how its options are filtered and ranked."""

    shipment: Shipment
    filters: Filters = field(default_factory=Filters)
    hide_dominated: bool = False
    value_of_day_usd: float | None = None  # None: the engine's default (1 % of value)
    lead: str = SHIP_NOW  # the option group listed first
    currency_out: str = "USD"  # money shown in this currency (a code of the network's fx.csv)

    def __post_init__(self) -> None:
        if self.value_of_day_usd is not None and not self.value_of_day_usd >= 0:
            raise ValueError(f"value_of_day_usd must be >= 0, got {self.value_of_day_usd}")
        if self.lead not in GROUPS:
            raise ValueError(f"lead must be one of {GROUPS}, got {self.lead!r}")


#: The numeric filters, with their documented ranges.
LIMITS = (
    Field("max_days", "float", "Most P90 days.", lo=0, hi=3650, unit="d"),
    Field("max_price", "float", "Most landed cost (USD).", lo=0, hi=1e9),
    Field("value_of_day", "float", "USD per day of P90 lead time.", lo=0, hi=1e6),
)


def parse_filters(
    network: Network,
    *,
    modes: Sequence[str] = (),
    carriers: Sequence[str] = (),
    max_days: float | None = None,
    max_price: float | None = None,
    value_of_day: float | None = None,
    file: str = "quote",
) -> tuple[Filters, list[Problem]]:
    """Check the option filters against ``network``; return them and every problem found.

    Fields are named ``mode``, ``carrier``, ``max_days``, ``max_price`` and
    ``value_of_day``; callers rename them to what their user typed.
    """
    problems = []
    known_modes = {m.value for m in Mode}
    for m in modes:
        if m not in known_modes:
            problems.append(
                Problem(
                    file,
                    "unknown mode",
                    field="mode",
                    value=m,
                    expected=f"one of {', '.join(sorted(known_modes))}",
                )
            )
    known_carriers = {lane.carrier for lane in network.lanes}
    for c in carriers:
        if c not in known_carriers:
            problems.append(
                Problem(
                    file,
                    "unknown carrier",
                    field="carrier",
                    value=c,
                    expected=f"one of {', '.join(sorted(known_carriers))}",
                )
            )
    numbers = {"max_days": max_days, "max_price": max_price, "value_of_day": value_of_day}
    for spec in LIMITS:
        parse(spec, numbers[spec.name], file, None, problems)
    return Filters(tuple(modes), tuple(carriers), max_days, max_price), problems


def parse_request(
    network: Network,
    raw: Mapping[str, str | None],
    *,
    modes: Sequence[str] = (),
    carriers: Sequence[str] = (),
    max_days: float | None = None,
    max_price: float | None = None,
    value_of_day: float | None = None,
    hide_dominated: bool = False,
    lead: str = SHIP_NOW,
    currency_out: str | None = None,
    file: str = "quote",
) -> tuple[QuoteRequest | None, list[Problem]]:
    """Check a shipment (``raw``: text per :data:`~optimizer.quote.shipment.FIELDS`), its
    filters and the output currency (field ``currency_out``; None: USD); return the request
    (None if anything is wrong) and every problem."""
    shipment, problems = parse_shipment(network, raw, file=file)
    filters, filter_problems = parse_filters(
        network,
        modes=modes,
        carriers=carriers,
        max_days=max_days,
        max_price=max_price,
        value_of_day=value_of_day,
        file=file,
    )
    problems = problems + filter_problems
    out = "USD" if currency_out is None else currency_out.strip().upper()
    bad = unknown_currency(out, dict(network.fx_per_usd), file=file, field="currency_out")
    if bad is not None:
        problems.append(bad)
    if shipment is None or problems:
        return None, problems
    request = QuoteRequest(shipment, filters, hide_dominated, value_of_day, lead, out)
    return request, []


@dataclass
class DatedQuoters:
    """One :class:`Quoter` per set of exchange rates in force (fx.csv's dated rows).

    A quote converts money at the rates of its ship date, so it is priced on the
    network pinned to that date (:meth:`Network.fx_on`); ship dates under the same
    rates share one quoter and its route caches (a handful of sets: one per fx date).
    """

    network: Network
    _quoters: dict[tuple[tuple[str, dt.date], ...], Quoter] = field(default_factory=dict)

    def on(self, day: dt.date) -> Quoter:
        """The quoter converting at the rates in force on ``day``."""
        key = epoch(self.network.fx_history, day)
        quoter = self._quoters.get(key)
        if quoter is None:
            quoter = self._quoters[key] = Quoter(self.network.fx_on(day))
        return quoter


def quote_dated(quoters: DatedQuoters, request: QuoteRequest) -> tuple[QuoteResult, FxUse]:
    """Quote at the ship date's rates; return the result and the rate of ``currency_out``
    on that date (for :func:`~optimizer.quote.report.quote_json` / ``render_table``)."""
    day = request.shipment.ship_date
    quoter = quoters.on(day)
    fx = replace(quoter.network.fx_use(request.currency_out), day=day)  # same rates, this day
    return run_quote(quoter, request), fx


def run_quote(quoter: Quoter, request: QuoteRequest) -> QuoteResult:
    """Quote with every detail shown (bulk-leg percentiles), as the CLI and the API show it."""
    return quoter.quote(
        request.shipment,
        filters=request.filters,
        hide_dominated=request.hide_dominated,
        detail=True,
        value_of_day_usd=request.value_of_day_usd,
        lead=request.lead,
    )
