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
from optimizer.network.coverage import customs_coverage_problems, reachable_pairs
from optimizer.scenario.reader import read_scenario
from optimizer.scenario.records import Scenario, WhatIf
from optimizer.scenario.what_if import read_rules, resolve_what_if

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

    Every what-if must resolve and touch something (:mod:`optimizer.scenario.what_if`);
    what each did is kept in ``scenario.applied_what_ifs`` for the plan to echo.
    """
    scenario, network, warnings = read_scenario(path, known=known)
    scenario, network = prepare(scenario, network)
    return scenario, network, warnings


def prepare(scenario: Scenario, network: r.Network) -> tuple[Scenario, r.Network]:
    """Resolve the scenario's what-ifs on ``network`` and apply them.

    Raises :class:`~optimizer.errors.InputError` when a what-if does not resolve or
    touches nothing, or when replaced customs rules leave a reached territory uncovered.
    Returns the scenario with ``applied_what_ifs`` filled and the what-if network, which
    converts money at the rates in force on the plan date (fx.csv's dated rows).
    """
    network = network.fx_on(scenario.plan_date)  # money at the plan date's rates (fx.csv)
    applied = resolve_what_if(network, scenario.what_if, str(scenario.path))
    changed = apply_what_if(network, scenario.what_if)
    if scenario.what_if.customs_rules_csv is not None:  # the new rules must still cover
        # what the base network reaches (only computed when rules are replaced: every
        # sweep point passes here)
        territories = reachable_pairs(network)
        file = str(scenario.what_if.customs_rules_csv)
        raise_if_any(customs_coverage_problems(changed, file, territories))
    return dataclasses.replace(scenario, applied_what_ifs=applied), changed


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
    rules = tuple(
        dataclasses.replace(rule, clearance_fee=0.0)
        if rule.fee_assumption and rule.fee_assumption in what_if.assumptions_off
        else rule
        for rule in network.customs_rules
    )
    if what_if.customs_rules_csv is not None:
        replaced = {rule.id: rule for rule in rules}
        for rule in read_rules(what_if.customs_rules_csv):
            replaced[rule.id] = rule
        rules = tuple(sorted(replaced.values(), key=lambda x: x.id))
    return dataclasses.replace(
        network,
        nodes=tuple(n for n in network.nodes if n.id not in closed_nodes),
        lanes=tuple(new_lanes),
        tariffs=tuple(sorted(tariffs.values(), key=lambda t: t.id)),
        customs_rules=rules,
    )
