"""A sweep's figures, drawn on its workers: each output against each parameter, a heat map.

Plots use fixed margins, not matplotlib's constrained layout (a third of their time).

This module imports neither pandas nor the sweep's table code: a worker that draws a
figure gets plain columns (:class:`PlotJob`), so it does not import pandas (0.3 s of a
worker's time, at the very end of a sweep, where nothing else overlaps it).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.plan.metrics import PATTERNS
from optimizer.sweep.spec import Axis, SweepSpec

#: Outputs plotted against each varied parameter.
PLOTTED = (
    ("cost_per_order", "cost per order"),
    ("objective", "objective per week"),
    ("p90_days", "P90 lead time, d (order-weighted)"),
    ("on_time_share", "on-time share (estimate)"),
    ("co2e_kg_per_order", "kg CO2e per order"),
    ("share_direct-package", "direct-package share"),
)
#: Columns of the pattern-share heat map.
SHARES = (*(f"share_{p}" for p in PATTERNS), "share_unmet")


@dataclass(frozen=True)
class PlotJob:
    """One figure to draw: figure ``figure`` (axis index, or the heat map after the axes).

    ``columns`` holds the table's columns a figure needs, one value per point: numbers
    as float arrays (NaN = no value), text parameters as lists (None = no value).
    """

    spec: SweepSpec
    columns: dict[str, Any]
    currency: str
    figure: int

    @property
    def points(self) -> int:
        return len(self.columns["point"])


def plotted_columns(spec: SweepSpec) -> tuple[str, ...]:
    """The columns a sweep's figures read (``point``, the parameters, outputs, shares)."""
    outputs = dict.fromkeys([c for c, _ in PLOTTED] + list(SHARES))
    return ("point", *(a.path for a in spec.axes), *outputs)


def draw_plot(job: PlotJob) -> bytes:
    """PNG bytes of the job's figure: outputs against an axis, or the heat map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = job.spec.axes
    if job.figure == len(axes):
        fig = _heat_map(job, plt)
    else:
        fig = _against(axes[job.figure], job.columns, job.currency, plt)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=90, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _against(axis: Axis, columns: dict[str, Any], currency: str, plt: Any) -> Any:
    ok = ~np.isnan(columns["cost_per_order"])
    param = columns[axis.path]
    kept = [v for v, keep in zip(param, ok, strict=True) if keep]
    values = sorted({v for v in param if _present(v)})
    where = {v: i for i, v in enumerate(values)}
    fig, panels = plt.subplots(2, 3, figsize=(13, 7))
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.12, wspace=0.28, hspace=0.5)
    for ax, (column, title) in zip(panels.flat, PLOTTED, strict=True):
        y = columns[column][ok]
        x = np.asarray(kept, dtype="float64") if axis.numeric else [where[v] for v in kept]
        ax.scatter(x, y, s=14, alpha=0.5, color="tab:blue")
        keys = sorted({v for v in kept if _present(v)})
        means = [_mean(y, [v == k for v in kept]) for k in keys]
        mx = keys if axis.numeric else [where[k] for k in keys]
        ax.plot(mx, means, color="tab:red", marker="o", lw=1.5, label="mean")
        ax.set_title(title.replace("cost per order", f"cost per order ({currency})"))
        ax.set_xlabel(axis.path, fontsize=8)
        if not axis.numeric:
            ax.set_xticks(range(len(values)))
            ax.set_xticklabels([str(v)[:18] for v in values], rotation=30, ha="right", fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Sweep outputs against {axis.path} ({int(ok.sum())} points with a plan)")
    return fig


def _heat_map(job: PlotJob, plt: Any) -> Any:
    spec, columns, rows = job.spec, job.columns, job.points
    data = np.column_stack([columns[c] for c in SHARES])
    height = min(14.0, 1.5 + 0.22 * rows)
    fig, ax = plt.subplots(figsize=(8, height))
    fig.subplots_adjust(left=0.22, right=0.98, top=1 - 0.5 / height, bottom=0.9 / height)
    image = ax.imshow(data, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(len(SHARES)))
    ax.set_xticklabels([c.removeprefix("share_") for c in SHARES], rotation=20, ha="right")
    if rows <= 60:
        labels = [
            f"{int(columns['point'][r])}: "
            + ", ".join(short(columns[a.path][r]) for a in spec.axes)
            for r in range(rows)
        ]
        ax.set_yticks(range(rows))
        ax.set_yticklabels(labels, fontsize=7)
    if rows <= 40:
        for (r, c), v in np.ndenumerate(data):
            if v == v and v > 0.005:  # not NaN, not empty
                shade = "black" if v > 0.6 else "white"
                ax.text(c, r, f"{v:.0%}", ha="center", va="center", fontsize=7, color=shade)
    ax.set_ylabel("point")
    fig.colorbar(image, ax=ax, label="share of demanded orders")
    ax.set_title(
        "Pattern shares per point (labels: point: " + ", ".join(a.path for a in spec.axes) + ")",
        fontsize=8,
        wrap=True,
    )
    return fig


def _present(value: Any) -> bool:
    """Not a missing value (None, or NaN in a number column)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _mean(values: np.ndarray, mask: Sequence[bool]) -> float:
    """Mean of the non-NaN values where ``mask`` holds (NaN if there are none)."""
    chosen = values[np.asarray(mask, dtype=bool)]
    chosen = chosen[~np.isnan(chosen)]
    return float(chosen.mean()) if len(chosen) else math.nan


def short(value: Any) -> str:
    """A parameter value in a label: numbers in shortest form, text cut at 40 characters."""
    return format(value, "g") if isinstance(value, float) else str(value)[:40]
