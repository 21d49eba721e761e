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

import datetime as dt
from collections import defaultdict, deque
from dataclasses import dataclass

from optimizer.schedule.records import Order, OrdersScenario, ScheduledService


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
        for i, s in enumerate(services):
            for day in range(horizon + 1):
                board, arrive = day - s.cutoff_days, day + s.lead_days
                if board < 0 or arrive > horizon or not s.departs_on(self.date(day)):
                    continue
                dep = Departure(i, day, board, arrive)
                self.by_board[(s.origin, board)].append(dep)
                self.by_arrive[(s.dest, arrive)].append(dep)

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
    """The pruned arcs of order ``k`` (empty departures when it cannot arrive in time)."""
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
