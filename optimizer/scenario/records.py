"""Frozen records of a planning scenario (what to plan, on which network, how).

Units: orders per week, kg, m³, days; money in US dollars internally (the
scenario's ``currency`` is converted on reading and used for reporting).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from optimizer.network.records import Channel, Network, NodeKind

#: Demand noise models and stock-out policies of the ``simulation:`` section.
NOISES = ("poisson", "cv", "none")
STOCKOUTS = ("fallback-direct", "backorder")

#: Defaults written once (the scenario reader's specs, the route search and the quote use them).
MAX_LEGS = 7  # most lanes in one route
HOLDING_RATE_PER_YEAR = 0.25  # carrying cost: share of goods value per year


class Pattern(StrEnum):
    """Fulfilment patterns (DESIGN.md §2; docs/model.md "Flows").

    The first three are cross-border retail flows; ``b2b-direct`` (9710) is a business
    consignment cleared as a normal import; ``domestic`` is an origin and a market in
    one customs territory: nothing is imported, no customs applies.
    """

    DIRECT = "direct-package"  # 9610: one parcel per order, end to end
    BONDED = "bonded-warehouse"  # 1210: bulk into a bonded zone, per-order release
    OVERSEAS = "overseas-warehouse"  # 9810: bulk commercial import, local fulfilment
    B2B = "b2b-direct"  # 9710: a business consignment, normal import, no retail step
    DOMESTIC = "domestic"  # origin and market in one customs territory: no customs

    @property
    def uses_stock(self) -> bool:
        return self in _STOCK_KIND

    @property
    def clears_customs(self) -> bool:
        """Whether the goods are imported (every pattern but ``domestic``)."""
        return self is not Pattern.DOMESTIC

    @property
    def channel(self) -> Channel:
        """The customs channel the goods enter by (which rules and relief apply).

        ``domestic`` imports nothing: callers check :attr:`clears_customs` first.
        """
        if self is Pattern.DOMESTIC:
            raise ValueError("a domestic flow is not imported: it has no customs channel")
        return _CHANNEL[self]

    @property
    def stock_kind(self) -> NodeKind | None:
        """The kind of node that holds this pattern's stock (None for per-order flows)."""
        return _STOCK_KIND.get(self)


_CHANNEL = {
    Pattern.DIRECT: Channel.PARCEL,
    Pattern.BONDED: Channel.BONDED,
    Pattern.OVERSEAS: Channel.COMMERCIAL,
    Pattern.B2B: Channel.COMMERCIAL,  # a normal import: full duty and VAT, no low-value relief
}
_STOCK_KIND = {Pattern.BONDED: NodeKind.BONDED_ZONE, Pattern.OVERSEAS: NodeKind.OVERSEAS_WAREHOUSE}

#: Patterns a demand or quote may use when it names none: every pattern but ``b2b-direct``
#: (a consumer order is not a business consignment: B2B is chosen explicitly). Which of them
#: apply to an (origin, market) pair is decided by :func:`optimizer.network.domestic.flow_patterns`.
DEFAULT_PATTERNS = (
    Pattern.DIRECT,
    Pattern.BONDED,
    Pattern.OVERSEAS,
    Pattern.DOMESTIC,
)


@dataclass(frozen=True, slots=True)
class Demand:
    id: str
    origin: str
    market: str
    category: str
    orders_per_week: float
    weight_kg: float  # actual gross weight of one order's parcel
    volume_m3: float  # volume of one order's parcel
    value_usd: float  # declared value of one order
    sla_days: float  # P90 customer-facing lead time the demand must meet
    patterns: tuple[Pattern, ...] = DEFAULT_PATTERNS
    items_per_order: int = 1
    hs_code: str = ""  # HS code priced (digits); "" = the category's representative code


@dataclass(frozen=True, slots=True)
class Inventory:
    holding_rate_per_year: float = HOLDING_RATE_PER_YEAR  # share of goods value per year
    service_level: float = 0.95  # cycle service level for safety stock
    replenishment_days: float = 14.0  # interval between bulk shipments
    demand_cv: float = 0.3  # weekly demand coefficient of variation


@dataclass(frozen=True, slots=True)
class Objective:
    value_of_day_per_order: float = 0.0  # USD per order per day of mean customer lead time
    co2e_price_per_tonne: float = 0.0  # USD per tonne CO2e


@dataclass(frozen=True, slots=True)
class Options:
    single_route: bool = False
    max_routes_per_demand: int | None = None  # most routes the plan may use per demand
    candidates_per_pattern: int = 200  # best candidate routes kept per demand and pattern
    unmet_penalty_per_order: float = 1000.0  # USD per order not served
    max_legs: int = MAX_LEGS
    #: Share of China CBEC (parcel/bonded) orders past the RMB 26,000 annual limit per
    #: consumer: they clear as general trade (a normal import) instead (docs/model.md).
    cbec_over_limit_share: float = 0.0


@dataclass(frozen=True, slots=True)
class SolverOptions:
    time_limit_s: float | None = 60.0
    relative_gap: float = 1e-4
    seed: int = 0
    backend: str = "SCIP"


@dataclass(frozen=True, slots=True)
class CostMultiplier:
    factor: float
    mode: str | None = None
    lane: str | None = None
    corridor: str | None = None

    def applies(self, lane_id: str, mode: str, corridor: tuple[str, ...]) -> bool:
        return (
            (self.mode is None or self.mode == mode)
            and (self.lane is None or self.lane == lane_id)
            and (self.corridor is None or self.corridor in corridor)
        )


@dataclass(frozen=True, slots=True)
class WhatIf:
    cost_multipliers: tuple[CostMultiplier, ...] = ()
    closed_nodes: tuple[str, ...] = ()
    closed_lanes: tuple[str, ...] = ()
    closed_corridors: tuple[str, ...] = ()
    customs_rules_csv: Path | None = None  # replaces rules with the same id, adds new ones
    assumptions_off: tuple[str, ...] = ()  # fee assumptions switched off (their fees are 0)


@dataclass(frozen=True, slots=True)
class AppliedWhatIf:
    """One what-if override as applied to the network: what it changed and how much.

    ``what``: closed_node | closed_lane | closed_corridor | cost_multiplier |
    customs_rules | assumption; ``target`` names what it selects (a node, lane or
    corridor id, ``mode=sea_fcl``, a rules file, an assumption id); ``change`` says
    what it did ("closed", "freight x 2", "off"); the counts are what it touched.
    """

    what: str
    target: str
    change: str
    lanes: int = 0
    nodes: int = 0
    rules: int = 0

    def describe(self) -> str:
        touched = [
            f"{n} {name}{'' if n == 1 else 's'}"
            for n, name in ((self.lanes, "lane"), (self.nodes, "node"), (self.rules, "rule"))
            if n
        ]
        return f"{self.what} {self.target}: {self.change} ({', '.join(touched) or 'nothing'})"


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


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    network_path: Path
    plan_date: dt.date
    currency: str
    demands: tuple[Demand, ...]
    inventory: Inventory = field(default_factory=Inventory)
    objective: Objective = field(default_factory=Objective)
    options: Options = field(default_factory=Options)
    solver: SolverOptions = field(default_factory=SolverOptions)
    what_if: WhatIf = field(default_factory=WhatIf)
    simulation: SimConfig = field(default_factory=SimConfig)
    demand_lines: tuple[tuple[str, str, int], ...] = ()  # (demand id, file, line) for messages
    simulation_lines: tuple[int, ...] = ()  # line of each simulation.disruptions item
    #: The what-ifs as applied to the network (filled by :func:`optimizer.scenario.load.load`).
    applied_what_ifs: tuple[AppliedWhatIf, ...] = ()
