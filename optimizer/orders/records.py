"""Frozen records for order-level routing on scheduled services.

A :class:`ScheduledService` is a carrier lane that departs only on certain
weekdays (or listed dates) and takes a whole number of days; an
:class:`Order` is a concrete consignment ready on one date and due by another.
Readers (our YAML format, the hzjken importer) produce these; the model
builder and writers see nothing else.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from optimizer.fields import WEEKDAYS


def lead_days(*hours: float) -> int:
    """Whole days a leg takes: ``ceil(sum of hours / 24)`` (the hzjken convention).

    A leg departing on day ``t`` arrives on day ``t + lead_days``; the goods may
    take another departure that same arrival day.
    """
    total = float(sum(hours))
    return max(0, math.ceil(round(total, 9) / 24.0))


@dataclass(frozen=True, slots=True)
class ScheduledService:
    """One directed scheduled lane.

    Costs: ``fixed_cost_per_departure`` once per departure that carries
    anything, ``cost_per_container`` (the sum of the per-container components:
    handling, fuel, documents, equipment, extra) per container used;
    ``warehouse_cost_per_m3_day`` is the dwell rate at the *origin* node when
    that node is a warehouse (``None`` otherwise: goods may not wait there).
    ``transit_duty_rate`` is a fraction of the order value charged per use.
    ``cutoff_days`` is how many days before departure goods must be at the
    origin node.
    """

    id: str
    origin: str
    dest: str
    mode: str
    carrier: str
    container_m3: float
    fixed_cost_per_departure: float
    cost_per_container: float
    warehouse_cost_per_m3_day: float | None
    transit_duty_rate: float
    lead_days: int
    weekdays: frozenset[int] = frozenset()  # 0 = Monday
    dates: frozenset[dt.date] = frozenset()
    cutoff_days: int = 0

    def departs_on(self, day: dt.date) -> bool:
        """True when the service has a departure on ``day``."""
        return day.weekday() in self.weekdays or day in self.dates

    @property
    def schedule_text(self) -> str:
        """Human form of the schedule, e.g. ``"Wed Sat"``."""
        parts = [WEEKDAYS[d] for d in sorted(self.weekdays)]
        parts += [d.isoformat() for d in sorted(self.dates)]
        return " ".join(parts) or "never"


@dataclass(frozen=True, slots=True)
class Order:
    """One order to route: ``volume_m3`` of goods worth ``value``.

    ``import_tax_rate`` is a fraction of value paid on import (0 for domestic
    journeys). An unsplittable order travels as one piece on one path.
    """

    id: str
    origin: str
    dest: str
    value: float
    weight_kg: float
    volume_m3: float
    ready: dt.date
    due: dt.date
    import_tax_rate: float
    splittable: bool = False
    commodity: str = ""


@dataclass(frozen=True, slots=True)
class OrdersScenario:
    """Services and orders, validated; warehouse dwell rates per node derived once."""

    name: str
    services: tuple[ScheduledService, ...]
    orders: tuple[Order, ...]
    source: str = ""
    warehouse_rates: dict[str, float] = field(default_factory=dict, compare=False)
    #: Candidate routes per (origin, dest): service-id sequences. When an order's pair is
    #: listed, its arcs are restricted to dated itineraries along these routes (network
    #: scenarios, see :func:`optimizer.orders.expand.itinerary_arcs`); otherwise the full
    #: time-expanded network is used (exact).
    routes: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = field(
        default_factory=dict, compare=False
    )

    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node named by a service, sorted."""
        return tuple(sorted({s.origin for s in self.services} | {s.dest for s in self.services}))

    @property
    def first_day(self) -> dt.date:
        """Start of the day grid: the earliest ready date."""
        return min(o.ready for o in self.orders)

    @property
    def last_day(self) -> dt.date:
        """End of the day grid: the latest due date."""
        return max(o.due for o in self.orders)


def warehouse_rates(services: tuple[ScheduledService, ...]) -> dict[str, float]:
    """Dwell rate per warehouse node, from the services leaving it.

    A node is a warehouse when a service leaving it states a rate. Readers
    check that the rates agree; the highest is used if they do not.
    """
    rates: dict[str, float] = {}
    for s in services:
        if s.warehouse_cost_per_m3_day is not None:
            rates[s.origin] = max(rates.get(s.origin, 0.0), s.warehouse_cost_per_m3_day)
    return rates


def make_scenario(
    name: str,
    services: tuple[ScheduledService, ...],
    orders: tuple[Order, ...],
    source: str = "",
    routes: dict[tuple[str, str], tuple[tuple[str, ...], ...]] | None = None,
) -> OrdersScenario:
    """Build an :class:`OrdersScenario` with its derived warehouse rates."""
    return OrdersScenario(name, services, orders, source, warehouse_rates(services), routes or {})
