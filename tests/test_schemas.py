"""Every JSON output carries ``format_version`` and validates against its schema in docs/schemas/.

Real outputs are produced through the CLI (tiny networks where one exists) and
checked against the schema files users read; a command that gains a ``--json``
option must be added to :data:`JSON_COMMANDS` with a schema (the last test fails
otherwise, naming it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from optimizer.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "docs" / "schemas"
DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
GLOBAL = REPO / "networks" / "global"
TINY_DOW = """MULTIGEN.DAT:
 3 3 1
 1 3 5 6 100 1 1
 1 2 1 6 10 1 2
 2 3 1 6 10 1 3
 1 3 8
"""

#: command path (as typed after ``xborder``) with a --json option -> its schema file.
JSON_COMMANDS = {
    "run": "plan.schema.json",  # and pareto.schema.json with --pareto
    "quote": "quote.schema.json",  # and quote-batch.schema.json with --batch
    "simulate": "simulate.schema.json",
    "route": "route-plan.schema.json",
    "bench mcnd": "bench-mcnd.schema.json",
    "network show": "network-show.schema.json",
    "validate": "validate.schema.json",
    "history generate": "history-generate.schema.json",
    "history calibrate": "history-calibrate.schema.json",  # history-scms with --format scms
    "history demand": "history-demand.schema.json",
    "history watch": "watch.schema.json",
    "tariffs explain": "tariffs-explain.schema.json",
    "compare": "compare.schema.json",
    "sweep": "sweep.schema.json",  # and sweep-point.schema.json for each point's result.json
}


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.schema.json"):
        doc = json.loads(path.read_text())
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def check(document: Any, schema_file: str) -> None:
    schema = json.loads((SCHEMAS / schema_file).read_text())
    validator = Draft202012Validator(schema, registry=REGISTRY)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{schema_file}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10]
    )


def cli(*args: str, codes: tuple[int, ...] = (0,)) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in codes, result.output
    return result.stdout


def tiny_scenario(tmp_path: Path) -> Path:
    text = (DATA / "tiny_scenario.yaml").read_text().replace("network: tiny", f"network: {TINY}")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_schema_files_are_valid_schemas(path: Path) -> None:
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith("/" + path.name)
    assert "format_version" in schema["required"]


def test_run_outputs(tmp_path: Path) -> None:
    sc = tiny_scenario(tmp_path)
    out = tmp_path / "out"
    printed = json.loads(cli("run", str(sc), "-o", str(out), "--json", "--no-map"))
    check(printed, "plan.schema.json")
    assert printed["fx"]["currency"] == printed["currency"]  # the dated rate is named
    check(json.loads((out / "plan.json").read_text()), "plan.schema.json")
    check(json.loads((out / "timings.json").read_text()), "timings.schema.json")
    stock = [a["stock"] for d in printed["demands"] for a in d["allocations"] if a["stock"]]
    assert stock  # the schema's stock branch is exercised


def test_plan_schema_checks_what_ifs(tmp_path: Path) -> None:
    sc = tiny_scenario(tmp_path)
    sc.write_text(sc.read_text() + "what_if: {cost_multipliers: [{lane: L_SEA, factor: 2}]}\n")
    plan = json.loads(cli("run", str(sc), "--json"))
    assert plan["what_ifs"] == [
        {
            "what": "cost_multiplier",
            "target": "lane=L_SEA",
            "change": "freight x 2",
            "lanes": 1,
            "nodes": 0,
            "rules": 0,
        }
    ]
    check(plan, "plan.schema.json")
    with pytest.raises(AssertionError):
        check({**plan, "what_ifs": [{"kind": "closed_corridors", "lanes": 3}]}, "plan.schema.json")
    with pytest.raises(AssertionError):
        check({**plan, "solve_seconds": 0.1}, "plan.schema.json")  # timings stay out


def test_pareto_outputs(tmp_path: Path) -> None:
    sc = tiny_scenario(tmp_path)
    out = tmp_path / "out"
    printed = json.loads(cli("run", str(sc), "--pareto", "--points", "3", "--json", "-o", str(out)))
    check(printed, "pareto.schema.json")
    check(json.loads((out / "pareto.json").read_text()), "pareto.schema.json")


def test_quote_outputs(tmp_path: Path) -> None:
    doc = json.loads(
        cli(
            "quote",
            "--network",
            str(GLOBAL),
            "--from",
            "CN_SZX_ORIGIN",
            "--to",
            "M_GB",
            "--weight",
            "20",
            "--dims",
            "60x40x40",
            "--value",
            "400",
            "--currency",
            "GBP",
            "--category",
            "apparel",
            "--ship-date",
            "2026-03-01",
            "--currency-out",
            "GBP",
            "--json",
        )
    )
    check(doc, "quote.schema.json")
    assert {o["group"] for o in doc["options"]} == {"ship-now", "from-stock"}
    assert doc["fx"]["currency"] == "GBP" and doc["options"][0]["money"]["landed"] > 0
    out = tmp_path / "q.csv"
    summary = cli(
        "quote",
        "--network",
        str(GLOBAL),
        "--batch",
        str(REPO / "scenarios" / "shipments.csv"),
        "-o",
        str(out),
        "--json",
    )
    check(json.loads(summary.strip().splitlines()[-1]), "quote-batch.schema.json")


def test_simulate_output(tmp_path: Path) -> None:
    sc = tiny_scenario(tmp_path)
    out = tmp_path / "sim"
    doc = json.loads(
        cli("simulate", str(sc), "--trials", "3", "--seed", "1", "--json", "-o", str(out))
    )
    check(doc, "simulate.schema.json")
    check(json.loads((out / "simulation.json").read_text()), "simulate.schema.json")


def test_route_outputs(tmp_path: Path) -> None:
    scenario = REPO / "scenarios" / "orders" / "hzjken" / "scenario.yaml"
    out = tmp_path / "out"
    doc = json.loads(cli("route", str(scenario), "--json", "-o", str(out)))
    check(doc, "route-plan.schema.json")
    check(json.loads((out / "plan.json").read_text()), "route-plan.schema.json")
    check(json.loads((out / "timings.json").read_text()), "timings.schema.json")


def test_bench_output(tmp_path: Path) -> None:
    dow = tmp_path / "tiny.dow"
    dow.write_text(TINY_DOW)
    check(json.loads(cli("bench", "mcnd", str(dow), "--json")), "bench-mcnd.schema.json")


def test_network_outputs(tmp_path: Path) -> None:
    check(json.loads(cli("network", "show", str(TINY), "--json")), "network-show.schema.json")
    check(json.loads(cli("validate", str(TINY), "--json")), "validate.schema.json")
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in TINY.iterdir():
        (broken / f.name).write_text(f.read_text())
    lanes = (broken / "lanes.csv").read_text().replace(",T_EXP,", ",T_NOPE,", 1)
    (broken / "lanes.csv").write_text(lanes)
    doc = json.loads(cli("validate", str(broken), "--json", codes=(2,)))
    check(doc, "validate.schema.json")
    assert doc["valid"] is False and doc["problems"]


def test_history_outputs(tmp_path: Path) -> None:
    """generate -> calibrate (with a holdout, so its rows are checked too) -> demand; SCMS."""
    pytest.importorskip("duckdb")
    hist, cal = tmp_path / "h", tmp_path / "cal"
    opts = ["--shipments", "3000", "--seed", "1", "--format", "csv", "--json"]
    doc = json.loads(cli("history", "generate", str(TINY), "-o", str(hist), *opts))
    check(doc, "history-generate.schema.json")
    assert doc["injected"]["events"] > 0
    events = str(hist / "events.csv")
    args = [events, "--network", str(TINY), "-o", str(cal), "--no-plot", "--json"]
    doc = json.loads(cli("history", "calibrate", *args, "--holdout-after", "2026-06-01"))
    check(doc, "history-calibrate.schema.json")
    assert doc["holdout"] and doc["unusable"] and doc["clearing_nodes"]
    demands = tmp_path / "demands.csv"
    args = [str(hist / "orders.csv"), "-o", str(demands), "--network", str(TINY), "--json"]
    check(json.loads(cli("history", "demand", *args)), "history-demand.schema.json")
    scms = str(DATA / "scms" / "scms_excerpt.csv")
    args = [scms, "--format", "scms", "-o", str(tmp_path / "scms"), "--json"]
    doc = json.loads(cli("history", "calibrate", *args))
    check(doc, "history-scms.schema.json")
    assert doc["modes"] and doc["fulfilment"] and doc["unusable"]


def test_history_watch_output(tmp_path: Path) -> None:
    """watch --json on a tiny history with L_POST x 2.5 from 1 June: an alert, a replan."""
    pytest.importorskip("duckdb")
    hist, cal = tmp_path / "h", tmp_path / "cal"
    drift = ["--drift-lane", "L_POST:2026-06-01:2.5"]
    opts = ["--shipments", "3000", "--seed", "1", "--format", "csv", *drift]
    cli("history", "generate", str(TINY), "-o", str(hist), *opts)
    events = str(hist / "events.csv")
    args = [events, "--network", str(TINY), "-o", str(cal), "--no-plot", "--as-of", "2026-05-31"]
    cli("history", "calibrate", *args)
    args = [events, "--baseline", str(cal), "--orders", str(hist / "orders.csv"), "--json"]
    replan = ["--replan", str(tiny_scenario(tmp_path)), "-o", str(tmp_path / "w")]
    doc = json.loads(cli("history", "watch", *args, *replan))
    check(doc, "watch.schema.json")
    assert doc["format_version"] == 1
    check(json.loads((tmp_path / "w" / "replan.json").read_text()), "watch-replan.schema.json")
    lane = next(a for a in doc["alerts"] if a["id"] == "L_POST")  # the schema's alert branch
    assert lane["metric"] == "transit_days" and lane["severity"] == "critical"
    assert doc["replan"]["changes"] and doc["unusable"]


def test_compare_outputs(tmp_path: Path) -> None:
    """Scenarios (re-costed, customs rules), then plan folders (no scenario: nulls).

    B drops a demand and adds one, so each side's missing-demand nulls are checked too.
    """
    a = tiny_scenario(tmp_path)
    b = tmp_path / "b.yaml"
    text = a.read_text().replace("  - {id: luxury,", "  - {id: luxury-gone,", 1)
    b.write_text(text + "what_if: {closed_lanes: [L_SEA]}\n")
    out = tmp_path / "c"
    doc = json.loads(cli("compare", str(a), str(b), "-o", str(out), "--json"))
    check(doc, "compare.schema.json")
    check(json.loads((out / "compare.json").read_text()), "compare.schema.json")
    assert doc["format_version"] == 1 and doc["customs_rules"] is not None
    assert {d["in"] for d in doc["demands"]} == {"both", "a", "b"}  # the null branches
    for name, scenario in (("pa", a), ("pb", b)):
        cli("run", str(scenario), "-o", str(tmp_path / name), "--no-map")
    doc = json.loads(cli("compare", str(tmp_path / "pa"), str(tmp_path / "pb"), "--json"))
    check(doc, "compare.schema.json")
    assert doc["customs_rules"] is None and doc["notes"]
    with pytest.raises(AssertionError):
        check({**doc, "format_version": "1"}, "compare.schema.json")


def test_sweep_outputs(tmp_path: Path) -> None:
    """A 2-point sweep of the tiny scenario (one optimal, one infeasible): summary, result.json."""
    sc = tiny_scenario(tmp_path)
    out = tmp_path / "sw"
    vary = ["--vary", "demands[luxury].sla_days=10,0.5", "--workers", "1"]
    doc = json.loads(cli("sweep", str(sc), "-o", str(out), *vary, "--json"))
    check(doc, "sweep.schema.json")
    assert doc["statuses"] == {"infeasible": 1, "optimal": 1}
    results = sorted((out / "points").glob("*/result.json"))
    assert len(results) == 2
    for path in results:
        point = json.loads(path.read_text())
        check(point, "sweep-point.schema.json")
        assert point["format_version"] == 1 and point["metrics"]["cost_per_order"] > 0
    again = json.loads(cli("sweep", str(sc), "-o", str(out), *vary, "--json"))
    check(again, "sweep.schema.json")
    assert (again["solved"], again["skipped"]) == (0, 2)  # result.json files read back


def test_history_reason_codes_match_the_schema() -> None:
    """The schema's enum of reasons is the code's list (a new reason needs the schema too)."""
    pytest.importorskip("duckdb")
    from optimizer.history.events import REASONS

    schema = json.loads((SCHEMAS / "history-calibrate.schema.json").read_text())
    assert schema["$defs"]["reason"]["properties"]["reason"]["enum"] == list(REASONS)


def test_every_json_command_has_a_schema() -> None:
    """New commands with --json (history, sweep, compare, ...) need a schema and a check here."""
    found = set()

    def walk(cmd: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, (*path, name))
        elif any("--json" in p.opts for p in cmd.params):
            found.add(" ".join(path))

    walk(main, ())
    missing = sorted(found - set(JSON_COMMANDS))
    assert missing == [], f"commands with --json but no schema check: {missing}"
    for schema in JSON_COMMANDS.values():
        assert (SCHEMAS / schema).is_file()


def test_tariffs_explain_output() -> None:
    french = ["--to", "FR", "--from", "CN", "--item", "6109.10=20", "--item", "9102.11=60"]
    for extra in (
        ["--to", "US", "--from", "CN", "--hs", "6109.10", "--value", "45", "--date", "2026-12-01"],
        [*french, "--currency", "EUR", "--date", "2026-07-01", "--channel", "postal"],
    ):
        doc = json.loads(cli("tariffs", "explain", "--network", str(GLOBAL), *extra, "--json"))
        check(doc, "tariffs-explain.schema.json")
        assert doc["layers"] and (doc["notes"] or any(not x["applied"] for x in doc["layers"]))
