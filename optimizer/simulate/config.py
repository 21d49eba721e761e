"""Simulation settings: the ``simulation:`` section of a scenario, parsed and checked.

The scenario reader reserves the top-level ``simulation:`` mapping and ignores
it; this module re-reads the scenario file and parses that section with its
own field specs (the same machinery as the rest of the scenario, so a bad
value is reported with file, line and field and the command exits 2). Ids in
``disruptions`` are checked against the network the plan runs on (after the
scenario's what-ifs), with "did you mean" hints.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError, Problem, raise_if_any
from optimizer.network.records import Network
from optimizer.scenario import reader
from optimizer.scenario.fields import Spec

NOISES = ("poisson", "cv", "none")
STOCKOUTS = ("fallback-direct", "backorder")

SIMULATION = (
    Spec(
        "trials",
        "int",
        "Independent replications of the horizon.",
        default=200,
        lo=1,
        hi=10_000_000,
    ),
    Spec("seed", "int", "Seed of the numpy Generator (same seed, same numbers).", default=0, lo=0),
    Spec(
        "horizon_weeks",
        "int",
        "Weeks of orders simulated per trial.",
        default=13,
        lo=1,
        hi=520,
        unit="weeks",
    ),
    Spec(
        "demand_noise",
        "enum:" + "|".join(NOISES),
        "Orders per day: poisson counts, cv "
        "(weekly rate gamma-distributed with demand_cv, then Poisson), or none "
        "(the planned rate, rounded).",
        default="poisson",
    ),
    Spec(
        "demand_cv",
        "float",
        "CV of weekly demand for demand_noise cv (default: the scenario's inventory.demand_cv).",
        default=None,
        lo=0,
        hi=5,
    ),
    Spec(
        "stockout",
        "enum:" + "|".join(STOCKOUTS),
        "What an order finding no stock does: "
        "ship direct-package by the fallback route, or wait for the next replenishment.",
        default="fallback-direct",
    ),
    Spec("disruptions", "list", "Lane, node or corridor disruptions (below)."),
)
DISRUPTION = (
    Spec("name", "str", "Label used in reports (default: the target)."),
    Spec("lane", "str", "Lane id disrupted."),
    Spec("node", "str", "Node id disrupted (every lane from or to it, and its handling)."),
    Spec("corridor", "str", "Corridor tag disrupted (every lane tagged with it, e.g. suez)."),
    Spec(
        "probability_per_week",
        "float",
        "Chance that a disruption starts in a given week.",
        required=True,
        lo=0,
        hi=1,
    ),
    Spec(
        "duration_weeks",
        "int",
        "Weeks a disruption lasts once started.",
        default=1,
        lo=1,
        hi=104,
        unit="weeks",
    ),
    Spec(
        "closure",
        "bool",
        "True: closed (no departures, no handling) while it lasts.",
        default=False,
    ),
    Spec(
        "extra_delay_days",
        "float",
        "Or: extra days on every passage while it lasts.",
        default=0.0,
        lo=0,
        hi=365,
        unit="d",
    ),
)


@dataclass(frozen=True, slots=True)
class Disruption:
    """A random disruption: starts in a week with ``probability_per_week``, lasts a while.

    Exactly one of ``lane``, ``node``, ``corridor`` is set. A closure cancels
    departures (and handling at a node) while active; otherwise every passage
    while active takes ``extra_delay_days`` longer.
    """

    name: str
    probability_per_week: float
    duration_weeks: int = 1
    closure: bool = False
    extra_delay_days: float = 0.0
    lane: str | None = None
    node: str | None = None
    corridor: str | None = None

    def lanes(self, network: Network) -> tuple[str, ...]:
        """The lanes this disruption acts on (sorted)."""
        if self.lane is not None:
            return (self.lane,)
        if self.node is not None:
            return tuple(sorted(x.id for x in network.lanes if self.node in (x.origin, x.dest)))
        return tuple(sorted(x.id for x in network.lanes if self.corridor in x.corridor))


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything the engine needs besides the plan, scenario and network."""

    trials: int = 200
    seed: int = 0
    horizon_weeks: int = 13
    demand_noise: str = "poisson"
    demand_cv: float | None = None  # None: the scenario's inventory.demand_cv
    stockout: str = "fallback-direct"
    disruptions: tuple[Disruption, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if self.trials < 1:
            problems.append("trials must be >= 1")
        if self.horizon_weeks < 1:
            problems.append("horizon_weeks must be >= 1")
        if self.seed < 0:
            problems.append("seed must be >= 0")
        if self.demand_noise not in NOISES:
            problems.append(f"demand_noise must be one of {', '.join(NOISES)}")
        if self.stockout not in STOCKOUTS:
            problems.append(f"stockout must be one of {', '.join(STOCKOUTS)}")
        for d in self.disruptions:
            if not 0.0 <= d.probability_per_week <= 1.0:
                problems.append(f"disruption {d.name}: probability_per_week outside [0, 1]")
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def read_config(scenario_path: str | Path, network: Network) -> SimConfig:
    """The ``simulation:`` section of a scenario file (defaults when it is absent).

    Raises :class:`InputError` naming file, line and field for every bad value,
    and for disruption targets the network does not know.
    """
    path = Path(scenario_path)
    ctx = reader._Ctx(str(path))
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(str(path), f"cannot read the scenario: {exc}")]) from None
    node = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "simulation":
                node = value
    if node is None:
        return SimConfig()
    values = reader._section(node, SIMULATION, ctx, "simulation")
    disruptions = []
    seq = values.pop("disruptions")
    for i, item in enumerate(seq.value if seq is not None else []):
        d = _disruption(item, i, ctx, network)
        if d is not None:
            disruptions.append(d)
    raise_if_any(ctx.problems)
    return SimConfig(disruptions=tuple(disruptions), **values)


def _disruption(item: yaml.Node, i: int, ctx: Any, network: Network) -> Disruption | None:
    where = f"simulation.disruptions[{i}]"
    v = reader._section(item, DISRUPTION, ctx, where)
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
    target = str(v[kind])
    known = {
        "lane": sorted(network.lane_by_id),
        "node": sorted(network.node_by_id),
        "corridor": sorted({c for x in network.lanes for c in x.corridor}),
    }[kind]
    if target not in known:
        hint = difflib.get_close_matches(target, known, n=1)
        ctx.problems.append(
            Problem(
                ctx.file,
                f"unknown {kind} (not in the network, or closed by what_if)",
                row=line,
                field=f"{where}.{kind}",
                value=target,
                expected=f"did you mean {hint[0]!r}?" if hint else f"a {kind} id of the network",
            )
        )
        return None
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
    return Disruption(
        name=v["name"] or f"{kind} {target}",
        probability_per_week=v["probability_per_week"],
        duration_weeks=v["duration_weeks"],
        closure=v["closure"],
        extra_delay_days=v["extra_delay_days"],
        **{kind: target},
    )


def config_markdown() -> str:
    """The ``simulation:`` section as markdown tables (for docs/simulate.md)."""
    from optimizer.scenario.fields import markdown_table

    return "\n".join(
        [
            markdown_table("simulation", SIMULATION),
            markdown_table("simulation.disruptions[]", DISRUPTION),
        ]
    )
