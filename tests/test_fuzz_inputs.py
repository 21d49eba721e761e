"""Fuzz the input formats: thousands of mutants, each read as a command reads it.

Mutants of the tiny scenario YAML (values, keys, structure and raw text),
its demands CSV, the tiny network's CSV cells and columns, the orders
scenario of ``xborder route``, quote shipments and CI gate texts. A reader
must either accept a mutant or raise :class:`~optimizer.errors.InputError`
(exit 2); any other exception is a traceback a user would see (exit 1). A
sample of the accepted scenario mutants is then run end to end through the
CLI, which must exit 0, 2 or 3.

Seeds are fixed, so a failure reproduces; ``FUZZ_MUTANTS`` scales the run
(the default keeps the slow suite to about a minute on a loaded machine).
"""

from __future__ import annotations

import copy
import os
import random
import shutil
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.errors import InputError
from optimizer.network.reader import read_network
from optimizer.orders.reader import read_orders_scenario
from optimizer.quote.shipment import parse_shipment
from optimizer.scenario.load import load
from optimizer.simulate.gates import parse_gates

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
MUTANTS = int(os.environ.get("FUZZ_MUTANTS", "600"))

#: Values a careless spreadsheet, a unit mix-up or a broken export puts in a cell.
NASTY: list[Any] = [
    None,
    "",
    " ",
    0,
    -1,
    -0.0,
    1,
    0.5,
    2.5,
    95,
    1e300,
    -1e300,
    1e-300,
    10**30,
    "nan",
    "inf",
    "-inf",
    "1e300",
    "1e7",
    "1_000",
    "0x10",
    "abc",
    "12kg",
    "1,5",
    "95%",
    True,
    False,
    "yes",
    "2026-13-01",
    "2026-02-30",
    "01/02/2024",
    [1, 2],
    [],
    {"a": 1},
    {},
    "x" * 500,
    "é中文",
    "\x00",
    "Mon;Mon",
    "Funday",
    "daily",
    "USD",
    "SCIP",
    "direct-package",
]


def nasty(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(NASTY))


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a nested YAML document."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def mutate_doc(doc: Any, rng: random.Random) -> Any:
    """One structural mutation: replace, delete, rename or add somewhere in ``doc``."""
    doc = copy.deepcopy(doc)
    path = rng.choice(_paths(doc))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    action = rng.random()
    if action < 0.6:
        parent[key] = nasty(rng)
    elif action < 0.75:
        del parent[key]
    elif action < 0.85 and isinstance(parent, dict):
        parent[str(key)[:-1] or "x"] = parent.pop(key)  # a typo in a key
    elif isinstance(parent, dict):
        parent[rng.choice(["bogus", "seed", "trials", "factor", "id"])] = nasty(rng)
    else:
        parent.append(copy.deepcopy(parent[key]))  # a duplicated list item
    return doc


def mutate_text(text: str, rng: random.Random) -> str:
    """One textual mutation: truncate, splice, duplicate a line or drop a character."""
    if not text:
        return "x"
    i = rng.randrange(len(text))
    action = rng.random()
    if action < 0.25:
        return text[:i]
    if action < 0.5:
        return (
            text[:i]
            + rng.choice(["{", "[", ":", "- ", "\t", '"', "'", "&a", "*a", "\n  "])
            + text[i:]
        )
    if action < 0.75:
        lines = text.splitlines(keepends=True)
        j = rng.randrange(len(lines))
        return "".join([*lines[: j + 1], lines[j], *lines[j + 1 :]])
    return text[:i] + text[i + 1 :]


class Outcomes:
    """Counts of accepted and refused mutants; tracebacks and silent acceptances fail the test."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.crashes: list[str] = []

    def run(self, label: str, action: Callable[[], Any]) -> bool:
        try:
            action()
        except InputError:
            self.counts["refused"] += 1
            return False
        except Exception:  # a traceback is exactly what the fuzz looks for
            self.counts["crashed"] += 1
            if len(self.crashes) < 5:
                self.crashes.append(f"{label}\n{traceback.format_exc()}")
            return False
        self.counts["accepted"] += 1
        return True

    def check(self) -> None:
        assert not self.crashes, "\n\n".join(self.crashes)


def _scenario_doc() -> dict[str, Any]:
    doc = yaml.safe_load((DATA / "tiny_scenario.yaml").read_text(encoding="utf-8"))
    doc["network"] = str(TINY)
    doc["simulation"] = {
        "trials": 5,
        "seed": 1,
        "disruptions": [{"lane": "L_SEA", "probability_per_week": 0.1, "closure": True}],
    }
    doc["what_if"] = {"cost_multipliers": [{"mode": "sea_fcl", "factor": 1.5}]}
    doc["options"] = {"max_legs": 6}
    return doc


def _write_yaml(path: Path, doc: Any) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def fuzz_scenarios(tmp: Path, n: int, seed: int) -> tuple[Outcomes, list[Path]]:
    """Scenario YAML mutants read by :func:`load` (scenario + network + what-ifs)."""
    rng = random.Random(seed)
    base = _scenario_doc()
    text = yaml.safe_dump(base, sort_keys=False)
    out, accepted = Outcomes(), []
    for i in range(n):
        path = tmp / f"s{i}.yaml"
        if rng.random() < 0.75:
            doc = base
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                doc = mutate_doc(doc, rng) if _paths(doc) else doc
            if not isinstance(doc, dict) or rng.random() < 0.02:
                doc = nasty(rng)
            _write_yaml(path, doc)
        else:
            path.write_text(mutate_text(text, rng), encoding="utf-8")
        if out.run(path.read_text(encoding="utf-8")[:2000], lambda p=path: load(p)):
            accepted.append(path)
    return out, accepted


DEMAND_HEADER = [
    "id",
    "origin",
    "market",
    "category",
    "orders_per_week",
    "weight_kg",
    "volume_m3",
    "value",
    "sla_days",
    "patterns",
]
DEMAND_ROWS = [
    ["a", "O", "M", "apparel", "1000", "0.5", "0.003", "20", "10", "direct-package"],
    ["b", "O", "M", "apparel", "50", "0.5", "0.003", "2000", "10", ""],
]


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def fuzz_demands_csv(tmp: Path, n: int, seed: int) -> Outcomes:
    """Demands CSV mutants: one bad cell, a dropped column, a truncated or re-encoded file."""
    rng = random.Random(seed)
    doc = _scenario_doc()
    del doc["demands"]
    doc["demands_csv"] = "demands.csv"
    out = Outcomes()
    for i in range(n):
        folder = tmp / f"d{i}"
        folder.mkdir()
        _write_yaml(folder / "s.yaml", doc)
        header, rows = list(DEMAND_HEADER), [list(r) for r in DEMAND_ROWS]
        action = rng.random()
        if action < 0.7:
            rows[rng.randrange(len(rows))][rng.randrange(len(header))] = _csv_cell(nasty(rng))
        elif action < 0.85:
            j = rng.randrange(len(header))
            header.pop(j)
            rows = [r[:j] + r[j + 1 :] for r in rows]
        else:
            rows = rows[: rng.randrange(len(rows))]
        text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
        data = text.encode("utf-8")
        if rng.random() < 0.1:
            data = data[: rng.randrange(len(data))]
        if rng.random() < 0.05:
            data = text.replace("apparel", "appar\xe9l").encode("latin-1", "replace")
        (folder / "demands.csv").write_bytes(data)
        out.run(data.decode("latin-1"), lambda p=folder / "s.yaml": load(p))
    return out


def fuzz_network(tmp: Path, n: int, seed: int) -> Outcomes:
    """Network mutants: one cell of one table, a dropped column, a duplicated or cut row."""
    rng = random.Random(seed)
    tables = sorted(TINY.glob("*.csv"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in tables}
    net = tmp / "net"
    out = Outcomes()
    for _ in range(n):
        shutil.rmtree(net, ignore_errors=True)
        shutil.copytree(TINY, net)
        name = rng.choice(sorted(texts))
        lines = texts[name].rstrip("\n").split("\n")
        must_refuse = False
        action = rng.random()
        if action < 0.75 and len(lines) > 1:
            row = rng.randrange(1, len(lines))
            cells = lines[row].split(",")
            cells[rng.randrange(len(cells))] = _csv_cell(nasty(rng))
            lines[row] = ",".join(cells)
        elif action < 0.85:
            j = rng.randrange(len(lines[0].split(",")))
            lines = [",".join(c for k, c in enumerate(ln.split(",")) if k != j) for ln in lines]
        elif action < 0.95 and len(lines) > 1:
            lines.append(lines[rng.randrange(1, len(lines))])
            must_refuse = True  # every table has a key: a repeated row is ambiguous
        else:
            lines = lines[: rng.randrange(1, len(lines) + 1)]
        text = "\n".join(lines) + "\n"
        (net / name).write_text(text, encoding="utf-8")
        accepted = out.run(f"{name}:\n{text}", lambda: read_network(net))
        if accepted and must_refuse:
            out.crashes.append(f"silently accepted a repeated row of {name}:\n{text}")
    return out


def fuzz_orders(tmp: Path, n: int, seed: int) -> Outcomes:
    """Orders-scenario mutants (inline services and orders) read as ``xborder route`` reads them."""
    from test_orders import ORDERS, SERVICES

    rng = random.Random(seed)
    base = {"version": 1, "name": "fuzz", "services": SERVICES, "orders": ORDERS}
    out = Outcomes()
    for i in range(n):
        doc: Any = base
        for _ in range(rng.choice([1, 1, 2])):
            doc = mutate_doc(doc, rng) if _paths(doc) else doc
        path = tmp / f"o{i}.yaml"
        _write_yaml(path, doc)
        out.run(str(doc)[:2000], lambda p=path: read_orders_scenario(p))
    return out


def fuzz_quotes_and_gates(n: int, seed: int) -> Outcomes:
    """Quote shipment fields and CI gate texts, parsed in process."""
    rng = random.Random(seed)
    network = read_network(TINY)
    base = {
        "from": "O",
        "to": "M",
        "weight_kg": "1",
        "dims_cm": "30x20x10",
        "pieces": "2",
        "value": "20",
        "currency": "USD",
        "category": "apparel",
        "incoterm": "DAP",
        "ship_date": "2026-03-01",
        "pattern": "direct-package",
        "items": "3",
    }
    metrics = ["on_time", "stockout_rate", "cost_p95", "lead_p90", "ontime", "", "@", "=="]
    out = Outcomes()
    for _ in range(n):
        raw = dict(base)
        raw[rng.choice(sorted(raw))] = _csv_cell(nasty(rng))
        if rng.random() < 0.2:
            raw["dims_cm"] = "x".join(_csv_cell(nasty(rng)) for _ in range(rng.choice([2, 3])))

        def parse(raw: dict[str, str] = raw) -> None:
            shipment, problems = parse_shipment(network, raw)
            if shipment is None:
                raise InputError(problems)

        out.run(str(raw), parse)
        gate = f"{rng.choice(metrics)}{rng.choice(['', '@a'])}={_csv_cell(nasty(rng))}"
        out.run(gate, lambda g=gate: parse_gates((g,), (g,)))
    return out


def fuzz_plans(tmp: Path, n: int, seed: int) -> Counter[int]:
    """``xborder simulate --plan`` on mutants of a real plan.json: exit 0, 2 or 4, never 1."""
    import json

    rng = random.Random(seed)
    scenario = str(DATA / "tiny_scenario.yaml")
    runner = CliRunner()
    made = runner.invoke(main, ["run", scenario, "-o", str(tmp / "plan"), "--no-map"])
    assert made.exit_code == 0, made.output
    base = json.loads((tmp / "plan" / "plan.json").read_text(encoding="utf-8"))
    codes: Counter[int] = Counter()
    for _ in range(n):
        doc = mutate_doc(base, rng)
        (tmp / "m.json").write_text(json.dumps(doc), encoding="utf-8")
        args = ["simulate", scenario, "--plan", str(tmp / "m.json"), "--trials", "2", "--json"]
        result = runner.invoke(main, args)
        assert result.exit_code in (0, 2, 3, 4), f"{doc}\n{result.output}\n{result.exception!r}"
        codes[result.exit_code] += 1
    return codes


def _cli_exit_codes(paths: list[Path], sample: int) -> Counter[int]:
    codes: Counter[int] = Counter()
    runner = CliRunner()
    for path in paths[:sample]:
        result = runner.invoke(main, ["run", str(path), "--time-limit", "5", "--json"])
        assert result.exit_code in (0, 2, 3), f"{path}: exit {result.exit_code}\n{result.output}"
        assert result.exit_code == 0 or isinstance(result.exception, SystemExit)
        codes[result.exit_code] += 1
    return codes


def test_fuzz_smoke(tmp_path: Path) -> None:
    """A short run of every format in the fast suite."""
    for outcome in (
        fuzz_scenarios(tmp_path, 40, seed=1)[0],
        fuzz_demands_csv(tmp_path, 20, seed=2),
        fuzz_network(tmp_path, 20, seed=3),
        fuzz_orders(tmp_path, 20, seed=4),
        fuzz_quotes_and_gates(40, seed=5),
    ):
        outcome.check()


@pytest.mark.slow
def test_fuzz_inputs(tmp_path: Path) -> None:
    """Thousands of mutants, no traceback; a sample of accepted scenarios runs end to end."""
    scenarios, accepted = fuzz_scenarios(tmp_path, MUTANTS, seed=11)
    results = {
        "scenario": scenarios,
        "demands_csv": fuzz_demands_csv(tmp_path, MUTANTS // 2, seed=12),
        "network": fuzz_network(tmp_path, MUTANTS, seed=13),
        "orders": fuzz_orders(tmp_path, MUTANTS // 2, seed=14),
        "quote+gates": fuzz_quotes_and_gates(MUTANTS, seed=15),
    }
    for outcome in results.values():
        outcome.check()
    codes = _cli_exit_codes(accepted, sample=40)
    plans = fuzz_plans(tmp_path, MUTANTS // 4, seed=16)
    print({k: dict(v.counts) for k, v in results.items()}, "run exit codes", dict(codes))
    print("simulate --plan mutants, exit codes", dict(plans))
    assert all(v.counts["refused"] > 0 for v in results.values())  # the mutants do break things
