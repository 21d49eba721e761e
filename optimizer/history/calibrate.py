"""``xborder history calibrate``: tracking events → a calibrated network folder.

Pipeline: read and classify the events (:mod:`.events`) → transit and
clearance samples in SQL (:mod:`.samples`) → censored lognormal fits
(:mod:`.fit`) → pooling of sparse lanes (:mod:`.pool`) → a complete network
folder (:mod:`.output`) and a summary (:mod:`.report`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.history.events import EventLoad, Reason, load_events
from optimizer.history.fit import LogNormal, censored_fit, naive_fit
from optimizer.history.pool import PRIOR_STRENGTH, LaneFit, Pooled, pool
from optimizer.history.samples import LaneSample, NodeSample, lane_samples, node_samples
from optimizer.network.reader import load_network
from optimizer.network.records import Lane, Network, Node

#: Default --min-n: lanes and nodes with fewer observed samples keep the network's value.
MIN_N = 3
#: A lane's own fit "dominates" (source = history) from this pooling weight up.
HISTORY_WEIGHT = 0.9
#: Departures per week are learned from at least this many days of departures.
MIN_SPAN_DAYS = 28.0
#: Busiest lanes drawn in calibration.png.
PLOT_LANES = 4
SEA_RAIL = ("sea_fcl", "sea_lcl", "rail")


@dataclass(frozen=True, slots=True)
class CalibrateOptions:
    """Options of one calibration; validates itself."""

    min_n: int = MIN_N
    prior_strength: float = PRIOR_STRENGTH
    assume_utc: bool = False
    as_of: float | None = None  # UTC epoch seconds; None = the latest event
    holdout_after: float | None = None  # UTC epoch seconds
    plot: bool = True

    def __post_init__(self) -> None:
        if self.min_n < 1:
            raise ValueError("min_n must be >= 1")
        if not self.prior_strength > 0:
            raise ValueError("prior_strength must be > 0")


@dataclass(frozen=True, slots=True)
class LaneResult:
    lane: Lane
    n: int
    n_censored: int
    fit: LogNormal | None
    naive: LogNormal | None
    pooled: Pooled | None
    result: LogNormal  # what the network plans with (the default when source = default)
    source: str
    departures_per_week: float | None
    first_t: float | None
    last_t: float | None
    note: str


@dataclass(frozen=True, slots=True)
class NodeResult:
    node: Node
    n: int
    n_censored: int
    n_total: int
    n_held: int
    fit: LogNormal | None
    customs_days: float
    inspection_rate: float
    inspection_delay_days: float
    source: str
    first_t: float | None
    last_t: float | None
    note: str


@dataclass(frozen=True)
class Calibration:
    """Everything a calibration learned; :func:`write_folder` and the summary read it."""

    network: Network
    load: EventLoad
    reasons: tuple[Reason, ...]
    lanes: tuple[LaneResult, ...]
    nodes: tuple[NodeResult, ...]
    holdout: tuple[dict[str, Any], ...] = ()


def calibrate(
    paths: tuple[str, ...],
    network_path: Path,
    options: CalibrateOptions,
    *,
    con: Any = None,
    say: Callable[[str], None] | None = None,
) -> Calibration:
    """Read the events, fit, pool; the folder is written by :func:`write_folder`.

    ``say`` receives progress messages (the CLI prints them on stderr).
    """
    say = say or (lambda _: None)
    network, _ = load_network(network_path)
    con = con if con is not None else connect()
    as_of = options.holdout_after if options.holdout_after is not None else options.as_of
    load = load_events(con, paths, network, assume_utc=options.assume_utc, as_of=as_of)
    say(f"{load.rows:,} events read, {load.usable:,} usable; building transit samples")
    end = load.as_of if load.as_of is not None else 0.0
    lane_s, lane_reasons = lane_samples(con, end)
    node_s, node_reasons = node_samples(con, end)
    say(f"fitting {len(lane_s)} lanes and {len(node_s)} clearing nodes")
    lanes = lane_results(network, lane_s, options)
    nodes = node_results(network, node_s, options)
    holdout: tuple[dict[str, Any], ...] = ()
    if options.holdout_after is not None:
        from optimizer.history.holdout import evaluate

        say("scoring the held-out deliveries")
        holdout = evaluate(con, paths, network, lanes, options)
    return Calibration(
        network,
        load,
        (*load.reasons, *lane_reasons, *node_reasons),
        tuple(lanes),
        tuple(nodes),
        holdout,
    )


def connect() -> Any:
    """An in-memory DuckDB that spills to a temporary folder instead of exceeding memory."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/xborder_duckdb'")
    con.execute("SET memory_limit = '3GB'")
    return con


def lane_results(
    network: Network, samples: list[LaneSample], options: CalibrateOptions
) -> list[LaneResult]:
    """Fit, pool and choose the source of every lane of ``network``."""
    by_lane = {s.lane: s for s in samples}
    fits = {}
    inputs = []
    for lane in network.lanes:
        s = by_lane.get(lane.id)
        default = LogNormal.from_mean_p90(lane.transit_mean_days, lane.transit_p90_days)
        fit = censored_fit(s.sample) if s is not None else None
        fits[lane.id] = fit
        if s is not None and s.sample.n >= options.min_n:
            inputs.append(
                LaneFit(lane.id, lane.mode.value, ";".join(lane.corridor), default, fit, s.sample.n)
            )
    pooled = pool(inputs, prior_strength=options.prior_strength)
    out = []
    for lane in network.lanes:
        s = by_lane.get(lane.id)
        default = LogNormal.from_mean_p90(lane.transit_mean_days, lane.transit_p90_days)
        n = s.sample.n if s else 0
        n_c = s.sample.n_censored if s else 0
        p = pooled.get(lane.id)
        if s is None:
            source, result, note = "default", default, "no history"
        elif p is None:
            source, result = "default", default
            note = f"{n} deliveries < --min-n {options.min_n}: default kept"
        else:
            result = p.result
            source = "history" if p.weight >= HISTORY_WEIGHT else "pooled"
            note = f"weight {p.weight:.2f} on own fit, rest from group {p.group}"
        dpw = None
        if s is not None and source != "default" and not lane.weekdays:
            dpw = _departures_per_week(s)
        out.append(
            LaneResult(
                lane,
                n,
                n_c,
                fits.get(lane.id),
                naive_fit(s.sample) if s else None,
                p,
                result,
                source,
                dpw,
                s.sample.first_t if s else None,
                s.sample.last_t if s else None,
                note,
            )
        )
    return out


def _departures_per_week(s: LaneSample) -> float | None:
    """Distinct departure days per week, when they show a schedule sparser than daily."""
    if s.sample.first_t is None or s.sample.last_t is None:
        return None
    span = (s.sample.last_t - s.sample.first_t) / 86400.0 + 1.0
    if span < MIN_SPAN_DAYS:
        return None
    per_week = s.departure_days / (span / 7.0)
    return round(per_week, 2) if per_week < 6.5 else None


def node_results(
    network: Network, samples: list[NodeSample], options: CalibrateOptions
) -> list[NodeResult]:
    """Customs days, inspection rate and delay of every node with clearances."""
    out = []
    for s in samples:
        node = network.node_by_id[s.node]
        n = s.clear.n + s.held.n
        fit = censored_fit(s.clear)
        held_fit = censored_fit(s.held)
        if s.clear.n < options.min_n or fit is None:
            out.append(
                NodeResult(
                    node,
                    n,
                    s.clear.n_censored + s.held.n_censored,
                    s.n_total,
                    s.n_held,
                    fit,
                    node.customs_days,
                    node.inspection_rate,
                    node.inspection_delay_days,
                    "default",
                    s.clear.first_t,
                    s.clear.last_t,
                    f"{s.clear.n} clearances < --min-n {options.min_n}: default kept",
                )
            )
            continue
        rate = s.n_held / s.n_total if s.n_total else node.inspection_rate
        delay = node.inspection_delay_days
        note = "clearance and inspection rate from history"
        if held_fit is not None and s.held.n >= options.min_n:
            delay = max(held_fit.mean - fit.mean, 0.0)
            note += "; inspection delay from history"
        else:
            note += f"; {s.held.n} held clearances < --min-n: default inspection delay kept"
        out.append(
            NodeResult(
                node,
                n,
                s.clear.n_censored + s.held.n_censored,
                s.n_total,
                s.n_held,
                fit,
                fit.mean,
                rate,
                delay,
                "history",
                min((t for t in (s.clear.first_t, s.held.first_t) if t is not None), default=None),
                max((t for t in (s.clear.last_t, s.held.last_t) if t is not None), default=None),
                note,
            )
        )
    return out


def plot_quantities(cal: Calibration) -> list[LaneResult]:
    """Busiest lanes with history, for calibration.png."""
    with_data = [r for r in cal.lanes if r.n >= 2 and r.fit is not None]
    return sorted(with_data, key=lambda r: (-r.n, r.lane.id))[:PLOT_LANES]
