"""Periodic-review base-stock model of one bonded or overseas warehouse allocation.

Every ``R`` days (the scenario's replenishment interval, rounded to whole
days) the warehouse orders up to the base stock ``S`` the plan's safety-stock
logic provisioned (docs/model.md):

    S = f · ((L + R) / 7 + z · sqrt((L + R) / 7 · cv² + σ_L² / 49))   orders

with ``f`` the allocation's planned orders per week, ``L`` and ``σ_L`` the
mean and standard deviation of the bulk lead time (days), ``z`` from the
service level and ``cv`` the scenario's demand CV. Each replenishment is a
shipment run through the bulk path of the same simulated world (timetables,
customs, disruptions), so a Suez closure drains the stock.

Time runs in whole days, vectorized over trials (a Python loop over days, not
orders): at the start of a day arrivals land and fill backorders (FIFO), on a
review day the order-up-to quantity is shipped, then the day's orders take
stock first come first served; the rest stock out. Day 0 starts in the steady
state of the policy: the pipeline holds the shipments of earlier reviews (each
``f · R / 7``, lead times drawn) and the inventory position is ``S − f · R / 7``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from optimizer.scenario.records import Inventory
from optimizer.simulate.routes import ServingRoute
from optimizer.simulate.world import World, run_path

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class StockOutcome:
    served: IntArray  # [trials, days] orders served from stock
    out: IntArray  # [trials, days] orders that found no stock
    filled: IntArray | None  # [trials, total_days] cumulative backorders filled (backorder)


def base_stock(route: ServingRoute, inventory: Inventory) -> tuple[float, int]:
    """(S in orders, review period in days) from the plan's safety-stock logic."""
    f = route.planned_orders
    weeks = (route.bulk_mean + inventory.replenishment_days) / 7.0
    z = NormalDist().inv_cdf(inventory.service_level)
    safety = z * math.sqrt(weeks * inventory.demand_cv**2 + (route.bulk_std / 7.0) ** 2)
    return f * (weeks + safety), max(1, round(inventory.replenishment_days))


def run_stock(
    route: ServingRoute,
    inventory: Inventory,
    demand: IntArray,
    world: World,
    rng: np.random.Generator,
    *,
    total_days: int,
    backorder: bool,
) -> StockOutcome:
    """Simulate the warehouse over ``demand`` ([trials, days] orders asking for stock)."""
    assert route.bulk is not None
    trials, days = demand.shape
    s_float, review = base_stock(route, inventory)
    level = math.ceil(s_float)
    per_review = round(route.planned_orders * review / 7.0)
    arrivals = np.zeros((trials, total_days + 1), dtype=np.int64)
    rows = np.arange(trials)
    starts = np.zeros(trials)
    on_order = np.zeros(trials, dtype=np.int64)
    # steady-state pipeline: shipments of past reviews still in transit at day 0
    for k in range(1, math.ceil((route.bulk_mean + 6.0 * route.bulk_std) / review) + 2):
        lead = run_path(route.bulk, world, rng, rows, starts)
        arrive = np.ceil(lead - k * review).astype(np.int64)
        moving = (arrive > 0) & (arrive <= total_days)
        arrivals[rows[moving], arrive[moving]] += per_review
        on_order += moving * per_review
    on_hand = np.maximum(level - per_review - on_order, 0)
    backlog = np.zeros(trials, dtype=np.int64)
    served = np.zeros((trials, days), dtype=np.int64)
    out = np.zeros((trials, days), dtype=np.int64)
    filled = np.zeros((trials, total_days), dtype=np.int64) if backorder else None
    done = np.zeros(trials, dtype=np.int64)
    last_day = total_days if backorder else days
    for day in range(last_day):
        landed = arrivals[:, day]
        on_hand += landed
        on_order -= landed
        if backorder:
            fill = np.minimum(backlog, on_hand)
            on_hand -= fill
            backlog -= fill
            done += fill
            assert filled is not None
            filled[:, day] = done
            if day >= days and not backlog.any():
                filled[:, day:] = done[:, None]
                break
        if day % review == 0:
            qty = np.maximum(level - (on_hand + on_order - backlog), 0)
            lead = run_path(route.bulk, world, rng, rows, np.full(trials, float(day)))
            arrive = np.maximum(np.ceil(lead).astype(np.int64), day + 1)
            ok = arrive <= total_days
            arrivals[rows[ok], arrive[ok]] += qty[ok]
            on_order += qty * ok
        if day < days:
            want = demand[:, day]
            take = np.minimum(want, on_hand)
            on_hand -= take
            served[:, day] = take
            out[:, day] = want - take
            if backorder:
                backlog += want - take
    return StockOutcome(served, out, filled)
