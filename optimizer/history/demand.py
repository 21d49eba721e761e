"""``xborder history demand``: order lines → weekly demands for a scenario's ``demands_csv``.

Orders are counted per origin × market × category and ISO week (Monday
start, UTC) in DuckDB. Only whole weeks are used: the weeks of the first and
the last order are usually partial and would bias the rate down, so they are
left out when at least three weeks are seen. ``--weeks N`` keeps the last N
whole weeks. Weeks without an order count as zero in the mean and in the
coefficient of variation (CV = sample standard deviation / mean of the weekly
counts), which goes to ``DEMANDS.stats.csv`` beside the demands (the scenario's
demand columns have no CV; ``inventory.demand_cv`` takes one for the scenario,
the summary suggests the order-weighted mean).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.history.events import Reason, time_sql
from optimizer.history.formats import FORMAT_VERSION, columns, required_columns
from optimizer.history.sources import lit, open_sources
from optimizer.io.atomic import write_text

DEMAND_COLUMNS = (
    "id",
    "origin",
    "market",
    "category",
    "orders_per_week",
    "weight_kg",
    "length_cm",
    "width_cm",
    "height_cm",
    "value",
    "sla_days",
)
WEEK = 7 * 86400.0


@dataclass(frozen=True)
class DemandResult:
    rows: tuple[dict[str, Any], ...]
    orders: int
    usable: int
    weeks: int
    first_week: str
    last_week: str
    reasons: tuple[Reason, ...]


def aggregate(
    paths: tuple[str, ...],
    *,
    weeks: int | None = None,
    sla_days: float = 14.0,
    network_path: Path | None = None,
    currency: str = "USD",
    say: Callable[[str], None] | None = None,
) -> DemandResult:
    """Weekly demands per origin × market × category (see the module docstring)."""
    import duckdb

    from optimizer.network.reader import read_network

    say = say or (lambda _: None)
    con = duckdb.connect()
    groups = open_sources(con, paths, columns("orders"), required_columns("orders"))
    network = read_network(network_path) if network_path is not None else None
    fx = dict(network.fx_per_usd) if network else {currency: 1.0}
    con.execute(
        "CREATE TABLE fx AS SELECT * FROM (VALUES "
        + ", ".join(f"({lit(c)}, {r!r})" for c, r in sorted(fx.items()))
        + ") AS v(currency, per_usd)"
    )
    target = fx.get(currency)
    selects = []
    for g in groups:
        t, status, _ = time_sql(g, assume_utc=True, column="created_at")
        nums = ", ".join(
            f"TRY_CAST({g.text(c)} AS DOUBLE) AS {c}"
            for c in ("weight_kg", "length_cm", "width_cm", "height_cm", "value")
        )
        selects.append(
            f"SELECT {g.text('order_id')} AS order_id, CAST({t} AS DOUBLE) AS t, "
            f"{status} AS t_status, {g.text('origin')} AS origin, {g.text('market')} AS market, "
            f"{g.text('category')} AS category, {nums}, "
            f"COALESCE(upper({g.text('currency')}), {lit(currency)}) AS currency FROM {g.scan()}"
        )
    checks = []
    if network is not None:
        nodes = ", ".join(lit(n.id) for n in network.nodes)
        cats = ", ".join(lit(c.id) for c in network.categories)
        checks = [
            f"WHEN origin NOT IN ({nodes}) OR market NOT IN ({nodes}) THEN 'unknown_node'",
            f"WHEN category NOT IN ({cats}) THEN 'unknown_category'",
        ]
    con.execute(
        "CREATE TABLE o AS SELECT *, CASE "
        "WHEN order_id IS NULL OR origin IS NULL OR market IS NULL OR category IS NULL "
        "OR t_status = 'missing' THEN 'missing_value' "
        "WHEN t_status = 'bad' THEN 'unparseable_time' " + " ".join(checks) + " "
        "WHEN currency NOT IN (SELECT currency FROM fx) THEN 'unknown_currency' "
        "WHEN row_number() OVER (PARTITION BY order_id ORDER BY t) > 1 THEN 'duplicate' "
        "END AS reason FROM (" + " UNION ALL ".join(selects) + ")"
    )
    say("orders read; aggregating weeks")
    w0, w1 = con.execute(
        "SELECT min(floor((t - 345600) / 604800)), max(floor((t - 345600) / 604800)) "
        "FROM o WHERE reason IS NULL"
    ).fetchall()[0]
    # week index: (t - 4 days) / 7 days, since 1970-01-05 was a Monday
    if w0 is None:
        return DemandResult((), 0, 0, 0, "", "", _reasons(con))
    lo, hi = int(w0), int(w1)
    if hi - lo + 1 >= 3:
        lo, hi = lo + 1, hi - 1
    if weeks is not None:
        lo = max(lo, hi - weeks + 1)
    n_weeks = hi - lo + 1
    rate = f"(SELECT per_usd FROM fx WHERE currency = {lit(currency)})"
    cur = con.execute(
        "WITH w AS (SELECT *, floor((t - 345600) / 604800) AS wk FROM o WHERE reason IS NULL), "
        f"win AS (SELECT * FROM w WHERE wk BETWEEN {lo} AND {hi}), "
        "c AS (SELECT origin, market, category, wk, count(*) AS k FROM win GROUP BY ALL) "
        "SELECT s.origin, s.market, s.category, s.orders, s.w, s.l, s.wd, s.h, s.v, c2.s1, c2.s2 "
        "FROM (SELECT origin, market, category, count(*) AS orders, avg(weight_kg) AS w, "
        "avg(length_cm) AS l, avg(width_cm) AS wd, avg(height_cm) AS h, "
        f"avg(value / (SELECT per_usd FROM fx f WHERE f.currency = win.currency) * {rate}) AS v "
        "FROM win GROUP BY ALL) s JOIN (SELECT origin, market, category, sum(k) AS s1, "
        "sum(k * k) AS s2 FROM c GROUP BY ALL) c2 USING (origin, market, category) "
        "ORDER BY s.origin, s.market, s.category"
    )
    rows = []
    for origin, market, category, orders, w, ln, wd, h, v, s1, s2 in cur.fetchall():
        mean = s1 / n_weeks
        var = (s2 - n_weeks * mean * mean) / (n_weeks - 1) if n_weeks > 1 else 0.0
        rows.append(
            {
                "id": f"{origin}-{market}-{category}",
                "origin": origin,
                "market": market,
                "category": category,
                "orders_per_week": round(mean, 3),
                "weight_kg": _r(w),
                "length_cm": _r(ln),
                "width_cm": _r(wd),
                "height_cm": _r(h),
                "value": _r(v) if target is not None else None,
                "sla_days": sla_days,
                "orders": int(orders),
                "weeks": n_weeks,
                "cv": round(math.sqrt(max(var, 0.0)) / mean, 4) if mean > 0 else None,
            }
        )
    total, usable = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM o"
    ).fetchall()[0]
    return DemandResult(
        tuple(rows),
        int(total),
        int(usable),
        n_weeks,
        _week_start(lo),
        _week_start(hi),
        _reasons(con),
    )


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


def _week_start(week: int) -> str:
    import datetime as dt

    return (dt.date(1970, 1, 5) + dt.timedelta(weeks=week)).isoformat()


def _reasons(con: Any) -> tuple[Reason, ...]:
    out = []
    for code, count in con.execute(
        "SELECT reason, count(*) FROM o WHERE reason IS NOT NULL GROUP BY reason ORDER BY reason"
    ).fetchall():
        ex = con.execute(
            "SELECT order_id, origin, market, category FROM o WHERE reason = ? "
            "ORDER BY order_id LIMIT 3",
            [code],
        ).fetchall()
        out.append(
            Reason(
                code,
                "orders",
                int(count),
                tuple(f"order {e[0]}: {e[1]} -> {e[2]}, {e[3]}" for e in ex),
            )
        )
    return tuple(out)


def write(result: DemandResult, out: Path) -> list[Path]:
    """The demands CSV (scenario columns) and ``<name>.stats.csv`` beside it."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(DEMAND_COLUMNS)
    for r in result.rows:
        writer.writerow(["" if r[c] is None else r[c] for c in DEMAND_COLUMNS])
    write_text(out, buf.getvalue())
    stats = out.with_name(out.stem + ".stats.csv")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "orders", "weeks", "orders_per_week", "cv"])
    for r in result.rows:
        writer.writerow([r["id"], r["orders"], r["weeks"], r["orders_per_week"], r["cv"] or ""])
    write_text(stats, buf.getvalue())
    return [out, stats]


def summary(result: DemandResult, out: Path | None) -> dict[str, Any]:
    weighted = [(r["orders"], r["cv"]) for r in result.rows if r["cv"] is not None]
    total = sum(n for n, _ in weighted)
    return {
        "format_version": FORMAT_VERSION,
        "orders": result.orders,
        "usable_orders": result.usable,
        "weeks": result.weeks,
        "first_week": result.first_week,
        "last_week": result.last_week,
        "demands": len(result.rows),
        "suggested_demand_cv": round(sum(n * c for n, c in weighted) / total, 4) if total else None,
        "unusable": [
            {"reason": r.code, "count": r.count, "examples": list(r.examples)}
            for r in result.reasons
        ],
        "out": str(out) if out else None,
    }


def render(s: dict[str, Any]) -> str:
    lines = [
        f"{s['orders']:,} order lines, {s['usable_orders']:,} usable; {s['weeks']} whole weeks "
        f"{s['first_week']} .. {s['last_week']}; {s['demands']} demands",
        f"suggested inventory.demand_cv (order-weighted): {s['suggested_demand_cv']}",
    ]
    for r in s["unusable"]:
        lines.append(
            f"  set aside: {r['reason']} {r['count']:,}"
            + (f" (e.g. {r['examples'][0]})" if r["examples"] else "")
        )
    if s["out"]:
        lines.append(f"wrote {s['out']} (and its .stats.csv with the weekly CV)")
    return "\n".join(lines)
