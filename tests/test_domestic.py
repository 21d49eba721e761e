"""Domestic flows are refused, and no route leaves a customs territory and comes back (issue 11).

An origin and a market in one customs territory import nothing: pricing them
as a 1210 bonded import routed through the Kazakh border (what xborder did) is
a confident wrong answer. Until domestic lanes are priced every reader refuses
them with exit 2. Independently, route enumeration — the candidate routes of
the optimizer and the quote's label search — never leaves a territory and
re-enters it, the origin's territory included.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from costing_fixtures import LANES, NODES, make_network

from optimizer.cli.main import main
from optimizer.network.records import Lane, Mode, Node, NodeKind, Scope
from optimizer.quote import Piece, Quoter, Shipment, parse_shipment
from optimizer.quote.labels import SearchSpace, label_front
from optimizer.quote.pricing import ShipmentPricer
from optimizer.routes.candidates import RouteIndex, candidate_routes
from optimizer.scenario.records import Pattern

ROOT = Path(__file__).resolve().parents[1]
TINY = Path(__file__).with_name("data") / "tiny"
NET = make_network()


def test_parse_shipment_refuses_a_domestic_shipment():
    raw = {
        "from": "SZ_WH",
        "to": "CN_MKT",
        "weight_kg": "0.5",
        "dims_cm": "25x18x5",
        "value": "200",
        "currency": "CNY",
        "category": "apparel",
        "ship_date": "2026-03-01",
    }
    shipment, problems = parse_shipment(NET, raw)
    assert shipment is None
    [p] = problems
    assert p.field == "to" and p.value == "CN_MKT"
    assert "customs territory CN" in p.message and "domestic" in p.message
    assert "outside customs territory CN" in (p.expected or "")


def test_quote_cli_refuses_the_issue_example():
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
        ],
    )
    assert out.exit_code == 2, out.output
    assert "domestic" in out.output and "customs territory CN" in out.output
    assert "bonded" not in out.output


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


def test_run_refuses_a_domestic_demand(tmp_path):
    _tiny_with_domestic_market(tmp_path)
    scenario = tmp_path / "domestic.yaml"
    scenario.write_text(
        "version: 1\nname: domestic\nnetwork: tiny\nplan_date: 2026-03-01\n"
        "demands:\n"
        "  - {id: ok, origin: O, market: M, category: apparel, orders_per_week: 10,\n"
        "     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10}\n"
        "  - {id: home, origin: O, market: MC, category: apparel, orders_per_week: 10,\n"
        "     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10}\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(main, ["run", str(scenario)])
    assert out.exit_code == 2, out.output
    assert "demand 'home'" in out.output and "domestic" in out.output
    assert "line 8" in out.output and "field 'market'" in out.output
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


def test_candidate_routes_of_a_domestic_pair_are_empty():
    for pattern in Pattern:
        assert candidate_routes(DETOUR, "SZ_WH", "CN_MKT", pattern) == []


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
