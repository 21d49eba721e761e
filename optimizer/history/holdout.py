"""Held-out check: fit on the history before a date, score the deliveries after it.

``--holdout-after DATE`` calibrates on the events up to DATE (shipments still
in transit then are censored there, as on the day the plan would have been
made), then reads all events again and, for each lane, takes the deliveries
that *departed* after DATE. It reports how often they arrived within the
calibrated P90 (coverage; 0.90 is right) and the quantile (pinball) loss of
that P90, next to what the network's defaults would have scored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.history.events import load_events
from optimizer.history.samples import lane_samples
from optimizer.network.records import Network

if TYPE_CHECKING:
    from optimizer.history.calibrate import CalibrateOptions, LaneResult

#: Lanes need this many held-out deliveries to be scored.
MIN_HELD_OUT = 10
Q = 0.9


def pinball(days: np.ndarray, q_value: float, q: float = Q) -> float:
    """Mean quantile loss of predicting ``q_value`` as the ``q`` quantile of ``days``."""
    diff = days - q_value
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def evaluate(
    con: Any,
    paths: tuple[str, ...],
    network: Network,
    lanes: list[LaneResult],
    options: CalibrateOptions,
) -> tuple[dict[str, Any], ...]:
    """Per lane: held-out deliveries, coverage and loss of the calibrated and default P90."""
    assert options.holdout_after is not None
    load = load_events(con, paths, network, assume_utc=options.assume_utc, as_of=options.as_of)
    lane_samples(con, load.as_of if load.as_of is not None else 0.0)
    data = con.execute(
        "SELECT CAST(lane AS VARCHAR) AS lane, days FROM legs WHERE status = 'observed' "
        "AND t_dep > ? ORDER BY lane, days",
        [options.holdout_after],
    ).fetchnumpy()
    keys = np.asarray(data["lane"]).astype(str)
    days = np.asarray(data["days"], dtype=np.float64)
    by_lane = {r.lane.id: r for r in lanes}
    out = []
    if keys.size:
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], keys.size]
        for s, e in zip(starts, ends, strict=True):
            lane = str(keys[s])
            sample = days[s:e]
            if sample.size < MIN_HELD_OUT or lane not in by_lane:
                continue
            r = by_lane[lane]
            p90 = r.result.p90
            default = r.lane.transit_p90_days
            out.append(
                {
                    "lane": lane,
                    "n": int(sample.size),
                    "source": r.source,
                    "p90_days": round(p90, 4),
                    "default_p90_days": default,
                    "coverage": round(float(np.mean(sample <= p90)), 4),
                    "default_coverage": round(float(np.mean(sample <= default)), 4),
                    "loss": round(pinball(sample, p90), 4),
                    "default_loss": round(pinball(sample, default), 4),
                }
            )
    return tuple(sorted(out, key=lambda h: (-h["n"], h["lane"])))
