"""`xborder history`: hand-checkable events, the fits, pooling, the CLI and its errors.

Every case here runs on the 5-node network in tests/data/tiny and events written
by the test itself, so the expected samples can be worked out on paper.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.history.calibrate import CalibrateOptions, calibrate
from optimizer.history.fit import LogNormal, censored_fit, kaplan_meier, km_quantile, naive_fit
from optimizer.history.pool import LaneFit, pool
from optimizer.history.samples import LogSample
from optimizer.network.reader import read_network

TINY = Path(__file__).parent / "data" / "tiny"
SCMS = Path(__file__).parent / "data" / "scms" / "scms_excerpt.csv"
HEADER = "shipment_id,event,time,node,lane,mode\n"


def _events(tmp_path: Path, body: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _cal(path: Path, **options: object):  # type: ignore[no-untyped-def]
    return calibrate((str(path),), TINY, CalibrateOptions(**options))  # type: ignore[arg-type]


def _reason(cal, code):  # type: ignore[no-untyped-def]
    return next((r for r in cal.reasons if r.code == code), None)


# --------------------------------------------------------------------------- samples
# Sea lane PS -> PD: three deliveries of exactly 10, 12 and 14 days (offsets differ, the
# UTC durations do not), one still at sea when the data ends (censored at 5 days).
SEA = """\
S1,departed,2026-01-01T00:00:00Z,PS,L_SEA,sea_fcl
S1,arrived,2026-01-11T08:00:00+08:00,PD,L_SEA,sea_fcl
S2,departed,2026-01-01T00:00:00Z,PS,L_SEA,
S2,arrived,2026-01-13T00:00:00Z,PD,L_SEA,
S3,arrived,2026-01-15T00:00:00-05:00,PD,,
S3,departed,2026-01-01T05:00:00+05:00,PS,L_SEA,
S4,departed,2026-01-10T00:00:00Z,PS,L_SEA,
S5,booked,2026-01-15T00:00:00Z,O,,
"""


def test_transit_samples_are_exact_and_censoring_is_kept(tmp_path: Path) -> None:
    cal = _cal(_events(tmp_path, SEA))
    sea = next(r for r in cal.lanes if r.lane.id == "L_SEA")
    assert (sea.n, sea.n_censored) == (3, 1)
    logs = np.log([10.0, 12.0, 14.0 + 5 / 24])  # S3 arrives 05:00 UTC on the 15th
    assert sea.naive is not None
    assert sea.naive.mu == pytest.approx(logs.mean(), abs=1e-9)
    assert sea.naive.sigma == pytest.approx(logs.std(), abs=1e-9)
    # the censored fit moves up: one shipment took longer than 5 days and is unknown beyond
    assert sea.fit is not None and sea.fit.mu >= sea.naive.mu - 1e-9
    assert cal.load.as_of == 1768453200.0  # 2026-01-15T05:00Z: S3 arriving, the latest event


def test_times_without_offset_are_refused_unless_assume_utc(tmp_path: Path) -> None:
    body = "S1,departed,2026-01-01T00:00:00,PS,L_SEA,\nS1,arrived,2026-01-11 00:00,PD,L_SEA,\n"
    path = _events(tmp_path, body)
    refused = _reason(_cal(path), "time_without_offset")
    assert refused is not None and refused.count == 2
    assert any("'2026-01-01T00:00:00'" in e for e in refused.examples)
    accepted = _cal(path, assume_utc=True)
    assert _reason(accepted, "time_without_offset") is None
    sea = next(r for r in accepted.lanes if r.lane.id == "L_SEA")
    assert sea.n == 1


def test_unusable_rows_are_counted_by_reason_with_examples(tmp_path: Path) -> None:
    body = (
        SEA
        + "S6,departed,2026-01-02T00:00:00Z,PSS,L_SEA,\n"  # unknown node (did you mean PS?)
        + "S7,departed,not a time,PS,L_SEA,\n"
        + "S8,teleported,2026-01-02T00:00:00Z,PS,L_SEA,\n"
        + "S9,departed,2026-01-02T00:00:00Z,PS,L_NOPE,\n"
        + "S1,departed,2026-01-01T00:00:00Z,PS,L_SEA,sea_fcl\n"  # exact duplicate of S1's
        + ",departed,2026-01-02T00:00:00Z,PS,L_SEA,\n"
        + "S10,departed,2026-01-03T00:00:00Z,PS,L_SEA,\n"
        + "S10,arrived,2026-01-02T00:00:00Z,PD,L_SEA,\n"  # arrived before it departed
        + "S11,departed,2026-01-03T00:00:00Z,O,L_EXP,\n"
        + "S11,returned,2026-01-08T00:00:00Z,M,,\n"
    )
    cal = _cal(_events(tmp_path, body))
    counts = {r.code: r.count for r in cal.reasons}
    assert counts == {
        "missing_value": 1,
        "unknown_event": 1,
        "unparseable_time": 1,
        "unknown_node": 1,
        "unknown_lane": 1,
        "duplicate": 1,
        "returned": 2,
        "out_of_order": 1,
    }
    unknown = _reason(cal, "unknown_node")
    assert "did you mean 'PS'?" in unknown.examples[0]
    assert "S10" in _reason(cal, "out_of_order").examples[0]
    sea = next(r for r in cal.lanes if r.lane.id == "L_SEA")
    assert (sea.n, sea.n_censored) == (3, 1)  # the duplicate did not add a sample


def test_lane_is_inferred_from_tail_head_and_mode_and_ambiguity_is_reported(
    tmp_path: Path,
) -> None:
    body = (
        "A,departed,2026-01-01T00:00:00Z,PS,,\n"  # only lane from PS: L_SEA
        "A,arrived,2026-01-17T00:00:00Z,PD,,\n"
        "B,departed,2026-01-01T00:00:00Z,O,,express\n"  # mode picks L_EXP of three lanes
        "B,delivered,2026-01-05T00:00:00Z,M,,\n"
        "C,departed,2026-01-01T00:00:00Z,O,,\n"  # O -> M: express or postal?
        "C,delivered,2026-01-05T00:00:00Z,M,,\n"
    )
    cal = _cal(_events(tmp_path, body))
    n = {r.lane.id: r.n for r in cal.lanes}
    assert n["L_SEA"] == 1 and n["L_EXP"] == 1 and n["L_POST"] == 0
    ambiguous = _reason(cal, "ambiguous_lane")
    assert ambiguous is not None and ambiguous.count == 1 and "shipment C" in ambiguous.examples[0]


def test_clearance_hold_rate_and_delay(tmp_path: Path) -> None:
    rows = []
    for i in range(10):  # 10 clearances at PD: 1 day each, shipments 0 and 1 held 3 extra days
        days = 4 if i < 2 else 1
        rows.append(f"C{i},arrived,2026-01-01T00:00:00Z,PD,L_SEA,")
        rows.append(f"C{i},customs_submitted,2026-01-01T00:00:00Z,PD,,")
        if i < 2:
            rows.append(f"C{i},customs_hold,2026-01-01T12:00:00Z,PD,,")
        rows.append(f"C{i},customs_released,2026-01-0{1 + days}T00:00:00Z,PD,,")
    cal = _cal(_events(tmp_path, "\n".join(rows) + "\n"), min_n=1)
    pd_ = next(r for r in cal.nodes if r.node.id == "PD")
    assert pd_.source == "history"
    assert pd_.customs_days == pytest.approx(1.0)
    assert pd_.inspection_rate == pytest.approx(0.2)
    assert pd_.inspection_delay_days == pytest.approx(3.0)


# --------------------------------------------------------------------------- statistics
def test_censored_fit_matches_scipy_censored_data() -> None:
    from scipy import stats

    rng = np.random.default_rng(7)
    x = np.exp(rng.normal(2.5, 0.3, 400))
    cut = 13.0
    observed, censored = x[x <= cut], np.full(int((x > cut).sum()), cut)
    logs = np.log(observed)
    ours = censored_fit(
        LogSample(observed.size, float(logs.sum()), float((logs * logs).sum()), censored)
    )
    data = stats.CensoredData(uncensored=observed, right=censored)
    shape, _, scale = stats.lognorm.fit(data, floc=0)
    assert ours is not None
    assert ours.mu == pytest.approx(math.log(scale), abs=1e-4)
    assert ours.sigma == pytest.approx(shape, abs=1e-4)
    naive = naive_fit(LogSample(observed.size, float(logs.sum()), float((logs * logs).sum())))
    assert naive is not None and naive.p90 < ours.p90  # dropping the censored understates P90


def test_kaplan_meier_by_hand() -> None:
    # events at 1, 2, 4; censored at 3: S = 3/4, 2/4, then at 4 one of one at risk -> 0
    times, cdf = kaplan_meier(np.array([1.0, 2.0, 4.0]), np.array([3.0]))
    assert times.tolist() == [1.0, 2.0, 4.0]
    assert cdf.tolist() == pytest.approx([0.25, 0.5, 1.0])
    assert km_quantile(times, cdf, 0.5) == 2.0


def test_pooling_weights_and_sparse_lanes_stay_near_the_group() -> None:
    default = LogNormal(math.log(10.0), 0.2)
    fits = [
        LaneFit(f"L{i}", "sea_fcl", "", default, LogNormal(math.log(11.0), 0.2), 5000)
        for i in range(4)
    ]
    fits.append(LaneFit("sparse", "sea_fcl", "", default, LogNormal(math.log(20.0), 0.2), 3))
    out = pool(fits, prior_strength=20.0)
    # the four lanes agree (tau^2 = 0): the strength is capped at MAX_STRENGTH = 200
    assert out["L0"].weight == pytest.approx(5000 / 5200)
    sparse = out["sparse"]
    assert sparse.weight <= 3 / 23 + 1e-12
    # the group runs 10 % slower than its defaults: the sparse lane's prior says so too
    assert sparse.prior.p50 == pytest.approx(11.0, rel=1e-6)
    assert abs(sparse.result.p50 - 11.0) < abs(20.0 - 11.0) * 0.15


# --------------------------------------------------------------------------- CLI
def test_calibrate_cli_writes_a_valid_network(tmp_path: Path) -> None:
    runner = CliRunner()
    hist, out = tmp_path / "hist", tmp_path / "cal"
    r = runner.invoke(
        main,
        ["history", "generate", str(TINY), "-o", str(hist), "--shipments", "3000", "--seed", "2"],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        main,
        [
            "history",
            "calibrate",
            str(hist / "events.parquet"),
            "--network",
            str(TINY),
            "-o",
            str(out),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    import json

    summary = json.loads(r.stdout[r.stdout.index("{") :])
    assert summary["format_version"] == 1 and summary["lanes"]["with_history"] == 6
    assert runner.invoke(main, ["validate", str(out)]).exit_code == 0
    for name in ("calibration.csv", "calibration.png", "tariffs.csv", "customs_rules.csv"):
        assert (out / name).exists()
    assert (out / "tariffs.csv").read_bytes() == (TINY / "tariffs.csv").read_bytes()
    assert "transit: history" in (out / "lanes.csv").read_text()


def test_generate_is_deterministic(tmp_path: Path) -> None:
    runner = CliRunner()
    outs = []
    for k in range(2):
        out = tmp_path / f"g{k}"
        args = ["history", "generate", str(TINY), "-o", str(out), "--shipments", "500"]
        r = runner.invoke(main, [*args, "--seed", "5", "--format", "csv"])
        assert r.exit_code == 0, r.output
        outs.append(out)
    for name in ("events.csv", "orders.csv", "truth_lanes.csv", "truth.json"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()


def test_missing_column_and_unreadable_file_exit_2_naming_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("shipment_id,event,node\nS1,departed,PS\n")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    r = CliRunner().invoke(
        main,
        ["history", "calibrate", str(bad), str(broken), "--network", str(TINY), "-o", "o"],
    )
    assert r.exit_code == 2
    assert "bad.csv" in r.output and "'time'" in r.output and "required column" in r.output
    assert "broken.parquet" in r.output and "cannot read" in r.output
    assert "Traceback" not in r.output


def test_without_the_extra_history_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer.cli import history_cmd

    monkeypatch.setattr(history_cmd, "missing_extra", lambda: ["duckdb"])
    r = CliRunner().invoke(main, ["history", "generate", str(TINY), "-o", "x", "--shipments", "1"])
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0 and "xborder[history]" in r.output


def test_demand_cli_hand_checked(tmp_path: Path) -> None:
    # Mondays: 2026-01-05, -12, -19, -26. Week of the 5th and of the 26th are the partial
    # first and last weeks and are left out; weeks 12 and 19 have 3 and 1 orders.
    lines = ["order_id,created_at,origin,market,category,weight_kg,value,currency"]
    days = ["2026-01-05", "2026-01-12", "2026-01-13", "2026-01-14", "2026-01-20", "2026-01-26"]
    for i, day in enumerate(days):
        lines.append(f"o{i},{day}T10:00:00Z,O,M,apparel,{1 + i},{10 * (i + 1)},USD")
    lines.append("o1,2026-01-12T10:00:00Z,O,M,apparel,2,20,USD")  # duplicate order id
    orders = tmp_path / "orders.csv"
    orders.write_text("\n".join(lines) + "\n")
    out = tmp_path / "demands.csv"
    r = CliRunner().invoke(
        main,
        [
            "history",
            "demand",
            str(orders),
            "-o",
            str(out),
            "--network",
            str(TINY),
            "--sla-days",
            "9",
        ],
    )
    assert r.exit_code == 0, r.output
    text = out.read_text().splitlines()
    assert text[0].startswith("id,origin,market,category,orders_per_week,weight_kg")
    row = dict(zip(text[0].split(","), text[1].split(","), strict=True))
    assert row["orders_per_week"] == "2.0" and row["sla_days"] == "9.0"
    assert float(row["weight_kg"]) == pytest.approx((2 + 3 + 4 + 5) / 4)
    stats = (tmp_path / "demands.stats.csv").read_text().splitlines()[1].split(",")
    assert float(stats[-1]) == pytest.approx(math.sqrt(2.0) / 2.0, abs=1e-4)  # sd 1.414, mean 2
    assert "duplicate 1" in r.output


def test_scms_excerpt_lanes_and_coverage(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        main,
        ["history", "calibrate", str(SCMS), "--format", "scms", "-o", str(tmp_path), "--json"],
    )
    assert r.exit_code == 0, r.output
    import json

    s = json.loads(r.stdout[r.stdout.index("{") :])
    assert s["rows"] == 301
    reasons = {u["reason"]: u["count"] for u in s["unusable"]}
    assert reasons["missing_mode"] == 16 and reasons["weight_captured_separately"] == 40
    assert reasons["weight_on_other_line"] == 71 and reasons["po_from_rdc"] == 163
    modes = {m["mode"]: m for m in s["modes"]}
    assert set(modes) == {"Air", "Air Charter", "Ocean", "Truck"}
    assert sum(m["n"] for m in modes.values()) == 301 - 16
    assert modes["Ocean"]["freight_usd_per_kg_p50"] < modes["Air"]["freight_usd_per_kg_p50"]
    assert (tmp_path / "scms_lanes.csv").exists() and (tmp_path / "scms_coverage.csv").exists()


def test_holdout_reports_coverage_next_to_the_defaults(tmp_path: Path) -> None:
    from optimizer.history.generate import GenerateSpec, generate, write

    net = read_network(TINY)
    # truth far from the defaults (spread 0.4 on the log scale): history must beat them
    spec = GenerateSpec(shipments=4000, seed=4, spread=0.4)
    write(generate(net, spec), spec, tmp_path)
    cal = _cal(tmp_path / "events.parquet", holdout_after=spec.t0 + 180 * 86400)
    assert cal.load.as_of == spec.t0 + 180 * 86400
    busiest = cal.holdout[0]
    assert busiest["n"] >= 300
    assert abs(busiest["coverage"] - 0.9) <= 0.06
    assert busiest["loss"] < busiest["default_loss"]
    assert {h["lane"] for h in cal.holdout} <= {lane.id for lane in net.lanes}


def test_calibrate_refuses_a_gpkg_network_with_a_hint(tmp_path: Path) -> None:
    path = _events(tmp_path, SEA)
    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    (net / "lanes.csv").unlink()
    r = CliRunner().invoke(
        main, ["history", "calibrate", str(path), "--network", str(net), "-o", str(tmp_path / "o")]
    )
    assert r.exit_code == 2 and "lanes.csv" in r.output


def test_calibration_is_deterministic_and_as_of_cuts_the_window(tmp_path: Path) -> None:
    from optimizer.history.generate import GenerateSpec, generate, write

    net = read_network(TINY)
    spec = GenerateSpec(shipments=2000, seed=6)
    write(generate(net, spec), spec, tmp_path / "h")
    runner = CliRunner()
    events = str(tmp_path / "h" / "events.parquet")
    for out in ("a", "b"):
        args = ["--network", str(TINY), "-o", str(tmp_path / out), "--as-of", "2026-06-30"]
        r = runner.invoke(main, ["history", "calibrate", events, *args])
        assert r.exit_code == 0, r.output
    for name in ("lanes.csv", "nodes.csv", "calibration.csv", "calibration.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    rows = (tmp_path / "a" / "calibration.csv").read_text().splitlines()
    last = [row.split(",")[20] for row in rows[1:] if row.startswith("lane,")]
    assert max(last) <= "2026-06-30T23:59:59Z"
    assert "after_as_of" in r.output


def test_ids_with_spaces_and_capitals_are_matched(tmp_path: Path) -> None:
    body = "S1, Departed ,2026-01-01T00:00:00Z, PS ,L_SEA,\nS1,ARRIVED,2026-01-11T00:00:00Z,PD,,\n"
    cal = _cal(_events(tmp_path, body))
    assert [r.code for r in cal.reasons] == []
    sea = next(r for r in cal.lanes if r.lane.id == "L_SEA")
    assert sea.n == 1 and sea.naive is None  # one delivery: no fit, but counted
