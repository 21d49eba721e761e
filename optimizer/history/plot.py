"""calibration.png: empirical vs fitted CDFs of the busiest lanes, and coverage by lane.

Left: for each of the busiest lanes the Kaplan–Meier curve (censoring
respected) against the calibrated lognormal and the network's default. Right:
deliveries and in-transit shipments per lane (log scale), coloured by where
the calibrated figure came from. matplotlib's object API, Agg canvas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from optimizer.history.calibrate import Calibration, plot_quantities
from optimizer.history.fit import LogNormal, kaplan_meier
from optimizer.history.samples import observed_days
from optimizer.io.atomic import atomic_path

COLOURS = {"history": "#1b7837", "pooled": "#e08214", "default": "#999999"}
COVERAGE_LANES = 30


def write_plot(cal: Calibration, con: Any, target: Path) -> Path:
    fig = Figure(figsize=(13, 6.5), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    colours = ["#2166ac", "#b2182b", "#5aae61", "#762a83"]
    right_edge = 1.0
    for colour, r in zip(colours, plot_quantities(cal), strict=False):
        right_edge = max(right_edge, 1.3 * r.result.quantile(0.995))
        observed, censored = observed_days(con, r.lane.id)
        times, cdf = kaplan_meier(observed, censored)
        left.step(times, cdf, where="post", color=colour, lw=1.2, label=f"{r.lane.id} (KM)")
        grid = np.linspace(0.0, float(max(times.max(initial=1.0), r.result.p90 * 1.5)), 300)
        left.plot(grid, r.result.cdf(grid), color=colour, ls="--", lw=1.2, label="calibrated")
        default = LogNormal.from_mean_p90(r.lane.transit_mean_days, r.lane.transit_p90_days)
        left.plot(grid, default.cdf(grid), color=colour, ls=":", lw=1.0, label="default")
    left.axhline(0.9, color="#cccccc", lw=0.8)
    left.set_xlim(0.0, right_edge)
    left.set_xlabel("transit days")
    left.set_ylabel("P(transit <= days)")
    left.set_title("busiest lanes: Kaplan-Meier vs calibrated lognormal vs default")
    left.legend(fontsize=7, loc="lower right")
    lanes = sorted((r for r in cal.lanes if r.n + r.n_censored), key=lambda r: (-r.n, r.lane.id))
    lanes = lanes[:COVERAGE_LANES][::-1]
    y = np.arange(len(lanes))
    right.barh(y, [max(r.n, 0.5) for r in lanes], color=[COLOURS[r.source] for r in lanes])
    right.barh(
        y,
        [max(r.n_censored, 0.5) for r in lanes],
        left=[max(r.n, 0.5) for r in lanes],
        color="#4393c3",
    )
    right.set_xscale("log")
    right.set_xlim(left=1.0)
    right.set_yticks(y, [r.lane.id for r in lanes], fontsize=6)
    right.set_xlabel("deliveries (colour: source) + in transit (blue), log scale")
    with_history = sum(1 for r in cal.lanes if r.n + r.n_censored)
    right.set_title(f"coverage: {with_history} of {len(cal.lanes)} lanes have history")
    fig.tight_layout()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    return target
