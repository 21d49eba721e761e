"""What a shipper asks a quote for, checked field by field before anything is priced.

:func:`parse_shipment` turns raw text fields (CLI options or a batch CSV row)
into a :class:`Shipment`, collecting every problem — negative weight, zero
dimensions, unknown node ("did you mean"), value without currency — as
:class:`~optimizer.errors.Problem` records naming the field, so the CLI exits 2
with one message.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TypeVar

from optimizer.errors import Problem
from optimizer.network.coverage import missing_rules_on
from optimizer.network.domestic import domestic_problem
from optimizer.network.records import Network, NodeKind
from optimizer.scenario.records import Pattern

#: Records a problem: (field, message, value=None, expected="").
Report = Callable[..., None]
E = TypeVar("E", bound=Enum)


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
    "incoterm",
    "ship_date",
    "pattern",
    "items",
)

_DIMS = re.compile(r"^\s*([\d.eE+-]+)\s*[x×*]\s*([\d.eE+-]+)\s*[x×*]\s*([\d.eE+-]+)\s*$")


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

    origin = _node(network, text("from"), "from", problem, market=False)
    market = _node(network, text("to"), "to", problem, market=True)
    weight = _number(text("weight_kg"), "weight_kg", problem, positive=True)
    count = _count(text("pieces") or "1", "pieces", problem)
    items = _count(text("items") or "0", "items", problem, allow_zero=True)
    volume = _volume(text("dims_cm"), problem)
    value = _number(text("value"), "value", problem, positive=False)
    value_usd = _money(network, value, text("currency"), problem)
    category = _category(network, text("category"), problem)
    day = _date(text("ship_date"), problem)
    incoterm = _enum(Incoterm, text("incoterm").upper() or "DDP", "incoterm", problem)
    pattern = _enum(Pattern, text("pattern"), "pattern", problem) if text("pattern") else None
    if origin and market:
        domestic = domestic_problem(network, origin, market)
        if domestic:
            problem("to", domestic[0], market, domestic[1])
        elif day is not None:
            for why in missing_rules_on(network, network.territory_of(market), day):
                problem("ship_date", why, day.isoformat(), "a date on which the rules are known")
    if bad:
        return None, bad
    assert weight is not None and volume is not None and count is not None and items is not None
    shipment = Shipment(
        origin=origin,
        market=market,
        pieces=(Piece(weight, volume, count),),
        value_usd=value_usd or 0.0,
        category=category,
        ship_date=day or dt.date.today(),
        incoterm=incoterm or Incoterm.DDP,
        pattern=pattern,
        items=items,
        id=text("id"),
    )
    return shipment, []


def _node(network: Network, node_id: str, field: str, problem: Report, *, market: bool) -> str:
    if not node_id:
        problem(field, "is required", expected="a node id")
        return ""
    node = network.node_by_id.get(node_id)
    if node is None:
        hint = difflib.get_close_matches(node_id, sorted(network.node_by_id), n=1)
        problem(field, "unknown node", node_id, f"did you mean {hint[0]!r}?" if hint else "")
        return ""
    if market and node.kind is not NodeKind.MARKET:
        markets = sorted(n.id for n in network.nodes if n.kind is NodeKind.MARKET)
        problem(field, f"is a {node.kind}, not a market", node_id, f"one of {', '.join(markets)}")
    if not market and node.kind is NodeKind.MARKET:
        problem(field, "is a market; shipments start at a warehouse, port or airport", node_id)
    return node_id


def _number(value: str, field: str, problem: Report, *, positive: bool) -> float | None:
    if not value:
        problem(field, "is required", expected="a number")
        return None
    try:
        number = float(value)
    except ValueError:
        problem(field, "is not a number", value)
        return None
    if number != number or number in (float("inf"), float("-inf")):
        problem(field, "must be finite", value)
    elif number < 0 or (positive and number == 0):
        problem(field, "must be positive" if positive else "must not be negative", value)
    return number


def _count(value: str, field: str, problem: Report, *, allow_zero: bool = False) -> int | None:
    try:
        number = int(value)
    except ValueError:
        problem(field, "is not a whole number", value)
        return None
    if number < (0 if allow_zero else 1):
        problem(field, "must be at least " + ("0" if allow_zero else "1"), value)
    return number


def _volume(dims: str, problem: Report) -> float | None:
    if not dims:
        problem("dims_cm", "is required", expected="LxWxH in cm, e.g. 40x30x20")
        return None
    match = _DIMS.match(dims)
    if not match:
        problem("dims_cm", "is not LxWxH", dims, "e.g. 40x30x20 (cm)")
        return None
    try:
        sides = [float(x) for x in match.groups()]
    except ValueError:
        problem("dims_cm", "is not LxWxH", dims, "e.g. 40x30x20 (cm)")
        return None
    if any(not side > 0 for side in sides):
        problem("dims_cm", "every dimension must be positive", dims)
        return None
    return sides[0] * sides[1] * sides[2] / 1e6


def _money(network: Network, value: float | None, currency: str, problem: Report) -> float | None:
    currency = currency.upper()
    if not currency:
        if value is not None:
            problem("currency", "is required with a declared value", expected="e.g. USD, EUR, CNY")
        return None
    known = dict(network.fx_per_usd)
    if currency not in known:
        hint = difflib.get_close_matches(currency, sorted(known), n=1)
        problem(
            "currency",
            "unknown currency",
            currency,
            f"one of {', '.join(sorted(known))}" if not hint else f"did you mean {hint[0]!r}?",
        )
        return None
    return None if value is None else network.to_usd(value, currency)


def _category(network: Network, category: str, problem: Report) -> str:
    if not category:
        problem("category", "is required", expected="a category id or a 2-digit HS chapter")
        return ""
    if category in network.category_by_id:
        return category
    by_chapter = [c.id for c in network.categories if c.hs_chapter == category.zfill(2)]
    if by_chapter:
        return by_chapter[0]
    hint = difflib.get_close_matches(category, sorted(network.category_by_id), n=1)
    problem(
        "category",
        "unknown category or HS chapter",
        category,
        f"did you mean {hint[0]!r}?" if hint else "",
    )
    return ""


def _date(value: str, problem: Report) -> dt.date | None:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problem("ship_date", "is not a date", value, "YYYY-MM-DD")
        return None


def _enum(kind: type[E], value: str, field: str, problem: Report) -> E | None:
    try:
        return kind(value)
    except ValueError:
        problem(field, "unknown value", value, f"one of {', '.join(k.value for k in kind)}")
        return None
