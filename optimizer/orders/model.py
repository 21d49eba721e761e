"""The order-routing MIP on the time-expanded network, built on :class:`MipModel`.

Variables (per order ``k``): ``x[k, dep]`` — the share of the order on a dated
departure (binary when the order may not be split), ``w[k, node, day]`` — the
share waiting one day at a warehouse. Per dated departure: ``y`` (binary, the
departure is used: pays the fixed charge) and ``c`` (integer containers, pays
the per-container charge; omitted when containers are free). Rows:

* flow conservation at every live ``(node, day)`` state of every order, one
  unit leaving ``(origin, ready)`` and one unit arriving at the destination by
  the due date (late arcs were pruned away, so deadlines hold by construction);
* ``x <= y`` for every order on a departure (strong linking, tighter than a
  big-M row);
* ``container_m3 * c >= sum(volume * x)``, plus ``c >= ceil(volume / size) * x``
  for unsplittable orders and ``c >= y`` (valid cuts that close most of the
  LP gap);
* an order enters each node at most once (the case's rule; it also stops
  goods from "waiting" by driving in circles at non-warehouse nodes).

Objective: fixed + container charges, dwell ``rate * volume * days``, transit
duties ``value * duty`` per used lane; import tax is a constant offset.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from optimizer.orders.expand import Departure, OrderArcs, Timetable
from optimizer.orders.records import OrdersScenario
from optimizer.solve.backend import MipModel


@dataclass
class OrderMip:
    """The MIP plus the maps from variables back to the plan."""

    mip: MipModel
    x: dict[tuple[int, Departure], int] = field(default_factory=dict)
    w: dict[tuple[int, str, int], int] = field(default_factory=dict)
    y: dict[tuple[int, int], int] = field(default_factory=dict)  # (service, day) -> var
    c: dict[tuple[int, int], int] = field(default_factory=dict)
    import_tax: float = 0.0


def build_model(scenario: OrdersScenario, tt: Timetable, arcs: list[OrderArcs]) -> OrderMip:
    """Assemble the MIP for the orders in ``arcs`` (orders that can arrive in time)."""
    rm = OrderMip(MipModel())
    m = rm.mip
    on_dep: dict[tuple[int, int], list[int]] = defaultdict(list)  # departure -> x vars
    for oa in arcs:
        order = scenario.orders[oa.order]
        rm.import_tax += order.value * order.import_tax_rate
        for dep in oa.departures:
            s = scenario.services[dep.service]
            var = m.add_var(
                0.0,
                1.0,
                cost=order.value * s.transit_duty_rate,
                integer=not order.splittable,
                name=f"x[{order.id},{s.id},{dep.day}]",
            )
            rm.x[(oa.order, dep)] = var
            on_dep[(dep.service, dep.day)].append(var)
        rate = scenario.warehouse_rates
        for node, day in oa.waits:
            rm.w[(oa.order, node, day)] = m.add_var(
                0.0, 1.0, cost=rate[node] * order.volume_m3, name=f"w[{order.id},{node},{day}]"
            )
    m.objective_offset = rm.import_tax
    _departure_rows(scenario, rm, arcs, on_dep)
    for oa in arcs:
        _flow_rows(scenario, rm, oa)
    return rm


def _departure_rows(
    scenario: OrdersScenario,
    rm: OrderMip,
    arcs: list[OrderArcs],
    on_dep: dict[tuple[int, int], list[int]],
) -> None:
    """Fixed-charge and container rows for every departure some order may take."""
    m = rm.mip
    loads: dict[tuple[int, int], list[tuple[int, float, bool]]] = defaultdict(list)
    for oa in arcs:
        order = scenario.orders[oa.order]
        for dep in oa.departures:
            var = rm.x[(oa.order, dep)]
            loads[(dep.service, dep.day)].append((var, order.volume_m3, order.splittable))
    for key in sorted(on_dep):
        s = scenario.services[key[0]]
        y = m.add_var(
            0.0, 1.0, cost=s.fixed_cost_per_departure, integer=True, name=f"y[{s.id},{key[1]}]"
        )
        rm.y[key] = y
        for var in on_dep[key]:
            m.add_row([var, y], [1.0, -1.0], ub=0.0)
        if s.cost_per_container <= 0:
            continue
        total = sum(v for _, v, _ in loads[key])
        c = m.add_var(
            0.0,
            math.ceil(total / s.container_m3 - 1e-9),
            cost=s.cost_per_container,
            integer=True,
            name=f"c[{s.id},{key[1]}]",
        )
        rm.c[key] = c
        idx = [c] + [var for var, _, _ in loads[key]]
        coef = [s.container_m3] + [-v for _, v, _ in loads[key]]
        m.add_row(idx, coef, lb=0.0)
        m.add_row([c, y], [1.0, -1.0], lb=0.0)
        for var, vol, split in loads[key]:
            need = math.ceil(vol / s.container_m3 - 1e-9)
            if not split and need > 1:
                m.add_row([c, var], [1.0, -float(need)], lb=0.0)


def _flow_rows(scenario: OrdersScenario, rm: OrderMip, oa: OrderArcs) -> None:
    """Conservation at each live state, arrival at the destination, enter-once per node."""
    order = scenario.orders[oa.order]
    m = rm.mip
    balance: dict[tuple[str, int], tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    into_node: dict[str, list[int]] = defaultdict(list)
    arrivals: list[int] = []

    def add(state: tuple[str, int], var: int, coef: float) -> None:
        idx, cf = balance[state]
        idx.append(var)
        cf.append(coef)

    for dep in oa.departures:
        s = scenario.services[dep.service]
        var = rm.x[(oa.order, dep)]
        add((s.origin, dep.board), var, -1.0)
        if s.dest == order.dest:
            arrivals.append(var)
        else:
            add((s.dest, dep.arrive), var, 1.0)
            into_node[s.dest].append(var)
    for node, day in oa.waits:
        var = rm.w[(oa.order, node, day)]
        add((node, day), var, -1.0)
        add((node, day + 1), var, 1.0)
    start = (order.origin, oa.start)
    for state in sorted(balance):
        idx, cf = balance[state]
        rhs = -1.0 if state == start else 0.0
        m.add_row(idx, cf, lb=rhs, ub=rhs)
    m.add_row(arrivals, [1.0] * len(arrivals), lb=1.0, ub=1.0)
    for node in sorted(into_node):
        if len(into_node[node]) > 1:
            m.add_row(into_node[node], [1.0] * len(into_node[node]), ub=1.0)
