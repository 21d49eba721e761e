"""A heuristic for large MCND instances: capacity scaling on the path-form strong LP.

The exact strong MIP (:func:`optimizer.mcnd.model.solve_instance`) is hopeless in two
minutes on the 200-commodity Canad instances: its LP alone has ~40k linking rows and takes
SCIP ~80 s. This module follows the literature instead (``docs/mcnd.md`` says why and what
was tried):

1. **Slope scaling** (Crainic, Gendron and Hernu 2004) on the multicommodity flow LP: a few
   warm-started GLOP re-solves give a first feasible design and the first paths.
2. **The strong LP by column-and-row generation** (:mod:`optimizer.mcnd.paths`): exact
   strong-LP bound in ~20 s, reported as the lower bound (valid at every round).
3. **Capacity scaling** (Katayama, Chen and Kubo 2009): scale each arc's capacity by
   ``lambda_a <- alpha y_a + (1 - alpha) lambda_a`` and re-solve the strong LP (warm, new
   paths priced as needed). Arcs with a small ``y`` lose capacity, so their flow moves and
   they close; ``y`` converges towards 0/1. Every iterate's arcs with flow form a design,
   priced exactly by the flow LP on those arcs.
4. **Restricted MIP**: SCIP on the path-form strong MIP over the arcs capacity scaling kept
   open (from the run's ``kept_from``-th iterate on) and the incumbent's, with every
   generated path inside them, hinted with the incumbent. Small (50-86 arcs, ~700 paths):
   often proven optimal in seconds.
5. **Local branching** with the time left: the same MIP over every arc any iterate used,
   within ``radius`` arc flips of the incumbent.

:func:`search` runs one pipeline per :class:`ScalingRun` in parallel processes and keeps
the best design and the best bound.

The final design's flows are re-optimised by the flow LP on its open arcs and its cost is
recomputed by :func:`optimizer.mcnd.model.solution_cost`, never taken from a solver.
Only the backend's API is used (``LpSession`` for the LPs, ``solve`` for the MIPs).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from optimizer.cpus import usable_cpus
from optimizer.mcnd.model import McndInstance, McndResult, _add_flows, solution_cost, useful_arcs
from optimizer.mcnd.paths import Arrays, PathLp, decompose
from optimizer.solve.backend import LpSession, MipModel, solve
from optimizer.solve.settings import Backend, SolverSettings, SolveStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScalingRun:
    """One run of the portfolio: capacity-scaling step ``alpha``; the restricted MIP gets
    the arcs open (``y > 0.01``) in any capacity-scaling iterate from ``kept_from`` on."""

    alpha: float
    kept_from: int


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """Time split of :func:`search`; shares are of ``time_limit_s``."""

    time_limit_s: float = 120.0
    seed: int = 0
    slope_iterations: int = 30
    slope_patience: int = 3  # stop slope scaling after this many iterations without gain
    bound_share: float = 0.4  # column generation for the bound ends by this share
    scaling_share: float = 0.75  # capacity scaling ends by this share (or when it stalls)
    runs: tuple[ScalingRun, ...] = (ScalingRun(0.3, 3), ScalingRun(0.5, 1))
    workers: int = 0  # parallel runs (0: one per run, at most one per usable CPU; 1: runs[0])
    max_scaling: int = 60
    scaling_rounds: int = 5  # column/row generation rounds per capacity-scaling iterate
    radius: int = 8  # local-branching radius (arc flips) around the incumbent
    neighbourhood_s: float = 20.0  # SCIP time per local-branching MIP


@dataclass
class _Design:
    cost: float
    is_open: np.ndarray  # bool per arc
    flow: dict[tuple[int, int], float]  # (arc, commodity) -> amount


class _FlowLp:
    """The multicommodity flow LP ``min sum w_a x_ak`` with capacities, kept in GLOP."""

    def __init__(self, instance: McndInstance) -> None:
        self.mip = MipModel()
        per_commodity = [useful_arcs(instance, k) for k in range(len(instance.commodities))]
        flows = _add_flows(self.mip, instance, per_commodity, demand_var=None)
        for a, pairs in flows.items():
            self.mip.add_row(
                [x for x, _ in pairs], [1.0] * len(pairs), ub=float(instance.arcs[a].capacity)
            )
        self.x_arc = np.zeros(self.mip.num_vars, dtype=int)
        self.keys: dict[int, tuple[int, int]] = {}
        for a, pairs in flows.items():
            for x, k in pairs:
                self.x_arc[x] = a
                self.keys[x] = (a, k)
        self.x_vars = np.array(sorted(self.keys), dtype=int)
        self.x_ub = np.array([self.mip.ub[x] for x in self.x_vars])
        self.session = LpSession(self.mip)


def search(instance: McndInstance, settings: SearchSettings | None = None) -> McndResult:
    """Best design found within the time limit, with a strong-LP lower bound (module doc).

    One run per entry of ``runs``, in parallel processes (a portfolio: a small step keeps
    more arcs for the MIP, a large one converges sooner; which wins depends on the
    instance). The best design is returned with the best bound.
    """
    settings = settings or SearchSettings()
    workers = min(settings.workers or usable_cpus(), len(settings.runs))
    if workers <= 1:
        return _search_one(instance, settings, settings.runs[0], settings.time_limit_s)
    started = time.perf_counter()
    limit = settings.time_limit_s - 1.0  # process start-up and collection
    # spawn, not fork: each worker starts clean instead of inheriting a copy of this process
    # (OR-Tools and numpy thread state included); start-up costs ~1 s, paid from the limit.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = [
            pool.submit(_search_one, instance, settings, run, limit, time.time())
            for run in settings.runs[:workers]
        ]
        results = [run.result() for run in runs]
    found = [r for r in results if r.objective is not None]
    if not found:
        return replace(results[0], seconds=time.perf_counter() - started)
    best = min(found, key=lambda r: r.objective or 0.0)  # first on ties: deterministic
    bounds = [r.bound for r in results if r.bound is not None]
    bound = max(bounds) if bounds else None
    status, gap = _status(best.objective or 0.0, bound)
    return replace(best, status=status, bound=bound, gap=gap, seconds=time.perf_counter() - started)


def _status(cost: float, bound: float | None) -> tuple[SolveStatus, float | None]:
    """Optimal when the bound meets the cost (to 1e-6), else feasible; and the gap."""
    gap = None if bound is None else max(0.0, cost - bound) / max(cost, 1e-9)
    return (SolveStatus.OPTIMAL if gap is not None and gap <= 1e-6 else SolveStatus.FEASIBLE), gap


def _search_one(
    instance: McndInstance,
    settings: SearchSettings,
    run: ScalingRun,
    limit: float,
    submitted: float | None = None,
) -> McndResult:
    """One run of the pipeline in the module doc with the capacity scaling of ``run``;
    ``submitted`` (wall clock) counts the time a worker process took to start."""
    started = time.perf_counter() - (
        0.0 if submitted is None else max(0.0, time.time() - submitted)
    )

    def by(share: float) -> float:
        return started + share * limit

    def took() -> float:
        return time.perf_counter() - started

    ar = Arrays.of(instance)
    flow_lp = _FlowLp(instance)
    elite = _slope_scaling(flow_lp, settings, ar.fixed, ar.unit, ar.cap, ar.cap > 0, by(0.1))
    if not elite:
        return McndResult(
            instance.name,
            SolveStatus.INFEASIBLE,
            None,
            None,
            None,
            took(),
            (),
            "SEARCH",
            "the multicommodity flow LP with every arc open is infeasible",
        )
    best = elite[0]
    log.info("slope scaling: %d designs, best %.1f at %.1f s", len(elite), best.cost, took())

    master = PathLp(ar)
    for design in elite[: max(1, len(elite) // 2)]:
        master.add_paths([(k, p) for k, p, _ in decompose(ar, design.flow)])
    out, bound = master.converge(by(settings.bound_share))
    log.info(
        "strong LP %.1f, bound %.1f, %d paths, %d linking rows at %.1f s",
        out.objective if out else float("nan"),
        bound,
        len(master.paths),
        len(master.link),
        took(),
    )

    best, kept, used = _capacity_scaling(
        master, flow_lp, ar, best, settings, run, by(settings.scaling_share)
    )
    log.info(
        "capacity scaling: best %.1f, %d arcs kept, %d used at %.1f s",
        best.cost,
        kept.sum(),
        used.sum(),
        took(),
    )
    found, proven = _restricted_mip(
        master,
        flow_lp,
        ar,
        kept | best.is_open,
        best,
        settings,
        started + limit - 1.0 - time.perf_counter(),
    )
    if found is not None and found.cost < best.cost - 1e-6:
        best = found
    log.info(
        "restricted MIP on %d arcs: %s (proven %s) at %.1f s",
        (kept | best.is_open).sum(),
        None if found is None else found.cost,
        proven,
        took(),
    )
    best = _local_branching(master, flow_lp, ar, used, best, settings, started + limit - 1.0)

    flows = tuple(sorted((a, k, v) for (a, k), v in best.flow.items() if v > 1e-9))
    open_arcs = tuple(int(a) for a in np.flatnonzero(best.is_open))
    cost = solution_cost(instance, open_arcs, flows)  # never trust a solver's objective
    lower = bound if np.isfinite(bound) else None
    status, gap = _status(cost, lower)
    return McndResult(
        instance.name, status, cost, lower, gap, took(), open_arcs, "SEARCH", None, flows
    )


def _capacity_scaling(
    master: PathLp,
    flow_lp: _FlowLp,
    ar: Arrays,
    best: _Design,
    settings: SearchSettings,
    run: ScalingRun,
    deadline: float,
) -> tuple[_Design, np.ndarray, np.ndarray]:
    """Scale capacities by the LP's ``y`` until ``y`` is integral or stalls (module doc).

    Returns the best design met, the arcs with ``y > 0.01`` in any iterate from
    ``run.kept_from`` on, and those in any iterate at all.
    """
    scale = np.ones(len(ar.unit))
    kept = np.zeros(len(ar.unit), dtype=bool)
    used = np.zeros(len(ar.unit), dtype=bool)
    previous = None
    for it in range(settings.max_scaling):
        if time.perf_counter() > deadline:
            break
        out, _ = master.converge(deadline, max_rounds=settings.scaling_rounds)
        if out is None:
            break
        y, load = master.design_values(out)
        used |= y > 0.01
        if it >= run.kept_from:
            kept |= y > 0.01
        design = _evaluate(flow_lp, ar, load > 1e-6)
        if design is not None and design.cost < best.cost - 1e-6:
            best = design
        fractional = int(((y > 0.01) & (y < 0.99)).sum())
        log.debug(
            "scaling %d: LP %.1f, %d fractional, design %s",
            it,
            out.objective,
            fractional,
            None if design is None else design.cost,
        )
        objective = float(out.objective or 0.0)
        if fractional == 0 or (
            previous is not None and abs(objective - previous) <= 1e-6 * abs(objective)
        ):
            break
        previous = objective
        scale = np.maximum(run.alpha * y + (1 - run.alpha) * scale, 1e-4)
        master.set_scale(scale)
    if not kept.any():
        kept = used.copy()
    return best, kept, used


def _local_branching(
    master: PathLp,
    flow_lp: _FlowLp,
    ar: Arrays,
    support: np.ndarray,
    best: _Design,
    settings: SearchSettings,
    deadline: float,
) -> _Design:
    """Restricted MIPs over ``support`` within ``radius`` arc flips of the incumbent.

    Improved: re-centre on the new design. Proven without improvement: widen the radius.
    Stopped by its time limit: narrow it.
    """
    radius = settings.radius
    while (seconds := min(settings.neighbourhood_s, deadline - time.perf_counter())) > 1.0:
        found, proven = _restricted_mip(
            master, flow_lp, ar, support | best.is_open, best, settings, seconds, radius
        )
        improved = found is not None and found.cost < best.cost - 1e-6
        log.info(
            "local branching, radius %d: %s (proven %s)",
            radius,
            None if found is None else found.cost,
            proven,
        )
        if improved and found is not None:
            best = found
        elif proven:
            if radius >= int((support | best.is_open).sum()):
                break
            radius += settings.radius // 2
        else:
            radius = max(2, radius - settings.radius // 4)
    return best


def _evaluate(flow_lp: _FlowLp, ar: Arrays, is_open: np.ndarray) -> _Design | None:
    """The cheapest flows on the ``is_open`` arcs (true unit costs), as a design."""
    lp = flow_lp
    arc_of = lp.x_arc[lp.x_vars]
    lp.session.set_bounds(lp.x_vars, np.zeros(len(arc_of)), np.where(is_open[arc_of], lp.x_ub, 0.0))
    lp.session.set_costs(lp.x_vars, ar.unit[arc_of])
    out = lp.session.solve()
    if not out.status.has_solution:
        return None
    load = np.bincount(arc_of, weights=out.values[lp.x_vars], minlength=len(ar.unit))
    carries = load > 1e-9
    return _Design(
        float(ar.fixed[carries].sum() + ar.unit @ load),
        carries,
        {lp.keys[int(x)]: float(out.values[x]) for x in lp.x_vars if out.values[x] > 1e-9},
    )


def _restricted_mip(
    master: PathLp,
    flow_lp: _FlowLp,
    ar: Arrays,
    support: np.ndarray,
    best: _Design,
    settings: SearchSettings,
    seconds: float,
    radius: int | None = None,
) -> tuple[_Design | None, bool]:
    """SCIP on the path-form strong MIP over ``support``, hinted with ``best``.

    The design SCIP returns is re-priced by the flow LP (its flows may use any path on the
    open arcs, not only generated ones). Returns it and whether SCIP proved the restricted
    MIP optimal.
    """
    hint_paths: dict[tuple[int, tuple[int, ...]], float] = {}
    for k, path, amount in decompose(ar, best.flow):
        hint_paths[k, path] = hint_paths.get((k, path), 0.0) + amount
    master.add_paths(sorted(hint_paths))
    mip, y = master.mip(support, best.is_open, hint_paths, radius)
    out = solve(
        mip,
        SolverSettings(time_limit_s=max(1.0, seconds), seed=settings.seed, backend=Backend.SCIP),
    )
    if not out.status.has_solution:
        return None, False
    is_open = np.zeros(len(ar.unit), dtype=bool)
    for a, var in y.items():
        is_open[a] = out.values[var] > 0.5
    return _evaluate(flow_lp, ar, is_open), out.status is SolveStatus.OPTIMAL


def _slope_scaling(
    lp: _FlowLp,
    settings: SearchSettings,
    fixed: np.ndarray,
    unit: np.ndarray,
    cap: np.ndarray,
    allowed: np.ndarray,
    deadline: float,
) -> list[_Design]:
    """Slope-scaling iterates using ``allowed`` arcs only, as designs, best first.

    Empty if the flow LP on those arcs is infeasible.
    """
    arc_of = lp.x_arc[lp.x_vars]
    lp.session.set_bounds(lp.x_vars, np.zeros(len(arc_of)), np.where(allowed[arc_of], lp.x_ub, 0.0))
    rho = cap.copy()
    designs: list[_Design] = []
    stale = 0
    for _ in range(settings.slope_iterations):
        lp.session.set_costs(lp.x_vars, (unit + fixed / np.maximum(rho, 1e-9))[lp.x_arc[lp.x_vars]])
        out = lp.session.solve()
        if not out.status.has_solution:
            break
        load = np.bincount(lp.x_arc[lp.x_vars], weights=out.values[lp.x_vars], minlength=len(rho))
        is_open = load > 1e-9
        cost = float(fixed[is_open].sum() + unit @ load)
        improved = not designs or cost < min(d.cost for d in designs) - 1e-6
        designs.append(
            _Design(
                cost,
                is_open,
                {lp.keys[int(x)]: float(out.values[x]) for x in lp.x_vars if out.values[x] > 1e-9},
            )
        )
        rho = np.where(is_open, load, rho)
        stale = 0 if improved else stale + 1
        if stale >= settings.slope_patience or time.perf_counter() > deadline:
            break
    return sorted(designs, key=lambda d: d.cost)
