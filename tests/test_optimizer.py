"""The weekly optimizer on the hand-checkable 5-node network (tests/data/tiny).

Network: origin O (CN) → market M (US) by express (L_EXP: $10 first 0.5 kg +
$4 per extra 0.5 kg, divisor 5000) or postal (L_POST: $6 first kg, max 2 kg,
divisor 6000), or by truck (L_TRK $200/vehicle) → sea FCL (L_SEA $2,000/FEU)
→ drayage (L_DRAY $200) into overseas warehouse W (release $1/order) and
last mile (L_LM $4 first kg). US duty on apparel 10 % of FOB value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cli.main import main
from optimizer.costing.tariff import price_shipment
from optimizer.network.records import Network, NodeKind
from optimizer.plan.writers import plan_json
from optimizer.routes.candidates import Route, RouteIndex, candidate_routes
from optimizer.routes.evaluate import RouteEvaluator, evaluate
from optimizer.scenario.load import apply_what_if, load
from optimizer.scenario.records import Demand, Inventory, Pattern, Scenario, SolverOptions, WhatIf
from optimizer.solve.optimize import optimize

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
GLOBAL = Path(__file__).resolve().parents[1] / "networks" / "global"
DAY = dt.date(2026, 3, 1)


def scenario(*demands: Demand, **kw) -> Scenario:
    return Scenario(
        "t",
        DATA / "x.yaml",
        TINY,
        DAY,
        "USD",
        tuple(demands),
        solver=SolverOptions(time_limit_s=20, relative_gap=0.0),
        **kw,
    )


def with_lane_capacity(network, lane_id: str, kg_per_week: float):
    """A copy of ``network`` with one lane's weekly kg capacity set."""
    return dataclasses.replace(
        network,
        lanes=tuple(
            dataclasses.replace(lane, capacity_kg_per_week=kg_per_week)
            if lane.id == lane_id
            else lane
            for lane in network.lanes
        ),
    )


def lognormal_sd(mean: float, p90: float) -> float:
    """Standard deviation of the lognormal with this mean and P90 (bisection on sigma)."""
    z = NormalDist().inv_cdf(0.9)
    lo, hi = 1e-9, 3.0
    for _ in range(200):  # ln p90 - ln mean = z s - s²/2, increasing for s < z
        s = (lo + hi) / 2
        lo, hi = (s, hi) if z * s - s * s / 2 < math.log(p90 / mean) else (lo, s)
    return mean * math.sqrt(math.exp(s * s) - 1)


def test_hand_checked_plan_uses_both_patterns(tiny):
    bulk = Demand("bulk-apparel", "O", "M", "apparel", 1000, 0.5, 0.003, 20.0, 10)
    lux = Demand("luxury", "O", "M", "apparel", 50, 0.5, 0.003, 2000.0, 10)
    plan = optimize(scenario(bulk, lux), tiny)
    assert plan.status == "optimal"
    by_id = {d.id: d for d in plan.demands}
    (a,) = by_id["bulk-apparel"].allocations
    assert a.pattern == "overseas-warehouse" and a.lanes == ("L_TRK", "L_SEA", "L_DRAY", "L_LM")
    (b,) = by_id["luxury"].allocations
    assert b.pattern == "direct-package" and b.lanes == ("L_EXP",)
    # luxury by express: 0.003 m3 / 5000 cm3/kg = 0.6 kg chargeable -> $10 + 1 x $4; duty 10 %
    assert b.cost_per_order.freight == pytest.approx(14.0)
    assert b.cost_per_order.duties_taxes == pytest.approx(200.0)
    # one vehicle/container per week on each bulk lane: 525 kg, 3.15 m3
    containers = {u.lane: u.containers for u in plan.lanes if u.containers is not None}
    assert containers == {"L_TRK": 1, "L_SEA": 1, "L_DRAY": 1}
    # inventory by hand: bulk lead time mean = handling O 1 + truck (0.5 wait + 1) + handling
    # PS 2 + sea (3.5 wait + 16) + customs PD 2 + handling PD 2 + dray (0.5 + 1) = 29.5 days
    weeks_l, weeks_r = 29.5 / 7, 2.0
    var_days = (1 / 12) + (49 / 12) + lognormal_sd(16, 19) ** 2 + (1 / 12)
    safety = NormalDist().inv_cdf(0.95) * math.sqrt((weeks_l + weeks_r) * 0.3**2 + var_days / 49)
    holding = (weeks_l + 1.0 + safety) * 20.0 * 0.25 / 52
    storage = (1.0 + safety) * 0.003 * 1.0 * 7
    assert a.cost_per_order.inventory == pytest.approx(holding + storage, rel=2e-3)
    expected = 1000 * (4 + 1 + 2 + holding + storage) + 50 * 214 + 3 * 0 + 2400
    assert plan.objective == pytest.approx(expected, rel=1e-4)
    assert plan.totals.orders == 1050 and plan.totals.unmet_orders == 0


def test_small_demand_alone_goes_by_post(tiny):
    """20 orders/week cannot fill a container: postal ($6 + $2 duty) beats $2,400 of vehicles."""
    small = Demand("small", "O", "M", "apparel", 20, 0.5, 0.003, 20.0, 30)
    plan = optimize(scenario(small), tiny)
    (a,) = plan.demands[0].allocations
    assert a.lanes == ("L_POST",)
    assert plan.objective == pytest.approx(20 * 8.0)


def test_no_route_within_sla_explains_fastest_p90(tiny):
    fast = Demand(
        "fast", "O", "M", "apparel", 10, 0.5, 0.003, 20.0, 1.0, patterns=(Pattern.DIRECT,)
    )
    plan = optimize(scenario(fast), tiny)
    (d,) = plan.infeasible_demands
    assert d.unmet_orders == 10
    assert "fastest possible P90 is 7.6 d via L_EXP" in d.reasons[0]


def test_lane_capacity_shortfall_is_named(tiny):
    capped = with_lane_capacity(tiny, "L_EXP", 100.0)
    d = Demand("d", "O", "M", "apparel", 300, 0.5, 0.003, 2000.0, 8, patterns=(Pattern.DIRECT,))
    plan = optimize(scenario(d), capped)
    (bad,) = plan.infeasible_demands
    assert bad.unmet_orders == pytest.approx(100)  # 100 kg / 0.5 kg = 200 orders carried
    assert "capacity on lane L_EXP (100) is full: short by 50 kg/week" in bad.reasons[0]


def test_closing_the_sea_lane_forces_direct(tiny):
    bulk = Demand("bulk", "O", "M", "apparel", 1000, 0.5, 0.003, 20.0, 10)
    closed = apply_what_if(tiny, WhatIf(closed_lanes=("L_SEA",)))
    plan = optimize(scenario(bulk), closed)
    (a,) = plan.demands[0].allocations
    assert a.pattern == "direct-package" and a.lanes == ("L_EXP",)


def test_single_route_option_picks_one_route(tiny):
    # Express capacity 200 kg/week forces a split; single_route must not split.
    capped = with_lane_capacity(tiny, "L_POST", 200.0)
    d = Demand("d", "O", "M", "apparel", 1000, 0.5, 0.003, 20.0, 30, patterns=(Pattern.DIRECT,))
    split = optimize(scenario(d), capped)
    assert len(split.demands[0].allocations) == 2
    single = optimize(
        dataclasses.replace(
            scenario(d), options=dataclasses.replace(scenario(d).options, single_route=True)
        ),
        capped,
    )
    assert len(single.demands[0].allocations) == 1


demand_strategy = st.builds(
    lambda i, n, w, v, val, sla, pats: Demand(
        f"d{i}", "O", "M", "apparel", n, w, v, val, sla, patterns=pats
    ),
    st.integers(0, 10_000),
    st.floats(1, 3000),
    st.floats(0.1, 2.5),
    st.floats(0.0005, 0.02),
    st.floats(1, 3000),
    st.floats(2, 40),
    st.sampled_from([tuple(Pattern), (Pattern.DIRECT,), (Pattern.OVERSEAS,)]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(demand_strategy, min_size=1, max_size=4, unique_by=lambda d: d.id))
def test_plan_invariants(tiny, demands):
    network = tiny
    plan = optimize(scenario(*demands), network)
    assert plan.status == "optimal"
    by_id = {d.id: d for d in demands}
    for dp in plan.demands:
        served = sum(a.orders for a in dp.allocations)
        # every order is served or reported unmet; shares sum to 1
        assert served + dp.unmet_orders == pytest.approx(dp.orders_per_week, rel=1e-6, abs=1e-6)
        assert sum(
            a.share for a in dp.allocations
        ) + dp.unmet_orders / dp.orders_per_week == pytest.approx(1.0, abs=1e-6)
        for a in dp.allocations:
            assert a.p90_days <= by_id[dp.id].sla_days + 1e-9
        if dp.unmet_orders > 0:
            assert dp.reasons
    for use in plan.lanes:  # containers x capacity >= flow
        if use.containers is not None:
            tariff = network.tariff_by_id[network.lane_by_id[use.lane].tariff]
            assert use.containers * tariff.container_capacity_kg >= use.kg - 1e-6
            assert use.containers * tariff.container_capacity_m3 >= use.m3 - 1e-6


def reference_routes(
    network: Network, origin: str, market: str, pattern: Pattern, max_legs: int
) -> list[Route]:
    """candidate_routes recomputed the plain way: every lane and node scanned at every step."""
    stock_kind = {
        Pattern.BONDED: NodeKind.BONDED_ZONE,
        Pattern.OVERSEAS: NodeKind.OVERSEAS_WAREHOUSE,
    }
    blocked = {n.id for n in network.nodes if n.kind is NodeKind.MARKET or n.kind.holds_stock}
    direct = pattern is Pattern.DIRECT
    if direct:
        targets = {market}
    else:
        targets = {
            n.id
            for n in network.nodes
            if n.kind is stock_kind[pattern]
            and network.territory_of(n.id) == network.territory_of(market)
        }
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(node: str, path: tuple[str, ...], seen: list[str]) -> None:
        for lane in network.lanes:
            ok = lane.scope.carries_parcels() if direct else lane.scope.carries_bulk()
            if lane.origin != node or not ok or lane.dest in seen:
                continue
            here, there = network.territory_of(node), network.territory_of(lane.dest)
            if there != here and there in {network.territory_of(n) for n in seen}:
                continue
            if lane.dest in targets:
                found.append(((*path, lane.id), lane.dest))
            elif lane.dest not in blocked and len(path) + 1 < max_legs - (not direct):
                walk(lane.dest, (*path, lane.id), [*seen, lane.dest])

    walk(origin, (), [origin])
    if direct:
        return [Route(pattern, (), lanes, None) for lanes, _ in sorted(found)]
    return [
        Route(pattern, lanes, (lm.id,), node)
        for lanes, node in sorted(found)
        for lm in network.lanes
        if lm.origin == node and lm.dest == market and lm.scope.carries_parcels()
    ]


@pytest.mark.parametrize(
    ("origin", "market", "pattern"),
    [
        ("CN_YIW_ORIGIN", "M_DE", Pattern.DIRECT),
        ("KR_ICN_ORIGIN", "M_NL", Pattern.DIRECT),
        ("DE_DUS_ORIGIN", "M_CN_EAST", Pattern.BONDED),
        ("US_CHI_ORIGIN", "M_PL", Pattern.OVERSEAS),
        ("CN_SHA_ORIGIN", "M_GB", Pattern.BONDED),
    ],
)
def test_indexed_candidate_routes_match_plain_recomputation(
    tiny, global_network, origin, market, pattern
):
    network = global_network
    want = reference_routes(network, origin, market, pattern, max_legs=7)
    assert want or pattern is Pattern.BONDED
    index = RouteIndex.build(network)
    assert candidate_routes(network, origin, market, pattern, index=index) == want
    assert candidate_routes(network, origin, market, pattern) == want  # an index per call
    evaluator = RouteEvaluator(network)  # owns its index: other networks do not disturb it
    RouteEvaluator(tiny).routes("O", "M", Pattern.DIRECT, max_legs=7)
    assert evaluator.routes(origin, market, pattern, max_legs=7) == want
    assert candidate_routes(network, origin, market, pattern, max_legs=4) == reference_routes(
        network, origin, market, pattern, max_legs=4
    )


@settings(max_examples=30, deadline=None)
@given(st.floats(0.1, 1.9), st.floats(0.0005, 0.02))
def test_direct_route_cost_is_sum_of_its_legs(tiny, weight, volume):
    network = tiny
    d = Demand("d", "O", "M", "apparel", 100, weight, volume, 50.0, 40)
    for route in candidate_routes(network, "O", "M", Pattern.DIRECT):
        option = evaluate(network, d, route, day=DAY, inventory=Inventory())
        legs = sum(
            price_shipment(
                network.tariff_by_id[network.lane_by_id[x].tariff],
                network,
                weight_kg=weight,
                volume_m3=volume,
            ).total
            for x in route.lanes
        )
        assert option.cost.freight == pytest.approx(legs)


def test_same_seed_same_plan(tiny):
    demands = (
        Demand("a", "O", "M", "apparel", 700, 0.8, 0.004, 30.0, 12),
        Demand("b", "O", "M", "apparel", 90, 1.5, 0.01, 300.0, 9),
    )
    one = plan_json(optimize(scenario(*demands), tiny))
    two = plan_json(optimize(scenario(*demands), tiny))
    assert one == two  # byte for byte: timings are not in plan.json


def test_load_converts_money_to_usd(tmp_path):
    text = (DATA / "tiny_scenario.yaml").read_text().replace("currency: USD", "currency: CNY")
    text = text.replace("network: tiny", f"network: {TINY}")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    sc, _, _ = load(path)
    assert sc.demands[0].value_usd == pytest.approx(20 / 7.0)  # fx: 7 CNY per USD


# ----------------------------------------------------------------------------- CLI
def test_run_cli_writes_outputs_and_json(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(DATA / "tiny_scenario.yaml"), "-o", str(out), "--json", "--no-map"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("format_version", "status", "objective", "bound", "gap", "totals", "demands"):
        assert key in data
    for key in ("cost", "freight", "duties_taxes", "inventory", "handling", "co2e_kg", "orders"):
        assert key in data["totals"]
    alloc = data["demands"][0]["allocations"][0]
    for key in (
        "pattern",
        "share",
        "orders",
        "legs",
        "modes",
        "lead_time_days",
        "cost_per_order",
        "co2e_kg_per_order",
    ):
        assert key in alloc
    assert set(alloc["lead_time_days"]) >= {"p50", "p90"}
    assert {p.name for p in out.iterdir()} == {
        "plan.json",
        "allocations.csv",
        "lanes.csv",
        "routes.geojson",
        "timings.json",
    }
    assert json.loads((out / "plan.json").read_text())["objective"] == data["objective"]
    assert not list(out.glob(".*tmp"))  # atomic writes leave no temporary files


def test_run_cli_infeasible_exits_3_with_reason(tmp_path):
    text = (DATA / "tiny_scenario.yaml").read_text().replace("sla_days: 10}", "sla_days: 1}")
    text = text.replace("network: tiny", f"network: {TINY}")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["run", str(path), "--no-map"])
    assert result.exit_code == 3
    assert "no route within the SLA of 1 d" in result.stderr
    assert "fastest possible P90" in result.stderr


def test_run_cli_pareto(tmp_path):
    result = CliRunner().invoke(
        main, ["run", str(DATA / "tiny_scenario.yaml"), "--pareto", "--points", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["points"]
    assert len(points) >= 2
    days = [p["mean_p90_days"] for p in points]
    costs = [p["cost_per_week"] for p in points]
    assert days == sorted(days) and costs == sorted(costs, reverse=True)  # non-dominated


BROKEN_SCENARIOS = [
    ("sla_days: 10}", "sla_days: -1}", "line 9, field 'demands[].sla_days'", "out of range"),
    ("weight_kg: 0.5,", "weight_kg: heavy,", "field 'demands[].weight_kg'", "not a number"),
    ("plan_date: 2026-03-01", "plan_date: 2026-13-01", "field 'plan_date'", "a date YYYY-MM-DD"),
    ("origin: O,", "origin: OO,", "line 8, field 'origin'", "did you mean 'O'?"),
    ("category: apparel,", "category: aparel,", "field 'category'", "did you mean 'apparel'?"),
    ("solver: {", "solver: {bogus: 1, ", "field 'solver.bogus'", "unknown field"),
    ("name: tiny hand-checked\n", "", "field 'name'", "value is missing"),
    ("volume_m3: 0.003,", "", "field 'volume_m3'", "parcel volume is missing"),
    ("demands:", "demands: [\n", "line", "YAML syntax error"),
]


@pytest.mark.parametrize(("old", "new", "where", "what"), BROKEN_SCENARIOS)
def test_bad_scenario_exits_2_naming_the_field(tmp_path, old, new, where, what):
    text = (DATA / "tiny_scenario.yaml").read_text().replace("network: tiny", f"network: {TINY}")
    assert old in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(old, new, 1))
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert str(path) in result.stderr and where in result.stderr and what in result.stderr
