"""``xborder history watch``: recent tracking events against a calibrated baseline.

Pipeline: read and classify the events exactly as calibration does
(:mod:`.events`, :mod:`.samples`: same reasons, same censoring) → one series
per lane (transit), per clearing node × category (clearance time, hold rate)
→ the charts of :mod:`.drift` → alerts with what moved (P50/P90 or hold rate
now against the baseline), since when, on how much evidence, how severe.

The baseline is a network folder, usually the output of ``history
calibrate``: lanes are watched against the lognormal the plan uses
(``transit_mean_days`` / ``transit_p90_days`` of lanes.csv), hold rates
against nodes.csv's ``inspection_rate``, clearance times against the node fit
in calibration.csv (when there is one). Categories of clearances come from the
order lines (``--orders``: ``order_id`` = ``shipment_id``); without them a node
is watched over all categories (``*``).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.history.drift import (
    Chart,
    ChartSettings,
    capped_residuals,
    ewma_daily,
    hold_cusum,
    horizon_days,
)
from optimizer.history.events import EventLoad, Reason, load_events
from optimizer.history.fit import LogNormal, censored_fit
from optimizer.history.samples import LogSample, lane_samples, node_samples
from optimizer.history.sources import open_sources
from optimizer.history.survival import LaneStream, survival_cusum
from optimizer.network.reader import read_network
from optimizer.network.records import Network

FloatArray = npt.NDArray[np.float64]
DAY = 86400.0
YEAR_DAYS = 365.25
#: Series with fewer observations in the window are not watched (counted in the summary).
MIN_N = 30
#: With a calibration.csv, lanes and nodes whose baseline rests on fewer samples are not
#: watched: a fit on 16 deliveries is off by a quarter of a standard deviation as a rule,
#: and a chart cannot tell that from drift (``baseline_below_min_n`` in the summary).
MIN_BASELINE_N = 50
#: Baseline transit spreads below this are raised to it: a lane typed in as mean = P90 would
#: otherwise turn minutes of noise into "standard deviations".
SIGMA_FLOOR = 0.05
#: A transit or clearance alert is critical when its P90 moved by this much (:func:`grade`).
CRITICAL_EFFECT = 0.25
#: Exposure below this (days) is stretched to it when turning counts into yearly rates.
MIN_WINDOW_DAYS = 7.0
#: Weight (in clearances) of the node's all-category hold rate in a category's baseline rate.
PRIOR_CLEARANCES = 100
ALL = "*"


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """Options of one watch run; validates itself."""

    since: float | None = None  # UTC epoch seconds; None: end of the baseline's data, else all
    as_of: float | None = None  # end of the data (UTC epoch seconds); None: the latest event
    assume_utc: bool = False
    min_n: int = MIN_N
    min_baseline_n: int = MIN_BASELINE_N
    settings: ChartSettings = field(default_factory=ChartSettings)

    def __post_init__(self) -> None:
        if self.min_n < 2:
            raise ValueError("min_n must be >= 2")


@dataclass(frozen=True, eq=False)
class Series:
    """One watched series: its observations in time order and its charts."""

    kind: str  # "lane" or "node"
    id: str
    category: str
    metric: str  # "transit_days", "clearance_days" or "hold_rate"
    t: FloatArray  # information time of each observation (arrival, release or submission)
    value: FloatArray  # days (transit/clearance) or 1.0/0.0 (held)
    t_start: FloatArray  # departure or submission time of each observation
    baseline: LogNormal | None  # None for hold rates
    rate: float | None  # baseline hold rate
    charts: tuple[Chart, ...]
    chart_t: tuple[FloatArray, ...]  # time axis of each chart
    censored: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))  # (t_start, days)

    @property
    def alarmed(self) -> tuple[Chart, ...]:
        return tuple(c for c in self.charts if c.alarm is not None)


@dataclass(frozen=True, slots=True)
class Alert:
    """What moved on one series (docs/watch.md, Alerts)."""

    kind: str
    id: str
    category: str
    metric: str
    baseline: dict[str, float]
    now: dict[str, float]  # from `since` to the end of the data
    evidence: dict[str, float]  # from `since` to `detected`: what the alarm stood on
    since: float  # departure (submission) of the first observation of the evidence, UTC epoch s
    since_entry: float  # when that observation entered the charts (windows are cut on this)
    detected: float  # the observation that raised the alarm
    n: int  # observations from `since` to the end of the data
    severity: str  # "critical" or "warning"
    charts: tuple[str, ...]
    effect: float  # relative change of the headline figure (P90 or hold rate)
    reason: str = ""  # why this severity (docs/watch.md, Severity)


@dataclass(frozen=True)
class WatchResult:
    """Everything a watch run found; the CLI renders it, replan reads it."""

    network: Network
    load: EventLoad
    reasons: tuple[Reason, ...]
    start: float
    end: float
    series: tuple[Series, ...]
    alerts: tuple[Alert, ...]
    skipped: dict[str, int]  # series not watched, by why

    @property
    def lane_years(self) -> float:
        days = (self.end - self.start) / DAY
        lanes = sum(1 for s in self.series if s.kind == "lane")
        return lanes * days / YEAR_DAYS

    def alerting(self) -> list[Series]:
        keys = {(a.kind, a.id, a.category, a.metric) for a in self.alerts}
        return [s for s in self.series if (s.kind, s.id, s.category, s.metric) in keys]


def watch(
    paths: tuple[str, ...],
    baseline_path: Path,
    options: WatchOptions,
    *,
    orders: tuple[str, ...] = (),
    con: Any = None,
    say: Callable[[str], None] | None = None,
) -> WatchResult:
    """Read the events, build the series, run the charts, collect the alerts."""
    from optimizer.history.calibrate import connect

    say = say or (lambda _: None)
    network = read_network(baseline_path)
    facts = read_calibration(baseline_path / "calibration.csv")
    con = con if con is not None else connect()
    load = load_events(con, paths, network, assume_utc=options.assume_utc, as_of=options.as_of)
    say(f"{load.rows:,} events read, {load.usable:,} usable")
    end = load.as_of if load.as_of is not None else 0.0
    _, lane_reasons = lane_samples(con, end)
    _, node_reasons = node_samples(con, end)
    reasons = [*load.reasons, *lane_reasons, *node_reasons]
    if orders:
        reasons += _categories(con, orders)
    start = _start(options.since, facts.end, load)
    say(f"watching from {stamp(start)} to {stamp(end)}")
    skipped: dict[str, int] = {}
    series = [
        *_lane_series(con, network, facts, start, end, options, skipped),
        *_node_series(con, network, facts, start, end, options, skipped, bool(orders)),
    ]
    alerts = [a for s in series if (a := alert_for(s, options.settings)) is not None]
    alerts.sort(key=lambda a: (a.severity != "critical", a.kind, a.id, a.category, a.metric))
    return WatchResult(
        network, load, tuple(reasons), start, end, tuple(series), tuple(alerts), skipped
    )


@dataclass(frozen=True)
class BaselineFacts:
    """What calibration.csv says about the baseline: node clearance fits, sample sizes, end."""

    node_fits: dict[str, LogNormal] = field(default_factory=dict)
    lane_fits: dict[str, LogNormal] = field(default_factory=dict)  # own fits, before pooling
    n: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, id) -> samples
    end: float | None = None
    present: bool = False  # calibration.csv exists (else the network's figures are taken as exact)

    def too_thin(self, kind: str, ident: str, min_n: int) -> bool:
        """A calibrated baseline resting on fewer than ``min_n`` samples (or on a default)."""
        return self.present and self.n.get((kind, ident), 0) < min_n


def read_calibration(path: Path) -> BaselineFacts:
    """Own fits per lane and node, samples per lane and node, the end of the baseline's data."""
    if not path.exists():
        return BaselineFacts()
    fits: dict[str, LogNormal] = {}
    lane_fits: dict[str, LogNormal] = {}
    sizes: dict[tuple[str, str], int] = {}
    last: float | None = None
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            when = row.get("last_time") or ""
            if when:
                t = dt.datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
                last = t if last is None else max(last, t)
            if (row.get("n") or "").isdigit() and row.get("source") != "default":
                sizes[(row.get("kind") or "", row.get("id") or "")] = int(row["n"])
            if row.get("mu") and row.get("sigma") and row.get("source") != "default":
                try:
                    fit = LogNormal(float(row["mu"]), float(row["sigma"]))
                except ValueError:
                    continue
                (fits if row.get("kind") == "node" else lane_fits)[row["id"]] = fit
    return BaselineFacts(fits, lane_fits, sizes, last, True)


def baseline_se(n: int | None, settings: ChartSettings) -> float:
    """The charts' allowance for the baseline's own error, in standard deviations."""
    return settings.baseline_se / math.sqrt(n) if n else 0.0


def _start(since: float | None, baseline_end: float | None, load: EventLoad) -> float:
    """--since, else the end of the baseline's data when the events go beyond it, else all."""
    first = load.first_time if load.first_time is not None else 0.0
    end = load.as_of if load.as_of is not None else first
    if since is not None:
        return since
    if baseline_end is not None and first < baseline_end < end:
        return baseline_end
    return first


def _categories(con: Any, paths: tuple[str, ...]) -> list[Reason]:
    """Table ``cat`` (sid, category) from order lines; orders without a category are counted."""
    wanted = ("order_id", "category")
    groups = open_sources(con, paths, wanted, wanted)
    selects = [
        f"SELECT {g.text('order_id')} AS sid, {g.text('category')} AS category FROM {g.scan()}"
        for g in groups
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cat AS SELECT sid, min(category) AS category, "
        f"count(DISTINCT category) AS n FROM ({' UNION ALL '.join(selects)}) "
        "WHERE sid IS NOT NULL AND category IS NOT NULL GROUP BY sid"
    )
    missing = con.execute(
        "SELECT count(*), list(sid ORDER BY sid)[1:3] FROM (SELECT DISTINCT sid FROM clr "
        "WHERE status IN ('observed', 'censored') AND sid NOT IN (SELECT sid FROM cat))"
    ).fetchone()
    if not missing[0]:
        return []
    examples = tuple(f"shipment {s}: no order line with its id" for s in missing[1])
    return [Reason("no_category", "clearances", int(missing[0]), examples)]


def _split(keys: npt.NDArray[Any]) -> list[tuple[int, int]]:
    if keys.size == 0:
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _per_year(n: int, start: float, end: float) -> float:
    return n / max((end - start) / DAY, MIN_WINDOW_DAYS) * YEAR_DAYS


def duration_series(
    kind: str,
    ident: str,
    category: str,
    metric: str,
    t_start: FloatArray,
    days: FloatArray,
    censored: FloatArray,
    base: LogNormal,
    window: tuple[float, float],
    settings: ChartSettings,
    base_n: int | None = None,
) -> Series:
    """CUSUM and EWMA on standardized log residuals of durations as known at the horizon.

    ``base_n``: samples the baseline was fitted on (its error widens the charts' reference).
    """
    sigma = max(base.sigma, SIGMA_FLOOR)
    allowance = baseline_se(base_n, settings)
    open_starts = censored[:, 0] if censored.size else np.zeros(0)
    z, t = capped_residuals(
        t_start, days, open_starts, base.mu, sigma, window[1], settings.cap_quantile
    )
    open_days = np.full(open_starts.size, np.nan)
    stream = LaneStream(np.concatenate([t_start, open_starts]), np.concatenate([days, open_days]))
    cusum, ticks = survival_cusum(stream, base.mu, sigma, window, settings, allowance)
    day, inverse = np.unique(np.floor(t / DAY), return_inverse=True)
    day_sum = np.bincount(inverse, weights=z).astype(np.float64)
    day_n = np.bincount(inverse).astype(np.float64)
    min_shift = math.log1p(settings.min_effect) / sigma + allowance
    ewma = ewma_daily(day_sum, day_n, settings, min_shift)
    entered = t_start + horizon_days(base.mu, sigma, settings.cap_quantile) * DAY
    return Series(
        kind,
        ident,
        category,
        metric,
        entered,
        days,
        t_start,
        base,
        None,
        (cusum, ewma),
        (ticks, (day + 1) * DAY),
        censored,
    )


def _lane_series(
    con: Any,
    network: Network,
    facts: BaselineFacts,
    start: float,
    end: float,
    options: WatchOptions,
    skipped: dict[str, int],
) -> list[Series]:
    data = con.execute(
        "SELECT lane, t_dep, days FROM legs "
        f"WHERE status = 'observed' AND t_dep >= {start!r} ORDER BY lane, t_dep, sid"
    ).fetchnumpy()
    cens = con.execute(
        f"SELECT lane, t_dep, days FROM legs WHERE status = 'censored' AND t_dep >= {start!r} "
        "ORDER BY lane, t_dep"
    ).fetchnumpy()
    cens_by = {
        str(cens["lane"][a]): np.column_stack([cens["t_dep"][a:b], cens["days"][a:b]])
        for a, b in _split(np.asarray(cens["lane"]).astype(str))
    }
    lanes = {lane.id: lane for lane in network.lanes}
    keys = np.asarray(data["lane"]).astype(str)
    out = []
    for a, b in _split(keys):
        lane = lanes[str(keys[a])]
        if b - a < options.min_n:
            skipped["lanes_below_min_n"] = skipped.get("lanes_below_min_n", 0) + 1
            continue
        if facts.too_thin("lane", lane.id, options.min_baseline_n):
            skipped["lanes_baseline_below_min_n"] = skipped.get("lanes_baseline_below_min_n", 0) + 1
            continue
        # drift is change against the lane's own history (its fit before pooling toward its
        # group); without one, against the figures the plan uses
        planned = LogNormal.from_mean_p90(lane.transit_mean_days, lane.transit_p90_days)
        base = facts.lane_fits.get(lane.id, planned)
        days = np.maximum(np.asarray(data["days"][a:b], dtype=np.float64), 1e-6)
        out.append(
            duration_series(
                "lane",
                lane.id,
                ALL,
                "transit_days",
                np.asarray(data["t_dep"][a:b], dtype=np.float64),
                days,
                cens_by.get(lane.id, np.zeros((0, 2))),
                base,
                (start, end),
                options.settings,
                facts.n.get(("lane", lane.id)),
            )
        )
    return out


def _node_series(
    con: Any,
    network: Network,
    facts: BaselineFacts,
    start: float,
    end: float,
    options: WatchOptions,
    skipped: dict[str, int],
    with_categories: bool,
) -> list[Series]:
    category = "c.category" if with_categories else f"'{ALL}'"
    join = "JOIN cat c ON c.sid = r.sid" if with_categories else ""
    data = con.execute(
        f"SELECT r.node, {category} AS category, r.t0, r.held, r.status, r.days "
        f"FROM clr r {join} WHERE r.status IN ('observed', 'censored') AND r.t0 >= {start!r} "
        "ORDER BY r.node, category, r.t0, r.sid"
    ).fetchnumpy()
    nodes = network.node_by_id
    cut = min(start, facts.end) if facts.end is not None else start
    before = category_holds(con, cut) if with_categories else {}
    keys = np.char.add(
        np.asarray(data["node"]).astype(str), np.char.add("|", np.asarray(data["category"]))
    )
    out: list[Series] = []
    for a, b in _split(keys):
        node_id, cat = str(keys[a]).split("|", 1)
        if b - a < options.min_n:
            skipped["nodes_below_min_n"] = skipped.get("nodes_below_min_n", 0) + 1
            continue
        if facts.too_thin("node", node_id, options.min_baseline_n):
            skipped["nodes_baseline_below_min_n"] = skipped.get("nodes_baseline_below_min_n", 0) + 1
            continue
        t0 = np.asarray(data["t0"][a:b], dtype=np.float64)
        held = np.asarray(data["held"][a:b], dtype=bool)
        window = (start, end)
        n0 = facts.n.get(("node", node_id))
        p0, n_rate = category_rate(nodes[node_id].inspection_rate, n0, before.get((node_id, cat)))
        p_null = p0 + (math.sqrt(p0 * (1 - p0)) * baseline_se(n_rate, options.settings))
        chart = hold_cusum(held, p_null, _per_year(b - a, *window), options.settings)
        out.append(
            Series(
                "node",
                node_id,
                cat,
                "hold_rate",
                t0,
                held.astype(np.float64),
                t0,
                None,
                p0,
                (chart,),
                (t0,),
            )
        )
        fit = facts.node_fits.get(node_id)
        status = np.asarray(data["status"][a:b]).astype(str)
        clean = (status == "observed") & ~held
        if fit is None or clean.sum() < options.min_n:
            continue
        days = np.maximum(np.asarray(data["days"][a:b], dtype=np.float64)[clean], 1e-6)
        open_ = (status == "censored") & ~held
        censored = np.column_stack([t0[open_], np.asarray(data["days"][a:b])[open_]])
        out.append(
            duration_series(
                "node",
                node_id,
                cat,
                "clearance_days",
                t0[clean],
                days,
                censored,
                fit,
                window,
                options.settings,
                n0,
            )
        )
    return out


def category_holds(con: Any, cut: float) -> dict[tuple[str, str], tuple[int, int]]:
    """(clearances, holds) per node x category before ``cut`` (the baseline's own data)."""
    rows = con.execute(
        "SELECT CAST(r.node AS VARCHAR), c.category, count(*), count(*) FILTER (WHERE r.held) "
        "FROM clr r JOIN cat c ON c.sid = r.sid "
        f"WHERE r.status IN ('observed', 'censored') AND r.t0 < {cut!r} GROUP BY 1, 2"
    ).fetchall()
    return {(str(node), str(cat)): (int(n), int(held)) for node, cat, n, held in rows}


def category_rate(
    node_rate: float, node_n: int | None, counts: tuple[int, int] | None
) -> tuple[float, int | None]:
    """Baseline hold rate of one node x category and the sample size it rests on.

    The category's own rate in the baseline data, shrunk toward the node's rate by
    ``PRIOR_CLEARANCES`` pseudo-clearances (a beta prior): ``(holds + m p_node) / (n + m)``.
    Categories differ (a customs point may inspect apparel four times as often as toys),
    so a doubled toys rate can stay below the node's all-category rate; the shrinkage keeps
    a category seen 20 times from getting a rate of 0 % or 10 % by chance. Without
    baseline clearances of that category (events that start where the baseline ends), the
    node's rate and its sample size.
    """
    if counts is None or counts[0] == 0:
        return node_rate, node_n
    n, held = counts
    rate = (held + PRIOR_CLEARANCES * node_rate) / (n + PRIOR_CLEARANCES)
    return rate, n + PRIOR_CLEARANCES


def recent_fit(s: Series, since: float, until: float | None = None) -> LogNormal | None:
    """Censored lognormal fit of a duration series from ``since`` (to ``until``, else the end).

    The calibrator's fit (:func:`optimizer.history.fit.censored_fit`); shipments still
    open at the end of the data that started in the window count as censored.
    """
    keep = s.t >= since
    if until is not None:
        keep &= s.t <= until
    logs = np.log(s.value[keep])
    if not keep.any():
        return None
    first, last = float(s.t_start[keep].min()), float(s.t_start[keep].max())
    starts = s.censored[:, 0] if s.censored.size else np.zeros(0)
    inside = (starts >= first) & ((starts <= last) if until is not None else True)
    censored = s.censored[inside, 1] if s.censored.size else np.zeros(0)
    sample = LogSample(int(logs.size), float(logs.sum()), float((logs * logs).sum()), censored)
    return censored_fit(sample)


def alert_for(s: Series, settings: ChartSettings) -> Alert | None:
    """An alert for a series whose charts alarmed, with what moved since the change point."""
    fired = s.alarmed
    if not fired:
        return None
    first = min(fired, key=lambda c: _chart_time(s, c, c.alarm))
    detected = _chart_time(s, first, first.alarm)
    since = min(_chart_time(s, c, c.start, since=True) for c in fired)
    keep = s.t >= since
    n = int(keep.sum())
    names = tuple(c.name for c in fired)
    if s.metric == "hold_rate":
        rate = float(s.value[keep].mean()) if n else 0.0
        upto = keep & (s.t <= detected)
        at_alarm = float(s.value[upto].mean()) if upto.any() else rate
        base = max(s.rate or 0.0, 0.0)
        effect = rate / base - 1 if base > 0 else math.inf
        severity, reason = grade(s.metric, effect, settings)
        return Alert(
            s.kind,
            s.id,
            s.category,
            s.metric,
            {"hold_rate": base},
            {"hold_rate": rate},
            {"hold_rate": at_alarm},
            _start_of(s, since),
            since,
            detected,
            n,
            severity,
            names,
            effect,
            reason,
        )
    assert s.baseline is not None
    now = recent_fit(s, since)
    if now is None:
        return None
    ev = recent_fit(s, since, detected) or now
    effect = now.p90 / s.baseline.p90 - 1
    severity, reason = grade(s.metric, effect, settings)
    return Alert(
        s.kind,
        s.id,
        s.category,
        s.metric,
        {"p50_days": s.baseline.p50, "p90_days": s.baseline.p90},
        {"p50_days": now.p50, "p90_days": now.p90},
        {"p50_days": ev.p50, "p90_days": ev.p90},
        _start_of(s, since),
        since,
        detected,
        n,
        severity,
        names,
        effect,
        reason,
    )


def grade(metric: str, effect: float, settings: ChartSettings) -> tuple[str, str]:
    """Severity of an alert from the size of the shift, and why (docs/watch.md, Severity).

    Transit and clearance times: ``critical`` when P90 moved by ``CRITICAL_EFFECT``
    (+25 %) or more — a quarter slower at P90 moves any lead-time promise built on it —
    else ``warning`` (a real but small shift, e.g. +10 %). Hold rates: ``critical`` at
    ``hold_ratio`` (2 x) the baseline or more — the shift the chart is designed for — else
    ``warning``. How many charts alarmed is evidence, not severity. ``--replan`` raises an
    alert to ``critical`` when the plan changes because of it (:mod:`.replan`).
    """
    if metric == "hold_rate":
        ratio = effect + 1
        if ratio >= settings.hold_ratio:
            return "critical", f"hold rate {ratio:.2f} x baseline (>= {settings.hold_ratio:g} x)"
        return "warning", f"hold rate {ratio:.2f} x baseline (< {settings.hold_ratio:g} x)"
    moved = f"P90 {effect * 100:+.0f} %"  # as the alerts table prints it
    if effect >= CRITICAL_EFFECT:
        return "critical", f"{moved} (>= +{CRITICAL_EFFECT * 100:.0f} %)"
    return "warning", f"{moved} (< +{CRITICAL_EFFECT * 100:.0f} %)"


def _start_of(s: Series, entry: float) -> float:
    """Departure (submission) time of the first observation entering at or after ``entry``."""
    after = np.flatnonzero(s.t >= entry)
    return float(s.t_start[after].min()) if after.size else entry


def _chart_time(s: Series, chart: Chart, index: int | None, *, since: bool = False) -> float:
    """Time of step ``index`` of ``chart``; for a daily chart's change point, that day's start."""
    if since and chart.start_time is not None:
        # the entry time of the first observation departing at or after the change point
        after = np.flatnonzero(s.t_start >= chart.start_time)
        return float(s.t[after].min()) if after.size else float(s.t.max(initial=chart.start_time))
    k = s.charts.index(chart)
    axis = s.chart_t[k]
    i = 0 if index is None else min(index, axis.size - 1)
    t = float(axis[i])
    if since and chart.name == "ewma":
        return t - DAY
    return t


def stamp(t: float | None) -> str:
    """UTC date-time text of epoch seconds."""
    if t is None or not math.isfinite(t):
        return ""
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
