"""A missing reference row is an error, never a zero (issue 11, class 3).

Duty rates and customs rules are looked up by key; before this check a
deleted row silently became 0 % duty or a fee-free normal import. Here each
deletion, typo or duplicate must give exit 2 with a message naming what is
missing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
GLOBAL = ROOT / "networks" / "global"
TINY = Path(__file__).with_name("data") / "tiny"
QUOTE_US = [
    "--from",
    "CN_SZX_ORIGIN",
    "--to",
    "M_US_WEST",
    "--weight",
    "0.5",
    "--dims",
    "25x18x5",
    "--value",
    "45",
    "--currency",
    "USD",
    "--category",
    "apparel",
    "--ship-date",
    "2026-03-01",
]


def copy(src: Path, tmp_path: Path) -> Path:
    net = tmp_path / src.name
    shutil.copytree(src, net)
    return net


def edit(net: Path, table: str, change) -> None:
    path = net / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(change(lines)), encoding="utf-8")


def drop(prefix: str):
    return lambda lines: [x for x in lines if not x.startswith(prefix)]


def invoke(*args: str):
    return CliRunner().invoke(main, [*args])


@pytest.mark.parametrize("change", [drop("apparel,US,*,"), lambda lines: lines[:1]])
def test_duty_rates_are_not_asked_where_tariff_layers_price_the_category(tmp_path, change):
    """The layers price apparel in the US (issue 14): its duty_rates row is not read there,
    so deleting it changes nothing; the quote keeps its layered duty."""
    net = copy(GLOBAL, tmp_path)
    edit(net, "duty_rates", change)
    out = invoke("validate", str(net))
    assert out.exit_code == 0, out.output
    quote = invoke("quote", "--network", str(net), *QUOTE_US, "--json")
    options = json.loads(quote.output)["options"]
    assert options and all(o["duty_usd"] == pytest.approx(15.30) for o in options)


def test_issue_example_deleted_mfn_layer_is_refused(tmp_path):
    """Where the layers price a territory, a deleted MFN row is what used to be a deleted
    duty row: refused, never read as 0 %."""
    net = copy(GLOBAL, tmp_path)
    edit(net, "tariff_layers", lambda lines: [x for x in lines if not x.startswith("US_MFN_61")])
    out = invoke("validate", str(net))
    assert out.exit_code == 2, out.output
    assert "categories.csv, line 2, field 'hs_code'" in out.output
    assert "no MFN row in tariff_layers.csv for HS 610910 (category 'apparel')" in out.output
    quote = invoke("quote", "--network", str(net), *QUOTE_US)
    assert quote.exit_code == 2 and "duty 0 %" not in quote.output


def test_the_shipped_network_quotes_the_issue_example_with_its_duty():
    out = invoke("quote", "--network", str(GLOBAL), *QUOTE_US, "--json")
    assert out.exit_code == 0, out.output
    options = json.loads(out.output)["options"]
    # apparel US <- CN on 2026-03-01: MFN 16.5 % + Section 301 7.5 % + Section 122 10 %
    assert options and all(o["duty_usd"] == pytest.approx(15.30) for o in options)


def test_an_explicit_zero_rate_is_fine(tmp_path):
    net = copy(TINY, tmp_path)
    edit(net, "duty_rates", lambda lines: [*lines[:1], "apparel,US,*,0,free,test\n"])
    out = invoke("validate", str(net))
    assert out.exit_code == 0, out.output


@pytest.mark.parametrize(
    ("table", "change", "expected"),
    [
        ("duty_rates", lambda lines: lines[:1], "no duty rate for category 'apparel'"),
        (
            "duty_rates",
            lambda lines: [*lines, "apparel,US,CX,0.2,typo,test\n"],
            "unknown origin country (got 'CX')",
        ),
        (
            "duty_rates",
            lambda lines: [*lines, "apparel,US,*,0.3,again,test\n"],
            "duplicate category, territory, origin; first on line 2",
        ),
        (
            "customs_rules",
            lambda lines: [x.replace("US,parcel,*,", "US,parcel,CX,") for x in lines],
            "unknown origin country (got 'CX')",
        ),
        ("customs_rules", drop("US_PARCEL_NODM"), "channel parcel after 2025-08-28"),
        ("customs_rules", drop("US_COMMERCIAL"), "no customs rule for customs territory US, "),
        (
            "customs_rules",
            lambda lines: [x.replace("2025-08-29,,", "2025-09-29,,") for x in lines],
            "from 2025-08-29 to 2025-09-28",
        ),
        ("fx", lambda lines: [x.replace("USD,1,", "USD,1.2,") for x in lines], "base currency"),
        (
            "countries",
            lambda lines: [x.replace("CN,China,CN,CNY,0.13,", "CN,China,CN,CNY,,") for x in lines],
            "field 'import_vat_rate': value is missing",
        ),
        (
            "customs_rules",
            lambda lines: [x.replace(",800,USD,", ",,USD,") for x in lines],
            "field 'threshold_value': value is missing",
        ),
        (
            "tariff_breaks",
            lambda lines: [*lines[:1], "T_EXP,1,5\n", "T_EXP,1,4\n"],
            "duplicate tariff, min_chargeable_kg",
        ),
        (
            "tariff_breaks",
            lambda lines: [*lines[:1], "T_EXP,5,1\n"],
            "weight break of a per_parcel tariff would be ignored",
        ),
    ],
)
def test_missing_or_ambiguous_reference_rows_are_errors(tmp_path, table, change, expected):
    net = copy(TINY, tmp_path)
    edit(net, table, change)
    out = invoke("validate", str(net))
    assert out.exit_code == 2, out.output
    assert expected in out.output, out.output
    assert "Traceback" not in out.output


def test_a_plan_date_before_the_first_rule_is_refused(tmp_path):
    scenario = tmp_path / "old.yaml"
    text = (TINY.parent / "tiny_scenario.yaml").read_text(encoding="utf-8")
    scenario.write_text(
        text.replace("plan_date: 2026-03-01", "plan_date: 2010-03-01").replace(
            "network: tiny", f"network: {TINY}"
        ),
        encoding="utf-8",
    )
    out = invoke("run", str(scenario))
    assert out.exit_code == 2, out.output
    assert "field 'plan_date'" in out.output and "rules start on 2016-03-10" in out.output


def test_a_ship_date_before_the_first_rule_is_refused():
    out = invoke(
        "quote",
        "--network",
        str(TINY),
        "--from",
        "O",
        "--to",
        "M",
        "--weight",
        "1",
        "--dims",
        "20x20x20",
        "--value",
        "30",
        "--currency",
        "USD",
        "--category",
        "apparel",
        "--ship-date",
        "2010-03-01",
    )
    assert out.exit_code == 2, out.output
    assert "ship-date" in out.output and "rules start on 2016-03-10" in out.output
