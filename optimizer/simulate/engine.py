"""The Monte Carlo engine: a plan, simulated order by order over a horizon, many trials.

Per chunk of trials (chunks bound memory to about :data:`CHUNK_ORDERS` orders):

1. draw the world (timetables, disruptions; :mod:`optimizer.simulate.world`);
2. per demand, draw orders per day and allocation (demand noise);
3. re-route: an allocation whose customer path is closed in the week an order
   is placed sends that week's orders to the first open alternative (the
   plan's other allocations of the demand, cheapest first, then the generator's
   cheapest direct routes); when none is open they stay and wait for the
   reopening;
4. run each warehouse allocation's base-stock model (:mod:`.stock`); orders
   finding no stock ship by the first open direct route (or backorder);
5. expand counts into orders (arrays) and run them through their paths;
   accumulate a lead-time histogram and per-trial sums.

Everything random in a chunk comes from that chunk's ``numpy.random.Generator``
(:func:`chunk_rng`: from the configured seed and the chunk's index) consumed in a
fixed order, and chunks are merged in order, so a seed fixes every number whether
chunks run in this process, on local workers or on Dask.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from optimizer.execute import IN_PROCESS, ExecutorSpec, Shared, WarmUp, run_tasks
from optimizer.network.records import Network
from optimizer.scenario.records import Scenario
from optimizer.simulate.config import SimConfig
from optimizer.simulate.routes import DemandModel, LaneStep, NodeStep, Path, ServingRoute
from optimizer.simulate.stock import run_stock
from optimizer.simulate.world import World, build_world, run_path

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Histogram resolution of lead times (days) — the optimizer's lattice step.
HIST_STEP = 0.01
#: Lead times at or beyond this many days fall in the last bin.
HIST_DAYS = 400.0
NBINS = int(HIST_DAYS / HIST_STEP) + 1
#: Orders simulated per chunk of trials (memory: ~50 bytes per order).
CHUNK_ORDERS = 1_000_000


@dataclass
class DemandTally:
    """Running sums for one demand over all chunks."""

    hist: IntArray = field(default_factory=lambda: np.zeros(NBINS, dtype=np.int64))
    trial_orders: list[FloatArray] = field(default_factory=list)
    trial_on_time: list[FloatArray] = field(default_factory=list)
    trial_cost: list[FloatArray] = field(default_factory=list)
    trial_co2e: list[FloatArray] = field(default_factory=list)
    stock_requests: int = 0
    stockouts: int = 0
    rerouted: int = 0
    disrupted: int = 0
    route_orders: dict[str, int] = field(default_factory=dict)


@dataclass
class RawResult:
    """What the engine measured, before summary statistics (money in USD)."""

    config: SimConfig
    models: tuple[DemandModel, ...]
    tallies: tuple[DemandTally, ...]
    orders: int = 0


def _path_bound(path: Path) -> float:
    """A generous upper bound of a path's duration (days) for padding the time axis."""
    days = 0.0
    for s in path.steps:
        if isinstance(s, NodeStep):
            days += s.days + s.delay
        else:
            days += s.headway + math.exp(s.mu + 5.0 * s.sigma)
    return days


def _lanes(models: tuple[DemandModel, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in models:
        for r in m.routes:
            for path in (r.customer, r.bulk):
                for s in path.steps if path is not None else ():
                    if isinstance(s, LaneStep):
                        out[s.lane] = s.headway
    return out


def _daily_counts(
    model: DemandModel,
    config: SimConfig,
    scenario: Scenario,
    trials: int,
    weeks: int,
    rng: np.random.Generator,
) -> IntArray:
    """[routes, trials, weeks, 7] orders placed per day on each route of the plan."""
    counts = np.zeros((len(model.routes), trials, weeks, 7), dtype=np.int64)
    planned = [
        (i, r.planned_orders / 7.0)
        for i, r in enumerate(model.routes)
        if r.in_plan and r.planned_orders > 0
    ]
    if config.demand_noise == "none":
        day = np.arange(weeks * 7 + 1, dtype=np.float64)
        for i, rate in planned:
            cum = np.floor(rate * day + 1e-9)
            counts[i] = np.diff(cum).astype(np.int64).reshape(weeks, 7)[None]
        return counts
    factor: FloatArray | float = 1.0
    if config.demand_noise == "cv":
        cv = config.demand_cv if config.demand_cv is not None else scenario.inventory.demand_cv
        if cv > 0:
            factor = rng.gamma(1.0 / cv**2, cv**2, (trials, weeks, 1))
    for i, rate in planned:
        counts[i] = rng.poisson(rate * factor, (trials, weeks, 7))
    return counts


def _move(
    counts: IntArray,
    src: int,
    blocked: npt.NDArray[np.bool_],
    targets: list[int],
    open_w: list[npt.NDArray[np.bool_]],
) -> int:
    """Move ``src``'s orders in blocked (trial, week) cells to the first open target."""
    remaining = blocked.copy()
    moved_total = 0
    for alt in targets:
        m = remaining & open_w[alt]
        if not m.any():
            continue
        moved = counts[src] * m[:, :, None]
        counts[alt] += moved
        counts[src] -= moved
        moved_total += int(moved.sum())
        remaining &= ~m
        if not remaining.any():
            break
    return moved_total


def _simulate_demand(
    model: DemandModel,
    tally: DemandTally,
    world: World,
    config: SimConfig,
    scenario: Scenario,
    rng: np.random.Generator,
    weeks: int,
    total_days: int,
) -> int:
    routes = model.routes
    trials = world.trials
    days = weeks * 7
    counts = _daily_counts(model, config, scenario, trials, weeks, rng)
    open_w = [world.open_weeks(r.customer, weeks) for r in routes]
    # plan allocations cheapest first, then the generator's fallbacks in their own order
    by_cost = sorted(
        range(len(routes)),
        key=lambda i: (not routes[i].in_plan, routes[i].cost * routes[i].in_plan, i),
    )
    directs = [i for i in by_cost if not routes[i].pattern.uses_stock]
    for i, r in enumerate(routes):
        if not r.in_plan:
            continue
        blocked = ~open_w[i]
        if blocked.any():
            alts = [j for j in by_cost if j != i]
            tally.rerouted += _move(counts, i, blocked, alts, open_w)
    # warehouses: stock first, stock-outs to the direct fallback
    backorders: dict[int, tuple[IntArray, IntArray]] = {}
    extra = np.zeros_like(counts)
    for i, r in enumerate(routes):
        if r.bulk is None or not counts[i].any():
            continue
        want = counts[i].reshape(trials, days)
        backorder = config.stockout == "backorder" or not directs
        outcome = run_stock(
            r, scenario.inventory, want, world, rng, total_days=total_days, backorder=backorder
        )
        tally.stock_requests += int(want.sum())
        tally.stockouts += int(outcome.out.sum())
        counts[i] = outcome.served.reshape(trials, weeks, 7)
        if backorder:
            assert outcome.filled is not None
            backorders[i] = (outcome.out, outcome.filled)
        elif outcome.out.any():
            extra[directs[0]] += outcome.out.reshape(trials, weeks, 7)
            first = directs[0]
            blocked = ~open_w[first]
            if blocked.any():
                tally.rerouted += _move(extra, first, blocked, directs[1:], open_w)
    counts += extra
    orders = 0
    track = world.disrupted
    for i, r in enumerate(routes):
        flat = counts[i].reshape(-1)
        t, start, placed = _expand(flat, days, rng)
        bo = backorders.get(i)
        if bo is not None and bo[0].any():
            t2, start2, placed2 = _backordered(bo[0], bo[1], rng)
            t = np.concatenate([t, t2])
            start = np.concatenate([start, start2])
            placed = np.concatenate([placed, placed2])
        n = t.size
        if n == 0:
            continue
        hit = np.zeros(n, dtype=bool) if track else None
        end = run_path(r.customer, world, rng, t, start, hit)
        lead = end - placed
        _tally(tally, r, model, t, lead, trials)
        if hit is not None:
            tally.disrupted += int(hit.sum())
        tally.route_orders[r.key] = tally.route_orders.get(r.key, 0) + n
        orders += n
    return orders


def _expand(
    flat: IntArray, days: int, rng: np.random.Generator
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Orders from counts per (trial, day): trial index, start time, placement time."""
    cell = np.repeat(np.arange(flat.size, dtype=np.int64), flat)
    t = cell // days
    placed = (cell - t * days).astype(np.float64)
    placed += rng.random(cell.size)
    return t, placed, placed


def _backordered(
    out: IntArray, filled: IntArray, rng: np.random.Generator
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Backordered orders: start when the FIFO backlog reaches them (start of a day)."""
    trials, days = out.shape
    total_days = filled.shape[1]
    flat = out.reshape(-1)
    t, _, placed = _expand(flat, days, rng)
    first = np.cumsum(flat) - flat  # index of each cell's first order, over all trials
    before = np.cumsum(out, axis=1) - out  # backorders earlier in the same trial
    cell = np.repeat(np.arange(flat.size), flat)
    j = before.reshape(-1)[cell] + (np.arange(cell.size) - first[cell])  # 0-based, per trial
    big = int(filled.max(initial=0)) + 2
    keys = (filled + np.arange(trials)[:, None] * big).reshape(-1)
    pos = np.searchsorted(keys, t * big + j + 1, side="left")
    fill_day = pos - t * total_days
    start = np.maximum(fill_day.astype(np.float64), placed)
    return t, start, placed


def _tally(
    tally: DemandTally,
    r: ServingRoute,
    model: DemandModel,
    t: IntArray,
    lead: FloatArray,
    trials: int,
) -> None:
    bins = np.minimum((lead * (1.0 / HIST_STEP)).astype(np.int64), NBINS - 1)
    np.maximum(bins, 0, out=bins)
    tally.hist += np.bincount(bins, minlength=NBINS)
    on_time = lead <= model.demand.sla_days
    n = np.bincount(t, minlength=trials).astype(np.float64)
    tally.trial_orders[-1] += n
    tally.trial_on_time[-1] += np.bincount(t, weights=on_time, minlength=trials)
    tally.trial_cost[-1] += n * r.cost
    tally.trial_co2e[-1] += n * r.co2e


def simulate_models(
    models: tuple[DemandModel, ...],
    scenario: Scenario,
    network: Network,
    config: SimConfig,
    *,
    executor: ExecutorSpec = IN_PROCESS,
    progress: Callable[[int], None] | None = None,
) -> RawResult:
    """Run ``config.trials`` trials of the compiled plan; ``progress(trials_done)`` per chunk.

    Chunks of trials are tasks of the execution layer (:mod:`optimizer.execute`):
    chunk ``k`` draws from its own generator (:func:`chunk_rng`) and chunks are
    merged in order, so the result is the same on any executor and worker count.
    """
    horizon = _horizon(models, config)
    chunks = [
        (k, start, min(horizon.chunk, config.trials - start))
        for k, start in enumerate(range(0, config.trials, horizon.chunk))
    ]
    shared = Shared(_chunk_state, (models, scenario, network, config, horizon))
    tallies = tuple(DemandTally() for _ in models)
    raw = RawResult(config, models, tallies)
    for task in run_tasks(
        _run_chunk, chunks, executor=executor, shared=shared, warm=WarmUp((__name__,))
    ):
        if task.value is None:
            raise RuntimeError(f"simulating trials chunk {task.index} failed: {task.error}")
        orders, parts = task.value
        raw.orders += orders
        for tally, part in zip(tallies, parts, strict=True):
            _merge(tally, part)
        if progress is not None:
            progress(chunks[task.index][2])
    return raw


@dataclass(frozen=True, slots=True)
class Horizon:
    """How trials are cut into chunks and how far the time axis runs (days)."""

    chunk: int  # trials per chunk (bounded by :data:`CHUNK_ORDERS`, not by workers)
    weeks: int
    pad_weeks: int
    total_days: int
    lanes: dict[str, float]


def _horizon(models: tuple[DemandModel, ...], config: SimConfig) -> Horizon:
    weeks = config.horizon_weeks
    per_trial = sum(m.demand.orders_per_week for m in models) * weeks
    chunk = max(1, min(config.trials, int(CHUNK_ORDERS // max(per_trial, 1.0))))
    bound = max(
        [
            _path_bound(p)
            for m in models
            for r in m.routes
            for p in (r.customer, r.bulk)
            if p is not None
        ],
        default=0.0,
    )
    longest = max((d.duration_weeks for d in config.disruptions), default=0)
    pad_weeks = math.ceil(bound / 7.0) * 2 + longest + 3
    total_days = (weeks + pad_weeks - 1) * 7
    return Horizon(chunk, weeks, pad_weeks, total_days, _lanes(models))


def chunk_rng(seed: int, k: int) -> np.random.Generator:
    """The generator of trial chunk ``k``: chunk 0 from ``seed`` itself, chunk k from
    ``SeedSequence(seed).spawn(...)[k]`` — a run that fits one chunk draws exactly as a
    single generator seeded ``seed`` does."""
    if k == 0:
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))


ChunkState = tuple[tuple[DemandModel, ...], Scenario, Network, SimConfig, Horizon]


def _chunk_state(payload: ChunkState) -> ChunkState:
    """In a worker, once per run: the compiled plan and settings arrive ready."""
    return payload


def _run_chunk(
    state: ChunkState, chunk: tuple[int, int, int]
) -> tuple[int, tuple[DemandTally, ...]]:
    """Simulate one chunk of trials; return its orders and per-demand tallies."""
    models, scenario, network, config, h = state
    k, _, trials = chunk
    rng = chunk_rng(config.seed, k)
    world = build_world(network, config, h.lanes, trials, h.weeks, h.pad_weeks, rng)
    tallies = tuple(DemandTally() for _ in models)
    orders = 0
    for model, tally in zip(models, tallies, strict=True):
        for arr in (tally.trial_orders, tally.trial_on_time, tally.trial_cost, tally.trial_co2e):
            arr.append(np.zeros(trials))
        orders += _simulate_demand(
            model, tally, world, config, scenario, rng, h.weeks, h.total_days
        )
    return orders, tallies


def _merge(into: DemandTally, part: DemandTally) -> None:
    """Add a chunk's tally to the run's (per-trial arrays appended in chunk order)."""
    into.hist += part.hist
    into.trial_orders += part.trial_orders
    into.trial_on_time += part.trial_on_time
    into.trial_cost += part.trial_cost
    into.trial_co2e += part.trial_co2e
    into.stock_requests += part.stock_requests
    into.stockouts += part.stockouts
    into.rerouted += part.rerouted
    into.disrupted += part.disrupted
    for key, n in part.route_orders.items():
        into.route_orders[key] = into.route_orders.get(key, 0) + n
