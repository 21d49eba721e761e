"""What a shipper asks a quote for, checked field by field before anything is priced.

:func:`parse_shipment` turns raw text fields (CLI options or a batch CSV row)
into a :class:`Shipment`, collecting every problem — negative weight, zero
dimensions, unknown node ("did you mean"), value without currency — as
:class:`~optimizer.errors.Problem` records naming the field, so the CLI exits 2
with one message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from optimizer.errors import Problem
from optimizer.fields import MISSING, Field, parse, suggest
from optimizer.network.coverage import missing_rules_on
from optimizer.network.domestic import is_domestic, pattern_problem
from optimizer.network.hs_codes import category_of, mfn_fault
from optimizer.network.records import Network, NodeKind
from optimizer.scenario.records import Pattern

#: Records a problem: (field, message, value=None, expected="").
Report = Callable[..., None]


class Incoterm(StrEnum):
    """Who pays import duties and taxes: the shipper (DDP) or the receiver (DAP)."""

    DDP = "DDP"
    DAP = "DAP"


@dataclass(frozen=True, slots=True)
class Piece:
    """``count`` equal pieces of ``weight_kg`` and ``volume_m3`` each."""

    weight_kg: float
    volume_m3: float
    count: int = 1


@dataclass(frozen=True, slots=True)
class Shipment:
    """One consignment to quote; money in USD (converted on parsing)."""

    origin: str
    market: str
    pieces: tuple[Piece, ...]
    value_usd: float
    category: str
    ship_date: dt.date
    incoterm: Incoterm = Incoterm.DDP
    pattern: Pattern | None = None  # None: every pattern
    items: int = 0  # tariff items for per-item duties; 0 = one per piece
    id: str = ""
    hs_code: str = ""  # HS code priced (digits); "" = the category's representative code

    @property
    def weight_kg(self) -> float:
        return sum(p.weight_kg * p.count for p in self.pieces)

    @property
    def volume_m3(self) -> float:
        return sum(p.volume_m3 * p.count for p in self.pieces)

    @property
    def piece_count(self) -> int:
        return sum(p.count for p in self.pieces)

    @property
    def item_count(self) -> int:
        return self.items or self.piece_count


#: Fields of a shipment as text (CLI options and batch CSV columns).
FIELDS = (
    "id",
    "from",
    "to",
    "weight_kg",
    "dims_cm",
    "pieces",
    "value",
    "currency",
    "category",
    "hs_code",
    "incoterm",
    "ship_date",
    "pattern",
    "items",
)

_DIMS = re.compile(r"^\s*([^x×*]+?)\s*[x×*]\s*([^x×*]+?)\s*[x×*]\s*([^x×*]+?)\s*$")

#: The shipment fields that are plain values, with their documented ranges.
SPECS = {
    f.name: f
    for f in (
        Field(
            "weight_kg",
            "float",
            "Weight per piece (at most a full 40 ft container's payload).",
            required=True,
            lo=0,
            lo_open=True,
            hi=40_000,
            unit="kg",
        ),
        Field("pieces", "int", "Number of equal pieces.", default=1, lo=1, hi=100_000),
        Field("items", "int", "Tariff items (0: one per piece).", default=0, lo=0, hi=1_000_000),
        Field(
            "value",
            "float",
            "Declared value of the whole shipment (0: no commercial value).",
            required=True,
            lo=0,
            hi=1e9,
        ),
        Field("ship_date", "date", "Date whose customs rules apply (default: today)."),
        Field("incoterm", "enum:" + "|".join(k.value for k in Incoterm), "", default="DDP"),
        Field("pattern", "enum:" + "|".join(k.value for k in Pattern), ""),
        Field(
            "hs_code",
            "hs",
            "HS code of the goods, priced through the tariff layers (its chapter gives the "
            "category when none is given).",
        ),
    )
}
#: One side of ``dims_cm``: a parcel or a pallet, up to a 40 ft container's 12 m.
SIDE = Field("dims_cm", "float", "", lo=0, lo_open=True, hi=1500, unit="cm")


def parse_shipment(
    network: Network, raw: Mapping[str, str | None], *, file: str = "quote", row: int | None = None
) -> tuple[Shipment | None, list[Problem]]:
    """Parse and check one shipment; return it (None if anything is wrong) and the problems.

    ``raw`` maps :data:`FIELDS` to text; ``weight_kg`` and ``dims_cm`` (``LxWxH``)
    are per piece, ``pieces`` the count (default 1). ``to`` must be a market node.
    """
    bad: list[Problem] = []

    def problem(field: str, message: str, value: str | None = None, expected: str = "") -> None:
        bad.append(Problem(file, message, row=row, field=field, value=value, expected=expected))

    def text(name: str) -> str:
        return (raw.get(name) or "").strip()

    def value_of(name: str, given: str | None = None) -> Any:
        return parse(SPECS[name], text(name) if given is None else given, file, row, bad)

    origin = _node(network, text("from"), "from", problem, market=False)
    market = _node(network, text("to"), "to", problem, market=True)
    weight = value_of("weight_kg")
    count = value_of("pieces")
    items = value_of("items")
    volume = _volume(text("dims_cm"), file, row, bad)
    day = value_of("ship_date") or dt.date.today()
    value = value_of("value")
    value_usd = _money(network, value, text("currency"), day, problem)
    hs_code = value_of("hs_code")
    category = _category(network, text("category"), hs_code, text("hs_code"), problem)
    incoterm = value_of("incoterm", text("incoterm").upper())
    pattern = value_of("pattern")
    if origin and market:
        wrong = pattern_problem(network, origin, market, [Pattern(pattern)]) if pattern else None
        if wrong:
            problem("pattern", wrong[0], pattern, wrong[1])
        if not is_domestic(network, origin, market):  # a domestic flow imports nothing
            for why in missing_rules_on(network, network.territory_of(market), day):
                problem("ship_date", why, day.isoformat(), "a date on which the rules are known")
            uncovered = (
                mfn_fault(network, network.territory_of(market), hs_code) if hs_code else None
            )
            if uncovered is not None:
                problem(uncovered.field, uncovered.message, uncovered.value, uncovered.expected)
    if bad:
        return None, bad
    assert weight is not None and volume is not None
    shipment = Shipment(
        origin=origin,
        market=market,
        pieces=(Piece(weight, volume, count),),
        value_usd=value_usd or 0.0,
        category=category,
        ship_date=day,
        incoterm=Incoterm(incoterm),
        pattern=Pattern(pattern) if pattern else None,
        items=items,
        id=text("id"),
        hs_code=hs_code or "",
    )
    return shipment, []


def _node(network: Network, node_id: str, field: str, problem: Report, *, market: bool) -> str:
    if not node_id:
        problem(field, MISSING, expected="a node id")
        return ""
    node = network.node_by_id.get(node_id)
    if node is None:
        problem(field, "unknown node", node_id, suggest(node_id, network.node_by_id, "a node id"))
        return ""
    if market and node.kind is not NodeKind.MARKET:
        markets = sorted(n.id for n in network.nodes if n.kind is NodeKind.MARKET)
        problem(field, f"is a {node.kind}, not a market", node_id, f"one of {', '.join(markets)}")
    if not market and node.kind is NodeKind.MARKET:
        problem(field, "is a market; shipments start at a warehouse, port or airport", node_id)
    return node_id


def _volume(dims: str, file: str, row: int | None, bad: list[Problem]) -> float | None:
    """``LxWxH`` in cm, each side in :data:`SIDE`'s range, as m³."""
    if not dims:
        bad.append(
            Problem(file, MISSING, row=row, field="dims_cm", expected="LxWxH in cm, e.g. 40x30x20")
        )
        return None
    match = _DIMS.match(dims)
    if not match:
        bad.append(
            Problem(
                file, "not LxWxH", row=row, field="dims_cm", value=dims, expected="e.g. 40x30x20"
            )
        )
        return None
    before = len(bad)
    sides = [parse(SIDE, side, file, row, bad) for side in match.groups()]
    if len(bad) > before:
        return None
    return sides[0] * sides[1] * sides[2] / 1e6


def _money(
    network: Network, value: float | None, currency: str, day: dt.date, problem: Report
) -> float | None:
    """The declared value in USD at the rate in force on the ship date ``day``."""
    currency = currency.upper()
    if not currency:
        if value is not None:
            problem("currency", MISSING, expected="the currency of the declared value, e.g. USD")
        return None
    known = dict(network.fx_per_usd)
    if currency not in known:
        problem("currency", "unknown currency", currency, suggest(currency, known))
        return None
    return None if value is None else value / network.per_usd_on(currency, day)


def _category(
    network: Network, category: str, hs_code: str | None, hs_text: str, problem: Report
) -> str:
    """The category id (:func:`~optimizer.network.hs_codes.category_of`); "" when wrong.

    An HS code given but not parsed (``hs_text`` without ``hs_code``) is already
    reported: no second problem for it.
    """
    if hs_text and hs_code is None:
        return category if category in network.category_by_id else ""
    found, fault = category_of(network, category, hs_code or "")
    if fault is not None:
        problem(fault.field, fault.message, fault.value, fault.expected)
    return found
