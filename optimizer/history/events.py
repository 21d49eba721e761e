"""Tracking events into DuckDB: parsed, checked, every unusable row counted by reason.

:func:`load_events` reads the files in place and builds these DuckDB tables:

* ``ev_all`` — every row with its time in UTC epoch seconds (``t``), event,
  node, lane and mode as ENUM codes, and the ``reason`` it is unusable (NULL
  when usable); raw text and file name kept for the rows set aside only;
* ``ev`` — the usable rows, duplicates collapsed (``copies``), without the
  shipments set aside: the input of :mod:`optimizer.history.samples`;
* ``ev_aside`` / ``ev_aside_rows`` — returned and exception shipments, their rows;
* ``moved`` — per shipment, the last scan that shows it moving (rows set aside
  included) and whether it has usable rows.

Reasons are decided in SQL, in a fixed order (the first that applies wins), so
each row is counted once. Whole shipments that were returned or hit an
exception are set aside: their times mix transport with handling of the
problem. Nothing is dropped silently: :class:`Reason` carries the count and
the first examples of each reason for the summary.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from optimizer.history.formats import columns, required_columns
from optimizer.history.sources import FileGroup, lit, open_sources
from optimizer.network.records import Mode, Network, NodeKind

EVENTS = (
    "booked",
    "picked_up",
    "departed",
    "arrived",
    "customs_submitted",
    "customs_hold",
    "customs_released",
    "out_for_delivery",
    "delivered",
    "returned",
    "exception",
)

#: Why a row (or a sample built from rows) is not used; the order of the event-level ones is
#: the order the checks apply in.
REASONS = {
    "missing_value": "a required cell is empty",
    "unknown_event": "event is not one of " + ", ".join(EVENTS),
    "unparseable_time": "time is not an ISO 8601 date-time",
    "time_without_offset": "time has no UTC offset (pass --assume-utc to read such times as UTC)",
    "unknown_node": "node is not a node of the network",
    "unknown_lane": "lane is not a lane of the network",
    "duplicate": "the same milestone repeated (shipment, event, time, node and lane equal)",
    "returned": "event of a returned shipment (the whole shipment is set aside)",
    "exception": "event of a shipment with an exception (the whole shipment is set aside)",
    "after_as_of": "after --as-of (outside the window, not an error)",
    "out_of_order": "arrived before departed, or released before submitted",
    "ambiguous_lane": "several lanes fit the departure (give lane, mode or carrier)",
    "no_lane": "no lane of the network leaves the node with that mode and carrier",
    "lane_node_mismatch": "departed at a node that is not the lane's tail",
    "missing_arrival": "departed and moved on, but never arrived at the lane's head",
    "stale": "in transit over 3 x the lane's longest delivery: lost or never scanned on arrival",
    "missing_release": "clearance started and the shipment moved on, but no customs_released",
    "missing_start": "customs events at a node without customs_submitted or arrived there",
}
_TIME_RE = (
    r"^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)"  # local date-time
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"  # offset
)
_EXAMPLES = 3
#: Events that show a shipment moving (out_for_delivery and bookings do not).
MOVES = (
    "('departed', 'arrived', 'delivered', 'customs_submitted', 'customs_hold', 'customs_released')"
)


@dataclass(frozen=True, slots=True)
class Reason:
    """How many rows (or samples) were set aside for one reason, with the first examples."""

    code: str
    unit: str  # "events", "legs" or "clearances"
    count: int
    examples: tuple[str, ...]

    @property
    def description(self) -> str:
        return REASONS[self.code]


@dataclass(frozen=True, slots=True)
class EventLoad:
    """What :func:`load_events` read: sizes, the window, and the rows set aside."""

    files: int
    rows: int
    usable: int
    shipments: int
    first_time: float | None  # UTC epoch seconds of the earliest usable event
    as_of: float | None  # end of the data: --as-of, else the latest usable event
    reasons: tuple[Reason, ...]


def time_sql(group: FileGroup, *, assume_utc: bool, column: str = "time") -> tuple[str, str, str]:
    """SQL for (epoch seconds, status, raw text) of a time column of ``group``.

    Status is ``ok``, ``missing``, ``bad`` or ``no_offset``. Text is parsed with
    an ISO 8601 pattern: the offset is split off and subtracted, so no time zone
    database is involved; Parquet timestamps with a time zone are taken as they are.
    """
    found = group.column(column)
    assert found is not None  # required column, checked by open_sources
    col, typ = found
    no_offset = "'ok'" if assume_utc else "'no_offset'"
    upper = typ.upper()
    if "WITH TIME ZONE" in upper:
        return f"epoch({col})", f"CASE WHEN {col} IS NULL THEN 'missing' ELSE 'ok' END", "NULL"
    if upper.startswith("TIMESTAMP") or upper == "DATE":
        t = f"epoch(CAST({col} AS TIMESTAMP))"
        return t, f"CASE WHEN {col} IS NULL THEN 'missing' ELSE {no_offset} END", "NULL"
    text = f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"
    local = f"regexp_extract({text}, {lit(_TIME_RE)}, 1)"
    off = f"replace(regexp_extract({text}, {lit(_TIME_RE)}, 2), ':', '')"
    off_s = (
        f"CASE WHEN {off} = '' OR upper({off}) = 'Z' THEN 0 ELSE "
        f"(CASE WHEN left({off}, 1) = '-' THEN -1 ELSE 1 END) * "
        f"(CAST(substr({off}, 2, 2) AS INTEGER) * 3600 + "
        f"COALESCE(TRY_CAST(NULLIF(substr({off}, 4, 2), '') AS INTEGER), 0) * 60) END"
    )
    parsed = f"TRY_CAST(NULLIF({local}, '') AS TIMESTAMP)"
    t = f"epoch({parsed}) - ({off_s})"
    status = (
        f"CASE WHEN {text} IS NULL THEN 'missing' WHEN {parsed} IS NULL THEN 'bad' "
        f"WHEN {off} = '' THEN {no_offset} ELSE 'ok' END"
    )
    return t, status, text


def register_network(con: Any, network: Network) -> None:
    """The network's ids as DuckDB ENUM types and its nodes and lanes as small tables.

    Why ENUMs: event, node, lane and mode become one- or two-byte codes, so the
    de-duplication, joins and group-bys over millions of events compare small
    integers instead of strings, and ``TRY_CAST`` to the type finds unknown ids
    for free. Created once per connection (one network per connection).
    """
    import pandas as pd

    known = {row[0] for row in con.execute("SELECT type_name FROM duckdb_types()").fetchall()}
    enums = {
        "event_t": EVENTS,
        "node_t": tuple(n.id for n in network.nodes),
        "lane_t": tuple(lane.id for lane in network.lanes),
        "mode_t": tuple(m.value for m in Mode),
    }
    for name, values in enums.items():
        if name not in known:
            con.execute(f"CREATE TYPE {name} AS ENUM ({', '.join(lit(v) for v in values)})")
    nodes = pd.DataFrame(
        {
            "id": [n.id for n in network.nodes],
            "is_market": [n.kind is NodeKind.MARKET for n in network.nodes],
        }
    )
    lanes = pd.DataFrame(
        {
            "id": [lane.id for lane in network.lanes],
            "tail": [lane.origin for lane in network.lanes],
            "head": [lane.dest for lane in network.lanes],
            "mode": [lane.mode.value for lane in network.lanes],
            "carrier": [lane.carrier for lane in network.lanes],
        }
    )
    con.register("net_nodes_df", nodes)
    con.register("net_lanes_df", lanes)
    con.execute(
        "CREATE OR REPLACE TABLE net_nodes AS SELECT CAST(id AS node_t) AS id, is_market "
        "FROM net_nodes_df"
    )
    con.execute(
        "CREATE OR REPLACE TABLE net_lanes AS SELECT CAST(id AS lane_t) AS id, "
        "CAST(tail AS node_t) AS tail, CAST(head AS node_t) AS head, "
        "CAST(mode AS mode_t) AS mode, carrier FROM net_lanes_df"
    )
    con.unregister("net_nodes_df")
    con.unregister("net_lanes_df")


def _enum(column: str, enum: str, lower: bool = False) -> str:
    """Cast text to an ENUM; only cells that do not match as they are get trimmed (and
    lower-cased): a cast per row on clean data instead of string functions on every cell."""
    cleaned = f"lower(trim({column}))" if lower else f"trim({column})"
    return f"COALESCE(TRY_CAST({column} AS {enum}), TRY_CAST({cleaned} AS {enum}))"


def load_events(
    con: Any,
    paths: tuple[str, ...],
    network: Network,
    *,
    assume_utc: bool = False,
    as_of: float | None = None,
) -> EventLoad:
    """Read, check and classify every event row; build ``ev_all`` and ``ev`` in ``con``."""
    groups = open_sources(con, paths, columns("events"), required_columns("events"))
    register_network(con, network)
    selects = []
    for g in groups:
        t, status, raw = time_sql(g, assume_utc=assume_utc)
        sid = g.text("shipment_id") if g.kind == "csv" else f"NULLIF({g.raw('shipment_id')}, '')"
        selects.append(
            f"SELECT {sid} AS sid, {g.raw('event')} AS event_raw, "
            f"{g.raw('node')} AS node_raw, {g.raw('lane')} AS lane_raw, "
            f"{g.raw('mode')} AS mode_raw, NULLIF({g.raw('carrier')}, '') AS carrier, "
            f"CAST({t} AS DOUBLE) AS t, {status} AS t_status, {raw} AS t_raw, "
            f"filename AS file FROM {g.scan()}"
        )
    after = f"WHEN t > {as_of!r} THEN 'after_as_of' " if as_of is not None else ""
    # Raw text and the file name are kept for the rows set aside only (the examples).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_all AS SELECT sid, event, node, lane, mode, carrier, "
        "t, reason, CASE WHEN reason IS NOT NULL THEN file END AS file, "
        "CASE WHEN reason IS NOT NULL THEN event_raw END AS event_raw, "
        "CASE WHEN reason IS NOT NULL THEN node_raw END AS node_raw, "
        "CASE WHEN reason IS NOT NULL THEN lane_raw END AS lane_raw, "
        "CASE WHEN reason IN ('unparseable_time', 'time_without_offset') "
        "THEN t_raw END AS t_raw FROM (SELECT *, CASE "
        "WHEN sid IS NULL OR t_status = 'missing' "
        "OR (event IS NULL AND NULLIF(trim(event_raw), '') IS NULL) "
        "OR (node IS NULL AND NULLIF(trim(node_raw), '') IS NULL) THEN 'missing_value' "
        "WHEN event IS NULL THEN 'unknown_event' "
        "WHEN t_status = 'bad' THEN 'unparseable_time' "
        "WHEN t_status = 'no_offset' THEN 'time_without_offset' "
        "WHEN node IS NULL THEN 'unknown_node' "
        "WHEN lane IS NULL AND NULLIF(trim(lane_raw), '') IS NOT NULL THEN 'unknown_lane' "
        f"{after}END AS reason FROM (SELECT *, {_enum('event_raw', 'event_t', True)} AS event, "
        f"{_enum('node_raw', 'node_t')} AS node, {_enum('lane_raw', 'lane_t')} AS lane, "
        f"{_enum('mode_raw', 'mode_t', True)} AS mode FROM (" + " UNION ALL ".join(selects) + ")))"
    )
    # Whole shipments set aside: returned or hit an exception.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_aside AS SELECT sid, CASE WHEN bool_or(event = "
        "'exception') THEN 'exception' ELSE 'returned' END AS why FROM ev_all "
        "WHERE reason IS NULL AND event IN ('returned', 'exception') GROUP BY sid"
    )
    # Duplicates collapse in one hash aggregate (faster than a window); `copies` counts them.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev AS SELECT sid, event, node, lane, t, "
        "any_value(mode) AS mode, any_value(carrier) AS carrier, count(*) AS copies "
        "FROM ev_all WHERE reason IS NULL AND sid NOT IN (SELECT sid FROM ev_aside) "
        "GROUP BY sid, event, node, lane, t"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_aside_rows AS SELECT e.sid, any_value(a.why) AS why, "
        "event, node, lane, t, count(*) AS copies FROM ev_all e JOIN ev_aside a USING (sid) "
        "WHERE e.reason IS NULL GROUP BY e.sid, event, node, lane, t"
    )
    # Per shipment: the last scan that shows it moving (any node, even a misspelt one: such a
    # shipment is no longer in transit) and whether it has usable rows at all.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE moved AS SELECT sid, "
        f"max(t) FILTER (WHERE event IN {MOVES}) AS t_move, bool_or(reason IS NULL) AS usable "
        "FROM ev_all WHERE sid IS NOT NULL AND t IS NOT NULL "
        "AND COALESCE(reason, '') <> 'after_as_of' GROUP BY sid"
    )
    rows, usable, first, last = con.execute(
        "SELECT (SELECT count(*) FROM ev_all), count(*), min(t), max(t) FROM ev"
    ).fetchall()[0]
    shipments = con.execute(
        "SELECT count(*) FILTER (WHERE usable) - (SELECT count(*) FROM ev_aside) FROM moved"
    ).fetchall()[0][0]
    reasons = _reasons(con)
    files = sum(len(g.files) for g in groups)
    return EventLoad(
        files, rows, usable, shipments, first, as_of if as_of is not None else last, reasons
    )


def _reasons(con: Any) -> tuple[Reason, ...]:
    counts = dict(
        con.execute(
            "SELECT reason, count(*) FROM ev_all WHERE reason IS NOT NULL GROUP BY reason "
            "UNION ALL SELECT 'duplicate', sum(copies - 1) FROM (SELECT copies FROM ev "
            "UNION ALL SELECT copies FROM ev_aside_rows) HAVING sum(copies) > count(*) "
            "UNION ALL SELECT why, count(*) FROM ev_aside_rows GROUP BY why"
        ).fetchall()
    )
    hints = _node_hints(con) if "unknown_node" in counts else {}
    out = []
    for code in REASONS:
        if code not in counts:
            continue
        rows = con.execute(_EXAMPLE_SQL.get(code, _EXAMPLE_SQL["*"]), [code, _EXAMPLES]).fetchall()
        examples = tuple(_example(code, row, hints) for row in rows)
        out.append(Reason(code, "events", int(counts[code]), examples))
    return tuple(out)


_EXAMPLE_SQL = {
    "*": "SELECT file, sid, event_raw, node_raw, lane_raw, t_raw FROM ev_all WHERE reason = ? "
    "ORDER BY file, sid, event_raw, t, node_raw LIMIT ?",
    "duplicate": "SELECT '' AS file, sid, event, node, lane, NULL FROM (SELECT * EXCLUDE (why) "
    "FROM ev_aside_rows UNION ALL BY NAME SELECT * EXCLUDE (mode, carrier) FROM ev) "
    "WHERE copies > 1 AND ? <> '' ORDER BY sid, event, t, node LIMIT ?",
    "returned": "SELECT '' AS file, sid, event, node, lane, NULL FROM ev_aside_rows "
    "WHERE why = ? ORDER BY sid, t, event LIMIT ?",
}
_EXAMPLE_SQL["exception"] = _EXAMPLE_SQL["returned"]


def _node_hints(con: Any) -> dict[str, str]:
    known = [row[0] for row in con.execute("SELECT id FROM net_nodes ORDER BY id").fetchall()]
    unknown = con.execute(
        "SELECT node_raw FROM ev_all WHERE reason = 'unknown_node' GROUP BY node_raw "
        "ORDER BY count(*) DESC, node_raw LIMIT 20"
    ).fetchall()
    hints = {}
    for (node,) in unknown:
        close = difflib.get_close_matches(str(node), known, n=1)
        if close:
            hints[str(node)] = close[0]
    return hints


def _example(code: str, row: tuple[Any, ...], hints: dict[str, str]) -> str:
    file, sid, event, node, lane, raw = row
    text = f"{file}: " if file else ""
    text += f"shipment {sid}, {event} at {node}"
    if lane:
        text += f" on {lane}"
    if raw is not None:
        text += f", time {raw!r}"
    if code == "unknown_node" and node in hints:
        text += f" (did you mean {hints[node]!r}?)"
    return text


def sample_reason(
    con: Any, code: str, unit: str, table: str, where: str, example: str
) -> Reason | None:
    """Count and first examples (SQL ``example``) of the samples in ``table`` matching ``where``."""
    count = con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()[0][0]
    if not count:
        return None
    rows = con.execute(
        f"SELECT sid, {example} AS example FROM {table} WHERE {where} "
        f"ORDER BY sid, example LIMIT {_EXAMPLES}"
    ).fetchall()
    return Reason(code, unit, int(count), tuple(f"shipment {s}: {e}" for s, e in rows))
