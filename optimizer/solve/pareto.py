"""Cost vs lead-time Pareto front by the epsilon-constraint method.

Time is the order-weighted mean P90 of all orders (unmet orders count at
their demand's slowest option). Landed cost excludes the value of time (that
is the other axis). Steps: the cheapest plan gives the slow end; a solve that
minimizes time gives the fast end; in between, minimize cost subject to
mean P90 ≤ ε on an even grid. Each point is solved to the scenario's gap, so
the front is exact up to that gap over the candidate set.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.network.records import Network
from optimizer.plan.records import Plan
from optimizer.scenario.records import Scenario
from optimizer.solve import flow_model as fm
from optimizer.solve.backend import solve
from optimizer.solve.optimize import Candidates, build_candidates, optimize
from optimizer.solve.settings import SolverSettings, SolveStatus


@dataclass(frozen=True, slots=True)
class ParetoPoint:
    mean_p90_days: float
    cost: float  # landed cost per week (USD)
    cost_per_order: float
    status: SolveStatus
    direct_share: float  # share of orders shipped direct-package
    plan: Plan  # the plan behind this point


def mean_p90(plan: Plan) -> float:
    total = sum(d.orders_per_week for d in plan.demands)
    days = sum(a.p90_days * a.orders for d in plan.demands for a in d.allocations)
    return days / total if total else 0.0


def _point(plan: Plan) -> ParetoPoint | None:
    if plan.totals is None:
        return None
    t = plan.totals
    direct = sum(
        a.orders for d in plan.demands for a in d.allocations if a.pattern == "direct-package"
    )
    return ParetoPoint(
        mean_p90(plan),
        t.cost,
        t.cost / t.orders if t.orders else 0.0,
        plan.status,
        direct / t.orders if t.orders else 0.0,
        plan,
    )


def pareto_front(scenario: Scenario, network: Network, *, points: int = 6) -> list[ParetoPoint]:
    """Non-dominated (mean P90, landed cost) points, fastest first."""
    landed = dataclasses.replace(
        scenario, objective=dataclasses.replace(scenario.objective, value_of_day_per_order=0.0)
    )
    cands = build_candidates(network, landed)
    cheapest = optimize(landed, network, candidates=cands)
    slow = mean_p90(cheapest)
    fast = _fastest(landed, network, cands)
    found = [p for p in [_point(cheapest)] if p]
    if fast is not None and fast < slow - 1e-6:
        for eps in np.linspace(fast, slow, points)[:-1]:
            plan = optimize(landed, network, candidates=cands, max_avg_p90_days=float(eps) + 1e-7)
            point = _point(plan)
            if point:
                found.append(point)
    found.sort(key=lambda p: (p.mean_p90_days, p.cost))
    front: list[ParetoPoint] = []
    for p in found:
        if not front or p.cost < front[-1].cost - 1e-6 * max(1.0, abs(p.cost)):
            front.append(p)
    return front


def _fastest(scenario: Scenario, network: Network, cands: Candidates) -> float | None:
    demands = {d.id: d for d in scenario.demands}
    model = fm.build(network, scenario, cands.options, demands)
    worst: dict[str, float] = {}
    for o in cands.options:
        worst[o.demand] = max(worst.get(o.demand, 0.0), o.p90)
    for i, v in enumerate(model.flow_var):
        model.mip.set_cost(v, cands.options[i].p90)
    for d, v in model.unmet_var.items():
        model.mip.set_cost(v, worst.get(d, 0.0) + 1e6)  # serve whatever can be served
    for v in model.container_var.values():
        model.mip.set_cost(v, 0.0)
    out = solve(model.mip, SolverSettings.from_options(scenario.solver))
    if not out.status.has_solution:
        return None
    total = sum(d.orders_per_week for d in demands.values())
    days = sum(cands.options[i].p90 * out.values[v] for i, v in enumerate(model.flow_var))
    days += sum(worst.get(d, 0.0) * out.values[v] for d, v in model.unmet_var.items())
    return float(days / total)


PARETO_FORMAT_VERSION = 1


def pareto_dict(front: list[ParetoPoint], *, currency: str, per_usd: float) -> dict[str, Any]:
    """The front as JSON-ready data: what ``run --pareto --json`` prints and pareto.json holds.

    Each point carries its whole plan (the plan.json contract); ``plan_dir`` is where
    ``-o DIR`` writes that plan's files, relative to DIR.
    """
    from optimizer.plan.writers import plan_dict

    return {
        "format_version": PARETO_FORMAT_VERSION,
        "currency": currency,
        "points": [
            {
                "mean_p90_days": p.mean_p90_days,
                "cost_per_week": p.cost * per_usd,
                "cost_per_order": p.cost_per_order * per_usd,
                "direct_share": p.direct_share,
                "status": p.status,
                "plan_dir": point_dir(k),
                "plan": plan_dict(p.plan),
            }
            for k, p in enumerate(front, 1)
        ],
    }


def point_dir(k: int) -> str:
    """Folder (relative to the output folder) of the ``k``-th point's plan files."""
    return f"pareto/point_{k}"


def front_summary(front: list[ParetoPoint], grid: int) -> str:
    """One line saying what was found, so a single point is not mistaken for a front."""
    if len(front) == 1:
        p = front[0]
        return (
            f"one non-dominated point (of a {grid}-point grid): the cheapest plan is also the "
            f"fastest reachable (mean P90 {p.mean_p90_days:.2f} d), so there is no cost vs "
            f"lead-time trade-off to choose from"
        )
    return f"{len(front)} non-dominated points (of a {grid}-point grid)"


def pareto_table(front: list[ParetoPoint], per_usd: float, currency: str) -> str:
    lines = [
        f"{'mean P90 d':>10} {'cost/week ' + currency:>16} {'per order':>10} "
        f"{'direct share':>12} {'status':>9}"
    ]
    for p in front:
        lines.append(
            f"{p.mean_p90_days:>10.2f} {p.cost * per_usd:>16,.2f} "
            f"{p.cost_per_order * per_usd:>10.2f} {p.direct_share:>12.1%} "
            f"{p.status:>9}"
        )
    return "\n".join(lines)


def pareto_png(
    front: list[ParetoPoint], out_png: str, *, per_usd: float, currency: str, title: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from optimizer.io.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    xs = [p.mean_p90_days for p in front]
    ys = [p.cost_per_order * per_usd for p in front]
    ax.step(xs, ys, where="post", color="#1f77b4", alpha=0.4)
    ax.plot(xs, ys, "o", color="#1f77b4")
    for p, x, y in zip(front, xs, ys, strict=True):
        ax.annotate(
            f"{p.direct_share:.0%} direct",
            (x, y),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    ax.set_xlabel("order-weighted mean P90 lead time (days)")
    ax.set_ylabel(f"landed cost per order ({currency})")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
