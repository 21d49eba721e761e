"""Headline figures of a plan, read from its ``plan.json`` data: what sweeps and compare report.

One function computes them from the plan document (:func:`optimizer.plan.writers.plan_dict`),
so a sweep row and a side-by-side comparison can never disagree on a figure. Money is in
the plan's currency, per order or per week as named.

``on_time_share`` is an estimate from the plan alone: per allocation, a lognormal lead
time through its mean and P90 (the optimizer's own summary of the route's distribution),
evaluated at the demand's SLA, weighted by orders; unmet orders count as late. ``xborder
simulate`` measures it order by order instead.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from optimizer.scenario.records import Pattern

PATTERNS = tuple(p.value for p in Pattern)
#: Cost lines of a plan, in the order reports show them.
COST_LINES = ("freight", "handling", "duties_taxes", "inventory")
_Z90 = NormalDist().inv_cdf(0.9)


def on_time_probability(mean: float, p90: float, sla: float) -> float:
    """P(lead time ≤ sla) for the lognormal with this mean and P90 (days)."""
    if sla <= 0:
        return 0.0
    if p90 <= 0 or mean <= 0:
        return 1.0
    if p90 <= mean:  # degenerate (no spread): a constant lead time
        return 1.0 if mean <= sla else 0.0
    # ln p90 = mu + z sigma, ln mean = mu + sigma²/2  =>  sigma² - 2 z sigma + 2 ln(p90/mean) = 0
    disc = _Z90 * _Z90 - 2.0 * math.log(p90 / mean)
    sigma = _Z90 - math.sqrt(disc) if disc > 0 else _Z90
    mu = math.log(p90) - _Z90 * sigma
    return NormalDist().cdf((math.log(sla) - mu) / sigma) if sigma > 0 else float(p90 <= sla)


#: The figures :func:`plan_metrics` gives beside status, objective and gap (one per column of
#: a sweep's points.parquet).
METRIC_KEYS = (
    "cost_per_order",
    *(f"{line}_per_order" for line in COST_LINES),
    "cost_per_week",
    "orders_per_week",
    "unmet_orders_per_week",
    "p50_days",
    "p90_days",
    "p90_days_max",
    "on_time_share",
    *(f"share_{p}" for p in PATTERNS),
    "share_unmet",
    "co2e_kg_per_order",
    "co2e_t_per_week",
    "stock_orders_per_week",
    "lanes_used",
    "containers_per_week",
)


def plan_metrics(doc: dict[str, Any]) -> dict[str, Any]:
    """Headline figures of a plan document (``None`` where the plan has no solution)."""
    totals = doc.get("totals")
    out: dict[str, Any] = {
        "status": doc.get("status"),
        "objective": doc.get("objective"),
        "gap": doc.get("gap"),
    }
    if totals is None:
        return {**out, **dict.fromkeys(METRIC_KEYS)}
    orders = float(totals["orders"])
    demanded = orders + float(totals["unmet_orders"])
    weighted = {"p50": 0.0, "p90": 0.0, "on_time": 0.0}
    shares = dict.fromkeys(PATTERNS, 0.0)
    p90_max = 0.0
    stock = 0.0
    for d in doc["demands"]:
        for a in d["allocations"]:
            n = float(a["orders"])
            lead = a["lead_time_days"]
            weighted["p50"] += n * lead["p50"]
            weighted["p90"] += n * lead["p90"]
            weighted["on_time"] += n * on_time_probability(lead["mean"], lead["p90"], d["sla_days"])
            shares[a["pattern"]] = shares.get(a["pattern"], 0.0) + n
            p90_max = max(p90_max, lead["p90"])
            if a.get("stock_node"):
                stock += n
    lanes = doc.get("lanes", [])
    return {
        **out,
        "cost_per_order": _per(totals["cost"], orders),
        **{f"{line}_per_order": _per(totals[line], orders) for line in COST_LINES},
        "cost_per_week": totals["cost"],
        "orders_per_week": orders,
        "unmet_orders_per_week": float(totals["unmet_orders"]),
        "p50_days": _per(weighted["p50"], orders),
        "p90_days": _per(weighted["p90"], orders),
        "p90_days_max": p90_max,
        "on_time_share": weighted["on_time"] / demanded if demanded else None,
        **{f"share_{p}": shares[p] / demanded if demanded else 0.0 for p in PATTERNS},
        "share_unmet": float(totals["unmet_orders"]) / demanded if demanded else 0.0,
        "co2e_kg_per_order": _per(totals["co2e_kg"], orders),
        "co2e_t_per_week": totals["co2e_kg"] / 1000.0,
        "stock_orders_per_week": stock,
        "lanes_used": len(lanes),
        "containers_per_week": sum(u["containers"] or 0 for u in lanes),
    }


def _per(amount: float, orders: float) -> float | None:
    return amount / orders if orders else None
