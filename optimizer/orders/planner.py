"""Route orders over scheduled services: prune, build, solve, read the plan back.

``route(scenario)`` is the library entry point behind ``xborder route``. Orders
that no dated path delivers in time are explained and left out of the MIP;
the rest are solved together (they share departures and containers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from optimizer.orders.expand import Departure, OrderArcs, Timetable, order_arcs
from optimizer.orders.explain import explain
from optimizer.orders.heuristic import greedy_values
from optimizer.orders.model import OrderMip, build_model
from optimizer.orders.records import OrdersScenario
from optimizer.orders.result import (
    DepartureUse,
    Infeasible,
    Leg,
    OrderPlan,
    RoutePart,
    RoutePlan,
)
from optimizer.solve.backend import SolveOutcome, solve
from optimizer.solve.settings import Backend, SolverSettings, SolveStatus

EPS = 1e-6
DEFAULT_BACKEND = Backend.SCIP  # with the warm start: fastest here and best at time limits


def route(
    scenario: OrdersScenario,
    *,
    time_limit_s: float | None = None,
    seed: int = 0,
    backend: Backend | str = DEFAULT_BACKEND,
    relative_gap: float = 1e-6,
    warm_start: bool = True,
) -> RoutePlan:
    """Solve the order-routing problem of ``scenario`` and return the plan.

    A greedy consolidating plan is passed to the solver as a hint
    (``warm_start``) and, when a time limit stops the solver before it finds
    any solution, returned instead with status ``feasible`` and no gap.
    """
    horizon = (scenario.last_day - scenario.first_day).days
    tt = Timetable(scenario.services, scenario.first_day, horizon)
    arcs: list[OrderArcs] = []
    infeasible: list[Infeasible] = []
    for k, order in enumerate(scenario.orders):
        oa = order_arcs(tt, scenario, k)
        if oa.departures:
            arcs.append(oa)
        else:
            infeasible.append(explain(scenario, order))
    backend = Backend.parse(backend)
    settings = SolverSettings(
        time_limit_s=time_limit_s, relative_gap=relative_gap, seed=seed, backend=backend
    )
    rm = build_model(scenario, tt, arcs)
    if not arcs:
        status = SolveStatus.INFEASIBLE
        return RoutePlan(
            scenario.name,
            status,
            None,
            None,
            None,
            0.0,
            0.0,
            0.0,
            0.0,
            (),
            (),
            tuple(infeasible),
            backend,
        )
    greedy = greedy_values(scenario, arcs, rm)
    if greedy is not None and warm_start:
        rm.mip.hint = greedy
    out = solve(rm.mip, settings)
    if not out.status.has_solution and greedy is not None and time_limit_s is not None:
        # Limit reached without an incumbent: fall back to the greedy plan (unproven).
        values = np.array([greedy[i] for i in range(rm.mip.num_vars)])
        out = SolveOutcome(
            SolveStatus.FEASIBLE, rm.mip.evaluate(values), None, None, out.seconds, values
        )
    greedy_cost = (
        None
        if greedy is None
        else rm.mip.evaluate(np.array([greedy[i] for i in range(rm.mip.num_vars)]))
    )
    status = out.status
    if infeasible and status is SolveStatus.OPTIMAL:
        status = SolveStatus.INFEASIBLE  # the plan is optimal for the orders it could route
    if not out.status.has_solution:
        return RoutePlan(
            scenario.name,
            status,
            None,
            out.bound,
            None,
            out.seconds,
            0.0,
            0.0,
            0.0,
            (),
            (),
            tuple(infeasible),
            backend,
        )
    orders, deps = _read_plan(scenario, tt, arcs, rm, out.values)
    return RoutePlan(
        scenario.name,
        status,
        out.objective,
        out.bound,
        out.gap,
        out.seconds,
        transport=sum(d.cost for d in deps),
        warehouse=sum(o.warehouse for o in orders),
        tax=sum(o.tax for o in orders),
        orders=orders,
        departures=deps,
        infeasible=tuple(infeasible),
        backend=backend,
        variables=rm.mip.num_vars,
        rows=len(rm.mip.rows),
        greedy_objective=greedy_cost,
    )


def _read_plan(
    scenario: OrdersScenario,
    tt: Timetable,
    arcs: list[OrderArcs],
    rm: OrderMip,
    values: np.ndarray,
) -> tuple[tuple[OrderPlan, ...], tuple[DepartureUse, ...]]:
    """Turn solver values into per-order routes and used departures."""

    def val(var: int) -> float:
        return float(values[var])

    load: dict[tuple[int, int], list[tuple[str, float]]] = defaultdict(list)
    for (k, dep), var in rm.x.items():
        if val(var) > EPS:
            order = scenario.orders[k]
            load[(dep.service, dep.day)].append((order.id, val(var) * order.volume_m3))
    deps: list[DepartureUse] = []
    share: dict[str, float] = defaultdict(float)
    for key in sorted(load):
        s = scenario.services[key[0]]
        containers = round(val(rm.c[key])) if key in rm.c else 0
        cost = s.fixed_cost_per_departure + containers * s.cost_per_container
        volume = sum(v for _, v in load[key])
        for oid, v in load[key]:
            share[oid] += cost * v / volume
        deps.append(
            DepartureUse(
                s.id,
                tt.date(key[1]),
                containers,
                volume,
                tuple(sorted({o for o, _ in load[key]})),
                cost,
            )
        )
    plans = [
        _order_plan(scenario, tt, oa, rm, val, share[scenario.orders[oa.order].id]) for oa in arcs
    ]
    index = {o.id: i for i, o in enumerate(scenario.orders)}
    plans.sort(key=lambda p: index[p.order])
    return tuple(plans), tuple(sorted(deps, key=lambda d: (d.date, d.service)))


def _order_plan(
    scenario: OrdersScenario,
    tt: Timetable,
    oa: OrderArcs,
    rm: OrderMip,
    val: Callable[[int], float],
    transport: float,
) -> OrderPlan:
    """Decompose one order's flow into dated paths and price them."""
    order = scenario.orders[oa.order]
    flow: dict[tuple[str, int], list[tuple[Departure | None, int]]] = defaultdict(list)
    tax = order.value * order.import_tax_rate
    for dep in oa.departures:
        v = val(rm.x[(oa.order, dep)])
        if v > EPS:
            s = scenario.services[dep.service]
            flow[(s.origin, dep.board)].append((dep, rm.x[(oa.order, dep)]))
            tax += order.value * s.transit_duty_rate * v
    warehouse = 0.0
    for node, day in oa.waits:
        var = rm.w[(oa.order, node, day)]
        if val(var) > EPS:
            flow[(node, day)].append((None, var))
            warehouse += scenario.warehouse_rates[node] * order.volume_m3 * val(var)
    left = {var: val(var) for arcs_ in flow.values() for _, var in arcs_}
    parts: list[RoutePart] = []
    remaining = 1.0
    while remaining > EPS:
        state: tuple[str, int] = (order.origin, oa.start)
        legs: list[Leg] = []
        used: list[int] = []
        amount = remaining
        while state[0] != order.dest:
            arc = next((a for a in flow.get(state, ()) if left[a[1]] > EPS), None)
            if arc is None:
                break
            step, var = arc
            amount = min(amount, left[var])
            used.append(var)
            if step is None:  # a day's wait at a warehouse
                state = (state[0], state[1] + 1)
                continue
            s = scenario.services[step.service]
            legs.append(
                Leg(
                    s.id,
                    s.origin,
                    s.dest,
                    s.mode,
                    s.carrier,
                    tt.date(step.day),
                    tt.date(step.arrive),
                )
            )
            state = (s.dest, step.arrive)
        if state[0] != order.dest or not legs:
            break
        for var in used:
            left[var] -= amount
        parts.append(RoutePart(round(amount, 6), tuple(legs)))
        remaining -= amount
    return OrderPlan(
        order.id,
        order.origin,
        order.dest,
        order.ready,
        order.due,
        tuple(parts),
        transport,
        warehouse,
        tax,
    )
