"""B2B 9710 consignments and China's CBEC annual limit (issue 14 item 5), hand-worked.

* ``b2b-direct`` (9710): a business consignment on the direct-package lanes, cleared
  as a normal import on the commercial channel — full duty and VAT at the border, no
  low-value relief, no stock, no retail step.
* ``options.cbec_over_limit_share`` = s: that share of China CBEC orders is past the
  buyer's RMB 26,000 annual limit and clears as general trade, so the cost moves by
  exactly s × (general trade − CBEC).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from costing_fixtures import make_network

from optimizer.cli.main import main
from optimizer.costing.flows import DOMESTIC_CHARGE, blend_general_trade
from optimizer.plan.records import Plan
from optimizer.quote import Piece, Quoter, Shipment
from optimizer.routes.candidates import candidate_routes
from optimizer.routes.evaluate import evaluate
from optimizer.scenario.load import load
from optimizer.scenario.records import (
    Demand,
    Inventory,
    Options,
    Pattern,
    Scenario,
    SolverOptions,
)
from optimizer.solve.optimize import optimize

TINY = Path(__file__).with_name("data") / "tiny"
NET = make_network()


def _tiny_scenario(tmp_path: Path, patterns: str, extra: str = "") -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    path = tmp_path / "b2b.yaml"
    path.write_text(
        "version: 1\nname: b2b\nnetwork: tiny\nplan_date: 2025-06-01\n"
        f"{extra}"
        "demands:\n"
        "  - {id: biz, origin: O, market: M, category: apparel, orders_per_week: 10,\n"
        f"     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 20, patterns: {patterns}}}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("patterns", "objective", "duties"),
    [
        # b2b-direct: post (T_POST: max(0.5, 3000/6000) = 0.5 kg -> first kg USD 6) + a normal
        # import: duty 10 % x USD 20 (FOB) = 2.00, no US VAT -> 8 an order, 80 a week
        ("[b2b-direct]", 80.0, 2.0),
        # the same consignment as a retail parcel on 2025-06-01: $800 de minimis, no duty
        ("[direct-package]", 60.0, 0.0),
    ],
)
def test_b2b_consignment_clears_as_a_normal_import(tmp_path, patterns, objective, duties):
    out = CliRunner().invoke(main, ["run", str(_tiny_scenario(tmp_path, patterns)), "--json"])
    assert out.exit_code == 0, out.output
    plan = json.loads(out.output)
    assert plan["objective"] == pytest.approx(objective)
    [alloc] = plan["demands"][0]["allocations"]
    assert alloc["pattern"] == patterns.strip("[]")
    assert alloc["legs"] == ["L_POST"] and alloc["stock_node"] is None
    assert alloc["cost_per_order"]["duties_taxes"] == pytest.approx(duties)


def test_b2b_is_never_chosen_unless_asked(tmp_path):
    """A consumer order is not a business consignment: the default patterns leave B2B out."""
    path = _tiny_scenario(tmp_path, "null")
    scenario, _ = load(path)[:2]
    assert Pattern.B2B not in scenario.demands[0].patterns


def test_b2b_quote_pays_full_duty_without_relief():
    """Fixture: no US commercial rule, so a normal import at the CN-origin rate 45 % (FOB)."""
    day = dt.date(2026, 3, 1)
    shipment = Shipment("SZ_WH", "US_MKT", (Piece(1.0, 0.006),), 60.0, "apparel", day)
    b2b = Quoter(NET).quote(dataclasses.replace(shipment, pattern=Pattern.B2B))
    assert b2b.options and all(o.route.startswith("b2b-direct:") for o in b2b.options)
    for o in b2b.options:
        assert (o.duty_usd, o.tax_usd, o.brokerage_usd) == (pytest.approx(27.0), 0.0, 0.0)
        assert o.stock_usd == 0.0 and o.group == "ship-now"
    direct = Quoter(NET).quote(shipment)  # the retail parcel pays the US_CN_NODM fee of 5
    assert {o.route.split(":")[1] for o in b2b.options} <= {
        o.route.split(":")[1] for o in direct.options if o.pattern is Pattern.DIRECT
    }
    assert all(o.brokerage_usd == 5.0 for o in direct.options if o.pattern is Pattern.DIRECT)


# -- CBEC annual limit -------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.02, 0.25, 1.0])
def test_cbec_over_limit_share_moves_the_cost_by_exactly_share_times_the_gap(share):
    """DE_WH -> CN_MKT by express (CIF: customs value = 100 + freight F).

    CBEC (CN_9610, within CNY 5,000): duty 0, tax 13 % x 70 % = 9.1 % of (100 + F).
    General trade (no CN commercial rule in the fixture: a normal import): duty 10 %,
    tax 13 % on value + duty -> 0.10 x CV + 0.13 x 1.10 x CV = 0.243 x CV.
    """
    demand = Demand("d", "DE_WH", "CN_MKT", "apparel", 10.0, 1.0, 0.006, 100.0, 30.0)
    [route] = [
        r
        for r in candidate_routes(NET, "DE_WH", "CN_MKT", Pattern.DIRECT)
        if r.lanes == ("EXP_DE_CN",)
    ]
    day, inv = dt.date(2026, 3, 1), Inventory()
    base = evaluate(NET, demand, route, day=day, inventory=inv)
    moved = evaluate(NET, demand, route, day=day, inventory=inv, over_limit_share=share)
    cv = 100.0 + base.cost.freight
    cbec, general = 0.091 * cv, 0.243 * cv
    assert base.cost.duties_taxes == pytest.approx(cbec)
    assert moved.cost.total - base.cost.total == pytest.approx(share * (general - cbec))
    assert moved.cost.freight == base.cost.freight
    assert "CNY 26,000 annual limit" in moved.treatment


def test_cbec_share_leaves_other_markets_and_channels_alone():
    demand = Demand("d", "SZ_WH", "US_MKT", "apparel", 10.0, 1.0, 0.006, 100.0, 30.0)
    day, inv = dt.date(2026, 3, 1), Inventory()
    for route in candidate_routes(NET, "SZ_WH", "US_MKT", Pattern.DIRECT):
        a = evaluate(NET, demand, route, day=day, inventory=inv)
        b = evaluate(NET, demand, route, day=day, inventory=inv, over_limit_share=0.5)
        assert a.cost == b.cost


def test_blend_rejects_a_share_outside_0_1():
    with pytest.raises(ValueError, match="outside"):
        blend_general_trade(DOMESTIC_CHARGE, DOMESTIC_CHARGE, 1.5)


def test_scenario_reads_and_checks_cbec_over_limit_share(tmp_path):
    path = _tiny_scenario(tmp_path, "null", "options: {cbec_over_limit_share: 0.02}\n")
    scenario, _ = load(path)[:2]
    assert scenario.options.cbec_over_limit_share == 0.02
    path.write_text(
        path.read_text(encoding="utf-8").replace("0.02", "1.5"),
        encoding="utf-8",
    )
    out = CliRunner().invoke(main, ["run", str(path)])
    assert out.exit_code == 2 and "cbec_over_limit_share" in out.output


def test_cbec_over_limit_share_reaches_the_plan_objective():
    """The optimizer prices with the scenario's share. On the route it keeps, CBEC pays
    9.1 % of the customs value CV and general trade 24.3 %, so 10 orders a week at s = 0.1
    move the objective by exactly 10 x 0.1 x (0.243 - 0.091) x CV, CV = CBEC duties / 0.091.
    """
    demand = Demand(
        "d", "DE_WH", "CN_MKT", "apparel", 10.0, 1.0, 0.006, 100.0, 30.0, (Pattern.DIRECT,)
    )

    def plan(share: float) -> Plan:
        scenario = Scenario(
            "cbec",
            Path("cbec.yaml"),
            Path("fixture"),
            dt.date(2026, 3, 1),
            "USD",
            (demand,),
            options=Options(cbec_over_limit_share=share),
            solver=SolverOptions(time_limit_s=20, relative_gap=0.0),
        )
        return optimize(scenario, NET)

    base, moved = plan(0.0), plan(0.1)
    [a], [b] = base.demands[0].allocations, moved.demands[0].allocations
    assert a.lanes == b.lanes and a.orders == b.orders == 10.0
    customs_value = a.cost_per_order.duties_taxes / 0.091
    assert customs_value > 100.0  # CIF: the goods and the freight up to the entry
    gap = (0.243 - 0.091) * customs_value
    assert moved.objective - base.objective == pytest.approx(10 * 0.1 * gap)
    assert b.cost_per_order.duties_taxes == pytest.approx(a.cost_per_order.duties_taxes + 0.1 * gap)
