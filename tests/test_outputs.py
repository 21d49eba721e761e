"""Plan outputs that say what they mean: same bytes for the same run, no stale files, the
stock warehouse allocations presume, no 0-order slivers, an honest Pareto front."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
REPO = Path(__file__).resolve().parents[1]


def tiny_scenario(tmp_path: Path, **replace: str) -> Path:
    text = (DATA / "tiny_scenario.yaml").read_text().replace("network: tiny", f"network: {TINY}")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["run", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_identical_runs_give_identical_plan_json(tmp_path: Path) -> None:
    sc = tiny_scenario(tmp_path)
    one = run(str(sc), "-o", str(tmp_path / "a"), "--no-map", "--json")
    two = run(str(sc), "-o", str(tmp_path / "b"), "--no-map", "--json")
    assert one == two  # --json: the same document, byte for byte
    a, b = (tmp_path / x / "plan.json" for x in "ab")
    assert a.read_bytes() == b.read_bytes()
    assert json.loads(a.read_text()) == json.loads(one)  # --json prints plan.json
    assert "solve_seconds" not in json.loads(one)
    timings = json.loads((tmp_path / "a" / "timings.json").read_text())
    assert set(timings) == {"format_version", "solve_seconds"}


def test_no_map_removes_a_stale_map(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "map.png").write_bytes(b"an older plan's map")
    run(str(tiny_scenario(tmp_path)), "-o", str(out), "--no-map")
    assert not (out / "map.png").exists()
    assert (out / "plan.json").exists()


def test_warehouse_allocation_shows_the_stock_it_presumes(tmp_path: Path) -> None:
    """bulk-apparel (1,000 orders/week, $20) goes by overseas warehouse W on the tiny network.

    By hand (tests/test_optimizer.py): bulk lead time mean 29.5 d; replenishment every
    14 d; pipeline = 29.5/7 weeks of flow, cycle = 1 week, safety = z·sqrt(...) weeks.
    """
    out = tmp_path / "out"
    text = run(str(tiny_scenario(tmp_path)), "-o", str(out), "--no-map")
    plan = json.loads((out / "plan.json").read_text())
    by_id = {d["id"]: d for d in plan["demands"]}
    (a,) = by_id["bulk-apparel"]["allocations"]
    (lux,) = by_id["luxury"]["allocations"]
    assert a["pattern"] == "overseas-warehouse" and lux["stock"] is None
    stock = a["stock"]
    weeks_l = 29.5 / 7
    assert stock["replenishment_lead_time_days"]["mean"] == pytest.approx(29.5, abs=0.05)
    lead = stock["replenishment_lead_time_days"]
    assert 25 < lead["p50"] < 29.5 < lead["p90"] < 40  # sea transit 16 d, P90 19 d
    assert stock["replenishment_interval_days"] == 14
    units = stock["units"]
    assert units["pipeline"] == pytest.approx(1000 * weeks_l, rel=2e-3)
    assert units["cycle"] == pytest.approx(1000.0)
    sd_days2 = 1 / 12 + 49 / 12 + 1 / 12  # waits of the truck, sea and dray departures
    z = NormalDist().inv_cdf(0.95)
    low = z * math.sqrt((weeks_l + 2) * 0.09 + sd_days2 / 49) * 1000  # without sea spread
    assert low < units["safety"] < low * 1.5
    assert stock["value"]["cycle"] == pytest.approx(20_000.0)
    assert stock["value"]["total"] == pytest.approx(20 * units["total"])
    # the customer-facing P90 (from the shelf) stays what it was: far below the bulk leg
    assert a["lead_time_days"]["p90"] < lead["p50"]
    # the report and allocations.csv say the same
    assert "Stock the warehouse allocations presume" in text
    assert f"{units['pipeline']:,.0f}" in text
    with (out / "allocations.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for column in ("bulk_p50_days", "bulk_p90_days", "pipeline_stock_units", "safety_stock_value"):
        assert column in rows[0]
    cells = rows[0]
    assert cells["demand"] == "bulk-apparel"
    assert float(cells["cycle_stock_units"]) == pytest.approx(1000.0)
    assert float(cells["bulk_p90_days"]) == pytest.approx(lead["p90"], abs=0.01)


def test_a_sliver_split_is_folded_and_said(tmp_path: Path) -> None:
    """The default scenario at plan date 2025-03-01 split 0.1 % (0.08 orders/week) of the
    60-order cosmetics demand onto a second route: folded into the main one, with a note."""
    text = (REPO / "scenarios" / "us_deminimis_2026.yaml").read_text()
    text = text.replace("plan_date: 2026-03-01", "plan_date: 2025-03-01")
    text = text.replace("../networks/global", str(REPO / "networks" / "global"))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    plan = json.loads(run(str(path), "--json"))
    for d in plan["demands"]:
        for a in d["allocations"]:
            assert a["share"] >= 0.01, (d["id"], a["share"])
        assert sum(a["orders"] for a in d["allocations"]) == pytest.approx(d["orders_per_week"])
    (cosmetics,) = [d for d in plan["demands"] if d["id"] == "SHA-USE-cosmetics-niche"]
    assert len(cosmetics["allocations"]) == 1
    assert any("SHA-USE-cosmetics-niche" in n and "folded" in n for n in plan["notes"])


def test_pareto_with_one_point_says_so(tmp_path: Path) -> None:
    """The default scenario (2026): stock in US warehouses is both cheapest and fastest."""
    path = tmp_path / "s.yaml"
    text = (REPO / "scenarios" / "us_deminimis_2026.yaml").read_text()
    path.write_text(text.replace("../networks/global", str(REPO / "networks" / "global")))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "--pareto", "-o", str(out), "--no-map"])
    assert result.exit_code == 0, result.output
    assert "one non-dominated point (of a 6-point grid)" in result.stdout
    assert "with 6 points" not in result.output
    (point,) = json.loads((out / "pareto.json").read_text())["points"]
    assert (out / "pareto" / "point_1" / "plan.json").exists()
    assert point["plan"]["totals"]["cost"] == pytest.approx(point["cost_per_week"])


def test_pareto_writes_each_point_plan_and_json_shape(tmp_path: Path) -> None:
    """The tiny network trades express (fast, dear) against the warehouse: several points."""
    out = tmp_path / "out"
    sc = str(tiny_scenario(tmp_path))
    (out / "pareto" / "point_9").mkdir(parents=True)  # left by an earlier, longer front
    result = CliRunner().invoke(main, ["run", sc, "--pareto", "-o", str(out), "--no-map"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "pareto.json").read_text())
    n = len(data["points"])
    assert n > 1 and f"{n} non-dominated points (of a 6-point grid)" in result.stdout
    costs = [p["cost_per_week"] for p in data["points"]]
    assert costs == sorted(costs, reverse=True)  # fastest (dearest) first
    for k, point in enumerate(data["points"], 1):
        written = json.loads((out / "pareto" / f"point_{k}" / "plan.json").read_text())
        assert point["plan_dir"] == f"pareto/point_{k}"
        assert written == point["plan"]
        assert written["totals"]["cost"] == pytest.approx(point["cost_per_week"])
    assert not (out / "pareto" / "point_9").exists()
    printed = CliRunner().invoke(main, ["run", sc, "--pareto", "--json"])
    assert json.loads(printed.stdout) == data  # pareto.json has the shape of --json


def test_a_sliver_that_a_capacity_needs_is_kept() -> None:
    """Post can carry 995 of 1,000 orders (capacity 497.5 kg/week): the 0.5 % on express
    stays, as folding it onto post would break the lane's capacity."""
    import dataclasses
    import datetime as dt

    from optimizer.network.reader import read_network
    from optimizer.scenario.records import Demand, Pattern, Scenario, SolverOptions
    from optimizer.solve.optimize import optimize

    tiny = read_network(TINY)
    capped = dataclasses.replace(
        tiny,
        lanes=tuple(
            dataclasses.replace(x, capacity_kg_per_week=497.5) if x.id == "L_POST" else x
            for x in tiny.lanes
        ),
    )
    d = Demand("d", "O", "M", "apparel", 1000, 0.5, 0.003, 20.0, 30, patterns=(Pattern.DIRECT,))
    sc = Scenario(
        "t",
        DATA / "x.yaml",
        TINY,
        dt.date(2026, 3, 1),
        "USD",
        (d,),
        solver=SolverOptions(time_limit_s=20, relative_gap=0.0),
    )
    plan = optimize(sc, capped)
    shares = sorted((a.lanes, round(a.orders, 6)) for a in plan.demands[0].allocations)
    assert shares == [(("L_EXP",), 5.0), (("L_POST",), 995.0)]
    assert not any("folded" in n for n in plan.notes)
