"""Duty and import tax of one consignment from the network's dated tariff layers.

:func:`explain` answers "which duties apply to these goods entering this country
from that origin on this date, by this channel, and why": every layer row of
``tariff_layers.csv`` (:mod:`optimizer.network.tariff_layers`) that applies,
what it adds, and the rows another row switched off (a de minimis relief
switches off everything; the EU EUR 3 duty switches off MFN).

How a row is chosen, per item: rows of the importing territory in force on
the date, for the channel, the origin (exact country, its territory as a
group, or ``*``), the consignment's intrinsic value window and the selected
variants; within one stacking group the longest HS prefix wins, then the most
specific origin, then a selected variant over the default. Groups add up,
except groups a chosen row ``excludes``. The rows in force per (territory,
origin, channel, date, variants) and the choice per HS code are looked up in the
network's :class:`~optimizer.costing.index.CustomsIndex` (built once, by HS
prefix), not by scanning the table for every consignment.

Bases: ``ad_valorem`` = rate × item value; ``per_item`` = amount per item;
``per_kg`` = amount × item weight; ``per_distinct_hs`` = amount once per
distinct HS code among the items it applies to (the EU's EUR 3 per tariff
classification: five T-shirts pay EUR 3, a T-shirt and a watch EUR 6);
``per_consignment`` = amount once (the US "per postal item").

Import VAT/GST: the rows of ``import_taxes.csv`` in force for the destination
country and the consignment's region (:mod:`optimizer.costing.taxes`), each on
(value + duty); China uses its comprehensive formula (VAT + consumption tax) /
(1 − consumption tax), the consumption tax taken from the category of the
item's HS chapter. The customs rule in force (``customs_rules.csv``) says who
collects it at or below its threshold (the border, the seller at sale, or
nobody) and its ``tax_factor`` (China CBEC: 70 %). Values are the customs value
the caller gives (freight included where the destination values CIF). Fees per
customs entry (``import_fees.csv``) are listed as lines of their own.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from optimizer.costing.index import index_of
from optimizer.costing.taxes import (
    FeeLine,
    TaxLine,
    TaxPart,
    clearance_fee_line,
    fee_horizon_notes,
    price_fees,
    tax_lines,
)
from optimizer.errors import InputError, Problem
from optimizer.network.records import Channel, Mode, Network
from optimizer.network.tariff_layers import (
    ANY,
    LayerBasis,
    TariffLayer,
    TradeChannel,
    hs_digits,
)

_RULE_CHANNEL = {
    TradeChannel.POSTAL: Channel.PARCEL,
    TradeChannel.EXPRESS: Channel.PARCEL,
    TradeChannel.BONDED: Channel.BONDED,
    TradeChannel.COMMERCIAL: Channel.COMMERCIAL,
}


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a consignment: its HS code (digits), customs value and weight."""

    hs_code: str
    value: float
    weight_kg: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        code = hs_digits(self.hs_code)
        if not (code.isdigit() and 2 <= len(code) <= 10):
            problems.append(
                Problem(
                    "item",
                    "not an HS code",
                    None,
                    "hs",
                    self.hs_code,
                    "2 to 10 digits, e.g. 6109.10",
                )
            )
        for name, value in (("value", self.value), ("weight_kg", self.weight_kg)):
            if not (math.isfinite(value) and value >= 0):
                problems.append(
                    Problem("item", "out of range", None, name, str(value), "a number >= 0")
                )
        if problems:
            raise InputError(problems)
        object.__setattr__(self, "hs_code", code)


@dataclass(frozen=True, slots=True)
class Consignment:
    """Goods entering country ``to`` from ``origin`` on ``day`` by ``channel``.

    Item values are customs values in ``currency``; ``variants`` selects named layer rows.
    """

    to: str
    origin: str
    items: tuple[Item, ...]
    channel: TradeChannel
    day: dt.date
    currency: str = "USD"
    variants: frozenset[str] = frozenset()
    #: Intrinsic (declared goods) value tested against the value windows, when the item
    #: values are CIF customs values; None = the items' sum.
    declared_value: float | None = None
    #: Sub-national region of the buyer (e.g. ON): adds its regional taxes ("" = none).
    region: str = ""

    def __post_init__(self) -> None:
        if not self.items:
            raise InputError(
                [Problem("consignment", "no items", expected="at least one HS code and value")]
            )

    @property
    def value(self) -> float:
        return sum(i.value for i in self.items)

    @property
    def declared(self) -> float:
        return self.value if self.declared_value is None else self.declared_value


@dataclass(frozen=True, slots=True)
class LayerLine:
    """One layer row as it touched the consignment: applied (with its duty) or excluded."""

    layer: TariffLayer
    items: int
    duty: float
    excluded_by: str = ""

    @property
    def applied(self) -> bool:
        return not self.excluded_by


@dataclass(frozen=True, slots=True)
class Assessment:
    """Duty and tax of a consignment, in its currency, with every layer that decided them.

    ``tax_collection`` is ``border``, ``point_of_sale`` (seller or marketplace at
    checkout: IOSS, UK ≤ GBP 135, AU) or ``exempt``. ``notes`` say what the table
    does not know (dates past its last rule, items with no MFN row).
    """

    consignment: Consignment
    territory: str
    duty: float
    tax: float
    tax_collection: str
    lines: tuple[LayerLine, ...]
    notes: tuple[str, ...] = field(default=())
    #: Every import tax charged (VAT/GST, a region's part, China's consumption tax).
    taxes: tuple[TaxLine, ...] = ()
    #: Fees per customs entry (``import_fees.csv``), in the consignment currency.
    fees: tuple[FeeLine, ...] = ()

    @property
    def fee(self) -> float:
        return sum(f.amount for f in self.fees)

    @property
    def total(self) -> float:
        return self.duty + self.tax + self.fee


def explain(network: Network, consignment: Consignment) -> Assessment:
    """Every layer that applies to ``consignment`` and the duty and tax it owes."""
    c = consignment
    territory = _checked_territory(network, c)
    item_duty, lines, notes = _layer_lines(network, c, territory)
    taxes, collection, tax_notes = _tax(network, c, territory, item_duty)
    fees = _entry_fees(network, c, territory, lines)
    rule = index_of(network).customs_rule(territory, _RULE_CHANNEL[c.channel], c.origin, c.day)
    collected = sum(item_duty) > 0 or any(t.collection == "border" and t.amount > 0 for t in taxes)
    clearance = clearance_fee_line(network, rule, c.currency) if collected else None
    notes += _horizon_notes(network, territory, c.day)
    notes += tax_notes
    notes += fee_horizon_notes(network, fees, c.day)
    fees = fees if clearance is None else (clearance, *fees)
    return Assessment(
        c,
        territory,
        sum(item_duty),
        sum(t.amount for t in taxes),
        collection,
        tuple(lines),
        tuple(dict.fromkeys(notes)),
        taxes,
        fees,
    )


def _checked_territory(network: Network, c: Consignment) -> str:
    """The customs territory ``c`` enters; InputError for an unknown country or currency."""
    country = network.country_by_code.get(c.to)
    if country is None:
        raise InputError([unknown_country(network, "to", c.to)])
    fx = network.fx_rate
    if c.currency not in fx:
        raise InputError(
            [
                Problem(
                    "--currency",
                    "unknown fx currency",
                    None,
                    "currency",
                    c.currency,
                    ", ".join(sorted(fx)),
                )
            ]
        )
    return country.territory


def _layer_lines(
    network: Network, c: Consignment, territory: str
) -> tuple[list[float], list[LayerLine], list[str]]:
    """The duty of each item (consignment currency), the layer lines (applied, then
    excluded; by layer, then id) and the notes of items without an MFN row.

    The rows that may apply come from the network's :class:`CustomsIndex` (in force,
    channel, variants, origin); the value windows are tested here, on ``c``'s value.
    """

    def convert(amount: float, currency: str, to: str) -> float:
        return network.from_usd(network.to_usd(amount, currency), to)

    candidates = index_of(network).layer_candidates(
        territory, c.origin, c.channel, c.day, c.variants
    )
    mask = tuple(
        row.value_window_holds(convert(c.declared, c.currency, row.currency))  # type: ignore[arg-type]
        for row in candidates.windowed  # a windowed row has a currency: the record checks it
    )
    applied: dict[str, list[int]] = {}  # row id -> indexes of the items it applies to
    excluded: dict[str, tuple[str, list[int]]] = {}
    rows: dict[str, TariffLayer] = {}
    notes: list[str] = []
    for index, item in enumerate(c.items):
        choice = candidates.choose(item.hs_code, mask)
        for row, by in choice.rows:
            rows[row.id] = row
            if by:
                excluded.setdefault(row.id, (by, []))[1].append(index)
            else:
                applied.setdefault(row.id, []).append(index)
        if not choice.has_mfn:
            notes.append(
                f"no MFN row for HS {item.hs_code} in {territory}: its duty may be missing"
            )

    item_duty = [0.0] * len(c.items)
    lines: list[LayerLine] = []
    for row_id, indexes in sorted(applied.items()):
        row = rows[row_id]
        duty = _row_duty(row, [c.items[i] for i in indexes], c.currency, convert)
        share = _shares([c.items[i] for i in indexes])
        for i, s in zip(indexes, share, strict=True):
            item_duty[i] += duty * s
        lines.append(LayerLine(row, len(indexes), duty))
    for row_id, (by, indexes) in sorted(excluded.items()):
        lines.append(LayerLine(rows[row_id], len(indexes), 0.0, excluded_by=by))
    lines.sort(key=lambda line: (not line.applied, _LAYER_ORDER[line.layer.layer], line.layer.id))
    return item_duty, lines, notes


def _entry_fees(
    network: Network, c: Consignment, territory: str, lines: list[LayerLine]
) -> tuple[FeeLine, ...]:
    """Fees per customs entry (``import_fees.csv``), unless a relief (de minimis) let the
    goods in without an entry. The customs rule's clearance fee (an assumption) is added
    by :func:`explain` when duty or tax is collected at the border, as in quotes."""
    relieved = any(
        line.applied and line.layer.excluded_groups == (ANY,) and line.duty == 0 for line in lines
    )
    if relieved:
        return ()
    fees = index_of(network).fees_in_force(territory, str(c.channel), c.day)
    return price_fees(network, fees, c.declared, c.currency)


_LAYER_ORDER = {"mfn": 0, "preferential": 1, "additional": 2}


def _row_duty(row: TariffLayer, items: list[Item], currency: str, convert: object) -> float:
    """Duty one row adds over the items it applies to, in the consignment currency."""
    if row.basis is LayerBasis.AD_VALOREM:
        return (row.rate or 0.0) * sum(i.value for i in items)
    assert row.currency is not None and row.amount is not None  # the record checks it
    unit = convert(row.amount, row.currency, currency)  # type: ignore[operator]
    count = {
        LayerBasis.PER_ITEM: float(len(items)),
        LayerBasis.PER_KG: sum(i.weight_kg for i in items),
        LayerBasis.PER_DISTINCT_HS: float(len({i.hs_code for i in items})),
        LayerBasis.PER_CONSIGNMENT: 1.0,
    }[row.basis]
    return float(unit * count)


def _shares(items: list[Item]) -> list[float]:
    """How a row's duty is spread over its items for the tax base: by value (equal if all 0)."""
    total = sum(i.value for i in items)
    if total <= 0:
        return [1.0 / len(items)] * len(items)
    return [i.value / total for i in items]


def _tax(
    network: Network, c: Consignment, territory: str, item_duty: list[float]
) -> tuple[tuple[TaxLine, ...], str, tuple[str, ...]]:
    """Import taxes on (value + duty), who collects them, and notes (see the module docstring)."""
    index = index_of(network)
    rule = index.customs_rule(territory, _RULE_CHANNEL[c.channel], c.origin, c.day)
    factor, collection = 1.0, "border"
    if rule is not None and rule.threshold_value > 0:
        limit = network.from_usd(network.to_usd(c.declared, c.currency), rule.threshold_currency)
        if limit <= rule.threshold_value:
            factor, collection = rule.tax_factor, str(rule.tax_below)
    by_chapter = {
        cat.hs_chapter.zfill(2): cat.consumption_tax_rate_cn for cat in network.categories
    }
    parts = [
        TaxPart(item.value, 0.0, duty, by_chapter.get(item.hs_code[:2], 0.0))
        for item, duty in zip(c.items, item_duty, strict=True)
    ]
    rows, notes = index.taxes_in_force(c.to, c.region, c.day, c.variants)
    lines = tax_lines(rows, parts, low_value=collection, factor=factor)
    due = {x.collection for x in lines if x.amount > 0}
    if len(due) == 1:
        collection = due.pop()
    return lines, collection, notes


def _horizon_notes(network: Network, territory: str, day: dt.date) -> list[str]:
    """A date past every change the table knows for the territory is extrapolated: say so."""
    rows = [row for row in network.tariff_layers if row.territory == territory]
    starts = [row.valid_from for row in rows]
    ends = [row.valid_to for row in rows if row.valid_to is not None]
    if ends and day > max(ends) and max(ends) >= max(starts):
        last = max(ends).isoformat()
        return [
            f"{territory}: the tariff table knows nothing after {last} (a layer ended then and "
            f"no later one is listed); what applies on {day.isoformat()} is not known "
            "(shown: only the layers without an end date)"
        ]
    return []


def category_duty(
    network: Network,
    *,
    dest_country: str,
    channel: Channel,
    origin_country: str,
    hs_code: str,
    value_usd: float,
    customs_value_usd: float,
    items: int,
    day: dt.date,
    trade_channel: TradeChannel | None = None,
) -> tuple[float, str] | None:
    """Duty (USD) of a parcel of ``items`` items of one HS code, from the layers, and why.

    For :func:`optimizer.costing.customs.assess`: None when the network has no layer
    for the destination's territory (then the category's ``duty_rates`` row applies).
    ``trade_channel`` is how the goods cross (:func:`trade_channel`); None: the
    rule channel's default (a parcel as ``express``).
    """
    territory = network.country_by_code[dest_country].territory
    if not index_of(network).has_layers(territory):
        return None
    n = max(items, 1)
    item = Item(hs_code, customs_value_usd / n)  # n equal items: one record, n times
    consignment = Consignment(
        to=dest_country,
        origin=origin_country,
        items=(item,) * n,
        channel=trade_channel or _TRADE_CHANNEL[channel],
        day=day,
        currency="USD",
        declared_value=value_usd,
    )
    _checked_territory(network, consignment)  # as explain: taxes and fees are not needed here
    item_duty, lines, _ = _layer_lines(network, consignment, territory)
    parts = " + ".join(line.layer.id for line in lines if line.applied)
    postal = " (postal item)" if consignment.channel is TradeChannel.POSTAL else ""
    return sum(item_duty), f"HS {hs_text(hs_code)}{postal}: duty layers {parts or 'none'}"


_TRADE_CHANNEL = {
    Channel.PARCEL: TradeChannel.EXPRESS,
    Channel.BONDED: TradeChannel.BONDED,
    Channel.COMMERCIAL: TradeChannel.COMMERCIAL,
}


def trade_channel(channel: Channel, mode: Mode | None) -> TradeChannel:
    """How goods of a customs-rule ``channel`` cross, given the ``mode`` of the lane that
    carries them into the territory: a parcel by ``postal`` is a postal item (the US
    postal duty methods apply to it only), any other parcel an express consignment."""
    if channel is Channel.PARCEL and mode is Mode.POSTAL:
        return TradeChannel.POSTAL
    return _TRADE_CHANNEL[channel]


def channels_differ(
    network: Network, territory: str, day: dt.date, a: TradeChannel, b: TradeChannel
) -> bool:
    """Whether some layer or fee row (``import_fees.csv``) of ``territory`` in force on
    ``day`` applies to one of the two channels and not the other (else both are priced
    alike: callers may share one assessment, as the quote does for postal and express
    parcels)."""
    return index_of(network).channels_differ(territory, day, a, b)


def hs_text(code: str) -> str:
    """An HS code as people write it: ``610910`` -> ``6109.10``, ``85176200`` -> ``8517.62.00``."""
    digits = hs_digits(code)
    if len(digits) <= 4:
        return digits
    parts = [digits[:4]] + [digits[i : i + 2] for i in range(4, len(digits), 2)]
    return ".".join(parts)


def unknown_country(network: Network, field_name: str, value: str) -> Problem:
    """The problem of a country code the network does not list (EU: name its members)."""
    import difflib

    known = sorted(network.country_by_code)
    members = sorted(c.code for c in network.countries if c.territory == value)
    if members:
        expected = f"a country of territory {value}: {', '.join(members)} (VAT differs by country)"
    else:
        hint = difflib.get_close_matches(value, known, n=1)
        expected = f"did you mean {hint[0]!r}?" if hint else "one of " + ", ".join(known)
    return Problem(f"--{field_name}", "unknown country", None, field_name, value, expected)
