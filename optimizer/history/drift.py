"""Change detectors for ``xborder history watch``: CUSUM tools, EWMA and a Bernoulli CUSUM.

The transit chart itself, the survival CUSUM (arrivals and shipments still in
transit), is in :mod:`optimizer.history.survival`; it uses the CUSUM tools here.

Pure numpy on one series at a time (or on a matrix of simulated series, one per
row, for the benchmark); no I/O. Every recursion is vectorised:

* a one-sided (upper) CUSUM ``C_t = max(0, C_{t-1} + x_t)`` equals
  ``S_t - min(0, min_{s<=t} S_s)`` with ``S`` the running sum of ``x`` — a
  cumulative sum and a running minimum, no Python loop;
* an EWMA is a first-order linear filter (:func:`scipy.signal.lfilter`).

Why these charts: transit residuals ``z = (ln days - mu) / sigma`` against the
baseline lognormal are N(0, 1) while the lane is in control, so a CUSUM with
reference ``k = shift_sd / 2`` is the optimal (likelihood-ratio) detector of a
shift of ``shift_sd`` standard deviations, and the EWMA of daily mean residuals
catches shifts a little too small for the CUSUM's reference while requiring a
practically relevant effect (``min_effect``), so that a lane carrying
thousands of parcels a day does not alert on a 1 % slowdown. The hold-rate
chart is the likelihood-ratio CUSUM of ``p0`` (baseline) against
``hold_ratio * p0``.

Thresholds are set per series from its own volume so that every series has the
same design false-alarm rate *per year* (``alarms_per_year``), whatever its
number of shipments: the in-control average run length (ARL0) in observations
is ``observations_per_year / alarms_per_year``. The CUSUM threshold comes from
Siegmund's approximation of the ARL, the Bernoulli CUSUM's from the same
approximation for likelihood-ratio increments (:func:`llr_threshold`); the EWMA
works on daily means and has a fixed limit in days. The rates these give are
measured by simulation in ``benchmarks/bench_watch.py`` (table in BENCHMARKS.md
and docs/watch.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter
from scipy.special import ndtr, ndtri

FloatArray = npt.NDArray[np.float64]
DAY = 86400.0
#: Siegmund's correction of the CUSUM threshold for the overshoot of a normal walk.
SIEGMUND_OVERSHOOT = 1.166
#: Hold-rate baselines below this are raised to it: a rate of 0 would make any hold "infinitely"
#: unlikely, and the network's defaults leave many inspection rates empty.
MIN_HOLD_RATE = 0.005
#: A CUSUM at most this is at zero (its running sum minus running minimum leaves rounding).
ZERO = 1e-9


@dataclass(frozen=True, slots=True)
class ChartSettings:
    """Parameters of the three charts (docs/watch.md, Detectors); validates itself."""

    #: CUSUM design shift in standard deviations of log transit (reference k = shift_sd / 2).
    shift_sd: float = 0.5
    #: Design false alarms per series per year of each CUSUM (sets h through Siegmund's
    #: per-observation approximation; batched entries make the realised rate lower, measured
    #: in benchmarks/bench_watch.py).
    alarms_per_year: float = 0.1
    #: EWMA smoothing weight of each day's mean residual.
    ewma_lambda: float = 0.1
    #: EWMA limit in standard deviations of the statistic (exact, time-varying variance).
    ewma_limit: float = 3.7
    #: The EWMA alarms only when the median transit has also moved by at least this much.
    min_effect: float = 0.10
    #: Hold-rate CUSUM design: detect the hold rate multiplied by this.
    hold_ratio: float = 2.0
    #: A baseline fitted on n samples is itself uncertain: drifts within this many of its
    #: standard errors (sigma / sqrt(n) on the log scale; sqrt(p (1 - p) / n) for a rate)
    #: are not evidence, so the charts' reference moves up by that much.
    baseline_se: float = 2.0
    #: A shipment enters the transit charts at departure + this baseline quantile of transit,
    #: as what is known then (docs/watch.md, Why not in arrival order).
    cap_quantile: float = 0.75

    def __post_init__(self) -> None:
        if not self.shift_sd > 0:
            raise ValueError("shift_sd must be > 0")
        if not 0 < self.alarms_per_year < 365:
            raise ValueError("alarms_per_year must be in (0, 365)")
        if not 0 < self.ewma_lambda <= 1:
            raise ValueError("ewma_lambda must be in (0, 1]")
        if not self.ewma_limit > 0:
            raise ValueError("ewma_limit must be > 0")
        if self.min_effect < 0:
            raise ValueError("min_effect must be >= 0")
        if not self.hold_ratio > 1:
            raise ValueError("hold_ratio must be > 1")
        if self.baseline_se < 0:
            raise ValueError("baseline_se must be >= 0")
        if not 0.5 <= self.cap_quantile < 1:
            raise ValueError("cap_quantile must be in [0.5, 1)")

    @property
    def k(self) -> float:
        """CUSUM reference value (standard deviations)."""
        return self.shift_sd / 2


@dataclass(frozen=True, eq=False)
class Chart:
    """One chart over one series: statistic, limit, first alarm and estimated change point."""

    name: str  # "cusum", "ewma" or "hold_cusum"
    stat: FloatArray
    limit: FloatArray
    alarm: int | None  # index of the first step whose statistic exceeds its limit
    start: int | None  # CUSUM: index after the last zero before the alarm (change point)
    #: survival CUSUM: departure (UTC epoch s) of the first shipment of the alarm's evidence
    start_time: float | None = None


def capped_residuals(
    t_start: FloatArray,
    days: FloatArray,
    t_open: FloatArray,
    mu: float,
    sigma: float,
    end: float,
    cap_quantile: float,
) -> tuple[FloatArray, FloatArray]:
    """Standardized residuals as known at a fixed horizon, in chart order, and their times.

    Each shipment enters the chart at ``t_start + H`` with ``H`` the baseline's
    ``cap_quantile`` of the duration. By then it has either arrived — its residual
    ``z`` (at most ``c = Phi^-1(cap_quantile)``) — or not: then all that is known is
    ``z > c``, and it counts as the in-control mean of that tail, ``M = phi(c) / (1 -
    Phi(c))`` (a slowdown makes such shipments more frequent). Shipments of ``t_open``
    are still open at ``end``; only those whose entry time has passed count. In control
    the values have mean exactly 0; they are divided by their exact standard deviation,
    so the in-control series is i.i.d. mean 0, sd 1 whatever the departure schedule.
    Why not in arrival order: the shipments of one sailing arrive sorted by transit time
    (short first), which a CUSUM reads as a drift.
    """
    c = float(ndtri(cap_quantile))
    tail_mean = _phi(c) / (1 - float(ndtr(c)))
    horizon = horizon_days(mu, sigma, cap_quantile) * DAY
    z = (np.log(days) - mu) / sigma
    z = np.where(z > c, tail_mean, z)
    t = t_start + horizon
    t_late = t_open + horizon
    late = t_late <= end
    z = np.concatenate([z, np.full(int(late.sum()), tail_mean)])
    t = np.concatenate([t, t_late[late]])
    keep = t <= end
    order = np.argsort(t[keep], kind="stable")  # never by value: ties keep input order
    second = float(ndtr(c)) - c * _phi(c) + tail_mean * tail_mean * (1 - float(ndtr(c)))
    return z[keep][order] / math.sqrt(second), t[keep][order]


def horizon_days(mu: float, sigma: float, cap_quantile: float) -> float:
    """Days after its start at which a shipment enters the charts (the baseline quantile)."""
    return math.exp(mu + float(ndtri(cap_quantile)) * sigma)


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def cusum_arl0(k: float, h: float) -> float:
    """Siegmund's approximation of the in-control ARL of an upper CUSUM on N(0, 1) data."""
    b = h + SIEGMUND_OVERSHOOT
    return (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k)


def cusum_threshold(k: float, arl0: float) -> float:
    """The threshold h whose Siegmund ARL0 equals ``arl0`` (bisection; h >= 0)."""
    lo, hi = 0.0, 1.0
    while cusum_arl0(k, hi) < arl0:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cusum_arl0(k, mid) < arl0 else (lo, mid)
    return hi


def target_arl0(per_year: float, settings: ChartSettings) -> float:
    """In-control run length, in observations, for ``alarms_per_year`` at ``per_year`` a year."""
    return max(per_year, 1.0) / settings.alarms_per_year


def upper_cusum(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``C_t = max(0, C_{t-1} + x_t)`` along the last axis, and the running minimum used.

    Vectorised: ``C = S - min(0, running min of S)``; the change point of an alarm
    at t is the step after the last t' <= t where ``S`` reached that minimum.
    """
    s = np.cumsum(x, axis=-1)
    floor = np.minimum(np.minimum.accumulate(s, axis=-1), 0.0)
    return s - floor, floor


def first_alarm(stat: FloatArray, limit: FloatArray | float) -> int | None:
    hit = np.flatnonzero(stat > limit)
    return int(hit[0]) if hit.size else None


def _change_point(stat: FloatArray, alarm: int | None) -> int | None:
    if alarm is None:
        return None
    zeros = np.flatnonzero(stat[: alarm + 1] <= ZERO)
    return int(zeros[-1]) + 1 if zeros.size else 0


def ewma_daily(
    day_sum: FloatArray, day_n: FloatArray, settings: ChartSettings, min_shift: float
) -> Chart:
    """EWMA of daily mean residuals (sums and counts per day with data) with exact limits.

    The limit of day t is ``max(L * sd_t, min_shift)``: ``sd_t`` from the recursion
    ``V_t = lambda^2 / n_t + (1 - lambda)^2 V_{t-1}``, ``min_shift`` the practical
    effect in residual units.
    """
    lam = settings.ewma_lambda
    mean = day_sum / day_n
    stat = lfilter([lam], [1.0, lam - 1.0], mean, axis=-1)
    var = lfilter([lam * lam], [1.0, -((1.0 - lam) ** 2)], 1.0 / day_n, axis=-1)
    limit = np.maximum(settings.ewma_limit * np.sqrt(var), min_shift)
    alarm = first_alarm(stat, limit)
    return Chart("ewma", stat, limit, alarm, alarm)


def hold_llr(p0: float, ratio: float) -> tuple[float, float]:
    """Log-likelihood ratios of a held and of a cleared clearance, p1 = ratio * p0 against p0."""
    p0 = min(max(p0, MIN_HOLD_RATE), 0.99 / ratio)
    p1 = ratio * p0
    return math.log(p1 / p0), math.log((1 - p1) / (1 - p0))


def hold_cusum(held: npt.NDArray[np.bool_], p0: float, per_year: float, s: ChartSettings) -> Chart:
    """Bernoulli likelihood-ratio CUSUM of holds (one flag per clearance, in order).

    Threshold from :func:`llr_threshold` for the chart's in-control drift (measured in
    the benchmark).
    """
    up, down = hold_llr(p0, s.hold_ratio)
    x = np.where(held, up, down)
    stat, _ = upper_cusum(x)
    q = min(max(p0, MIN_HOLD_RATE), 0.99 / s.hold_ratio)
    h = llr_threshold(-(q * up + (1 - q) * down), target_arl0(per_year, s))
    alarm = first_alarm(stat, h)
    return Chart("hold_cusum", stat, np.full(stat.size, h), alarm, _change_point(stat, alarm))


def llr_threshold(drift: float, arl0: float) -> float:
    """Threshold of a likelihood-ratio CUSUM for an in-control run length ``arl0``.

    For increments that are log-likelihood ratios, ``E0[exp(X)] = 1``, and Siegmund's
    approximation of the in-control ARL is ``(e^h - h - 1) / drift`` with ``drift =
    -E0[X]`` (the Kullback-Leibler divergence per observation); without its overshoot
    correction, which makes ``h`` a little high (conservative). It is the transit CUSUM's
    formula in other units, and far less conservative than Wald's ``ARL0 >= e^h``: for a
    hold rate doubling from 3 %, ``drift`` is 0.010 per clearance, so Wald's ``h`` would give
    about 100 times the asked run length.
    """
    target = arl0 * drift
    lo, hi = 0.0, 1.0
    while math.exp(hi) - hi - 1 < target:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.exp(mid) - mid - 1 < target else (lo, mid)
    return hi
