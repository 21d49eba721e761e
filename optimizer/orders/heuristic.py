"""A greedy consolidating plan: a warm start for the MIP and a fallback at the time limit.

Orders are taken by ready date; each takes its cheapest dated path given what
earlier orders already loaded (a used departure's fixed charge is sunk, only
extra containers cost). Paths come from Dijkstra over the order's pruned
states. The result is a complete assignment of the MIP's variables, so it can
be handed to the solver as a hint and, when the solver finds nothing within
its time limit, read back as a (feasible, unproven) plan.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

from optimizer.orders.expand import Departure, OrderArcs
from optimizer.orders.model import OrderMip
from optimizer.orders.records import OrdersScenario

Step = Departure | tuple[str, int]  # a departure, or a one-day wait starting at (node, day)


def _cheapest(
    scenario: OrdersScenario, oa: OrderArcs, load: dict[tuple[int, int], float]
) -> list[Step] | None:
    """Cheapest simple path of one order at marginal prices (None if there is none)."""
    order = scenario.orders[oa.order]
    out: dict[tuple[str, int], list[tuple[float, tuple[str, int], Step]]] = defaultdict(list)
    for dep in oa.departures:
        s = scenario.services[dep.service]
        have = load.get((dep.service, dep.day))
        extra = math.ceil(
            (have or 0.0) / s.container_m3 + order.volume_m3 / s.container_m3 - 1e-9
        ) - math.ceil((have or 0.0) / s.container_m3 - 1e-9)
        cost = (0.0 if have else s.fixed_cost_per_departure) + extra * s.cost_per_container
        cost += order.value * s.transit_duty_rate
        out[(s.origin, dep.board)].append((cost, (s.dest, dep.arrive), dep))
    for node, day in oa.waits:
        rate = scenario.warehouse_rates[node] * order.volume_m3
        out[(node, day)].append((rate, (node, day + 1), (node, day)))
    start = (order.origin, oa.start)
    # Labels carry the nodes visited so far, so paths never re-enter a node (the model's
    # enter-once rule); paths are short, so the label sets stay small.
    Label = tuple[tuple[str, int], frozenset[str]]
    first: Label = (start, frozenset([order.origin]))
    best: dict[Label, float] = {first: 0.0}
    how: dict[Label, tuple[Label, Step]] = {}
    heap: list[tuple[float, int, Label]] = [(0.0, 0, first)]
    pushed = 0
    while heap:
        cost, _, label = heapq.heappop(heap)
        state, seen = label
        if cost > best[label]:
            continue
        if state[0] == order.dest:
            steps: list[Step] = []
            while label != first:
                label, step = how[label]
                steps.append(step)
            return steps[::-1]
        for c, head, step in out.get(state, ()):
            if head[0] != state[0] and head[0] in seen:
                continue
            nxt = (head, seen | {head[0]})
            if cost + c < best.get(nxt, math.inf):
                best[nxt] = cost + c
                how[nxt] = (label, step)
                pushed += 1
                heapq.heappush(heap, (cost + c, pushed, nxt))
    return None


def greedy_values(
    scenario: OrdersScenario, arcs: list[OrderArcs], rm: OrderMip
) -> dict[int, float] | None:
    """Values for every MIP variable from the greedy plan, or None if some order failed."""
    load: dict[tuple[int, int], float] = {}
    values = dict.fromkeys(range(rm.mip.num_vars), 0.0)
    for oa in sorted(arcs, key=lambda a: (scenario.orders[a.order].ready, a.order)):
        steps = _cheapest(scenario, oa, load)
        if steps is None:
            return None
        vol = scenario.orders[oa.order].volume_m3
        for step in steps:
            if isinstance(step, Departure):
                key = (step.service, step.day)
                load[key] = load.get(key, 0.0) + vol
                values[rm.x[(oa.order, step)]] = 1.0
            else:
                values[rm.w[(oa.order, step[0], step[1])]] = 1.0
    for key, volume in load.items():
        values[rm.y[key]] = 1.0
        if key in rm.c:
            size = scenario.services[key[0]].container_m3
            values[rm.c[key]] = float(math.ceil(volume / size - 1e-9))
    return values
