"""Scheduled services from a network folder: lanes become :class:`ScheduledService` records.

An orders scenario may name a ``network:`` (``networks/global``, say) instead
of, or besides, a services CSV. Each lane that carries consignments (scope
``bulk`` or ``any``) and lies on some path from an order's origin to an order's
destination becomes one scheduled service. The conventions (documented in
``docs/route.md``, *Orders on a network*) are:

* **Schedule** -- the lane's ``departure_weekdays``; a lane without fixed
  weekdays departs every day.
* **Time** -- goods must be at the lane's origin node ``ceil(max(cutoff_hours /
  24, handling_days of the origin node))`` days before departure (the cut-off
  and the node's handling overlap; the longer applies); the leg arrives
  ``ceil(transit + clearance)`` days after departure, transit being the lane's
  mean (or P90) and clearance the destination node's ``customs_days`` when the
  lane enters another customs territory.
* **Money** (USD) -- ``per_container`` tariffs: containers of the tariff's
  ``container_capacity_m3`` at :func:`~optimizer.costing.tariff.container_cost_usd`
  each (price + fuel + per-container handling), no fixed charge per departure.
  ``per_kg`` and ``per_wm`` tariffs: billing units of 1 m3 priced at the
  consolidated marginal rate (:func:`~optimizer.costing.tariff.marginal_rate_per_kg`)
  times the orders' mean density, plus ``handling_per_shipment`` once per used
  departure (one consolidated shipment per departure). Minimum charges and
  ``per_parcel`` lanes are left out.
* **Waiting** -- goods may wait at stock-holding and origin nodes at the node's
  ``storage_cost_per_m3_day`` (0 when empty: one's own warehouse) and at
  terminals (ports, airports, rail terminals, border crossings, hubs) at
  :data:`TERMINAL_DWELL_USD_PER_M3_DAY`; never at markets.
* **Duties and import taxes** are assessed once per order, by journey (origin
  node's country to destination node's country), with
  :func:`optimizer.costing.customs.assess` on the commercial channel on the
  ready date, freight excluded from the customs value; none when both ends are
  in one customs territory.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from optimizer.costing.customs import assess
from optimizer.costing.tariff import container_cost_usd, marginal_rate_per_kg
from optimizer.network.records import Channel, Lane, Network, NodeKind, TariffBasis
from optimizer.orders.records import Order, ScheduledService, lead_days

#: Dwell rate at terminals (USD per m3 and day): container-yard / CFS storage beyond the free
#: time, order of magnitude USD 20-35 per 40' box and day. Assumption; it also makes goods
#: wait at their own warehouse rather than at the port when both are possible.
TERMINAL_DWELL_USD_PER_M3_DAY = 0.5
#: Density used to price per_kg / per_wm lanes when the orders carry no weights (kg/m3).
DEFAULT_DENSITY_KG_PER_M3 = 200.0
#: Nodes where goods wait at the node's own storage rate.
STOCK_KINDS = frozenset(
    {
        NodeKind.ORIGIN_WAREHOUSE,
        NodeKind.WAREHOUSE,
        NodeKind.BONDED_ZONE,
        NodeKind.OVERSEAS_WAREHOUSE,
    }
)
TRANSIT_CHOICES = ("mean", "p90")
ROUTE_CHOICES = ("candidates", "all")


@dataclass(frozen=True, slots=True)
class NetworkOptions:
    """How a scenario uses its network: which transit figure and which modes."""

    transit: str = "mean"  # "mean" or "p90"
    modes: frozenset[str] | None = None  # None = every mode that carries consignments
    routes: str = "candidates"  # or "all": the full time-expanded network (exact, slow)


def mean_density(orders: Iterable[Order]) -> float:
    """The orders' mean density (total kg / total m3); the default when they carry no weights."""
    orders = list(orders)
    kg = sum(o.weight_kg for o in orders)
    m3 = sum(o.volume_m3 for o in orders)
    return kg / m3 if kg > 0 and m3 > 0 else DEFAULT_DENSITY_KG_PER_M3


def dwell_rate(network: Network, node_id: str) -> float | None:
    """USD per m3 and day for goods waiting at ``node_id``; None where they may not wait."""
    node = network.node_by_id[node_id]
    if node.kind is NodeKind.MARKET:
        return None
    if node.kind in STOCK_KINDS:
        return node.storage_cost_per_m3_day or 0.0
    return TERMINAL_DWELL_USD_PER_M3_DAY


def carries_consignments(network: Network, lane: Lane) -> bool:
    """Bulk-capable lanes whose tariff can be put per container or per m3."""
    basis = network.tariff_by_id[lane.tariff].basis
    return lane.scope.carries_bulk() and basis is not TariffBasis.PER_PARCEL


def lane_service(
    network: Network, lane: Lane, *, density_kg_per_m3: float, transit: str = "mean"
) -> ScheduledService:
    """One lane as a scheduled service (conventions in the module docstring)."""
    origin, dest = network.node_by_id[lane.origin], network.node_by_id[lane.dest]
    tariff = network.tariff_by_id[lane.tariff]
    days = lane.transit_p90_days if transit == "p90" else lane.transit_mean_days
    clearance = 0.0
    if network.territory_of(lane.origin) != network.territory_of(lane.dest):
        clearance = dest.customs_days
    before = max(lane.cutoff_hours / 24.0, origin.handling_days)
    if tariff.basis is TariffBasis.PER_CONTAINER:
        size = tariff.container_capacity_m3 or 1.0
        per_unit, fixed = container_cost_usd(tariff, network), 0.0
    else:
        size = 1.0
        per_unit = density_kg_per_m3 * marginal_rate_per_kg(
            tariff, network, density_kg_per_m3=density_kg_per_m3
        )
        fixed = network.to_usd(tariff.handling_per_shipment, tariff.currency)
    weekdays = frozenset(lane.weekdays) or frozenset(range(7))
    return ScheduledService(
        id=lane.id,
        origin=lane.origin,
        dest=lane.dest,
        mode=str(lane.mode),
        carrier=lane.carrier,
        container_m3=size,
        fixed_cost_per_departure=fixed,
        cost_per_container=per_unit,
        warehouse_cost_per_m3_day=dwell_rate(network, lane.origin),
        transit_duty_rate=0.0,
        lead_days=lead_days(days * 24.0, clearance * 24.0),
        weekdays=weekdays,
        cutoff_days=max(0, math.ceil(round(before, 9))),
    )


def relevant_lanes(
    network: Network, orders: Iterable[Order], options: NetworkOptions
) -> list[Lane]:
    """Consignment lanes on some path from an order's origin to an order's destination.

    Lanes nothing can use are left out, which keeps the timetable (and the
    explanations' searches) small on a large network.
    """
    orders = list(orders)
    lanes = [
        lane
        for lane in network.lanes
        if carries_consignments(network, lane)
        and (options.modes is None or str(lane.mode) in options.modes)
    ]
    succ: dict[str, set[str]] = defaultdict(set)
    pred: dict[str, set[str]] = defaultdict(set)
    for lane in lanes:
        succ[lane.origin].add(lane.dest)
        pred[lane.dest].add(lane.origin)
    ahead = _reach({o.origin for o in orders}, succ)
    behind = _reach({o.dest for o in orders}, pred)
    return [lane for lane in lanes if lane.origin in ahead and lane.dest in behind]


def _reach(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    queue = deque(sorted(start))
    while queue:
        for nxt in sorted(edges.get(queue.popleft(), ())):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def network_services(
    network: Network, orders: Iterable[Order], options: NetworkOptions
) -> tuple[ScheduledService, ...]:
    """The scheduled services the orders may use, one per relevant lane, sorted by id."""
    orders = list(orders)
    density = mean_density(orders)
    return tuple(
        lane_service(network, lane, density_kg_per_m3=density, transit=options.transit)
        for lane in sorted(relevant_lanes(network, orders, options), key=lambda x: x.id)
    )


def journey_tax_rate(network: Network, order: Order) -> float:
    """Duties + import taxes + clearance fee of the order's journey, as a fraction of its value.

    Assessed once by journey (origin country -> destination country) on the
    commercial channel on the ready date; 0 inside one customs territory. The
    order's ``commodity`` must be a category of the network.
    """
    o_country = network.node_by_id[order.origin].country
    d_country = network.node_by_id[order.dest].country
    same = (
        network.country_by_code[o_country].territory == network.country_by_code[d_country].territory
    )
    if same or order.value <= 0:
        return 0.0
    charge = assess(
        network,
        dest_country=d_country,
        channel=Channel.COMMERCIAL,
        origin_country=o_country,
        category=order.commodity,
        value_usd=order.value,
        freight_usd=0.0,
        day=order.ready,
        market=order.dest,
    )
    return charge.total / order.value


#: Candidate routes: at most this many legs, the cost/time Pareto front plus this many of the
#: cheapest routes per (origin, dest) pair (see :func:`candidate_routes`).
MAX_LEGS = 5
CHEAPEST_ROUTES = 4


def _route_scores(s: ScheduledService) -> tuple[float, float]:
    """(USD per m3 in full units, days incl. cut-off and the mean wait for a departure)."""
    per_m3 = s.cost_per_container / s.container_m3 + s.fixed_cost_per_departure / 10.0
    headway = 7.0 / max(1, len(s.weekdays)) if not s.dates else 1.0
    return per_m3, s.cutoff_days + s.lead_days + headway / 2.0


def candidate_routes(
    services: tuple[ScheduledService, ...], pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[tuple[str, ...], ...]]:
    """Candidate routes (service-id sequences) per (origin, dest) pair.

    Every simple route of at most :data:`MAX_LEGS` legs is scored by cost per m3
    (full containers, fixed charges spread over 10 m3) and days (cut-off, lead
    time and half the mean headway between departures). Kept: the Pareto front
    of (cost, days) — for each deadline the cheapest route fast enough — plus
    the :data:`CHEAPEST_ROUTES` cheapest routes overall, which give the model
    alternatives to consolidate on. Sorted by cost, deterministic.
    """
    out_of: dict[str, list[ScheduledService]] = defaultdict(list)
    for s in sorted(services, key=lambda x: x.id):
        out_of[s.origin].append(s)
    result: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {}
    for origin, dest in sorted(set(pairs)):
        found: list[tuple[float, float, tuple[str, ...]]] = []
        stack: list[tuple[str, tuple[ScheduledService, ...]]] = [(origin, ())]
        while stack:
            node, path = stack.pop()
            if node == dest:
                cost = sum(_route_scores(s)[0] for s in path)
                days = sum(_route_scores(s)[1] for s in path)
                found.append((cost, days, tuple(s.id for s in path)))
                continue
            if len(path) == MAX_LEGS:
                continue
            seen = {origin} | {s.dest for s in path}
            stack.extend((s.dest, (*path, s)) for s in out_of.get(node, ()) if s.dest not in seen)
        found.sort()
        keep: list[tuple[str, ...]] = [ids for _, _, ids in found[:CHEAPEST_ROUTES]]
        fastest = math.inf
        for _, days, ids in found:  # by cost: a route joins the front when it is faster
            if days < fastest - 1e-9:
                fastest = days
                if ids not in keep:
                    keep.append(ids)
        result[(origin, dest)] = tuple(keep)
    return result
