"""Mutation fuzz of network tables and scenario files (issue 11): no traceback, no silent zero.

Each mutant changes one thing in a copy of a network (``networks/global`` by
default) or of a scenario, then runs the reading path every command runs —
``load_network`` (what ``xborder validate`` and every command call), and for
scenarios :func:`optimizer.scenario.load.load` (the scenario read and checked
against its network, then what-if resolution and application: ``xborder run`` up
to the solve). A
mutant either loads or raises :class:`~optimizer.errors.InputError` (exit 2);
any other exception is a **crash** (exit 1, a traceback).

Oracles besides "no crash":

- deleting a row that other rows or the coverage rules need (a node a lane
  uses, a tariff, a currency, a country with nodes, a category, a ``*`` duty
  rate of a reached territory, a generic customs rule of a channel in use that
  is not the first of its chain, an assumption a rule names) must be rejected;
  deleting the *first* customs rule of a chain moves where the rules start, so
  a date before the remaining first rule must then be refused at use
  (:func:`optimizer.network.coverage.missing_rules_on`);
- a duplicated row of a keyed table must be rejected;
- a reference cell changed to an id that does not exist must be rejected;
- in scenarios, an id the network does not know (node, market, category,
  corridor, mode, lane, assumption) must be rejected.

Rows whose deletion only changes a figure without breaking a reference (an
origin-specific duty rate falling back to the ``*`` rate, a lane, a weight
break) are counted as "accepted (data change)": no check can tell them from an
intended edit.

Usage::

    python benchmarks/fuzz_semantics.py --network-mutants 3000 --scenario-mutants 1500 --seed 0
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optimizer.errors import InputError
from optimizer.network.coverage import missing_rules_on, reachable_pairs, required_channels
from optimizer.network.reader import load_network
from optimizer.network.records import Channel, Network
from optimizer.network.schema import TABLE_ORDER, load_schema
from optimizer.network.tariff_layers import Layer
from optimizer.scenario.load import load

ROOT = Path(__file__).resolve().parents[1]
ABSURD = ("", "-1", "0", "1e300", "-1e300", "nan", "inf", "1e-300", "abc", "1,5", " 7 ", "∞")
KEYS = {  # table -> key columns (unique)
    "fx": ("currency", "as_of"),  # several dated rates per currency
    "countries": ("code",),
    "categories": ("id",),
    "nodes": ("id",),
    "tariffs": ("id",),
    "lanes": ("id",),
    "customs_rules": ("id",),
    "assumptions": ("id",),
    "duty_rates": ("category", "territory", "origin"),
    "tariff_breaks": ("tariff", "min_chargeable_kg"),
}
REFS = {  # (table, column) -> referenced table
    ("nodes", "country"): "countries",
    ("lanes", "from"): "nodes",
    ("lanes", "to"): "nodes",
    ("lanes", "tariff"): "tariffs",
    ("tariff_breaks", "tariff"): "tariffs",
    ("duty_rates", "category"): "categories",
    ("countries", "currency"): "fx",
    ("tariffs", "currency"): "fx",
    ("customs_rules", "threshold_currency"): "fx",
    ("customs_rules", "fee_assumption"): "assumptions",
}


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]

    @classmethod
    def read(cls, path: Path) -> Table:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        return cls(rows[0], [r for r in rows[1:] if any(c.strip() for c in r)])

    def text(self) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([self.header, *self.rows])
        return out.getvalue()

    def col(self, name: str) -> int:
        return self.header.index(name)


@dataclass
class Outcome:
    kind: str  # what the mutant did
    expect: str  # "reject", "reject-or-refuse-date", "any"
    result: str  # "loaded" | "rejected" | "crash"
    detail: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    @property
    def crashes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == "crash"]

    @property
    def silent(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.expect.startswith("reject") and o.result == "loaded"]

    def table(self) -> str:
        by: Counter[tuple[str, str, str]] = Counter(
            (o.kind, o.expect, o.result) for o in self.outcomes
        )
        lines = [f"{'mutation':<40} {'expected':<10} {'loaded':>7} {'rejected':>9} {'crash':>6}"]
        kinds = sorted({(k, e) for k, e, _ in by})
        for kind, expect in kinds:
            lines.append(
                f"{kind:<40} {expect:<10} {by[(kind, expect, 'loaded')]:>7} "
                f"{by[(kind, expect, 'rejected')]:>9} {by[(kind, expect, 'crash')]:>6}"
            )
        lines.append(
            f"{'total':<40} {'':<10} {sum(o.result == 'loaded' for o in self.outcomes):>7} "
            f"{sum(o.result == 'rejected' for o in self.outcomes):>9} {len(self.crashes):>6}"
        )
        return "\n".join(lines)


def _try(run: Callable[[], object]) -> tuple[str, str]:
    try:
        run()
    except InputError as exc:
        return "rejected", exc.problems[0].message if exc.problems else ""
    except Exception:
        return "crash", traceback.format_exc(limit=4)
    return "loaded", ""


# -- network mutants ------------------------------------------------------------------------


def _mfn_covers(base: Network, territory: str, category: str) -> bool:
    """Whether an MFN tariff layer of ``territory`` prices ``category``'s HS code (then the
    layers, not ``duty_rates.csv``, give its duty and the row may go)."""
    cat = base.category_by_id.get(category)
    return cat is not None and any(
        row.territory == territory and row.layer is Layer.MFN and row.matches_hs(cat.tariff_code)
        for row in base.tariff_layers
    )


def _needed_rows(base: Network, tables: dict[str, Table]) -> dict[tuple[str, int], str]:
    """(table, row index) -> expectation when the row is deleted ("reject" / "reject-or-date")."""
    used: dict[str, set[str]] = {t: set() for t in KEYS}
    for (table, column), target in REFS.items():
        t = tables.get(table)
        if t is None or column not in t.header:
            continue
        used[target] |= {r[t.col(column)] for r in t.rows if r[t.col(column)]}
    used["fx"].add("USD")
    reached = reachable_pairs(base)
    need: dict[tuple[str, int], str] = {}
    for table, t in tables.items():
        for i, row in enumerate(t.rows):
            cells = dict(zip(t.header, row, strict=False))
            if table in ("fx", "countries", "categories", "nodes", "tariffs", "assumptions"):
                key = cells[KEYS[table][0]]
                # a dated fx row is needed only as its currency's last row
                alone = table != "fx" or [r[t.col("currency")] for r in t.rows].count(key) == 1
                if key in used[table] and alone:
                    need[(table, i)] = "reject"
            elif (
                table == "duty_rates"
                and (cells.get("origin") or "*") == "*"
                and not _mfn_covers(base, cells["territory"], cells["category"])
            ):
                # needed when an origin reaching the territory has no rate of its own (and
                # no MFN tariff layer prices the category's HS code there instead)
                own = {
                    r[t.col("origin")]
                    for r in t.rows
                    if r[t.col("category")] == cells["category"]
                    and r[t.col("territory")] == cells["territory"]
                }
                if reached.get(cells["territory"], set()) - own:
                    need[(table, i)] = "reject"
            elif table == "customs_rules" and (cells.get("origin") or "*") == "*":
                territory, channel = cells["territory"], Channel(cells["channel"])
                if territory in reached and channel in required_channels(base, territory):
                    chain = sorted(
                        cells2["valid_from"]
                        for cells2 in (dict(zip(t.header, r, strict=False)) for r in t.rows)
                        if cells2["territory"] == territory
                        and cells2["channel"] == channel.value
                        and (cells2.get("origin") or "*") == "*"
                    )
                    first = cells["valid_from"] == chain[0] and len(chain) > 1
                    need[(table, i)] = "reject-or-date" if first else "reject"
    return need


def network_mutants(
    src: Path, n: int, rng: np.random.Generator, report: Report, *, progress: bool = False
) -> None:
    """Run ``n`` mutants of the network at ``src`` and record their outcomes."""
    schema = load_schema()
    base = load_network(src)[0]
    with tempfile.TemporaryDirectory(prefix="xborder-fuzz-") as tmp:
        work = Path(tmp) / src.name
        shutil.copytree(src, work)
        tables = {
            t: Table.read(work / f"{t}.csv") for t in TABLE_ORDER if (work / f"{t}.csv").exists()
        }
        need = _needed_rows(base, tables)
        names = sorted(tables)
        for k in range(n):
            table = names[int(rng.integers(len(names)))]
            t = tables[table]
            if not t.rows:
                continue
            op = int(rng.integers(6))
            i = int(rng.integers(len(t.rows)))
            rows = [list(r) for r in t.rows]
            expect = "any"
            note = ""  # what a mutant changed, shown when it loads
            if op == 0:
                kind = f"delete row: {table}"
                expect = need.get((table, i), "any")
                deleted = dict(zip(t.header, rows.pop(i), strict=False))
                note = "deleted " + ",".join(list(deleted.values())[:4])
            elif op == 1:
                j = int(rng.integers(len(t.header)))
                kind = f"blank cell: {table}"
                rows[i][j] = ""
            elif op == 2:
                j = int(rng.integers(len(t.header)))
                attr = next((a for a in schema[table] if a.name == t.header[j]), None)
                if attr is None or not attr.type.startswith("float"):
                    numeric = [c for c, a in enumerate(t.header) if _is_float(schema, table, a)]
                    if not numeric:
                        continue
                    j = numeric[int(rng.integers(len(numeric)))]
                kind = f"absurd number: {table}"
                rows[i][j] = ABSURD[int(rng.integers(len(ABSURD)))]
            elif op == 3:
                kind = f"duplicate row: {table}"
                rows.insert(i, list(rows[i]))
                expect = "reject" if table in KEYS else "any"
            elif op == 4:
                refs = [c for (tb, c) in REFS if tb == table and c in t.header]
                if not refs or not rows[i][t.col(refs[0])]:
                    kind = f"header only: {table}"
                    rows = []
                    expect = "reject" if any(k[0] == table for k in need) else "any"
                else:
                    c = refs[int(rng.integers(len(refs)))]
                    if not rows[i][t.col(c)]:
                        continue
                    kind = f"dangling reference: {table}.{c}"
                    rows[i][t.col(c)] = rows[i][t.col(c)] + "X"
                    expect = "reject"
            else:
                key = KEYS.get(table, (t.header[0],))[0]
                j = int(rng.integers(len(t.rows)))
                kind = f"swap ids: {table}.{key}"
                kc = t.col(key)
                rows[i][kc], rows[j][kc] = rows[j][kc], rows[i][kc]
            path = work / f"{table}.csv"
            path.write_text(Table(t.header, rows).text(), encoding="utf-8")
            result, detail = _try(lambda: load_network(work))
            if result == "loaded":
                detail = note
            if expect == "reject-or-date" and result == "loaded":
                # the chain now starts later: a date on the deleted rule's first day is refused
                net = load_network(work)[0]
                day = _date(deleted["valid_from"])
                if missing_rules_on(net, deleted["territory"], day):
                    result, detail = "rejected", "date refused at use"
            report.add(
                Outcome(kind, expect if expect != "reject-or-date" else "reject", result, detail)
            )
            path.write_text(t.text(), encoding="utf-8")
            if progress and (k + 1) % 500 == 0:
                print(f"  {k + 1} network mutants", file=sys.stderr)


def _is_float(schema: dict, table: str, column: str) -> bool:
    attr = next((a for a in schema[table] if a.name == column), None)
    return attr is not None and attr.type.startswith("float")


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- scenario mutants -----------------------------------------------------------------------

SCENARIO_EDITS: tuple[tuple[str, str, str, str], ...] = (
    # (kind, old, new, expect) applied to the base scenario text
    ("typo market", "market: M_US_WEST", "market: M_US_WST", "reject"),
    ("typo origin", "origin: CN_SZX_ORIGIN", "origin: CN_SZX_ORIGN", "reject"),
    ("typo category", "category: apparel", "category: aparel", "reject"),
    (  # a domestic demand is planned (pattern domestic); a cross-border pattern for it is not
        "domestic demand, cross-border pattern",
        "market: M_US_WEST, category: apparel",
        "market: M_CN_EAST, category: apparel, patterns: [direct-package]",
        "reject",
    ),
    ("typo corridor", "closed_corridors: [suez]", "closed_corridors: [suezz]", "reject"),
    ("typo mode", "{mode: sea_fcl, factor: 2}", "{mode: seafcl, factor: 2}", "reject"),
    ("typo closed node", "closed_nodes: [BX_MAL]", "closed_nodes: [BX_MALL]", "reject"),
    ("typo assumption", "eu_handling_fee_10eur: off", "eu_handling_fee_10e: off", "reject"),
    (
        "two selectors",
        "{mode: sea_fcl, factor: 2}",
        "{mode: sea_fcl, lane: X, factor: 2}",
        "reject",
    ),
    ("duplicate demand id", "id: D2", "id: D1", "reject"),
    ("date before rules", "plan_date: 2026-03-01", "plan_date: 1990-01-01", "reject"),
)
SCENARIO_BASE = """version: 1
name: fuzz base
network: {network}
plan_date: 2026-03-01
currency: USD
demands:
  - {{id: D1, origin: CN_SZX_ORIGIN, market: M_US_WEST, category: apparel, orders_per_week: 100,
     weight_kg: 0.5, volume_m3: 0.003, value: 20, sla_days: 12}}
  - {{id: D2, origin: CN_SHA_ORIGIN, market: M_DE, category: toys, orders_per_week: 50,
     weight_kg: 1.0, volume_m3: 0.004, value: 35, sla_days: 20}}
inventory: {{holding_rate_per_year: 0.25, service_level: 0.95, replenishment_days: 14,
  demand_cv: 0.3}}
objective: {{value_of_day_per_order: 0.1, co2e_price_per_tonne: 80}}
options: {{unmet_penalty_per_order: 400, max_legs: 7}}
solver: {{time_limit_s: 10, relative_gap: 0.0001, seed: 0}}
what_if:
  closed_corridors: [suez]
  closed_nodes: [BX_MAL]
  cost_multipliers:
    - {{mode: sea_fcl, factor: 2}}
  assumptions: {{eu_handling_fee_10eur: off}}
"""
SCALARS = (
    "0",
    "-1",
    "1e300",
    "-5",
    ".nan",
    ".inf",
    "[1, 2]",
    "{a: 1}",
    "''",
    "abc",
    "2026-13-01",
    "null",
    "true",
    "0.0000001",
)


def scenario_mutants(
    network: Network, net_path: Path, n: int, rng: np.random.Generator, report: Report
) -> None:
    """Run ``n`` scenario mutants (edits above, then random value and line mutations)."""
    base = SCENARIO_BASE.format(network=net_path)
    with tempfile.TemporaryDirectory(prefix="xborder-fuzz-") as tmp:
        path = Path(tmp) / "s.yaml"

        def check(text: str) -> tuple[str, str]:
            path.write_text(text, encoding="utf-8")

            def run() -> None:
                load(path)  # read + check against the network + resolve and apply what-ifs

            return _try(run)

        result, detail = check(base)
        report.add(Outcome("scenario: base", "load", result, detail))
        for kind, old, new, expect in SCENARIO_EDITS:
            assert old in base, old
            result, detail = check(base.replace(old, new))
            report.add(Outcome(f"scenario: {kind}", expect, result, detail))
        lines = base.splitlines()
        for _ in range(n):
            op = int(rng.integers(3))
            mutated = list(lines)
            i = int(rng.integers(len(lines)))
            if op == 0:
                kind = "scenario: delete line"
                del mutated[i]
            elif op == 1:
                kind = "scenario: duplicate line"
                mutated.insert(i, mutated[i])
            else:
                kind = "scenario: absurd value"
                line = mutated[i]
                spots = [j for j, ch in enumerate(line) if ch == ":"]
                if not spots:
                    continue
                j = spots[int(rng.integers(len(spots)))]
                rest = line[j + 1 :]
                end = min(
                    [x for x in (rest.find(","), rest.find("}")) if x >= 0], default=len(rest)
                )
                value = SCALARS[int(rng.integers(len(SCALARS)))]
                mutated[i] = line[: j + 1] + " " + value + rest[end:]
            result, detail = check("\n".join(mutated) + "\n")
            report.add(Outcome(kind, "any", result, detail))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", type=Path, default=ROOT / "networks" / "global")
    parser.add_argument("--network-mutants", type=int, default=3000)
    parser.add_argument("--scenario-mutants", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=5, help="failures of each kind to print")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    report = Report()
    start = time.perf_counter()
    network_mutants(args.network, args.network_mutants, rng, report, progress=True)
    network = load_network(args.network)[0]
    scenario_mutants(network, args.network.resolve(), args.scenario_mutants, rng, report)
    print(report.table())
    seconds = time.perf_counter() - start
    print(f"\n{len(report.outcomes)} mutants in {seconds:.1f} s (seed {args.seed})")
    for what, bad in (("CRASH", report.crashes), ("SILENTLY ACCEPTED", report.silent)):
        for o in bad[: args.show]:
            print(f"\n{what}: {o.kind}\n{o.detail}")
    return 1 if report.crashes or report.silent else 0


if __name__ == "__main__":
    sys.exit(main())
