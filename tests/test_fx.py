"""Dated exchange rates and money in the asked currency (issue 14, item 4).

The rates are the shipped ``networks/global/fx.csv`` rows (hand-checked below: EUR 0.91 per
USD from 2024-01-02, 0.93 from 2024-07-01, 0.97 from 2025-01-02, 0.85 from 2025-07-01,
0.86 from 2026-01-02), or tiny hand-made tables written in ``tmp_path``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.errors import InputError
from optimizer.network.fx import FxRate, FxUse, epoch, rates_on
from optimizer.network.reader import read_network

REPO = Path(__file__).resolve().parents[1]
GLOBAL = REPO / "networks" / "global"
TINY = Path(__file__).parent / "data" / "tiny"
D = dt.date.fromisoformat

HISTORY = (
    FxRate("EUR", 0.90, D("2025-01-01"), "a"),
    FxRate("EUR", 0.80, D("2025-07-01"), "b"),
    FxRate("USD", 1.0, D("2025-01-01"), "u"),
)


@pytest.fixture(scope="module")
def world():
    return read_network(GLOBAL)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# ------------------------------------------------------------------ which row is in force
@pytest.mark.parametrize(
    ("day", "rate", "warned"),
    [
        ("2024-12-31", 0.90, True),  # before the first row: the first row, with a warning
        ("2025-01-01", 0.90, False),  # on as_of: that row
        ("2025-06-30", 0.90, False),  # the day before the next row: still the first
        ("2025-07-01", 0.80, False),  # the next row from its as_of on
        ("2027-12-31", 0.80, False),  # after the last row: the last
    ],
)
def test_rate_in_force_at_boundaries(day: str, rate: float, warned: bool) -> None:
    picked = rates_on(HISTORY, D(day))["EUR"]
    assert picked.per_usd == rate
    use = FxUse("EUR", picked.per_usd, picked.as_of, picked.source, D(day))
    assert (use.warning is not None) == warned
    if warned:
        assert use.warning == (
            "2024-12-31 is before the first EUR rate of the network (as of 2025-01-01); "
            "that first rate was used"
        )


def test_no_day_means_the_latest_rows() -> None:
    assert {c: x.per_usd for c, x in rates_on(HISTORY, None).items()} == {"EUR": 0.8, "USD": 1.0}


def test_days_under_the_same_rows_share_an_epoch() -> None:
    assert epoch(HISTORY, D("2025-02-01")) == epoch(HISTORY, D("2025-06-30"))
    assert epoch(HISTORY, D("2025-06-30")) != epoch(HISTORY, D("2025-07-01"))


def test_global_network_dates(world) -> None:
    eur = {d: world.fx_on(D(d)).fx_use("EUR") for d in ("2024-03-01", "2025-03-01", "2026-12-01")}
    assert [(u.per_usd, u.as_of) for u in eur.values()] == [
        (0.91, D("2024-01-02")),
        (0.97, D("2025-01-02")),
        (0.86, D("2026-01-02")),
    ]
    # unpinned: the latest rows (what the network converted at before dated rates)
    assert dict(world.fx_per_usd)["EUR"] == 0.86
    assert world.to_usd(86.0, "EUR") == pytest.approx(100.0)
    assert world.fx_on(D("2025-03-01")).to_usd(97.0, "EUR") == pytest.approx(100.0)
    assert world.per_usd_on("EUR", D("2024-07-01")) == 0.93


def test_one_row_per_currency_still_loads(tmp_path: Path) -> None:
    """The format before dated rates: one row per currency applies on every day."""
    net = read_network(TINY)
    assert dict(net.fx_on(D("2020-01-01")).fx_per_usd) == {"CNY": 7.0, "USD": 1.0}
    assert net.fx_on(D("2030-01-01")).fx_use("CNY").per_usd == 7.0


def test_repeated_currency_and_date_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "net"
    shutil.copytree(TINY, folder)
    with (folder / "fx.csv").open("a") as f:
        f.write("CNY,7.3,2025-01-02,later row\n")
    net = read_network(folder)  # a second, later CNY row is fine ...
    assert net.fx_on(D("2025-06-01")).fx_use("CNY").per_usd == 7.3
    assert net.fx_on(D("2026-06-01")).fx_use("CNY").per_usd == 7.0
    with (folder / "fx.csv").open("a") as f:
        f.write("CNY,7.4,2025-01-02,same date again\n")
    with pytest.raises(InputError) as err:  # ... the same (currency, as_of) twice is not
        read_network(folder)
    (problem,) = err.value.problems
    assert problem.row == 5 and problem.field == "as_of"
    assert problem.message == "duplicate currency + as_of; first defined on line 4"


# ------------------------------------------------------------------ quote
QUOTE = (
    "quote", "--network", str(GLOBAL), "--from", "CN_SZX_ORIGIN", "--to", "M_US_EAST",
    "--weight", "1.2", "--dims", "30x20x10", "--category", "apparel",
)  # fmt: skip


def quote_json(*extra: str) -> dict:
    code, out = cli(*QUOTE, *extra, "--json")
    assert code == 0, out
    return json.loads(out)


def test_quote_in_eur_at_the_ship_dates_rate() -> None:
    """45 USD on 2025-03-01 at 0.97 EUR per USD (row of 2025-01-02) = 43.65 EUR."""
    doc = quote_json("--value", "45", "--currency", "USD", "--ship-date", "2025-03-01",
                     "--currency-out", "EUR")  # fmt: skip
    assert doc["fx"]["currency"] == "EUR"
    assert (doc["fx"]["per_usd"], doc["fx"]["as_of"], doc["fx"]["date"]) == (
        0.97,
        "2025-01-02",
        "2025-03-01",
    )
    assert "2 January 2025" in doc["fx"]["source"] and doc["fx"]["warning"] is None
    assert doc["shipment"]["value_usd"] == 45.0 and doc["shipment"]["value"] == 43.65
    for option in doc["options"]:
        for name, amount in option["money"].items():
            assert amount == round(option[f"{name}_usd"] * 0.97, 2)


def test_value_in_eur_converts_at_the_ship_dates_rate() -> None:
    """91 EUR declared on 2024-03-01 (0.91 per USD) is 100 USD; shown back in EUR: 91.00."""
    doc = quote_json("--value", "91", "--currency", "EUR", "--ship-date", "2024-03-01",
                     "--currency-out", "EUR")  # fmt: skip
    assert doc["shipment"]["value_usd"] == pytest.approx(100.0)
    assert doc["shipment"]["value"] == 91.0
    later = quote_json("--value", "91", "--currency", "EUR", "--ship-date", "2026-03-01")
    assert later["shipment"]["value_usd"] == pytest.approx(91 / 0.86)
    assert later["fx"]["currency"] == "USD" and later["fx"]["per_usd"] == 1.0


def test_quote_text_footer_and_warning_before_the_first_row() -> None:
    code, out = cli(*QUOTE, "--value", "45", "--currency", "USD", "--ship-date", "2023-06-01",
                    "--currency-out", "EUR")  # fmt: skip
    assert code == 0, out
    assert "landed EUR" in out and "value 40.95 EUR" in out  # 45 × 0.91
    assert (
        out.rstrip()
        .splitlines()[-2]
        .startswith(
            "Money in EUR at 0.91 EUR per USD (as of 2024-01-02; source: order of magnitude of the "
            "ECB euro foreign exchange reference rates of 2 January 2024"
        )
    )
    assert out.rstrip().splitlines()[-1] == (
        "warning: 2023-06-01 is before the first EUR rate of the network (as of 2024-01-02); "
        "that first rate was used"
    )


def test_quote_without_currency_out_prints_usd_without_footer() -> None:
    code, out = cli(*QUOTE, "--value", "45", "--currency", "USD", "--ship-date", "2026-03-01")
    assert code == 0 and "landed USD" in out and "Money in" not in out


def test_unknown_currency_out_names_the_option() -> None:
    code, out = cli(*QUOTE, "--value", "45", "--currency", "USD", "--currency-out", "EUX")
    assert code == 2
    assert "field '--currency-out': unknown currency (got 'EUX')" in out
    assert "did you mean 'EUR'?" in out


def test_same_bytes_for_same_inputs() -> None:
    args = (*QUOTE, "--value", "45", "--currency", "USD", "--ship-date", "2025-09-15",
            "--currency-out", "GBP", "--json")  # fmt: skip
    assert cli(*args) == cli(*args)


def test_batch_prices_each_row_at_its_ship_dates_rates(tmp_path: Path) -> None:
    """A batch spanning two fx dates gives each row what a single quote on its date gives."""
    rows = [
        ("a", "2025-03-01"),
        ("b", "2026-03-01"),
        ("c", "2025-03-01"),
    ]
    shipments = tmp_path / "shipments.csv"
    shipments.write_text(
        "id,from,to,weight_kg,dims_cm,value,currency,category,ship_date\n"
        + "".join(
            f"{i},CN_SZX_ORIGIN,M_US_EAST,1.2,30x20x10,45,EUR,apparel,{day}\n" for i, day in rows
        )
    )
    out = tmp_path / "quotes.csv"
    code, text = cli("quote", "--network", str(GLOBAL), "--batch", str(shipments), "-o", str(out),
                     "--workers", "1")  # fmt: skip
    assert code == 0, text
    with out.open(newline="") as f:
        landed = {
            r["shipment"]: float(r["landed_usd"]) for r in csv.DictReader(f) if r["option"] == "1"
        }
    for sid, day in rows:
        single = quote_json("--value", "45", "--currency", "EUR", "--ship-date", day)
        assert landed[sid] == round(single["options"][0]["landed_usd"], 2)
    assert landed["a"] == landed["c"] != landed["b"]


def test_batch_refuses_currency_out(tmp_path: Path) -> None:
    code, out = cli("quote", "--network", str(GLOBAL), "--batch", "x.csv", "-o",
                    str(tmp_path / "q.csv"), "--currency-out", "EUR")  # fmt: skip
    assert code == 2 and "field '--currency-out': not with --batch" in out


# ------------------------------------------------------------------ tariffs explain
def test_explain_converts_the_eur_3_at_the_dates_rate() -> None:
    """EUR 3 per distinct HS code (from 2026-07-01) in USD at 0.86 EUR per USD = 3.49 USD."""
    code, out = cli("tariffs", "explain", "--network", str(GLOBAL), "--to", "FR", "--from", "CN",
                    "--item", "6109.10=20", "--currency", "USD", "--date", "2026-07-01",
                    "--json")  # fmt: skip
    assert code == 0, out
    doc = json.loads(out)
    assert doc["duty"] == round(3 / 0.86, 2) == 3.49
    assert (doc["fx"]["currency"], doc["fx"]["per_usd"], doc["fx"]["date"]) == (
        "USD",
        1.0,
        "2026-07-01",
    )


def test_explain_unknown_currency() -> None:
    code, out = cli("tariffs", "explain", "--to", "FR", "--from", "CN", "--item", "6109.10=20",
                    "--currency", "EUX", "--date", "2026-07-01")  # fmt: skip
    assert code == 2 and "field '--currency': unknown currency" in out
    assert "did you mean 'EUR'?" in out


# ------------------------------------------------------------------ scenario and run
def scenario(tmp_path: Path, *, currency: str, plan_date: str, value: float) -> Path:
    """The tiny network with a dated CNY history, and a one-demand scenario on it."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    with (folder / "fx.csv").open("a") as f:
        f.write("CNY,8.0,2025-01-02,hand-made test data\n")
    text = (TINY.parent / "tiny_scenario.yaml").read_text()
    text = text.replace("plan_date: 2026-03-01", f"plan_date: {plan_date}")
    text = text.replace("currency: USD", f"currency: {currency}")
    text = text.replace("value: 20,", f"value: {value},")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_scenario_currency_converts_and_reports_at_the_plan_dates_rate(tmp_path: Path) -> None:
    """Scenario money in CNY: 160 CNY on 2025-06-01 (8.0 per USD) is 20 USD, as in the
    USD scenario; the plan reports in CNY at 8.0 and names the row it used."""
    from optimizer.scenario.load import load

    path = scenario(tmp_path, currency="CNY", plan_date="2025-06-01", value=160)
    sc, network, _ = load(path)
    assert sc.demands[0].value_usd == 20.0
    assert network.fx_use("CNY").per_usd == 8.0
    code, out = cli("run", str(path), "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["currency"] == "CNY"
    assert plan["fx"] == {
        "currency": "CNY",
        "per_usd": 8.0,
        "as_of": "2025-01-02",
        "source": "hand-made test data",
        "date": "2025-06-01",
        "warning": None,
    }
    code, usd_out = cli("run", str(path), "--json", "--currency-out", "USD")
    usd = json.loads(usd_out)
    assert usd["fx"]["per_usd"] == 1.0
    assert plan["totals"]["cost"] == pytest.approx(usd["totals"]["cost"] * 8.0, abs=1e-5)


def test_run_currency_out_text_footer_and_bad_code(tmp_path: Path) -> None:
    path = scenario(tmp_path, currency="USD", plan_date="2026-03-01", value=20)
    code, out = cli("run", str(path), "--currency-out", "cny", "--no-map")
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == (
        "Money in CNY at 7 CNY per USD (as of 2026-01-02; source: hand-made test data)"
    )
    code, out = cli("run", str(path), "--currency-out", "CNX")
    assert code == 2 and "field '--currency-out': unknown currency (got 'CNX')" in out
    assert "did you mean 'CNY'?" in out


# ------------------------------------------------------------------ HTTP API
def test_api_currency_out(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient
    from serve_fixtures import NETWORK, SHIPMENT

    from optimizer.serve.app import create_app

    client = TestClient(create_app(NETWORK, db_path=tmp_path / "jobs.sqlite"))
    body = {**SHIPMENT, "ship_date": "2025-03-01", "currency_out": "EUR"}
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["fx"]["per_usd"], doc["fx"]["as_of"]) == (0.97, "2025-01-02")
    assert doc["shipment"]["value"] == 43.65
    code, cli_doc = 0, quote_json_api_twin(body)
    assert doc == cli_doc and code == 0
    r = client.post("/v1/quotes", json={**SHIPMENT, "currency_out": "EUX"})
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert (error["field"], error["message"]) == ("currency_out", "unknown currency")
    assert "did you mean 'EUR'?" in error["expected"]


def quote_json_api_twin(body: dict) -> dict:
    """The CLI's --json for the API body above (the two must agree byte for byte)."""
    code, out = cli("quote", "--network", str(GLOBAL), "--from", body["from"], "--to", body["to"],
                    "--weight", str(body["weight"]), "--dims", body["dims"],
                    "--value", str(body["value"]), "--currency", body["currency"],
                    "--category", body["category"], "--ship-date", body["ship_date"],
                    "--currency-out", body["currency_out"], "--json")  # fmt: skip
    assert code == 0, out
    return json.loads(out)
