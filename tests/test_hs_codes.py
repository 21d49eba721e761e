"""HS codes end to end, and postal items: demands, quotes, batches and the API price the
code given, through the tariff layers; a parcel entering by post clears as a postal item.

Hand-worked cases run on ``tests/data/tiny`` with three layer rows written here
(US, 2026-03-01, no VAT, no fee, so a direct parcel's duties and taxes are its duty):

- ``MFN_61``: HS 61, 10 % (apparel's chapter, the tiny category's own code);
- ``MFN_6110``: HS 6110, 20 % (the longest prefix wins for 6110.20);
- ``POSTAL_5``: USD 5 per postal item, postal channel only.

So an order worth 20 USD pays 2.00 as 6109.10 (or as plain apparel), 4.00 as 6110.20,
and 5.00 more when it enters on the postal lane ``L_POST``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.errors import InputError
from optimizer.fields import Field, parse
from optimizer.network.hs_codes import category_of
from optimizer.network.reader import read_network
from optimizer.network.records import Network
from optimizer.routes.candidates import Route
from optimizer.routes.evaluate import evaluate
from optimizer.scenario.records import Demand, Inventory, Pattern

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
GLOBAL = Path(__file__).resolve().parents[1] / "networks" / "global"
HEADER = (
    "id,territory,origin,hs_prefix,layer,basis,rate,amount,currency,value_over,value_up_to,"
    "valid_from,valid_to,channels,stacking_group,excludes,variant,note,source\n"
)
LAYERS = (
    "MFN_61,US,*,61,mfn,ad_valorem,0.1,,,,,2000-01-01,,,mfn,,,,test\n"
    "MFN_6110,US,*,6110,mfn,ad_valorem,0.2,,,,,2000-01-01,,,mfn,,,,test\n"
    "POSTAL_5,US,*,*,additional,per_consignment,,5,USD,,,2020-01-01,,postal,postal,,,,test\n"
)


@pytest.fixture
def net(tmp_path: Path) -> Path:
    """The tiny network with the three layer rows of the module docstring."""
    path = tmp_path / "tiny"
    shutil.copytree(TINY, path)
    (path / "tariff_layers.csv").write_text(HEADER + LAYERS, encoding="utf-8")
    return path


def run_json(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, list(args))
    doc = json.loads(result.stdout) if result.exit_code == 0 else {}
    return result.exit_code, doc, result.stderr


# --------------------------------------------------------------------------- the field kit
def test_the_hs_field_reads_codes_as_digits_and_names_bad_ones() -> None:
    spec = Field("hs_code", "hs", "HS code")
    problems: list = []
    assert [parse(spec, t, "f", 2, problems) for t in ("6109.10", " 8517 62 ", "61")] == [
        "610910",
        "851762",
        "61",
    ]
    assert not problems
    for bad in ("6", "61x", "61091000001", ".61", 6109.1):
        assert parse(spec, bad, "f", 3, problems) is None
    assert [p.message for p in problems] == ["not an HS code"] * 5
    assert "2 to 10 digits" in problems[0].expected and "as text" in problems[-1].expected


def test_category_of_an_hs_code() -> None:
    world = read_network(GLOBAL)
    assert category_of(world, "", "851762") == ("electronics", None)
    assert category_of(world, "85", "851762") == ("electronics", None)  # chapter as category
    _, fault = category_of(world, "apparel", "851762")
    assert fault is not None and fault.field == "hs_code"
    assert fault.message == "HS chapter 85 is not the chapter of category 'apparel' (61)"
    _, none = category_of(world, "", "620462")
    assert none is not None and none.message == "no category of HS chapter 62 in the network"
    _, missing = category_of(world, "", "")
    assert missing is not None and (missing.field, missing.message) == (
        "category",
        "value is missing",
    )


# --------------------------------------------------------------------------- plans
SCENARIO = """version: 1
name: two apparel codes
network: {net}
plan_date: 2026-03-01
currency: USD
demands:
  - {{id: tees, origin: O, market: M, hs_code: 6109.10, orders_per_week: 100,
     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10, patterns: [direct-package]}}
  - {{id: sweaters, origin: O, market: M, category: apparel, hs_code: '6110.20',
     orders_per_week: 100, weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10,
     patterns: [direct-package]}}
  - {{id: plain, origin: O, market: M, category: apparel, orders_per_week: 100,
     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 10, patterns: [direct-package]}}
solver: {{time_limit_s: 20, relative_gap: 0.0, seed: 0}}
"""


def test_two_demands_of_one_category_pay_the_duty_of_their_own_codes(
    net: Path, tmp_path: Path
) -> None:
    """6109.10 takes MFN_61 (10 % of 20 = 2.00), 6110.20 the longer MFN_6110 (20 % = 4.00);
    a demand without a code prices its category's (tiny: chapter 61, 2.00). SLA 10 days
    leaves express only (postal P90 16 days)."""
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(net=net), encoding="utf-8")
    code, plan, err = run_json("run", str(path), "--json")
    assert code == 0, err
    by_id = {d["id"]: d for d in plan["demands"]}  # type: ignore[union-attr]
    assert {k: d["hs_code"] for k, d in by_id.items()} == {
        "tees": "610910",
        "sweaters": "611020",
        "plain": "61",
    }
    duty = {
        k: [a["cost_per_order"]["duties_taxes"] for a in d["allocations"]] for k, d in by_id.items()
    }
    assert duty == {"tees": [2.0], "sweaters": [4.0], "plain": [2.0]}
    customs = {k: d["allocations"][0]["customs"] for k, d in by_id.items()}
    assert "HS 6109.10: duty layers MFN_61," in customs["tees"]
    assert "HS 6110.20: duty layers MFN_6110," in customs["sweaters"]
    assert all(d["allocations"][0]["modes"] == ["express"] for d in by_id.values())


def test_a_plan_route_entering_by_post_pays_the_postal_layer(net: Path) -> None:
    network = read_network(net)
    demand = Demand("d", "O", "M", "apparel", 100, 0.5, 0.003, 20.0, 30.0, hs_code="610910")

    def duties(lane: str) -> tuple[float, str]:
        route = Route(Pattern.DIRECT, (), (lane,), None)
        option = evaluate(network, demand, route, day=dt.date(2026, 3, 1), inventory=Inventory())
        return option.cost.duties_taxes, option.treatment

    express, text = duties("L_EXP")
    assert express == pytest.approx(2.0)
    assert "HS 6109.10: duty layers MFN_61," in text
    postal, text = duties("L_POST")
    assert postal == pytest.approx(7.0)  # 2.00 + USD 5 per postal item
    assert "HS 6109.10 (postal item): duty layers MFN_61 + POSTAL_5" in text


# --------------------------------------------------------------------------- quotes
QUOTE = ["--from", "O", "--to", "M", "--weight", "1", "--dims", "30x20x10"]


def test_quote_prices_the_code_and_the_postal_item(net: Path) -> None:
    code, doc, err = run_json(
        "quote", "--network", str(net), *QUOTE, "--value", "20", "--currency", "USD",
        "--hs-code", "6110.20", "--pattern", "direct-package", "--ship-date", "2026-03-01",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    assert doc["shipment"]["category"] == "apparel" and doc["shipment"]["hs_code"] == "611020"  # type: ignore[index]
    duty = {o["legs"][0]["mode"]: o["duty_usd"] for o in doc["options"]}  # type: ignore[union-attr]
    assert duty == {"express": pytest.approx(4.0), "postal": pytest.approx(9.0)}
    assert {o["hs_code"] for o in doc["options"]} == {"611020"}  # type: ignore[union-attr]


def test_postal_quote_and_tariffs_explain_agree() -> None:
    """US from CN on 2025-06-15: a postal item pays MFN 16.5 % + 301 7.5 % + the postal 54 %
    (in place of IEEPA 20 % + 10 %) on 45 USD = 35.10; express pays 24.30."""
    code, quote, err = run_json(
        "quote", "--network", str(GLOBAL), "--from", "CN_SZX_ORIGIN", "--to", "M_US_EAST",
        "--weight", "0.3", "--dims", "15x8x3", "--value", "45", "--currency", "USD",
        "--hs-code", "6109.10", "--ship-date", "2025-06-15", "--pattern", "direct-package",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    explain = ["tariffs", "explain", "--to", "US", "--from", "CN", "--hs", "6109.10"]
    explain += ["--value", "45", "--currency", "USD", "--date", "2025-06-15", "--json"]
    for channel, mode, expected in (("postal", "postal", 35.10), ("express", "express", 24.30)):
        code, told, err = run_json(*explain, "--channel", channel)
        assert code == 0, err
        assert told["duty"] == pytest.approx(expected)
        options = [o for o in quote["options"] if [leg["mode"] for leg in o["legs"]] == [mode]]  # type: ignore[union-attr]
        assert options and all(o["duty_usd"] == pytest.approx(expected) for o in options)
    postal = next(o for o in quote["options"] if o["legs"][0]["mode"] == "postal")  # type: ignore[union-attr]
    assert "US_POSTAL_CN_54" in postal["treatment"] and "(postal item)" in postal["treatment"]


def test_batch_rows_give_hs_codes_without_a_category_column(net: Path, tmp_path: Path) -> None:
    batch = tmp_path / "shipments.csv"
    batch.write_text(
        "id,from,to,weight_kg,dims_cm,value,currency,hs_code,pattern,ship_date\n"
        "tee,O,M,1,30x20x10,20,USD,6109.10,direct-package,2026-03-01\n"
        "sweater,O,M,1,30x20x10,20,USD,6110.20,direct-package,2026-03-01\n",
        encoding="utf-8",
    )
    out = tmp_path / "q.csv"
    result = CliRunner().invoke(
        main, ["quote", "--network", str(net), "--batch", str(batch), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    import pandas as pd

    rows = pd.read_csv(out, dtype={"hs_code": str})
    got = {
        (r.shipment, r.modes): (r.hs_code, r.duty_usd)
        for r in rows.itertuples()
        if r.modes in ("express", "postal")
    }
    assert got == {
        ("tee", "express"): ("610910", 2.0),
        ("tee", "postal"): ("610910", 7.0),
        ("sweater", "express"): ("611020", 4.0),
        ("sweater", "postal"): ("611020", 9.0),
    }


# --------------------------------------------------------------------------- validation
def test_duty_rates_are_not_needed_where_mfn_layers_cover(net: Path) -> None:
    (net / "duty_rates.csv").unlink()
    network = read_network(net)  # the layers cover apparel (61) in US: no duty_rates row asked
    assert not network.duty_rates
    (net / "tariff_layers.csv").write_text(HEADER + LAYERS.split("\n", 1)[1], encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_network(net)  # no MFN row for 61 any more: the category and duty_rates say so
    found = {(Path(p.file).name, p.field) for p in info.value.problems}
    assert ("categories.csv", "hs_chapter") in found


def test_global_network_needs_no_duty_rates(tmp_path: Path) -> None:
    shutil.copytree(GLOBAL, tmp_path / "g")
    (tmp_path / "g" / "duty_rates.csv").unlink()
    world: Network = read_network(tmp_path / "g")
    assert world.tariff_layers and not world.duty_rates


def test_an_hs_code_no_mfn_layer_covers_is_refused(net: Path, tmp_path: Path) -> None:
    """Where the layers price a territory, a code without an MFN row would pay no duty:
    refused where it is read (quote, scenario), never priced as 0 %."""
    (net / "categories.csv").write_text(
        "id,name,hs_chapter,hs_code,consumption_tax_rate_cn,source\n"
        "apparel,Apparel,61,610910,,hand-made test data\n",
        encoding="utf-8",
    )
    (net / "tariff_layers.csv").write_text(
        HEADER + "MFN_610910,US,*,610910,mfn,ad_valorem,0.1,,,,,2000-01-01,,,mfn,,,,test\n",
        encoding="utf-8",
    )
    ok = CliRunner().invoke(
        main, ["quote", "--network", str(net), *QUOTE, "--value", "20", "--currency", "USD",
               "--hs-code", "6109.10", "--ship-date", "2026-03-01"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(
        main, ["quote", "--network", str(net), *QUOTE, "--value", "20", "--currency", "USD",
               "--hs-code", "6110.20", "--ship-date", "2026-03-01"],
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "field '--hs-code'" in bad.stderr
    assert "no MFN row in tariff_layers.csv for HS 611020 in territory US" in bad.stderr
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(net=net), encoding="utf-8")
    run = CliRunner().invoke(main, ["run", str(path)])
    assert run.exit_code == 2
    assert "demand 'sweaters': no MFN row in tariff_layers.csv for HS 611020" in run.stderr
    assert "'tees'" not in run.stderr and "'plain'" not in run.stderr


@pytest.mark.parametrize(
    ("given", "hs", "duty"),
    [
        (("--category", "electronics"), "851830", 22.40),  # MFN 4.9 % + 301 7.5 % + S122 10 %
        (("--hs-code", "8518.30"), "851830", 22.40),  # the category's own code: the same
        (("--hs-code", "8517.62"), "851762", 12.00),  # MFN 85 2 % + S122 10 % (issue 14)
    ],
)
def test_the_category_is_a_shortcut_for_its_representative_code(
    given: tuple[str, str], hs: str, duty: float
) -> None:
    code, doc, err = run_json(
        "quote", "--network", str(GLOBAL), "--from", "CN_SZX_ORIGIN", "--to", "M_US_EAST",
        "--weight", "0.3", "--dims", "15x8x3", "--value", "100", "--currency", "USD", *given,
        "--ship-date", "2026-03-01", "--pattern", "direct-package", "--mode", "express", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert doc["shipment"]["category"] == "electronics"  # type: ignore[index]
    assert [(o["hs_code"], o["duty_usd"]) for o in doc["options"]] == [(hs, duty)]  # type: ignore[union-attr]


def test_scenario_hs_problems_come_with_every_other_problem(net: Path, tmp_path: Path) -> None:
    text = SCENARIO.format(net=net).replace("hs_code: '6110.20'", "hs_code: '8517.62'")
    text = text.replace("{id: plain, origin: O,", "{id: plain, origin: OO,")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2 and result.stderr.count("error:") == 1
    assert "demand 'sweaters': HS chapter 85 is not the chapter of category 'apparel'" in (
        result.stderr
    )
    assert "unknown node in demand 'plain'" in result.stderr
    assert "unknown category" not in result.stderr
