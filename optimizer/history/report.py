"""The calibration summary: JSON (``--json``) and the human text rendered from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optimizer.history.calibrate import SEA_RAIL, Calibration
from optimizer.history.formats import FORMAT_VERSION
from optimizer.history.output import stamp


def summary(cal: Calibration, out: Path | None) -> dict[str, Any]:
    """The JSON summary (``--json``) and the source of the human one."""
    load = cal.load
    sources = {k: sum(1 for r in cal.lanes if r.source == k) for k in ("history", "pooled")}
    sources["default"] = sum(1 for r in cal.lanes if r.source == "default")
    below = sum(1 for r in cal.lanes if r.source == "default" and r.n > 0)
    sea_rail = [r for r in cal.lanes if r.lane.mode.value in SEA_RAIL and r.n + r.n_censored]
    shifts = [
        (r.naive.p90 / r.result.p90 - 1.0) * 100
        for r in cal.lanes
        if r.naive and r.n_censored and r.source != "default" and r.n >= 100
    ]
    busiest = sorted(cal.lanes, key=lambda r: (-r.n, r.lane.id))[:10]
    return {
        "format_version": FORMAT_VERSION,
        "network": cal.network.name,
        "out": str(out) if out else None,
        "files": load.files,
        "rows": load.rows,
        "usable_rows": load.usable,
        "shipments": load.shipments,
        "first_time": stamp(load.first_time),
        "as_of": stamp(load.as_of),
        "lanes": {
            "total": len(cal.lanes),
            "with_history": sum(1 for r in cal.lanes if r.n + r.n_censored > 0),
            **sources,
            "below_min_n": below,
        },
        "nodes": {
            "clearing_nodes_seen": len(cal.nodes),
            "calibrated": sum(1 for r in cal.nodes if r.source == "history"),
        },
        "censoring": {
            "deliveries": sum(r.n for r in cal.lanes),
            "in_transit": sum(r.n_censored for r in cal.lanes),
            "sea_rail_in_transit_share": _share(
                sum(r.n_censored for r in sea_rail), sum(r.n + r.n_censored for r in sea_rail)
            ),
            "p90_shift_if_dropped_pct_median": _median(shifts),
            "p90_shift_if_dropped_pct_min": round(min(shifts), 2) if shifts else None,
        },
        "unusable": [
            {
                "reason": r.code,
                "unit": r.unit,
                "count": r.count,
                "description": r.description,
                "examples": list(r.examples),
            }
            for r in cal.reasons
        ],
        "busiest_lanes": [
            {
                "lane": r.lane.id,
                "mode": r.lane.mode.value,
                "n": r.n,
                "n_censored": r.n_censored,
                "p50_days": round(r.result.p50, 3),
                "p90_days": round(r.result.p90, 3),
                "default_p90_days": round(r.lane.transit_p90_days, 3),
                "source": r.source,
            }
            for r in busiest
        ],
        "clearing_nodes": [
            {
                "node": r.node.id,
                "n": r.n,
                "customs_days": round(r.customs_days, 3),
                "inspection_rate": round(r.inspection_rate, 4),
                "inspection_delay_days": round(r.inspection_delay_days, 3),
                "default_customs_days": r.node.customs_days,
                "default_inspection_rate": r.node.inspection_rate,
                "source": r.source,
            }
            for r in cal.nodes
        ],
        "holdout": list(cal.holdout),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    v = sorted(values)
    mid = len(v) // 2
    return round(v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2, 2)


def render(s: dict[str, Any]) -> str:
    """The human summary."""
    lanes, cens = s["lanes"], s["censoring"]
    lines = [
        f"read {s['rows']:,} events from {s['files']} file(s): {s['usable_rows']:,} usable, "
        f"{s['shipments']:,} shipments, {s['first_time']} .. {s['as_of']}",
        f"lanes: {lanes['with_history']} of {lanes['total']} with history; "
        f"{lanes['history']} from history, {lanes['pooled']} pooled, {lanes['default']} default "
        f"({lanes['below_min_n']} below --min-n)",
        f"deliveries {cens['deliveries']:,}, still in transit (censored, kept) "
        f"{cens['in_transit']:,}; sea/rail in transit: {_pct(cens['sea_rail_in_transit_share'])}",
    ]
    if cens["p90_shift_if_dropped_pct_median"] is not None:
        lines.append(
            "dropping in-transit shipments would have moved P90 by "
            f"{cens['p90_shift_if_dropped_pct_median']:+.1f} % (median over lanes with "
            f">= 100 deliveries and censoring; worst {cens['p90_shift_if_dropped_pct_min']:+.1f} %)"
        )
    lines.append(
        f"clearing nodes: {s['nodes']['calibrated']} of {s['nodes']['clearing_nodes_seen']} "
        "calibrated"
    )
    lines += unusable_lines(s["unusable"])
    lines.append("busiest lanes:            n  censored    P50    P90  default P90  source")
    for b in s["busiest_lanes"]:
        lines.append(
            f"  {b['lane']:<20} {b['n']:>7,} {b['n_censored']:>9,} {b['p50_days']:>6.2f} "
            f"{b['p90_days']:>6.2f} {b['default_p90_days']:>12.2f}  {b['source']}"
        )
    for h in s["holdout"][:10]:
        lines.append(
            f"holdout {h['lane']}: n={h['n']}, coverage of P90 {h['coverage']:.2f} "
            f"(default {h['default_coverage']:.2f}), loss {h['loss']:.3f} "
            f"(default {h['default_loss']:.3f})"
        )
    if s["out"]:
        lines.append(f"wrote {s['out']} (calibration.csv, calibration.png)")
    return "\n".join(lines)


def unusable_lines(unusable: list[dict[str, Any]]) -> list[str]:
    """The "set aside, by reason" lines of a text report (calibrate and watch): each reason's
    count, unit and description, with its examples; none when nothing was set aside."""
    if not unusable:
        return []
    lines = ["set aside, by reason:"]
    for r in unusable:
        lines.append(f"  {r['reason']:<20} {r['count']:>10,} {r['unit']:<10} {r['description']}")
        lines += [f"      e.g. {ex}" for ex in r["examples"]]
    return lines


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f} %"
