"""Broken inputs of every command map to one clear message and exit 2, never a traceback.

One table, :data:`CASES`: each case builds its broken input in a temporary
folder from the tiny fixtures, runs ``xborder`` through click's CliRunner as a
user would and names the fragments the error must contain. Every case but
four failed on the commit before the input-field kit (exit 0 with an empty or
absurd plan, exit 3 from the solver, a traceback, another wording, or a CI
gate that could never pass or never fail); the four (a non-UTF-8 scenario, a
demand that is a list, a batch that is a folder, a service level typed as a
percent) pin behaviour that already held, so the kit keeps it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from optimizer.cli.main import main

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
SCENARIO_TEXT = (DATA / "tiny_scenario.yaml").read_text(encoding="utf-8")
DEMAND_COLUMNS = "id,origin,market,category,orders_per_week,weight_kg,volume_m3,value,sla_days"
DEMAND_ROW = "bulk,O,M,apparel,1000,0.5,0.003,20,10"
SERVICE = {
    "id": "truck",
    "origin": "WH",
    "dest": "DWH",
    "mode": "Truck",
    "container_m3": 40,
    "transit_hours": 20,
    "departure_days": "daily",
}
ORDER = {
    "id": "O1",
    "origin": "WH",
    "dest": "DWH",
    "value": 100,
    "volume_m3": 2,
    "ready_date": "2024-01-01",
    "due_date": "2024-01-12",
    "import_tax_rate": 0.05,
}
QUOTE = [
    *("--from", "O", "--to", "M", "--weight", "1", "--dims", "30x20x10"),
    *("--value", "20", "--currency", "USD", "--category", "apparel"),
]
Case = Callable[[Path], list[str]]


def scenario(old: str = "", new: str = "", *, extra: str = "") -> Case:
    """``xborder run`` on the tiny scenario with ``old`` replaced by ``new`` and ``extra`` added."""

    def build(tmp: Path) -> list[str]:
        text = SCENARIO_TEXT.replace("network: tiny", f"network: {TINY}")
        assert old in text, old
        path = tmp / "s.yaml"
        path.write_text(text.replace(old, new, 1) + extra, encoding="utf-8")
        return ["run", str(path)]

    return build


def demands_csv(content: bytes | None) -> Case:
    """``xborder run`` on a scenario whose demands come from a CSV (None: a folder)."""

    def build(tmp: Path) -> list[str]:
        target = tmp / "demands.csv"
        if content is None:
            target.mkdir()
        else:
            target.write_bytes(content)
        start = SCENARIO_TEXT.index("demands:")
        end = SCENARIO_TEXT.index("inventory:")
        text = SCENARIO_TEXT[:start] + "demands_csv: demands.csv\n" + SCENARIO_TEXT[end:]
        path = tmp / "s.yaml"
        path.write_text(text.replace("network: tiny", f"network: {TINY}"), encoding="utf-8")
        return ["run", str(path)]

    return build


def raw_scenario(content: bytes) -> Case:
    def build(tmp: Path) -> list[str]:
        path = tmp / "s.yaml"
        path.write_bytes(content)
        return ["run", str(path)]

    return build


def run_with(*args: str) -> Case:
    def build(tmp: Path) -> list[str]:
        return [*scenario()(tmp), *args]

    return build


def simulate_with(*args: str) -> Case:
    def build(tmp: Path) -> list[str]:
        return ["simulate", *scenario()(tmp)[1:], "--trials", "2", *args]

    return build


def network_cell(table: str, old: str, new: str) -> Case:
    """``xborder validate`` on a copy of the tiny network with one cell changed."""

    def build(tmp: Path) -> list[str]:
        net = tmp / "tiny"
        shutil.copytree(TINY, net)
        path = net / f"{table}.csv"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return ["validate", str(net)]

    return build


LAYER_HEADER = (
    "id,territory,origin,hs_prefix,layer,basis,rate,amount,currency,value_over,value_up_to,"
    "valid_from,valid_to,channels,stacking_group,excludes,variant,note,source\n"
)
#: US MFN on the tiny network's apparel (HS chapter 61): the row every layer case starts from.
MFN_61 = "MFN_61,US,*,61,mfn,ad_valorem,0.1,,,,,2000-01-01,,,mfn,,,,test\n"


def layers(*rows: str) -> Case:
    """``xborder validate`` on a copy of the tiny network with these tariff layer rows."""

    def build(tmp: Path) -> list[str]:
        net = tmp / "tiny"
        shutil.copytree(TINY, net)
        (net / "tariff_layers.csv").write_text(LAYER_HEADER + "".join(rows), encoding="utf-8")
        return ["validate", str(net)]

    return build


def quote_with(*args: str) -> Case:
    def build(tmp: Path) -> list[str]:
        return ["quote", "--network", str(TINY), *args]

    return build


def quote_batch(content: bytes | None) -> Case:
    def build(tmp: Path) -> list[str]:
        batch = tmp / "shipments.csv"
        if content is None:
            batch.mkdir()
        else:
            batch.write_bytes(content)
        return ["quote", "--network", str(TINY), "--batch", str(batch), "-o", str(tmp / "q.csv")]

    return build


def orders(
    service: dict[str, object] | None = None, order: dict[str, object] | None = None
) -> Case:
    """``xborder route`` on a one-service, one-order scenario with fields overridden."""

    def build(tmp: Path) -> list[str]:
        doc = {"services": [{**SERVICE, **(service or {})}], "orders": [{**ORDER, **(order or {})}]}
        path = tmp / "orders.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return ["route", str(path)]

    return build


def orders_csv(content: bytes) -> Case:
    def build(tmp: Path) -> list[str]:
        (tmp / "orders.csv").write_bytes(content)
        doc = {"services": [SERVICE], "orders": "orders.csv"}
        path = tmp / "orders.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return ["route", str(path)]

    return build


# case -> (input builder, fragments the error output must contain)
CASES: dict[str, tuple[Case, list[str]]] = {
    # -- 4. whole-file checks: a scenario is read whole, whichever command reads it
    "run: simulation trials a list": (
        scenario(extra="simulation: {trials: [1, 2]}\n"),
        ["field 'simulation.trials'", "not a single value"],
    ),
    "run: negative simulation seed": (
        scenario(extra="simulation: {seed: -4}\n"),
        ["field 'simulation.seed'", "out of range", "(got '-4')"],
    ),
    "run: simulation section not a mapping": (
        scenario(extra="simulation: 5\n"),
        ["field 'simulation'", "expected a mapping"],
    ),
    "run: empty demands list": (
        scenario("demands:\n", "demands: []\nx_demands:\n"),
        ["no demands", "field 'x_demands'"],
    ),
    "run: demands CSV with only a header": (
        demands_csv(f"{DEMAND_COLUMNS}\n".encode()),
        ["demands.csv", "no demands"],
    ),
    "run: demands CSV without a required column": (
        demands_csv(
            f"{DEMAND_COLUMNS.replace(',sla_days', '')}\n{DEMAND_ROW.rsplit(',', 1)[0]}\n".encode()
        ),
        ["demands.csv, line 1, field 'sla_days'", "required column is missing"],
    ),
    "run: demands CSV without any volume column": (
        demands_csv(
            f"{DEMAND_COLUMNS.replace(',volume_m3', '')}\n"
            f"{DEMAND_ROW.replace(',0.003', '')}\n".encode()
        ),
        ["field 'volume_m3'", "required column is missing", "length_cm, width_cm and height_cm"],
    ),
    # -- 5. tracebacks
    "run: demands_csv names a folder": (demands_csv(None), ["demands.csv", "cannot read"]),
    "run: demands CSV not UTF-8": (
        demands_csv((DEMAND_COLUMNS + "\nbulk\xe9" + DEMAND_ROW[4:] + "\n").encode("latin-1")),
        ["demands.csv, line 2, field 'id'", "not valid UTF-8"],
    ),
    "run: output folder not writable": (
        run_with("-o", "/proc/xborder-not-writable/out"),
        ["/proc/xborder-not-writable/out", "cannot write outputs here", "field '-o'"],
    ),
    "run: scenario is a list": (
        raw_scenario(b"- name: a\n- name: b\n"),
        ["s.yaml, line 1", "a scenario is a mapping, not a list"],
    ),
    "run: scenario is one word": (
        raw_scenario(b"hello\n"),
        ["a scenario is a mapping, not a single value"],
    ),
    "run: scenario not UTF-8": (raw_scenario("name: caf\xe9\n".encode("latin-1")), ["not UTF-8"]),
    "run: demand a list of words": (
        scenario("  - {id: luxury,", "  - [luxury]\n  - {id: luxury2,"),
        ["field 'demands[]'", "expected a mapping"],
    ),
    "run: mapping where a number goes": (
        scenario("orders_per_week: 50,", "orders_per_week: {a: 1},"),
        ["field 'demands[].orders_per_week'", "not a single value"],
    ),
    "route: orders CSV not UTF-8": (
        orders_csv("id,origin\nO\xe9,WH\n".encode("latin-1")),
        ["orders.csv", "cannot read the table"],
    ),
    "route: network modes a number": (
        lambda tmp: _route_network(tmp, {"path": str(TINY), "modes": 5}),
        ["field 'network.modes'", "unknown mode"],
    ),
    "validate: a duty rate given twice": (
        lambda tmp: _append_row(network_cell("duty_rates", "", "")(tmp), "duty_rates"),
        ["duty_rates.csv", "duplicate category, territory, origin; first on line 2"],
    ),
    "validate: a GeoPackage that is not one": (
        lambda tmp: _garbage(tmp / "n.gpkg", ["validate", str(tmp / "n.gpkg")]),
        ["n.gpkg", "cannot read", "not recognized"],
    ),
    "network export: output folder not writable": (
        lambda tmp: ["network", "export", str(TINY), "/proc/xborder-not-writable/net"],
        ["cannot write outputs here", "field 'OUT'"],
    ),
    "network map: output folder not writable": (
        lambda tmp: ["network", "map", str(TINY), "-o", "/proc/xborder-not-writable/m.png"],
        ["cannot write outputs here", "field '-o'"],
    ),
    "simulate: plan.json candidates not a count": (
        lambda tmp: _bad_plan(tmp),
        ["m.json", "field 'candidates'", "not a count"],
    ),
    "quote: batch names a folder": (quote_batch(None), ["shipments.csv", "cannot read"]),
    "quote: batch not UTF-8": (
        quote_batch(
            "from,to,weight_kg,dims_cm,value,currency,category\nO\xe9,M,1,1x1x1,1,USD,x\n".encode(
                "latin-1"
            )
        ),
        ["shipments.csv", "not valid UTF-8"],
    ),
    # -- 6. absurd magnitudes: every number has a documented range, checked when read
    "run: 1e300 orders a week": (
        scenario("orders_per_week: 50,", "orders_per_week: 1e300,"),
        ["field 'demands[].orders_per_week'", "out of range", "<= 1e7"],
    ),
    "run: a 100 t parcel": (
        scenario("weight_kg: 0.5,", "weight_kg: 100000,"),
        ["field 'demands[].weight_kg'", "out of range", "<= 40000"],
    ),
    "run: a value of 0": (
        scenario("value: 2000,", "value: 0,"),
        ["field 'demands[].value'", "out of range", "> 0"],
    ),
    "run: a two-year SLA": (
        scenario("sla_days: 10}", "sla_days: 800}"),
        ["field 'demands[].sla_days'", "out of range", "<= 365"],
    ),
    "run: service level as a percent": (
        scenario("service_level: 0.95", "service_level: 95"),
        ["field 'inventory.service_level'", "out of range", "<= 0.9999"],
    ),
    "run: dimensions give 125 m3": (
        scenario(
            "volume_m3: 0.003, value: 2000",
            "length_cm: 500, width_cm: 500, height_cm: 500, value: 2000",
        ),
        ["field 'volume_m3 (length x width x height)'", "out of range", "<= 80"],
    ),
    "validate: a lane of 1e300 km": (
        network_cell("lanes", ",0.666,12000,", ",0.666,1e300,"),
        ["lanes.csv", "field 'distance_km'", "out of range", "<= 50000"],
    ),
    "validate: a rate of 50 per kg CO2e": (
        network_cell("lanes", ",0.666,", ",50,"),
        ["field 'co2e_kg_per_tkm'", "out of range"],
    ),
    "quote: a 1e300 kg piece": (
        quote_with(*QUOTE[:5], "1e300", *QUOTE[6:]),
        ["field '--weight'", "out of range", "<= 40000"],
    ),
    "route: an order of 1e300 m3": (
        orders(order={"volume_m3": 1e300}),
        ["field 'volume_m3'", "out of range"],
    ),
    "route: weekday listed twice": (
        orders(service={"departure_days": "Mon monday"}),
        ["field 'departure_days'", "weekday listed twice"],
    ),
    # -- 7. CI gates that could never pass or never fail
    "simulate: a share typed as a percent (fail-over)": (
        simulate_with("--fail-over", "stockout_rate=5"),
        ["--fail-over", "field 'stockout_rate'", "out of range", "a share in [0, 1]", "95%"],
    ),
    "simulate: a share typed as a percent (fail-under)": (
        simulate_with("--fail-under", "on_time=95"),
        ["--fail-under", "field 'on_time'", "out of range"],
    ),
    "simulate: unknown metric": (
        simulate_with("--fail-under", "ontime=0.9"),
        ["unknown metric", "did you mean 'on_time'?"],
    ),
    "simulate: metric on the wrong side": (
        simulate_with("--fail-under", "stockout_rate=0.1"),
        ["stockout_rate is better lower", "--fail-over"],
    ),
    "simulate: bar not a number": (
        simulate_with("--fail-over", "cost_p95=cheap"),
        ["field 'cost_p95'", "not a number"],
    ),
    "simulate: negative days": (
        simulate_with("--fail-over", "lead_p90=-3"),
        ["field 'lead_p90'", "out of range"],
    ),
    # -- 8. tariff layers and HS codes
    "validate: two layers of one stacking group overlap": (
        layers(MFN_61, "MFN_61B,US,*,61,mfn,ad_valorem,0.2,,,,,2025-01-01,,express,mfn,,,,test\n"),
        ["tariff_layers.csv, line 3, field 'valid_from'", "overlaps line 2 (MFN_61)"],
    ),
    "validate: a layer from an unknown origin": (
        layers(MFN_61, "S301,US,CX,61,additional,ad_valorem,0.1,,,,,2020-01-01,,,s301,,,,test\n"),
        ["tariff_layers.csv, line 3, field 'origin'", "unknown origin (got 'CX')"],
    ),
    "validate: a layer in an unknown currency": (
        layers(MFN_61, "FEE,US,*,*,additional,per_item,,2,EUR,,,2020-01-01,,,fee,,,,test\n"),
        ["tariff_layers.csv, line 3, field 'currency'", "unknown fx currency (got 'EUR')"],
    ),
    "validate: a category's chapter with no MFN row where layers apply": (
        layers("MFN_62,US,*,62,mfn,ad_valorem,0.1,,,,,2000-01-01,,,mfn,,,,test\n"),
        ["categories.csv, line 2, field 'hs_chapter'", "no MFN row", "territory US"],
    ),
    "validate: a category's HS code outside its chapter": (
        lambda tmp: _replace(
            network_cell("categories", "hs_chapter,", "hs_chapter,hs_code,")(tmp),
            "categories",
            "Apparel,61,",
            "Apparel,61,8517.62,",
        ),
        [
            "categories.csv, line 2, field 'hs_code'",
            "HS code not in the category's chapter 61 (got '851762')",
        ],
    ),
    "validate: a category's HS code that is not one": (
        lambda tmp: _replace(
            network_cell("categories", "hs_chapter,", "hs_chapter,hs_code,")(tmp),
            "categories",
            "Apparel,61,",
            "Apparel,61,61-09,",
        ),
        ["categories.csv, line 2, field 'hs_code'", "(got '61-09')", "2 to 10 digits"],
    ),
    "run: a demand's HS code of another chapter than its category": (
        scenario(
            "category: apparel, orders_per_week: 50",
            "category: apparel, hs_code: '8517.62', orders_per_week: 50",
        ),
        ["field 'hs_code'", "HS chapter 85 is not the chapter of category 'apparel' (61)"],
    ),
    "run: a demand's HS code that is not one": (
        scenario("category: apparel, orders_per_week: 50", "hs_code: 61x, orders_per_week: 50"),
        ["field 'demands[].hs_code'", "not an HS code (got '61x')"],
    ),
    "quote: an HS code of another chapter than --category": (
        quote_with(*QUOTE, "--hs-code", "8517.62"),
        ["field '--hs-code'", "HS chapter 85 is not the chapter of category 'apparel' (61)"],
    ),
    "quote: an HS code with no category of its chapter": (
        quote_with(*QUOTE[:-2], "--hs-code", "6204.62"),
        ["field '--hs-code'", "no category of HS chapter 62 in the network"],
    ),
    "quote: batch row with an HS code of 11 digits": (
        quote_batch(
            b"from,to,weight_kg,dims_cm,value,currency,hs_code\nO,M,1,30x20x10,20,USD,61091000001\n"
        ),
        ["shipments.csv, line 2, field 'hs_code'", "not an HS code", "2 to 10 digits"],
    ),
}


def _route_network(tmp: Path, network: dict[str, object]) -> list[str]:
    doc = {"network": network, "orders": [{**ORDER, "origin": "O", "dest": "M"}]}
    path = tmp / "orders.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return ["route", str(path)]


def _append_row(args: list[str], table: str) -> list[str]:
    """Repeat the first data row of ``table`` in the network named by ``args``."""
    path = Path(args[-1]) / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    return args


def _replace(args: list[str], table: str, old: str, new: str) -> list[str]:
    """Replace ``old`` by ``new`` once more in ``table`` of the network named by ``args``."""
    path = Path(args[-1]) / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return args


def _garbage(path: Path, args: list[str]) -> list[str]:
    path.write_bytes(b"garbage")
    return args


def _bad_plan(tmp: Path) -> list[str]:
    made = CliRunner().invoke(main, [*scenario()(tmp), "-o", str(tmp / "out"), "--no-map"])
    assert made.exit_code == 0, made.output
    plan = json.loads((tmp / "out" / "plan.json").read_text(encoding="utf-8"))
    (tmp / "m.json").write_text(json.dumps({**plan, "candidates": {"a": 1}}), encoding="utf-8")
    return [*simulate_with("--plan", str(tmp / "m.json"))(tmp)]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_with_one_message(tmp_path: Path, case: str) -> None:
    build, fragments = CASES[case]
    result = CliRunner().invoke(main, build(tmp_path))
    assert result.exit_code == 2, f"{case}: exit {result.exit_code}\n{result.output}"
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert "Traceback" not in result.output
    assert result.stderr.count("error:") == 1, result.stderr  # one message
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"


def test_a_percent_with_its_sign_is_a_share_and_json_lists_every_gate(tmp_path: Path) -> None:
    args = [*simulate_with("--json")(tmp_path), "--seed", "1"]
    gates = ["--fail-under", "on_time=95%", "--fail-over", "stockout_rate=100%"]
    result = CliRunner().invoke(main, [*args, *gates, "--fail-over", "lead_p90@luxury=0.5"])
    assert result.exit_code == 4, result.output  # luxury's P90 is days, not half a day
    listed = json.loads(result.stdout)["gates"]
    assert [(g["metric"], g["demand"], g["option"], g["bar"]) for g in listed] == [
        ("on_time", None, "--fail-under", 0.95),
        ("stockout_rate", None, "--fail-over", 1.0),
        ("lead_p90", "luxury", "--fail-over", 0.5),
    ]
    assert [g["verdict"] for g in listed] == ["pass", "pass", "fail"]
    assert all(isinstance(g["value"], float) for g in listed)
    assert "lead_p90@luxury" in result.stderr and "> 0.5" in result.stderr


def test_format_docs_show_the_ranges_the_readers_enforce() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_docs", Path(__file__).parents[1] / "docs" / "make_docs.py"
    )
    assert spec is not None and spec.loader is not None
    make_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_docs)
    for name in make_docs.BLOCKS:
        text = (make_docs.DOCS / name).read_text(encoding="utf-8")
        assert make_docs.render(name, text) == text, f"run: python docs/make_docs.py ({name})"
    scenario_doc = (make_docs.DOCS / "scenario.md").read_text(encoding="utf-8")
    assert "| `orders_per_week` | float | (0, 1e7] |" in scenario_doc
    assert "| `simulation` | mapping |" in scenario_doc
