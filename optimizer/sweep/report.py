"""Sweep outputs: ``points.parquet`` (one row per point), ``summary.csv``, plots, a text table.

Plots use fixed margins, not matplotlib's constrained layout (a third of their time).

The table's columns are fixed (parameters, then :data:`COLUMNS`), with explicit Arrow
types, so a sweep's ``points.parquet`` has the same bytes whatever ran it. Timings are
left out of it on purpose (they are in each point's ``result.json``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.execute import TaskRunner
from optimizer.io.atomic import atomic_path, write_bytes, write_with
from optimizer.plan.metrics import METRIC_KEYS, PATTERNS
from optimizer.sweep.run import PointRecord
from optimizer.sweep.spec import Axis, SweepSpec

#: Figures per point after its parameters (``float64`` unless listed in :data:`INTEGERS`).
COLUMNS = ("objective", "gap", *METRIC_KEYS)
INTEGERS = ("lanes_used", "containers_per_week")
#: A numeric parameter with more distinct values is summarized in this many bins.
BINS = 6
#: Outputs plotted against each varied parameter.
PLOTTED = (
    ("cost_per_order", "cost per order"),
    ("objective", "objective per week"),
    ("p90_days", "P90 lead time, d (order-weighted)"),
    ("on_time_share", "on-time share (estimate)"),
    ("co2e_kg_per_order", "kg CO2e per order"),
    ("share_direct-package", "direct-package share"),
)


def points_frame(spec: SweepSpec, records: list[PointRecord], currency: str) -> pd.DataFrame:
    """One row per point: index, parameters, status, reason, solver status, figures."""
    rows = []
    for r in records:
        row: dict[str, Any] = {"point": r.index}
        row.update(r.params)
        row["status"] = r.status
        row["reason"] = r.reason
        row["solver_status"] = r.metrics.get("solver_status") or ""
        row["currency"] = currency
        row.update({c: r.metrics.get(c) for c in COLUMNS})
        row["plan_dir"] = f"points/{r.key}/plan" if r.metrics else ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["point"] = frame["point"].astype("int64")
    for axis in spec.axes:
        frame[axis.path] = frame[axis.path].astype("float64" if axis.numeric else "string")
    for c in COLUMNS:
        frame[c] = frame[c].astype("Int64" if c in INTEGERS else "float64")
    for c in ("status", "reason", "solver_status", "currency", "plan_dir"):
        frame[c] = frame[c].astype("string")
    return frame


def write_points(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``points.parquet`` and ``summary.csv`` (same rows), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    parquet = out_dir / "points.parquet"
    with atomic_path(parquet) as tmp:
        pq.write_table(table, tmp)
    summary = out_dir / "summary.csv"
    write_with(summary, lambda fh: frame.to_csv(fh, index=False, lineterminator="\n"))
    return [parquet, summary]


def summary_table(spec: SweepSpec, frame: pd.DataFrame) -> str:
    """Per varied value, the mean of the headline figures over the points that have a plan."""
    statuses = frame["status"].value_counts().sort_index()
    lines = [
        f"{len(frame)} points: " + ", ".join(f"{n} {s}" for s, n in statuses.items()),
        "",
    ]
    head = (
        f"{'parameter = value':<52} {'points':>6} {'cost/ord':>9} {'P90 d':>6} "
        f"{'on-time':>7} {'kgCO2e':>7} {'direct':>7}"
    )
    lines += [head, "-" * len(head)]
    ok = frame[frame["cost_per_order"].notna()]
    for axis in spec.axes:
        key: Any = frame[axis.path]
        if axis.numeric and key.nunique() > BINS:  # a sampled range: equal-width bins
            key = pd.cut(key, BINS)
        for value, group in frame.groupby(key, sort=True, dropna=False, observed=True):
            g = ok.loc[ok.index.intersection(group.index)]
            label = f"{axis.path} = {_short(value)}"
            lines.append(
                f"{label[:52]:<52} {len(group):>6} {_mean(g, 'cost_per_order', '9.2f')} "
                f"{_mean(g, 'p90_days', '6.1f')} {_mean(g, 'on_time_share', '7.1%')} "
                f"{_mean(g, 'co2e_kg_per_order', '7.2f')} "
                f"{_mean(g, 'share_direct-package', '7.1%')}"
            )
    bad = frame[~frame["status"].isin(["optimal", "feasible"])]
    for _, row in bad.head(10).iterrows():
        lines.append(f"point {row['point']}: {row['status']}: {str(row['reason'])[:160]}")
    if len(bad) > 10:
        lines.append(f"... {len(bad) - 10} more points without a full plan (see summary.csv)")
    return "\n".join(lines)


def _mean(group: pd.DataFrame, column: str, fmt: str) -> str:
    if group.empty or group[column].isna().all():
        return "-".rjust(len(format(0.0, fmt)))
    return format(float(group[column].mean()), fmt)


def write_plots(
    spec: SweepSpec,
    frame: pd.DataFrame,
    out_dir: Path,
    currency: str,
    runner: TaskRunner | None = None,
) -> list[Path]:
    """One PNG per varied parameter (each output against it) and a pattern-share heat map.

    The figures are drawn as tasks on ``runner`` (in parallel on its workers: drawing is
    most of a sweep's fixed time), and written here.
    """
    folder = out_dir / "plots"
    jobs = [(spec, frame, currency, i) for i in range(len(spec.axes) + 1)]
    names = [f"vs_{_slug(a.path)}.png" for a in spec.axes] + ["pattern_shares.png"]
    results = (runner or TaskRunner()).run(draw_plot, jobs)
    paths = []
    for name, result in zip(names, results, strict=True):
        if result.value is None:
            raise RuntimeError(f"drawing {name} failed: {result.error}")
        write_bytes(folder / name, result.value)
        paths.append(folder / name)
    return paths


def draw_plot(job: tuple[SweepSpec, pd.DataFrame, str, int]) -> bytes:
    """PNG bytes of figure ``i``: outputs against axis ``i``, or the heat map after the axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec, frame, currency, i = job
    fig = _heat_map(spec, frame, plt) if i == len(spec.axes) else None
    if fig is None:
        fig = _against(spec.axes[i], frame, currency, plt)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=90, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _against(axis: Axis, frame: pd.DataFrame, currency: str, plt: Any) -> Any:
    ok = frame[frame["cost_per_order"].notna()]
    fig, panels = plt.subplots(2, 3, figsize=(13, 7))
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.12, wspace=0.28, hspace=0.5)
    values = sorted(frame[axis.path].dropna().unique())
    where = {v: i for i, v in enumerate(values)}
    for ax, (column, title) in zip(panels.flat, PLOTTED, strict=True):
        x = ok[axis.path] if axis.numeric else ok[axis.path].map(where)
        ax.scatter(x, ok[column], s=14, alpha=0.5, color="tab:blue")
        means = ok.groupby(axis.path, sort=True)[column].mean()
        mx = means.index if axis.numeric else [where[v] for v in means.index]
        ax.plot(mx, means.values, color="tab:red", marker="o", lw=1.5, label="mean")
        ax.set_title(title.replace("cost per order", f"cost per order ({currency})"))
        ax.set_xlabel(axis.path, fontsize=8)
        if not axis.numeric:
            ax.set_xticks(range(len(values)))
            ax.set_xticklabels([str(v)[:18] for v in values], rotation=30, ha="right", fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Sweep outputs against {axis.path} ({len(ok)} points with a plan)")
    return fig


def _heat_map(spec: SweepSpec, frame: pd.DataFrame, plt: Any) -> Any:
    columns = [f"share_{p}" for p in PATTERNS] + ["share_unmet"]
    data = frame[columns].astype("float64").fillna(float("nan")).to_numpy()
    height = min(14.0, 1.5 + 0.22 * len(frame))
    fig, ax = plt.subplots(figsize=(8, height))
    fig.subplots_adjust(left=0.22, right=0.98, top=1 - 0.5 / height, bottom=0.9 / height)
    image = ax.imshow(data, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels([c.removeprefix("share_") for c in columns], rotation=20, ha="right")
    if len(frame) <= 60:
        labels = [
            f"{int(row['point'])}: " + ", ".join(_short(row[a.path]) for a in spec.axes)
            for _, row in frame.iterrows()
        ]
        ax.set_yticks(range(len(frame)))
        ax.set_yticklabels(labels, fontsize=7)
    if len(frame) <= 40:
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


def _short(value: Any) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)[:40]


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", path).strip("_")
