"""Monte Carlo simulation of a plan (optimizer/simulate) on the tiny 5-node network.

The tiny plan (tests/test_optimizer.py): ``bulk-apparel`` (1,000 orders/week)
via the overseas warehouse W (truck → sea FCL → drayage, then last mile
L_LM), ``luxury`` (50 orders/week) by express L_EXP. The only other route
O → M is postal L_POST (P90 ≈ 18 days, beyond the 10-day SLA).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from optimizer.cli.exits import EXIT_GATE, EXIT_INPUT
from optimizer.cli.main import main
from optimizer.costing.leadtime import Z90, lognormal_params
from optimizer.scenario.load import load
from optimizer.simulate import SimConfig, simulate
from optimizer.simulate.config import Disruption
from optimizer.simulate.results import quantile
from optimizer.simulate.routes import LaneStep, NodeStep, analytic, compile_plan, lane_step
from optimizer.simulate.routes import Path as SimPath
from optimizer.simulate.world import World, run_path
from optimizer.solve.optimize import optimize

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
SCENARIO = DATA / "tiny_scenario.yaml"


@pytest.fixture(scope="module")
def tiny_plan():
    sc, network, _ = load(SCENARIO)
    return sc, network, optimize(sc, network)


def _world(lanes: dict[str, float], trials: int = 1) -> World:
    return World(trials, 10_000, dict(lanes), {x: np.zeros(trials) for x in lanes})


def _scenario(tmp_path: Path, simulation: str) -> Path:
    text = SCENARIO.read_text().replace("network: tiny", f"network: {TINY}")
    path = tmp_path / "s.yaml"
    path.write_text(text + "simulation:\n" + simulation)
    return path


# -- closed forms ---------------------------------------------------------------------------


def test_lane_transit_p90_matches_the_fitted_lognormal(tiny):
    network = tiny
    step = lane_step(network, "L_SEA")  # mean 16, P90 19 days
    mu, sigma = lognormal_params(16.0, 19.0)
    assert (step.mu, step.sigma) == (mu, sigma)  # the optimizer's own fit
    no_wait = LaneStep("L_SEA", 0.0, mu, sigma)
    n = 1_000_000
    days = run_path(
        SimPath((no_wait,)),
        _world({"L_SEA": 0.0}),
        np.random.default_rng(1),
        np.zeros(n, dtype=np.int64),
        np.zeros(n),
    )
    assert np.quantile(days, 0.9) == pytest.approx(math.exp(mu + Z90 * sigma), rel=0.01)
    assert np.quantile(days, 0.9) == pytest.approx(19.0, rel=0.01)
    assert days.mean() == pytest.approx(16.0, rel=0.01)


def test_inspection_rate_and_departure_wait_are_reproduced():
    n, p = 1_000_000, 0.15
    path = SimPath((NodeStep("PD", 2.0, p, 3.0),))
    days = run_path(
        path, _world({}), np.random.default_rng(2), np.zeros(n, dtype=np.int64), np.zeros(n)
    )
    inspected = np.mean(days > 2.5)
    assert abs(inspected - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert set(np.round(np.unique(days), 9)) == {2.0, 5.0}
    # one departure a week at a random phase per trial: the wait is uniform on [0, 7)
    trials = 100_000
    world = World(trials, 10_000, {"X": 7.0}, {"X": np.random.default_rng(3).random(trials) * 7})
    constant = SimPath((LaneStep("X", 7.0, math.log(2.0), 0.0),))
    t = np.arange(trials)
    start = np.random.default_rng(4).random(trials) * 7
    wait = run_path(constant, world, np.random.default_rng(5), t, start) - start - 2.0
    assert wait.min() >= -1e-9 and wait.max() <= 7.0
    assert wait.mean() == pytest.approx(3.5, abs=4 * 7 / math.sqrt(12 * trials))


def test_plan_lead_times_match_the_optimizers_analytic_ones(tiny_plan):
    sc, network, plan = tiny_plan
    result = simulate(plan, sc, network, SimConfig(trials=60, seed=3, demand_noise="none"))
    for d in plan.demands:
        (a,) = d.allocations
        m = next(x for x in result.demands if x.id == d.id).metrics
        assert m.lead_p50 == pytest.approx(a.p50_days, rel=0.02)
        assert m.lead_p90 == pytest.approx(a.p90_days, rel=0.02)
        assert m.stockout_rate is None or m.stockout_rate < 0.01  # bulk lead-time noise only
    # the compiled customer path is the optimizer's route, step for step
    models = {m.demand.id: m for m in compile_plan(plan, sc, network)}
    express = models["luxury"].routes[0]
    assert express.customer.lanes == ("L_EXP",)
    assert analytic(network, express.customer).p90 == pytest.approx(
        plan.demands[1].allocations[0].p90_days, abs=0.02
    )


def test_histogram_quantile_interpolates_within_bins():
    hist = np.zeros(1000, dtype=np.int64)
    hist[100:200] = 10  # uniform on [1, 2) days
    assert quantile(hist, 0.5) == pytest.approx(1.5)
    assert quantile(hist, 0.9) == pytest.approx(1.9)


# -- determinism and the CLI ----------------------------------------------------------------


def _run(*args: str):
    return CliRunner().invoke(main, ["simulate", *args])


def test_same_seed_same_json_different_seed_different(tmp_path):
    path = _scenario(
        tmp_path,
        "  demand_noise: cv\n  disruptions:\n"
        "    - {lane: L_EXP, probability_per_week: 0.2, closure: true}\n",
    )
    a = _run(str(path), "--trials", "20", "--seed", "11", "--json")
    b = _run(str(path), "--trials", "20", "--seed", "11", "--json")
    c = _run(str(path), "--trials", "20", "--seed", "12", "--json")
    assert a.exit_code == 0, a.output
    assert a.stdout == b.stdout
    assert a.stdout != c.stdout
    assert json.loads(a.stdout)["overall"]["orders"] > 0


def test_ci_gates_exit_0_or_4_with_one_line_reason(tmp_path):
    args = [str(SCENARIO), "--trials", "10", "--seed", "1"]
    ok = _run(
        *args,
        "-o",
        str(tmp_path / "sim"),
        "--fail-under",
        "on_time=0.9",
        "--fail-over",
        "cost_p95=100",
    )
    assert ok.exit_code == 0, ok.output
    assert "bulk-apparel" in ok.stdout and "overall" in ok.stdout
    assert (tmp_path / "sim" / "lead_times.png").stat().st_size > 1000
    assert json.loads((tmp_path / "sim" / "simulation.json").read_text())["trials"] == 10
    bad = _run(*args, "--fail-under", "on_time=0.99999", "--fail-over", "cost_p95=5")
    assert bad.exit_code == EXIT_GATE
    (line,) = [x for x in bad.stderr.splitlines() if x.startswith("gate failed")]
    assert "on_time" in line and "< 0.99999" in line and "cost_p95" in line
    one = _run(*args, "--fail-under", "on_time@luxury=0.99", "--fail-over", "lead_p90@luxury=8")
    assert one.exit_code == 0, one.stderr  # luxury by express: P90 7.6 d against a 10 d SLA
    unknown = _run(*args, "--fail-under", "on_time@nobody=0.5")
    assert unknown.exit_code == EXIT_INPUT and "nobody" in unknown.stderr


def test_plan_json_round_trip_gives_the_same_simulation(tmp_path):
    run = CliRunner().invoke(main, ["run", str(SCENARIO), "-o", str(tmp_path), "--no-map"])
    assert run.exit_code == 0, run.output
    args = [str(SCENARIO), "--trials", "5", "--seed", "4", "--json"]
    fresh = _run(*args)
    reused = _run(*args, "--plan", str(tmp_path / "plan.json"))
    assert reused.exit_code == 0, reused.output
    assert fresh.stdout == reused.stdout


@pytest.mark.parametrize(
    ("simulation", "field", "what"),
    [
        ("  trials: -5\n", "simulation.trials", "out of range"),
        ("  horizon_weeks: 2.5\n", "simulation.horizon_weeks", "not a whole number"),
        ("  demand_noise: gauss\n", "simulation.demand_noise", "poisson, cv, none"),
        ("  trails: 5\n", "simulation.trails", "did you mean 'trials'"),
        (
            "  disruptions:\n    - {lane: L_EXP, probability_per_week: 1.5, closure: true}\n",
            "simulation.disruptions[0].probability_per_week",
            "out of range",
        ),
        (
            "  disruptions:\n    - {lane: L_EXPP, probability_per_week: 0.5, closure: true}\n",
            "simulation.disruptions[0].lane",
            "did you mean 'L_EXP'",
        ),
        (
            "  disruptions:\n    - {node: XX, probability_per_week: 0.5, closure: true}\n",
            "simulation.disruptions[0].node",
            "unknown node",
        ),
        (
            "  disruptions:\n"
            "    - {lane: L_EXP, node: M, probability_per_week: 0.5, closure: true}\n",
            "simulation.disruptions[0]",
            "exactly one target",
        ),
        (
            "  disruptions:\n    - {lane: L_EXP, probability_per_week: 0.5}\n",
            "simulation.disruptions[0]",
            "closure: true or extra_delay_days",
        ),
    ],
)
def test_bad_simulation_parameters_exit_2_naming_them(tmp_path, simulation, field, what):
    path = _scenario(tmp_path, simulation)
    result = _run(str(path), "--trials", "2")
    assert result.exit_code == EXIT_INPUT, result.output
    assert str(path) in result.stderr and "line " in result.stderr
    assert f"field '{field}'" in result.stderr and what in result.stderr
    assert "Traceback" not in result.output


def test_bad_command_line_values_exit_2():
    for args in (
        ["--trials", "-1"],
        ["--seed", "-2"],
        ["--fail-under", "ontime=0.9"],
        ["--fail-over", "cost_p95=cheap"],
    ):
        result = _run(str(SCENARIO), *args)
        assert result.exit_code == EXIT_INPUT, (args, result.output)


def test_help_has_an_example():
    result = _run("--help")
    assert result.exit_code == 0 and "--fail-under on_time=0.95" in result.output


# -- disruptions and stock ------------------------------------------------------------------


def _metrics(result, demand: str):
    return next(d.metrics for d in result.demands if d.id == demand)


def test_closed_express_reroutes_luxury_to_postal_and_on_time_drops(tiny_plan):
    sc, network, plan = tiny_plan
    base = simulate(plan, sc, network, SimConfig(trials=20, seed=8))
    closed = simulate(
        plan,
        sc,
        network,
        SimConfig(
            trials=20,
            seed=8,
            disruptions=(Disruption("express strike", 1.0, closure=True, lane="L_EXP"),),
        ),
    )
    before, after = _metrics(base, "luxury"), _metrics(closed, "luxury")
    assert before.on_time > 0.99 and before.rerouted_rate == 0.0
    assert after.rerouted_rate == 1.0  # every order re-routed: postal, the generator's fallback
    lux = next(d for d in closed.demands if d.id == "luxury")
    assert lux.routes == (("direct-package:L_POST", 1.0),)
    # postal: handling 1 d + wait U(0,1) + lognormal(12, 16) + customs 1 d at M; P(≤ 10 d) small
    assert after.on_time < 0.2 and after.lead_p90 > 15
    assert _metrics(closed, "bulk-apparel").on_time > 0.99  # its routes avoid L_EXP


def test_closure_without_alternative_delays_until_reopening(tiny_plan):
    sc, network, plan = tiny_plan
    # the market closes for one week with probability 1/2 each week: no route avoids it
    closed = simulate(
        plan,
        sc,
        network,
        SimConfig(
            trials=20,
            seed=9,
            horizon_weeks=6,
            disruptions=(Disruption("market closed", 0.5, closure=True, node="M"),),
        ),
    )
    lux = _metrics(closed, "luxury")
    assert lux.rerouted_rate == 0.0
    assert 0.2 < lux.disrupted_rate < 0.95
    assert lux.on_time < 0.9 and lux.lead_p99 > 10


def test_sea_closure_drains_stock_into_express_fallback_or_backorders(tiny_plan):
    sc, network, plan = tiny_plan
    suez = (
        Disruption(
            "transpacific closed", 0.2, duration_weeks=4, closure=True, corridor="transpacific"
        ),
    )
    fallback = simulate(plan, sc, network, SimConfig(trials=30, seed=10, disruptions=suez))
    m = _metrics(fallback, "bulk-apparel")
    assert 0.0 < m.stockout_rate < 1.0 and m.stock_service == pytest.approx(1 - m.stockout_rate)
    routes = dict(next(d for d in fallback.demands if d.id == "bulk-apparel").routes)
    assert routes["direct-package:L_EXP"] == pytest.approx(m.stockout_rate, abs=1e-9)
    assert m.on_time > 0.97  # express meets the SLA, at a cost
    calm = _metrics(simulate(plan, sc, network, SimConfig(trials=30, seed=10)), "bulk-apparel")
    assert m.cost_mean > calm.cost_mean and m.cost_p95 > calm.cost_p95
    backorder = simulate(
        plan, sc, network, SimConfig(trials=30, seed=10, disruptions=suez, stockout="backorder")
    )
    b = _metrics(backorder, "bulk-apparel")
    assert b.stockout_rate > 0 and b.on_time < m.on_time and b.lead_p99 > 10
    assert dict(next(d for d in backorder.demands if d.id == "bulk-apparel").routes) == {
        "overseas-warehouse:L_TRK>L_SEA>L_DRAY>L_LM": 1.0
    }


def test_demand_noise_beyond_the_provisioned_cv_causes_stockouts(tiny_plan):
    sc, network, plan = tiny_plan
    calm = simulate(plan, sc, network, SimConfig(trials=30, seed=12, demand_noise="none"))
    noisy = simulate(
        plan, sc, network, SimConfig(trials=30, seed=12, demand_noise="cv", demand_cv=1.0)
    )
    assert _metrics(calm, "bulk-apparel").stockout_rate < 0.002
    assert _metrics(noisy, "bulk-apparel").stockout_rate > 0.01
