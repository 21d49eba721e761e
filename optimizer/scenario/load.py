"""Load a scenario with its network, apply what-if overrides, convert money to USD.

After :func:`load`, every stage sees a plain :class:`Network` (closed nodes,
lanes and corridors removed; cost multipliers baked into per-lane tariff
copies; replaced customs rules in place) and a scenario whose money is in
US dollars (converted by the reader as it builds the records), so no later
stage needs to know about what-ifs or currencies.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from optimizer.errors import Problem, raise_if_any
from optimizer.network import records as r
from optimizer.network.reader import build_rules, parse_row
from optimizer.network.schema import load_schema
from optimizer.network.tables import ParsedRow, header_problems, read_csv_rows
from optimizer.scenario.reader import read_scenario
from optimizer.scenario.records import Scenario, WhatIf

_PRICE_FIELDS = (
    "first_weight_price",
    "additional_step_price",
    "price_per_kg",
    "minimum_charge",
    "container_price",
)


def load(
    path: str | Path, *, known: tuple[Path, r.Network, list[Problem]] | None = None
) -> tuple[Scenario, r.Network, list[Problem]]:
    """Read scenario + network; return the scenario (money in USD), the what-if network and
    the network's warnings.

    ``known`` = (network path, network, its warnings) already read: used instead of
    reading the network again when the scenario names that path (sweeps solve many
    variants of one scenario; reading the global network is a quarter of a point's time).
    """
    scenario, network, warnings = read_scenario(path, known=known)
    return scenario, apply_what_if(network, scenario.what_if), warnings


def apply_what_if(network: r.Network, what_if: WhatIf) -> r.Network:
    """A new network with the overrides applied (the input is not changed)."""
    closed_nodes = set(what_if.closed_nodes)
    lanes = [
        lane
        for lane in network.lanes
        if lane.id not in what_if.closed_lanes
        and lane.origin not in closed_nodes
        and lane.dest not in closed_nodes
        and not set(lane.corridor) & set(what_if.closed_corridors)
    ]
    tariffs = {t.id: t for t in network.tariffs}
    new_lanes = []
    for lane in lanes:
        factor = 1.0
        for m in what_if.cost_multipliers:
            if m.applies(lane.id, lane.mode.value, lane.corridor):
                factor *= m.factor
        if factor != 1.0:
            base = tariffs[lane.tariff]
            scaled = dataclasses.replace(
                base,
                id=f"{base.id}@{lane.id}",
                breaks=tuple(
                    dataclasses.replace(b, price_per_kg=b.price_per_kg * factor)
                    for b in base.breaks
                ),
                **{
                    f: getattr(base, f) * factor
                    for f in _PRICE_FIELDS
                    if getattr(base, f) is not None
                },
            )
            tariffs[scaled.id] = scaled
            lane = dataclasses.replace(lane, tariff=scaled.id)
        new_lanes.append(lane)
    rules = network.customs_rules
    if what_if.customs_rules_csv is not None:
        replaced = {rule.id: rule for rule in rules}
        for rule in _read_rules(what_if.customs_rules_csv):
            replaced[rule.id] = rule
        rules = tuple(sorted(replaced.values(), key=lambda x: x.id))
    return dataclasses.replace(
        network,
        nodes=tuple(n for n in network.nodes if n.id not in closed_nodes),
        lanes=tuple(new_lanes),
        tariffs=tuple(sorted(tariffs.values(), key=lambda t: t.id)),
        customs_rules=rules,
    )


def _read_rules(path: Path) -> list[r.CustomsRule]:
    attrs = load_schema()["customs_rules"]
    problems: list[Problem] = []
    rows, header, read_problems = read_csv_rows(path)
    problems += read_problems + header_problems(str(path), header, attrs)
    parsed: list[ParsedRow] = [
        parse_row(str(path), line, cells, attrs, problems) for line, cells in rows
    ]
    raise_if_any(problems)
    return build_rules(parsed)
