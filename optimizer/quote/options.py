"""One quoted option: a candidate route priced for one shipment, leg by leg.

Lead times follow the same composition as :mod:`optimizer.routes.evaluate`:
direct-package = origin handling + per lane (waiting + transit, import
clearance at the entry node, handling at every node before the market); via
stock the customer waits for release (+ per-order clearance in a bonded zone)
+ last mile, and the bulk leg's own lead time is shown separately.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.costing import leadtime as lt
from optimizer.costing.emissions import co2e_kg
from optimizer.costing.tariff import LegCharge
from optimizer.network.records import Lane, Mode, Network
from optimizer.quote.pricing import ShipmentPricer, entry_is_postal
from optimizer.routes.candidates import Route
from optimizer.routes.timing import route_timing
from optimizer.scenario.records import Pattern

#: Option groups. ``ship-now``: door to door for this shipment (direct-package).
#: ``from-stock``: served from bonded or overseas-warehouse stock; its lead time
#: starts at the shelf and it presumes the stock is there (replenished by a bulk
#: leg with its own lead time, at the stock cost included in the landed cost).
SHIP_NOW, FROM_STOCK = "ship-now", "from-stock"
GROUPS = (SHIP_NOW, FROM_STOCK)


def group_of(pattern: Pattern) -> str:
    """The option group of a fulfilment pattern (tags and dominance are computed within it)."""
    return FROM_STOCK if pattern.uses_stock else SHIP_NOW


@dataclass(frozen=True, slots=True)
class LegQuote:
    """One lane of an option and what it charges this shipment."""

    lane: str
    origin: str
    dest: str
    mode: str
    carrier: str
    role: str  # "bulk" (stock moved ahead of demand) | "order" (the order rides it)
    chargeable_kg: float
    rule: str  # what set the chargeable weight: actual | volumetric | container share
    freight_usd: float
    fuel_usd: float
    handling_usd: float


@dataclass(frozen=True, slots=True)
class Option:
    """A priced route. Money in USD; days are customer-facing lead time."""

    pattern: Pattern
    route: str  # route key, e.g. "direct-package:TRK_SZ_AIR>AIR_CN_US>LM_US"
    legs: tuple[LegQuote, ...]
    freight_usd: float
    fuel_usd: float
    handling_usd: float  # tariff handling + node handling per kg
    brokerage_usd: float  # customs entry fee
    duty_usd: float
    tax_usd: float  # import VAT/GST (or CN comprehensive tax), at the border or at sale
    stock_usd: float  # release, storage and capital in stock (warehouse patterns)
    landed_usd: float
    shipper_usd: float  # what the shipper pays under the incoterm (DAP: no duties/taxes)
    p50_days: float
    p90_days: float
    mean_days: float
    bulk_p50_days: float | None
    bulk_p90_days: float | None
    co2e_kg: float
    treatment: str
    tax_at_border: bool
    pareto: bool = False
    tags: tuple[str, ...] = ()
    variants: int = 0  # other feasible routes of the same group not shown (feeder variants)
    #: Assumption the brokerage fee rests on (assumptions.csv; "" = none): its own charge line.
    fee_assumption: str = ""
    #: HS code the duty was priced at (digits): the shipment's, else its category's.
    hs_code: str = ""
    #: ``brokerage_usd`` as named charge lines (name, USD): the clearance fee under its
    #: assumption id, the fees per entry of import_fees.csv (US merchandise processing fee).
    fees: tuple[tuple[str, float], ...] = ()

    @property
    def group(self) -> str:
        """``ship-now`` or ``from-stock`` (see :data:`GROUPS`)."""
        return group_of(self.pattern)

    @property
    def modes(self) -> str:
        return "+".join(leg.mode for leg in self.legs)

    @property
    def carriers(self) -> str:
        return "+".join(dict.fromkeys(leg.carrier for leg in self.legs))


@dataclass(frozen=True, slots=True)
class RouteFacts:
    """Shipment-independent facts of a route, computed once and cached."""

    lanes: tuple[Lane, ...]
    entry_index: int  # index of the lane whose head is the import point (-1: none)
    customer: lt.LeadTime
    bulk: lt.LeadTime | None
    p50: float = 0.0  # summaries of ``customer`` / ``bulk``, filled by :func:`route_facts`
    p90: float = 0.0
    mean: float = 0.0
    bulk_p50: float | None = None
    bulk_p90: float | None = None
    bulk_mean: float = 0.0


def _times(
    lanes: tuple[Lane, ...], entry: int, customer: lt.LeadTime, bulk: lt.LeadTime | None
) -> RouteFacts:
    return RouteFacts(
        lanes,
        entry,
        customer,
        bulk,
        customer.p50,
        customer.p90,
        customer.mean,
        bulk.p50 if bulk else None,
        bulk.p90 if bulk else None,
        bulk.mean if bulk else 0.0,
    )


def route_facts(network: Network, route: Route, market: str) -> RouteFacts:
    """Entry point and lead-time distributions of ``route`` (the shared composition in
    :mod:`optimizer.routes.timing`, as the optimizer uses it)."""
    lanes = tuple(network.lane_by_id[x] for x in route.lanes)
    timing = route_timing(network, route)
    if timing.customer is None:  # never enters the market's territory
        return _times(lanes, -1, lt.LeadTime.constant(0.0), None)
    bulk = lt.total(timing.bulk_parts) if timing.bulk_parts else None
    return _times(lanes, timing.entry_index, timing.customer, bulk)


def price_option(
    pricer: ShipmentPricer, route: Route, times: RouteFacts
) -> tuple[Option | None, str]:
    """Price ``route`` for the pricer's shipment; (None, reason) when it cannot carry it."""
    s = pricer.shipment
    n_bulk = len(route.bulk_lanes)
    charges: list[LegCharge] = []
    for i, lane in enumerate(times.lanes):
        charge = pricer.bulk_leg(lane) if i < n_bulk else pricer.parcel_leg(lane)
        if not charge.ok:
            return None, f"{lane.carrier} {lane.mode} ({lane.id}): {charge.reason}"
        charges.append(charge)
    if times.entry_index < 0 and route.pattern.clears_customs:
        return None, "route never enters the market's customs territory"
    freight_to_entry = sum(c.total for c in charges[: times.entry_index + 1])
    postal = entry_is_postal(route.pattern, times.lanes, times.entry_index)
    customs = pricer.customs(route.pattern, freight_to_entry, postal)
    if not customs.ok:
        return None, customs.reason
    handling_nodes = [times.lanes[0].origin] + [lane.dest for lane in times.lanes[:-1]]
    node_handling = sum(pricer.handling(n) for n in handling_nodes)
    stock = 0.0
    if route.stock_node is not None and times.bulk is not None:
        stock = pricer.stock_cost(route.stock_node, times.bulk_mean)
    freight = sum(c.freight_usd for c in charges)
    fuel = sum(c.fuel_usd for c in charges)
    handling = sum(c.handling_usd for c in charges) + node_handling
    legs_total = sum(c.total for c in charges)
    landed = legs_total + node_handling + customs.total + stock
    shipper = landed if s.incoterm == "DDP" else landed - customs.total
    legs = tuple(
        LegQuote(
            lane.id,
            lane.origin,
            lane.dest,
            lane.mode.value,
            lane.carrier,
            "bulk" if i < n_bulk else "order",
            c.chargeable_kg,
            c.rule,
            c.freight_usd,
            c.fuel_usd,
            c.handling_usd,
        )
        for i, (lane, c) in enumerate(zip(times.lanes, charges, strict=True))
    )
    co2 = sum(co2e_kg(pricer.weight_kg, x.distance_km, x.co2e_kg_per_tkm) for x in times.lanes)
    option = Option(
        pattern=route.pattern,
        route=route.key,
        legs=legs,
        freight_usd=freight,
        fuel_usd=fuel,
        handling_usd=handling,
        brokerage_usd=customs.fee_usd,
        duty_usd=customs.duty_usd,
        tax_usd=customs.tax_usd,
        stock_usd=stock,
        landed_usd=landed,
        shipper_usd=shipper,
        p50_days=times.p50,
        p90_days=times.p90,
        mean_days=times.mean,
        bulk_p50_days=times.bulk_p50,
        bulk_p90_days=times.bulk_p90,
        co2e_kg=co2,
        treatment=customs.treatment,
        tax_at_border=customs.tax_at_border,
        fee_assumption=customs.fee_assumption,
        hs_code=pricer.hs_code,
        fees=customs.fees,
    )
    return option, ""


_MODE = {mode: mode.value for mode in Mode}
