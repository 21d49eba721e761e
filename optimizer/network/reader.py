"""Read a network folder (CSV, GeoJSON or GeoPackage tables) into a :class:`Network`.

The pipeline is: locate tables → read raw rows → parse cells by the schema →
check references and domain rules (:mod:`optimizer.network.checks`) → build
frozen records. Every problem of every file is collected before one
:class:`~optimizer.errors.InputError` is raised.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem, raise_if_any
from optimizer.fields import parse
from optimizer.network import records as r
from optimizer.network.checks import (
    canonical_weekdays,
    check_network_rules,
    connectivity_warnings,
)
from optimizer.network.coverage import (
    customs_coverage_problems,
    duty_coverage_problems,
    reachable_pairs,
)
from optimizer.network.fx import FxRate, rates_on
from optimizer.network.import_taxes import (
    NodeRegion,
    build_fees,
    build_taxes,
    tax_problems,
)
from optimizer.network.schema import TABLE_ORDER, load_schema, parse_value
from optimizer.network.tables import ParsedRow, header_problems, read_csv_rows, read_geo_rows
from optimizer.network.tariff_layers import build_layers, layer_problems

OPTIONAL_TABLES = frozenset(
    {
        "tariff_breaks",
        "duty_rates",
        "assumptions",
        "tariff_layers",
        "import_taxes",
        "import_fees",
        "node_regions",
    }
)


def read_network(path: str | Path) -> r.Network:
    """Read and validate a network; raise :class:`InputError` listing every problem."""
    network, _ = load_network(path)
    return network


def load_network(path: str | Path) -> tuple[r.Network, list[Problem]]:
    """Read and validate a network; return it with its warnings."""
    path = Path(path)
    problems: list[Problem] = []
    tables = _parse_tables(path, problems)
    raise_if_any(problems)  # structure must be sound before references are checked
    problems += _check_ids_and_refs(tables)
    problems += check_network_rules(tables)
    currencies = [row.values["currency"] for row in tables["fx"]]
    problems += layer_problems(
        tables["tariff_layers"],
        tables["countries"],
        currencies,
        tables["categories"],
        tables["nodes"],
    )
    problems += tax_problems(
        tables["import_taxes"],
        tables["import_fees"],
        tables["node_regions"],
        tables["countries"],
        tables["nodes"],
    )
    raise_if_any(problems)
    network = _build(path.stem if path.is_file() else path.name, tables)
    problems += connectivity_warnings(network, str(path / "lanes.csv"))
    pairs = reachable_pairs(network)  # market territory -> origin countries reaching it
    problems += duty_coverage_problems(network, _table_name(path, "duty_rates"), pairs)
    problems += customs_coverage_problems(network, _table_name(path, "customs_rules"), pairs)
    return network, raise_if_any(problems)


def _table_name(path: Path, table: str) -> str:
    """How messages name ``table`` of the network at ``path`` (its file, or file:layer)."""
    found = locate_table(path, table) if path.exists() else None
    if found is None:
        return str(path / f"{table}.csv")
    file, layer = found
    return f"{file}:{layer}" if layer else str(file)


def locate_table(path: Path, table: str) -> tuple[Path, str | None] | None:
    """Where ``table`` of the network at ``path`` is: (file, GeoPackage layer or None)."""
    if path.is_file() and path.suffix == ".gpkg":
        import pyogrio

        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
        return (path, table) if table in layers else None
    for suffix in (".csv", ".geojson", ".gpkg"):
        candidate = path / f"{table}{suffix}"
        if candidate.exists():
            return candidate, None
    return None


def _parse_tables(path: Path, problems: list[Problem]) -> dict[str, list[ParsedRow]]:
    if not path.exists():
        raise InputError(
            [
                Problem(
                    str(path),
                    "network not found",
                    expected="a folder of CSV tables or a .gpkg file",
                )
            ]
        )
    schema = load_schema()
    tables: dict[str, list[ParsedRow]] = {}
    for table in TABLE_ORDER:
        try:
            found = locate_table(path, table)
        except (OSError, RuntimeError, ValueError) as exc:  # pyogrio's errors are RuntimeErrors
            raise InputError([_geo_problem(path, exc)]) from None
        if found is None:
            if table not in OPTIONAL_TABLES:
                problems.append(
                    Problem(
                        str(path / f"{table}.csv"),
                        "table is missing",
                        expected=f"a {table}.csv file",
                    )
                )
            tables[table] = []
            continue
        file, layer = found
        name = f"{file}:{layer}" if layer else str(file)
        if file.suffix == ".csv":
            rows, header, read_problems = read_csv_rows(file)
            problems += read_problems
        else:
            try:
                rows, header = read_geo_rows(file, table, layer)
            except (OSError, RuntimeError, ValueError) as exc:
                problems.append(_geo_problem(file, exc))
                rows, header = [], []
        if header:
            problems += header_problems(name, header, schema[table])
        tables[table] = [
            parse_row(name, line, cells, schema[table], problems) for line, cells in rows
        ]
    return tables


def _geo_problem(path: Path, exc: Exception) -> Problem:
    reason = str(exc).split(";")[0].strip() or type(exc).__name__
    return Problem(
        str(path),
        f"cannot read: {reason}",
        expected="a folder of CSV tables, a GeoJSON file per table or a GeoPackage (.gpkg)",
    )


def parse_row(
    name: str, line: int, cells: dict[str, str], attrs: tuple[Any, ...], problems: list[Problem]
) -> ParsedRow:
    """One table row parsed by its schema (:func:`optimizer.fields.parse`); absent = default."""
    values: dict[str, Any] = {}
    for attr in attrs:
        text = cells.get(attr.name, "")
        if text == "":
            if attr.name in cells and attr.required:
                # a blank required cell is never read as its default (0 % VAT...)
                before = len(problems)
                parse(attr.field, text, name, line, problems)
                if attr.default and len(problems) > before:
                    hint = f" (write {attr.default} if that is meant)"
                    problems[-1] = replace(problems[-1], expected=f"{problems[-1].expected}{hint}")
            values[attr.name] = _default(attr)
            continue
        values[attr.name] = parse(attr.field, text, name, line, problems)
    return ParsedRow(name, line, values)


def _default(attr: Any) -> Any:
    if attr.default == "":
        return None
    value, _ = parse_value(attr, attr.default)
    return value


# --------------------------------------------------------------------------- references
_REFS = {  # (table, field) -> (target table, target key)
    ("nodes", "country"): ("countries", "code"),
    ("lanes", "from"): ("nodes", "id"),
    ("lanes", "to"): ("nodes", "id"),
    ("lanes", "tariff"): ("tariffs", "id"),
    ("tariff_breaks", "tariff"): ("tariffs", "id"),
    ("duty_rates", "category"): ("categories", "id"),
    ("countries", "currency"): ("fx", "currency"),
    ("tariffs", "currency"): ("fx", "currency"),
    ("customs_rules", "threshold_currency"): ("fx", "currency"),
    ("customs_rules", "fee_assumption"): ("assumptions", "id"),
    ("import_taxes", "country"): ("countries", "code"),
    ("import_fees", "currency"): ("fx", "currency"),
    ("node_regions", "node"): ("nodes", "id"),
}
_KEYS: dict[str, str | tuple[str, ...]] = {
    "fx": ("currency", "as_of"),  # several dated rates per currency
    "countries": "code",
    "categories": "id",
    "nodes": "id",
    "tariffs": "id",
    "lanes": "id",
    "customs_rules": "id",
    "assumptions": "id",
    "tariff_layers": "id",
    "import_taxes": "id",
    "import_fees": "id",
    "node_regions": "node",
}


def _check_ids_and_refs(tables: dict[str, list[ParsedRow]]) -> list[Problem]:
    problems: list[Problem] = []
    for table, key in _KEYS.items():
        first_line: dict[Any, int] = {}
        names = (key,) if isinstance(key, str) else key
        for row in tables[table]:
            parts = tuple(row.values.get(n) for n in names)
            if any(p is None for p in parts):
                continue
            value = parts[0] if len(parts) == 1 else parts
            if value in first_line:
                problems.append(
                    Problem(
                        row.file,
                        f"duplicate {' + '.join(names)}; first defined on line {first_line[value]}",
                        row=row.line,
                        field=names[-1],
                        value=" ".join(str(p) for p in parts),
                        expected="a unique id"
                        if len(names) == 1
                        else "one row per " + " + ".join(names),
                    )
                )
            else:
                first_line[value] = row.line
    for (table, field), (target, key) in _REFS.items():
        known = {row.values[key] for row in tables[target] if row.values.get(key) is not None}
        for row in tables[table]:
            value = row.values.get(field)
            if value is None or value in known:
                continue
            hint = difflib.get_close_matches(str(value), sorted(known), n=1)
            expected = f"an existing {target} {key}"
            if hint:
                expected += f" (did you mean {hint[0]!r}?)"
            problems.append(
                Problem(
                    row.file,
                    f"unknown {target} {key}",
                    row=row.line,
                    field=field,
                    value=str(value),
                    expected=expected,
                )
            )
    return problems


# --------------------------------------------------------------------------- records
def _fields(row: ParsedRow, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: row.values[n] for n in names}


def _build(name: str, t: dict[str, list[ParsedRow]]) -> r.Network:
    def sort(items: list[Any], key: str = "id") -> tuple[Any, ...]:
        return tuple(sorted(items, key=lambda x: getattr(x, key)))

    nodes = [r.Node(**{**row.values, "kind": r.NodeKind(row.values["kind"])}) for row in t["nodes"]]
    breaks: dict[str, list[r.WeightBreak]] = {}
    for row in t["tariff_breaks"]:
        breaks.setdefault(row.values["tariff"], []).append(
            r.WeightBreak(row.values["min_chargeable_kg"], row.values["price_per_kg"])
        )
    tariffs = [
        r.Tariff(
            **{k: v for k, v in row.values.items() if k not in ("basis",)},
            basis=r.TariffBasis(row.values["basis"]),
            breaks=tuple(
                sorted(breaks.get(row.values["id"], []), key=lambda b: b.min_chargeable_kg)
            ),
        )
        for row in t["tariffs"]
    ]
    lanes = []
    for row in t["lanes"]:
        v = dict(row.values)
        corridor = tuple(
            sorted(c.strip() for c in (v.pop("corridor") or "").split(";") if c.strip())
        )
        lanes.append(
            r.Lane(
                **{
                    k: x
                    for k, x in v.items()
                    if k
                    not in (
                        "from",
                        "to",
                        "mode",
                        "scope",
                        "service",
                        "departure_weekdays",
                        "cutoff_hours",
                    )
                },
                origin=v["from"],
                dest=v["to"],
                mode=r.Mode(v["mode"]),
                scope=r.Scope(v["scope"]),
                service=v["service"] or "",
                corridor=corridor,
                departure_weekdays=canonical_weekdays(v.get("departure_weekdays")),
                cutoff_hours=v.get("cutoff_hours") or 0.0,
            )
        )
    countries = [r.Country(**row.values) for row in t["countries"]]
    fx_history = tuple(
        sorted(
            (
                FxRate(v["currency"], v["per_usd"], v["as_of"], v["source"])
                for v in (row.values for row in t["fx"])
            ),
            key=lambda x: (x.currency, x.as_of),
        )
    )
    latest = rates_on(fx_history, None)  # pinned to a date later by Network.fx_on
    fx = tuple((c, x.per_usd) for c, x in sorted(latest.items()))
    fx_sources = tuple(r.FxSource(c, x.as_of, x.source) for c, x in sorted(latest.items()))
    categories = [
        r.Category(
            **{
                **row.values,
                "consumption_tax_rate_cn": row.values["consumption_tax_rate_cn"] or 0.0,
                "hs_code": row.values["hs_code"] or "",
            }
        )
        for row in t["categories"]
    ]
    duty_rates = sorted(
        (
            r.DutyRate(
                **{
                    **row.values,
                    "origin": row.values["origin"] or "*",
                    "note": row.values["note"] or "",
                }
            )
            for row in t["duty_rates"]
        ),
        key=lambda d: (d.category, d.territory, d.origin),
    )
    rules = build_rules(t["customs_rules"])
    assumptions = [
        r.Assumption(**{**row.values, "kind": r.AssumptionKind(row.values["kind"])})
        for row in t["assumptions"]
    ]
    return r.Network(
        name=name,
        nodes=sort(nodes),
        lanes=sort(lanes),
        tariffs=sort(tariffs),
        countries=sort(countries, "code"),
        fx_per_usd=fx,
        categories=sort(categories),
        duty_rates=tuple(duty_rates),
        customs_rules=sort(rules),
        fx_sources=fx_sources,
        assumptions=sort(assumptions),
        tariff_layers=tuple(build_layers(t["tariff_layers"])),
        import_taxes=tuple(build_taxes(t["import_taxes"])),
        import_fees=tuple(build_fees(t["import_fees"])),
        node_regions=tuple(
            sorted((NodeRegion(**row.values) for row in t["node_regions"]), key=lambda x: x.node)
        ),
        fx_history=fx_history,
    )


def build_rules(rows: list[ParsedRow]) -> list[r.CustomsRule]:
    """Customs rule records from parsed rows (also used for what-if rule files)."""
    return [
        r.CustomsRule(
            **{
                **row.values,
                "channel": r.Channel(row.values["channel"]),
                "duty_below": r.DutyBelow(row.values["duty_below"]),
                "tax_below": r.TaxBelow(row.values["tax_below"]),
                "origin": row.values["origin"] or "*",
                "note": row.values["note"] or "",
                "fee_assumption": row.values.get("fee_assumption") or "",
            }
        )
        for row in rows
    ]
