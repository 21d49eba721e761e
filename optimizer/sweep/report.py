"""Sweep outputs: ``points.parquet`` (one row per point), ``summary.csv``, plots, a text table.

The figures themselves are drawn by :mod:`optimizer.sweep.plots`, on the sweep's workers.

The table's columns are fixed (parameters, then :data:`COLUMNS`), with explicit Arrow
types, so a sweep's ``points.parquet`` has the same bytes whatever ran it. Timings are
left out of it on purpose (they are in each point's ``result.json``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.execute import TaskRunner
from optimizer.io.atomic import atomic_path, write_bytes, write_with
from optimizer.plan.metrics import METRIC_KEYS
from optimizer.sweep.plots import PlotJob, draw_plot, plotted_columns, short
from optimizer.sweep.run import PointRecord
from optimizer.sweep.spec import SweepSpec

#: Figures per point after its parameters (``float64`` unless listed in :data:`INTEGERS`).
COLUMNS = ("objective", "gap", *METRIC_KEYS)
INTEGERS = ("lanes_used", "containers_per_week")
#: A numeric parameter with more distinct values is summarized in this many bins.
BINS = 6


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
            label = f"{axis.path} = {short(value)}"
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
    most of a sweep's fixed time), and written here. The tasks get plain columns, not the
    frame, so a worker drawing a figure does not import pandas.
    """
    folder = out_dir / "plots"
    columns: dict[str, Any] = {"point": frame["point"].to_numpy(dtype="int64")}
    for name in plotted_columns(spec)[1:]:
        axis = next((a for a in spec.axes if a.path == name), None)
        if axis is not None and not axis.numeric:
            columns[name] = [None if pd.isna(v) else str(v) for v in frame[name]]
        else:
            columns[name] = frame[name].to_numpy(dtype="float64", na_value=np.nan)
    jobs = [PlotJob(spec, columns, currency, i) for i in range(len(spec.axes) + 1)]
    names = [f"vs_{_slug(a.path)}.png" for a in spec.axes] + ["pattern_shares.png"]
    results = (runner or TaskRunner()).run(draw_plot, jobs)
    paths = []
    for name, result in zip(names, results, strict=True):
        if result.value is None:
            raise RuntimeError(f"drawing {name} failed: {result.error}")
        write_bytes(folder / name, result.value)
        paths.append(folder / name)
    return paths


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", path).strip("_")
