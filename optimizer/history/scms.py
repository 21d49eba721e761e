"""``calibrate --format scms``: the SCMS delivery history (real, messy) as lanes and coverage.

The file (USAID Supply Chain Management System, 2006–2014; see
``tests/data/scms/README.md``) has one row per line item. We read it in place
with DuckDB and derive, per destination country × shipment mode ("lane"):

* lateness = delivered − scheduled date, in days (the cleaner signal: PO dates
  include the vendor's production time) — P50, P90, share late;
* PO-to-delivery lead time (direct drops only: rows from a regional
  distribution centre have no PO date) — P50, P90;
* freight USD per kg (rows whose weight and freight are both numbers);
* direct drop vs from a regional distribution centre (RDC): counts and lead times.

Every figure says how many rows it rests on, and every row a figure could not
use is counted by reason (per figure: a row without a weight still has dates).
Sparse lanes are flagged (``n < SPARSE_N``), as 31 of 62 lanes are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.history.formats import FORMAT_VERSION
from optimizer.history.sources import expand, lit, quote
from optimizer.io.atomic import write_text

REQUIRED = (
    "ID",
    "Country",
    "Fulfill Via",
    "Shipment Mode",
    "PO Sent to Vendor Date",
    "Scheduled Delivery Date",
    "Delivered to Client Date",
    "Weight (Kilograms)",
    "Freight Cost (USD)",
)
SPARSE_N = 10
_DATE_FORMATS = ("%d-%b-%y", "%m/%d/%y", "%Y-%m-%d")
#: (figure, reason, SQL condition on the raw row, description)
REASONS = (
    ("lane", "missing_mode", "mode IS NULL OR mode = 'N/A'", "shipment mode missing or N/A"),
    ("lane", "missing_country", "country IS NULL", "country missing"),
    (
        "lateness",
        "unparseable_date",
        "sched IS NULL OR delivered IS NULL",
        "scheduled or delivered date missing or unparseable",
    ),
    (
        "lead_time",
        "po_from_rdc",
        "po_raw LIKE 'N/A%'",
        "no PO date: shipped from a regional distribution centre",
    ),
    ("lead_time", "po_not_captured", "po_raw = 'Date Not Captured'", "PO date not captured"),
    (
        "lead_time",
        "unparseable_date",
        "po IS NULL AND po_raw NOT LIKE 'N/A%' AND po_raw <> 'Date Not Captured'",
        "PO date unparseable",
    ),
    (
        "freight_per_kg",
        "weight_on_other_line",
        "weight_raw LIKE 'See %'",
        "weight recorded on another line of the shipment (See ASN/DN ...)",
    ),
    (
        "freight_per_kg",
        "weight_captured_separately",
        "weight_raw = 'Weight Captured Separately'",
        "weight captured separately",
    ),
    (
        "freight_per_kg",
        "freight_on_other_line",
        "freight_raw LIKE 'See %' AND weight IS NOT NULL",
        "freight recorded on another line of the shipment",
    ),
    (
        "freight_per_kg",
        "freight_in_commodity_cost",
        "freight_raw LIKE 'Freight Included%' AND weight IS NOT NULL",
        "freight included in the commodity cost",
    ),
    (
        "freight_per_kg",
        "freight_invoiced_separately",
        "freight_raw = 'Invoiced Separately' AND weight IS NOT NULL",
        "freight invoiced separately",
    ),
    (
        "freight_per_kg",
        "zero_weight_or_freight",
        "weight IS NOT NULL AND freight IS NOT NULL AND (weight <= 0 OR freight <= 0)",
        "weight or freight is zero",
    ),
)


@dataclass(frozen=True)
class ScmsResult:
    rows: int
    files: tuple[str, ...]
    lanes: tuple[dict[str, Any], ...]
    modes: tuple[dict[str, Any], ...]
    fulfilment: tuple[dict[str, Any], ...]
    reasons: tuple[dict[str, Any], ...]
    first_delivery: str
    last_delivery: str


def _date(col: str) -> str:
    parts = ", ".join(f"try_strptime({col}, {lit(f)})" for f in _DATE_FORMATS)
    return f"CAST(COALESCE({parts}) AS DATE)"


def analyse(paths: tuple[str, ...], *, say: Callable[[str], None] | None = None) -> ScmsResult:
    """Read the SCMS CSV file(s) and compute the lane, mode and fulfilment tables."""
    import duckdb

    say = say or (lambda _: None)
    files, problems = expand(paths)
    con = duckdb.connect()
    for file, _ in files:
        try:
            header = [
                str(r[0])
                for r in con.execute(
                    f"DESCRIBE SELECT * FROM read_csv({lit(file)}, all_varchar=true, header=true)"
                ).fetchall()
            ]
        except duckdb.Error as exc:
            problems.append(Problem(file, f"cannot read the file: {str(exc).splitlines()[0]}"))
            continue
        problems += [
            Problem(file, "required column is missing", row=1, field=c, expected="an SCMS file")
            for c in REQUIRED
            if c not in header
        ]
    if problems:
        raise InputError(problems)
    scan = (
        "read_csv(["
        + ", ".join(lit(f) for f, _ in files)
        + "], all_varchar=true, header=true, union_by_name=true)"
    )

    def col(name: str) -> str:
        return f"NULLIF(trim({quote(name)}), '')"

    con.execute(
        "CREATE TABLE raw AS SELECT "
        f"{col('ID')} AS id, {col('Country')} AS country, {col('Fulfill Via')} AS via, "
        f"{col('Shipment Mode')} AS mode, {col('PO Sent to Vendor Date')} AS po_raw, "
        f"{_date(col('PO Sent to Vendor Date'))} AS po, "
        f"{_date(col('Scheduled Delivery Date'))} AS sched, "
        f"{_date(col('Delivered to Client Date'))} AS delivered, "
        f"{col('Weight (Kilograms)')} AS weight_raw, "
        f"TRY_CAST({col('Weight (Kilograms)')} AS DOUBLE) AS weight, "
        f"{col('Freight Cost (USD)')} AS freight_raw, "
        f"TRY_CAST({col('Freight Cost (USD)')} AS DOUBLE) AS freight FROM {scan}"
    )
    say("SCMS rows read; computing lanes")
    rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    con.execute(
        "CREATE TABLE ok AS SELECT *, date_diff('day', sched, delivered) AS late, "
        "date_diff('day', po, delivered) AS lead, "
        "CASE WHEN weight > 0 AND freight > 0 THEN freight / weight END AS usd_kg "
        "FROM raw WHERE mode IS NOT NULL AND mode <> 'N/A' AND country IS NOT NULL"
    )
    lanes = _table(
        con,
        "country, mode",
        "ORDER BY country, mode",
    )
    modes = _table(con, "mode", "ORDER BY mode")
    fulfilment = _table(con, "via, mode", "ORDER BY via, mode")
    reasons = []
    for figure, code, cond, text in REASONS:
        count = con.execute(f"SELECT count(*) FROM raw WHERE {cond}").fetchall()[0][0]
        if not count:
            continue
        ex = con.execute(
            f"SELECT id, country, mode, po_raw, weight_raw, freight_raw FROM raw WHERE {cond} "
            "ORDER BY TRY_CAST(id AS INTEGER), id LIMIT 3"
        ).fetchall()
        reasons.append(
            {
                "figure": figure,
                "reason": code,
                "count": int(count),
                "description": text,
                "examples": [
                    f"ID {i}: {c}, {m}, PO {p!r}, weight {w!r}, freight {f!r}"
                    for i, c, m, p, w, f in ex
                ],
            }
        )
    first, last = con.execute("SELECT min(delivered), max(delivered) FROM raw").fetchall()[0]
    return ScmsResult(
        int(rows),
        tuple(f for f, _ in files),
        lanes,
        modes,
        fulfilment,
        tuple(reasons),
        str(first),
        str(last),
    )


def _table(con: Any, keys: str, order: str) -> tuple[dict[str, Any], ...]:
    cur = con.execute(
        f"SELECT {keys}, count(*) AS n, "
        "count(late) AS n_lateness, "
        "quantile_cont(late, 0.5) AS lateness_p50_days, "
        "quantile_cont(late, 0.9) AS lateness_p90_days, "
        "avg(CASE WHEN late > 0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE late IS NOT NULL) "
        "AS share_late, "
        "count(lead) AS n_lead_time, "
        "quantile_cont(lead, 0.5) AS lead_time_p50_days, "
        "quantile_cont(lead, 0.9) AS lead_time_p90_days, "
        "count(usd_kg) AS n_freight, "
        "quantile_cont(usd_kg, 0.5) AS freight_usd_per_kg_p50, "
        "quantile_cont(usd_kg, 0.9) AS freight_usd_per_kg_p90, "
        "count(*) FILTER (WHERE via = 'Direct Drop') AS direct_drop, "
        "count(*) FILTER (WHERE via = 'From RDC') AS from_rdc "
        f"FROM ok GROUP BY {keys} {order}"
    )
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = {
            n: (round(v, 4) if isinstance(v, float) else v) for n, v in zip(names, row, strict=True)
        }
        rec["sparse"] = rec["n"] < SPARSE_N
        out.append(rec)
    return tuple(out)


def write(result: ScmsResult, out: Path) -> list[Path]:
    """scms_lanes.csv, scms_modes.csv, scms_fulfilment.csv and scms_coverage.csv in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, rows in (
        ("scms_lanes.csv", result.lanes),
        ("scms_modes.csv", result.modes),
        ("scms_fulfilment.csv", result.fulfilment),
    ):
        files.append(_write_rows(out / name, list(rows)))
    coverage = [
        {**{k: v for k, v in r.items() if k != "examples"}, "examples": " | ".join(r["examples"])}
        for r in result.reasons
    ]
    files.append(_write_rows(out / "scms_coverage.csv", coverage))
    return files


def _write_rows(target: Path, rows: list[dict[str, Any]]) -> Path:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    write_text(target, buf.getvalue())
    return target


def summary(result: ScmsResult, out: Path | None) -> dict[str, Any]:
    lanes = result.lanes
    return {
        "format_version": FORMAT_VERSION,
        "format": "scms",
        "files": list(result.files),
        "rows": result.rows,
        "deliveries": f"{result.first_delivery} .. {result.last_delivery}",
        "lanes": len(lanes),
        "sparse_lanes": sum(1 for r in lanes if r["sparse"]),
        "rows_on_lanes": sum(r["n"] for r in lanes),
        "modes": list(result.modes),
        "fulfilment": list(result.fulfilment),
        "unusable": list(result.reasons),
        "out": str(out) if out else None,
    }


def render(s: dict[str, Any]) -> str:
    lines = [
        f"SCMS: {s['rows']:,} rows, deliveries {s['deliveries']}; {s['lanes']} country x mode "
        f"lanes ({s['sparse_lanes']} with < {SPARSE_N} rows), {s['rows_on_lanes']:,} rows on lanes",
        "mode            n  late P50  late P90  share late  lead P50  lead P90  USD/kg P50",
    ]
    for m in s["modes"]:
        lines.append(
            f"  {m['mode']:<12} {m['n']:>5} {_f(m['lateness_p50_days'])} "
            f"{_f(m['lateness_p90_days'])} {_f(m['share_late'], 11)} "
            f"{_f(m['lead_time_p50_days'])} {_f(m['lead_time_p90_days'])} "
            f"{_f(m['freight_usd_per_kg_p50'], 11)}"
        )
    lines.append("fulfilment      mode           n  lead P50  lead P90  late P90")
    for f in s["fulfilment"]:
        lines.append(
            f"  {f['via']:<13} {f['mode']:<11} {f['n']:>5} {_f(f['lead_time_p50_days'])} "
            f"{_f(f['lead_time_p90_days'])} {_f(f['lateness_p90_days'])}"
        )
    lines.append("not usable for a figure, by reason:")
    for r in s["unusable"]:
        lines.append(f"  {r['figure']:<15} {r['reason']:<28} {r['count']:>6}  {r['description']}")
        if r["examples"]:
            lines.append(f"      e.g. {r['examples'][0]}")
    if s["out"]:
        lines.append(
            f"wrote {s['out']} (scms_lanes.csv, scms_modes.csv, scms_fulfilment.csv, "
            "scms_coverage.csv)"
        )
    return "\n".join(lines)


def _f(x: Any, width: int = 9) -> str:
    return f"{'-':>{width}}" if x is None else f"{x:>{width}.2f}"
