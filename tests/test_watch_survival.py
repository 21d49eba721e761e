"""The survival CUSUM of ``xborder history watch``: evidence by hand, the vectorised
statistic against a brute-force recursion, and overdue shipments as early evidence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from optimizer.history.drift import ChartSettings, cusum_threshold, target_arl0
from optimizer.history.survival import (
    SURVIVAL_CAP_Z,
    TICK,
    TICKS_PER_SETTLE,
    LaneStream,
    evidence,
    settle_days,
    survival_cusum,
)

DAY = 86400.0


def test_evidence_by_hand():
    delta = 0.5
    # arrived after e^1 days against mu 0, sigma 1: z = 1, LLR = 0.5 * 1 - 0.125
    arrived = evidence(np.array([math.e]), np.array([True]), 0.0, 1.0, delta)
    assert arrived.tolist() == pytest.approx([0.375])
    # still in transit after e^1 days: ln S(1 - 0.5) - ln S(1)
    open_ = evidence(np.array([math.e]), np.array([False]), 0.0, 1.0, delta)
    assert open_.tolist() == pytest.approx([math.log(norm.sf(0.5) / norm.sf(1.0))])
    # a shipment just departed says nothing; one far overdue counts as the baseline P99
    fresh = evidence(np.array([1e-9]), np.array([False]), 0.0, 1.0, delta)
    assert fresh.tolist() == pytest.approx([0.0], abs=1e-6)
    lost = evidence(np.array([math.exp(10.0)]), np.array([False]), 0.0, 1.0, delta)
    cap = math.log(norm.sf(SURVIVAL_CAP_Z - delta) / norm.sf(SURVIVAL_CAP_Z))
    assert lost.tolist() == pytest.approx([cap])
    # an arrival beyond P99 counts as "later than P99" too (censored there: heavy tails)
    late = evidence(np.array([math.exp(10.0)]), np.array([True]), 0.0, 1.0, delta)
    assert late.tolist() == pytest.approx([cap])


def _brute_force(dep, days, mu, sigma, window, s):
    """The statistic at each tick, from scratch: every shipment's LLR as known at the tick
    (frozen once its departure slot is settled), summed per slot, CUSUM over the slots."""
    start, end = window
    settle = settle_days(mu, sigma) * DAY
    tick = max(TICK, settle / TICKS_PER_SETTLE)
    slot = np.floor((dep - start) / tick)
    slots = np.unique(slot)
    ticks = start + np.arange(slots[0] + 1, math.ceil((end - start) / tick) + 1) * tick
    ticks = np.minimum(ticks, end)
    arrive = dep + np.where(np.isnan(days), np.inf, days * DAY)
    out = []
    for tau in ticks:
        c = 0.0
        for v in slots:
            frozen_at = start + (v + 1) * tick + settle
            at = min(frozen_at, end) if tau >= frozen_at else tau
            total = 0.0
            for d, a, x in zip(dep[slot == v], arrive[slot == v], days[slot == v], strict=True):
                if d > at:
                    continue
                known = a <= at
                elapsed = x if known else (at - d) / DAY
                total += float(evidence(np.array([elapsed]), np.array([known]), mu, sigma, 0.5)[0])
            c = max(0.0, c + total)
        out.append(c)
    return ticks, np.array(out)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.floats(0.05, 12.0), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_vectorised_statistic_is_the_recursion(rows):
    dep = np.array([r[0] * 0.5 * DAY for r in rows])
    days = np.array([r[1] if r[2] else np.nan for r in rows])
    window = (0.0, 30.0 * DAY)
    arrive = dep + np.nan_to_num(days, nan=np.inf) * DAY
    days = np.where(arrive <= window[1], days, np.nan)  # open at the end of the data
    chart, ticks = survival_cusum(LaneStream(dep, days), 0.3, 0.5, window, ChartSettings())
    want_t, want = _brute_force(dep, days, 0.3, 0.5, window, ChartSettings())
    assert ticks.tolist() == pytest.approx(want_t.tolist())
    assert chart.stat.tolist() == pytest.approx(want.tolist(), abs=1e-9)


def test_threshold_is_siegmunds_in_llr_units():
    s = ChartSettings()
    dep = np.arange(100) * DAY
    chart, _ = survival_cusum(LaneStream(dep, np.ones(100)), 0.0, 1.0, (0.0, 100 * DAY), s)
    per_year = 100 / 100 * 365.25
    assert chart.limit[0] == pytest.approx(0.5 * cusum_threshold(0.25, target_arl0(per_year, s)))


def test_overdue_shipments_alarm_before_they_arrive():
    """Five shipments a day on a lane with median 1 day (sigma 0.2), each taking exactly its
    median (z = 0); from day 60 nothing arrives (the lane has stopped). Arrival-only charts
    would see nothing; this one alarms within days, at the first stuck departure."""
    s = ChartSettings()
    rng = np.random.default_rng(3)
    dep = np.repeat(np.arange(80) * DAY, 5)
    days = np.where(dep >= 60 * DAY, np.nan, 1.0)
    chart, ticks = survival_cusum(LaneStream(dep, days), 0.0, 0.2, (0.0, 80 * DAY), s)
    assert chart.alarm is not None
    assert 60 * DAY < ticks[chart.alarm] < 64 * DAY
    assert chart.start_time == 60 * DAY
    # in control (same shipments, all arrive): no alarm
    calm = np.exp(0.2 * rng.standard_normal(dep.size))
    quiet, _ = survival_cusum(LaneStream(dep, calm), 0.0, 0.2, (0.0, 81 * DAY), s)
    assert quiet.alarm is None


def test_a_sailing_is_one_step():
    """Two shipments of one departure, a fast and a slow one: their sum is one step, so the
    order of arrivals within a sailing cannot raise the statistic above that sum."""
    s = ChartSettings()
    days = np.array([math.exp(2.0), math.exp(-2.0)])  # z = +2 and -2: sum 0 - 2 * 0.125
    chart, _ = survival_cusum(LaneStream(np.zeros(2), days), 0.0, 1.0, (0.0, 50 * DAY), s)
    assert chart.stat[-1] == pytest.approx(0.0)  # both arrived: -1.125 + 0.875 < 0
    # stepping one by one in arrival order would read 0, then +0.875 for the slow one; as one
    # step the slow one's evidence while in transit (at most ln S(1.5) / S(2) = 1.08 just
    # before it arrives) never outweighs the fast one's -1.125
    assert math.log(norm.sf(1.5) / norm.sf(2.0)) < 1.125
    assert chart.stat.max() == 0.0
