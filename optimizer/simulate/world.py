"""One chunk of trials' random world, and running entities through paths on arrays.

The world of a trial is what every demand shares: the departure timetable of
each lane (a random phase, then one departure every headway) and which lanes
and nodes are disrupted in which week. Orders and shipments are arrays of
(trial index, time in days); :func:`run_path` moves a whole array through a
path step by step — no per-order Python loop.

Timetables instead of an independent uniform wait per lane: with a random
phase per trial the wait at every lane is still uniform over the headway and
independent of what came before (so the analytic lead time of the optimizer
is reproduced), while orders that reach a lane together leave together, and a
closure naturally means "no departure until the lane reopens".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from optimizer.network.records import Network
from optimizer.simulate.config import SimConfig
from optimizer.simulate.routes import LaneStep, NodeStep, Path

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class World:
    """Timetables and disruptions of ``trials`` trials over ``weeks`` weeks (padded)."""

    trials: int
    weeks: int
    headway: dict[str, float]
    phase: dict[str, FloatArray]  # lane -> [trials] first departure in [0, headway)
    lane_closed: dict[str, BoolArray] = field(default_factory=dict)  # lane -> [trials, weeks]
    lane_delay: dict[str, FloatArray] = field(default_factory=dict)
    node_closed: dict[str, BoolArray] = field(default_factory=dict)
    node_delay: dict[str, FloatArray] = field(default_factory=dict)
    next_open: dict[tuple[str, str], IntArray] = field(default_factory=dict)

    @property
    def disrupted(self) -> bool:
        return bool(self.lane_closed or self.lane_delay or self.node_closed or self.node_delay)

    def open_weeks(self, path: Path, weeks: int) -> BoolArray:
        """[trials, weeks]: True where no lane or node of ``path`` is closed that week."""
        ok = np.ones((self.trials, weeks), dtype=bool)
        for lane in path.lanes:
            if lane in self.lane_closed:
                ok &= ~self.lane_closed[lane][:, :weeks]
        for node in path.nodes:
            if node in self.node_closed:
                ok &= ~self.node_closed[node][:, :weeks]
        return ok


def _next_open(closed: BoolArray) -> IntArray:
    """[t, w] -> the first week >= w that is open (the last week is always open)."""
    n = closed.shape[1]
    idx = np.where(closed, n - 1, np.arange(n, dtype=np.int64)[None, :])
    return np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1].copy()


def build_world(
    network: Network,
    config: SimConfig,
    lanes: dict[str, float],
    trials: int,
    weeks: int,
    pad_weeks: int,
    rng: np.random.Generator,
) -> World:
    """Draw timetables and disruptions for a chunk of trials.

    ``lanes`` maps every lane any path uses to its headway (days). Disruptions
    start only within the horizon (probability per week, independently per
    week and trial) and last ``duration_weeks``; the padding after the horizon
    lets late shipments finish, and its last week is always open.
    """
    total = weeks + pad_weeks
    phase = {lane: rng.random(trials) * h for lane, h in sorted(lanes.items())}
    world = World(trials, total, dict(lanes), phase)
    for d in config.disruptions:
        starts = rng.random((trials, weeks)) < d.probability_per_week
        active = np.zeros((trials, total), dtype=bool)
        for k in range(d.duration_weeks):
            active[:, k : k + weeks] |= starts  # pad_weeks > duration_weeks: always fits
        active[:, -1] = False
        targets = [x for x in d.lanes(network) if x in lanes]
        if d.closure:
            for lane in targets:
                world.lane_closed[lane] = (
                    world.lane_closed.get(lane, np.zeros_like(active)) | active
                )
            if d.node is not None:
                world.node_closed[d.node] = (
                    world.node_closed.get(d.node, np.zeros_like(active)) | active
                )
        elif d.node is not None:
            world.node_delay[d.node] = (
                world.node_delay.get(d.node, np.zeros((trials, total)))
                + active * d.extra_delay_days
            )
        else:
            for lane in targets:
                world.lane_delay[lane] = (
                    world.lane_delay.get(lane, np.zeros((trials, total)))
                    + active * d.extra_delay_days
                )
    for kind, closed in (("lane", world.lane_closed), ("node", world.node_closed)):
        for key, arr in closed.items():
            world.next_open[(kind, key)] = _next_open(arr)
    return world


def _week(tau: FloatArray, last: int) -> IntArray:
    wk = (tau * (1.0 / 7.0)).astype(np.int64)
    np.clip(wk, 0, last, out=wk)
    return wk


def _next_departure(tau: FloatArray, phi: FloatArray, headway: float) -> FloatArray:
    if headway <= 0:
        return tau.copy()
    return phi + np.ceil((tau - phi) / headway) * headway


def run_path(
    path: Path,
    world: World,
    rng: np.random.Generator,
    t: IntArray,
    tau: FloatArray,
    hit: BoolArray | None = None,
) -> FloatArray:
    """Times (days) at which entities of trials ``t`` starting at ``tau`` finish ``path``.

    ``hit`` (optional, updated in place) marks entities delayed by a disruption.
    Random numbers are drawn in a fixed order, so the same generator state gives
    the same result bit for bit.
    """
    tau = tau.astype(np.float64, copy=True)
    n = tau.size
    last = world.weeks - 1
    for step in path.steps:
        if isinstance(step, NodeStep):
            closed = world.node_closed.get(step.node)
            if closed is not None:
                wk = _week(tau, last)
                c = np.flatnonzero(closed[t, wk])
                if c.size:
                    reopen = 7.0 * world.next_open[("node", step.node)][t[c], wk[c]]
                    tau[c] = np.maximum(tau[c], reopen)
                    if hit is not None:
                        hit[c] = True
            delay = world.node_delay.get(step.node)
            if delay is not None:
                extra = delay[t, _week(tau, last)]
                tau += extra
                if hit is not None:
                    hit |= extra > 0
            if step.days:
                tau += step.days
            if step.p > 0 and step.delay > 0:
                tau += (rng.random(n) < step.p) * step.delay
            continue
        assert isinstance(step, LaneStep)
        dep = _next_departure(tau, world.phase[step.lane][t], step.headway)
        closed = world.lane_closed.get(step.lane)
        if closed is not None:
            nxt = world.next_open[("lane", step.lane)]
            todo = np.arange(n)
            for _ in range(world.weeks):
                wk = _week(dep[todo], last)
                shut = closed[t[todo], wk]
                if not shut.any():
                    break
                todo, wk = todo[shut], wk[shut]
                opens = (7.0 * nxt[t[todo], wk]).astype(np.float64)
                dep[todo] = _next_departure(opens, world.phase[step.lane][t[todo]], step.headway)
                if hit is not None:
                    hit[todo] = True
        delay = world.lane_delay.get(step.lane)
        if delay is not None:  # by the week of departure
            extra = delay[t, _week(dep, last)]
            if hit is not None:
                hit |= extra > 0
        if step.sigma > 0:
            transit = rng.standard_normal(n)
            transit *= step.sigma
            transit += step.mu
            np.exp(transit, out=transit)
            dep += transit
        else:
            dep += math.exp(step.mu)
        if delay is not None:
            dep += extra
        tau = dep
    return tau
