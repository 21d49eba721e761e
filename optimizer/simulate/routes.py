"""Compile a plan's allocations into timed paths the engine can execute on arrays.

A *path* is what one entity (an order's parcel, or a replenishment shipment)
goes through, step by step, exactly as :mod:`optimizer.routes.evaluate`
assembles the analytic lead time, so the simulator and the optimizer agree:

* a :class:`NodeStep` — a node visit: constant days (handling, customs days,
  release days) + with probability ``p`` an inspection delay;
* a :class:`LaneStep` — a lane: wait for the next scheduled departure (headway
  7 / departures per week) + lognormal transit fitted by
  :func:`optimizer.costing.leadtime.lognormal_params`.

Direct-package orders travel the whole route. For a stock pattern the route
splits at the stock node: replenishments travel the bulk path, orders the
customer path (release + last mile).

Alternatives for re-routing and the stock-out fallback: the plan's other
allocations of the same demand (cheapest first), then the cheapest direct
routes of the candidate generator (SLA-feasible ones first), so a demand
planned entirely via stock still has a direct fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.costing.leadtime import STEP, LeadTime, lognormal_params, total
from optimizer.costing.leadtime import lane_time as _lane_time
from optimizer.network.domestic import is_domestic
from optimizer.network.records import Network
from optimizer.plan.records import Allocation, Plan
from optimizer.routes.evaluate import RouteEvaluator
from optimizer.scenario.records import Demand, Pattern, Scenario

#: Direct routes from the candidate generator kept as fallbacks per demand.
FALLBACK_ROUTES = 3


@dataclass(frozen=True, slots=True)
class NodeStep:
    node: str
    days: float  # constant: handling + customs days, or release (+ customs) days
    p: float = 0.0  # inspection probability
    delay: float = 0.0  # inspection delay, days


@dataclass(frozen=True, slots=True)
class LaneStep:
    lane: str
    headway: float  # days between departures (7 / departures per week)
    mu: float  # lognormal transit parameters (sigma 0: constant exp(mu))
    sigma: float


Step = NodeStep | LaneStep


@dataclass(frozen=True, slots=True)
class Path:
    steps: tuple[Step, ...]

    @property
    def lanes(self) -> tuple[str, ...]:
        return tuple(s.lane for s in self.steps if isinstance(s, LaneStep))

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(s.node for s in self.steps if isinstance(s, NodeStep))


@dataclass(frozen=True, slots=True)
class ServingRoute:
    """One way of serving a demand, as the engine runs it (money in USD)."""

    key: str  # pattern:lane>lane...
    pattern: Pattern
    customer: Path  # what an order goes through after it is placed (or released)
    bulk: Path | None  # replenishment path (stock patterns)
    stock_node: str | None
    cost: float  # USD per order
    co2e: float  # kg per order
    planned_orders: float  # per week in the plan (0 for generated fallbacks)
    bulk_mean: float = 0.0  # analytic bulk lead time mean and std (days), for the base stock
    bulk_std: float = 0.0
    in_plan: bool = True


@dataclass(frozen=True, slots=True)
class DemandModel:
    demand: Demand
    routes: tuple[ServingRoute, ...]  # plan allocations (by planned orders), then fallbacks
    unmet_share: float  # planned unmet orders / orders per week


def lane_step(network: Network, lane_id: str) -> LaneStep:
    lane = network.lane_by_id[lane_id]
    mu, sigma = lognormal_params(lane.transit_mean_days, lane.transit_p90_days)
    if sigma < 1e-9:
        mu, sigma = math.log(lane.transit_mean_days), 0.0
    return LaneStep(lane_id, 7.0 / lane.departures_per_week, mu, sigma)


def _entry(network: Network, lanes: tuple[str, ...], territory: str) -> str | None:
    for x in lanes:
        dest = network.lane_by_id[x].dest
        if network.territory_of(dest) == territory:
            return dest
    return None


def _node_step(
    network: Network, node: str, *, handling: bool, clears: bool, extra: float = 0.0
) -> NodeStep:
    n = network.node_by_id[node]
    days = (n.handling_days if handling else 0.0) + (n.customs_days if clears else 0.0) + extra
    return NodeStep(
        node, days, n.inspection_rate if clears else 0.0, n.inspection_delay_days if clears else 0.0
    )


def direct_path(
    network: Network, lanes: tuple[str, ...], origin: str, market: str, *, clears: bool = True
) -> Path:
    """Origin handling, then per lane: the lane, clearance at the entry node, transfer handling.

    ``clears`` False: a domestic route, which clears no customs anywhere.
    """
    entry = _entry(network, lanes, network.territory_of(market)) if clears else None
    steps: list[Step] = [_node_step(network, origin, handling=True, clears=False)]
    for x in lanes:
        steps.append(lane_step(network, x))
        dest = network.lane_by_id[x].dest
        if dest == entry or dest != market:
            steps.append(_node_step(network, dest, handling=dest != market, clears=dest == entry))
    return Path(tuple(steps))


def stock_paths(
    network: Network,
    lanes: tuple[str, ...],
    stock_node: str,
    origin: str,
    market: str,
    pattern: Pattern,
) -> tuple[Path, Path]:
    """(bulk path into the stock node, customer path from it), as ``evaluate`` builds them."""
    split = next(i for i, x in enumerate(lanes) if network.lane_by_id[x].dest == stock_node) + 1
    bulk, customer = lanes[:split], lanes[split:]
    entry = _entry(network, lanes, network.territory_of(market))
    steps: list[Step] = [_node_step(network, origin, handling=True, clears=False)]
    for x in bulk:
        steps.append(lane_step(network, x))
        dest = network.lane_by_id[x].dest
        steps.append(_node_step(network, dest, handling=True, clears=dest == entry))
    stock = network.node_by_id[stock_node]
    release = _node_step(
        network,
        stock_node,
        handling=False,
        clears=pattern is Pattern.BONDED,
        extra=stock.release_days,
    )
    cust: list[Step] = [release, *(lane_step(network, x) for x in customer)]
    return Path(tuple(steps)), Path(tuple(cust))


def analytic(network: Network, path: Path) -> LeadTime:
    """The optimizer's analytic lead-time distribution of a path (base stock, tests)."""
    return total(_part(network, s) for s in path.steps)


def _std(dist: LeadTime) -> float:
    ks = np.arange(dist.offset, dist.offset + dist.pmf.size) * STEP
    mean = float(ks @ dist.pmf)
    return math.sqrt(max(float((ks * ks) @ dist.pmf) - mean * mean, 0.0))


def _from_allocation(network: Network, demand: Demand, a: Allocation) -> ServingRoute:
    pattern = Pattern(a.pattern)
    key = f"{pattern.value}:{'>'.join(a.lanes)}"
    if not pattern.uses_stock:  # direct-package, b2b-direct, domestic
        return ServingRoute(
            key,
            pattern,
            direct_path(
                network, a.lanes, demand.origin, demand.market, clears=pattern.clears_customs
            ),
            None,
            None,
            a.cost_per_order.total,
            a.co2e_kg_per_order,
            a.orders,
        )
    bulk, customer = stock_paths(
        network, a.lanes, a.stock_node or "", demand.origin, demand.market, pattern
    )
    dist = analytic(network, bulk)
    return ServingRoute(
        key,
        pattern,
        customer,
        bulk,
        a.stock_node,
        a.cost_per_order.total,
        a.co2e_kg_per_order,
        a.orders,
        dist.mean,
        _std(dist),
    )


def _part(network: Network, s: Step) -> LeadTime:
    if isinstance(s, LaneStep):
        return _lane_time(network.lane_by_id[s.lane])
    return LeadTime.constant(s.days) + LeadTime.bernoulli_delay(s.p, s.delay)


def fallback_routes(
    evaluator: RouteEvaluator, scenario: Scenario, demand: Demand
) -> list[ServingRoute]:
    """The cheapest direct routes of the candidate generator (SLA-feasible first)."""
    network = evaluator.network
    domestic = is_domestic(network, demand.origin, demand.market)
    pattern = Pattern.DOMESTIC if domestic else Pattern.DIRECT
    routes = evaluator.routes(
        demand.origin, demand.market, pattern, max_legs=scenario.options.max_legs
    )
    options = [
        evaluator.evaluate(
            demand,
            r,
            day=scenario.plan_date,
            inventory=scenario.inventory,
            over_limit_share=scenario.options.cbec_over_limit_share,
        )
        for r in routes
    ]
    ok = [o for o in options if o.ok]
    ok.sort(key=lambda o: (o.p90 > demand.sla_days + 1e-9, o.standalone_cost(), o.route.key))
    return [
        ServingRoute(
            o.route.key,
            pattern,
            direct_path(network, o.route.lanes, demand.origin, demand.market, clears=not domestic),
            None,
            None,
            o.standalone_cost(),
            o.co2e_kg,
            0.0,
            in_plan=False,
        )
        for o in ok[:FALLBACK_ROUTES]
    ]


def compile_plan(plan: Plan, scenario: Scenario, network: Network) -> tuple[DemandModel, ...]:
    """Route models per demand of the plan, with fallback direct routes appended."""
    demands = {d.id: d for d in scenario.demands}
    evaluator = RouteEvaluator(network)
    out = []
    for dp in plan.demands:
        demand = demands[dp.id]
        routes = [_from_allocation(network, demand, a) for a in dp.allocations]
        seen = {r.key for r in routes}
        routes += [r for r in fallback_routes(evaluator, scenario, demand) if r.key not in seen]
        unmet = dp.unmet_orders / dp.orders_per_week if dp.orders_per_week else 0.0
        out.append(DemandModel(demand, tuple(routes), min(max(unmet, 0.0), 1.0)))
    return tuple(out)
