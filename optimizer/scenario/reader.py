"""Read a YAML scenario (format version 1) into a frozen :class:`Scenario`.

Every problem — YAML syntax, unknown or missing fields, bad values, ids the
network does not know — is collected with file, line and field, and raised
at once as :class:`~optimizer.errors.InputError`. The field specs here are
also the format documentation (``docs/scenario.md``).
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError, Problem, raise_if_any
from optimizer.fields import MAX_SEED, Field, header_problems, markdown_table, parse, suggest
from optimizer.network.coverage import missing_rules_on
from optimizer.network.domestic import is_domestic, pattern_problem
from optimizer.network.fx import unknown_currency
from optimizer.network.hs_codes import category_of, mfn_fault
from optimizer.network.reader import load_network
from optimizer.network.records import Network, NodeKind
from optimizer.network.tables import read_csv_rows
from optimizer.scenario import records as sr
from optimizer.solve.settings import MIP_BACKENDS

FORMAT_VERSION = 1
PATTERNS = "|".join(p.value for p in sr.Pattern)
#: Money a planner types per order or per unit (scenario currency): up to a billion.
MAX_MONEY = 1e9
#: Days in one figure (an SLA, a replenishment interval, a delay): up to a year.
MAX_DAYS = 365

TOP = (
    Field("version", "int", "Scenario format version.", default=FORMAT_VERSION, lo=1, hi=1),
    Field("name", "str", "Scenario name shown in reports.", required=True),
    Field("network", "str", "Network folder or .gpkg, relative to this file.", required=True),
    Field("plan_date", "date", "Date whose customs rules apply.", required=True),
    Field(
        "currency",
        "str",
        "Currency of money in this file and in reports (in fx.csv).",
        default="USD",
    ),
    Field("demands", "list", "Demands inline (list of mappings with the fields below)."),
    Field("demands_csv", "str", "Or: a CSV of demands (same fields as columns), relative path."),
    Field("inventory", "mapping", "Inventory parameters (below)."),
    Field("objective", "mapping", "Objective weights (below)."),
    Field("options", "mapping", "Model options (below)."),
    Field("solver", "mapping", "Solver settings (below)."),
    Field("what_if", "mapping", "What-if overrides (below)."),
    Field(
        "simulation", "mapping", "Monte Carlo settings for `xborder simulate` (docs/simulate.md)."
    ),
)
DEMAND = (
    Field("id", "str", "Unique demand id.", required=True),
    Field("origin", "str", "Origin node id (an origin_warehouse).", required=True),
    Field("market", "str", "Market node id (kind market).", required=True),
    Field(
        "category",
        "str",
        "Product category id (categories.csv); may be left out when hs_code is given.",
    ),
    Field(
        "hs_code",
        "hs",
        "HS code of the goods (2-10 digits, e.g. '6109.10'): the duty is priced at it; its "
        "chapter gives the category when none is given (else: the category's own code).",
    ),
    Field(
        "orders_per_week",
        "float",
        "Orders per week (10 million a week is more than any one lane of a marketplace).",
        required=True,
        lo=0,
        lo_open=True,
        hi=1e7,
        unit="orders/week",
    ),
    Field(
        "weight_kg",
        "float",
        "Actual gross weight of one order's parcel (at most a full 40 ft container's payload).",
        required=True,
        lo=0,
        lo_open=True,
        hi=40_000,
        unit="kg",
    ),
    Field(
        "volume_m3",
        "float",
        "Parcel volume (or give length/width/height_cm); at most a 40 ft high cube.",
        lo=0,
        lo_open=True,
        hi=80,
        unit="m3",
    ),
    Field("length_cm", "float", "Parcel length.", lo=0, lo_open=True, hi=1500, unit="cm"),
    Field("width_cm", "float", "Parcel width.", lo=0, lo_open=True, hi=1500, unit="cm"),
    Field("height_cm", "float", "Parcel height.", lo=0, lo_open=True, hi=1500, unit="cm"),
    Field(
        "value",
        "float",
        "Declared value of one order, in the scenario currency (customs needs a value > 0).",
        required=True,
        lo=0,
        lo_open=True,
        hi=MAX_MONEY,
    ),
    Field(
        "sla_days",
        "float",
        "P90 customer lead time the demand must meet.",
        required=True,
        lo=0,
        lo_open=True,
        hi=MAX_DAYS,
        unit="d",
    ),
    Field(
        "patterns",
        "list",
        f"Allowed patterns, any of {PATTERNS.replace('|', ', ')} (empty: every pattern but "
        "b2b-direct; a demand inside one customs territory uses domestic only).",
        default=None,
    ),
    Field(
        "items_per_order",
        "int",
        "Items (tariff lines) per order, for per-item duties.",
        default=1,
        lo=1,
        hi=10_000,
    ),
)
INVENTORY = (
    Field(
        "holding_rate_per_year",
        "float",
        "Carrying cost as a share of goods value per year.",
        default=sr.HOLDING_RATE_PER_YEAR,
        lo=0,
        hi=5,
    ),
    Field(
        "service_level",
        "float",
        "Cycle service level for safety stock (a share, not a percent).",
        default=0.95,
        lo=0.5,
        hi=0.9999,
    ),
    Field(
        "replenishment_days",
        "float",
        "Interval between bulk replenishments.",
        default=14.0,
        lo=0,
        lo_open=True,
        hi=MAX_DAYS,
        unit="d",
    ),
    Field(
        "demand_cv",
        "float",
        "Coefficient of variation of weekly demand.",
        default=0.3,
        lo=0,
        hi=5,
    ),
)
OBJECTIVE = (
    Field(
        "value_of_day_per_order",
        "float",
        "Value of one customer-day per order (money per order per day of mean lead time).",
        default=0.0,
        lo=0,
        hi=1e6,
    ),
    Field(
        "co2e_price_per_tonne",
        "float",
        "CO2e price (money per tonne).",
        default=0.0,
        lo=0,
        hi=1e6,
    ),
)
OPTIONS = (
    Field("single_route", "bool", "Serve each demand by one route only.", default=False),
    Field(
        "max_routes_per_demand",
        "int",
        "Most routes the plan may use per demand (empty: no limit).",
        default=None,
        lo=1,
        hi=10_000,
    ),
    Field(
        "candidates_per_pattern",
        "int",
        "Best candidate routes (by standalone cost) kept per demand and pattern.",
        default=200,
        lo=1,
        hi=100_000,
    ),
    Field(
        "unmet_penalty_per_order",
        "float",
        "Penalty per order not served (money).",
        default=1000.0,
        lo=0,
        hi=MAX_MONEY,
    ),
    Field("max_legs", "int", "Most lanes in one route.", default=sr.MAX_LEGS, lo=1, hi=12),
    Field(
        "cbec_over_limit_share",
        "float",
        "Share of China CBEC orders whose buyer is past the RMB 26,000 annual limit: they "
        "fall back to general trade, priced as a normal import (docs/model.md).",
        default=0.0,
        lo=0,
        hi=1,
    ),
)
SOLVER = (
    Field(
        "time_limit_s",
        "float",
        "Solver time limit (at most a week).",
        default=60.0,
        lo=0,
        lo_open=True,
        hi=604_800,
        unit="s",
    ),
    Field(
        "relative_gap", "float", "Relative MIP gap at which to stop.", default=1e-4, lo=0, hi=0.5
    ),
    Field("seed", "int", "Random seed (same seed, same plan).", default=0, lo=0, hi=MAX_SEED),
    Field(
        "backend", "enum:" + "|".join(MIP_BACKENDS), "MIP solver inside OR-Tools.", default="SCIP"
    ),
)
WHAT_IF = (
    Field("cost_multipliers", "list", "List of {factor, mode|lane|corridor} freight multipliers."),
    Field("closed_nodes", "list", "Node ids closed (no route may use them)."),
    Field("closed_lanes", "list", "Lane ids closed."),
    Field("closed_corridors", "list", "Corridor tags closed (e.g. suez, malaszewicze)."),
    Field("customs_rules_csv", "str", "CSV of customs rules replacing rules with the same id."),
    Field(
        "assumptions",
        "mapping",
        "Fee assumptions to switch off: {assumption id: off} (the network's assumptions.csv).",
    ),
)
MULTIPLIER = (
    Field("factor", "float", "Freight multiplier.", required=True, lo=0, hi=100),
    Field("mode", "str", "Apply to lanes of this mode."),
    Field("lane", "str", "Apply to this lane id."),
    Field("corridor", "str", "Apply to lanes tagged with this corridor."),
)
SIMULATION = (
    Field(
        "trials",
        "int",
        "Independent replications of the horizon.",
        default=200,
        lo=1,
        hi=10_000_000,
    ),
    Field(
        "seed",
        "int",
        "Seed of the numpy Generator (same seed, same numbers).",
        default=0,
        lo=0,
        hi=MAX_SEED,
    ),
    Field(
        "horizon_weeks",
        "int",
        "Weeks of orders simulated per trial.",
        default=13,
        lo=1,
        hi=520,
        unit="weeks",
    ),
    Field(
        "demand_noise",
        "enum:" + "|".join(sr.NOISES),
        "Orders per day: poisson counts, cv "
        "(weekly rate gamma-distributed with demand_cv, then Poisson), or none "
        "(the planned rate, rounded).",
        default="poisson",
    ),
    Field(
        "demand_cv",
        "float",
        "CV of weekly demand for demand_noise cv (default: the scenario's inventory.demand_cv).",
        default=None,
        lo=0,
        hi=5,
    ),
    Field(
        "stockout",
        "enum:" + "|".join(sr.STOCKOUTS),
        "What an order finding no stock does: "
        "ship direct-package by the fallback route, or wait for the next replenishment.",
        default="fallback-direct",
    ),
    Field("disruptions", "list", "Lane, node or corridor disruptions (below)."),
)
DISRUPTION = (
    Field("name", "str", "Label used in reports (default: the target)."),
    Field("lane", "str", "Lane id disrupted."),
    Field("node", "str", "Node id disrupted (every lane from or to it, and its handling)."),
    Field("corridor", "str", "Corridor tag disrupted (every lane tagged with it, e.g. suez)."),
    Field(
        "probability_per_week",
        "float",
        "Chance that a disruption starts in a given week.",
        required=True,
        lo=0,
        hi=1,
    ),
    Field(
        "duration_weeks",
        "int",
        "Weeks a disruption lasts once started.",
        default=1,
        lo=1,
        hi=104,
        unit="weeks",
    ),
    Field(
        "closure",
        "bool",
        "True: closed (no departures, no handling) while it lasts.",
        default=False,
    ),
    Field(
        "extra_delay_days",
        "float",
        "Or: extra days on every passage while it lasts.",
        default=0.0,
        lo=0,
        hi=MAX_DAYS,
        unit="d",
    ),
)
_VOLUME = next(f for f in DEMAND if f.name == "volume_m3")
SIMULATION_SECTIONS = {"simulation": SIMULATION, "simulation.disruptions[]": DISRUPTION}
SECTIONS = {
    "": TOP,
    "demands[]": DEMAND,
    "inventory": INVENTORY,
    "objective": OBJECTIVE,
    "options": OPTIONS,
    "solver": SOLVER,
    "what_if": WHAT_IF,
    "what_if.cost_multipliers[]": MULTIPLIER,
    **SIMULATION_SECTIONS,
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
    node: yaml.Node | None, specs: tuple[Field, ...], ctx: _Ctx, where: str
) -> dict[str, Any]:
    items = _mapping(node, ctx, where) if node is not None else {}
    known = {s.name for s in specs}
    for key, (_, value_node) in items.items():
        if key not in known:
            ctx.problems.append(
                Problem(
                    ctx.file,
                    "unknown field",
                    row=value_node.start_mark.line + 1,
                    field=f"{where}.{key}" if where else key,
                    expected=suggest(key, known),
                )
            )
    out: dict[str, Any] = {}
    line = node.start_mark.line + 1 if node is not None else None
    for spec in specs:
        raw, value_node = items.get(spec.name, (None, None))  # type: ignore[assignment]
        spec_line = value_node.start_mark.line + 1 if value_node is not None else line
        name = f"{where}.{spec.name}" if where else spec.name
        if spec.type in ("mapping", "list") and value_node is not None:
            kind = yaml.MappingNode if spec.type == "mapping" else yaml.SequenceNode
            if not isinstance(value_node, kind) and not _is_null(value_node):
                ctx.problems.append(
                    Problem(
                        ctx.file,
                        f"expected a {spec.type}",
                        row=spec_line,
                        field=name,
                        value=str(raw)[:80] if raw is not None else None,
                    )
                )
                out[spec.name] = None
            else:
                out[spec.name] = None if _is_null(value_node) else value_node
        elif spec.type in ("mapping", "list"):
            out[spec.name] = None
        elif isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)):
            ctx.problems.append(
                Problem(
                    ctx.file,
                    "not a single value",
                    row=spec_line,
                    field=name,
                    expected=spec.expected(),
                )
            )
            out[spec.name] = spec.default
        else:
            if spec.type == "hs" and isinstance(value_node, yaml.ScalarNode) and raw is not None:
                raw = value_node.value  # as typed: YAML reads 6109.10 as the number 6109.1
            out[spec.name] = parse(spec, raw, ctx.file, spec_line, ctx.problems, name=name)
    return out


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def read_scenario(
    path: str | Path,
    *,
    on: tuple[Path, Network] | None = None,
    known: tuple[Path, Network, list[Problem]] | None = None,
) -> tuple[sr.Scenario, Network, list[Problem]]:
    """Read a scenario file and its network; raise :class:`InputError` with every problem.

    Returns the scenario, the network as read (no what-if applied) and the network's
    warnings. The network is read here because the records hold true values: money in the
    file's currency is converted to USD (at the network's fx rate) as the records are built.

    Every section is parsed and range-checked here, ``simulation:`` included,
    so whichever command reads a scenario refuses the same bad files.

    ``on`` (a network's path and records) plans the scenario on that network instead of the
    one its ``network:`` field names (``history watch --replan`` on a drifted network).
    ``known`` (a network's path, records and warnings, already read) is used instead of
    reading the network again when the scenario names that path (sweeps).
    """
    path = Path(path)
    return _build(_compose(path), path, given=on, known=known)


#: Fields that name a file; a scenario planned on a given network may use none of them.
FILE_FIELDS = ("network", "demands_csv", "what_if.customs_rules_csv")


def parse_scenario(text: str, *, path: Path, network: Network, network_path: Path) -> sr.Scenario:
    """Parse scenario text planned on a given ``network`` (a server planning on the network
    it serves): the scenario may name no file (:data:`FILE_FIELDS`); each one it names is a
    problem, and nothing is read from disk. ``path`` names the text in messages."""
    root = _compose_text(text, str(path))
    scenario, _, _ = _build(root, path, given=(network_path, network), refuse_files=True)
    return scenario


def _build(
    root: yaml.MappingNode,
    path: Path,
    given: tuple[Path, Network] | None = None,
    *,
    refuse_files: bool = False,
    known: tuple[Path, Network, list[Problem]] | None = None,
) -> tuple[sr.Scenario, Network, list[Problem]]:
    """The scenario records of a composed YAML tree, with its network (read from the
    scenario's ``network:`` field, or ``given``) and the network's warnings;
    ``refuse_files``: any field naming a file is a problem (:data:`FILE_FIELDS`)."""
    ctx = _Ctx(str(path))
    top = _section(root, TOP if given is None else _TOP_GIVEN_NETWORK, ctx, "")
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
    if refuse_files:
        _refuse_files(top, sections["what_if"], ctx)
    demand_rows = _demand_rows(path, top, ctx)
    base = path.parent
    what_if = _what_if(sections["what_if"], ctx, base)
    simulation, simulation_lines = _simulation(top["simulation"], ctx)
    raise_if_any(ctx.problems)
    warnings: list[Problem] = []
    if given is None:
        network_path = (base / top["network"]).resolve()
        if known is not None and known[0] == network_path:
            network, warnings = known[1], list(known[2])
        else:
            network, warnings = load_network(network_path)
    else:
        network_path, network = given
    # Money converts at the rates in force on the plan date (fx.csv's dated rows).
    network = network.fx_on(top["plan_date"])
    # An unknown currency is reported by check_against_network below, before any record
    # built with the placeholder rate leaves this function.
    per_usd = dict(network.fx_per_usd).get(top["currency"], 1.0)
    category_problems = _demand_categories(demand_rows, network)

    def usd(section: dict[str, Any], *names: str) -> dict[str, Any]:
        return {k: v / per_usd if k in names else v for k, v in section.items()}

    scenario = sr.Scenario(
        name=top["name"],
        path=path,
        network_path=network_path,
        plan_date=top["plan_date"],
        currency=top["currency"],
        demands=tuple(_demand(usd(row, "value")) for _, row in demand_rows),
        inventory=sr.Inventory(**sections["inventory"]),
        objective=sr.Objective(
            **usd(sections["objective"], "value_of_day_per_order", "co2e_price_per_tonne")
        ),
        options=sr.Options(**usd(sections["options"], "unmet_penalty_per_order")),
        solver=sr.SolverOptions(**sections["solver"]),
        what_if=what_if,
        simulation=simulation,
        simulation_lines=simulation_lines,
        demand_lines=tuple((row["id"], row["_file"], row["_line"]) for _, row in demand_rows),
    )
    check_against_network(scenario, network, earlier=category_problems)
    return scenario, network, warnings


def _compose(path: Path) -> yaml.MappingNode:
    """The YAML node tree of a scenario file, or one problem saying why there is none."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(file, "scenario file not found")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(file, f"not UTF-8 ({exc.reason})")]) from None
    except OSError as exc:
        raise InputError([Problem(file, f"cannot read the scenario: {exc.strerror}")]) from None
    return _compose_text(text, file)


def _compose_text(text: str, file: str) -> yaml.MappingNode:
    """The YAML node tree of scenario text, or one problem saying why there is none."""
    expected = "a YAML mapping with name, network, plan_date, demands"
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            [
                Problem(
                    file,
                    f"YAML syntax error: {getattr(exc, 'problem', None) or exc}",
                    row=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    except RecursionError:
        raise InputError([Problem(file, "YAML nested too deeply", expected=expected)]) from None
    if root is None:
        raise InputError([Problem(file, "scenario file is empty", expected=expected)])
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        raise InputError(
            [Problem(file, f"a scenario is a mapping, not {kind}", row=1, expected=expected)]
        )
    return root


def _simulation(node: yaml.Node | None, ctx: _Ctx) -> tuple[sr.SimConfig, tuple[int, ...]]:
    """The ``simulation:`` section (defaults when absent) and the line of each disruption.

    Disruption targets are checked against a network later
    (:func:`simulation_problems`).
    """
    values = _section(node, SIMULATION, ctx, "simulation")
    seq = values.pop("disruptions")
    disruptions, lines = [], []
    for i, item in enumerate(seq.value if seq is not None else []):
        d = _disruption(item, i, ctx)
        if d is not None:
            disruptions.append(d)
            lines.append(item.start_mark.line + 1)
    try:
        return sr.SimConfig(disruptions=tuple(disruptions), **values), tuple(lines)
    except (TypeError, ValueError):
        return sr.SimConfig(), ()  # every bad value is already a problem


def _disruption(item: yaml.Node, i: int, ctx: _Ctx) -> sr.Disruption | None:
    where = f"simulation.disruptions[{i}]"
    v = _section(item, DISRUPTION, ctx, where)
    line = item.start_mark.line + 1
    targets = [k for k in ("lane", "node", "corridor") if v[k]]
    if len(targets) != 1:
        ctx.problems.append(
            Problem(
                ctx.file,
                "a disruption needs exactly one target",
                row=line,
                field=where,
                expected="one of lane, node or corridor",
            )
        )
        return None
    kind = targets[0]
    if not v["closure"] and not v["extra_delay_days"]:
        ctx.problems.append(
            Problem(
                ctx.file,
                "a disruption needs closure: true or extra_delay_days > 0",
                row=line,
                field=where,
            )
        )
        return None
    if v["closure"] and v["extra_delay_days"]:
        ctx.problems.append(
            Problem(
                ctx.file,
                "give closure or extra_delay_days, not both",
                row=line,
                field=f"{where}.extra_delay_days",
            )
        )
        return None
    if v["probability_per_week"] is None:
        return None  # reported as missing
    return sr.Disruption(
        name=v["name"] or f"{kind} {v[kind]}",
        probability_per_week=v["probability_per_week"],
        duration_weeks=v["duration_weeks"],
        closure=v["closure"],
        extra_delay_days=v["extra_delay_days"],
        **{kind: str(v[kind])},
    )


_TOP_GIVEN_NETWORK = tuple(
    dataclasses.replace(s, required=False) if s.name == "network" else s for s in TOP
)


def _refuse_files(top: dict[str, Any], what_if: dict[str, Any], ctx: _Ctx) -> None:
    """A problem for each file the scenario names; clear them so none is read."""
    for name, section, key in (
        ("network", top, "network"),
        ("demands_csv", top, "demands_csv"),
        ("what_if.customs_rules_csv", what_if, "customs_rules_csv"),
    ):
        if section.get(key):
            ctx.problems.append(
                Problem(
                    ctx.file,
                    "names a file; this scenario is planned on the served network "
                    "and may not read files",
                    field=name,
                    value=str(section[key]),
                    expected="no file: demands inline, the served network",
                )
            )
            section[key] = None


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
    where: tuple[str, str | None] = (ctx.file, "demands")
    if top["demands"] is not None:
        for item in top["demands"].value:
            rows.append((item.start_mark.line + 1, _section(item, DEMAND, ctx, "demands[]")))
            rows[-1][1]["_file"], rows[-1][1]["_line"] = ctx.file, item.start_mark.line + 1
    elif top["demands_csv"]:
        csv_file = path.parent / top["demands_csv"]
        rows = _demand_csv(csv_file, ctx)
        where = (str(csv_file), None)
    if not rows and not any(p.file == where[0] and p.row is None for p in ctx.problems):
        ctx.problems.append(
            Problem(
                where[0],
                "no demands",
                field=where[1],
                expected="at least one demand, in a demands list or a demands_csv file",
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
    """Rows of a demands CSV; its header must have every required column."""
    name = str(file)
    lines, header, problems = read_csv_rows(file)
    ctx.problems.extend(problems)
    if not header:
        return []
    ctx.problems.extend(header_problems(name, header, DEMAND, unknown_is_error=True))
    needed = [s.name for s in DEMAND if s.required and s.name not in header]
    if "volume_m3" not in header and not {"length_cm", "width_cm", "height_cm"} <= set(header):
        needed.append("volume_m3")
        ctx.problems.append(
            Problem(
                name,
                "required column is missing",
                row=1,
                field="volume_m3",
                expected="volume_m3, or length_cm, width_cm and height_cm",
            )
        )
    if needed:
        return []
    rows = []
    for i, cells in lines:
        values = {s.name: parse(s, cells.get(s.name), name, i, ctx.problems) for s in DEMAND}
        values["_file"], values["_line"] = name, i
        rows.append((i, values))
    return rows


def _finish_demand(row: dict[str, Any], problems: list[Problem]) -> None:
    """Derive volume from dimensions, parse the pattern list, ask for a category or an
    HS code."""
    hs_reported = any(
        p.file == row["_file"] and p.row == row["_line"] and (p.field or "").endswith("hs_code")
        for p in problems
    )
    if not row.get("category") and row.get("hs_code") is None and not hs_reported:
        problems.append(
            Problem(
                row["_file"],
                "value is missing",
                row=row["_line"],
                field="category",
                expected="a category id (categories.csv), or an hs_code",
            )
        )
    dims = [row.get(k) for k in ("length_cm", "width_cm", "height_cm")]
    if row.get("volume_m3") is None:
        if dims[0] is not None and dims[1] is not None and dims[2] is not None:
            row["volume_m3"] = parse(
                _VOLUME,
                dims[0] * dims[1] * dims[2] / 1e6,
                row["_file"],
                row["_line"],
                problems,
                name="volume_m3 (length x width x height)",
            )
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
        row["patterns"] = sr.DEFAULT_PATTERNS
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
    """The demand of a parsed row whose ``value`` is already in USD."""
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
        hs_code=row["hs_code"] or "",
    )


def _demand_categories(rows: list[tuple[int, dict[str, Any]]], network: Network) -> list[Problem]:
    """Fill each demand's category from its HS code's chapter when it has none; a code of
    another chapter than the given category is a problem (:mod:`optimizer.network.hs_codes`).
    An unknown category is left for :func:`check_against_network` to report."""
    problems = []
    for _, row in rows:
        category, code = row.get("category") or "", row.get("hs_code") or ""
        if not code or (category and category not in network.category_by_id):
            continue
        found, fault = category_of(network, category, code, chapters=False)
        if fault is not None:
            problems.append(
                Problem(
                    row["_file"],
                    f"demand {row['id']!r}: {fault.message}",
                    row=row["_line"],
                    field=fault.field,
                    value=fault.value,
                    expected=fault.expected,
                )
            )
        row["category"] = found
    return problems


def check_against_network(
    scenario: sr.Scenario, network: Network, *, earlier: list[Problem] | None = None
) -> None:
    """Check that the scenario's ids exist in the network; raise with every problem
    (``earlier``: problems already found against the network, reported with them)."""
    problems: list[Problem] = list(earlier or ())
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

    bad_currency = unknown_currency(
        scenario.currency, dict(network.fx_per_usd), file=file, field="currency"
    )
    if bad_currency is not None:
        problems.append(bad_currency)
    for d in scenario.demands:
        if d.origin not in network.node_by_id:
            unknown("origin", d.origin, nodes, "node", d.id)
        if d.market not in markets:
            unknown("market", d.market, markets, "market", d.id)
        if d.category not in network.category_by_id and not (d.hs_code and not d.category):
            unknown("category", d.category, categories, "category", d.id)  # else: said above
        if d.hs_code and d.market in markets:
            uncovered = mfn_fault(network, network.territory_of(d.market), d.hs_code)
            if uncovered is not None:
                demand_file, line = where.get(d.id, (file, None))
                problems.append(
                    Problem(
                        demand_file,
                        f"demand {d.id!r}: {uncovered.message}",
                        row=line,
                        field=uncovered.field,
                        value=uncovered.value,
                        expected=uncovered.expected,
                    )
                )
        if d.origin in network.node_by_id and d.market in markets:
            wrong = pattern_problem(network, d.origin, d.market, d.patterns)
            if wrong:
                demand_file, line = where.get(d.id, (file, None))
                problems.append(
                    Problem(
                        demand_file,
                        f"demand {d.id!r}: {wrong[0]}",
                        row=line,
                        field="patterns",
                        value=",".join(p.value for p in d.patterns),
                        expected=wrong[1],
                    )
                )
    territories = sorted(  # a domestic demand imports nothing: no customs rules needed
        {
            network.territory_of(d.market)
            for d in scenario.demands
            if d.market in markets
            and d.origin in network.node_by_id
            and not is_domestic(network, d.origin, d.market)
        }
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
    problems += simulation_problems(scenario, network)
    raise_if_any(problems)


def simulation_problems(
    scenario: sr.Scenario, network: Network, *, after_what_if: bool = False
) -> list[Problem]:
    """Disruption targets of the ``simulation:`` section that ``network`` does not have."""
    problems = []
    known = {
        "lane": sorted(network.lane_by_id),
        "node": sorted(network.node_by_id),
        "corridor": sorted({c for x in network.lanes for c in x.corridor}),
    }
    lines = scenario.simulation_lines
    for i, d in enumerate(scenario.simulation.disruptions):
        kind, target = next((k, v) for k in known if (v := getattr(d, k)) is not None)
        if target not in known[kind]:
            problems.append(
                Problem(
                    str(scenario.path),
                    f"unknown {kind}"
                    + (
                        " (not in the network, or closed by what_if)"
                        if after_what_if
                        else " (not in the network)"
                    ),
                    row=lines[i] if i < len(lines) else None,
                    field=f"simulation.disruptions[{i}].{kind}",
                    value=target,
                    expected=suggest(target, known[kind], f"a {kind} id of the network"),
                )
            )
    return problems


def scenario_markdown() -> str:
    """The scenario format as markdown tables (docs/scenario.md is checked against this)."""
    titles = {"": "top level", "demands[]": "demands[] (or demands_csv columns)"}
    return "\n".join(
        markdown_table(titles.get(name, name), specs)
        for name, specs in SECTIONS.items()
        if name not in SIMULATION_SECTIONS  # in docs/simulate.md
    )
