"""Domestic flows are priced without customs, and no route leaves a territory and comes back.

An origin and a market in one customs territory import nothing: they use the
``domestic`` pattern only — parcel-carrying lanes inside the territory, no duty, no
import VAT, no clearance fee, no customs node, no clearance time (issue 14 item 5).
Pricing them as a 1210 bonded import routed through the Kazakh border (what xborder
once did) is a confident wrong answer; refusing them (what it did next) is no answer.
Independently, route enumeration — the candidate routes of the optimizer and the
quote's label search — never leaves a territory and re-enters it, the origin's included.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from costing_fixtures import LANES, NODES, make_network

from optimizer.cli.main import main
from optimizer.costing import leadtime as lt
from optimizer.network.records import Lane, Mode, Node, NodeKind, Scope
from optimizer.quote import Piece, Quoter, Shipment, parse_shipment
from optimizer.quote.labels import SearchSpace, label_front
from optimizer.quote.pricing import ShipmentPricer
from optimizer.routes.candidates import RouteIndex, candidate_routes
from optimizer.scenario.records import Pattern

ROOT = Path(__file__).resolve().parents[1]
TINY = Path(__file__).with_name("data") / "tiny"
NET = make_network()
DAY = dt.date(2026, 3, 1)


RAW = {
    "from": "SZ_WH",
    "to": "CN_MKT",
    "weight_kg": "1",
    "dims_cm": "30x20x10",
    "value": "60",
    "currency": "USD",
    "category": "apparel",
    "ship_date": "2026-03-01",
}


def test_parse_shipment_accepts_a_domestic_shipment_and_refuses_a_cross_border_pattern():
    shipment, problems = parse_shipment(NET, RAW)
    assert problems == [] and shipment is not None
    assert shipment.pattern is None
    shipment, problems = parse_shipment(NET, {**RAW, "pattern": "direct-package"})
    assert shipment is None
    [p] = problems
    assert p.field == "pattern" and p.value == "direct-package"
    assert "domestic flow" in p.message and "customs territory CN" in p.message
    assert p.expected == "pattern domestic"
    _, problems = parse_shipment(NET, {**RAW, "to": "US_MKT", "pattern": "domestic"})
    assert [p.field for p in problems] == ["pattern"]
    assert "cross-border flow" in problems[0].message


@pytest.mark.parametrize("method", ["search", "table"])
def test_domestic_quote_is_hand_worked_and_clears_no_customs(method):
    """SZ_WH -> CN_MKT, 1 kg in 30x20x10 cm (6,000 cm3), worth USD 60.

    truck TRK_SZ_AIR: per kg CNY 0.72, divisor 3000 -> 2 kg -> CNY 1.44, below the
    CNY 36 minimum -> 36 / 7.2 = USD 5.00; handling at CN_AIR 0.1/kg x 1 kg = 0.10;
    last mile LM_CNAIR_CN: 6000/5000 = 1.2 kg -> first kg 6 + one more kg 1 = 7.00.
    Landed 12.10, no duty, tax or fee (a cross-border parcel into CN pays 9.1 %);
    CN_AIR's clearance (1 d + 10 % x 2 d) is not in the lead time.
    """
    shipment = Shipment("SZ_WH", "CN_MKT", (Piece(1.0, 0.006),), 60.0, "apparel", DAY)
    result = Quoter(NET).quote(shipment, pareto=method)  # type: ignore[arg-type]
    [option] = result.options
    assert option.route == "domestic:TRK_SZ_AIR>LM_CNAIR_CN"
    assert option.pattern is Pattern.DOMESTIC
    assert option.landed_usd == pytest.approx(12.10)
    assert (option.duty_usd, option.tax_usd, option.brokerage_usd) == (0.0, 0.0, 0.0)
    lanes = [NET.lane_by_id[x] for x in ("TRK_SZ_AIR", "LM_CNAIR_CN")]
    nodes = NET.node_by_id
    no_clearance = (
        lt.handling_time(nodes["SZ_WH"]).mean
        + lt.lane_time(lanes[0]).mean
        + lt.handling_time(nodes["CN_AIR"]).mean
        + lt.lane_time(lanes[1]).mean
    )
    assert option.mean_days == pytest.approx(no_clearance, abs=0.02)


def test_quote_cli_prices_the_issue_example_as_domestic():
    out = CliRunner().invoke(
        main,
        [
            "quote",
            "--network",
            str(ROOT / "networks" / "global"),
            "--from",
            "CN_SZX_ORIGIN",
            "--to",
            "M_CN_EAST",
            "--weight",
            "0.5",
            "--dims",
            "25x18x5",
            "--value",
            "200",
            "--currency",
            "CNY",
            "--category",
            "apparel",
            "--ship-date",
            "2026-03-01",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    routes = [o["route"] for o in doc["options"]]
    assert "domestic:DOM-CN_SZX_ORIGIN-M_CN_EAST" in routes
    assert all(r.startswith("domestic:") for r in routes)
    assert all(o["duty_usd"] == o["tax_usd"] == o["brokerage_usd"] == 0 for o in doc["options"])


def test_quote_batch_prices_a_domestic_row(tmp_path):
    batch = tmp_path / "ship.csv"
    batch.write_text(
        "id,from,to,weight_kg,dims_cm,value,currency,category,ship_date\n"
        "dom,US_CHI_ORIGIN,M_US_EAST,1,30x20x10,50,USD,apparel,2026-03-01\n"
        "xb,CN_SZX_ORIGIN,M_US_EAST,1,30x20x10,50,USD,apparel,2026-03-01\n",
        encoding="utf-8",
    )
    out_csv = tmp_path / "quotes.csv"
    out = CliRunner().invoke(
        main,
        [
            "quote",
            "--network",
            str(ROOT / "networks" / "global"),
            "--batch",
            str(batch),
            "-o",
            str(out_csv),
            "--workers",
            "1",
        ],
    )
    assert out.exit_code == 0, out.output
    with out_csv.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    dom = [r for r in rows if r["shipment"] == "dom"]
    assert dom[0]["route"] == "domestic:DOM-US_CHI_ORIGIN-M_US_EAST"
    assert all(r["pattern"] == "domestic" and r["treatment"] == "domestic: no customs" for r in dom)
    assert all(float(r["duty_usd"]) == float(r["tax_usd"]) == 0.0 for r in dom)
    xb = [r for r in rows if r["shipment"] == "xb"]
    assert xb and all(r["pattern"] != "domestic" for r in xb)


def _tiny_with_domestic_market(tmp_path: Path) -> Path:
    net = tmp_path / "tiny"
    shutil.copytree(TINY, net)
    with (net / "nodes.csv").open("a", encoding="utf-8") as fh:
        fh.write("MC,Market in China,market,CN,31.2,121.5,,,1,,,,,,,,,test\n")
    with (net / "lanes.csv").open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    row = dict.fromkeys(header, "")
    row.update(
        {
            "id": "L_EXP_CN",
            "from": "O",
            "to": "MC",
            "mode": "express",
            "carrier": "X",
            "scope": "parcel",
            "transit_mean_days": "2",
            "transit_p90_days": "3",
            "co2e_kg_per_tkm": "0.8",
            "distance_km": "1200",
            "source": "test",
        }
    )
    row["tariff"] = next(
        line.split(",")[header.index("tariff")]
        for line in (net / "lanes.csv").read_text(encoding="utf-8").splitlines()[1:]
        if line.startswith("L_EXP,")
    )
    with (net / "lanes.csv").open("a", encoding="utf-8") as fh:
        fh.write(",".join(row[h] for h in header) + "\n")
    return net


def _scenario(tmp_path: Path, demand: str) -> Path:
    scenario = tmp_path / "domestic.yaml"
    scenario.write_text(
        "version: 1\nname: domestic\nnetwork: tiny\nplan_date: 2026-03-01\ndemands:\n" + demand,
        encoding="utf-8",
    )
    return scenario


def test_run_plans_a_domestic_demand_without_customs(tmp_path):
    """O -> MC (both CN), 10 orders/week of 0.5 kg in 3,000 cm3 on L_EXP_CN (T_EXP).

    Chargeable max(0.5, 3000/5000 = 0.6) = 0.6 kg: first 0.5 kg USD 10 + one 0.5 kg
    step USD 4 = 14 per order, 140 a week; no duty, no VAT, no customs rules needed
    (the tiny network has none for CN), no clearance node.
    """
    _tiny_with_domestic_market(tmp_path)
    scenario = _scenario(
        tmp_path,
        "  - {id: home, origin: O, market: MC, category: apparel, orders_per_week: 10,\n"
        "     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10}\n",
    )
    out = CliRunner().invoke(main, ["run", str(scenario), "--json"])
    assert out.exit_code == 0, out.output
    plan = json.loads(out.output)
    assert plan["objective"] == pytest.approx(140.0)
    [demand] = plan["demands"]
    [alloc] = demand["allocations"]
    assert alloc["pattern"] == "domestic" and alloc["legs"] == ["L_EXP_CN"]
    assert alloc["cost_per_order"]["duties_taxes"] == 0.0
    assert alloc["customs"] == "domestic: no customs"


def test_run_refuses_a_cross_border_pattern_on_a_domestic_demand(tmp_path):
    _tiny_with_domestic_market(tmp_path)
    scenario = _scenario(
        tmp_path,
        "  - {id: ok, origin: O, market: M, category: apparel, orders_per_week: 10,\n"
        "     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10}\n"
        "  - {id: home, origin: O, market: MC, category: apparel, orders_per_week: 10,\n"
        "     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10,\n"
        "     patterns: [direct-package]}\n",
    )
    out = CliRunner().invoke(main, ["run", str(scenario)])
    assert out.exit_code == 2, out.output
    assert "demand 'home'" in out.output and "domestic flow" in out.output
    assert "line 8" in out.output and "field 'patterns'" in out.output
    assert "'ok'" not in out.output


# -- never leave a territory and come back -------------------------------------------------

#: SZ_WH (CN) reaches its airport and port only through VN_HUB (VN): every air or sea route
#: from it would leave the origin's territory and come back, so none may exist.
DETOUR = make_network(
    nodes=(*NODES, Node("VN_HUB", "VN hub", NodeKind.HUB, "VN", 0.0, 0.0)),
    lanes=(
        *(lane for lane in LANES if lane.id not in ("TRK_SZ_AIR", "TRK_SZ_PORT")),
        *(
            Lane(lid, a, b, Mode.TRUCK, "C", Scope.ANY, "T_TRUCK", 1, 2, 0.1, 900)
            for lid, a, b in (
                ("TRK_SZ_VN", "SZ_WH", "VN_HUB"),
                ("TRK_VN_AIR", "VN_HUB", "CN_AIR"),
                ("TRK_VN_PORT", "VN_HUB", "CN_PORT"),
            )
        ),
    ),
)
SHIPMENT = Shipment("SZ_WH", "US_MKT", (Piece(1.0, 0.006),), 60.0, "apparel", dt.date(2026, 3, 1))


def test_candidate_routes_never_reenter_the_origin_territory():
    index = RouteIndex.build(DETOUR)
    direct = candidate_routes(DETOUR, "SZ_WH", "US_MKT", Pattern.DIRECT, index=index)
    assert sorted(r.key for r in direct) == [
        "direct-package:EXP_SZ_US",
        "direct-package:POST_SZ_US",
    ]
    assert candidate_routes(DETOUR, "SZ_WH", "US_MKT", Pattern.OVERSEAS, index=index) == []
    # the detour lanes are usable: from VN the same air route is a candidate
    via_vn = candidate_routes(DETOUR, "VN_HUB", "US_MKT", Pattern.DIRECT, index=index)
    assert "direct-package:TRK_VN_AIR>AIR_CN_US>LM_USAIR_US" in {r.key for r in via_vn}


def test_a_domestic_pair_has_domestic_routes_only_and_never_leaves_the_territory():
    for pattern in Pattern:
        if pattern is not Pattern.DOMESTIC:
            assert candidate_routes(NET, "SZ_WH", "CN_MKT", pattern) == []
        assert candidate_routes(NET, "SZ_WH", "US_MKT", Pattern.DOMESTIC) == []
    [route] = candidate_routes(NET, "SZ_WH", "CN_MKT", Pattern.DOMESTIC)
    assert route.key == "domestic:TRK_SZ_AIR>LM_CNAIR_CN"
    # on DETOUR, SZ_WH reaches CN_AIR only through VN: a domestic route may not leave CN
    assert candidate_routes(DETOUR, "SZ_WH", "CN_MKT", Pattern.DOMESTIC) == []
    space = SearchSpace.build(DETOUR)
    domestic = Shipment("SZ_WH", "CN_MKT", (Piece(1.0, 0.006),), 60.0, "apparel", DAY)
    assert label_front(space, ShipmentPricer(DETOUR, domestic), Pattern.DOMESTIC) == []


@pytest.mark.parametrize("pattern", [Pattern.DIRECT, Pattern.OVERSEAS])
def test_label_search_never_reenters_the_origin_territory(pattern):
    space = SearchSpace.build(DETOUR)  # the whole network, not a corridor of candidate routes
    points = label_front(space, ShipmentPricer(DETOUR, SHIPMENT), pattern)
    assert not [p.route for p in points if "TRK_SZ_VN" in p.route]
    assert bool(points) is (pattern is Pattern.DIRECT)


def test_quote_never_reenters_the_origin_territory():
    for method in ("search", "table"):
        result = Quoter(DETOUR).quote(SHIPMENT, pareto=method)  # type: ignore[arg-type]
        assert sorted(o.route for o in result.options) == [
            "direct-package:EXP_SZ_US",
            "direct-package:POST_SZ_US",
        ]
