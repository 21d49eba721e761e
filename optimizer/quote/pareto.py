"""Pareto-optimal routes on (landed cost, P90 days) by multi-criteria label setting.

A label is a partial route: its cost so far, the freight that will enter the
customs value, the number of legs and its lead-time *distribution*. Labels are
settled in order of cost; a label is dropped when another label at the same
state (node, already through import customs or not) is no dearer, has no more
freight and legs, and is at least as fast in first-order stochastic dominance
(its lead-time CDF is everywhere ≥). That pruning is safe: every later part of
a route is an independent, nonnegative addition (lane prices and times do not
depend on how the route got here; customs is nondecreasing in the freight), so
whatever completes the dropped label completes the dominating one no worse in
cost and in every quantile — P90 included.

Via stock (bonded / overseas warehouse) the customer waits only for release and
last mile, so bulk-leg labels compete on cost alone (capital tied up in transit
counted into the cost), and a final label is the cheapest way into each stock
node plus each last-mile lane out of it.

Dominance ignores which nodes a label has visited (labels never revisit their
own nodes): exact when dropping a cycle cannot move the import point, which
holds on networks whose routes cross into the market's territory once.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.costing import leadtime as lt
from optimizer.network.records import Lane, Network, NodeKind
from optimizer.quote.pricing import HOLDING_RATE_PER_YEAR, ShipmentPricer
from optimizer.scenario.records import Pattern

EPS = 1e-9
_STOCK_KIND = {Pattern.BONDED: NodeKind.BONDED_ZONE, Pattern.OVERSEAS: NodeKind.OVERSEAS_WAREHOUSE}


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
    time: lt.LeadTime | None  # customer-facing so far (direct); None on bulk legs
    p90: float
    days: float  # mean bulk-leg days so far (warehouse patterns)


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """The shipment-independent part of a search: graph, limits and the lead-time cache."""

    network: Network
    parcel_out: dict[str, list[Lane]]
    bulk_out: dict[str, list[Lane]]
    blocked: frozenset[str]  # markets and stock nodes: never passed through
    times: dict[tuple[str, ...], tuple[lt.LeadTime, float, float]]  # lanes → (time, P90, P50)
    lane_days: dict[str, float]  # mean waiting + transit days per lane
    handling_days: dict[str, float]  # mean handling days per node
    clearance_days: dict[str, float]  # mean import clearance days per node
    max_legs: int = 7

    @classmethod
    def build(cls, network: Network, *, max_legs: int = 7) -> SearchSpace:
        parcel: dict[str, list[Lane]] = {}
        bulk: dict[str, list[Lane]] = {}
        for lane in network.lanes:
            if lane.scope.carries_parcels():
                parcel.setdefault(lane.origin, []).append(lane)
            if lane.scope.carries_bulk():
                bulk.setdefault(lane.origin, []).append(lane)
        blocked = frozenset(
            n.id for n in network.nodes if n.kind is NodeKind.MARKET or n.kind.holds_stock
        )
        lane_days = {lane.id: lt.lane_time(lane).mean for lane in network.lanes}
        handling = {n.id: lt.handling_time(n).mean for n in network.nodes}
        clearance = {n.id: lt.clearance_time(n).mean for n in network.nodes}
        return cls(network, parcel, bulk, blocked, {}, lane_days, handling, clearance, max_legs)

    def time_of(
        self, lanes: tuple[str, ...], make: Callable[[], lt.LeadTime]
    ) -> tuple[lt.LeadTime, float, float]:
        """(distribution, P90, P50) of the lead time keyed by ``lanes``, built once."""
        hit = self.times.get(lanes)
        if hit is None:
            time = make()
            hit = self.times[lanes] = (time, time.p90, time.p50)
        return hit


def pareto_front(
    space: SearchSpace,
    pricer: ShipmentPricer,
    pattern: Pattern,
    *,
    max_price: float | None = None,
    max_days: float | None = None,
) -> list[Point]:
    """Routes of ``pattern`` for the pricer's shipment not dominated on (landed cost, P90)."""
    finals = (
        _direct(space, pricer, max_price, max_days)
        if pattern is Pattern.DIRECT
        else _via_stock(space, pricer, pattern, max_price, max_days)
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


def _territory_test(network: Network, market: str) -> Callable[[str], bool]:
    territory = network.territory_of(market)
    inside = {n.id for n in network.nodes if network.territory_of(n.id) == territory}
    return inside.__contains__


def _dominates(a: _Label, b: _Label) -> bool:
    if a.score > b.score + EPS or a.legs > b.legs:
        return False
    if not a.entered and a.freight > b.freight + EPS:
        return False
    if a.time is None or b.time is None:
        return True
    return a.p90 <= b.p90 + EPS and lt.dominates(a.time, b.time)


class _Settler:
    """Keeps the settled labels per state; answers whether a new label is dominated."""

    def __init__(self) -> None:
        self.settled: dict[tuple[str, bool], list[_Label]] = {}
        self.heap: list[tuple[float, int, _Label]] = []
        self.seq = itertools.count()

    def push(self, label: _Label) -> None:
        heapq.heappush(self.heap, (label.score, next(self.seq), label))

    def pop(self) -> _Label | None:
        while self.heap:
            label = heapq.heappop(self.heap)[2]
            bucket = self.settled.setdefault((label.node, label.entered), [])
            if any(_dominates(other, label) for other in bucket):
                continue
            bucket.append(label)
            return label
        return None


def _direct(
    space: SearchSpace, pricer: ShipmentPricer, max_price: float | None, max_days: float | None
) -> list[Point]:
    network, s = space.network, pricer.shipment
    market, nodes = s.market, network.node_by_id
    inside = _territory_test(network, market)
    start_time = lt.handling_time(nodes[s.origin])
    cost0 = pricer.handling(s.origin)
    settler = _Settler()
    settler.push(_Label(cost0, cost0, 0.0, 0, s.origin, False, (), frozenset([s.origin]),
                        start_time, start_time.p90, 0.0))  # fmt: skip
    finals: list[Point] = []
    while (label := settler.pop()) is not None:
        if label.node == market:
            finals.append(Point(f"{Pattern.DIRECT.value}:{'>'.join(label.lanes)}",
                                label.cost, label.p90))  # fmt: skip
            continue
        if label.legs >= space.max_legs:
            continue
        for lane in space.parcel_out.get(label.node, ()):
            head = lane.dest
            if head in label.visited or (head in space.blocked and head != market):
                continue
            charge = pricer.parcel_leg(lane)
            if not charge.ok:
                continue
            cost, freight, entered = label.cost + charge.total, label.freight, label.entered
            entering = not entered and inside(head)
            if not entered:
                freight += charge.total
            if entering:
                customs = pricer.customs(Pattern.DIRECT, freight)
                if not customs.ok:
                    continue
                cost += customs.total
                entered = True
            if head != market:
                cost += pricer.handling(head)
            if max_price is not None and cost > max_price + EPS:
                continue
            lanes = (*label.lanes, lane.id)
            parent = label.time
            assert parent is not None

            def make(lane: Lane = lane, parent: lt.LeadTime = parent, entering: bool = entering,
                     head: str = head) -> lt.LeadTime:  # fmt: skip
                time = parent + lt.lane_time(lane)
                if entering:
                    time = time + lt.clearance_time(nodes[head])
                if head != market:
                    time = time + lt.handling_time(nodes[head])
                return time

            time, p90, _ = space.time_of(lanes, make)
            if max_days is not None and p90 > max_days + EPS:
                continue
            settler.push(_Label(cost, cost, freight, label.legs + 1, head, entered, lanes,
                                label.visited | {head}, time, p90, 0.0))  # fmt: skip
    return finals


def _via_stock(
    space: SearchSpace,
    pricer: ShipmentPricer,
    pattern: Pattern,
    max_price: float | None,
    max_days: float | None,
) -> list[Point]:
    network, s = space.network, pricer.shipment
    market, nodes = s.market, network.node_by_id
    inside = _territory_test(network, market)
    kind = _STOCK_KIND[pattern]
    last_miles: dict[str, list[Lane]] = {}
    for lane in network.lanes:
        if lane.dest == market and lane.scope.carries_parcels():
            stock = nodes[lane.origin]
            if stock.kind is kind and inside(stock.id):
                last_miles.setdefault(stock.id, []).append(lane)
    if not last_miles:
        return []
    per_day = s.value_usd * HOLDING_RATE_PER_YEAR / 365.0  # capital cost of a day in transit
    days0 = space.handling_days[s.origin]
    cost0 = pricer.handling(s.origin)
    settler = _Settler()
    settler.push(_Label(cost0 + per_day * days0, cost0, 0.0, 0, s.origin, False, (),
                        frozenset([s.origin]), None, 0.0, days0))  # fmt: skip
    finals: list[Point] = []
    while (label := settler.pop()) is not None:
        if label.node in last_miles:
            if label.entered:
                finals += _finish(space, pricer, pattern, label, last_miles[label.node],
                                  max_price, max_days)  # fmt: skip
            continue
        if label.legs >= space.max_legs - 1:
            continue
        for lane in space.bulk_out.get(label.node, ()):
            head = lane.dest
            if head in label.visited or (head in space.blocked and head not in last_miles):
                continue
            charge = pricer.bulk_leg(lane)
            if not charge.ok:
                continue
            cost, freight, entered = label.cost + charge.total, label.freight, label.entered
            days = label.days + space.lane_days[lane.id]
            if not entered:
                freight += charge.total
                if inside(head):
                    customs = pricer.customs(pattern, freight)
                    if not customs.ok:
                        continue
                    cost += customs.total
                    entered = True
                    days += space.clearance_days[head]
            cost += pricer.handling(head)
            days += space.handling_days[head]
            if max_price is not None and cost > max_price + EPS:
                continue
            settler.push(_Label(cost + per_day * days, cost, freight, label.legs + 1, head,
                                entered, (*label.lanes, lane.id), label.visited | {head}, None,
                                0.0, days))  # fmt: skip
    return finals


def _finish(
    space: SearchSpace,
    pricer: ShipmentPricer,
    pattern: Pattern,
    label: _Label,
    last_miles: list[Lane],
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
