"""What ``xborder history watch`` prints and writes: summary, alerts.csv, watch.png.

The JSON summary's shape is in ``docs/schemas/watch.schema.json`` (validated by
the tests); :func:`render` is the same content for people.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from optimizer.history.formats import FORMAT_VERSION
from optimizer.history.report import unusable_lines
from optimizer.history.watch import Alert, WatchResult, stamp
from optimizer.io.atomic import atomic_path, write_text

#: Alerting series drawn in watch.png (the most severe first).
PLOT_SERIES = 8
#: watch.png shows statistic / limit up to this (the alarm is the crossing of 1).
CLIP = 3.0
ALERT_COLUMNS = (
    "kind",
    "id",
    "category",
    "metric",
    "severity",
    "baseline",
    "now",
    "effect_pct",
    "since",
    "detected",
    "n",
    "charts",
    "severity_reason",
)


def _round(x: float) -> float | None:
    return round(x, 4) if math.isfinite(x) else None


def alert_dict(a: Alert) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "id": a.id,
        "category": a.category,
        "metric": a.metric,
        "baseline": {k: _round(v) for k, v in a.baseline.items()},
        "now": {k: _round(v) for k, v in a.now.items()},
        "evidence": {k: _round(v) for k, v in a.evidence.items()},
        "since": stamp(a.since),
        "detected": stamp(a.detected),
        "n": a.n,
        "severity": a.severity,
        "severity_reason": a.reason,
        "charts": list(a.charts),
        "effect": _round(a.effect),
    }


def summary(result: WatchResult, out: Path | None) -> dict[str, Any]:
    """The JSON summary (``--json``)."""
    kinds: dict[str, int] = {}
    for s in result.series:
        key = f"{s.kind}:{s.metric}"
        kinds[key] = kinds.get(key, 0) + 1
    return {
        "format_version": FORMAT_VERSION,
        "alerts": [alert_dict(a) for a in result.alerts],
        "series": len(result.series),
        "series_by_metric": dict(sorted(kinds.items())),
        "lane_years": round(result.lane_years, 4),
        "window": {"start": stamp(result.start), "end": stamp(result.end)},
        "events": {
            "files": result.load.files,
            "rows": result.load.rows,
            "usable_rows": result.load.usable,
            "shipments": result.load.shipments,
        },
        "not_watched": dict(sorted(result.skipped.items())),
        "unusable": [
            {
                "reason": r.code,
                "count": r.count,
                "unit": r.unit,
                "description": _description(r.code),
                "examples": list(r.examples),
            }
            for r in result.reasons
        ],
        "out": str(out) if out is not None else None,
    }


def _description(code: str) -> str:
    from optimizer.history.events import REASONS

    return REASONS.get(code, "the shipment has no order line, so no category (--orders)")


def _figures(d: dict[str, float | None]) -> str:
    if "hold_rate" in d:
        v = d["hold_rate"]
        return "n/a" if v is None else f"hold {v * 100:.1f} %"
    p50, p90 = d.get("p50_days"), d.get("p90_days")
    return f"P50 {p50:.2f} / P90 {p90:.2f} d"


def render(s: dict[str, Any]) -> str:
    """The human summary: window, alerts table, reasons."""
    ev = s["events"]
    lines = [
        f"read {ev['rows']:,} events from {ev['files']} file(s): {ev['usable_rows']:,} usable, "
        f"{ev['shipments']:,} shipments",
        f"watched {s['series']} series ({s['lane_years']:.1f} lane-years) from "
        f"{s['window']['start']} to {s['window']['end']}",
    ]
    if s["not_watched"]:
        lines.append(
            "not watched (too few observations): "
            + ", ".join(f"{k} {v}" for k, v in s["not_watched"].items())
        )
    if not s["alerts"]:
        lines.append("no alert: every watched series is in control")
    else:
        lines.append(f"{len(s['alerts'])} alert(s):")
        lines.append(
            f"  {'severity':<9} {'kind':<5} {'id':<18} {'category':<12} {'metric':<15} "
            f"{'baseline':<24} {'now':<24} {'change':>8}  {'since':<11} {'n':>6}  charts"
        )
        for a in s["alerts"]:
            effect = "n/a" if a["effect"] is None else f"{a['effect'] * 100:+.0f} %"
            lines.append(
                f"  {a['severity']:<9} {a['kind']:<5} {a['id']:<18} {a['category']:<12} "
                f"{a['metric']:<15} {_figures(a['baseline']):<24} {_figures(a['now']):<24} "
                f"{effect:>8}  {a['since'][:10]:<11} {a['n']:>6}  {'+'.join(a['charts'])}"
            )
            lines.append(f"  {'':<9} {a['severity']}: {a['severity_reason']}")
    lines += unusable_lines(s["unusable"])
    if s["out"]:
        lines.append(f"wrote {s['out']} (alerts.csv, watch.png)")
    return "\n".join(lines)


def write_alerts_csv(s: dict[str, Any], target: Path) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ALERT_COLUMNS)
    for a in s["alerts"]:
        row = {
            **a,
            "baseline": _figures(a["baseline"]),
            "now": _figures(a["now"]),
            "effect_pct": "" if a["effect"] is None else round(a["effect"] * 100, 1),
            "charts": "+".join(a["charts"]),
        }
        writer.writerow([row[c] for c in ALERT_COLUMNS])
    write_text(target, buf.getvalue())
    return target


def write_plot(result: WatchResult, target: Path) -> Path:
    """Control charts (statistic and limit over time) of the alerting series."""
    series = result.alerting()[:PLOT_SERIES]
    rows = max(len(series), 1)
    fig = Figure(figsize=(11, 2.6 * rows), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
    if not series:
        axes[0].text(0.5, 0.5, "no alert", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, s in zip(axes, series, strict=False):
        for chart, t in zip(s.charts, s.chart_t, strict=True):
            days = (t - result.start) / 86400.0
            scale = np.where(chart.limit > 0, chart.limit, 1.0)
            (line,) = ax.plot(days, chart.stat / scale, lw=1, label=f"{chart.name} / limit")
            if chart.alarm is not None:
                ax.axvline(days[chart.alarm], color=line.get_color(), ls=":", lw=1)
        ax.axhline(1.0, color="#b2182b", lw=1, ls="--", label="limit")
        ax.set_ylim(-0.1, CLIP)  # after an alarm a CUSUM keeps climbing; the crossing matters
        ax.set_title(f"{s.kind} {s.id} {s.category} {s.metric}", fontsize=9, loc="left")
        ax.set_ylabel("statistic / limit")
        ax.legend(fontsize=7, loc="upper left")
    axes[-1].set_xlabel(f"days since {stamp(result.start)[:10]}")
    fig.tight_layout()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png")
    return target
