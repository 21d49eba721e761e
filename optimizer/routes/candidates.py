"""Candidate routes per (origin, market, pattern), enumerated from the network graph.

A route is a sequence of lanes:

* **direct-package** and **b2b-direct** (9710): parcel-carrying lanes (scope
  ``parcel`` or ``any``) from the origin to the market, never through a
  stock-holding node or another market (b2b-direct differs only in how it clears);
* **domestic**: the same, for an origin and a market in one customs territory,
  and only through nodes of that territory (leaving it would mean coming back);
* **bonded-warehouse / overseas-warehouse**: bulk-carrying lanes (scope
  ``bulk`` or ``any``) from the origin to a stock node of the pattern's kind
  (``bonded_zone`` / ``overseas_warehouse``) in the market's customs
  territory, then one parcel lane (last mile) from that node to the market.

Enumeration is exhaustive over simple paths of at most ``max_legs`` lanes
(parallel lanes of different carriers are distinct routes) that never re-enter
a customs territory once they have left it, the origin's own included (no
Yantian → Rotterdam → Ningbo → Los Angeles, no Shenzhen → Hong Kong → Shanghai →
Los Angeles); an origin and a market in one territory have domestic routes only. It is exact; the
optimizer may later keep only the best ``limit`` per demand (see
:mod:`optimizer.routes.evaluate`). What it needs from the network (adjacency,
territories, stock nodes) is computed once per network in a :class:`RouteIndex`.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.network.records import Lane, Network, NodeKind
from optimizer.scenario.records import MAX_LEGS, Pattern


def reenters(here: str, there: str, been: frozenset[str]) -> bool:
    """Would a step from territory ``here`` to ``there`` re-enter a territory already left?

    The one structural rule every route search shares (no Yantian → Rotterdam → Ningbo):
    ``been`` holds the customs territories the route has been in so far.
    """
    return there != here and there in been


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


@dataclass(frozen=True, slots=True, eq=False)
class RouteIndex:
    """What enumeration needs from a network, computed once per network.

    Build it with :meth:`build` and pass it to :func:`candidate_routes` for many calls
    on one network (:class:`~optimizer.routes.evaluate.RouteEvaluator` and the quote's
    ``SearchSpace`` each own one).
    """

    network: Network
    parcel: dict[str, tuple[Lane, ...]]  # node -> parcel-carrying lanes out, by lane id
    bulk: dict[str, tuple[Lane, ...]]  # node -> bulk-carrying lanes out, by lane id
    parcel_in: dict[str, tuple[Lane, ...]]  # node -> parcel-carrying lanes in, by lane id
    territory: dict[str, str]  # node -> customs territory
    blocked: frozenset[str]  # markets and stock nodes: a route never passes through one
    stock: dict[tuple[NodeKind, str], frozenset[str]]  # (kind, territory) -> stock nodes

    @classmethod
    def build(cls, network: Network) -> RouteIndex:
        parcel: dict[str, list[Lane]] = {}
        bulk: dict[str, list[Lane]] = {}
        parcel_in: dict[str, list[Lane]] = {}
        for lane in network.lanes:  # sorted by id
            if lane.scope.carries_parcels():
                parcel.setdefault(lane.origin, []).append(lane)
                parcel_in.setdefault(lane.dest, []).append(lane)
            if lane.scope.carries_bulk():
                bulk.setdefault(lane.origin, []).append(lane)
        territory = {n.id: network.territory_of(n.id) for n in network.nodes}
        stock: dict[tuple[NodeKind, str], set[str]] = {}
        for n in network.nodes:
            if n.kind.holds_stock:
                stock.setdefault((n.kind, territory[n.id]), set()).add(n.id)
        blocked = {n.id for n in network.nodes if n.kind is NodeKind.MARKET or n.kind.holds_stock}
        return cls(
            network,
            _freeze(parcel),
            _freeze(bulk),
            _freeze(parcel_in),
            territory,
            frozenset(blocked),
            {k: frozenset(v) for k, v in stock.items()},
        )

    def stock_nodes(self, pattern: Pattern, market: str) -> frozenset[str]:
        """The stock nodes of ``pattern``'s kind in ``market``'s customs territory."""
        kind = pattern.stock_kind
        if kind is None:
            return frozenset()
        return self.stock.get((kind, self.territory[market]), frozenset())

    def last_miles(self, pattern: Pattern, market: str) -> list[tuple[str, list[Lane]]]:
        """Per stock node of ``pattern`` for ``market`` (in lane-id order of first lane), its
        parcel lanes into ``market``; empty for direct-package."""
        targets = self.stock_nodes(pattern, market)
        found: dict[str, list[Lane]] = {}
        for lane in self.parcel_in.get(market, ()):
            if lane.origin in targets:
                found.setdefault(lane.origin, []).append(lane)
        return list(found.items())


def _freeze(lists: dict[str, list[Lane]]) -> dict[str, tuple[Lane, ...]]:
    return {k: tuple(v) for k, v in lists.items()}


def _paths(
    index: RouteIndex,
    adjacency: dict[str, tuple[Lane, ...]],
    source: str,
    targets: set[str] | frozenset[str],
    max_legs: int,
    *,
    inside: str | None = None,
) -> list[tuple[tuple[str, ...], str]]:
    """Simple lane paths from ``source`` to any of ``targets`` (depth-first, sorted order);
    with ``inside``, only through nodes of that customs territory (a domestic flow)."""
    territory, blocked = index.territory, index.blocked
    found: list[tuple[tuple[str, ...], str]] = []
    start = (source, (), frozenset([source]), frozenset([territory[source]]))
    stack: list[tuple[str, tuple[str, ...], frozenset[str], frozenset[str]]] = [start]
    while stack:
        node, lanes, visited, left = stack.pop()
        here = territory[node]
        for lane in reversed(adjacency.get(node, ())):
            nxt = lane.dest
            there = territory[nxt]
            if nxt in visited or reenters(here, there, left) or inside not in (None, there):
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
    network: Network,
    origin: str,
    market: str,
    pattern: Pattern,
    *,
    max_legs: int = MAX_LEGS,
    index: RouteIndex | None = None,
) -> list[Route]:
    """Every route of ``pattern`` from ``origin`` to ``market`` (see module docstring).

    ``index`` must be built from ``network``; without it one is built for this call.
    """
    if origin not in network.node_by_id or market not in network.node_by_id:
        return []
    index = index if index is not None else RouteIndex.build(network)
    domestic = index.territory[origin] == index.territory[market]
    if domestic is not (pattern is Pattern.DOMESTIC):
        return []  # a domestic pair takes the domestic pattern only (optimizer.network.domestic)
    if not pattern.uses_stock:  # direct-package, b2b-direct, domestic: per-order parcels
        inside = index.territory[origin] if domestic else None
        paths = _paths(index, index.parcel, origin, {market}, max_legs, inside=inside)
        return [Route(pattern, (), lanes, None) for lanes, _ in paths]
    last_mile = {node: [x.id for x in lanes] for node, lanes in index.last_miles(pattern, market)}
    if not last_mile:
        return []
    routes = []
    for lanes, node in _paths(index, index.bulk, origin, set(last_mile), max_legs - 1):
        for final in last_mile[node]:
            routes.append(Route(pattern, lanes, (final,), node))
    return routes
