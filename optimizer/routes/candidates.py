"""Candidate routes per (origin, market, pattern), enumerated from the network graph.

A route is a sequence of lanes:

* **direct-package**: parcel-carrying lanes (scope ``parcel`` or ``any``) from
  the origin to the market, never through a stock-holding node or another
  market;
* **bonded-warehouse / overseas-warehouse**: bulk-carrying lanes (scope
  ``bulk`` or ``any``) from the origin to a stock node of the pattern's kind
  (``bonded_zone`` / ``overseas_warehouse``) in the market's customs
  territory, then one parcel lane (last mile) from that node to the market.

Enumeration is exhaustive over simple paths of at most ``max_legs`` lanes
(parallel lanes of different carriers are distinct routes) that never re-enter
a customs territory once they have left it (no Yantian → Rotterdam → Ningbo →
Los Angeles). It is exact; the
optimizer may later keep only the best ``limit`` per demand (see
:mod:`optimizer.routes.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.network.records import Lane, Network, NodeKind
from optimizer.scenario.records import Pattern

_STOCK_KIND = {Pattern.BONDED: NodeKind.BONDED_ZONE, Pattern.OVERSEAS: NodeKind.OVERSEAS_WAREHOUSE}


@dataclass(frozen=True, slots=True)
class Route:
    """A candidate route; ``bulk_lanes`` is empty for direct-package."""

    pattern: Pattern
    bulk_lanes: tuple[str, ...]  # lanes moving stock to ``stock_node`` (warehouse patterns)
    customer_lanes: tuple[str, ...]  # lanes an order travels after it is placed
    stock_node: str | None

    @property
    def lanes(self) -> tuple[str, ...]:
        return self.bulk_lanes + self.customer_lanes

    @property
    def key(self) -> str:
        return f"{self.pattern.value}:{'>'.join(self.lanes)}"


def _adjacency(network: Network, *, parcel: bool) -> dict[str, list[Lane]]:
    out: dict[str, list[Lane]] = {}
    for lane in network.lanes:  # sorted by id
        ok = lane.scope.carries_parcels() if parcel else lane.scope.carries_bulk()
        if ok:
            out.setdefault(lane.origin, []).append(lane)
    return out


def _paths(
    network: Network,
    adjacency: dict[str, list[Lane]],
    source: str,
    targets: set[str],
    blocked: set[str],
    max_legs: int,
) -> list[tuple[tuple[str, ...], str]]:
    """Simple lane paths from ``source`` to any of ``targets`` (depth-first, sorted order)."""
    territory = {n.id: network.country_by_code[n.country].territory for n in network.nodes}
    found: list[tuple[tuple[str, ...], str]] = []
    start = (source, (), frozenset([source]), frozenset([territory[source]]))
    stack: list[tuple[str, tuple[str, ...], frozenset[str], frozenset[str]]] = [start]
    while stack:
        node, lanes, visited, left = stack.pop()
        for lane in reversed(adjacency.get(node, [])):
            nxt = lane.dest
            here, there = territory[node], territory[nxt]
            if nxt in visited or (there != here and there in left):
                continue  # never revisit a node, nor re-enter a customs territory once left
            path = (*lanes, lane.id)
            if nxt in targets:
                found.append((path, nxt))
                continue
            if nxt in blocked or len(path) >= max_legs:
                continue
            stack.append((nxt, path, visited | {nxt}, left | {there}))
    return sorted(found)


def candidate_routes(
    network: Network, origin: str, market: str, pattern: Pattern, *, max_legs: int = 7
) -> list[Route]:
    """Every route of ``pattern`` from ``origin`` to ``market`` (see module docstring)."""
    markets = {n.id for n in network.nodes if n.kind is NodeKind.MARKET}
    stock = {n.id for n in network.nodes if n.kind.holds_stock}
    if origin not in network.node_by_id or market not in network.node_by_id:
        return []
    if pattern is Pattern.DIRECT:
        adjacency = _adjacency(network, parcel=True)
        paths = _paths(network, adjacency, origin, {market}, markets | stock, max_legs)
        return [Route(pattern, (), lanes, None) for lanes, _ in paths]
    territory = network.territory_of(market)
    kind = _STOCK_KIND[pattern]
    targets = {
        n.id for n in network.nodes
        if n.kind is kind and network.territory_of(n.id) == territory
    }
    if not targets:
        return []
    last_mile: dict[str, list[str]] = {}
    for lane in network.lanes:
        if lane.dest == market and lane.origin in targets and lane.scope.carries_parcels():
            last_mile.setdefault(lane.origin, []).append(lane.id)
    bulk = _adjacency(network, parcel=False)
    routes = []
    for lanes, node in _paths(network, bulk, origin, set(last_mile), markets | stock,
                              max_legs - 1):
        for final in last_mile[node]:
            routes.append(Route(pattern, lanes, (final,), node))
    return routes
