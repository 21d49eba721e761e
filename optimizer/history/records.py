"""Records of a calibration: its options and what it learned per lane and per node.

Kept apart from :mod:`.calibrate` so that its helpers (:mod:`.holdout`) can name them
without importing the pipeline back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimizer.history.events import EventLoad, Reason
from optimizer.history.fit import LogNormal
from optimizer.history.pool import PRIOR_STRENGTH, Pooled
from optimizer.network.records import Lane, Network, Node

#: Default --min-n: lanes and nodes with fewer observed samples keep the network's value.
MIN_N = 3


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
