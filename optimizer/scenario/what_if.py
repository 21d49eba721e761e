"""Resolve a scenario's what-if overrides against its network before they are applied.

A what-if that matches nothing used to run as the baseline (``closed_corridors:
[suezz]`` gave exactly the baseline objective): the planner believed a
scenario that was never computed. Here every override must resolve —

- node, lane, mode and corridor names exist (the known values and a "did you
  mean" otherwise);
- a cost multiplier names exactly one of ``mode``, ``lane``, ``corridor``, and
  no lane is matched by two multipliers (compound or override would be a guess);
- every override touches at least one lane, node or rule (a multiplier on lanes
  that a closure already removed touches nothing);
- nothing is listed twice;

and what each one did is returned as :class:`AppliedWhatIf` records, which the
plan echoes (report and ``plan.json``'s ``what_ifs``).
"""

from __future__ import annotations

import difflib
from pathlib import Path

from optimizer.errors import Problem, raise_if_any
from optimizer.network import records as r
from optimizer.network.reader import build_rules, parse_row
from optimizer.network.schema import load_schema
from optimizer.network.tables import ParsedRow, header_problems, read_csv_rows
from optimizer.scenario.records import AppliedWhatIf, CostMultiplier, WhatIf

_SELECTORS = ("mode", "lane", "corridor")


def _unknown(file: str, field: str, value: str, known: list[str], what: str) -> Problem:
    hint = difflib.get_close_matches(value, known, n=1)
    shown = ", ".join(known) if len(known) <= 40 else ", ".join(known[:40]) + ", ..."
    expected = f"one of the network's {what}s: {shown}"
    if hint:
        expected = f"did you mean {hint[0]!r}? ({expected})"
    return Problem(file, f"unknown {what}", field=field, value=value, expected=expected)


def _twice(file: str, field: str, values: tuple[str, ...]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for v in values:
        if v in seen:
            problems.append(Problem(file, "listed twice", field=field, value=v))
        seen.add(v)
    return problems


def resolve_what_if(network: r.Network, what_if: WhatIf, file: str) -> tuple[AppliedWhatIf, ...]:
    """What each override of ``what_if`` touches on ``network``; raise if any is wrong.

    Unknown node and lane ids are reported by
    :func:`optimizer.scenario.reader.check_against_network` first.
    """
    problems: list[Problem] = []
    applied: list[AppliedWhatIf] = []
    lanes = network.lanes
    problems += _twice(file, "what_if.closed_nodes", what_if.closed_nodes)
    problems += _twice(file, "what_if.closed_lanes", what_if.closed_lanes)
    problems += _twice(file, "what_if.closed_corridors", what_if.closed_corridors)
    closed: set[str] = set()
    for node in dict.fromkeys(what_if.closed_nodes):
        if node not in network.node_by_id:
            continue
        hit = {x.id for x in lanes if node in (x.origin, x.dest)}
        if not hit:
            problems.append(
                Problem(
                    file,
                    "closing this node changes nothing: no lane starts or ends there",
                    field="what_if.closed_nodes",
                    value=node,
                )
            )
        closed |= hit
        applied.append(AppliedWhatIf("closed_node", node, "closed", lanes=len(hit), nodes=1))
    for lane in dict.fromkeys(what_if.closed_lanes):
        if lane in network.lane_by_id:
            closed.add(lane)
            applied.append(AppliedWhatIf("closed_lane", lane, "closed", lanes=1))
    tags = sorted({c for x in lanes for c in x.corridor})
    for tag in dict.fromkeys(what_if.closed_corridors):
        hit = {x.id for x in lanes if tag in x.corridor}
        if not hit:
            problems.append(_unknown(file, "what_if.closed_corridors", tag, tags, "corridor tag"))
            continue
        closed |= hit
        applied.append(AppliedWhatIf("closed_corridor", tag, "closed", lanes=len(hit)))
    open_lanes = [x for x in lanes if x.id not in closed]
    by_lane: dict[str, int] = {}
    for i, m in enumerate(what_if.cost_multipliers, start=1):
        field = f"what_if.cost_multipliers[{i}]"
        chosen = [(k, getattr(m, k)) for k in _SELECTORS if getattr(m, k) is not None]
        if len(chosen) != 1:
            problems.append(
                Problem(
                    file,
                    "a multiplier selects lanes by exactly one of mode, lane, corridor",
                    field=field,
                    value=", ".join(f"{k}: {v}" for k, v in chosen) or None,
                    expected="one multiplier per selector (several selectors in one "
                    "multiplier would be ambiguous: all of them, or any?)",
                )
            )
            continue
        key, value = chosen[0]
        problem = _check_selector(network, file, f"{field}.{key}", key, value, tags)
        if problem is not None:
            problems.append(problem)
            continue
        selected = [x.id for x in open_lanes if _applies(m, x)]
        if not selected:
            problems.append(
                Problem(
                    file,
                    "the multiplier touches no lane: every lane it selects is closed",
                    field=field,
                    value=f"{key}: {value}",
                )
            )
            continue
        for lane in selected:
            if lane in by_lane:
                problems.append(
                    Problem(
                        file,
                        f"lane {lane} is selected by multipliers {by_lane[lane]} and {i}",
                        field=field,
                        value=f"{key}: {value}",
                        expected="multipliers that select disjoint lanes (whether two "
                        "factors compound or the last wins would be a guess)",
                    )
                )
                break
            by_lane[lane] = i
        applied.append(
            AppliedWhatIf(
                "cost_multiplier", f"{key}={value}", f"freight x {m.factor:g}", len(selected)
            )
        )
    if what_if.customs_rules_csv is not None:
        rules = read_rules(what_if.customs_rules_csv)
        known = {rule.id for rule in network.customs_rules}
        replaced = sum(rule.id in known for rule in rules)
        if not rules:
            problems.append(
                Problem(
                    str(what_if.customs_rules_csv),
                    "the customs rules file has no rules: nothing changes",
                    field="what_if.customs_rules_csv",
                )
            )
        applied.append(
            AppliedWhatIf(
                "customs_rules",
                what_if.customs_rules_csv.name,
                f"{replaced} replaced, {len(rules) - replaced} added",
                rules=len(rules),
            )
        )
    for name in what_if.assumptions_off:
        problem, n = _assumption(network, file, name)
        if problem is not None:
            problems.append(problem)
            continue
        applied.append(AppliedWhatIf("assumption", name, "off: its fees are 0", rules=n))
    raise_if_any(problems)
    return tuple(applied)


def _assumption(network: r.Network, file: str, name: str) -> tuple[Problem | None, int]:
    """(problem, rules whose fee rests on assumption ``name``)."""
    field = f"what_if.assumptions.{name}"
    fees = sorted(a.id for a in network.assumptions if a.kind is r.AssumptionKind.FEE)
    found = network.assumption_by_id.get(name)
    if found is None:
        return _unknown(file, field, name, fees, "fee assumption"), 0
    if found.kind is not r.AssumptionKind.FEE:
        return (
            Problem(
                file,
                "a model assumption names how xborder computes; it cannot be switched off",
                field=field,
                value=name,
                expected="one of the fee assumptions: " + ", ".join(fees),
            ),
            0,
        )
    n = sum(1 for x in network.customs_rules if x.fee_assumption == name and x.clearance_fee > 0)
    if not n:
        return Problem(file, "no customs rule charges a fee on this assumption", field=field), 0
    return None, n


def _applies(m: CostMultiplier, lane: r.Lane) -> bool:
    return m.applies(lane.id, lane.mode.value, lane.corridor)


def _check_selector(
    network: r.Network, file: str, field: str, key: str, value: str, tags: list[str]
) -> Problem | None:
    if key == "mode":
        modes = [m.value for m in r.Mode]
        return None if value in modes else _unknown(file, field, value, modes, "mode")
    if key == "lane":
        ids = sorted(network.lane_by_id)
        return None if value in network.lane_by_id else _unknown(file, field, value, ids, "lane")
    return None if value in tags else _unknown(file, field, value, tags, "corridor tag")


def read_rules(path: Path) -> list[r.CustomsRule]:
    """Customs rules of a what-if rules file (the network's customs_rules format)."""
    attrs = load_schema()["customs_rules"]
    problems: list[Problem] = []
    if not path.is_file():
        raise_if_any(
            [
                Problem(
                    str(path),
                    "customs rules file not found",
                    field="what_if.customs_rules_csv",
                    expected="a CSV file in the format of customs_rules.csv",
                )
            ]
        )
    rows, header, read_problems = read_csv_rows(path)
    problems += read_problems + header_problems(str(path), header, attrs)
    parsed: list[ParsedRow] = [
        parse_row(str(path), line, cells, attrs, problems) for line, cells in rows
    ]
    raise_if_any(problems)
    return build_rules(parsed)
