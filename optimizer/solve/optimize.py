"""Optimize a scenario: candidates → evaluation → MIP → :class:`Plan` with reasons.

What is exact and what is heuristic (also in docs/model.md): the MIP is
solved to the scenario's relative gap over the candidate set. The candidate
set is every simple route of at most ``max_legs`` lanes that meets the SLA,
cut to the ``candidates_per_pattern`` cheapest per demand and pattern by
standalone cost (containers at full load) — exact when no demand has more
candidates than that, a heuristic otherwise (the plan notes say when). From
:data:`RESTRICTED_MASTER_FROM` route options on, the MIP is solved by a restricted
master (:mod:`optimizer.solve.master`): the reported gap is still proven against
the full model (a Lagrangian LP bound); which plan within it is found is heuristic.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from optimizer.costing import leadtime as lt
from optimizer.network.domestic import flow_patterns
from optimizer.network.hs_codes import priced_code
from optimizer.network.records import Network
from optimizer.plan import records as pr
from optimizer.routes.candidates import Route
from optimizer.routes.evaluate import CostSplit, PricedRoute, RouteEvaluator, RouteOption
from optimizer.routes.timing import route_timing
from optimizer.scenario.records import Demand, Inventory, Pattern, Scenario
from optimizer.solve import flow_model as fm
from optimizer.solve.backend import SolveOutcome, solve
from optimizer.solve.gc_pause import gc_paused
from optimizer.solve.master import MasterProblem, solve_restricted
from optimizer.solve.settings import SolverSettings, SolveStatus


@dataclass(frozen=True, slots=True)
class Candidates:
    options: list[RouteOption]
    reasons: dict[str, tuple[str, ...]]  # demand -> why it has no (or few) options
    notes: tuple[str, ...]


RouteTable = dict[tuple[str, str, Pattern], tuple[list[Route], list[float]]]


@gc_paused
def structural_routes(
    network: Network, scenario: Scenario, *, evaluator: RouteEvaluator | None = None
) -> RouteTable:
    """Routes of every (origin, market, pattern) the scenario's demands need, sorted by P90.

    ``evaluator`` (built on ``network``) lends its caches; pass the same one to
    :func:`build_candidates` to reuse them.
    """
    evaluator = evaluator if evaluator is not None else RouteEvaluator(network)
    table: RouteTable = {}
    for d in scenario.demands:
        for p in d.patterns:  # a pattern that does not apply has no route (candidate_routes)
            key = (d.origin, d.market, p)
            if key not in table:
                found = evaluator.routes(d.origin, d.market, p, max_legs=scenario.options.max_legs)
                p90 = [evaluator.statics(r).p90 for r in found]
                order = sorted(range(len(found)), key=lambda i: p90[i])
                table[key] = ([found[i] for i in order], [p90[i] for i in order])
    return table


@gc_paused
def build_candidates(
    network: Network,
    scenario: Scenario,
    *,
    table: RouteTable | None = None,
    evaluator: RouteEvaluator | None = None,
) -> Candidates:
    """Evaluate every structural route for every demand; keep the SLA-feasible best.

    Speed without changing the result: structural routes are enumerated once per
    (origin, market, pattern) and sorted by their (demand-independent) P90, so a
    demand evaluates only the routes within its SLA; every route of the group is
    evaluated only when none of those can serve it (to say why). Routes are priced
    (:meth:`RouteEvaluator.price`) and ranked first; only the kept ones become
    :class:`RouteOption` records.
    """
    evaluator = evaluator if evaluator is not None else RouteEvaluator(network)
    table = (
        table if table is not None else structural_routes(network, scenario, evaluator=evaluator)
    )
    price = functools.partial(
        evaluator.price, over_limit_share=scenario.options.cbec_over_limit_share
    )
    options: list[RouteOption] = []
    reasons: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    keep = scenario.options.candidates_per_pattern
    day, inventory = scenario.plan_date, scenario.inventory
    for demand in scenario.demands:
        why: list[str] = []
        fastest: PricedRoute | None = None
        kept_any = False
        for pattern in flow_patterns(network, demand.origin, demand.market, demand.patterns):
            structural, p90s = table[(demand.origin, demand.market, pattern)]
            if not structural:
                why.append(f"{pattern.value}: no route from {demand.origin} to {demand.market}")
                continue
            n_within = bisect.bisect_right(p90s, demand.sla_days + 1e-9)
            within = [
                o
                for o in (
                    price(demand, r, day=day, inventory=inventory) for r in structural[:n_within]
                )
                if o.ok
            ]
            if not within:
                evaluated = [price(demand, r, day=day, inventory=inventory) for r in structural]
                ok = [o for o in evaluated if o.ok]
                if not ok:
                    refusals = sorted({o.reason for o in evaluated})
                    why.append(
                        f"{pattern.value}: no route can carry it ({'; '.join(refusals[:3])})"
                    )
                    continue
                best = min(ok, key=lambda o: (o.p90, o.statics.key))
                if fastest is None or best.p90 < fastest.p90:
                    fastest = best
                why.append(
                    f"{pattern.value}: no route within the SLA of {demand.sla_days:g} d "
                    f"— the fastest possible P90 is {best.p90:.1f} d via "
                    f"{' > '.join(best.route.lanes)}"
                )
                continue
            within.sort(
                key=lambda o: (
                    fm.option_unit_cost(o, scenario) + o.container_usd,
                    o.statics.key,
                )
            )
            if len(within) > keep:
                notes.append(
                    f"demand {demand.id} {pattern.value}: kept the {keep} cheapest of "
                    f"{len(within)} SLA-feasible routes (heuristic cut)"
                )
            options.extend(o.option() for o in within[:keep])
            kept_any = True
        if not kept_any:
            reasons[demand.id] = tuple(why)
    return Candidates(options, reasons, tuple(notes))


def optimize(
    scenario: Scenario,
    network: Network,
    *,
    candidates: Candidates | None = None,
    max_avg_p90_days: float | None = None,
) -> pr.Plan:
    """The cheapest plan (objective of the scenario); optionally cap the mean P90 (Pareto)."""
    network = network.fx_on(scenario.plan_date)  # no-op after scenario.load.prepare
    cands = candidates or build_candidates(network, scenario)
    demands = {d.id: d for d in scenario.demands}
    model = fm.build(network, scenario, cands.options, demands)
    if max_avg_p90_days is not None:
        fm.add_time_limit(model, demands, max_avg_p90_days)
    settings = SolverSettings.from_options(scenario.solver)
    return extract(scenario, network, model, solve_flow(model, demands, settings), cands)


#: From this many route options on, the flow model is solved by the restricted master
#: (:mod:`optimizer.solve.master`: column generation to a proven LP bound, LP-guided
#: rounding, the MIP only when that is not within the gap). Below it the MIP solver gets
#: the whole model, as before: small plans stay exactly what they were (golden tests), and
#: there SCIP alone is as fast (2,000 demands, 25,326 options: 0.7 against 0.5 CPU s).
RESTRICTED_MASTER_FROM = 100_000


def solve_flow(
    model: fm.FlowModel,
    demands: dict[str, Demand],
    settings: SolverSettings,
    *,
    master_from: int = RESTRICTED_MASTER_FROM,
) -> SolveOutcome:
    """Solve the flow model to ``settings.relative_gap``: the whole MIP, or for large models
    (``master_from`` route options or more, integers only in container counts) the
    restricted master, whose gap is proven against the full model's LP bound."""
    if len(model.options) < master_from:
        return solve(model.mip, settings)
    group, orders, start, integer = fm.master_columns(model, demands)
    containers = np.isin(integer, np.fromiter(model.container_var.values(), dtype=np.int64))
    if not np.all(containers):
        return solve(model.mip, settings)
    master = MasterProblem.of(model.mip, group, orders, start)
    return solve_restricted(master, settings, integer)


def solve_flow_model(model: fm.FlowModel, settings: SolverSettings) -> SolveOutcome:
    """Solve the flow MIP, starting from its LP relaxation rounded up (opt-in strategy).

    Not the default: on the generated 2,000-demand benchmark SCIP alone reaches
    1 % faster (benchmarks/bench_scale.py measures both).

    When the only integers are the container counts, rounding them up in the LP
    optimum gives a feasible plan (flows unchanged), and re-solving the LP with
    those counts fixed improves it. The LP optimum is a valid lower bound, so if
    that plan is within ``relative_gap`` of it, it is returned with that proven
    gap; otherwise it is handed to the MIP solver as a warm start (hint).
    """
    mip = model.mip
    container_vars = set(model.container_var.values())
    ints = [i for i, flag in enumerate(mip.integer) if flag]
    if not ints or any(i not in container_vars for i in ints):
        return solve(mip, settings)
    started = time.perf_counter()
    relaxed = dataclasses.replace(mip, integer=[False] * mip.num_vars, hint={})
    lp = solve(relaxed, dataclasses.replace(settings, relative_gap=0.0))
    if not lp.status.has_solution or lp.objective is None:
        return solve(mip, settings)
    fixed = list(mip.lb), list(mip.ub)
    for i in ints:
        n = math.ceil(float(lp.values[i]) - 1e-6)
        fixed[0][i] = fixed[1][i] = float(max(n, 0))
    rounded = solve(
        dataclasses.replace(relaxed, lb=fixed[0], ub=fixed[1]),
        dataclasses.replace(settings, relative_gap=0.0),
    )
    elapsed = time.perf_counter() - started
    if not rounded.status.has_solution or rounded.objective is None:
        return solve(mip, settings)
    bound = lp.objective
    gap = abs(rounded.objective - bound) / max(abs(rounded.objective), 1e-9)
    if gap <= settings.relative_gap:
        return SolveOutcome(
            SolveStatus.OPTIMAL, rounded.objective, bound, gap, elapsed, rounded.values
        )
    warm = dataclasses.replace(mip, hint={i: float(v) for i, v in enumerate(rounded.values)})
    if settings.time_limit_s is not None:
        left = max(settings.time_limit_s - elapsed, 1.0)
        settings = dataclasses.replace(settings, time_limit_s=left)
    out = solve(warm, settings)
    if (
        not out.status.has_solution
        or out.objective is None
        or (out.objective > rounded.objective + 1e-9 * abs(rounded.objective))
    ):
        # the solver did not beat the warm start in its time: keep the rounded plan
        best_bound = max(bound, out.bound) if out.bound is not None else bound
        gap = abs(rounded.objective - best_bound) / max(abs(rounded.objective), 1e-9)
        return SolveOutcome(
            SolveStatus.FEASIBLE,
            rounded.objective,
            best_bound,
            gap,
            elapsed + out.seconds,
            rounded.values,
        )
    return dataclasses.replace(out, seconds=elapsed + out.seconds)


@gc_paused
def extract(
    scenario: Scenario,
    network: Network,
    model: fm.FlowModel,
    outcome: SolveOutcome,
    cands: Candidates,
) -> pr.Plan:
    base = dict(
        scenario=scenario.name,
        plan_date=scenario.plan_date.isoformat(),
        currency=scenario.currency,
        per_usd=network.from_usd(1.0, scenario.currency),
        fx=network.fx_use(scenario.currency),
        status=outcome.status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        solve_seconds=outcome.seconds,
        candidates=len(cands.options),
        notes=cands.notes,
        what_ifs=scenario.applied_what_ifs,
    )
    if not outcome.status.has_solution:
        demands = tuple(
            pr.DemandPlan(
                d.id,
                d.origin,
                d.market,
                d.orders_per_week,
                d.sla_days,
                (),
                d.orders_per_week,
                cands.reasons.get(d.id, ()),
                hs_code=priced_code(network, d.category, d.hs_code),
            )
            for d in scenario.demands
        )
        return pr.Plan(totals=None, demands=demands, lanes=(), **base)  # type: ignore[arg-type]
    x = outcome.values
    flows = [float(x[v]) for v in model.flow_var]
    containers = {lane: round(float(x[v])) for lane, v in model.container_var.items()}
    folded, fold_notes = fold_small_splits(model, flows, demands=scenario.demands)
    if fold_notes and _feasible(model, x, folded):
        flows = folded
        base["notes"] = (*cands.notes, *fold_notes)
    lane_uses, container_alloc = _lane_uses(network, model, flows, containers)
    used: dict[str, list[int]] = defaultdict(list)  # demand -> options with flow
    of_demand: dict[str, list[int]] = defaultdict(list)  # demand -> all its options
    for i, o in enumerate(model.options):
        of_demand[o.demand].append(i)
        if flows[i] > 1e-7:
            used[o.demand].append(i)
    loads: dict[str, float] | None = None  # capacity row -> its load, once if needed
    demands_out = []
    for d in scenario.demands:
        allocations = []
        for i in used.get(d.id, ()):
            o = model.options[i]
            allocations.append(
                _allocation(
                    network, o, flows[i], d, container_alloc.get(i, 0.0), scenario.inventory
                )
            )
        allocations.sort(key=lambda a: (-a.orders, a.lanes))
        unmet = float(x[model.unmet_var[d.id]])
        unmet = 0.0 if unmet < 1e-6 else unmet
        reasons = cands.reasons.get(d.id, ())
        if unmet > 0 and not reasons:
            mine = [model.options[i] for i in of_demand.get(d.id, ())]
            loads = _row_loads(model, flows) if loads is None else loads
            reasons = _capacity_reasons(model, d, mine, unmet, loads)
        demands_out.append(
            pr.DemandPlan(
                d.id,
                d.origin,
                d.market,
                d.orders_per_week,
                d.sla_days,
                tuple(allocations),
                unmet,
                reasons,
                hs_code=priced_code(network, d.category, d.hs_code),
            )
        )
    totals = _totals(scenario, demands_out)
    return pr.Plan(totals=totals, demands=tuple(demands_out), lanes=lane_uses, **base)  # type: ignore[arg-type]


def _lane_uses(
    network: Network, model: fm.FlowModel, flows: list[float], containers: dict[str, int]
) -> tuple[tuple[pr.LaneUse, ...], dict[int, float]]:
    kg: dict[str, float] = defaultdict(float)
    m3: dict[str, float] = defaultdict(float)
    equiv: dict[str, dict[int, float]] = defaultdict(dict)  # lane -> option -> container equiv
    for i, o in enumerate(model.options):
        if flows[i] <= 1e-7:
            continue
        for lane_id, w in o.lane_kg:
            kg[lane_id] += flows[i] * w
        for lane_id, v in o.lane_m3:
            m3[lane_id] += flows[i] * v
        for c in o.containers:
            equiv[c.lane][i] = flows[i] * c.share()
    alloc: dict[int, float] = defaultdict(float)  # option -> container cost per week
    uses = []
    for lane_id in sorted(kg):
        lane = network.lane_by_id[lane_id]
        tariff = network.tariff_by_id[lane.tariff]
        n = containers.get(lane_id)
        cost = 0.0
        util: float | None = None
        if n is not None:
            cost = n * model.container_cost[lane_id]
            total_eq = sum(equiv[lane_id].values())
            for i, e in equiv[lane_id].items():
                alloc[i] += cost * e / total_eq if total_eq > 0 else 0.0
            cap_kg = (tariff.container_capacity_kg or math.inf) * n
            cap_m3 = (tariff.container_capacity_m3 or math.inf) * n
            util = max(kg[lane_id] / cap_kg, m3[lane_id] / cap_m3) if n > 0 else None
        elif lane.capacity_kg_per_week:
            util = kg[lane_id] / lane.capacity_kg_per_week
        uses.append(
            pr.LaneUse(
                lane_id, lane.mode.value, lane.carrier, kg[lane_id], m3[lane_id], n, util, cost
            )
        )
    return tuple(uses), alloc


#: Reporting rule for tiny splits: an allocation carrying less than this share of its
#: demand is folded into the demand's largest allocation when the result still meets
#: every row of the MIP (docs/outputs.md). Solved to a relative gap, the MIP may leave a
#: sliver (0.1 % of a demand, a fraction of an order a week) on a second route; no
#: planner ships that.
MIN_SHARE = 0.01


def fold_small_splits(
    model: fm.FlowModel, flows: list[float], *, demands: tuple[Demand, ...]
) -> tuple[list[float], tuple[str, ...]]:
    """Flows with every split under :data:`MIN_SHARE` moved to the demand's largest one.

    Returns the new flows and one note per fold (nothing changes when there is none).
    """
    by_demand: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(model.options):
        if flows[i] > 1e-7:
            by_demand[o.demand].append(i)
    out, notes = list(flows), []
    for d in demands:
        used = by_demand.get(d.id, [])
        if len(used) < 2:
            continue
        main = max(used, key=lambda i: (flows[i], model.options[i].route.key))
        for i in sorted(used, key=lambda i: model.options[i].route.key):
            share = flows[i] / d.orders_per_week
            if i == main or share >= MIN_SHARE:
                continue
            out[main] += out[i]
            out[i] = 0.0
            notes.append(
                f"{d.id}: a {share:.2%} split ({flows[i]:.2f} orders/week, "
                f"{model.options[i].route.pattern.value}) folded into its main route "
                f"(splits under {MIN_SHARE:.0%} of a demand are not reported)"
            )
    return out, tuple(notes)


def _feasible(model: fm.FlowModel, values: Iterable[float], flows: list[float]) -> bool:
    """True if the solution with ``flows`` in place of its flow values meets every row of the
    MIP (capacities, containers, throughput, clearance, storage, a Pareto time cap)."""
    x = [float(v) for v in values]
    for i, var in enumerate(model.flow_var):
        x[var] = flows[i]
    for index, coef, lo, hi in model.mip.rows:
        activity = sum(c * x[j] for j, c in zip(index, coef, strict=True))
        tol = 1e-6 * max(1.0, abs(activity))
        if activity < lo - tol or activity > hi + tol:
            return False
    return True


def _stock_position(
    network: Network, o: RouteOption, orders: float, d: Demand, inventory: Inventory
) -> pr.StockPosition | None:
    """Replenishment lead time and stock of a warehouse allocation (None for direct)."""
    if o.stock is None:
        return None
    bulk = lt.running_total(route_timing(network, o.route).bulk_parts)
    return pr.StockPosition(
        bulk_p50_days=bulk.p50,
        bulk_p90_days=bulk.p90,
        bulk_mean_days=bulk.mean,
        replenishment_days=inventory.replenishment_days,
        pipeline_units=o.stock.pipeline * orders,
        cycle_units=o.stock.cycle * orders,
        safety_units=o.stock.safety * orders,
        unit_value_usd=d.value_usd,
    )


def _allocation(
    network: Network,
    o: RouteOption,
    orders: float,
    d: Demand,
    container_cost_week: float,
    inventory: Inventory,
) -> pr.Allocation:
    lanes = [network.lane_by_id[x] for x in o.route.lanes]
    cost = CostSplit(
        o.cost.freight + container_cost_week / orders,
        o.cost.handling,
        o.cost.duties_taxes,
        o.cost.inventory,
        assumed_fees=o.cost.assumed_fees,
    )
    return pr.Allocation(
        pattern=o.route.pattern.value,
        lanes=o.route.lanes,
        modes=tuple(x.mode.value for x in lanes),
        carriers=tuple(x.carrier for x in lanes),
        stock_node=o.route.stock_node,
        share=orders / d.orders_per_week,
        orders=orders,
        p50_days=o.p50,
        p90_days=o.p90,
        mean_days=o.mean_days,
        cost_per_order=cost,
        co2e_kg_per_order=o.co2e_kg,
        customs=o.treatment,
        stock=_stock_position(network, o, orders, d, inventory),
        fee_assumption=o.fee_assumption,
    )


def _totals(scenario: Scenario, demands: list[pr.DemandPlan]) -> pr.Totals:
    parts: dict[str, float] = defaultdict(float)
    for d in demands:
        for a in d.allocations:
            c = a.cost_per_order
            parts["freight"] += c.freight * a.orders
            parts["handling"] += c.handling * a.orders
            parts["duties_taxes"] += c.duties_taxes * a.orders
            parts["inventory"] += c.inventory * a.orders
            parts["assumed_fees"] += c.assumed_fees * a.orders
            parts["co2e_kg"] += a.co2e_kg_per_order * a.orders
            parts["orders"] += a.orders
            parts["days"] += a.mean_days * a.orders
        parts["unmet"] += d.unmet_orders
    obj = scenario.objective
    time_value = parts["days"] * obj.value_of_day_per_order
    cost = parts["freight"] + parts["handling"] + parts["duties_taxes"] + parts["inventory"]
    return pr.Totals(
        cost=cost,
        freight=parts["freight"],
        handling=parts["handling"],
        duties_taxes=parts["duties_taxes"],
        inventory=parts["inventory"],
        co2e_kg=parts["co2e_kg"],
        orders=parts["orders"],
        unmet_orders=parts["unmet"],
        unmet_penalty=parts["unmet"] * scenario.options.unmet_penalty_per_order,
        value_of_time=time_value,
        co2e_cost=parts["co2e_kg"] / 1000.0 * obj.co2e_price_per_tonne,
        assumed_fees=parts["assumed_fees"],
    )


def _row_loads(model: fm.FlowModel, flows: list[float]) -> dict[str, float]:
    """The load of every capacity row at ``flows`` (computed once per plan, not per demand)."""
    option_of_var = {v: i for i, v in enumerate(model.flow_var)}
    loads = {}
    for row in model.capacity_rows:
        index, coef, _, _ = model.mip.rows[int(row)]
        loads[row] = sum(c * flows[option_of_var[v]] for v, c in zip(index, coef, strict=True))
    return loads


def _capacity_reasons(
    model: fm.FlowModel,
    d: Demand,
    mine: list[RouteOption],
    unmet: float,
    loads: dict[str, float],
) -> tuple[str, ...]:
    """Name the full capacities on this demand's candidate routes (``mine``)."""
    reasons = []
    for row, (what, cap) in sorted(model.capacity_rows.items(), key=lambda kv: kv[1][0]):
        kind, ident = what.split(":", 1)
        if loads[row] < cap * (1 - 1e-6):
            continue
        touches = any(
            (kind.startswith("lane") and ident in o.route.lanes)
            or (kind == "node_kg" and any(n == ident for n, _ in o.node_kg))
            or (kind == "clearance" and o.clearance_node == ident)
            or (kind == "storage" and o.route.stock_node == ident)
            for o in mine
        )
        if not touches:
            continue
        short = {
            "lane_kg": f"{unmet * d.weight_kg:,.0f} kg/week",
            "lane_m3": f"{unmet * d.volume_m3:,.1f} m3/week",
            "node_kg": f"{unmet * d.weight_kg:,.0f} kg/week",
            "clearance": f"{unmet:,.0f} declarations/week",
            "storage": f"{unmet * max(o.storage_m3 for o in mine):,.1f} m3",
        }[kind]
        label = {
            "lane_kg": "capacity on lane",
            "lane_m3": "volume capacity on lane",
            "node_kg": "throughput at node",
            "clearance": "customs clearance at",
            "storage": "storage at",
        }[kind]
        reasons.append(f"{label} {ident} ({cap:,.0f}) is full: short by {short}")
    if not reasons:
        reasons.append(
            f"serving it costs more than the unmet penalty of "
            f"{model.mip.cost[model.unmet_var[d.id]]:,.2f} USD per order"
        )
    return tuple(reasons)
