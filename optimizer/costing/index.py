"""Lookups of a network's customs tables, built once per :class:`Network` and kept by it.

Why: :func:`optimizer.costing.customs.assess` runs for every (shipment or demand,
route pattern, freight) a quote batch or a plan evaluation prices, and each call
used to scan the tariff layers (147 rows on ``networks/global``), the customs
rules, duty rates, import taxes and fees, re-parsing each layer row's origin and
channel cells on the way. What those scans return depends only on a few keys
(territory, origin, channel, date, HS code), and a network's tables never change
(the record is frozen), so the answers are computed once per key and kept here:

- the layer rows that may apply to a consignment, per (territory, origin, trade
  channel, variants) and period between two days on which the territory's rows
  change, indexed by HS prefix so the longest-prefix choice for an item is a few
  dict hits (:meth:`LayerCandidates.choose`, memoized per HS code and value-window
  outcome);
- the customs rule, ad valorem duty rate, import taxes and entry fees in force.

The answers are the same objects the plain scans return (the tests compare the two
over many keys); only the work to find them changes. A network built by
``dataclasses.replace`` (what-ifs, fx on another day) gets an index of its own.
The index pickles as nothing: an unpickled network (a batch worker's) builds its own.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from optimizer.costing.taxes import fees_in_force, freight_in_tax_base, taxes_in_force
from optimizer.network.import_taxes import ImportFee, ImportTax
from optimizer.network.records import Channel, CustomsRule, Network
from optimizer.network.tariff_layers import ANY, TariffLayer, TradeChannel, origin_rank

#: Keys a memo table may hold before it is emptied (bounds memory on very long runs).
MEMO_MAX = 200_000


@dataclass(frozen=True, slots=True)
class LayerChoice:
    """What the layers do to one item: the row chosen in each stacking group (sorted by
    group), each with the id of the row that switched it off ("" = applied), and whether
    any chosen row is not ``additional`` (else the item has no MFN row: its duty may be
    missing)."""

    rows: tuple[tuple[TariffLayer, str], ...]
    has_mfn: bool


class LayerCandidates:
    """The layer rows of one territory in force for one (origin, channel, date, variants),
    with their origin rank, before the consignment's value windows are tested.

    ``windowed`` lists the rows with a value window, in table order; a caller tests each
    against the consignment's value and passes the outcomes (``mask``) to :meth:`choose`.
    """

    __slots__ = ("_by_prefix", "_choices", "rows", "windowed")

    def __init__(self, rows: list[tuple[TariffLayer, int]]) -> None:
        self.rows = tuple(rows)
        windowed: list[TariffLayer] = []
        by_prefix: dict[str, list[tuple[TariffLayer, int, int]]] = {}
        for row, rank in rows:
            window = -1
            if row.has_value_window:
                window = len(windowed)
                windowed.append(row)
            by_prefix.setdefault(row.hs_prefix, []).append((row, rank, window))
        self.windowed = tuple(windowed)
        self._by_prefix = by_prefix
        self._choices: dict[tuple[str, tuple[bool, ...]], LayerChoice] = {}

    def choose(self, hs_code: str, mask: tuple[bool, ...]) -> LayerChoice:
        """The rows that apply to an item of ``hs_code`` (digits) when the windowed rows
        whose ``mask`` entry is False are left out: within one stacking group the longest
        HS prefix wins, then the most specific origin, then a selected variant over the
        default (then the larger id, so the choice never depends on the table's order);
        a chosen row's ``excludes`` switch off the other groups' choices."""
        key = (hs_code, mask)
        hit = self._choices.get(key)
        if hit is not None:
            return hit
        chosen: dict[str, TariffLayer] = {}
        best: dict[str, tuple[int, int, int, str]] = {}
        prefixes = [ANY, *(hs_code[:k] for k in range(1, len(hs_code) + 1))]
        for prefix in prefixes:
            for row, rank, window in self._by_prefix.get(prefix, ()):
                if window >= 0 and not mask[window]:
                    continue
                order = (row.prefix_length, rank, 1 if row.variant else 0, row.id)
                group = row.stacking_group
                if group not in best or order > best[group]:
                    best[group] = order
                    chosen[group] = row
        off: dict[str, str] = {}
        for group, row in sorted(chosen.items()):
            for target in row.excluded_groups:
                for other in chosen if target == ANY else [target]:
                    if other != group and other in chosen:
                        off.setdefault(other, row.id)
        choice = LayerChoice(
            tuple((row, off.get(group, "")) for group, row in sorted(chosen.items())),
            any(r.layer != "additional" for r in chosen.values()),
        )
        if len(self._choices) > MEMO_MAX:
            self._choices.clear()
        self._choices[key] = choice
        return choice


class CustomsIndex:
    """A network's customs tables as memoized lookups (see the module docstring).

    Build it with :func:`index_of`, which keeps it on the network.
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        self._codes = frozenset(network.country_by_code)
        # each territory's rows in table order, with their parsed origin and channel cells
        # (the records keep them as canonical text)
        self._layers: dict[str, list[tuple[TariffLayer, tuple[str, ...], frozenset[str]]]] = {}
        for row in network.tariff_layers:
            parsed = (row, row.origins, row.channel_set)
            self._layers.setdefault(row.territory, []).append(parsed)
        # the days a territory's rows start or stop being in force: between two of them
        # the same rows are in force, so candidates are kept per period, not per day
        self._changes: dict[str, list[dt.date]] = {}
        for territory, rows in self._layers.items():
            days = {row.valid_from for row, _, _ in rows}
            days |= {
                row.valid_to + dt.timedelta(days=1)
                for row, _, _ in rows
                if row.valid_to is not None and row.valid_to < dt.date.max
            }
            self._changes[territory] = sorted(days)
        self._regions = {x.node: x.region for x in reversed(network.node_regions)}
        self._candidates: dict[tuple[Any, ...], LayerCandidates] = {}
        self._rules: dict[tuple[Any, ...], CustomsRule | None] = {}
        self._duty: dict[tuple[str, str, str], float] = {}
        self._taxes: dict[tuple[Any, ...], tuple[tuple[ImportTax, ...], tuple[str, ...]]] = {}
        self._fees: dict[tuple[str, str, dt.date], tuple[ImportFee, ...]] = {}
        self._cif: dict[str, bool] = {}
        self._differ: dict[tuple[Any, ...], bool] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as None: the network it belongs to rebuilds it on first use (a batch
        worker's quoter arrives without memo tables, and without a reference cycle to
        restore before the network's own state)."""
        return (type(None), ())

    def has_layers(self, territory: str) -> bool:
        """Whether the network has any tariff layer row for ``territory``."""
        return territory in self._layers

    def layer_candidates(
        self,
        territory: str,
        origin: str,
        channel: TradeChannel,
        day: dt.date,
        variants: frozenset[str],
    ) -> LayerCandidates:
        """The rows of ``territory`` in force on ``day`` for ``channel``, the selected
        ``variants`` and ``origin`` (exact country, its territory as a group, or ``*``),
        each with the rank of its most specific matching origin token (country 2,
        group 1, ``*`` 0), in table order."""
        period = bisect_right(self._changes.get(territory, []), day)
        key = (territory, origin, channel, period, variants)
        hit = self._candidates.get(key)
        if hit is not None:
            return hit
        network = self.network
        origin_country = network.country_by_code.get(origin)
        group = origin_country.territory if origin_country else origin
        rows: list[tuple[TariffLayer, int]] = []
        for row, origins, channels in self._layers.get(territory, ()):
            if not row.in_force(day):
                continue
            if row.channels and channel not in channels:
                continue
            if row.variant and row.variant not in variants:
                continue
            ranks = [origin_rank(t, self._codes) for t in origins if t in (ANY, origin, group)]
            if ranks:
                rows.append((row, max(ranks)))
        hit = LayerCandidates(rows)
        if len(self._candidates) > MEMO_MAX:
            self._candidates.clear()
        self._candidates[key] = hit
        return hit

    def customs_rule(
        self, territory: str, channel: Channel, origin: str, day: dt.date
    ) -> CustomsRule | None:
        """:meth:`Network.customs_rule`, memoized."""
        key = (territory, channel, origin, day)
        if key in self._rules:
            return self._rules[key]
        if len(self._rules) > MEMO_MAX:
            self._rules.clear()
        rule = self._rules[key] = self.network.customs_rule(territory, channel, origin, day)
        return rule

    def duty_rate(self, category: str, territory: str, origin: str) -> float:
        """:meth:`Network.duty_rate`, memoized."""
        key = (category, territory, origin)
        hit = self._duty.get(key)
        if hit is None:
            hit = self._duty[key] = self.network.duty_rate(category, territory, origin)
        return hit

    def region_of(self, node_id: str) -> str:
        """:meth:`Network.region_of` (the first row listed for the node), from a dict."""
        return self._regions.get(node_id, "")

    def taxes_in_force(
        self,
        country: str,
        region: str,
        day: dt.date,
        variants: frozenset[str] = frozenset(),
    ) -> tuple[tuple[ImportTax, ...], tuple[str, ...]]:
        """:func:`optimizer.costing.taxes.taxes_in_force`, memoized."""
        key = (country, region, day, variants)
        hit = self._taxes.get(key)
        if hit is None:
            if len(self._taxes) > MEMO_MAX:
                self._taxes.clear()
            hit = self._taxes[key] = taxes_in_force(self.network, country, region, day, variants)
        return hit

    def fees_in_force(self, territory: str, channel: str, day: dt.date) -> tuple[ImportFee, ...]:
        """:func:`optimizer.costing.taxes.fees_in_force`, memoized."""
        key = (territory, channel, day)
        hit = self._fees.get(key)
        if hit is None:
            if len(self._fees) > MEMO_MAX:
                self._fees.clear()
            hit = self._fees[key] = fees_in_force(self.network, territory, channel, day)
        return hit

    def freight_in_tax_base(self, country: str) -> bool:
        """:func:`optimizer.costing.taxes.freight_in_tax_base`, memoized."""
        hit = self._cif.get(country)
        if hit is None:
            hit = self._cif[country] = freight_in_tax_base(self.network, country)
        return hit

    def channels_differ(
        self, territory: str, day: dt.date, a: TradeChannel, b: TradeChannel
    ) -> bool:
        """Whether some layer or fee row (``import_fees.csv``) of ``territory`` in force on
        ``day`` applies to one of the two channels and not the other (else both are priced
        alike: callers may share one assessment, as the quote does for postal and express
        parcels)."""
        key = (territory, day, a, b)
        hit = self._differ.get(key)
        if hit is None:
            layers = [row for row, _, _ in self._layers.get(territory, ())]
            if len(self._differ) > MEMO_MAX:
                self._differ.clear()
            hit = self._differ[key] = any(
                x.in_force(day) and x.applies_to_channel(a) != x.applies_to_channel(b)
                for x in layers
            ) or any(
                x.territory == territory
                and x.in_force(day)
                and x.applies_to_channel(a) != x.applies_to_channel(b)
                for x in self.network.import_fees
            )
        return hit


def index_of(network: Network) -> CustomsIndex:
    """The network's :class:`CustomsIndex`, built on first use and kept by the network
    (its ``customs_index`` slot; a network made by ``dataclasses.replace`` starts empty)."""
    index = network.customs_index
    if not isinstance(index, CustomsIndex):
        index = CustomsIndex(network)
        object.__setattr__(network, "customs_index", index)  # a derived field, like node_by_id
    return index
