"""The routing result: per order the dated legs and its cost split; totals; status.

Results are data: an infeasible order is a record with its explanation, not
an exception. Per-order transport cost shares each departure's fixed and
container charges among the orders on it by volume, so the order costs add up
to the totals exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from optimizer.solve.settings import Backend, SolveStatus


@dataclass(frozen=True, slots=True)
class Leg:
    """One dated leg of an order's route."""

    service: str
    origin: str
    dest: str
    mode: str
    carrier: str
    depart: dt.date
    arrive: dt.date


@dataclass(frozen=True, slots=True)
class RoutePart:
    """A share of an order (1.0 unless the order was split) and its legs."""

    fraction: float
    legs: tuple[Leg, ...]

    @property
    def start(self) -> dt.date:
        return self.legs[0].depart

    @property
    def arrival(self) -> dt.date:
        return self.legs[-1].arrive


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """How one order travels and what it costs."""

    order: str
    origin: str
    dest: str
    ready: dt.date
    due: dt.date
    parts: tuple[RoutePart, ...]
    transport: float
    warehouse: float
    tax: float

    @property
    def arrival(self) -> dt.date:
        return max(p.arrival for p in self.parts)

    @property
    def total(self) -> float:
        return self.transport + self.warehouse + self.tax


@dataclass(frozen=True, slots=True)
class DepartureUse:
    """A dated departure the plan uses: containers and the orders on board."""

    service: str
    date: dt.date
    containers: int
    volume_m3: float
    orders: tuple[str, ...]
    cost: float


@dataclass(frozen=True, slots=True)
class Infeasible:
    """An order no dated path delivers by its due date, and why."""

    order: str
    due: dt.date
    earliest_arrival: dt.date | None
    blocking_service: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """The whole answer of ``xborder route``."""

    scenario: str
    status: SolveStatus
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    transport: float
    warehouse: float
    tax: float
    orders: tuple[OrderPlan, ...]
    departures: tuple[DepartureUse, ...]
    infeasible: tuple[Infeasible, ...]
    backend: Backend = Backend.SCIP
    variables: int = 0
    rows: int = 0
    greedy_objective: float | None = None  # the warm-start plan's cost, for comparison

    @property
    def total(self) -> float:
        return self.transport + self.warehouse + self.tax
