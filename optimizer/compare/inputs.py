"""The two sides of a comparison: a plan folder, a ``plan.json``, or a scenario solved now.

A side knows its plan document (``plan.json`` data) and, when it can find it, its
scenario and what-if network — given directly, or as ``scenario.yaml`` beside the plan
(sweep point folders keep one) — which lets the comparison re-cost one side's routes
under the other side's inputs and list the customs rules whose dates differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.network.records import Network
from optimizer.scenario.records import AppliedWhatIf, Scenario, WhatIf

SCENARIO_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Side:
    """One side: its label, what was given, the plan document, and its inputs if known."""

    label: str
    source: str
    doc: dict[str, Any]
    scenario: Scenario | None = None
    network: Network | None = None

    @property
    def what_ifs(self) -> tuple[str, ...]:
        """The what-ifs applied: the plan's own ``what_ifs`` list, else the scenario's."""
        recorded = self.doc.get("what_ifs")
        if isinstance(recorded, list):
            return tuple(_recorded_what_if(item) for item in recorded)
        if self.scenario is not None:
            return describe_what_if(self.scenario.what_if)
        return ()

    @property
    def what_ifs_known(self) -> bool:
        return isinstance(self.doc.get("what_ifs"), list) or self.scenario is not None


def _recorded_what_if(item: Any) -> str:
    """One entry of plan.json's ``what_ifs`` in words (as the run's report says it)."""
    if isinstance(item, str):
        return item
    try:
        return AppliedWhatIf(**item).describe()
    except TypeError:  # not the shape xborder run writes: show it as it is
        return json.dumps(item, sort_keys=True)


def describe_what_if(what_if: WhatIf) -> tuple[str, ...]:
    """A scenario's what-if section in words, one line per override."""
    lines = []
    for m in what_if.cost_multipliers:
        target = " ".join(
            f"{k} {v}"
            for k, v in (("mode", m.mode), ("lane", m.lane), ("corridor", m.corridor))
            if v
        )
        lines.append(f"freight × {m.factor:g} on {target}")
    for name, ids in (
        ("closed corridors", what_if.closed_corridors),
        ("closed nodes", what_if.closed_nodes),
        ("closed lanes", what_if.closed_lanes),
    ):
        if ids:
            lines.append(f"{name}: {', '.join(ids)}")
    if what_if.customs_rules_csv is not None:
        lines.append(f"customs rules from {what_if.customs_rules_csv.name}")
    return tuple(lines)


def read_side(label: str, path: Path) -> Side:
    """Read one side; bad input (no plan, a broken scenario) raises :class:`InputError`."""
    if path.is_file() and path.suffix.lower() in SCENARIO_SUFFIXES:
        from optimizer.plan.writers import plan_dict
        from optimizer.scenario.load import load
        from optimizer.solve.optimize import optimize

        scenario, network, _ = load(path)
        return Side(label, str(path), plan_dict(optimize(scenario, network)), scenario, network)
    plan_file = _plan_file(path)
    if plan_file is None:
        raise InputError(
            [
                Problem(
                    str(path),
                    "no plan here",
                    field=label,
                    expected="a plan folder (xborder run -o DIR), a plan.json or a scenario .yaml",
                )
            ]
        )
    try:
        doc = json.loads(plan_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            [Problem(str(plan_file), f"cannot read plan: {exc}", field=label)]
        ) from None
    if not isinstance(doc, dict) or "demands" not in doc or "totals" not in doc:
        raise InputError(
            [
                Problem(
                    str(plan_file),
                    "not a plan.json",
                    field=label,
                    expected="plan.json of xborder run",
                )
            ]
        )
    known, net = _beside(plan_file)
    return Side(label, str(path), doc, known, net)


def _plan_file(path: Path) -> Path | None:
    for candidate in (path, path / "plan.json", path / "plan" / "plan.json"):
        if candidate.is_file() and candidate.name.endswith(".json"):
            return candidate
    return None


def _beside(plan_file: Path) -> tuple[Scenario | None, Network | None]:
    """The scenario next to a plan (its folder or the one above), if it still loads."""
    from optimizer.scenario.load import load

    for folder in (plan_file.parent, plan_file.parent.parent):
        candidate = folder / "scenario.yaml"
        if candidate.is_file():
            try:
                scenario, network, _ = load(candidate)
            except InputError:
                return None, None
            return scenario, network
    return None, None
