"""The calibrated network folder and ``calibration.csv``.

The output folder is the input network's folder with ``lanes.csv`` and
``nodes.csv`` rewritten cell by cell (only the calibrated columns of the rows
history supports change, and their ``source`` says so); every other file is
copied byte for byte. ``calibration.csv`` has one row per lane and clearing
node (schema in ``schema.csv``). Every command reads the folder unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.history.calibrate import Calibration
from optimizer.history.fit import LogNormal
from optimizer.history.formats import columns
from optimizer.io.atomic import atomic_path, write_text
from optimizer.network.tables import read_csv_rows


def _num(x: float) -> str:
    """Four significant decimals: plenty for days, stable text for diffs."""
    v = round(float(x), 4)
    return str(int(v)) if v.is_integer() else repr(v)


def write_folder(cal: Calibration, network_path: Path, out: Path) -> list[Path]:
    """Write the calibrated network folder, calibration.csv and calibration.png into ``out``."""
    if not network_path.is_dir() or not (network_path / "lanes.csv").exists():
        raise InputError(
            [
                Problem(
                    str(network_path),
                    "calibrate writes a folder of CSV tables",
                    expected="a CSV network folder (convert with: xborder network export NET "
                    "--format csv DIR)",
                )
            ]
        )
    if out.resolve() == network_path.resolve():
        raise InputError(
            [Problem(str(out), "output is the input network", expected="another folder")]
        )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(network_path.iterdir()):
        if src.is_file() and src.name not in ("lanes.csv", "nodes.csv"):
            target = out / src.name
            _copy(src, target)
            written.append(target)
    lane_updates = {
        r.lane.id: {
            "transit_mean_days": _num(r.result.mean),
            "transit_p90_days": _num(max(r.result.p90, r.result.mean)),
            **(
                {"departures_per_week": _num(r.departures_per_week)}
                if r.departures_per_week is not None
                else {}
            ),
            "source": _append_source(r.lane.source, f"transit: {r.source} (calibration.csv)"),
        }
        for r in cal.lanes
        if r.source != "default"
    }
    node_updates = {
        r.node.id: {
            "customs_days": _num(r.customs_days),
            "inspection_rate": _num(min(max(r.inspection_rate, 0.0), 1.0)),
            "inspection_delay_days": _num(r.inspection_delay_days),
            "source": _append_source(r.node.source, "customs: history (calibration.csv)"),
        }
        for r in cal.nodes
        if r.source != "default"
    }
    written.append(_rewrite(network_path / "lanes.csv", out / "lanes.csv", lane_updates))
    written.append(_rewrite(network_path / "nodes.csv", out / "nodes.csv", node_updates))
    written.append(write_calibration_csv(cal, out / "calibration.csv"))
    return written


def _copy(src: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(src, tmp)


def _append_source(text: str, note: str) -> str:
    return f"{text}; {note}" if text else note


def _rewrite(src: Path, target: Path, updates: dict[str, dict[str, str]]) -> Path:
    """Copy a CSV table, replacing the given cells of the rows with the given ids."""
    rows, header, problems = read_csv_rows(src)
    if problems:
        raise InputError(problems)
    header = list(header)
    for cells in updates.values():
        header += [c for c in cells if c not in header]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for _, cells in rows:
        merged = {**cells, **updates.get(cells.get("id", ""), {})}
        writer.writerow([merged.get(h, "") for h in header])
    write_text(target, buf.getvalue())
    return target


def stamp(t: float | None) -> str:
    if t is None:
        return ""
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def calibration_rows(cal: Calibration) -> list[dict[str, Any]]:
    """The rows of calibration.csv (also the JSON summary's per-lane detail)."""
    rows: list[dict[str, Any]] = []
    for r in cal.lanes:
        default = LogNormal.from_mean_p90(r.lane.transit_mean_days, r.lane.transit_p90_days)
        rows.append(
            {
                "kind": "lane",
                "id": r.lane.id,
                "mode": r.lane.mode.value,
                "group": r.pooled.group if r.pooled else "",
                "n": r.n,
                "n_censored": r.n_censored,
                "mu": _num(r.fit.mu) if r.fit else "",
                "sigma": _num(r.fit.sigma) if r.fit else "",
                "weight": _num(r.pooled.weight) if r.pooled else "",
                "p50_days": _num(r.result.p50),
                "p90_days": _num(r.result.p90),
                "mean_days": _num(r.result.mean),
                "p90_if_dropped": _num(r.naive.p90) if r.naive and r.n_censored else "",
                "default_mean_days": _num(r.lane.transit_mean_days),
                "default_p90_days": _num(default.p90),
                "inspection_rate": "",
                "inspection_delay_days": "",
                "departures_per_week": _num(r.departures_per_week)
                if r.departures_per_week is not None
                else "",
                "source": r.source,
                "first_time": stamp(r.first_t),
                "last_time": stamp(r.last_t),
                "note": r.note,
            }
        )
    for node_r in cal.nodes:
        rows.append(
            {
                "kind": "node",
                "id": node_r.node.id,
                "mode": "",
                "group": "",
                "n": node_r.n,
                "n_censored": node_r.n_censored,
                "mu": _num(node_r.fit.mu) if node_r.fit else "",
                "sigma": _num(node_r.fit.sigma) if node_r.fit else "",
                "weight": "",
                "p50_days": _num(node_r.fit.p50) if node_r.fit else "",
                "p90_days": "",
                "mean_days": _num(node_r.customs_days),
                "p90_if_dropped": "",
                "default_mean_days": _num(node_r.node.customs_days),
                "default_p90_days": "",
                "inspection_rate": _num(node_r.inspection_rate),
                "inspection_delay_days": _num(node_r.inspection_delay_days),
                "departures_per_week": "",
                "source": node_r.source,
                "first_time": stamp(node_r.first_t),
                "last_time": stamp(node_r.last_t),
                "note": node_r.note,
            }
        )
    return rows


def write_calibration_csv(cal: Calibration, target: Path) -> Path:
    header = list(columns("calibration"))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in calibration_rows(cal):
        writer.writerow([row[h] for h in header])
    write_text(target, buf.getvalue())
    return target
