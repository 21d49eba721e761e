"""Frozen, typed records of a logistics network.

Every stage after reading sees only these records. Units are fixed (see
``networks/README.md``): kilograms, cubic metres, days, kilometres; money is in
the currency named on the record and converted to US dollars (the model's
base currency) with :class:`Network.to_usd`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from dataclasses import dataclass, field, replace
from enum import StrEnum

from optimizer.errors import InputError, Problem
from optimizer.fields import WEEKDAYS
from optimizer.network.fx import FxRate, FxUse, rates_on
from optimizer.network.import_taxes import ImportFee, ImportTax, NodeRegion
from optimizer.network.tariff_layers import TariffLayer


class NodeKind(StrEnum):
    ORIGIN_WAREHOUSE = "origin_warehouse"
    WAREHOUSE = "warehouse"
    SEAPORT = "seaport"
    AIRPORT = "airport"
    RAIL_TERMINAL = "rail_terminal"
    BORDER_CROSSING = "border_crossing"
    BONDED_ZONE = "bonded_zone"
    OVERSEAS_WAREHOUSE = "overseas_warehouse"
    HUB = "hub"
    MARKET = "market"

    @property
    def holds_stock(self) -> bool:
        return self in (NodeKind.BONDED_ZONE, NodeKind.OVERSEAS_WAREHOUSE)


class Mode(StrEnum):
    EXPRESS = "express"
    POSTAL = "postal"
    AIR = "air"
    SEA_FCL = "sea_fcl"
    SEA_LCL = "sea_lcl"
    RAIL = "rail"
    TRUCK = "truck"
    LAST_MILE = "last_mile"


class Scope(StrEnum):
    PARCEL = "parcel"
    BULK = "bulk"
    ANY = "any"

    def carries_parcels(self) -> bool:
        return self in (Scope.PARCEL, Scope.ANY)

    def carries_bulk(self) -> bool:
        return self in (Scope.BULK, Scope.ANY)


class TariffBasis(StrEnum):
    PER_PARCEL = "per_parcel"
    PER_KG = "per_kg"
    PER_WM = "per_wm"
    PER_CONTAINER = "per_container"


class Channel(StrEnum):
    PARCEL = "parcel"
    BONDED = "bonded"
    COMMERCIAL = "commercial"


class DutyBelow(StrEnum):
    EXEMPT = "exempt"
    RATE = "rate"
    FLAT = "flat"


class TaxBelow(StrEnum):
    EXEMPT = "exempt"
    BORDER = "border"
    POINT_OF_SALE = "point_of_sale"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    name: str
    kind: NodeKind
    country: str
    lat: float
    lon: float
    handling_days: float = 0.0
    handling_cost_per_kg: float = 0.0
    customs_days: float = 0.0
    inspection_rate: float = 0.0
    inspection_delay_days: float = 0.0
    clearance_capacity_orders_per_day: float | None = None
    throughput_kg_per_week: float | None = None
    storage_cost_per_m3_day: float = 0.0
    storage_capacity_m3: float | None = None
    release_cost_per_order: float = 0.0
    release_days: float = 0.0
    source: str = ""


@dataclass(frozen=True, slots=True)
class WeightBreak:
    min_chargeable_kg: float
    price_per_kg: float


@dataclass(frozen=True, slots=True)
class Tariff:
    id: str
    basis: TariffBasis
    currency: str
    volumetric_divisor_cm3_per_kg: float | None = None
    first_weight_kg: float | None = None
    first_weight_price: float | None = None
    additional_step_kg: float | None = None
    additional_step_price: float | None = None
    price_per_kg: float | None = None
    minimum_charge: float = 0.0
    max_piece_kg: float | None = None
    container_price: float | None = None
    container_capacity_kg: float | None = None
    container_capacity_m3: float | None = None
    fuel_surcharge_pct: float = 0.0
    handling_per_shipment: float = 0.0
    breaks: tuple[WeightBreak, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class Lane:
    id: str
    origin: str
    dest: str
    mode: Mode
    carrier: str
    scope: Scope
    tariff: str
    transit_mean_days: float
    transit_p90_days: float
    co2e_kg_per_tkm: float
    distance_km: float
    service: str = ""
    departures_per_week: float = 7.0
    capacity_kg_per_week: float | None = None
    capacity_m3_per_week: float | None = None
    corridor: tuple[str, ...] = ()
    source: str = ""
    #: Fixed departure weekdays in canonical form ``"Mon;Thu"`` ("" = none fixed). Kept as
    #: text so the record exports and re-reads unchanged; :attr:`weekdays` gives numbers.
    departure_weekdays: str = ""
    #: Hours before a departure the cargo must be at the origin node (order routing).
    cutoff_hours: float = 0.0

    @property
    def weekdays(self) -> tuple[int, ...]:
        """Fixed departure weekdays as numbers (0 = Monday), empty when none are fixed."""
        return tuple(WEEKDAYS.index(d) for d in self.departure_weekdays.split(";") if d)


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    territory: str
    currency: str
    #: Import VAT/GST of a network without ``import_taxes.csv`` (None: the table decides).
    import_vat_rate: float | None
    valuation: str  # "fob" or "cif"
    source: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    hs_chapter: str
    consumption_tax_rate_cn: float = 0.0
    source: str = ""
    #: Representative HS code priced by the tariff layers ("" = the chapter).
    hs_code: str = ""

    @property
    def tariff_code(self) -> str:
        """The HS code the tariff layers price this category at."""
        return self.hs_code or self.hs_chapter


@dataclass(frozen=True, slots=True)
class DutyRate:
    category: str
    territory: str
    duty_rate: float
    origin: str = "*"
    note: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class CustomsRule:
    id: str
    territory: str
    channel: Channel
    valid_from: dt.date
    threshold_value: float
    threshold_currency: str
    duty_below: DutyBelow
    tax_below: TaxBelow
    origin: str = "*"
    valid_to: dt.date | None = None
    flat_duty: float = 0.0
    duty_factor: float = 1.0
    tax_factor: float = 1.0
    clearance_fee: float = 0.0
    note: str = ""
    source: str = ""
    #: Id of the assumption (:class:`Assumption`) the clearance fee rests on ("" = none).
    fee_assumption: str = ""

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class FxSource:
    """Where an exchange rate comes from (fx.csv's ``as_of`` and ``source``)."""

    currency: str
    as_of: dt.date | None
    source: str | None


class AssumptionKind(StrEnum):
    FEE = "fee"  # a clearance fee that rests on it: switchable by what_if.assumptions
    MODEL = "model"  # how the model computes something: named and sourced, not switchable


@dataclass(frozen=True, slots=True)
class Assumption:
    """A named, dated, sourced assumption of the network data (``assumptions.csv``)."""

    id: str
    kind: AssumptionKind
    name: str
    as_of: dt.date
    description: str
    source: str


@dataclass(frozen=True)
class Network:
    """A validated network: every reference resolves, ids are unique, tuples are sorted by id.

    The reader checks a network's files cell by cell (with file and line); the record
    checks its own invariants (unique ids, resolved references) after *every*
    construction, ``dataclasses.replace`` included (what-ifs, the quoter's lane filters,
    tests), so no path builds a network whose lanes point nowhere.
    """

    name: str
    nodes: tuple[Node, ...]
    lanes: tuple[Lane, ...]
    tariffs: tuple[Tariff, ...]
    countries: tuple[Country, ...]
    fx_per_usd: tuple[tuple[str, float], ...]
    categories: tuple[Category, ...]
    duty_rates: tuple[DutyRate, ...]
    customs_rules: tuple[CustomsRule, ...]
    #: Date and source of each rate in ``fx_per_usd`` (kept so a writer need not re-read fx.csv).
    fx_sources: tuple[FxSource, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    #: Dated duty layers by HS prefix (``tariff_layers.csv``; empty when the network has none).
    tariff_layers: tuple[TariffLayer, ...] = ()
    #: Dated import VAT/GST by country and region (``import_taxes.csv``; empty = the
    #: countries' ``import_vat_rate``), fees per customs entry (``import_fees.csv``).
    import_taxes: tuple[ImportTax, ...] = ()
    import_fees: tuple[ImportFee, ...] = ()
    #: Sub-national regions of nodes (``node_regions.csv``), sorted by node.
    node_regions: tuple[NodeRegion, ...] = ()
    #: Every row of fx.csv, sorted by (currency, as_of); ``fx_per_usd`` holds the rows in
    #: force on ``fx_day`` (the latest rows when ``fx_day`` is None). See :meth:`fx_on`.
    fx_history: tuple[FxRate, ...] = ()
    fx_day: dt.date | None = None
    node_by_id: dict[str, Node] = field(init=False, repr=False, compare=False)
    lane_by_id: dict[str, Lane] = field(init=False, repr=False, compare=False)
    tariff_by_id: dict[str, Tariff] = field(init=False, repr=False, compare=False)
    country_by_code: dict[str, Country] = field(init=False, repr=False, compare=False)
    category_by_id: dict[str, Category] = field(init=False, repr=False, compare=False)
    assumption_by_id: dict[str, Assumption] = field(init=False, repr=False, compare=False)
    #: Units per USD by currency (``fx_per_usd`` as a dict, for :meth:`to_usd`/:meth:`from_usd`).
    fx_rate: dict[str, float] = field(init=False, repr=False, compare=False)
    #: Lookup index of the customs tables (:func:`optimizer.costing.index.index_of`), built
    #: on first use; None until then and in a network made by ``dataclasses.replace``.
    customs_index: object = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "node_by_id", {n.id: n for n in self.nodes})
        object.__setattr__(self, "lane_by_id", {lane.id: lane for lane in self.lanes})
        object.__setattr__(self, "tariff_by_id", {t.id: t for t in self.tariffs})
        object.__setattr__(self, "country_by_code", {c.code: c for c in self.countries})
        object.__setattr__(self, "category_by_id", {c.id: c for c in self.categories})
        object.__setattr__(self, "assumption_by_id", {a.id: a for a in self.assumptions})
        object.__setattr__(self, "fx_rate", dict(self.fx_per_usd))
        object.__setattr__(self, "customs_index", None)
        broken = self.invariant_problems()
        if broken:
            raise InputError([Problem(f"network {self.name!r}", text) for text in broken])

    def invariant_problems(self) -> list[str]:
        """What breaks the record's invariants: repeated ids, references that do not resolve."""
        out: list[str] = []
        for what, ids, index in (
            ("node", [n.id for n in self.nodes], self.node_by_id),
            ("lane", [x.id for x in self.lanes], self.lane_by_id),
            ("tariff", [t.id for t in self.tariffs], self.tariff_by_id),
            ("country", [c.code for c in self.countries], self.country_by_code),
            ("category", [c.id for c in self.categories], self.category_by_id),
            ("currency", [c for c, _ in self.fx_per_usd], dict(self.fx_per_usd)),
            (
                "customs rule",
                [r.id for r in self.customs_rules],
                {r.id for r in self.customs_rules},
            ),
            ("assumption", [a.id for a in self.assumptions], self.assumption_by_id),
        ):
            if len(ids) != len(index):
                twice = sorted({i for i in ids if ids.count(i) > 1})
                out.append(f"{what} ids repeated: {', '.join(twice)}")
        fx = dict(self.fx_per_usd)
        refs: list[tuple[str, str, str, Container[str]]] = [
            *((f"node {n.id}", "country", n.country, self.country_by_code) for n in self.nodes),
            *((f"lane {x.id}", "from", x.origin, self.node_by_id) for x in self.lanes),
            *((f"lane {x.id}", "to", x.dest, self.node_by_id) for x in self.lanes),
            *((f"lane {x.id}", "tariff", x.tariff, self.tariff_by_id) for x in self.lanes),
            *((f"tariff {t.id}", "currency", t.currency, fx) for t in self.tariffs),
            *((f"country {c.code}", "currency", c.currency, fx) for c in self.countries),
            *(
                (
                    f"duty rate {d.category}/{d.territory}",
                    "category",
                    d.category,
                    self.category_by_id,
                )
                for d in self.duty_rates
            ),
            *((f"fx source {f.currency}", "currency", f.currency, fx) for f in self.fx_sources),
            *(
                (f"tariff layer {t.id}", "currency", t.currency, fx)
                for t in self.tariff_layers
                if t.currency is not None
            ),
            *(
                (f"import tax {t.id}", "country", t.country, self.country_by_code)
                for t in self.import_taxes
            ),
            *((f"import fee {f.id}", "currency", f.currency, fx) for f in self.import_fees),
            *(
                (f"node region {x.node}", "node", x.node, self.node_by_id)
                for x in self.node_regions
            ),
            *(
                (f"customs rule {r.id}", "threshold_currency", r.threshold_currency, fx)
                for r in self.customs_rules
            ),
            *(
                (f"customs rule {r.id}", "fee_assumption", r.fee_assumption, self.assumption_by_id)
                for r in self.customs_rules
                if r.fee_assumption
            ),
        ]
        for owner, field_name, value, known in refs:
            if value not in known:
                out.append(f"{owner}: {field_name} {value!r} does not resolve")
        return out

    def to_usd(self, amount: float, currency: str) -> float:
        """Convert ``amount`` of ``currency`` to US dollars."""
        return amount / self.fx_rate[currency]

    def from_usd(self, amount: float, currency: str) -> float:
        return amount * self.fx_rate[currency]

    def region_of(self, node_id: str) -> str:
        """Sub-national region of a node (``node_regions.csv``; "" = none listed)."""
        for x in self.node_regions:
            if x.node == node_id:
                return x.region
        return ""

    def fx_on(self, day: dt.date) -> Network:
        """This network converting money at the rates in force on ``day`` (plan or ship date).

        Each currency takes its fx.csv row with the latest ``as_of`` on or before ``day``
        (before its first row: the first row, and :meth:`fx_use` carries a warning). A
        network without dated rows (built in memory) keeps its one rate per currency.
        """
        if self.fx_day == day:
            return self  # already pinned to that day (read_scenario, then prepare)
        if not self.fx_history:
            return replace(self, fx_day=day)
        picked = rates_on(self.fx_history, day)
        return replace(
            self,
            fx_per_usd=tuple((c, x.per_usd) for c, x in sorted(picked.items())),
            fx_sources=tuple(FxSource(c, x.as_of, x.source) for c, x in sorted(picked.items())),
            fx_day=day,
        )

    def per_usd_on(self, currency: str, day: dt.date) -> float:
        """Units of ``currency`` per USD in force on ``day``, without pinning the network
        (a batch converts each row's declared value at its own ship date)."""
        if not self.fx_history:
            return dict(self.fx_per_usd)[currency]
        own = (x for x in self.fx_history if x.currency == currency)
        return rates_on(own, day)[currency].per_usd

    def fx_use(self, currency: str) -> FxUse:
        """The rate ``currency`` is converted at here, with its date and source (for outputs)."""
        meta = {f.currency: f for f in self.fx_sources}.get(currency)
        return FxUse(
            currency,
            dict(self.fx_per_usd)[currency],
            None if meta is None else meta.as_of,
            "" if meta is None or meta.source is None else meta.source,
            self.fx_day,
        )

    def territory_of(self, node_id: str) -> str:
        return self.country_by_code[self.node_by_id[node_id].country].territory

    def duty_rate(self, category: str, territory: str, origin: str) -> float:
        """Ad valorem duty for a category entering ``territory`` from ``origin``.

        0 if unlisted — but a network read from disk has a rate for every case a
        route can reach (:mod:`optimizer.network.coverage`), so that fallback only
        serves networks built in memory (tests).
        """
        best: DutyRate | None = None
        for rate in self.duty_rates:
            if rate.category != category or rate.territory != territory:
                continue
            if rate.origin == origin:
                return rate.duty_rate
            if rate.origin == "*":
                best = rate
        return best.duty_rate if best else 0.0

    def customs_rule(
        self, territory: str, channel: Channel, origin: str, day: dt.date
    ) -> CustomsRule | None:
        """The rule in force on ``day``; a rule for the exact origin wins over ``*``."""
        generic: CustomsRule | None = None
        for rule in self.customs_rules:
            if rule.territory != territory or rule.channel != channel or not rule.in_force(day):
                continue
            if rule.origin == origin:
                return rule
            if rule.origin == "*":
                generic = rule
        return generic
