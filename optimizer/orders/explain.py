"""Why an order cannot arrive by its due date: earliest arrival and the blocking leg.

The earliest arrival comes from the same dated search the model uses (waits at
warehouses only), run past the due date. The blocking leg is found by
relaxation: each service on the earliest path is in turn given daily
departures; the one whose relaxation brings the arrival forward the most is
the schedule that blocks. When no relaxation helps, transit times alone are
too long.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from optimizer.orders.expand import Departure, Timetable, forward
from optimizer.orders.records import Order, OrdersScenario, ScheduledService
from optimizer.orders.result import Infeasible

LOOKAHEAD_DAYS = 370  # search this far past the due date for the earliest arrival
SHORT_LOOKAHEAD = 60  # ... but first this far: the usual case, and much cheaper
_DAILY = frozenset(range(7))


def _earliest(
    services: tuple[ScheduledService, ...], order: Order, wh: dict[str, float], horizon: int
) -> tuple[int | None, list[Departure]]:
    """Earliest arrival day (from ``order.ready``) and the departures of that path."""
    tt = Timetable(services, order.ready, horizon)
    pred = forward(tt, order, wh, horizon)
    days = [d for (n, d) in pred if n == order.dest]
    if not days:
        return None, []
    state: tuple[str, int] | None = (order.dest, min(days))
    legs: list[Departure] = []
    while state is not None:
        how = pred[state]
        if isinstance(how, Departure):
            legs.append(how)
            state = (services[how.service].origin, how.board)
        else:
            state = how
    return min(days), legs[::-1]


def _relevant(services: tuple[ScheduledService, ...], order: Order) -> tuple[ScheduledService, ...]:
    """Services on some chain from the order's origin to its destination (others cannot help).

    Filtering first keeps the long searches below cheap on a large network; the
    earliest path and the blocking service are the same as over all services.
    """
    ahead, behind = {order.origin}, {order.dest}
    for _ in range(len(services)):
        grew = False
        for s in services:
            if s.origin in ahead and s.dest not in ahead:
                ahead.add(s.dest)
                grew = True
            if s.dest in behind and s.origin not in behind:
                behind.add(s.origin)
                grew = True
        if not grew:
            break
    return tuple(s for s in services if s.origin in ahead and s.dest in behind)


def explain(scenario: OrdersScenario, order: Order) -> Infeasible:
    """Explain one order that no dated path delivers by its due date."""
    services, wh = _relevant(scenario.services, order), scenario.warehouse_rates
    horizon = (order.due - order.ready).days + LOOKAHEAD_DAYS
    day, legs = _earliest(services, order, wh, (order.due - order.ready).days + SHORT_LOOKAHEAD)
    if day is None:
        day, legs = _earliest(services, order, wh, horizon)
    if day is None:
        return Infeasible(
            order.id,
            order.due,
            None,
            None,
            f"no chain of services connects {order.origin} to {order.dest} "
            f"within {horizon} days of {order.ready}",
        )
    earliest = order.ready + dt.timedelta(days=day)
    best: tuple[int, int] | None = None  # (relaxed day, service index)
    for i in sorted({leg.service for leg in legs}):
        relaxed = list(services)
        relaxed[i] = dataclasses.replace(services[i], weekdays=_DAILY)
        rday, _ = _earliest(tuple(relaxed), order, wh, day)  # only earlier arrivals matter
        if rday is not None and rday < day and (best is None or rday < best[0]):
            best = (rday, i)
    if best is None:
        return Infeasible(
            order.id,
            order.due,
            earliest,
            None,
            f"earliest possible arrival {earliest} is after the due date "
            f"{order.due}: transit times alone are too long",
        )
    s = services[best[1]]
    relaxed_date = order.ready + dt.timedelta(days=best[0])
    return Infeasible(
        order.id,
        order.due,
        earliest,
        s.id,
        f"earliest possible arrival {earliest} is after the due date {order.due}; "
        f"blocked by the schedule of service {s.id} ({s.origin} -> {s.dest}, {s.mode}, "
        f"departs {s.schedule_text}): with daily departures it could arrive {relaxed_date}",
    )
