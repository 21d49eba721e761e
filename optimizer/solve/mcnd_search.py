"""A heuristic for large MCND instances: slope scaling, a Lagrangian bound, LP-guided search.

The exact strong MIP (:func:`optimizer.solve.mcnd.solve_instance`) is hopeless in two
minutes on the 200-commodity Canad instances: its LP alone has ~40k linking rows and takes
SCIP ~80 s. This module follows the literature instead (``docs/mcnd.md`` says why):

1. **Slope scaling** (Crainic, Gendron and Hernu 2004). Solve the multicommodity flow LP with
   each arc's fixed cost spread over its flow, ``c_a + f_a / rho_a``; set ``rho_a`` to the
   flow the arc just carried (arcs left empty keep their last value: long-term memory) and
   repeat. Each LP is one warm-started GLOP re-solve; every iterate is a feasible design.
2. **Lagrangian bound.** Relaxing flow conservation splits the strong formulation into one
   continuous knapsack per arc; subgradient ascent reaches (nearly) the strong-LP bound in a
   few seconds of numpy, where GLOP needs minutes for that LP. Every iterate is a valid lower
   bound, so the reported gap is honest. How often each arc is open guides what follows.
3. **Slope scaling again, inside the Lagrangian's support** (arcs open in a share of the
   iterations): much better designs than on the whole network.
4. **LP-guided neighbourhood search.** Restricted MIPs solved by SCIP: every arc closed except
   the incumbent's open arcs plus the best-scored others (Lagrangian share, use in good
   slope-scaling designs), warm-started from the incumbent so no step gets worse. Arcs offered
   and not taken lose score, so the next neighbourhood offers others.

Only the backend's API is used (``LpSession`` for the LPs, ``solve`` for the MIPs).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np

from optimizer.solve.backend import LpSession, MipModel, SolverSettings, SolveStatus, solve
from optimizer.solve.mcnd import (
    McndInstance,
    McndResult,
    _add_flows,
    build_model,
    solution_cost,
    useful_arcs,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """Time split of :func:`search`; fractions are of ``time_limit_s``."""

    time_limit_s: float = 120.0
    seed: int = 0
    slope_iterations: int = 30
    slope_patience: int = 3  # stop slope scaling after this many iterations without gain
    lagrangian_iterations: int = 800  # subgradient steps for the bound (deterministic)
    bound_share: float = 0.35  # stop them early after this share of the time
    support_shares: tuple[float, ...] = (0.2, 0.05, 0.01)  # Lagrangian y-share cut-offs
    neighbourhood_s: float = 25.0  # SCIP time per restricted MIP
    extra_arcs: float = 0.2  # arcs offered beyond the incumbent, as a share of its size
    linking: bool = True  # strong linking rows in the restricted MIPs


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
            self.mip.add_row([x for x, _ in pairs], [1.0] * len(pairs),
                             ub=float(instance.arcs[a].capacity))
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
    """Best design found within the time limit, with a Lagrangian lower bound (module doc)."""
    settings = settings or SearchSettings()
    started = time.perf_counter()
    deadline = started + settings.time_limit_s
    n = len(instance.arcs)
    fixed = np.array([a.fixed_cost for a in instance.arcs], dtype=float)
    unit = np.array([a.unit_cost for a in instance.arcs], dtype=float)
    cap = np.array([a.capacity for a in instance.arcs], dtype=float)

    flow_lp = _FlowLp(instance)
    elite = _slope_scaling(flow_lp, settings, fixed, unit, cap, cap > 0, deadline)
    if not elite:
        return McndResult(instance.name, SolveStatus.INFEASIBLE, None, None, None,
                          time.perf_counter() - started, (), "SEARCH",
                          "the multicommodity flow LP with every arc open is infeasible")
    best = elite[0]
    log.info("slope scaling: %d designs, best %.1f at %.1f s", len(elite), best.cost,
             time.perf_counter() - started)
    bound: float | None
    bound, y_lp = _lagrangian(instance, best.cost, started + settings.bound_share
                              * settings.time_limit_s, settings.lagrangian_iterations)
    log.info("Lagrangian bound %.1f at %.1f s", bound, time.perf_counter() - started)
    for share in settings.support_shares:  # slope scaling inside the Lagrangian's support
        elite += _slope_scaling(flow_lp, settings, fixed, unit, cap, y_lp > share, deadline)
    elite.sort(key=lambda d: d.cost)
    best = elite[0]
    log.info("restricted slope scaling: best %.1f at %.1f s", best.cost,
             time.perf_counter() - started)
    top = elite[: max(1, len(elite) // 4)]
    score = y_lp + np.mean([d.is_open for d in top], axis=0)
    rng = np.random.default_rng(settings.seed)
    score += 1e-6 * rng.random(n)  # seeded tie-break
    while deadline - time.perf_counter() > 5.0:
        offered = _neighbourhood(best, score, settings.extra_arcs)
        found, proven = _restricted_mip(instance, offered, best, settings, min(
            settings.neighbourhood_s, deadline - time.perf_counter()))
        if found is not None and found.cost < best.cost - 1e-6:
            best = found
        if proven and offered[cap > 0].all():  # the whole instance, solved to optimality
            bound = best.cost
            break
        log.info("neighbourhood of %d arcs: %s (proven %s), best %.1f at %.1f s",
                 offered.sum(), None if found is None else round(found.cost, 1), proven,
                 best.cost, time.perf_counter() - started)
        score[offered & ~best.is_open] *= 0.5  # offered, not taken: offer others next time
        if bound is not None and best.cost - bound <= 1e-6 * best.cost:
            break
    flows = tuple(sorted((a, k, v) for (a, k), v in best.flow.items() if v > 1e-9))
    open_arcs = tuple(int(a) for a in np.flatnonzero(best.is_open))
    cost = solution_cost(instance, open_arcs, flows)  # never trust a solver's objective
    gap = None if bound is None else max(0.0, cost - bound) / max(cost, 1e-9)
    status = SolveStatus.OPTIMAL if gap is not None and gap <= 1e-6 else SolveStatus.FEASIBLE
    return McndResult(instance.name, status, cost, bound, gap, time.perf_counter() - started,
                      open_arcs, "SEARCH", None, flows)


def _slope_scaling(lp: _FlowLp, settings: SearchSettings, fixed: np.ndarray,
                   unit: np.ndarray, cap: np.ndarray, allowed: np.ndarray,
                   deadline: float) -> list[_Design]:
    """Slope-scaling iterates using ``allowed`` arcs only, as designs, best first.

    Empty if the flow LP on those arcs is infeasible.
    """
    arc_of = lp.x_arc[lp.x_vars]
    lp.session.set_bounds(lp.x_vars, np.zeros(len(arc_of)),
                          np.where(allowed[arc_of], lp.x_ub, 0.0))
    rho = cap.copy()
    designs: list[_Design] = []
    stale = 0
    for _ in range(settings.slope_iterations):
        lp.session.set_costs(lp.x_vars, (unit + fixed / np.maximum(rho, 1e-9))[lp.x_arc[lp.x_vars]])
        out = lp.session.solve()
        if not out.status.has_solution:
            break
        load = np.bincount(lp.x_arc[lp.x_vars], weights=out.values[lp.x_vars],
                           minlength=len(rho))
        is_open = load > 1e-9
        cost = float(fixed[is_open].sum() + unit @ load)
        improved = not designs or cost < min(d.cost for d in designs) - 1e-6
        designs.append(_Design(cost, is_open, {lp.keys[int(x)]: float(out.values[x])
                                               for x in lp.x_vars if out.values[x] > 1e-9}))
        rho = np.where(is_open, load, rho)
        stale = 0 if improved else stale + 1
        if stale >= settings.slope_patience or time.perf_counter() > deadline:
            break
    return sorted(designs, key=lambda d: d.cost)


def _lagrangian(instance: McndInstance, upper: float, stop: float,
                iterations: int) -> tuple[float, np.ndarray]:
    """Lower bound and design guidance from the Lagrangian relaxation of flow conservation.

    With node potentials ``pi[i, k]`` relaxing conservation, the problem splits per arc into
    a continuous knapsack: open ``a`` iff ``f_a`` plus the most negative reduced costs
    ``c_a + pi[tail, k] - pi[head, k]`` filled up to ``u_a`` (each ``x_ak <= min(q_k, u_a)``)
    is negative. Its dual is the strong LP, so the bound tends to the strong-LP value; every
    iterate's value is a valid bound. Subgradient ascent with Polyak steps towards ``upper``,
    potentials started at shortest-path distances under ``c_a + f_a / u_a``. Returns the
    best bound and a smoothed share of iterations in which each arc was open.
    """
    n_arcs, n_com = len(instance.arcs), len(instance.commodities)
    tail = np.array([a.tail - 1 for a in instance.arcs])
    head = np.array([a.head - 1 for a in instance.arcs])
    unit = np.array([a.unit_cost for a in instance.arcs], dtype=float)
    fixed = np.array([a.fixed_cost for a in instance.arcs], dtype=float)
    cap = np.array([a.capacity for a in instance.arcs], dtype=float)
    origin = np.array([c.origin - 1 for c in instance.commodities])
    dest = np.array([c.dest - 1 for c in instance.commodities])
    demand = np.array([c.demand for c in instance.commodities], dtype=float)
    bound_ak = np.zeros((n_arcs, n_com))
    for k in range(n_com):  # only arcs on some o-d path (exact, see mcnd.useful_arcs)
        bound_ak[useful_arcs(instance, k), k] = 1.0
    bound_ak *= np.minimum(demand[None, :], cap[:, None])
    incidence = np.zeros((instance.n_nodes, n_arcs))
    np.add.at(incidence, (tail, np.arange(n_arcs)), 1.0)
    np.add.at(incidence, (head, np.arange(n_arcs)), -1.0)
    supply = np.zeros((instance.n_nodes, n_com))
    supply[origin, np.arange(n_com)] = demand
    supply[dest, np.arange(n_com)] = -demand
    dist = _all_pairs(instance.n_nodes, tail, head, unit + fixed / np.maximum(cap, 1e-9))
    dist = dist[origin]  # (commodity, node)
    finite = dist[np.isfinite(dist)]
    pi = np.where(np.isfinite(dist), dist, finite.max() if finite.size else 0.0).T.copy()
    rows, cols = np.arange(n_arcs)[:, None], np.arange(n_com)
    best, step, stale = -np.inf, 1.0, 0
    y_share = np.zeros(n_arcs)
    for _ in range(iterations):
        reduced = np.where(bound_ak > 0, unit[:, None] + pi[tail] - pi[head], 0.0)
        order = np.argsort(reduced, axis=1, kind="stable")
        rc = np.take_along_axis(reduced, order, axis=1)
        room = np.where(rc < 0, np.take_along_axis(bound_ak, order, axis=1), 0.0)
        take = np.clip(cap[:, None] - (np.cumsum(room, axis=1) - room), 0.0, room)
        value = fixed + (take * rc).sum(axis=1)
        is_open = value < 0
        lagrangian = float(np.minimum(value, 0.0).sum()
                           + demand @ (pi[dest, cols] - pi[origin, cols]))
        if lagrangian > best + 1e-9 * abs(best if np.isfinite(best) else 1.0):
            best, stale = lagrangian, 0
        else:
            stale += 1
            if stale >= 20:
                step, stale = step / 2, 0
        flow = np.zeros((n_arcs, n_com))
        flow[rows, order] = take * is_open[:, None]
        subgradient = incidence @ flow - supply
        norm = float((subgradient * subgradient).sum())
        y_share = 0.9 * y_share + 0.1 * is_open
        if norm < 1e-12 or step < 1e-5 or time.perf_counter() > stop:
            break
        pi += step * max(upper - lagrangian, 0.0) / norm * subgradient
    return best, y_share


def _all_pairs(n: int, tail: np.ndarray, head: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Shortest-path lengths between all node pairs (Floyd-Warshall; n is at most ~100)."""
    dist = np.full((n, n), np.inf)
    np.fill_diagonal(dist, 0.0)
    np.minimum.at(dist, (tail, head), length)
    for m in range(n):
        dist = np.minimum(dist, dist[:, m:m + 1] + dist[m:m + 1, :])
    return dist


def _neighbourhood(best: _Design, score: np.ndarray, extra: float) -> np.ndarray:
    """The incumbent's open arcs plus the best-scored closed ones."""
    offered = best.is_open.copy()
    closed = np.flatnonzero(~best.is_open)
    count = max(10, int(extra * best.is_open.sum()))
    offered[closed[np.argsort(-score[closed], kind="stable")[:count]]] = True
    return offered


def _restricted_mip(instance: McndInstance, offered: np.ndarray, best: _Design,
                    settings: SearchSettings, seconds: float) -> tuple[_Design | None, bool]:
    """Solve the strong MIP on the offered arcs only, starting from ``best``.

    Returns the design found and whether it is proven optimal for the restricted MIP.
    """
    arcs = tuple(arc if offered[a] else replace(arc, capacity=0)
                 for a, arc in enumerate(instance.arcs))
    built = build_model(replace(instance, arcs=arcs), linking=settings.linking)
    for a, v in enumerate(built.y):
        if v >= 0:
            built.mip.hint[v] = 1.0 if best.is_open[a] else 0.0
    for key, x in built.x.items():
        built.mip.hint[x] = best.flow.get(key, 0.0)
    out = solve(built.mip, SolverSettings(time_limit_s=max(1.0, seconds), seed=settings.seed,
                                          backend="SCIP"))
    if not out.status.has_solution:
        return None, False
    is_open = np.zeros(len(instance.arcs), dtype=bool)
    for a, v in enumerate(built.y):
        is_open[a] = v >= 0 and out.values[v] > 0.5
    flow = {key: float(out.values[x]) for key, x in built.x.items() if out.values[x] > 1e-9}
    return _Design(float(out.objective or 0.0), is_open, flow), out.status is SolveStatus.OPTIMAL
