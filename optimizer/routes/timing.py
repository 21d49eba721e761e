"""A route's import point and lead-time distributions — one composition for every tool.

The optimizer (:mod:`optimizer.routes.evaluate`), the quote command and the
simulator's planning view all assemble a route's lead time the same way:

* direct-package and b2b-direct (the customer waits for everything): handling at the origin,
  then per lane the wait for its next departure and its transit, handling at
  every transfer node, and import clearance (customs days + inspection delay)
  at the first node inside the market's customs territory;
* domestic: the same without import clearance (nothing is imported);
* stock patterns: the *bulk* leg (origin handling, lanes, transfers, import
  clearance at the entry node) feeds inventory; the customer waits only for
  release at the stock node (+ the per-order declaration at a bonded zone) and
  the last-mile lane.

Parts are the cached distributions of :mod:`optimizer.costing.leadtime`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from optimizer.costing import leadtime as lt
from optimizer.network.records import Lane, Network, Node
from optimizer.routes.candidates import Route
from optimizer.scenario.records import Pattern


@dataclass(frozen=True, slots=True)
class RouteTiming:
    """Where a route clears import, and its lead-time distributions."""

    #: first node in the market's customs territory (None: never enters, or a domestic route,
    #: which clears no customs and whose ``customer`` time is still set)
    entry: str | None
    entry_index: int  # index of the lane arriving at ``entry`` (-1: never enters)
    customer: lt.LeadTime | None  # what the customer waits for (None when ``entry`` is None)
    bulk_parts: tuple[lt.LeadTime, ...]  # stock patterns: independent parts of the bulk leg


def route_timing(network: Network, route: Route) -> RouteTiming:
    nodes = network.node_by_id
    lanes = [network.lane_by_id[x] for x in route.lanes]
    market = lanes[-1].dest
    if not route.pattern.clears_customs:  # domestic: nothing is imported, no clearance
        legs = tuple((lane, nodes[lane.dest]) for lane in lanes)
        return RouteTiming(None, -1, _direct_time(nodes[lanes[0].origin], legs, "", market), ())
    territory = network.territory_of(market)
    entry_index = next(
        (i for i, lane in enumerate(lanes) if network.territory_of(lane.dest) == territory), -1
    )
    if entry_index < 0:
        return RouteTiming(None, -1, None, ())
    entry = lanes[entry_index].dest
    origin = nodes[lanes[0].origin]
    if not route.pattern.uses_stock:  # direct-package, b2b-direct: the customer waits for all
        legs = tuple((lane, nodes[lane.dest]) for lane in lanes)
        return RouteTiming(entry, entry_index, _direct_time(origin, legs, entry, market), ())
    n_bulk = len(route.bulk_lanes)
    parts = [lt.handling_time(origin)]
    for i, lane in enumerate(lanes[:n_bulk]):
        parts += leg_parts(lane, nodes[lane.dest], entering=i == entry_index, at_market=False)
    stock = nodes[route.stock_node or ""]
    customer = release_time(stock, tuple(lanes[n_bulk:]), route.pattern is Pattern.BONDED)
    return RouteTiming(entry, entry_index, customer, tuple(parts))


def leg_parts(lane: Lane, head: Node, *, entering: bool, at_market: bool) -> list[lt.LeadTime]:
    """What one lane adds: departure wait + transit, import clearance at the entry node,
    handling at the head node unless it is the market."""
    parts = [lt.lane_time(lane)]
    if entering:
        parts.append(lt.clearance_time(head))
    if not at_market:
        parts.append(lt.handling_time(head))
    return parts


@lru_cache(maxsize=65536)
def _direct_time(
    origin: Node, legs: tuple[tuple[Lane, Node], ...], entry: str, market: str
) -> lt.LeadTime:
    """Customer lead time of a direct route (records are hashable: one convolution per route)."""
    parts = [lt.handling_time(origin)]
    for lane, head in legs:
        parts += leg_parts(lane, head, entering=head.id == entry, at_market=head.id == market)
    return lt.running_total(tuple(parts))


@lru_cache(maxsize=65536)
def release_time(stock: Node, last_mile: tuple[Lane, ...], bonded: bool) -> lt.LeadTime:
    """Release at the stock node (+ per-order declaration if bonded) + the last-mile lanes."""
    parts = [lt.LeadTime.constant(stock.release_days)]
    if bonded:
        parts.append(lt.clearance_time(stock))
    return lt.running_total((*parts, *(lt.lane_time(lane) for lane in last_mile)))
