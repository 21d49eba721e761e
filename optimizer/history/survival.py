"""Survival CUSUM: shipments still in transit past their baseline quantiles are evidence.

A transit chart that waits for arrivals (or for a fixed horizon) learns of a
slowdown one transit time late. But a shipment that has been in the air for
3 days on a lane whose baseline P90 is 3.6 days already says something: under
a slower lane it is more likely to still be in transit. This chart uses, at
every tick, everything known about every shipment — its arrival if it has
arrived (the density ratio), else its survival so far (the survival ratio) —
in the exact log-likelihood ratio of "lognormal ``mu + delta sigma``" against
the baseline "lognormal ``mu``" (``delta`` = ``ChartSettings.shift_sd``):

* arrived after ``x`` days: ``delta z - delta^2 / 2`` with ``z = (ln x - mu) / sigma``;
* still in transit after ``e`` days: ``ln S(u - delta) - ln S(u)`` with
  ``u = (ln e - mu) / sigma`` and ``S`` the standard normal survival function;
* both censored at the baseline's P99 (``SURVIVAL_CAP_Z``): beyond it a shipment counts
  as "later than P99", arrived or not (robust to lost scans and heavy tails).

Both are shifted by ``allowance`` standard deviations (the baseline's own
error: the null is ``mu + allowance sigma``). The statistic at tick ``tau`` is
the CUSUM over departure batches (the departures of one tick slot, so one
sailing is one step: its shipments arrive fast ones first, and stepping
through them in that order would read every sailing as a drift) of these
values as known at ``tau``: the largest evidence of any run of recent
departures, the change point being the first departure of that run. A batch is
settled 1.5 x the baseline's P99.9 after its slot ends: its value is frozen
there, so each tick only revisits recent batches (a cumulative sum over them,
continued from the settled batches' CUSUM). Ticks are 6 hours apart, coarser on
long lanes (at most ``TICKS_PER_SETTLE`` while a batch is open).

The threshold is Siegmund's, in the same units (``h_llr = delta h_z``), for the
series' yearly volume and ``alarms_per_year``; the rate it realises is measured
in ``benchmarks/bench_watch.py`` (it is not exact: in-transit evidence can
cross the threshold and then recede when the shipment arrives).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from optimizer.history.drift import (
    DAY,
    ZERO,
    Chart,
    ChartSettings,
    cusum_threshold,
    first_alarm,
    target_arl0,
    upper_cusum,
)

FloatArray = npt.NDArray[np.float64]
#: Ticks at which the statistic is evaluated (seconds): 6 hours, or coarser on long lanes
#: (at most ``TICKS_PER_SETTLE`` ticks while a shipment's evidence is open).
TICK = 6 * 3600.0
TICKS_PER_SETTLE = 48
#: Batches older than the baseline's quantile at ``SETTLE_Z`` sd, times ``SETTLE_FACTOR``,
#: are settled (frozen); only later departures are revisited at each tick.
SETTLE_Z, SETTLE_FACTOR = 3.09, 1.5
#: Times are censored at the baseline's P99: a shipment still in transit, or arriving, beyond
#: it counts as "later than P99", whatever how much later. A lost arrival scan or one
#: shipment weeks late (a heavy tail the lognormal does not have) then weighs like any late
#: arrival, not like a dozen; the evidence stays an exact likelihood ratio (of the data
#: censored at P99), and little power is lost (under a +0.5 sd shift 3.4 % of shipments
#: pass the baseline P99).
SURVIVAL_CAP_Z = 2.326


@dataclass(frozen=True, slots=True)
class LaneStream:
    """One lane's shipments in the window: departures (s), transit days (nan while open)."""

    dep: FloatArray
    days: FloatArray

    def __post_init__(self) -> None:
        if self.dep.shape != self.days.shape:
            raise ValueError("dep and days must have the same shape")


def settle_days(mu: float, sigma: float) -> float:
    """Days after departure at which a shipment's evidence is frozen."""
    return SETTLE_FACTOR * math.exp(mu + SETTLE_Z * sigma)


def evidence(
    elapsed: FloatArray, arrived: npt.NDArray[np.bool_], mu: float, sigma: float, delta: float
) -> FloatArray:
    """Log-likelihood ratio of each shipment's information (``elapsed`` days: transit or age)."""
    u = (np.log(np.maximum(elapsed, 1e-9)) - mu) / sigma
    out = delta * u - delta * delta / 2
    tail = ~arrived | (u > SURVIVAL_CAP_Z)
    overdue = np.minimum(u[tail], SURVIVAL_CAP_Z)
    out[tail] = log_ndtr(-(overdue - delta)) - log_ndtr(-overdue)
    return out


def survival_cusum(
    stream: LaneStream,
    mu: float,
    sigma: float,
    window: tuple[float, float],
    settings: ChartSettings,
    allowance: float = 0.0,
) -> tuple[Chart, FloatArray]:
    """The survival CUSUM of one lane and its tick times (see the module docstring).

    ``window`` = (start, end) in UTC epoch seconds; departures before ``start`` are
    not in ``stream``. The chart's ``start`` is the tick index of the change point's
    departure (the first tick at or after it); ``start_time`` its departure itself.
    """
    start, end = window
    delta = settings.shift_sd
    mu0 = mu + allowance * sigma
    if stream.dep.size == 0:
        empty = np.zeros(0)
        return Chart("cusum", empty, empty, None, None), empty
    order = np.argsort(stream.dep, kind="stable")
    dep, days = stream.dep[order], stream.days[order]
    settle = settle_days(mu0, sigma) * DAY
    tick = max(TICK, settle / TICKS_PER_SETTLE)
    # one step per departure slot (a sailing, or the departures of one tick)
    slots, batch = np.unique(np.floor((dep - start) / tick), return_inverse=True)
    batch_t = start + slots * tick
    lead_dep = np.full(slots.size, np.inf)
    np.minimum.at(lead_dep, batch, dep)
    ticks = start + np.arange(slots[0] + 1, math.ceil((end - start) / tick) + 1) * tick
    ticks = np.minimum(ticks, end)
    arrive = dep + np.where(np.isnan(days), np.inf, days * DAY)
    # per (tick, shipment) pairs while the shipment is departed and not yet settled
    settle_at = batch_t + tick + settle  # when a batch's evidence is frozen
    lo = np.searchsorted(ticks, dep, side="left")
    hi = np.searchsorted(ticks, settle_at[batch], side="left")
    counts = hi - lo
    rows = np.repeat(np.arange(dep.size), counts)
    offset = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    tick_ix = np.repeat(lo, counts) + offset
    tau = ticks[tick_ix]
    arrived = ~np.isnan(days)
    on_arrival = evidence(np.where(arrived, days, 1.0), arrived, mu0, sigma, delta)
    llr = on_arrival[rows]
    open_ = arrive[rows] > tau  # still in transit at that tick: its survival so far
    age = (tau[open_] - dep[rows[open_]]) / DAY
    llr[open_] = evidence(age, np.zeros(age.size, dtype=bool), mu0, sigma, delta)
    # frozen value of each shipment: what is known at settle time (or at the end of the data)
    at = np.minimum(settle_at[batch], end)
    done = arrive <= at
    final = evidence(np.where(done, days, (at - dep) / DAY), done, mu0, sigma, delta)
    batch_final = np.bincount(batch, weights=final, minlength=batch_t.size).astype(np.float64)
    settled_stat, _ = upper_cusum(batch_final)
    # active batches per tick: departed by tau and not settled (departure > tau - settle)
    first_active = np.searchsorted(settle_at, ticks, side="right")
    last_active = np.searchsorted(batch_t, ticks, side="right")
    width = int(max((last_active - first_active).max(initial=0), 1))
    cell = tick_ix * width + batch[rows] - first_active[tick_ix]
    mat = np.bincount(cell, weights=llr, minlength=ticks.size * width).reshape(ticks.size, width)
    c0 = np.where(first_active > 0, settled_stat[np.maximum(first_active - 1, 0)], 0.0)
    s = np.cumsum(mat, axis=1)
    carry = c0 + s[:, -1]
    reset = s[:, -1] - np.minimum(s.min(axis=1), 0.0)
    stat = np.maximum(carry, reset)
    per_year = dep.size / max((end - start) / DAY, 7.0) * 365.25
    h = delta * cusum_threshold(delta / 2, target_arl0(per_year, settings))
    alarm = first_alarm(stat, h)
    start_time: float | None = None
    if alarm is not None:
        lead = _change_batch(mat[alarm], c0[alarm], settled_stat, int(first_active[alarm]))
        start_time = float(lead_dep[lead])
    chart = Chart(
        "cusum",
        stat,
        np.full(stat.size, h),
        alarm,
        None if start_time is None else int(np.searchsorted(ticks, start_time)),
        start_time,
    )
    return chart, ticks


def _change_batch(row: FloatArray, c0: float, settled: FloatArray, first: int) -> int:
    """Index of the first batch of the run of departures that carries the alarm."""
    s = np.cumsum(row)
    total = s[-1]
    j = int(np.argmin(s))
    if c0 + total >= total - min(float(s[j]), 0.0):
        # the run starts in the settled part: after its CUSUM's last zero
        zeros = np.flatnonzero(settled[:first] <= ZERO)  # a running sum's rounding is not > 0
        return int(zeros[-1]) + 1 if zeros.size else 0
    return first + j + 1
