"""``xborder history watch``: the charts by hand, drift found on generated histories, replan.

The end-to-end fixture is tests/data/tiny plus a second category (``toys``):
a history generated with L_POST x 2.5 and the hold rate of toys at M x 2 from
2026-06-01, calibrated on the data up to 2026-05-31, then watched.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.cli.main import main
from optimizer.history.drift import (
    ChartSettings,
    capped_residuals,
    cusum_arl0,
    cusum_threshold,
    ewma_daily,
    hold_cusum,
    hold_llr,
    llr_threshold,
    upper_cusum,
)
from optimizer.history.survival import LaneStream, survival_cusum

pytest.importorskip("duckdb")

DATA = Path(__file__).parent / "data"
SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "schemas" / "watch.schema.json"
DRIFT = dt.date(2026, 6, 1)
SMALL_SCENARIO = """version: 1
name: watch replan
network: {network}
plan_date: 2026-03-01
currency: USD
demands:
  - {{id: small, origin: O, market: M, category: apparel, orders_per_week: 20,
     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 30}}
solver: {{time_limit_s: 20, relative_gap: 0.0, seed: 0}}
"""


# --------------------------------------------------------------------------- charts by hand
def test_upper_cusum_matches_the_recursion_by_hand():
    x = np.array([1.0, -3.0, 2.0, 0.5, -0.2, 4.0])
    stat, _ = upper_cusum(x)
    # C = max(0, C + x): 1, 0, 2, 2.5, 2.3, 6.3
    assert stat.tolist() == pytest.approx([1.0, 0.0, 2.0, 2.5, 2.3, 6.3])


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=60))
def test_vectorised_cusum_is_the_recursion(xs):
    stat, _ = upper_cusum(np.array(xs))
    c, expected = 0.0, []
    for x in xs:
        c = max(0.0, c + x)
        expected.append(c)
    assert stat.tolist() == pytest.approx(expected, abs=1e-6)


def test_cusum_threshold_inverts_siegmund():
    for k, arl in ((0.25, 1e5), (0.5, 370.0)):
        assert cusum_arl0(k, cusum_threshold(k, arl)) == pytest.approx(arl, rel=1e-9)
    # the textbook pair: k = 0.5, h = 4 gives an in-control ARL of about 336 (Siegmund)
    assert cusum_arl0(0.5, 4.0) == pytest.approx(336, rel=0.01)


def test_llr_threshold_is_siegmund_without_overshoot():
    # normal shift delta = 0.5: LLR increments 0.5 z - 0.125, in-control drift 0.125; the
    # transit formula in z units (k = 0.25, b = h + 1.166) times delta is the same threshold
    for arl in (370.0, 1e5):
        h = llr_threshold(0.125, arl)
        assert (math.exp(h) - h - 1) / 0.125 == pytest.approx(arl, rel=1e-9)
        assert h == pytest.approx(0.5 * (cusum_threshold(0.25, arl) + 1.166), rel=1e-9)
    # the hold chart at 3 %, ratio 2: ARL0 of 10 years at 100 clearances a week
    chart = hold_cusum(np.zeros(10, dtype=bool), 0.03, 5200.0, ChartSettings())
    up, down = hold_llr(0.03, 2.0)
    assert chart.limit[0] == pytest.approx(llr_threshold(-(0.03 * up + 0.97 * down), 52000.0))
    assert chart.limit[0] < math.log(52000.0)  # less conservative than Wald's bound


def test_ewma_daily_by_hand():
    s = ChartSettings(ewma_lambda=0.5, ewma_limit=2.0)
    chart = ewma_daily(np.array([2.0, 0.0, 4.0]), np.array([1.0, 1.0, 2.0]), s, 0.0)
    # E: 0.5*2 = 1; 0.5*0 + 0.5*1 = 0.5; 0.5*2 + 0.5*0.5 = 1.25
    assert chart.stat.tolist() == pytest.approx([1.0, 0.5, 1.25])
    # V: 0.25/1 = 0.25; 0.25 + 0.25*0.25 = 0.3125; 0.25/2 + 0.25*0.3125 = 0.203125
    assert chart.limit.tolist() == pytest.approx(2 * np.sqrt([0.25, 0.3125, 0.203125]))
    assert chart.alarm == 2  # day 0 sits exactly on its limit (1.0), not above
    floor = ewma_daily(np.array([2.0, 0.0, 4.0]), np.array([1.0, 1.0, 2.0]), s, 5.0)
    assert floor.alarm is None  # the practical effect is not reached


def test_hold_cusum_llr_and_alarm():
    up, down = hold_llr(0.1, 2.0)
    assert up == pytest.approx(math.log(2.0)) and down == pytest.approx(math.log(0.8 / 0.9))
    assert hold_llr(0.0, 2.0)[0] == pytest.approx(math.log(2.0))  # floored, not infinite
    s = ChartSettings()
    rng = np.random.default_rng(0)
    calm = hold_cusum(rng.random(20000) < 0.1, 0.1, 20000, s)
    assert calm.alarm is None
    doubled = hold_cusum(rng.random(20000) < 0.2, 0.1, 20000, s)
    assert doubled.alarm is not None and doubled.alarm < 2000


def test_capped_residuals_are_standard_and_keep_sailing_order():
    rng = np.random.default_rng(1)
    n = 200_000
    start = np.floor(rng.uniform(0, 100, n)) * 86400.0  # daily sailings: ties in start
    days = np.exp(1.0 + 0.3 * rng.standard_normal(n))
    z, t = capped_residuals(start, days, np.zeros(0), 1.0, 0.3, 1e12, 0.9)
    assert z.mean() == pytest.approx(0.0, abs=0.01) and z.std() == pytest.approx(1.0, abs=0.01)
    assert np.all(np.diff(t) >= 0)
    # one sailing of two shipments: the slow one first stays first (never sorted by value)
    z2, _ = capped_residuals(np.zeros(2), np.array([9.0, 1.0]), np.zeros(0), 0.0, 1.0, 1e9, 0.9)
    assert z2[0] > z2[1]
    # a shipment still open after the horizon counts at the cap; before it, not yet
    z3, t3 = capped_residuals(
        np.zeros(0), np.zeros(0), np.array([0.0, 5 * 86400.0]), 0.0, 1.0, 4 * 86400.0, 0.9
    )
    assert t3.tolist() == pytest.approx([math.exp(1.2815515655446004) * 86400.0])
    assert z3.size == 1


def test_an_uncertain_baseline_widens_the_reference(tmp_path):
    from optimizer.history.watch import baseline_se, read_calibration

    s = ChartSettings()
    assert baseline_se(100, s) == pytest.approx(0.2) and baseline_se(None, s) == 0.0
    # 400 daily shipments, each exactly 0.5 sd slower than the baseline lognormal (mu 0, sd 1)
    dep = np.arange(400) * 86400.0
    stream = LaneStream(dep, np.full(400, math.exp(0.5)))
    window = (0.0, 410 * 86400.0)
    assert survival_cusum(stream, 0.0, 1.0, window, s)[0].alarm is not None  # evidence ...
    # ... but not against a baseline fitted on 16 samples (2 / sqrt(16) = 0.5 sd allowance)
    assert survival_cusum(stream, 0.0, 1.0, window, s, baseline_se(16, s))[0].alarm is None
    cal = tmp_path / "calibration.csv"
    cal.write_text(
        "kind,id,n,mu,sigma,source,last_time\n"
        "lane,L1,16,,,history,2026-05-01T00:00:00Z\n"
        "lane,L2,2,,,default,\n"
        "node,N1,400,0.1,0.3,history,2026-05-02T00:00:00Z\n"
    )
    facts = read_calibration(cal)
    assert facts.n == {("lane", "L1"): 16, ("node", "N1"): 400}  # defaults carry no n
    assert facts.node_fits["N1"].sigma == 0.3
    assert facts.end == dt.datetime(2026, 5, 2, tzinfo=dt.UTC).timestamp()
    assert facts.lane_fits == {} and facts.node_fits["N1"].mu == 0.1  # lanes here have no fit
    # a baseline on 16 deliveries, or a default, is too thin to watch against; 400 is not
    assert facts.too_thin("lane", "L1", 50) and facts.too_thin("lane", "L2", 50)
    assert not facts.too_thin("node", "N1", 50)
    assert not read_calibration(tmp_path / "missing.csv").too_thin("lane", "L1", 50)


# --------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def drifted(tmp_path_factory):
    """(network folder, events, orders, calibrated baseline) of the drifted tiny history."""
    from optimizer.history.calibrate import CalibrateOptions, calibrate
    from optimizer.history.generate import GenerateSpec, HoldDrift, LaneDrift, generate, write
    from optimizer.history.output import write_folder
    from optimizer.network.reader import read_network

    root = tmp_path_factory.mktemp("watch")
    net = root / "tiny2"
    shutil.copytree(DATA / "tiny", net)
    with (net / "categories.csv").open("a", encoding="utf-8") as fh:
        fh.write("toys,Toys,95,,hand-made test data\n")
    with (net / "duty_rates.csv").open("a", encoding="utf-8") as fh:  # coverage: explicit 0 %
        fh.write("toys,US,*,0,test,hand-made test data\n")
    spec = GenerateSpec(
        shipments=6000,
        seed=1,
        fmt="csv",
        lane_drifts=(LaneDrift("L_POST", DRIFT, 2.5),),
        hold_drifts=(HoldDrift("M", "toys", DRIFT, 2.0),),
    )
    write(generate(read_network(net), spec), spec, root / "h")
    as_of = dt.datetime(2026, 5, 31, tzinfo=dt.UTC).timestamp()
    events = (str(root / "h" / "events.csv"),)
    cal = calibrate(events, net, CalibrateOptions(as_of=as_of, plot=False))
    write_folder(cal, net, root / "cal")
    return net, root / "h" / "events.csv", root / "h" / "orders.csv", root / "cal"


def _watch(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["history", "watch", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def test_watch_flags_the_slow_lane_and_the_doubled_hold_rate(drifted, tmp_path):
    _, events, orders, cal = drifted
    code, out = _watch(
        [
            str(events),
            "--baseline",
            str(cal),
            "--orders",
            str(orders),
            "--json",
            "-o",
            str(tmp_path),
        ]
    )
    assert code == 0
    s = json.loads(out)
    keys = {(a["kind"], a["id"], a["category"], a["metric"]) for a in s["alerts"]}
    assert keys == {("lane", "L_POST", "*", "transit_days"), ("node", "M", "toys", "hold_rate")}
    lane = next(a for a in s["alerts"] if a["id"] == "L_POST")
    assert lane["now"]["p50_days"] > 2.0 * lane["baseline"]["p50_days"]  # drift x 2.5
    # the change point (a departure) lies within a few days of the true drift date
    assert "2026-05-28" <= lane["since"] <= "2026-06-05" and lane["severity"] == "critical"
    assert lane["detected"] > lane["since"]
    hold = next(a for a in s["alerts"] if a["metric"] == "hold_rate")
    assert hold["now"]["hold_rate"] > 1.5 * hold["baseline"]["hold_rate"]
    assert "2026-05-15" <= hold["since"] <= "2026-06-15"
    assert s["series"] >= 10 and s["lane_years"] > 1.5
    assert (tmp_path / "watch.png").stat().st_size > 10_000
    assert "L_POST" in (tmp_path / "alerts.csv").read_text()


def test_same_inputs_same_bytes(drifted):
    _, events, orders, cal = drifted
    args = [str(events), "--baseline", str(cal), "--orders", str(orders), "--json"]
    assert _watch(args)[1] == _watch(args)[1]


def test_watch_json_matches_its_schema(drifted):
    jsonschema = pytest.importorskip("jsonschema")
    _, events, orders, cal = drifted
    _, out = _watch([str(events), "--baseline", str(cal), "--orders", str(orders), "--json"])
    jsonschema.validate(json.loads(out), json.loads(SCHEMA.read_text()))


def test_in_control_window_raises_nothing_and_fail_on_exits_4(drifted):
    _, events, _, cal = drifted
    before = ["--since", "2026-02-01", "--as-of", "2026-05-31", "--fail-on", "alert", "--json"]
    code, out = _watch([str(events), "--baseline", str(cal), *before])
    assert code == 0 and json.loads(out)["alerts"] == []
    code, _ = _watch([str(events), "--baseline", str(cal), "--fail-on", "alert"])
    assert code == 4  # the same contract as simulate's gates
    code, _ = _watch([str(events), "--baseline", str(cal), "--fail-on", "critical", "--json"])
    assert code == 4


def test_watch_is_quiet_on_history_without_drift(tmp_path):
    from optimizer.history.generate import GenerateSpec, generate, write
    from optimizer.network.reader import read_network

    spec = GenerateSpec(shipments=3000, seed=5, fmt="csv", spread=0.0, sigma_spread=0.0)
    write(generate(read_network(DATA / "tiny"), spec), spec, tmp_path)
    code, out = _watch(
        [str(tmp_path / "events.csv"), "--baseline", str(DATA / "tiny"), "--json", "--min-n", "30"]
    )
    s = json.loads(out)
    lane_alerts = [a for a in s["alerts"] if a["kind"] == "lane"]
    assert lane_alerts == [] and code == 0


@pytest.mark.slow
def test_replan_moves_the_small_demand_off_the_slow_postal_lane(drifted, tmp_path):
    """By hand: 20 orders/week, SLA 30 d. Baseline: postal ($6 + $2 duty = $8, P90 ~15 d).
    L_POST x 2.5 puts its P90 near 39 d > 30: express ($10 + $4 for 0.6 kg + $2 duty = $16)."""
    net, events, _, cal = drifted
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL_SCENARIO.format(network=net))
    code, out = _watch([str(events), "--baseline", str(cal), "--replan", str(scenario), "--json"])
    assert code == 0
    r = json.loads(out)["replan"]
    (d,) = r["demands"]
    assert d["cost_per_order"] == pytest.approx([8.0, 16.0])
    assert d["routes"] == [["direct-package: L_POST"], ["direct-package: L_EXP"]]
    assert d["p90_days"][1] < d["p90_days"][0] <= 30
    assert r["lanes_dropped"] == ["L_POST"] and r["lanes_added"] == ["L_EXP"]
    assert r["baseline"]["cost_per_order"] == pytest.approx(8.0)
    assert r["drifted"]["cost_per_order"] == pytest.approx(16.0)
    changed = {(c["id"], c["field"]) for c in r["changes"]}
    assert ("L_POST", "transit_p90_days") in changed
    # the slowed lane carried the demand that switches: its alert says so
    lane = next(a for a in json.loads(out)["alerts"] if a["id"] == "L_POST")
    assert lane["severity"] == "critical"
    assert lane["severity_reason"].endswith("; demand small switches route")


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nope.csv", "--baseline", str(DATA / "tiny")], "no such file"),
        (["{events}", "--baseline", "/nonexistent"], "no network here"),
        (["{events}", "--baseline", str(DATA / "tiny"), "--since", "2026-13-01"], "bad date"),
        (["{bad}", "--baseline", str(DATA / "tiny")], "required column is missing"),
    ],
)
def test_bad_input_exits_2_without_traceback(tmp_path, args, needle):
    events = tmp_path / "ev.csv"
    events.write_text("shipment_id,event,time,node\nS1,departed,2026-01-01T00:00:00Z,O\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("shipment_id,time\nS1,2026-01-01T00:00:00Z\n")
    args = [a.format(events=events, bad=bad) for a in args]
    result = CliRunner().invoke(main, ["history", "watch", *args])
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output


def test_messy_rows_are_counted_by_reason(tmp_path):
    events = tmp_path / "ev.csv"
    events.write_text(
        "shipment_id,event,time,node,lane\n"
        "S1,departed,2026-01-01T00:00:00Z,O,L_EXP\n"
        "S1,arrived,2026-01-05T00:00:00Z,M,L_EXP\n"
        "S2,departed,2026-01-01T00:00:00,O,L_EXP\n"
        "S3,departed,yesterday,O,L_EXP\n"
        "S4,departed,2026-01-01T00:00:00Z,Q,L_EXP\n"
    )
    code, out = _watch([str(events), "--baseline", str(DATA / "tiny"), "--json"])
    assert code == 0
    reasons = {r["reason"]: r["count"] for r in json.loads(out)["unusable"]}
    assert reasons["time_without_offset"] == 1
    assert reasons["unparseable_time"] == 1
    assert reasons["unknown_node"] == 1
