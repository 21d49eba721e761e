"""Read a YAML scenario (format version 1) into a frozen :class:`Scenario`.

Every problem — YAML syntax, unknown or missing fields, bad values, ids the
network does not know — is collected with file, line and field, and raised
at once as :class:`~optimizer.errors.InputError`. The field specs here are
also the format documentation (``docs/scenario.md``).
"""

from __future__ import annotations

import csv
import difflib
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError, Problem, raise_if_any
from optimizer.network.coverage import missing_rules_on
from optimizer.network.domestic import domestic_problem
from optimizer.network.records import Network, NodeKind
from optimizer.scenario import records as sr
from optimizer.scenario.fields import Spec, parse

FORMAT_VERSION = 1
PATTERNS = "|".join(p.value for p in sr.Pattern)

TOP = (
    Spec("version", "int", "Scenario format version.", default=FORMAT_VERSION, lo=1, hi=1),
    Spec("name", "str", "Scenario name shown in reports.", required=True),
    Spec("network", "str", "Network folder or .gpkg, relative to this file.", required=True),
    Spec("plan_date", "date", "Date whose customs rules apply.", required=True),
    Spec(
        "currency",
        "str",
        "Currency of money in this file and in reports (in fx.csv).",
        default="USD",
    ),
    Spec("demands", "list", "Demands inline (list of mappings with the fields below)."),
    Spec("demands_csv", "str", "Or: a CSV of demands (same fields as columns), relative path."),
    Spec("inventory", "mapping", "Inventory parameters (below)."),
    Spec("objective", "mapping", "Objective weights (below)."),
    Spec("options", "mapping", "Model options (below)."),
    Spec("solver", "mapping", "Solver settings (below)."),
    Spec("what_if", "mapping", "What-if overrides (below)."),
    Spec(
        "simulation", "mapping", "Monte Carlo settings for `xborder simulate` (docs/simulate.md)."
    ),
)
DEMAND = (
    Spec("id", "str", "Unique demand id.", required=True),
    Spec("origin", "str", "Origin node id (an origin_warehouse).", required=True),
    Spec("market", "str", "Market node id (kind market).", required=True),
    Spec("category", "str", "Product category id (categories.csv).", required=True),
    Spec(
        "orders_per_week",
        "float",
        "Orders per week.",
        required=True,
        lo=0,
        lo_open=True,
        unit="orders/week",
    ),
    Spec(
        "weight_kg",
        "float",
        "Actual gross weight of one order's parcel.",
        required=True,
        lo=0,
        lo_open=True,
        unit="kg",
    ),
    Spec(
        "volume_m3",
        "float",
        "Parcel volume (or give length/width/height_cm).",
        lo=0,
        lo_open=True,
        unit="m3",
    ),
    Spec("length_cm", "float", "Parcel length.", lo=0, lo_open=True, unit="cm"),
    Spec("width_cm", "float", "Parcel width.", lo=0, lo_open=True, unit="cm"),
    Spec("height_cm", "float", "Parcel height.", lo=0, lo_open=True, unit="cm"),
    Spec(
        "value",
        "float",
        "Declared value of one order, in the scenario currency.",
        required=True,
        lo=0,
    ),
    Spec(
        "sla_days",
        "float",
        "P90 customer lead time the demand must meet.",
        required=True,
        lo=0,
        lo_open=True,
        unit="d",
    ),
    Spec(
        "patterns", "list", f"Allowed patterns, any of {PATTERNS.replace('|', ', ')}.", default=None
    ),
    Spec(
        "items_per_order",
        "int",
        "Items (tariff lines) per order, for per-item duties.",
        default=1,
        lo=1,
    ),
)
INVENTORY = (
    Spec(
        "holding_rate_per_year",
        "float",
        "Carrying cost as a share of goods value per year.",
        default=0.25,
        lo=0,
        hi=5,
    ),
    Spec(
        "service_level",
        "float",
        "Cycle service level for safety stock.",
        default=0.95,
        lo=0.5,
        hi=0.9999,
    ),
    Spec(
        "replenishment_days",
        "float",
        "Interval between bulk replenishments.",
        default=14.0,
        lo=0,
        lo_open=True,
        unit="d",
    ),
    Spec("demand_cv", "float", "Coefficient of variation of weekly demand.", default=0.3, lo=0),
)
OBJECTIVE = (
    Spec(
        "value_of_day_per_order",
        "float",
        "Value of one customer-day per order (money per order per day of mean lead time).",
        default=0.0,
        lo=0,
    ),
    Spec("co2e_price_per_tonne", "float", "CO2e price (money per tonne).", default=0.0, lo=0),
)
OPTIONS = (
    Spec("single_route", "bool", "Serve each demand by one route only.", default=False),
    Spec(
        "max_routes_per_demand",
        "int",
        "Most routes the plan may use per demand (empty: no limit).",
        default=None,
        lo=1,
    ),
    Spec(
        "candidates_per_pattern",
        "int",
        "Best candidate routes (by standalone cost) kept per demand and pattern.",
        default=200,
        lo=1,
    ),
    Spec(
        "unmet_penalty_per_order",
        "float",
        "Penalty per order not served (money).",
        default=1000.0,
        lo=0,
    ),
    Spec("max_legs", "int", "Most lanes in one route.", default=7, lo=1, hi=12),
)
SOLVER = (
    Spec("time_limit_s", "float", "Solver time limit.", default=60.0, lo=0, lo_open=True, unit="s"),
    Spec("relative_gap", "float", "Relative MIP gap at which to stop.", default=1e-4, lo=0, hi=0.5),
    Spec("seed", "int", "Random seed (same seed, same plan).", default=0, lo=0),
    Spec("backend", "enum:SCIP|HIGHS|CBC", "MIP solver inside OR-Tools.", default="SCIP"),
)
WHAT_IF = (
    Spec("cost_multipliers", "list", "List of {factor, mode|lane|corridor} freight multipliers."),
    Spec("closed_nodes", "list", "Node ids closed (no route may use them)."),
    Spec("closed_lanes", "list", "Lane ids closed."),
    Spec("closed_corridors", "list", "Corridor tags closed (e.g. suez, malaszewicze)."),
    Spec("customs_rules_csv", "str", "CSV of customs rules replacing rules with the same id."),
    Spec(
        "assumptions",
        "mapping",
        "Fee assumptions to switch off: {assumption id: off} (the network's assumptions.csv).",
    ),
)
MULTIPLIER = (
    Spec("factor", "float", "Freight multiplier.", required=True, lo=0),
    Spec("mode", "str", "Apply to lanes of this mode."),
    Spec("lane", "str", "Apply to this lane id."),
    Spec("corridor", "str", "Apply to lanes tagged with this corridor."),
)
SECTIONS = {
    "": TOP,
    "demands[]": DEMAND,
    "inventory": INVENTORY,
    "objective": OBJECTIVE,
    "options": OPTIONS,
    "solver": SOLVER,
    "what_if": WHAT_IF,
    "what_if.cost_multipliers[]": MULTIPLIER,
}


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []


def _mapping(node: yaml.Node, ctx: _Ctx, where: str) -> dict[str, tuple[Any, yaml.Node]]:
    """Key -> (python value, yaml node) for a mapping node; non-mappings are a problem."""
    if not isinstance(node, yaml.MappingNode):
        ctx.problems.append(
            Problem(
                ctx.file, "expected a mapping", row=node.start_mark.line + 1, field=where or None
            )
        )
        return {}
    out: dict[str, tuple[Any, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in out:  # YAML keeps the last one silently: which one was meant?
            ctx.problems.append(
                Problem(
                    ctx.file,
                    f"key appears twice (first on line {out[key][1].start_mark.line + 1})",
                    row=key_node.start_mark.line + 1,
                    field=f"{where}.{key}" if where else key,
                    expected="each key once",
                )
            )
        out[key] = (_plain(value_node), value_node)
    return out


def _plain(node: yaml.Node) -> Any:
    """The Python value of a node; a scalar YAML cannot construct stays text (e.g. 2026-13-01)."""
    try:
        return yaml.safe_load(yaml.serialize(node))
    except (ValueError, yaml.YAMLError):
        return node.value if isinstance(node, yaml.ScalarNode) else None


def _section(
    node: yaml.Node | None, specs: tuple[Spec, ...], ctx: _Ctx, where: str
) -> dict[str, Any]:
    items = _mapping(node, ctx, where) if node is not None else {}
    known = {s.name for s in specs}
    for key, (_, value_node) in items.items():
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            ctx.problems.append(
                Problem(
                    ctx.file,
                    "unknown field",
                    row=value_node.start_mark.line + 1,
                    field=f"{where}.{key}" if where else key,
                    expected=f"did you mean {hint[0]!r}?"
                    if hint
                    else "one of " + ", ".join(sorted(known)),
                )
            )
    out: dict[str, Any] = {}
    line = node.start_mark.line + 1 if node is not None else None
    for spec in specs:
        raw, value_node = items.get(spec.name, (None, None))  # type: ignore[assignment]
        spec_line = value_node.start_mark.line + 1 if value_node is not None else line
        named = Spec(
            **{**_spec_fields(spec), "name": f"{where}.{spec.name}" if where else spec.name}
        )
        if spec.type == "mapping":
            out[spec.name] = value_node
        elif (
            spec.type == "list"
            and value_node is not None
            and not isinstance(value_node, yaml.SequenceNode)
        ):
            ctx.problems.append(
                Problem(ctx.file, "expected a list", row=spec_line, field=named.name)
            )
            out[spec.name] = None
        elif spec.type == "list":
            out[spec.name] = value_node
        else:
            out[spec.name] = parse(named, raw, ctx.file, spec_line, ctx.problems)
    return out


def _spec_fields(spec: Spec) -> dict[str, Any]:
    return {f: getattr(spec, f) for f in Spec.__slots__}


def read_scenario(path: str | Path) -> sr.Scenario:
    """Read a scenario file; raise :class:`InputError` with every problem found."""
    path = Path(path)
    ctx = _Ctx(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(str(path), "scenario file not found")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), f"not UTF-8 ({exc.reason})")]) from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            [
                Problem(
                    str(path),
                    f"YAML syntax error: {getattr(exc, 'problem', exc)}",
                    row=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    if root is None:
        raise InputError(
            [
                Problem(
                    str(path),
                    "scenario file is empty",
                    expected="a YAML mapping with name, network, plan_date, demands",
                )
            ]
        )
    top = _section(root, TOP, ctx, "")
    sections = {
        name: _section(top[name], specs, ctx, name)
        for name, specs in (
            ("inventory", INVENTORY),
            ("objective", OBJECTIVE),
            ("options", OPTIONS),
            ("solver", SOLVER),
            ("what_if", WHAT_IF),
        )
    }
    demand_rows = _demand_rows(path, top, ctx)
    raise_if_any(ctx.problems)
    base = path.parent
    what_if = _what_if(sections["what_if"], ctx, base)
    scenario_args = dict(
        name=top["name"],
        path=path,
        network_path=(base / top["network"]).resolve(),
        plan_date=top["plan_date"],
        currency=top["currency"],
        inventory=sr.Inventory(**sections["inventory"]),
        objective=sr.Objective(**sections["objective"]),
        options=sr.Options(**sections["options"]),
        solver=sr.SolverOptions(**sections["solver"]),
        what_if=what_if,
    )
    raise_if_any(ctx.problems)
    return sr.Scenario(
        demands=tuple(_demand(row) for _, row in demand_rows),
        demand_lines=tuple((row["id"], row["_file"], row["_line"]) for _, row in demand_rows),
        **scenario_args,
    )


def _what_if(values: dict[str, Any], ctx: _Ctx, base: Path) -> sr.WhatIf:
    multipliers = []
    node = values.get("cost_multipliers")
    for item in node.value if node is not None else []:
        m = _section(item, MULTIPLIER, ctx, "what_if.cost_multipliers[]")
        if not any(m[k] for k in ("mode", "lane", "corridor")):
            ctx.problems.append(
                Problem(
                    ctx.file,
                    "a multiplier needs mode, lane or corridor",
                    row=item.start_mark.line + 1,
                    field="what_if.cost_multipliers",
                )
            )
        multipliers.append(sr.CostMultiplier(**m))

    def names(key: str) -> tuple[str, ...]:
        n = values.get(key)
        return tuple(str(x) for x in _plain(n)) if n is not None else ()

    rules = values.get("customs_rules_csv")
    return sr.WhatIf(
        tuple(multipliers),
        names("closed_nodes"),
        names("closed_lanes"),
        names("closed_corridors"),
        (base / rules).resolve() if rules else None,
        _assumptions_off(values.get("assumptions"), ctx),
    )


def _assumptions_off(node: yaml.Node | None, ctx: _Ctx) -> tuple[str, ...]:
    """Ids of ``what_if.assumptions: {id: off}`` (YAML reads a bare off as false)."""
    if node is None:
        return ()
    off = []
    for key, (value, value_node) in _mapping(node, ctx, "what_if.assumptions").items():
        if value is False or str(value).lower() == "off":
            off.append(key)
            continue
        ctx.problems.append(
            Problem(
                ctx.file,
                "an assumption can only be switched off here",
                row=value_node.start_mark.line + 1,
                field=f"what_if.assumptions.{key}",
                value=str(value),
                expected="off (assumptions of the network are on unless a scenario says off)",
            )
        )
    return tuple(off)


def _demand_rows(path: Path, top: dict[str, Any], ctx: _Ctx) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    if top["demands"] is not None and top["demands_csv"]:
        ctx.problems.append(
            Problem(ctx.file, "give demands or demands_csv, not both", field="demands_csv")
        )
    if top["demands"] is not None:
        for item in top["demands"].value:
            rows.append((item.start_mark.line + 1, _section(item, DEMAND, ctx, "demands[]")))
            rows[-1][1]["_file"], rows[-1][1]["_line"] = ctx.file, item.start_mark.line + 1
    elif top["demands_csv"]:
        rows = _demand_csv(path.parent / top["demands_csv"], ctx)
    else:
        ctx.problems.append(
            Problem(
                ctx.file,
                "no demands",
                field="demands",
                expected="a demands list or a demands_csv file",
            )
        )
    seen: dict[str, int] = {}
    for line, row in rows:
        _finish_demand(row, ctx.problems)
        if row["id"] in seen:
            ctx.problems.append(
                Problem(
                    row["_file"],
                    f"duplicate demand id; first on line {seen[row['id']]}",
                    row=line,
                    field="id",
                    value=row["id"],
                )
            )
        seen.setdefault(row["id"], line)
    return rows


def _demand_csv(file: Path, ctx: _Ctx) -> list[tuple[int, dict[str, Any]]]:
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, UnicodeDecodeError) as exc:
        ctx.problems.append(Problem(name, f"cannot read demands CSV: {exc}"))
        return []
    reader = csv.DictReader(text.splitlines())
    known = {s.name for s in DEMAND}
    for col in reader.fieldnames or []:
        if col not in known:
            ctx.problems.append(
                Problem(
                    name,
                    "unknown column",
                    row=1,
                    field=col,
                    expected="one of " + ", ".join(sorted(known)),
                )
            )
    rows = []
    for i, raw in enumerate(reader, start=2):
        values = {s.name: parse(s, raw.get(s.name), name, i, ctx.problems) for s in DEMAND}
        values["_file"], values["_line"] = name, i
        rows.append((i, values))
    return rows


def _finish_demand(row: dict[str, Any], problems: list[Problem]) -> None:
    """Derive volume from dimensions and parse the pattern list."""
    dims = [row.get(k) for k in ("length_cm", "width_cm", "height_cm")]
    if row.get("volume_m3") is None:
        if dims[0] is not None and dims[1] is not None and dims[2] is not None:
            row["volume_m3"] = dims[0] * dims[1] * dims[2] / 1e6
        else:
            problems.append(
                Problem(
                    row["_file"],
                    "parcel volume is missing",
                    row=row["_line"],
                    field="volume_m3",
                    expected="volume_m3, or length_cm, width_cm and height_cm",
                )
            )
    raw = row.get("patterns")
    patterns = _plain(raw) if isinstance(raw, yaml.Node) else raw
    if patterns is None:
        row["patterns"] = tuple(sr.Pattern)
        return
    chosen = []
    for name in patterns if isinstance(patterns, list) else [patterns]:
        try:
            chosen.append(sr.Pattern(str(name)))
        except ValueError:
            problems.append(
                Problem(
                    row["_file"],
                    "unknown pattern",
                    row=row["_line"],
                    field="patterns",
                    value=str(name),
                    expected="one of " + PATTERNS.replace("|", ", "),
                )
            )
    row["patterns"] = tuple(chosen)


def _demand(row: dict[str, Any]) -> sr.Demand:
    """Money stays in the scenario currency here; :mod:`load` converts it to USD."""
    return sr.Demand(
        id=row["id"],
        origin=row["origin"],
        market=row["market"],
        category=row["category"],
        orders_per_week=row["orders_per_week"],
        weight_kg=row["weight_kg"],
        volume_m3=row["volume_m3"],
        value_usd=row["value"],
        sla_days=row["sla_days"],
        patterns=row["patterns"],
        items_per_order=row["items_per_order"],
    )


def check_against_network(scenario: sr.Scenario, network: Network) -> None:
    """Check that the scenario's ids exist in the network; raise with every problem."""
    problems: list[Problem] = []
    file = str(scenario.path)
    nodes = sorted(network.node_by_id)
    markets = sorted(n.id for n in network.nodes if n.kind is NodeKind.MARKET)
    categories = sorted(network.category_by_id)

    where = {d: (f, line) for d, f, line in scenario.demand_lines}

    def unknown(field: str, value: str, options: list[str], what: str, demand: str) -> None:
        hint = difflib.get_close_matches(value, options, n=1)
        demand_file, line = where.get(demand, (file, None))
        problems.append(
            Problem(
                demand_file,
                f"unknown {what} in demand {demand!r}",
                row=line,
                field=field,
                value=value,
                expected=f"did you mean {hint[0]!r}?"
                if hint
                else f"an id from the network's {what}s",
            )
        )

    if scenario.currency not in dict(network.fx_per_usd):
        problems.append(
            Problem(
                file,
                "currency not in the network's fx.csv",
                field="currency",
                value=scenario.currency,
            )
        )
    for d in scenario.demands:
        if d.origin not in network.node_by_id:
            unknown("origin", d.origin, nodes, "node", d.id)
        if d.market not in markets:
            unknown("market", d.market, markets, "market", d.id)
        if d.category not in network.category_by_id:
            unknown("category", d.category, categories, "category", d.id)
        if d.origin in network.node_by_id and d.market in markets:
            domestic = domestic_problem(network, d.origin, d.market)
            if domestic:
                demand_file, line = where.get(d.id, (file, None))
                problems.append(
                    Problem(
                        demand_file,
                        f"demand {d.id!r}: market {domestic[0]}",
                        row=line,
                        field="market",
                        value=d.market,
                        expected=domestic[1],
                    )
                )
    territories = sorted(
        {network.territory_of(d.market) for d in scenario.demands if d.market in markets}
    )
    for territory in territories:
        for why in missing_rules_on(network, territory, scenario.plan_date):
            problems.append(
                Problem(
                    file,
                    why,
                    field="plan_date",
                    value=scenario.plan_date.isoformat(),
                    expected="a date on which the network's customs rules are known",
                )
            )
    w = scenario.what_if
    for field, ids, known in (
        ("what_if.closed_nodes", w.closed_nodes, nodes),
        ("what_if.closed_lanes", w.closed_lanes, sorted(network.lane_by_id)),
    ):
        for x in ids:
            if x not in known:
                hint = difflib.get_close_matches(x, known, n=1)
                problems.append(
                    Problem(
                        file,
                        "unknown id",
                        field=field,
                        value=x,
                        expected=f"did you mean {hint[0]!r}?" if hint else "an id in the network",
                    )
                )
    raise_if_any(problems)


def scenario_markdown() -> str:
    """The scenario format as markdown tables (docs/scenario.md is checked against this)."""
    from optimizer.scenario.fields import markdown_table

    titles = {"": "top level", "demands[]": "demands[] (or demands_csv columns)"}
    return "\n".join(
        markdown_table(titles.get(name, name), specs) for name, specs in SECTIONS.items()
    )
