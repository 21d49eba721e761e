"""The restricted master (optimizer/solve/master.py): bound valid, gap honest, plans close.

The hand-checked case: two demands share one container lane (10 kg per container,
USD 20). Demand A (10 orders, 1 kg each) costs 5 per order on the lane or 8 off it;
demand B (5 orders) 4 on it or 9 off it; unmet orders cost 100.

* LP: the lane saves 3 (A) and 5 (B) per order and costs 2 per order in container
  share, so everything rides it: 50 + 20 + 1.5 × 20 = **100** (the LP bound).
* MIP: one container filled with B's 5 and 5 of A's, A's other 5 off the lane:
  25 + 40 + 20 + 20 = **105**; two containers: 110; none: 125.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.routes.evaluate import RouteEvaluator
from optimizer.scenario.generate import generate_scenario
from optimizer.scenario.load import load
from optimizer.solve import flow_model as fm
from optimizer.solve import optimize as op
from optimizer.solve.backend import LpSession, MipModel, solve
from optimizer.solve.master import (
    ColumnMatrix,
    MasterProblem,
    lagrangian_bound,
    price,
    solve_restricted,
)
from optimizer.solve.settings import SolverSettings, SolveStatus

ROOT = Path(__file__).resolve().parents[1]


def _tiny() -> tuple[MasterProblem, np.ndarray]:
    m = MipModel()
    a1 = m.add_var(0, 10, cost=5.0)  # A on the lane
    a2 = m.add_var(0, 10, cost=8.0)  # A off it
    b1 = m.add_var(0, 5, cost=4.0)
    b2 = m.add_var(0, 5, cost=9.0)
    ua = m.add_var(0, 10, cost=100.0)
    ub = m.add_var(0, 5, cost=100.0)
    n = m.add_var(0, float("inf"), cost=20.0, integer=True)
    m.add_row([a1, a2, ua], [1, 1, 1], 10, 10)
    m.add_row([b1, b2, ub], [1, 1, 1], 5, 5)
    m.add_row([a1, b1, n], [1, 1, -10], ub=0)
    group = np.array([0, 0, 1, 1, 0, 1, -1])
    orders = np.array([10.0, 5.0])
    start = np.array([a2, b2, ua, ub, n])  # the master starts off the lane
    return MasterProblem.of(m, group, orders, start), np.array([n])


def test_column_matrix_is_the_rows():
    master, _ = _tiny()
    a = np.zeros((3, 7))
    for r, (index, coef, _, _) in enumerate(master.model.rows):
        a[r, index] = coef
    y = np.array([2.0, -1.0, 0.5])
    assert master.matrix.transpose_dot(y) == pytest.approx(a.T @ y)
    assert master.matrix.column(0) == ([0, 2], [1.0, 1.0])
    cols = np.array([0, 2, 6])
    assert master.matrix.rows_of(cols) == [([0], [1.0]), ([1], [1.0]), ([0, 1, 2], [1, 1, -10])]
    assert isinstance(ColumnMatrix.of(master.model), ColumnMatrix)


def test_lagrangian_bound_is_a_lower_bound_for_any_duals():
    master, _ = _tiny()
    rng = np.random.default_rng(0)
    for _ in range(200):
        y = rng.normal(0, 10, size=3)
        assert lagrangian_bound(master, y) <= 100.0 + 1e-9
    # the LP optimum's duals: y_A = 5 + 2, y_B = 4 + 2, lane -2 per kg -> exactly 100
    assert lagrangian_bound(master, np.array([7.0, 6.0, -2.0])) == pytest.approx(100.0)


def test_price_picks_the_negative_reduced_costs_outside():
    master, _ = _tiny()
    inside = np.zeros(7, dtype=bool)
    inside[master.start] = True
    # duals of the master that starts off the lane: y_A = 8, y_B = 9, lane 0
    assert price(master, np.array([8.0, 9.0, 0.0]), inside).tolist() == [0, 2]
    assert price(master, np.array([5.0, 4.0, 0.0]), inside).tolist() == []


def test_gap_within_target_returns_the_rounded_plan_with_the_lp_bound():
    master, ints = _tiny()
    out = solve_restricted(master, SolverSettings(relative_gap=0.1), ints)
    assert out.status is SolveStatus.OPTIMAL
    assert out.bound == pytest.approx(100.0)
    assert out.objective == pytest.approx(110.0)  # 2 containers, all on the lane
    assert out.gap == pytest.approx(10 / 110)


def test_gap_above_target_hands_the_warm_plan_to_the_mip():
    master, ints = _tiny()
    out = solve_restricted(master, SolverSettings(relative_gap=1e-6), ints)
    assert out.status is SolveStatus.OPTIMAL
    assert out.objective == pytest.approx(105.0)
    assert out.values[6] == pytest.approx(1.0)
    assert out.bound == pytest.approx(105.0)


@pytest.mark.slow
def test_restricted_master_matches_the_full_mip_on_a_generated_case(tmp_path):
    path = generate_scenario(
        ROOT / "networks" / "global", 300, 3, tmp_path, time_limit_s=60, relative_gap=0.01
    )
    sc, net, _ = load(path)
    ev = RouteEvaluator(net)
    cands = op.build_candidates(net, sc, evaluator=ev)
    demands = {d.id: d for d in sc.demands}
    model = fm.build(net, sc, cands.options, demands)
    settings = SolverSettings(relative_gap=0.01, time_limit_s=60)
    full = solve(model.mip, settings)
    ours = op.solve_flow(model, demands, settings, master_from=0)
    assert full.objective is not None and ours.objective is not None and ours.bound is not None
    assert ours.status is SolveStatus.OPTIMAL
    assert ours.gap is not None and ours.gap <= 0.01
    assert ours.bound <= full.objective * (1 + 1e-9)  # a valid bound on the full MIP
    assert abs(ours.objective - full.objective) <= 0.01 * full.objective
    assert model.mip.evaluate(ours.values) == pytest.approx(ours.objective)
    x = ours.values
    for index, coef, lo, hi in model.mip.rows:  # the plan meets every row
        act = float(np.dot(coef, x[index]))
        assert lo - 1e-6 * max(1, abs(act)) <= act <= hi + 1e-6 * max(1, abs(act))


def test_add_column_arrays_is_add_columns():
    """The array door of LpSession adds the same columns as the tuple one."""
    master, _ = _tiny()
    start = np.array([1, 3, 4, 5, 6])
    new = np.array([0, 2])
    outs = []
    for arrays in (False, True):
        rows = master.matrix.rows_of(start)
        sub = MipModel(
            lb=[0.0] * 5,
            ub=[10.0, 5.0, 10.0, 5.0, float("inf")],
            integer=[False] * 5,
            cost=master.cost[start].tolist(),
            names=[""] * 5,
            rows=[
                (i, c, lo, hi)
                for (i, c), (_, _, lo, hi) in zip(rows, master.model.rows, strict=True)
            ],
        )
        session = LpSession(sub)
        if arrays:
            r, k, v = master.matrix.entries_of(new)
            session.add_column_arrays(
                np.array([0, 0]), np.array([10, 5]), master.cost[new], r, k, v
            )
        else:
            session.add_columns(
                [0, 0], [10, 5], master.cost[new].tolist(), [master.matrix.column(j) for j in new]
            )
        outs.append(session.solve())
    assert outs[0].objective == pytest.approx(100.0)
    assert outs[1].objective == pytest.approx(100.0)
    assert outs[1].values == pytest.approx(outs[0].values)
