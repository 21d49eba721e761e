"""Gantt-style PNG of a plan: one row per order, one bar per dated leg, by mode.

Gaps between bars are waits (at warehouses); a dot marks the ready date and a
red tick the due date. Uses matplotlib's object API (no pyplot global state).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from optimizer.io.atomic import atomic_path
from optimizer.orders.result import RoutePlan

MODE_COLORS = {
    "sea": "#1f77b4",
    "air": "#d62728",
    "rail": "#2ca02c",
    "truck": "#ff7f0e",
    "road": "#ff7f0e",
    "express": "#9467bd",
}
OTHER = "#7f7f7f"


def mode_color(mode: str) -> str:
    """Colour of a mode: exact name, else its family (``sea_fcl`` -> ``sea``), else grey."""
    low = mode.lower()
    return MODE_COLORS.get(low) or MODE_COLORS.get(low.split("_")[0], OTHER)


def write_gantt(plan: RoutePlan, target: str | Path) -> None:
    """Draw the plan's legs over calendar days and save the PNG atomically."""
    day0 = min(o.ready for o in plan.orders)
    n = len(plan.orders)
    fig = Figure(figsize=(11, 1.2 + 0.45 * n), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    modes: set[str] = set()

    def x(d: dt.date) -> int:
        return (d - day0).days

    for row, o in enumerate(plan.orders):
        height = 0.7 / len(o.parts)
        for pi, part in enumerate(o.parts):
            y = row - 0.35 + pi * height
            for prev, nxt in zip(part.legs, part.legs[1:], strict=False):
                if nxt.depart > prev.arrive:  # dwell at a warehouse
                    ax.broken_barh(
                        [(x(prev.arrive), x(nxt.depart) - x(prev.arrive))],
                        (y + height * 0.3, height * 0.3),
                        facecolors="#cccccc",
                    )
            for leg in part.legs:
                color = mode_color(leg.mode)
                modes.add(leg.mode)
                width = max(x(leg.arrive) - x(leg.depart), 0.15)
                ax.broken_barh(
                    [(x(leg.depart), width)],
                    (y, height * 0.9),
                    facecolors=color,
                    edgecolor="black",
                    linewidth=0.5,
                )
                if width >= 1.5:
                    ax.text(
                        x(leg.depart) + width / 2,
                        y + height * 0.45,
                        leg.service,
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white",
                    )
        ax.plot([x(o.ready)], [row], "ko", markersize=3)
        ax.plot([x(o.due) + 1], [row], "r|", markersize=12)
    ax.set_yticks(range(n), [f"{o.order}: {o.origin} → {o.dest}" for o in plan.orders], fontsize=8)
    ax.invert_yaxis()
    last = max(x(o.due) + 1 for o in plan.orders)
    ticks = list(range(0, last + 1, max(1, -(-last // 12))))
    ax.set_xticks(
        ticks, [(day0 + dt.timedelta(days=t)).strftime("%m-%d") for t in ticks], fontsize=8
    )
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    ax.legend(
        handles=[Patch(color=mode_color(m), label=m) for m in sorted(modes)],
        loc="lower right",
        fontsize=8,
    )
    ax.set_title(f"{plan.scenario} — total {plan.total:,.0f}", fontsize=10)
    fig.tight_layout()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
