"""Assumptions are named, dated, sourced rows; their fees are their own charge line and can be
switched off by a scenario (issue 11, class 11).

The EU's EUR 10 per-parcel fee, charged whenever any duty is due, is an
assumption (facts.md: a handling fee is "still under discussion"), and from
2026-07-01 the EUR 3 duty makes every parcel pay it.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.network.reader import read_network
from optimizer.network.records import AssumptionKind

ROOT = Path(__file__).resolve().parents[1]
GLOBAL = ROOT / "networks" / "global"
TINY = Path(__file__).with_name("data") / "tiny"
SCENARIO = (TINY.parent / "tiny_scenario.yaml").read_text(encoding="utf-8")
ASSUMPTIONS = (
    "id,kind,name,as_of,description,source\n"
    "us_fee_5,fee,US entry fee USD 5,2026-01-02,USD 5 per parcel entry,test\n"
    "per_order_limit,model,A model choice,2026-01-02,how it is computed,test\n"
)


def test_global_network_names_the_eu_handling_fee():
    net = read_network(GLOBAL)
    eu = net.assumption_by_id["eu_handling_fee_10eur"]
    assert eu.kind is AssumptionKind.FEE and eu.as_of.isoformat() == "2026-01-02"
    assert "under discussion" in eu.source
    rules = {r.id for r in net.customs_rules if r.fee_assumption == "eu_handling_fee_10eur"}
    assert rules == {"EU_PARCEL_FLAT3", "EU_PARCEL_IOSS", "EU_PARCEL_POST2028"}
    # every clearance fee of the shipped network rests on a named fee assumption
    assert all(r.fee_assumption for r in net.customs_rules if r.clearance_fee > 0)


def test_sources_md_lists_every_assumption():
    text = (GLOBAL / "SOURCES.md").read_text(encoding="utf-8")
    with (GLOBAL / "assumptions.csv").open(encoding="utf-8", newline="") as fh:
        ids = [row["id"] for row in csv.DictReader(fh)]
    assert ids and all(f"| `{i}` |" in text for i in ids)


def test_quote_shows_the_assumed_fee_as_its_own_line():
    args = [
        "quote",
        "--network",
        str(GLOBAL),
        "--from",
        "CN_SZX_ORIGIN",
        "--to",
        "M_DE",
        "--weight",
        "0.5",
        "--dims",
        "25x18x5",
        "--value",
        "45",
        "--currency",
        "EUR",
        "--category",
        "apparel",
        "--ship-date",
        "2026-07-15",
        "--pattern",
        "direct-package",
    ]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert "assumed fee 11.63: eu_handling_fee_10eur" in out.output  # EUR 10 / 0.86
    assert "fee EUR 10 [assumption eu_handling_fee_10eur]" in out.output
    before = CliRunner().invoke(main, [*args[:-4], "2026-06-15", *args[-2:]])
    assert "eu_handling_fee_10eur" not in before.output  # IOSS: VAT at sale, nothing collected
    data = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    text = json.dumps(data)
    assert '"fee_assumption": "eu_handling_fee_10eur"' in text


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """tiny with a USD 5 fee on US parcels resting on the fee assumption ``us_fee_5``."""
    net = tmp_path / "tiny"
    shutil.copytree(TINY, net)
    (net / "assumptions.csv").write_text(ASSUMPTIONS, encoding="utf-8")
    rules = net / "customs_rules.csv"
    lines = rules.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",fee_assumption"]
    for line in lines[1:]:
        if line.startswith("US_PARCEL_NODM,"):
            line = line.replace(",border,,,,", ",border,,,5,") + ",us_fee_5"
        else:
            line += ","
        out.append(line)
    rules.write_text("\n".join(out) + "\n", encoding="utf-8")
    return tmp_path


def run(folder: Path, what_if: str = "", *extra: str):
    scenario = folder / "s.yaml"
    text = SCENARIO + (f"what_if: {what_if}\n" if what_if else "")
    scenario.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["run", str(scenario), *extra])


def _direct(plan):
    return [
        a
        for d in plan["demands"]
        for a in d["allocations"]
        if a["pattern"] == "direct-package" and d["id"] == "luxury"
    ]


def test_plan_counts_assumed_fees_and_a_what_if_switches_them_off(folder):
    base = run(folder, "", "--json")
    assert base.exit_code == 0, base.output
    plan = json.loads(base.output)
    [a] = _direct(plan)  # luxury (USD 2000) goes direct-package: duty + the USD 5 fee
    assert a["fee_assumption"] == "us_fee_5"
    assert a["cost_per_order"]["assumed_fees"] == pytest.approx(5.0)
    assert plan["totals"]["assumed_fees"] == pytest.approx(5.0 * a["orders"])
    assert "fee USD 5 [assumption us_fee_5]" in a["customs"]
    report = run(folder).output
    assert "incl. assumed fees" in report and "  - us_fee_5: " in report

    off = run(folder, "{assumptions: {us_fee_5: off}}", "--json")
    assert off.exit_code == 0, off.output
    plan_off = json.loads(off.output)
    [b] = _direct(plan_off)
    assert b["cost_per_order"]["assumed_fees"] == 0.0 and b["fee_assumption"] == ""
    assert b["cost_per_order"]["duties_taxes"] == pytest.approx(
        a["cost_per_order"]["duties_taxes"] - 5.0
    )
    assert plan_off["what_ifs"] == [
        {
            "what": "assumption",
            "target": "us_fee_5",
            "change": "off: its fees are 0",
            "lanes": 0,
            "nodes": 0,
            "rules": 1,
        }
    ]


@pytest.mark.parametrize(
    ("what_if", "expected"),
    [
        ("{assumptions: {us_fee5: off}}", "did you mean 'us_fee_5'?"),
        ("{assumptions: {per_order_limit: off}}", "cannot be switched off"),
        ("{assumptions: {us_fee_5: on}}", "can only be switched off"),
        ("{assumptions: [us_fee_5]}", "expected a mapping"),
    ],
)
def test_bad_assumption_what_ifs_are_refused(folder, what_if, expected):
    out = run(folder, what_if)
    assert out.exit_code == 2, out.output
    assert expected in out.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace(",us_fee_5\n", ",us_fee_6\n"), "unknown assumptions id"),
        (lambda t: t.replace(",us_fee_5\n", ",per_order_limit\n"), "not a fee"),
        (lambda t: t.replace(",border,,,5,", ",border,,,,"), "charges no clearance fee"),
    ],
)
def test_fee_assumptions_are_checked_by_validate(folder, change, expected):
    rules = folder / "tiny" / "customs_rules.csv"
    rules.write_text(change(rules.read_text(encoding="utf-8")), encoding="utf-8")
    out = CliRunner().invoke(main, ["validate", str(folder / "tiny")])
    assert out.exit_code == 2, out.output
    assert expected in out.output
