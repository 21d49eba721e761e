"""Frozen records of a planning scenario (what to plan, on which network, how).

Units: orders per week, kg, m³, days; money in US dollars internally (the
scenario's ``currency`` is converted on reading and used for reporting).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Pattern(StrEnum):
    """Fulfilment patterns (DESIGN.md §2)."""

    DIRECT = "direct-package"  # 9610: one parcel per order, end to end
    BONDED = "bonded-warehouse"  # 1210: bulk into a bonded zone, per-order release
    OVERSEAS = "overseas-warehouse"  # 9810: bulk commercial import, local fulfilment

    @property
    def uses_stock(self) -> bool:
        return self is not Pattern.DIRECT


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
    patterns: tuple[Pattern, ...] = tuple(Pattern)
    items_per_order: int = 1


@dataclass(frozen=True, slots=True)
class Inventory:
    holding_rate_per_year: float = 0.25  # share of goods value per year
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
    max_legs: int = 7


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
    demand_lines: tuple[tuple[str, str, int], ...] = ()  # (demand id, file, line) for messages
    #: The what-ifs as applied to the network (filled by :func:`optimizer.scenario.load.load`).
    applied_what_ifs: tuple[AppliedWhatIf, ...] = ()
