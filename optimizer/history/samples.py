"""Transit and clearance samples from the usable events (``ev``), all in SQL.

A lane's transit sample is the time from a shipment's ``departed`` at the
lane's tail to its first ``arrived`` (or ``delivered``, for a lane ending at a
market) at the lane's head after that. Without a ``lane`` cell the lane is
inferred: the lanes leaving the departure node (with the event's mode and
carrier, when given) whose head the shipment reaches; one is the lane, several
are ``ambiguous_lane``. A shipment that departed and has not arrived by the end
of the data is right-censored at that time — kept, not dropped — unless it has
moved on elsewhere (``missing_arrival``) or has been in transit for more than
:data:`STALE_FACTOR` times the lane's longest delivery (``stale``).

A clearance at a node starts at ``customs_submitted`` (else ``arrived``) and
ends at ``customs_released``; a ``customs_hold`` marks an inspection.

What reaches Python is small: per lane the count and the sums of log days of
the observed samples (sufficient statistics of a lognormal) and the censoring
times one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.history.events import Reason, sample_reason

FloatArray = npt.NDArray[np.float64]
#: A shipment in transit longer than this many times the lane's longest delivery is taken as
#: lost or never scanned on arrival (reason ``stale``), not as a censored sample: one such
#: "still in transit after half a year" on a two-day lane would stretch the fitted tail.
STALE_FACTOR = 3.0
_STAMP = "strftime(make_timestamp(CAST({} * 1e6 AS BIGINT)), '%Y-%m-%dT%H:%M:%SZ')"
_LEG_EXAMPLE = "'departed ' || tail || COALESCE(' on ' || lane, '') || ' at ' || " + _STAMP.format(
    "t_dep"
)
_CLEAR_EXAMPLE = (
    "'customs at ' || CAST(node AS VARCHAR) || COALESCE(' from ' || "
    + _STAMP.format("t0")
    + ", '')"
)
_CUSTOMS = "('customs_submitted', 'customs_hold', 'customs_released')"


@dataclass(frozen=True, eq=False)
class LogSample:
    """Durations in days: observed ones as lognormal sufficient statistics, censored one by one."""

    n: int
    sum_log: float
    sum_log2: float
    censored: FloatArray = field(default_factory=lambda: np.zeros(0))
    first_t: float | None = None
    last_t: float | None = None

    @property
    def n_censored(self) -> int:
        return int(self.censored.size)


@dataclass(frozen=True, eq=False)
class LaneSample:
    lane: str
    sample: LogSample
    departure_days: int  # distinct calendar days (UTC) with a departure


@dataclass(frozen=True, eq=False)
class NodeSample:
    node: str
    clear: LogSample  # clearances without a customs_hold
    held: LogSample  # clearances with a customs_hold
    n_total: int  # clearances started (observed + still open)
    n_held: int


def lane_samples(con: Any, as_of: float) -> tuple[list[LaneSample], list[Reason]]:
    """Transit samples per lane (sorted by lane id) and the legs set aside, by reason."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dep AS SELECT row_number() OVER () AS did, sid, "
        "node AS tail, lane, mode, carrier, t FROM ev WHERE event = 'departed'"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE arr AS SELECT sid, node AS head, lane, t FROM ev "
        "WHERE event = 'arrived' OR (event = 'delivered' "
        "AND node IN (SELECT id FROM net_nodes WHERE is_market))"
    )
    # Lanes that fit a departure without a lane cell; `seen`: the shipment reaches the head.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cand AS "
        "SELECT d.did, l.id AS lane, bool_or(a.sid IS NOT NULL) AS seen "
        "FROM dep d JOIN net_lanes l ON l.tail = d.tail "
        "AND (d.mode IS NULL OR l.mode = d.mode) AND (d.carrier IS NULL OR l.carrier = d.carrier) "
        "LEFT JOIN (SELECT DISTINCT sid, head, lane FROM arr) a ON a.sid = d.sid "
        "AND a.head = l.head AND (a.lane IS NULL OR a.lane = l.id) "
        "WHERE d.lane IS NULL GROUP BY d.did, l.id"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pick AS SELECT did, count(*) AS n_cand, "
        "count(*) FILTER (WHERE seen) AS n_seen, "
        "CASE WHEN count(*) FILTER (WHERE seen) = 1 THEN max(lane) FILTER (WHERE seen) "
        "WHEN count(*) FILTER (WHERE seen) = 0 AND count(*) = 1 THEN max(lane) END AS lane "
        "FROM cand GROUP BY did"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE leg AS "
        "SELECT d.did, d.sid, d.t AS t_dep, d.tail, l.id AS lane, l.head, "
        "CASE WHEN d.lane IS NULL AND p.did IS NULL THEN 'no_lane' "
        "WHEN d.lane IS NULL AND p.lane IS NULL THEN 'ambiguous_lane' "
        "WHEN l.tail <> d.tail THEN 'lane_node_mismatch' END AS bad "
        "FROM dep d LEFT JOIN pick p ON p.did = d.did "
        "LEFT JOIN net_lanes l ON l.id = COALESCE(d.lane, p.lane)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE legs AS "
        "SELECT m.*, CASE WHEN m.bad IS NOT NULL THEN m.bad "
        "WHEN m.t_arr IS NOT NULL THEN 'observed' WHEN m.n_before > 0 THEN 'out_of_order' "
        "WHEN mv.t_move > m.t_dep THEN 'missing_arrival' ELSE 'censored' END AS status, "
        f"CASE WHEN m.t_arr IS NOT NULL THEN (m.t_arr - m.t_dep) / 86400.0 "
        f"ELSE greatest(({as_of!r} - m.t_dep) / 86400.0, 1e-6) END AS days FROM ("
        "SELECT g.did, g.sid, g.t_dep, g.tail, g.lane, g.bad, "
        "min(a.t) FILTER (WHERE a.t > g.t_dep) AS t_arr, "
        "count(a.t) FILTER (WHERE a.t <= g.t_dep) AS n_before "
        "FROM leg g LEFT JOIN arr a ON g.bad IS NULL AND a.sid = g.sid AND a.head = g.head "
        "AND (a.lane IS NULL OR a.lane = g.lane) "
        "GROUP BY g.did, g.sid, g.t_dep, g.tail, g.lane, g.bad) m "
        "LEFT JOIN moved mv ON mv.sid = m.sid"
    )
    con.execute(
        "UPDATE legs SET status = 'stale' FROM (SELECT lane, max(days) AS longest FROM legs "
        "WHERE status = 'observed' GROUP BY lane) o WHERE legs.lane = o.lane "
        f"AND legs.status = 'censored' AND legs.days > {STALE_FACTOR} * o.longest"
    )
    codes: tuple[str, ...] = ("out_of_order", "ambiguous_lane", "no_lane", "lane_node_mismatch")
    codes += ("missing_arrival", "stale")
    found = (sample_reason(con, c, "legs", "legs", f"status = '{c}'", _LEG_EXAMPLE) for c in codes)
    reasons = [r for r in found if r is not None]
    stats = con.execute(
        "SELECT lane, count(*) FILTER (WHERE status = 'observed'), "
        "COALESCE(sum(ln(days)) FILTER (WHERE status = 'observed'), 0), "
        "COALESCE(sum(ln(days) * ln(days)) FILTER (WHERE status = 'observed'), 0), "
        "min(t_dep), max(t_dep), count(DISTINCT floor(t_dep / 86400)) "
        "FROM legs WHERE status IN ('observed', 'censored') GROUP BY lane ORDER BY lane"
    ).fetchall()
    censored = _split(
        con,
        "SELECT CAST(lane AS VARCHAR) AS lane, days FROM legs WHERE status = 'censored'",
        "lane",
    )
    samples = [
        LaneSample(
            lane,
            LogSample(int(n), float(s1), float(s2), censored.get(lane, np.zeros(0)), t0, t1),
            int(days),
        )
        for lane, n, s1, s2, t0, t1, days in stats
    ]
    return samples, reasons


def observed_days(con: Any, lane: str, limit: int = 50000) -> tuple[FloatArray, FloatArray]:
    """(observed, censored) transit days of one lane, for plots.

    At most ``limit`` of each, picked by a hash of the leg (deterministic and
    unrelated to the duration, so the picked ones are a fair sample).
    """
    out = []
    for status in ("observed", "censored"):
        rows = con.execute(
            "SELECT days FROM legs WHERE lane = ? AND status = ? ORDER BY hash(did) LIMIT ?",
            [lane, status, limit],
        ).fetchnumpy()
        out.append(np.sort(np.asarray(rows["days"], dtype=np.float64)))
    return out[0], out[1]


def node_samples(con: Any, as_of: float) -> tuple[list[NodeSample], list[Reason]]:
    """Clearance samples per node that shows customs events (sorted by node id)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE clr AS SELECT c.*, "
        "CASE WHEN c.t0 IS NULL THEN 'missing_start' "
        "WHEN c.t_rel IS NOT NULL AND c.t_rel <= c.t0 THEN 'out_of_order' "
        "WHEN c.t_rel IS NOT NULL THEN 'observed' "
        "WHEN mv.t_move > c.t_end THEN 'missing_release' ELSE 'censored' END AS status, "
        f"CASE WHEN c.t_rel IS NOT NULL THEN (c.t_rel - c.t0) / 86400.0 "
        f"ELSE greatest(({as_of!r} - c.t0) / 86400.0, 1e-6) END AS days FROM ("
        "SELECT sid, node, COALESCE(min(t) FILTER (WHERE event = 'customs_submitted'), "
        "min(t) FILTER (WHERE event = 'arrived')) AS t0, "
        "min(t) FILTER (WHERE event = 'customs_released') AS t_rel, "
        f"max(t) FILTER (WHERE event IN {_CUSTOMS}) AS t_end, "
        "bool_or(event = 'customs_hold') AS held FROM ev "
        f"WHERE event IN {_CUSTOMS[:-1]}, 'arrived') "
        f"AND node IN (SELECT DISTINCT node FROM ev WHERE event IN {_CUSTOMS}) "
        f"GROUP BY sid, node HAVING count(*) FILTER (WHERE event IN {_CUSTOMS}) > 0) c "
        "LEFT JOIN moved mv ON mv.sid = c.sid"
    )
    codes = ("missing_start", "out_of_order", "missing_release")
    found = (
        sample_reason(con, c, "clearances", "clr", f"status = '{c}'", _CLEAR_EXAMPLE) for c in codes
    )
    reasons = [r for r in found if r is not None]
    stats = con.execute(
        "SELECT node, held, count(*) FILTER (WHERE status = 'observed'), "
        "COALESCE(sum(ln(days)) FILTER (WHERE status = 'observed'), 0), "
        "COALESCE(sum(ln(days) * ln(days)) FILTER (WHERE status = 'observed'), 0), "
        "min(t0), max(t0), count(*) FROM clr WHERE status IN ('observed', 'censored') "
        "GROUP BY node, held ORDER BY node, held"
    ).fetchall()
    censored = _split(
        con,
        "SELECT CAST(node AS VARCHAR) || '|' || CAST(held AS VARCHAR) AS k, days FROM clr "
        "WHERE status = 'censored'",
        "k",
    )
    parts: dict[str, dict[bool, tuple[LogSample, int]]] = {}
    for node, held, n, s1, s2, t0, t1, total in stats:
        key = f"{node}|{str(bool(held)).lower()}"
        sample = LogSample(int(n), float(s1), float(s2), censored.get(key, np.zeros(0)), t0, t1)
        parts.setdefault(node, {})[bool(held)] = (sample, int(total))
    empty = (LogSample(0, 0.0, 0.0), 0)
    out = []
    for node, by_held in sorted(parts.items()):
        clear, n_clear = by_held.get(False, empty)
        held, n_held = by_held.get(True, empty)
        out.append(NodeSample(node, clear, held, n_clear + n_held, n_held))
    return out, reasons


def _split(con: Any, sql: str, key: str) -> dict[str, FloatArray]:
    """Group the ``days`` of a two-column query by ``key`` (sorted in SQL, split in numpy)."""
    data = con.execute(f"{sql} ORDER BY {key}, days").fetchnumpy()
    keys = np.asarray(data[key]).astype(str)
    days = np.asarray(data["days"], dtype=np.float64)
    if keys.size == 0:
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    return {str(keys[s]): days[s:e] for s, e in zip(starts, ends, strict=True)}
