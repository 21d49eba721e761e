"""The time-expanded network, pruned per order by forward/backward day labels.

States are ``(node, day)`` on a daily grid (day 0 = earliest ready date).
Arcs are dated departures (board on ``day - cutoff``, arrive ``day + lead``)
and, at warehouse nodes only, one-day waits. For each order we keep just the
arcs that lie on *some* dated path from ``(origin, ready)`` to the destination
by the due date: the tail must be reachable from the start (forward label) and
the head must still reach the destination in time (backward label). This is
exact, not a heuristic, and it is what keeps the MIP small.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict, deque
from dataclasses import dataclass

from optimizer.orders.records import Order, OrdersScenario, ScheduledService


@dataclass(frozen=True, slots=True)
class Departure:
    """One dated departure of a service: boards on ``board``, arrives on ``arrive``."""

    service: int  # index into scenario.services
    day: int
    board: int
    arrive: int


@dataclass(frozen=True, slots=True)
class OrderArcs:
    """The arcs one order may use: departures and warehouse waits ``(node, day)``."""

    order: int
    start: int  # ready day
    due: int
    departures: tuple[Departure, ...]
    waits: tuple[tuple[str, int], ...]


class Timetable:
    """Every dated departure between ``first_day`` and ``first_day + horizon``."""

    def __init__(
        self, services: tuple[ScheduledService, ...], first_day: dt.date, horizon: int
    ) -> None:
        self.services = services
        self.first_day = first_day
        self.horizon = horizon
        self.by_board: dict[tuple[str, int], list[Departure]] = defaultdict(list)
        self.by_arrive: dict[tuple[str, int], list[Departure]] = defaultdict(list)
        self.by_service: dict[int, list[Departure]] = defaultdict(list)  # by board day
        for i, s in enumerate(services):
            for day in range(horizon + 1):
                board, arrive = day - s.cutoff_days, day + s.lead_days
                if board < 0 or arrive > horizon or not s.departs_on(self.date(day)):
                    continue
                dep = Departure(i, day, board, arrive)
                self.by_board[(s.origin, board)].append(dep)
                self.by_arrive[(s.dest, arrive)].append(dep)
                self.by_service[i].append(dep)
        self.board_days = {i: [d.board for d in deps] for i, deps in self.by_service.items()}

    def date(self, day: int) -> dt.date:
        """Calendar date of grid day ``day``."""
        return self.first_day + dt.timedelta(days=day)

    def day(self, date: dt.date) -> int:
        """Grid day of ``date``."""
        return (date - self.first_day).days


def forward(
    tt: Timetable, order: Order, warehouses: dict[str, float], limit: int
) -> dict[tuple[str, int], tuple[str, int] | Departure | None]:
    """States reachable from the order's start up to day ``limit``, with a predecessor each.

    Predecessors (a wait's previous state or the departure taken) let callers
    rebuild the earliest path. Goods never re-enter the origin or leave the
    destination, and wait only at warehouses.
    """
    start = (order.origin, tt.day(order.ready))
    pred: dict[tuple[str, int], tuple[str, int] | Departure | None] = {start: None}
    queue = deque([start])
    while queue:
        node, day = state = queue.popleft()
        if node == order.dest:
            continue
        nxt: list[tuple[tuple[str, int], tuple[str, int] | Departure]] = []
        if node in warehouses and day < limit:
            nxt.append(((node, day + 1), state))
        for dep in tt.by_board.get(state, ()):
            dest = tt.services[dep.service].dest
            if dep.arrive <= limit and dest != order.origin:
                nxt.append(((dest, dep.arrive), dep))
        for head, how in nxt:
            if head not in pred:
                pred[head] = how
                queue.append(head)
    return pred


def backward(
    tt: Timetable, order: Order, warehouses: dict[str, float], due: int
) -> set[tuple[str, int]]:
    """States from which the destination is reachable by day ``due``."""
    reach = {(order.dest, d) for d in range(due + 1)}
    queue = deque(reach)
    while queue:
        node, day = queue.popleft()
        prev: list[tuple[str, int]] = []
        if day > 0 and node in warehouses and node != order.dest:
            prev.append((node, day - 1))
        for dep in tt.by_arrive.get((node, day), ()):
            origin = tt.services[dep.service].origin
            if origin != order.dest and node != order.origin:
                prev.append((origin, dep.board))
        for tail in prev:
            if tail not in reach:
                reach.add(tail)
                queue.append(tail)
    return reach


def order_arcs(tt: Timetable, scenario: OrdersScenario, k: int) -> OrderArcs:
    """The pruned arcs of order ``k`` (empty departures when it cannot arrive in time).

    Orders whose (origin, dest) pair has candidate routes in ``scenario.routes``
    get :func:`itinerary_arcs` instead of the full time-expanded network.
    """
    order = scenario.orders[k]
    if (order.origin, order.dest) in scenario.routes:
        return itinerary_arcs(tt, scenario, k)
    return _full_arcs(tt, scenario, k)


def _full_arcs(tt: Timetable, scenario: OrdersScenario, k: int) -> OrderArcs:
    """Every arc of order ``k`` on a dated path that arrives by its due date (exact)."""
    order = scenario.orders[k]
    wh = scenario.warehouse_rates
    due = min(tt.day(order.due), tt.horizon)
    fwd = forward(tt, order, wh, due)
    bwd = backward(tt, order, wh, due)
    live = {s for s in fwd if s in bwd}
    deps: list[Departure] = []
    for node, day in sorted(live):
        if node == order.dest:
            continue
        for dep in tt.by_board.get((node, day), ()):
            head = (tt.services[dep.service].dest, dep.arrive)
            if head in live and head[0] != order.origin:
                deps.append(dep)
    waits = tuple(
        (node, day)
        for node, day in sorted(live)
        if node in wh and node != order.dest and (node, day + 1) in live
    )
    return OrderArcs(k, tt.day(order.ready), due, tuple(deps), waits)


#: Itineraries: the cheapest routes kept per order, and the start days kept on a route whose
#: legs all depart daily (a week of choice to consolidate on).
ROUTES_PER_ORDER = 5
DAILY_STARTS = 7


def itinerary_arcs(tt: Timetable, scenario: OrdersScenario, k: int) -> OrderArcs:
    """Arcs of order ``k`` restricted to dated itineraries along its candidate routes.

    An itinerary leaves the origin on some day and takes the earliest connection
    on each leg, waiting at transfer nodes until the next departure boards. Per
    route, only the *latest* start day for each combination of scheduled
    (non-daily) departures is kept -- the goods wait free at their origin rather
    than at a port -- or the :data:`DAILY_STARTS` latest start days when every
    leg departs daily. Of the routes with an itinerary that arrives by the due
    date, the :data:`ROUTES_PER_ORDER` cheapest for this order alone (fixed
    charges + whole containers) are kept. The model may still recombine the
    kept itineraries and consolidate orders on shared departures.

    This keeps a large network's MIP to a few itineraries per order instead of
    every (node, day) state, at the price of exactness (routes and waits outside
    the kept itineraries are not considered). When no candidate route arrives in
    time, the full time-expanded arcs of :func:`order_arcs` are used instead, so
    infeasibility is still decided exactly.
    """
    order = scenario.orders[k]
    index = {s.id: i for i, s in enumerate(tt.services)}
    wh = scenario.warehouse_rates
    start, due = tt.day(order.ready), min(tt.day(order.due), tt.horizon)
    days = range(due, start - 1, -1) if order.origin in wh else range(start, start + 1)
    options: list[tuple[float, int, list[tuple[list[Departure], list[tuple[str, int]]]]]] = []
    for r, route in enumerate(scenario.routes[(order.origin, order.dest)]):
        legs = [index[sid] for sid in route if sid in index]
        if len(legs) != len(route):
            continue
        daily = [len(tt.services[i].weekdays) == 7 for i in legs]
        kept: dict[tuple[Departure, ...], tuple[list[Departure], list[tuple[str, int]]]] = {}
        for day0 in days:
            found = _itinerary(tt, legs, order.origin, day0, due, wh)
            if found is None:
                continue
            steps = found[0]
            key = tuple(d for d, is_daily in zip(steps, daily, strict=True) if not is_daily)
            key = key or (steps[0],)
            if key not in kept:
                kept[key] = found
            if all(daily) and len(kept) >= DAILY_STARTS:
                break
        if kept:
            cost = sum(
                s.fixed_cost_per_departure
                + s.cost_per_container * math.ceil(order.volume_m3 / s.container_m3 - 1e-9)
                for s in (tt.services[i] for i in legs)
            )
            options.append((cost, r, list(kept.values())))
    if not options:
        return _full_arcs(tt, scenario, k)
    deps: set[Departure] = set()
    waits: set[tuple[str, int]] = set()
    for _, _, itineraries in sorted(options, key=lambda o: (o[0], o[1]))[:ROUTES_PER_ORDER]:
        for steps, pauses in itineraries:
            deps.update(steps)
            waits.update(pauses)
            waits.update((order.origin, d) for d in range(start, steps[0].board))
    return OrderArcs(
        k, start, due, tuple(sorted(deps, key=lambda d: (d.day, d.service))), tuple(sorted(waits))
    )


def _itinerary(
    tt: Timetable, legs: list[int], origin: str, day: int, due: int, wh: dict[str, float]
) -> tuple[list[Departure], list[tuple[str, int]]] | None:
    """Earliest-connection itinerary along ``legs`` leaving ``origin`` on or after ``day``."""
    steps: list[Departure] = []
    pauses: list[tuple[str, int]] = []
    node = origin
    for i in legs:
        boards = tt.board_days.get(i, [])
        pos = bisect.bisect_left(boards, day)
        if pos == len(boards):
            return None
        dep = tt.by_service[i][pos]
        if dep.arrive > due:
            return None
        if dep.board > day:
            if node not in wh:
                return None  # would have to wait where goods may not wait
            if steps:  # waits at the origin are added by the caller
                pauses.extend((node, d) for d in range(day, dep.board))
        steps.append(dep)
        node, day = tt.services[i].dest, dep.arrive
    return steps, pauses
