"""All candidate routes of one (origin, market, pattern) as arrays, priced per shipment at once.

Everything about a route that does not depend on the shipment is computed
once per corridor and kept for every later shipment: which lanes it uses and in
which role (bulk share or the order's own parcel) as a routes × legs index
array, which legs are paid before the import point (customs value), the
handling per kg, release and storage rates, mean bulk days, customer lead-time
P50/P90, CO2e per kg, and the corridor's lane graph for the label search. A
shipment then prices each distinct lane once and every route's landed cost is
a gather-and-sum over that index array — thousands of routes in microseconds,
with no Python loop per route — with exactly the conventions of
:func:`~optimizer.quote.options.price_option` (the reference the tests check against).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.costing import leadtime as lt
from optimizer.network.records import Lane, Network
from optimizer.quote.labels import SearchGraph, SearchSpace, direct_key
from optimizer.quote.options import LegQuote, Option, RouteFacts
from optimizer.quote.pricing import ShipmentPricer, entry_is_postal
from optimizer.routes.candidates import Route
from optimizer.routes.timing import leg_parts, release_time
from optimizer.scenario.records import Pattern

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Corridor:
    pattern: Pattern
    market: str
    routes: tuple[Route, ...]
    times: tuple[RouteFacts, ...]
    columns: tuple[tuple[Lane, bool], ...]  # (lane, priced as a bulk share?)
    #: one (lane, bulk?) per distinct (tariff, bulk?): what a shipment prices (a lane's
    #: charge depends on its tariff only), and the entry of each column in it
    priced: tuple[tuple[Lane, bool], ...]
    price_of: npt.NDArray[np.intp]
    legs: npt.NDArray[np.intp]  # routes × max legs: column of each leg, len(columns) = no leg
    before_entry: npt.NDArray[np.bool_]  # routes × max legs: leg paid up to the import point
    has_entry: npt.NDArray[np.bool_]
    postal: npt.NDArray[np.bool_]  # enters the market's territory on a postal lane
    handling_per_kg: Array
    release_usd: Array
    storage_per_m3_day: Array
    bulk_mean: Array
    p50: Array
    p90: Array
    co2e_per_kg: Array
    group: npt.NDArray[np.int64]  # same group: same pattern, stock node, main leg mode+carrier
    groups: int
    graph: SearchGraph  # the lanes of these routes, for the label search


def build_corridor(
    space: SearchSpace, routes: list[Route], market: str, pattern: Pattern
) -> Corridor:
    """Arrays for ``routes`` (all of one pattern to one market) on the search space's network."""
    network = space.network
    columns: dict[tuple[str, bool], int] = {}
    times = [_route_times(space, network, route, market) for route in routes]
    n = len(routes)
    rows: list[list[int]] = []
    for route in routes:
        n_bulk = len(route.bulk_lanes)
        rows.append(
            [
                columns.setdefault((lane, i < n_bulk), len(columns))
                for i, lane in enumerate(route.lanes)
            ]
        )
    width = max((len(cols) for cols in rows), default=0)
    legs = np.full((n, width), len(columns), dtype=np.intp)  # padding: the zero-cost column
    before = np.zeros((n, width), dtype=bool)
    for r, (cols, t) in enumerate(zip(rows, times, strict=True)):
        legs[r, : len(cols)] = cols
        before[r, : t.entry_index + 1] = True  # entry_index -1: none
    nodes = network.node_by_id
    groups: dict[tuple[str, ...], int] = {}
    group = []
    for route, t in zip(routes, times, strict=True):
        main = max(t.lanes, key=lambda lane: lane.distance_km)
        key = (route.stock_node or "", main.mode.value, main.carrier)
        group.append(groups.setdefault(key, len(groups)))
    stock = [nodes[r.stock_node] if r.stock_node else None for r in routes]
    lanes = tuple((network.lane_by_id[lid], bulk) for lid, bulk in columns)
    tariffs: dict[tuple[str, bool], int] = {}
    price_of = [tariffs.setdefault((lane.tariff, bulk), len(tariffs)) for lane, bulk in lanes]
    first = dict.fromkeys(tariffs.values(), -1)
    for j, k in enumerate(price_of):
        first[k] = j if first[k] < 0 else first[k]
    return Corridor(
        pattern=pattern,
        market=market,
        routes=tuple(routes),
        times=tuple(times),
        columns=lanes,
        priced=tuple(lanes[first[k]] for k in range(len(tariffs))),
        price_of=np.array(price_of, dtype=np.intp),
        legs=legs,
        before_entry=before,
        has_entry=np.array(  # a domestic route enters nothing and needs not
            [t.entry_index >= 0 or not pattern.clears_customs for t in times], dtype=bool
        ),
        postal=np.array(
            [entry_is_postal(pattern, t.lanes, t.entry_index) for t in times], dtype=bool
        ),
        handling_per_kg=np.array(
            [
                sum(
                    nodes[x].handling_cost_per_kg
                    for x in [t.lanes[0].origin] + [lane.dest for lane in t.lanes[:-1]]
                )
                for t in times
            ]
        ),
        release_usd=np.array([s.release_cost_per_order if s else 0.0 for s in stock]),
        storage_per_m3_day=np.array([s.storage_cost_per_m3_day if s else 0.0 for s in stock]),
        bulk_mean=np.array([t.bulk_mean for t in times]),
        p50=np.array([t.p50 for t in times]),
        p90=np.array([t.p90 for t in times]),
        co2e_per_kg=np.array(
            [
                sum(lane.distance_km * lane.co2e_kg_per_tkm for lane in t.lanes) / 1000.0
                for t in times
            ]
        ),
        group=np.array(group, dtype=np.int64),
        groups=len(groups),
        graph=space.graph(pattern, market, routes),
    )


def _route_times(space: SearchSpace, network: Network, route: Route, market: str) -> RouteFacts:
    """Customer lead time (prefix-cached, as the label search builds it) and mean bulk days.

    The bulk leg's own distribution is not built here (only its mean, which
    prices capital in transit); :func:`~optimizer.quote.options.route_facts`
    builds it for the options shown in detail.
    """
    lanes = tuple(network.lane_by_id[x] for x in route.lanes)
    territory = network.territory_of(market)
    entry = next((i for i, x in enumerate(lanes) if network.territory_of(x.dest) == territory), -1)
    time_key = territory
    if not route.pattern.clears_customs:  # domestic: no import clearance anywhere
        entry, time_key = -1, f"{territory}:{route.pattern.value}"
    nodes = network.node_by_id
    origin = nodes[lanes[0].origin]
    if not route.pattern.uses_stock:  # direct-package, b2b-direct, domestic
        time, p90, p50 = lt.handling_time(origin), 0.0, 0.0
        for i, lane in enumerate(lanes):
            key = direct_key(time_key, route.lanes[: i + 1])

            def make(
                lane: Lane = lane, parent: lt.LeadTime = time, entering: bool = i == entry
            ) -> lt.LeadTime:
                return lt.total(
                    [
                        parent,
                        *leg_parts(
                            lane, nodes[lane.dest], entering=entering, at_market=lane.dest == market
                        ),
                    ]
                )

            time, p90, p50 = space.time_of(key, make)
        return _summary(lanes, entry, time, p50, p90, 0.0)
    n_bulk = len(route.bulk_lanes)
    days = lt.handling_time(origin).mean
    for i, lane in enumerate(lanes[:n_bulk]):
        days += lt.lane_time(lane).mean + lt.handling_time(nodes[lane.dest]).mean
        if i == entry:
            days += lt.clearance_time(nodes[lane.dest]).mean
    stock = nodes[route.stock_node or ""]
    last = lanes[-1]

    def customer() -> lt.LeadTime:
        return release_time(stock, (last,), route.pattern is Pattern.BONDED)

    time, p90, p50 = space.time_of((route.pattern.value, stock.id, last.id), customer)
    return _summary(lanes, entry, time, p50, p90, days)


def _summary(
    lanes: tuple[Lane, ...], entry: int, time: lt.LeadTime, p50: float, p90: float, bulk_mean: float
) -> RouteFacts:
    return RouteFacts(lanes, entry, time, None, p50, p90, time.mean, None, None, bulk_mean)


def build_option(
    pricer: ShipmentPricer,
    corridor: Corridor,
    i: int,
    times: RouteFacts,
    *,
    pareto: bool,
    variants: int,
) -> Option:
    """The option of route ``i`` of a priced corridor (same numbers as
    :func:`~optimizer.quote.options.price_option`).

    Uses the lane charges the pricer already holds, so showing an option costs
    little more than the arrays that ranked it.
    """
    route = corridor.routes[i]
    s = pricer.shipment
    n_bulk = len(route.bulk_lanes)
    legs, freight, fuel, handling, entry_freight = [], 0.0, 0.0, 0.0, 0.0
    for k, lane in enumerate(times.lanes):
        bulk = k < n_bulk
        c = pricer.bulk_leg(lane) if bulk else pricer.parcel_leg(lane)
        freight += c.freight_usd
        fuel += c.fuel_usd
        handling += c.handling_usd
        if k <= times.entry_index:
            entry_freight += c.total
        legs.append(
            LegQuote(
                lane.id,
                lane.origin,
                lane.dest,
                lane.mode.value,
                lane.carrier,
                "bulk" if bulk else "order",
                c.chargeable_kg,
                c.rule,
                c.freight_usd,
                c.fuel_usd,
                c.handling_usd,
            )
        )
    postal = entry_is_postal(route.pattern, times.lanes, times.entry_index)
    customs = pricer.customs(route.pattern, entry_freight, postal)
    handling += float(corridor.handling_per_kg[i]) * pricer.weight_kg
    stock = 0.0
    if route.stock_node is not None:
        stock = pricer.stock_cost(route.stock_node, times.bulk_mean)
    landed = freight + fuel + handling + customs.total + stock
    return Option(
        pattern=route.pattern,
        route=route.key,
        legs=tuple(legs),
        freight_usd=freight,
        fuel_usd=fuel,
        handling_usd=handling,
        brokerage_usd=customs.fee_usd,
        duty_usd=customs.duty_usd,
        tax_usd=customs.tax_usd,
        stock_usd=stock,
        landed_usd=landed,
        shipper_usd=landed if s.incoterm == "DDP" else landed - customs.total,
        p50_days=times.p50,
        p90_days=times.p90,
        mean_days=times.mean,
        bulk_p50_days=times.bulk_p50,
        bulk_p90_days=times.bulk_p90,
        co2e_kg=float(corridor.co2e_per_kg[i]) * pricer.weight_kg,
        treatment=customs.treatment,
        tax_at_border=customs.tax_at_border,
        pareto=pareto,
        variants=variants,
        fee_assumption=customs.fee_assumption,
        hs_code=pricer.hs_code,
        fees=customs.fees,
    )
