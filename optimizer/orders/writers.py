"""Render a :class:`RoutePlan`: JSON document, per-order and per-leg CSVs, human table.

Files are written atomically (``optimizer.io.atomic``), so an interrupted run
never leaves a half-written plan.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from optimizer.io.atomic import write_text, write_with
from optimizer.orders.result import OrderPlan, RoutePlan


def _money(x: float) -> float:
    return round(x, 2)


def order_dict(o: OrderPlan) -> dict[str, Any]:
    """One order's plan as plain JSON-ready data."""
    return {
        "order": o.order,
        "origin": o.origin,
        "dest": o.dest,
        "ready": o.ready.isoformat(),
        "due": o.due.isoformat(),
        "arrival": o.arrival.isoformat(),
        "costs": {
            "transport": _money(o.transport),
            "warehouse": _money(o.warehouse),
            "tax": _money(o.tax),
            "total": _money(o.total),
        },
        "parts": [
            {
                "fraction": p.fraction,
                "legs": [
                    {
                        "service": leg.service,
                        "from": leg.origin,
                        "to": leg.dest,
                        "mode": leg.mode,
                        "carrier": leg.carrier,
                        "depart": leg.depart.isoformat(),
                        "arrive": leg.arrive.isoformat(),
                    }
                    for leg in p.legs
                ],
            }
            for p in o.parts
        ],
    }


#: 2: ``seconds`` moved to timings.json (plan.json is the same bytes for the same run).
ROUTE_PLAN_FORMAT_VERSION = 2
TIMINGS_FORMAT_VERSION = 1


def plan_dict(plan: RoutePlan) -> dict[str, Any]:
    """The whole plan as one JSON-ready object (what ``--json`` prints, and plan.json).

    Schema docs/schemas/route-plan.schema.json. The solve time is not in it (see
    :func:`write_plan`'s timings.json), so identical runs give identical bytes.
    """
    return {
        "format_version": ROUTE_PLAN_FORMAT_VERSION,
        "scenario": plan.scenario,
        "status": str(plan.status),
        "backend": plan.backend,
        "objective": plan.objective,
        "bound": plan.bound,
        "gap": plan.gap,
        "model": {
            "variables": plan.variables,
            "rows": plan.rows,
            "greedy_objective": plan.greedy_objective,
        },
        "costs": {
            "transport": _money(plan.transport),
            "warehouse": _money(plan.warehouse),
            "tax": _money(plan.tax),
            "total": _money(plan.total),
        },
        "orders": [order_dict(o) for o in plan.orders],
        "departures": [
            {
                "service": d.service,
                "date": d.date.isoformat(),
                "containers": d.containers,
                "volume_m3": round(d.volume_m3, 3),
                "orders": list(d.orders),
                "cost": _money(d.cost),
            }
            for d in plan.departures
        ],
        "infeasible": [
            {
                "order": i.order,
                "due": i.due.isoformat(),
                "earliest_arrival": i.earliest_arrival.isoformat() if i.earliest_arrival else None,
                "blocking_service": i.blocking_service,
                "reason": i.reason,
            }
            for i in plan.infeasible
        ],
    }


def _orders_csv(plan: RoutePlan, fh: IO[str]) -> None:
    w = csv.writer(fh)
    w.writerow(
        [
            "order",
            "origin",
            "dest",
            "ready",
            "due",
            "start",
            "arrival",
            "transport",
            "warehouse",
            "tax",
            "total",
            "route",
        ]
    )
    for o in plan.orders:
        route = " | ".join(
            " > ".join(
                [p.legs[0].origin, *(f"{leg.dest} ({leg.mode} {leg.depart})" for leg in p.legs)]
            )
            for p in o.parts
        )
        w.writerow(
            [
                o.order,
                o.origin,
                o.dest,
                o.ready,
                o.due,
                min(p.start for p in o.parts),
                o.arrival,
                _money(o.transport),
                _money(o.warehouse),
                _money(o.tax),
                _money(o.total),
                route,
            ]
        )


def _legs_csv(plan: RoutePlan, fh: IO[str]) -> None:
    w = csv.writer(fh)
    w.writerow(
        [
            "order",
            "part",
            "fraction",
            "leg",
            "service",
            "from",
            "to",
            "mode",
            "carrier",
            "depart",
            "arrive",
        ]
    )
    for o in plan.orders:
        for pi, p in enumerate(o.parts, 1):
            for li, leg in enumerate(p.legs, 1):
                w.writerow(
                    [
                        o.order,
                        pi,
                        p.fraction,
                        li,
                        leg.service,
                        leg.origin,
                        leg.dest,
                        leg.mode,
                        leg.carrier,
                        leg.depart,
                        leg.arrive,
                    ]
                )


def write_plan(plan: RoutePlan, out_dir: str | Path, *, gantt: bool = True) -> list[Path]:
    """Write ``plan.json``, ``timings.json``, ``orders.csv``, ``legs.csv`` and ``gantt.png``."""
    out = Path(out_dir)
    paths = [out / "plan.json", out / "timings.json", out / "orders.csv", out / "legs.csv"]
    write_text(paths[0], json.dumps(plan_dict(plan), indent=2) + "\n")
    timings = {"format_version": TIMINGS_FORMAT_VERSION, "solve_seconds": plan.seconds}
    write_text(paths[1], json.dumps(timings, indent=2) + "\n")
    write_with(paths[2], lambda fh: _orders_csv(plan, fh))
    write_with(paths[3], lambda fh: _legs_csv(plan, fh))
    if gantt and plan.orders:
        from optimizer.orders.gantt import write_gantt  # matplotlib only when asked

        paths.append(out / "gantt.png")
        write_gantt(plan, paths[-1])
    return paths


def render_table(plan: RoutePlan) -> str:
    """Human summary: totals, then each order's dated legs and cost split."""
    lines = [f"{plan.scenario}: {plan.status} in {plan.seconds:.1f} s ({plan.backend})"]
    if plan.orders:
        lines.append(
            f"total {plan.total:,.2f} = transport {plan.transport:,.2f} + warehouse "
            f"{plan.warehouse:,.2f} + tax {plan.tax:,.2f}"
            + (f"  (gap {plan.gap:.2%})" if plan.gap else "")
        )
    for o in plan.orders:
        lines.append("")
        lines.append(
            f"order {o.order}: {o.origin} -> {o.dest}, ready {o.ready}, due {o.due}, "
            f"arrives {o.arrival}"
        )
        lines.append(
            f"  cost {o.total:,.2f} = transport {o.transport:,.2f} + warehouse "
            f"{o.warehouse:,.2f} + tax {o.tax:,.2f}"
        )
        for p in o.parts:
            if len(o.parts) > 1:
                lines.append(f"  part {p.fraction:.0%}:")
            for leg in p.legs:
                lines.append(
                    f"    {leg.depart} -> {leg.arrive}  {leg.origin:<26} -> "
                    f"{leg.dest:<26} {leg.mode:<6} service {leg.service}"
                )
    for i in plan.infeasible:
        lines.append("")
        lines.append(f"order {i.order} INFEASIBLE: {i.reason}")
    return "\n".join(lines)
