"""The arc-based PuLP baseline (benchmarks/baseline_arc.py) on the hand-checkable tiny network.

Network (tests/data/tiny, see tests/test_optimizer.py): O (CN) → M (US) by
express L_EXP (mean 6.5 d, P90 7.56 d door to door, $14 + $2 duty per order)
or postal L_POST (mean 14.5 d), or truck → sea FCL → drayage into the overseas
warehouse W and last mile L_LM.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

pytest.importorskip("pulp")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import baseline_arc as ba

from optimizer.network.reader import read_network
from optimizer.network.records import Lane, Mode, Scope
from optimizer.routes.candidates import Route
from optimizer.routes.evaluate import evaluate
from optimizer.scenario.load import load
from optimizer.scenario.records import Demand, Pattern, Scenario, SolverOptions
from optimizer.solve.optimize import optimize

DATA = Path(__file__).parent / "data"
DAY = dt.date(2026, 3, 1)


def test_arc_plan_on_tiny_scenario_costs_at_least_our_optimum():
    sc, net, _ = load(DATA / "tiny_scenario.yaml")
    ours = optimize(sc, net)  # relative_gap 0 in the fixture: the optimum
    assert ours.status == "optimal" and ours.objective is not None
    out = ba.run(net, sc, relative_gap=0.0, time_limit_s=20)
    assert out["has_plan"] and out["reached_gap"]
    # the decomposed plan, costed by our evaluator, can never beat our optimum ...
    assert out["true_cost"] >= ours.objective * (1 - 1e-9)
    assert out["sla_honest_cost"] >= out["true_cost"] * (1 - 1e-9)
    # ... and here every cost is additive and no SLA is near: the same plan, the same cost
    assert out["true_cost"] == pytest.approx(ours.objective, rel=1e-9)
    assert out["objective"] == pytest.approx(ours.objective, rel=1e-6)
    assert out["late_demands"] == 0 and out["broken_rows"] == 0
    model = ba.build_arc_model(net, sc)
    ba.solve_arc_model(model, relative_gap=0.0, time_limit_s=20)
    paths = {(d.id, r.key): f for d, r, f in ba.plan_paths(model, net)}
    assert paths == {
        ("bulk-apparel", "overseas-warehouse:L_TRK>L_SEA>L_DRAY>L_LM"): pytest.approx(1000),
        ("luxury", "direct-package:L_EXP"): pytest.approx(50),
    }


def test_mean_lead_time_row_lets_a_late_route_through():
    """SLA 7 d: express has mean 6.5 d ≤ 7 (the arc model's test) but P90 7.56 d > 7."""
    net = read_network(DATA / "tiny")
    d = Demand("x", "O", "M", "apparel", 100, 0.5, 0.003, 20.0, 7, patterns=(Pattern.DIRECT,))
    sc = Scenario(
        "t",
        DATA / "x.yaml",
        DATA / "tiny",
        DAY,
        "USD",
        (d,),
        solver=SolverOptions(time_limit_s=20, relative_gap=0.0),
    )
    express = evaluate(
        net, d, Route(Pattern.DIRECT, (), ("L_EXP",), None), day=DAY, inventory=sc.inventory
    )
    assert express.mean_days < 7 < express.p90
    ours = optimize(sc, net)  # no route meets the P90 SLA: all 100 orders unmet
    assert ours.objective == pytest.approx(100 * sc.options.unmet_penalty_per_order)
    out = ba.run(net, sc, relative_gap=0.0, time_limit_s=20)
    assert out["late_demands"] == 1 and out["late_orders_pct"] == pytest.approx(100.0)
    # served late by express: $14 freight + $2 duty + value of time 0 + CO2e price 0
    assert out["true_cost"] == pytest.approx(100 * express.cost.total)
    assert out["true_cost"] < ours.objective
    # counting the late orders as unmet gives back exactly our (feasible) optimum
    assert out["sla_honest_cost"] == pytest.approx(ours.objective)


def _lane(lane_id: str, a: str, b: str) -> Lane:
    return Lane(lane_id, a, b, Mode.TRUCK, "c", Scope.ANY, "t", 1.0, 1.0, 0.1, 10.0)


def test_decompose_splits_paths_and_cancels_cycles():
    lanes = [
        _lane("oa", "O", "A"),
        _lane("ab", "A", "B"),
        _lane("bm", "B", "M"),
        _lane("am", "A", "M"),
        _lane("ba", "B", "A"),
    ]
    # 5 on O>A; 3 continue A>B>M, 2 go A>M; a cycle A>B>A of 1 rides on top
    flows = [5.0, 4.0, 3.0, 2.0, 1.0]
    paths = dict(ba.decompose(lanes, flows, "O", "M"))
    assert paths == {("oa", "ab", "bm"): pytest.approx(3.0), ("oa", "am"): pytest.approx(2.0)}
