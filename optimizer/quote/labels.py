"""Pareto-optimal routes on (landed cost, P90 days) by multi-criteria label setting.

A label is a partial route: its cost so far, the freight that will enter the
customs value, the number of legs, the customs territories it has been in and
its lead-time *distribution*. Labels are settled in order of cost; a label is
dropped when another label at the same state (node, already through import
customs or not) is no dearer, has no more freight (only where the freight is
in the customs value: CIF markets, before the import point), no more legs,
has been in no territory the other has not, and is at least as fast in
first-order stochastic dominance (its lead-time CDF is everywhere ≥; compared
on P90 first, the full CDF only when P90 does not already decide). That
pruning is safe: every later part of a route is an independent, nonnegative
addition (lane prices and times do not depend on how the route got here;
customs is nondecreasing in the freight), and every continuation open to the
dropped label is open to the dominating one, so whatever completes the dropped
label completes the dominating one no worse in cost and in every quantile —
P90 included.

Routes obey the structural rules of :mod:`optimizer.routes.candidates` (the
options shown are those candidate routes): simple paths of at most
``max_legs`` lanes, never through a market or stock node, and never
re-entering a customs territory once left. The search runs on a
:class:`SearchGraph`: the whole network, or (in a quote) only the lanes of the
corridor's candidate routes, which drops the lanes that lead nowhere without
changing the answer; a label that cannot reach an end node within the legs it
has left is not extended.

Via stock (bonded / overseas warehouse) the customer waits only for release and
last mile, so bulk-leg labels compete on cost alone (capital tied up in transit
counted into the cost), and a final label is the cheapest way into each stock
node plus each last-mile lane out of it.

Dominance ignores which nodes a label has visited (labels never revisit their
own nodes): a continuation the dominating label cannot take runs through one
of its own nodes in the current territory, and cutting that cycle gives a
route no worse on every criterion.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field

from optimizer.costing import leadtime as lt
from optimizer.costing.tariff import LegCharge
from optimizer.network.records import Channel, Lane, Mode, Network
from optimizer.quote.pricing import ShipmentPricer
from optimizer.routes.candidates import Route, RouteIndex, reenters
from optimizer.scenario.records import HOLDING_RATE_PER_YEAR, MAX_LEGS, Pattern

EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Point:
    """A route on the front: its key (as in :class:`~optimizer.routes.candidates.Route`)."""

    route: str
    cost: float
    p90: float


@dataclass(slots=True)
class _Label:
    score: float  # cost used for ordering and dominance
    cost: float
    freight: float  # freight up to the import point (customs value), frozen once entered
    legs: int
    node: str
    entered: bool
    lanes: tuple[str, ...]
    visited: frozenset[str]
    territories: frozenset[str]  # customs territories the route has been in
    time: lt.LeadTime | None  # customer-facing so far (direct); None on bulk legs
    p90: float
    days: float  # mean bulk-leg days so far (warehouse patterns)


@dataclass(frozen=True, slots=True)
class SearchGraph:
    """Where a search for one (pattern, market) may go.

    ``out``: lanes a label may extend by (parcel lanes for direct-package, bulk
    lanes via stock); ``last_miles``: via stock, each stock node's parcel lanes
    to the market (empty for direct-package); ``to_go``: fewest lanes of ``out``
    from a node to an end node (the market, or a stock node with a last mile) —
    nodes missing from it cannot reach one, so a label there is not extended.
    """

    out: dict[str, tuple[Lane, ...]]
    last_miles: dict[str, tuple[Lane, ...]]
    to_go: dict[str, int]


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """The shipment-independent part of a search: the network's :class:`RouteIndex` (lanes
    out of each node, blocked nodes, territories, stock nodes), limits and the lead-time
    cache."""

    index: RouteIndex
    #: Lead times by key (:func:`direct_key`, or (pattern, stock node, last mile)) →
    #: (distribution, P90, P50), shared by the route tables and the search.
    times: dict[tuple[str, ...], tuple[lt.LeadTime, float, float]]
    lane_days: dict[str, float]  # mean waiting + transit days per lane
    handling_days: dict[str, float]  # mean handling days per node
    clearance_days: dict[str, float]  # mean import clearance days per node
    max_legs: int = MAX_LEGS
    _graphs: dict[tuple[Pattern, str], SearchGraph] = field(default_factory=dict)

    @classmethod
    def build(
        cls, network: Network, *, max_legs: int = MAX_LEGS, index: RouteIndex | None = None
    ) -> SearchSpace:
        """The search space of ``network`` (``index``, if given, must be built from it)."""
        index = index if index is not None else RouteIndex.build(network)
        lane_days = {lane.id: lt.lane_time(lane).mean for lane in network.lanes}
        handling = {n.id: lt.handling_time(n).mean for n in network.nodes}
        clearance = {n.id: lt.clearance_time(n).mean for n in network.nodes}
        return cls(index, {}, lane_days, handling, clearance, max_legs)

    @property
    def network(self) -> Network:
        return self.index.network

    @property
    def territory(self) -> dict[str, str]:
        """Node → customs territory."""
        return self.index.territory

    @property
    def blocked(self) -> frozenset[str]:
        """Markets and stock nodes: never passed through."""
        return self.index.blocked

    def time_of(
        self, lanes: tuple[str, ...], make: Callable[[], lt.LeadTime]
    ) -> tuple[lt.LeadTime, float, float]:
        """(distribution, P90, P50) of the lead time keyed by ``lanes``, built once."""
        hit = self.times.get(lanes)
        if hit is None:
            time = make()
            hit = self.times[lanes] = (time, time.p90, time.p50)
        return hit

    def graph(
        self, pattern: Pattern, market: str, routes: Iterable[Route] | None = None
    ) -> SearchGraph:
        """The search graph of ``pattern`` to ``market``: every lane, or only those of ``routes``.

        Restricting to the lanes of the corridor's candidate routes is exact:
        every route the search may return is a candidate route, and so uses
        only those lanes. The whole-network graph is cached.
        """
        if routes is None:
            cached = self._graphs.get((pattern, market))
            if cached is None:
                cached = self._graphs[(pattern, market)] = self._make_graph(pattern, market, None)
            return cached
        return self._make_graph(pattern, market, {x for r in routes for x in r.lanes})

    def _make_graph(self, pattern: Pattern, market: str, only: set[str] | None) -> SearchGraph:
        last_miles: dict[str, list[Lane]] = {}
        for node, into_market in self.index.last_miles(pattern, market):
            kept = [x for x in into_market if only is None or x.id in only]
            if kept:
                last_miles[node] = kept
        adjacency = self.index.bulk if pattern.uses_stock else self.index.parcel
        out = {
            node: tuple(x for x in lanes if only is None or x.id in only)
            for node, lanes in adjacency.items()
        }
        ends = list(last_miles) if pattern.uses_stock else [market]
        to_go = dict.fromkeys(ends, 0)
        into: dict[str, list[str]] = {}
        for node, lanes in out.items():
            for lane in lanes:
                into.setdefault(lane.dest, []).append(node)
        queue = deque(ends)
        while queue:  # breadth-first, backwards; blocked nodes are ends or dead ends
            head = queue.popleft()
            if to_go[head] and head in self.blocked:
                continue
            for tail in into.get(head, ()):
                if tail not in to_go:
                    to_go[tail] = to_go[head] + 1
                    queue.append(tail)
        return SearchGraph(
            {node: lanes for node, lanes in out.items() if lanes},
            {node: tuple(lanes) for node, lanes in last_miles.items()},
            to_go,
        )


def direct_key(territory: str, lanes: tuple[str, ...]) -> tuple[str, ...]:
    """Cache key of a direct-package route prefix's lead time.

    The lanes alone do not fix it: whether a lane's head is the import point
    (import clearance added) depends on the market's customs territory, so the
    same prefix towards markets of different territories has different times.
    """
    return (territory, *lanes)


def label_front(
    space: SearchSpace,
    pricer: ShipmentPricer,
    pattern: Pattern,
    *,
    graph: SearchGraph | None = None,
    max_price: float | None = None,
    max_days: float | None = None,
) -> list[Point]:
    """Routes of ``pattern`` for the pricer's shipment not dominated on (landed cost, P90).

    ``graph`` (default: the whole network) limits the lanes searched, e.g. to a
    corridor's (:attr:`~optimizer.quote.corridor.Corridor.graph`).
    """
    if graph is None:
        graph = space.graph(pattern, pricer.shipment.market)
    finals = (
        _direct(space, graph, pricer, pattern, max_price, max_days)
        if not pattern.uses_stock
        else _via_stock(space, graph, pricer, pattern, max_price, max_days)
    )
    return nondominated(finals)


def nondominated(points: list[Point]) -> list[Point]:
    """The points no other point beats on both cost and P90 (ties: the first kept)."""
    front: list[Point] = []
    best_p90 = float("inf")
    for point in sorted(points, key=lambda p: (p.cost, p.p90, p.route)):
        if point.p90 < best_p90 - EPS:
            front.append(point)
            best_p90 = point.p90
    return front


class _Customs:
    """Customs cost of a label entering the market: one multiply-add when affine in freight.

    A parcel entering on a postal lane clears as a postal item (postal-only tariff
    layers), so the charge is kept per "postal entry?" (parcel patterns only).
    """

    def __init__(self, pricer: ShipmentPricer, pattern: Pattern) -> None:
        self.pricer, self.pattern = pricer, pattern
        self.parcel = pattern.clears_customs and pattern.channel is Channel.PARCEL
        entries = (False, True) if self.parcel else (False,)
        self.affine = {postal: pricer.customs_affine(pattern, postal) for postal in entries}
        #: Does the freight matter? Not where it stays out of the customs value (FOB markets).
        self.uses_freight = any(a is None or a[1] != 0.0 for a in self.affine.values())

    def cost(self, freight: float, lane: Lane) -> float | None:
        """Total duties, taxes and fees on entering by ``lane``; None when the channel
        refuses the shipment."""
        postal = self.parcel and lane.mode is Mode.POSTAL
        affine = self.affine[postal]
        if affine is not None:
            return affine[0] + affine[1] * freight
        charge = self.pricer.customs(self.pattern, freight, postal)
        return charge.total if charge.ok else None


class _Settler:
    """Keeps the settled labels per state; answers whether a new label is dominated."""

    def __init__(self, uses_freight: bool) -> None:
        self.settled: dict[tuple[str, bool], list[_Label]] = {}
        self.heap: list[tuple[float, int, _Label]] = []
        self.seq = itertools.count()
        self.uses_freight = uses_freight

    def push(self, label: _Label) -> None:
        heapq.heappush(self.heap, (label.score, next(self.seq), label))

    def pop(self) -> _Label | None:
        while self.heap:
            label = heapq.heappop(self.heap)[2]
            bucket = self.settled.setdefault((label.node, label.entered), [])
            if not self._dominated(label, bucket):
                bucket.append(label)
                return label
        return None

    def _dominated(self, b: _Label, bucket: list[_Label]) -> bool:
        """Is ``b`` dominated by a settled label of its state (see the module docstring)?"""
        freight = self.uses_freight and not b.entered
        for a in bucket:
            if a.score > b.score + EPS or a.legs > b.legs:
                continue
            if freight and a.freight > b.freight + EPS:
                continue
            if not a.territories <= b.territories:
                continue
            if a.time is None or b.time is None:
                return True
            if a.p90 <= b.p90 + EPS and lt.dominates(a.time, b.time):
                return True
        return False


#: One extension of a label by a lane: (lane, head node, head territory, cost, freight,
#: entered, entering) — cost includes the leg and, when entering, the duties and taxes.
_Step = tuple[Lane, str, str, float, float, bool, bool]


def _steps(
    space: SearchSpace,
    graph: SearchGraph,
    label: _Label,
    *,
    ends: Container[str],
    inside: str,
    budget: int,
    price: Callable[[Lane], LegCharge],
    customs: _Customs,
    confined: bool = False,
) -> Iterator[_Step]:
    """The lanes ``label`` may extend by, priced: the step both searches share.

    Skipped: a node already visited, a blocked node that is not one of ``ends``, a
    territory left before (:func:`~optimizer.routes.candidates.reenters`), a node from
    which no end is reachable within ``budget`` legs, a lane the tariff refuses, and the
    entry into ``inside`` when customs refuse the shipment, and with ``confined`` (a domestic
    route) any node outside ``inside``. Freight accumulates until the route enters
    ``inside`` (the customs value); the duties are added on entering.
    """
    territory, to_go = space.territory, graph.to_go
    here = territory[label.node]
    for lane in graph.out.get(label.node, ()):
        head = lane.dest
        if head in label.visited or (head in space.blocked and head not in ends):
            continue
        there = territory[head]
        if reenters(here, there, label.territories) or (confined and there != inside):
            continue
        left = to_go.get(head)
        if left is None or label.legs + 1 + left > budget:
            continue  # cannot reach an end within the legs left
        charge = price(lane)
        if not charge.ok:
            continue
        cost, freight, entered = label.cost + charge.total, label.freight, label.entered
        entering = not entered and there == inside
        if not entered:
            freight += charge.total
        if entering:
            duties = customs.cost(freight, lane)
            if duties is None:
                continue
            cost += duties
            entered = True
        yield lane, head, there, cost, freight, entered, entering


def _direct(
    space: SearchSpace,
    graph: SearchGraph,
    pricer: ShipmentPricer,
    pattern: Pattern,
    max_price: float | None,
    max_days: float | None,
) -> list[Point]:
    """Per-order routes: direct-package, b2b-direct, and domestic — which starts as
    already "entered" (no clearance, no duty) and never leaves the territory."""
    network, s = space.network, pricer.shipment
    market, nodes, territory = s.market, network.node_by_id, space.territory
    inside, to_go, budget = territory[market], graph.to_go, space.max_legs
    if s.origin not in to_go or to_go[s.origin] > budget:
        return []
    domestic = not pattern.clears_customs
    time_key = f"{inside}:{pattern.value}" if domestic else inside
    customs = _Customs(pricer, pattern)
    start_time = lt.handling_time(nodes[s.origin])
    cost0 = pricer.handling(s.origin)
    settler = _Settler(customs.uses_freight)
    settler.push(
        _Label(
            cost0,
            cost0,
            0.0,
            0,
            s.origin,
            domestic,
            (),
            frozenset([s.origin]),
            frozenset([territory[s.origin]]),
            start_time,
            start_time.p90,
            0.0,
        )
    )
    finals: list[Point] = []
    while (label := settler.pop()) is not None:
        if label.node == market:
            finals.append(Point(f"{pattern.value}:{'>'.join(label.lanes)}", label.cost, label.p90))
            continue
        steps = _steps(
            space,
            graph,
            label,
            ends=(market,),
            inside=inside,
            budget=budget,
            price=pricer.parcel_leg,
            customs=customs,
            confined=domestic,
        )
        for lane, head, there, cost, freight, entered, entering in steps:
            if head != market:
                cost += pricer.handling(head)
            if max_price is not None and cost > max_price + EPS:
                continue
            lanes = (*label.lanes, lane.id)
            parent = label.time
            assert parent is not None

            def make(
                lane: Lane = lane,
                parent: lt.LeadTime = parent,
                entering: bool = entering,
                head: str = head,
            ) -> lt.LeadTime:
                time = parent + lt.lane_time(lane)
                if entering:
                    time = time + lt.clearance_time(nodes[head])
                if head != market:
                    time = time + lt.handling_time(nodes[head])
                return time

            time, p90, _ = space.time_of(direct_key(time_key, lanes), make)
            if max_days is not None and p90 > max_days + EPS:
                continue
            settler.push(
                _Label(
                    cost,
                    cost,
                    freight,
                    label.legs + 1,
                    head,
                    entered,
                    lanes,
                    label.visited | {head},
                    label.territories | {there},
                    time,
                    p90,
                    0.0,
                )
            )
    return finals


def _via_stock(
    space: SearchSpace,
    graph: SearchGraph,
    pricer: ShipmentPricer,
    pattern: Pattern,
    max_price: float | None,
    max_days: float | None,
) -> list[Point]:
    s = pricer.shipment
    territory, inside = space.territory, space.territory[s.market]
    last_miles, to_go, budget = graph.last_miles, graph.to_go, space.max_legs - 1
    if not last_miles or s.origin not in to_go or to_go[s.origin] > budget:
        return []
    customs = _Customs(pricer, pattern)
    per_day = s.value_usd * HOLDING_RATE_PER_YEAR / 365.0  # capital cost of a day in transit
    days0 = space.handling_days[s.origin]
    cost0 = pricer.handling(s.origin)
    settler = _Settler(customs.uses_freight)
    settler.push(
        _Label(
            cost0 + per_day * days0,
            cost0,
            0.0,
            0,
            s.origin,
            False,
            (),
            frozenset([s.origin]),
            frozenset([territory[s.origin]]),
            None,
            0.0,
            days0,
        )
    )
    finals: list[Point] = []
    while (label := settler.pop()) is not None:
        if label.node in last_miles:
            if label.entered:
                finals += _finish(
                    space, pricer, pattern, label, last_miles[label.node], max_price, max_days
                )
            continue
        steps = _steps(
            space,
            graph,
            label,
            ends=last_miles,
            inside=inside,
            budget=budget,
            price=pricer.bulk_leg,
            customs=customs,
        )
        for lane, head, there, cost, freight, entered, entering in steps:
            days = label.days + space.lane_days[lane.id]
            if entering:
                days += space.clearance_days[head]
            cost += pricer.handling(head)
            days += space.handling_days[head]
            if max_price is not None and cost > max_price + EPS:
                continue
            settler.push(
                _Label(
                    cost + per_day * days,
                    cost,
                    freight,
                    label.legs + 1,
                    head,
                    entered,
                    (*label.lanes, lane.id),
                    label.visited | {head},
                    label.territories | {there},
                    None,
                    0.0,
                    days,
                )
            )
    return finals


def _finish(
    space: SearchSpace,
    pricer: ShipmentPricer,
    pattern: Pattern,
    label: _Label,
    last_miles: tuple[Lane, ...],
    max_price: float | None,
    max_days: float | None,
) -> list[Point]:
    stock = space.network.node_by_id[label.node]
    out: list[Point] = []
    for lane in last_miles:
        charge = pricer.parcel_leg(lane)
        if not charge.ok:
            continue
        cost = label.cost + charge.total + pricer.stock_cost(stock.id, label.days)

        def make(lane: Lane = lane) -> lt.LeadTime:
            parts = [lt.LeadTime.constant(stock.release_days)]
            if pattern is Pattern.BONDED:
                parts.append(lt.clearance_time(stock))
            return lt.total([*parts, lt.lane_time(lane)])

        _, p90, _ = space.time_of((pattern.value, stock.id, lane.id), make)
        if (max_price is not None and cost > max_price + EPS) or (
            max_days is not None and p90 > max_days + EPS
        ):
            continue
        key = f"{pattern.value}:{'>'.join((*label.lanes, lane.id))}"
        out.append(Point(key, cost, p90))
    return out
