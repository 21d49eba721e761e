"""Quotes as data: rows for CSV / pandas, a dict for JSON, a text table for people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from optimizer.costing.layers import hs_text
from optimizer.network.fx import FxUse
from optimizer.quote.engine import QuoteResult
from optimizer.quote.options import Option

#: The rate when no output currency is asked: USD itself (the model's unit).
USD = FxUse("USD", 1.0, None, "USD is the model's internal unit")

#: Money fields of an option, in ``money`` (the output currency) as in ``<name>_usd``.
MONEY = ("landed", "shipper", "freight", "fuel", "handling", "brokerage", "duty", "tax", "stock")

#: Columns of a quote row (one per shipment × option), in output order.
COLUMNS = (
    "shipment",
    "option",
    "group",
    "pattern",
    "route",
    "modes",
    "carriers",
    "tags",
    "pareto",
    "landed_usd",
    "shipper_usd",
    "freight_usd",
    "fuel_usd",
    "handling_usd",
    "brokerage_usd",
    "fee_assumption",
    "duty_usd",
    "tax_usd",
    "stock_usd",
    "p50_days",
    "p90_days",
    "bulk_p50_days",
    "bulk_p90_days",
    "co2e_kg",
    "chargeable",
    "hs_code",
    "treatment",
    "reason",
)


def option_row(shipment_id: str, rank: int, o: Option) -> dict[str, Any]:
    """One flat row: money rounded to cents, days to 0.01, CO2e to 0.001 kg."""
    chargeable = "; ".join(f"{leg.lane} {leg.chargeable_kg:.2f} kg {leg.rule}" for leg in o.legs)
    return {
        "shipment": shipment_id,
        "option": rank,
        "group": o.group,
        "pattern": o.pattern.value,
        "route": o.route,
        "modes": o.modes,
        "carriers": o.carriers,
        "tags": " ".join(o.tags),
        "pareto": o.pareto,
        "landed_usd": round(o.landed_usd, 2),
        "shipper_usd": round(o.shipper_usd, 2),
        "freight_usd": round(o.freight_usd, 2),
        "fuel_usd": round(o.fuel_usd, 2),
        "handling_usd": round(o.handling_usd, 2),
        "brokerage_usd": round(o.brokerage_usd, 2),
        "fee_assumption": o.fee_assumption,
        "duty_usd": round(o.duty_usd, 2),
        "tax_usd": round(o.tax_usd, 2),
        "stock_usd": round(o.stock_usd, 2),
        "p50_days": round(o.p50_days, 2),
        "p90_days": round(o.p90_days, 2),
        "bulk_p50_days": None if o.bulk_p50_days is None else round(o.bulk_p50_days, 2),
        "bulk_p90_days": None if o.bulk_p90_days is None else round(o.bulk_p90_days, 2),
        "co2e_kg": round(o.co2e_kg, 3),
        "chargeable": chargeable,
        "hs_code": o.hs_code,
        "treatment": o.treatment,
        "reason": "",
    }


def result_rows(result: QuoteResult, shipment_id: str = "") -> list[dict[str, Any]]:
    """Rows of one quote; a shipment nothing can carry gets one row per rejection reason."""
    sid = shipment_id or result.shipment.id
    if result.options:
        return [option_row(sid, i + 1, o) for i, o in enumerate(result.options)]
    empty = dict.fromkeys(COLUMNS, None)
    return [
        {**empty, "shipment": sid, "option": 0, "pattern": r.pattern, "reason": r.reason}
        for r in result.rejections
    ]


#: 1: first versioned quote JSON (option groups, format_version). Later additions (``fx``,
#: ``money``, ``shipment.value``) only add fields.
QUOTE_FORMAT_VERSION = 1


def quote_json(result: QuoteResult, fx: FxUse | None = None) -> dict[str, Any]:
    """The full quote (every leg, every rejection) as JSON-ready data.

    What ``xborder quote --json`` prints (schema docs/schemas/quote.schema.json). Each
    option carries its ``group``; ``ship-now`` options come first unless the quote
    was asked to lead with ``from-stock`` (``lead``). Figures named ``*_usd`` stay in
    USD; ``fx`` is the rate of the asked output currency on the ship date (its date and
    source), and each option's ``money`` holds its figures in that currency, rounded
    to the cent.
    """
    fx = fx or USD
    s = result.shipment
    options = []
    for o in result.options:
        data = asdict(o)
        data["group"] = o.group
        data["pattern"] = o.pattern.value
        data["fees"] = [{"name": name, "usd": round(usd, 2)} for name, usd in o.fees]
        data["money"] = {name: _out(getattr(o, f"{name}_usd"), fx) for name in MONEY}
        options.append(data)
    return {
        "format_version": QUOTE_FORMAT_VERSION,
        "lead": result.lead,
        "fx": fx.to_dict(),
        "shipment": {
            "id": s.id,
            "from": s.origin,
            "to": s.market,
            "weight_kg": s.weight_kg,
            "volume_m3": s.volume_m3,
            "pieces": s.piece_count,
            "value_usd": s.value_usd,
            "value": _out(s.value_usd, fx),
            "category": s.category,
            "hs_code": s.hs_code or None,
            "incoterm": s.incoterm.value,
            "ship_date": s.ship_date.isoformat(),
            "pattern": s.pattern.value if s.pattern else None,
        },
        "value_of_day_usd": result.value_of_day_usd,
        "options": options,
        "rejections": [asdict(r) for r in result.rejections],
    }


_GROUP_HEAD = {
    "ship-now": "Ship now: door to door for this shipment (days from pick-up to delivery)",
    "from-stock": (
        "From stock: only if stock is already at the warehouse (days from the shelf to the\n"
        "customer); keeping it there takes the bulk leg's replenishment lead time shown per\n"
        "option and the stock cost included in landed"
    ),
}


def _out(usd: float, fx: FxUse) -> float:
    """``usd`` in the output currency, rounded to the cent (what every output shows)."""
    return round(usd * fx.per_usd, 2)


def render_table(result: QuoteResult, fx: FxUse | None = None) -> str:
    """A readable table per option group: one line per option, then its legs; reasons when
    nothing fits. Money in ``fx.currency`` (USD when None), with a footer naming the rate,
    its date and source when ``fx`` is given."""
    text = _table(result, fx or USD)
    return text if fx is None else text + "\n\n" + fx.footer()


def _table(result: QuoteResult, fx: FxUse) -> str:
    s = result.shipment
    m, cur = fx.per_usd, fx.currency
    head = (
        f"{s.origin} → {s.market}: {s.piece_count} piece(s), {s.weight_kg:g} kg, "
        f"{s.volume_m3:.4f} m³, value {s.value_usd * m:,.2f} {cur}, {s.category}"
        + (f" HS {hs_text(s.hs_code)}" if s.hs_code else "")
        + f", {s.incoterm.value}, ship {s.ship_date.isoformat()}"
    )
    lines = [head, ""]
    if not result.options:
        lines.append("No option can carry this shipment:")
        lines += [
            f"  - {r.pattern}: {r.reason}" + (f" ({r.routes} routes)" if r.routes else "")
            for r in result.rejections
        ]
        return "\n".join(lines)
    cols = (
        f"{'#':>3} {'landed ' + cur:>11} {'P50 d':>6} {'P90 d':>6} {'CO2e kg':>8}  {'pareto':6}  "
    )
    group = ""
    for i, o in enumerate(result.options, 1):
        if o.group != group:
            group = o.group
            gap = [""] if i > 1 else []
            lines += [*gap, *_GROUP_HEAD[group].splitlines()]
            lines.append(cols + "pattern / modes / tags (within the group)")
        star = "*" if o.pareto else ""
        lines.append(
            f"{i:>3} {o.landed_usd * m:>11,.2f} {o.p50_days:>6.1f} {o.p90_days:>6.1f} "
            f"{o.co2e_kg:>8.2f}  {star:6}  {o.pattern.value} {o.modes} {' '.join(o.tags)}"
        )
        lines.append(
            f"{'':>5}freight {o.freight_usd * m:,.2f} + fuel {o.fuel_usd * m:,.2f} + handling "
            f"{o.handling_usd * m:,.2f} + {_fee_label(o)} {o.brokerage_usd * m:,.2f} + duty "
            f"{o.duty_usd * m:,.2f} + tax {o.tax_usd * m:,.2f}"
            + (f" + stock {o.stock_usd * m:,.2f}" if o.stock_usd else "")
        )
        if o.fee_assumption:
            assumed = dict(o.fees).get(o.fee_assumption, o.brokerage_usd)
            lines.append(
                f"{'':>7}assumed fee {assumed * m:,.2f}: {o.fee_assumption} "
                "(a named assumption of the network, assumptions.csv)"
            )
        for name, usd in o.fees:
            if name != o.fee_assumption:
                lines.append(f"{'':>7}fee {usd * m:,.2f}: {name} (import_fees.csv)")
        for leg in o.legs:
            lines.append(
                f"{'':>7}{leg.lane}: {leg.origin}→{leg.dest} {leg.carrier} {leg.mode}"
                f" [{leg.role}] {leg.chargeable_kg:.2f} kg {leg.rule}"
            )
        if o.bulk_p90_days is not None:
            lines.append(
                f"{'':>7}presumes stock on the shelf: replenishment by the bulk leg P50 "
                f"{o.bulk_p50_days:.1f} d, P90 {o.bulk_p90_days:.1f} d; stock cost "
                f"{o.stock_usd * m:,.2f} {cur} included"
            )
        lines.append(f"{'':>7}customs: {o.treatment}")
    if result.rejections:
        lines.append("")
        lines.append("Not offered:")
        lines += [
            f"  - {r.pattern}: {r.reason}" + (f" ({r.routes} routes)" if r.routes else "")
            for r in result.rejections
        ]
    return "\n".join(lines)


def frame_rows(results: Iterable[QuoteResult]) -> list[dict[str, Any]]:
    return [row for result in results for row in result_rows(result)]


def _fee_label(o: Option) -> str:
    """'brokerage', 'assumed fee' when the fee rests on a named assumption, or 'fees' when
    there are several fee lines (listed below the breakdown)."""
    if len(o.fees) > 1:
        return "fees"
    return "assumed fee" if o.fee_assumption else "brokerage"
