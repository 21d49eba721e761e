"""The weekly flow MIP: route shares per demand, integer containers, capacities.

Variables
    ``f[o]`` orders/week on route option ``o`` (continuous, ≤ the demand);
    ``u[d]`` unmet orders/week of demand ``d`` (priced by the penalty);
    ``n[l]`` containers or vehicles per week on per_container lane ``l`` (integer);
    ``y[o]`` route used (binary; only with single-route or a route limit).
Constraints
    demand: Σ f + u = orders; containers: Σ f·kg ≤ cap_kg·n and Σ f·m³ ≤ cap_m3·n;
    lane kg/m³ capacity; node throughput; customs clearance declarations per
    week at each clearance point; storage m³ at stock nodes; y-linking.
Objective
    Σ f·(landed cost + value of time + CO2e price) + Σ n·container cost + Σ u·penalty.

SLA: only options whose P90 meets the demand's SLA are given to the model, so
every served order meets it by construction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from optimizer.network.records import Network
from optimizer.routes.evaluate import PricedRoute, RouteOption
from optimizer.scenario.records import Demand, Scenario
from optimizer.solve.backend import MipModel
from optimizer.solve.gc_pause import gc_paused


@dataclass
class FlowModel:
    """A built model plus the maps needed to read its solution."""

    mip: MipModel
    options: list[RouteOption]
    flow_var: list[int]  # per option
    unmet_var: dict[str, int]
    container_var: dict[str, int]  # lane id -> var
    container_cost: dict[str, float]
    capacity_rows: dict[str, tuple[str, float]] = field(default_factory=dict)  # row -> (what, cap)
    time_row_coef: list[float] = field(default_factory=list)  # P90 per option (Pareto)


def option_unit_cost(option: RouteOption | PricedRoute, scenario: Scenario) -> float:
    """Objective coefficient per order on this option (landed + time + CO2e prices)."""
    obj = scenario.objective
    return (
        option.cost.total
        + obj.value_of_day_per_order * option.mean_days
        + obj.co2e_price_per_tonne * option.co2e_kg / 1000.0
    )


@gc_paused
def build(
    network: Network,
    scenario: Scenario,
    options: list[RouteOption],
    demands: dict[str, Demand],
) -> FlowModel:
    mip = MipModel()
    flow = [
        mip.add_var(
            0.0,
            demands[o.demand].orders_per_week,
            cost=option_unit_cost(o, scenario),
            name=f"f[{o.demand}|{o.route.key}]",
        )
        for o in options
    ]
    unmet = {
        d: mip.add_var(
            0.0, dem.orders_per_week, cost=scenario.options.unmet_penalty_per_order, name=f"u[{d}]"
        )
        for d, dem in sorted(demands.items())
    }
    by_demand: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(options):
        by_demand[o.demand].append(i)
    for d, dem in sorted(demands.items()):
        idx = by_demand.get(d, [])
        mip.add_row(
            [flow[i] for i in idx] + [unmet[d]],
            [1.0] * (len(idx) + 1),
            dem.orders_per_week,
            dem.orders_per_week,
        )
    model = FlowModel(mip, options, flow, unmet, {}, {}, time_row_coef=[o.p90 for o in options])
    _containers(model)
    _capacities(model, network)
    _route_limits(model, scenario, demands, by_demand)
    return model


def _containers(model: FlowModel) -> None:
    use: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    spec: dict[str, tuple[float, float, float]] = {}
    for i, o in enumerate(model.options):
        for c in o.containers:
            use[c.lane].append((model.flow_var[i], c.kg, c.m3))
            spec[c.lane] = (c.container_cost_usd, c.capacity_kg, c.capacity_m3)
    for lane in sorted(use):
        cost, cap_kg, cap_m3 = spec[lane]
        n = model.mip.add_var(0.0, math.inf, cost=cost, integer=True, name=f"n[{lane}]")
        model.container_var[lane] = n
        model.container_cost[lane] = cost
        rows = use[lane]
        for cap, col in ((cap_kg, 1), (cap_m3, 2)):
            if math.isfinite(cap):
                model.mip.add_row(
                    [v for v, *_ in rows] + [n], [r[col] for r in rows] + [-cap], ub=0.0
                )


def _capacities(model: FlowModel, network: Network) -> None:
    """Lane kg/m³, node throughput, clearance declarations and storage limits."""
    terms: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for i, o in enumerate(model.options):
        v = model.flow_var[i]
        for lane, kg in o.lane_kg:
            terms[("lane_kg", lane)][v] += kg
        for lane, m3 in o.lane_m3:
            terms[("lane_m3", lane)][v] += m3
        for node, kg in o.node_kg:
            terms[("node_kg", node)][v] += kg
        if o.clearance_node:
            terms[("clearance", o.clearance_node)][v] += 1.0
        if o.route.stock_node and o.storage_m3 > 0:
            terms[("storage", o.route.stock_node)][v] += o.storage_m3
    for (what, ident), coefs in sorted(terms.items()):
        cap = _capacity(network, what, ident)
        if cap is None:
            continue
        keys = sorted(coefs)
        row = model.mip.add_row(keys, [coefs[k] for k in keys], ub=cap)
        model.capacity_rows[str(row)] = (f"{what}:{ident}", cap)


def _capacity(network: Network, what: str, ident: str) -> float | None:
    if what in ("lane_kg", "lane_m3"):
        lane = network.lane_by_id[ident]
        return lane.capacity_kg_per_week if what == "lane_kg" else lane.capacity_m3_per_week
    node = network.node_by_id[ident]
    if what == "node_kg":
        return node.throughput_kg_per_week
    if what == "clearance":
        cap = node.clearance_capacity_orders_per_day
        return None if cap is None else 7.0 * cap
    return node.storage_capacity_m3


def _route_limits(
    model: FlowModel,
    scenario: Scenario,
    demands: dict[str, Demand],
    by_demand: dict[str, list[int]],
) -> None:
    limit = 1 if scenario.options.single_route else scenario.options.max_routes_per_demand
    if limit is None:
        return
    for d in sorted(by_demand):
        idx = by_demand[d]
        if len(idx) <= limit:
            continue
        ys = []
        for i in idx:
            y = model.mip.add_var(0.0, 1.0, integer=True, name=f"y[{i}]")
            model.mip.add_row([model.flow_var[i], y], [1.0, -demands[d].orders_per_week], ub=0.0)
            ys.append(y)
        model.mip.add_row(ys, [1.0] * len(ys), ub=float(limit))


def add_time_limit(model: FlowModel, demands: dict[str, Demand], avg_p90_days: float) -> int:
    """Epsilon constraint: order-weighted mean P90 of all orders ≤ ``avg_p90_days``.

    Unmet orders count at the worst P90 among their demand's options, so
    dropping demand cannot buy a shorter average.
    """
    total = sum(d.orders_per_week for d in demands.values())
    worst: dict[str, float] = defaultdict(float)
    for o in model.options:
        worst[o.demand] = max(worst[o.demand], o.p90)
    index = list(model.flow_var) + [model.unmet_var[d] for d in sorted(model.unmet_var)]
    coef = list(model.time_row_coef) + [worst[d] for d in sorted(model.unmet_var)]
    return model.mip.add_row(index, coef, ub=avg_p90_days * total)


def master_columns(
    model: FlowModel, demands: dict[str, Demand]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arrays for :mod:`optimizer.solve.master`: per variable the number of the demand it
    serves (flow and unmet variables; -1 for containers and others), each demand's orders
    per week, the variables a restricted master starts from (every demand's first-ranked
    option per pattern, and every non-flow variable) and the integer variables.
    """
    n = model.mip.num_vars
    group = np.full(n, -1, dtype=np.int64)
    names = sorted(model.unmet_var)
    number = {d: k for k, d in enumerate(names)}
    for d, v in model.unmet_var.items():
        group[v] = number[d]
    orders = np.array([demands[d].orders_per_week for d in names], dtype=float)
    seen: set[tuple[str, str]] = set()
    start = np.ones(n, dtype=bool)
    for o, v in zip(model.options, model.flow_var, strict=True):
        group[v] = number[o.demand]
        key = (o.demand, o.route.pattern.value)
        start[v] = key not in seen
        seen.add(key)
    integer = np.flatnonzero(np.asarray(model.mip.integer, dtype=bool))
    return group, orders, np.flatnonzero(start), integer
