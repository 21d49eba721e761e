"""``xborder compare`` on the tiny network (hand-checkable) and on the EU July 2026 change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from optimizer.cli.main import main

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny_scenario.yaml"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def variant(tmp_path: Path, name: str, what_if: dict) -> Path:
    doc = yaml.safe_load(TINY.read_text())
    doc["network"] = str(DATA / "tiny")
    doc["what_if"] = what_if
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run_compare(*args: str) -> dict:
    result = CliRunner().invoke(main, ["compare", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_closing_the_sea_lane_moves_bulk_to_parcels(tmp_path):
    closed = variant(tmp_path, "no_sea", {"closed_lanes": ["L_SEA"]})
    c = run_compare(TINY, closed, "-o", tmp_path / "out")
    totals = {t["metric"]: t for t in c["totals"]}
    # A is the hand-checked tiny plan: 20,789.52 per week for 1,050 orders
    assert totals["cost_per_order"]["a"] == pytest.approx(20789.52 / 1050, abs=1e-5)
    assert totals["share_overseas-warehouse"]["a"] == pytest.approx(1000 / 1050)
    assert totals["share_overseas-warehouse"]["b"] == 0.0
    bulk = next(d for d in c["demands"] if d["id"] == "bulk-apparel")
    luxury = next(d for d in c["demands"] if d["id"] == "luxury")
    assert bulk["route_changed"] and not luxury["route_changed"]
    assert bulk["shares"]["overseas-warehouse"] == [1.0, 0.0]
    assert bulk["why"][0] == "pattern changed: overseas-warehouse 100% → direct-package 100%"
    assert any(
        w.startswith("A's overseas-warehouse route via L_SEA (sea_fcl) is not available under B:")
        and w.endswith("lane L_SEA is closed")
        for w in bulk["why"]
    )
    assert [u["lane"] for u in c["lanes"]["closed"]] == ["L_DRAY", "L_LM", "L_SEA", "L_TRK"]
    assert c["a"]["what_ifs"] == [] and c["b"]["what_ifs"] == ["closed_lane L_SEA: closed (1 lane)"]
    assert (
        "1 of 2 demands changed route: bulk-apparel (overseas-warehouse → direct-package)."
        in (c["headline"])
    )
    assert c["customs_rules"]["only_a"] == [] and c["customs_rules"]["only_b"] == []
    assert c["notes"] == []


def test_a_sea_price_move_is_a_freight_line(tmp_path):
    dearer = variant(
        tmp_path, "dear_sea", {"cost_multipliers": [{"factor": 1.5, "mode": "sea_fcl"}]}
    )
    c = run_compare(TINY, dearer)
    totals = {t["metric"]: t for t in c["totals"]}
    # one FEU of $2,000 a week carries the 1,000 bulk orders: +50 % is +$1,000 a week
    assert totals["cost_per_week"]["delta"] == pytest.approx(1000.0, abs=1e-6)
    assert totals["duties_taxes_per_order"]["delta"] == pytest.approx(0.0, abs=1e-9)
    bulk = next(d for d in c["demands"] if d["id"] == "bulk-apparel")
    assert bulk["why"] == ["cost per order 10.09 → 11.09: freight +1.00"]
    assert c["b"]["what_ifs"] == ["cost_multiplier mode=sea_fcl: freight x 1.5 (1 lane)"]


def test_plan_folders_without_scenarios_and_recorded_what_ifs(tmp_path):
    runner = CliRunner()
    for name, scenario in (
        ("a", TINY),
        ("b", variant(tmp_path, "no_sea", {"closed_lanes": ["L_SEA"]})),
    ):
        result = runner.invoke(main, ["run", str(scenario), "-o", str(tmp_path / name), "--no-map"])
        assert result.exit_code == 0, result.output
    plan_a = tmp_path / "a" / "plan.json"
    doc = json.loads(plan_a.read_text())
    assert doc.pop("what_ifs") == []  # a plan.json written before what_ifs were recorded:
    plan_a.write_text(json.dumps(doc))
    plan_b = tmp_path / "b" / "plan.json"
    doc = json.loads(plan_b.read_text())
    assert doc["what_ifs"] == [
        {
            "what": "closed_lane",
            "target": "L_SEA",
            "change": "closed",
            "lanes": 1,
            "nodes": 0,
            "rules": 0,
        }
    ]
    doc["what_ifs"] = ["closed lanes: L_SEA", {"kind": "note"}]
    plan_b.write_text(json.dumps(doc))
    c = run_compare(tmp_path / "a", plan_b)
    assert c["a"]["what_ifs"] is None  # no scenario beside the plan, no what_ifs in plan.json
    assert c["b"]["what_ifs"] == ["closed lanes: L_SEA", '{"kind": "note"}']
    assert c["customs_rules"] is None
    assert len(c["notes"]) == 2 and "not re-costed" in c["notes"][0]
    text = runner.invoke(main, ["compare", str(tmp_path / "a"), str(plan_b)]).stdout
    assert "What-ifs of A: not recorded" in text and "What-ifs of B: closed lanes: L_SEA" in text


def test_report_html_is_self_contained(tmp_path):
    closed = variant(tmp_path, "no_sea", {"closed_lanes": ["L_SEA"]})
    result = CliRunner().invoke(
        main, ["compare", str(TINY), str(closed), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "o" / "report.html").read_text()
    assert page.count("src='data:image/png;base64,") == 1
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    assert "<script" not in page and "<link" not in page
    assert (tmp_path / "o" / "waterfall.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "o" / "compare.json").read_text())["format_version"] == 1


def test_no_plan_is_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(tmp_path), str(TINY)])
    assert result.exit_code == 2
    assert "no plan here" in result.stderr


@pytest.mark.slow
def test_eu_july_2026_is_explained():
    c = run_compare(SCENARIOS / "eu_3eur_duty_2026h1.yaml", SCENARIOS / "eu_3eur_duty_2026h2.yaml")
    headline = " ".join(c["headline"])
    assert "Plan date 2026-06-15 → 2026-07-15." in headline
    assert "in force for A only: EU_PARCEL_IOSS (to 2026-06-30)" in headline
    assert "in force for B only: EU_PARCEL_FLAT3 (from 2026-07-01)" in headline
    assert "HGH-NL-apparel (direct-package → overseas-warehouse)" in headline
    totals = {t["metric"]: t for t in c["totals"]}
    assert totals["duties_taxes_per_order"]["delta"] > 0
    hgh = next(d for d in c["demands"] if d["id"] == "HGH-NL-apparel")
    recost = next(w for w in hgh["why"] if w.startswith("A's direct-package route"))
    old, new = map(float, re.search(r"duties & taxes ([\d.]+) → ([\d.]+)", recost).groups())
    assert new > old + 6.0  # EUR 3 per item × 2 items at least, once the IOSS relief ends


def test_on_time_estimate_is_the_lognormal_through_mean_and_p90():
    from optimizer.plan.metrics import on_time_probability

    assert on_time_probability(5.0, 8.0, 8.0) == pytest.approx(0.9, abs=1e-12)
    assert on_time_probability(5.0, 8.0, 30.0) > 0.999
    assert on_time_probability(5.0, 5.0, 4.0) == 0.0  # no spread: a constant 5 days
    assert on_time_probability(5.0, 8.0, 0.0) == 0.0


def test_plan_metrics_weight_by_orders_and_count_unmet_as_late():
    from optimizer.plan.metrics import plan_metrics

    def allocation(pattern, orders, p90, total):
        return {
            "pattern": pattern,
            "orders": orders,
            "stock_node": "W" if pattern != "direct-package" else None,
            "lead_time_days": {"p50": p90 / 2, "p90": p90, "mean": p90 / 1.5},
            "cost_per_order": {"total": total},
        }

    doc = {
        "status": "optimal",
        "objective": 1.0,
        "gap": 0.0,
        "totals": {
            "cost": 900.0,
            "freight": 500.0,
            "handling": 100.0,
            "duties_taxes": 200.0,
            "inventory": 100.0,
            "co2e_kg": 60.0,
            "orders": 300.0,
            "unmet_orders": 100.0,
        },
        "demands": [
            {
                "sla_days": 10.0,
                "allocations": [
                    allocation("direct-package", 100.0, 10.0, 4.0),
                    allocation("overseas-warehouse", 200.0, 4.0, 2.5),
                ],
            }
        ],
        "lanes": [{"containers": 2}, {"containers": None}],
    }
    m = plan_metrics(doc)
    assert m["cost_per_order"] == 3.0 and m["freight_per_order"] == 500.0 / 300.0
    assert m["p90_days"] == pytest.approx((100 * 10 + 200 * 4) / 300)
    assert m["p90_days_max"] == 10.0
    assert m["share_direct-package"] == 0.25 and m["share_overseas-warehouse"] == 0.5
    assert m["share_unmet"] == 0.25
    assert m["on_time_share"] == pytest.approx((100 * 0.9 + 200 * 1.0) / 400, abs=1e-3)
    assert m["stock_orders_per_week"] == 200.0 and m["containers_per_week"] == 2
    assert m["co2e_kg_per_order"] == 0.2 and m["lanes_used"] == 2
