"""Baseline: the same weekly flow model written the way a Python planner would, PuLP + CBC.

The planner's straightforward version: one ``LpVariable`` per (demand, route)
flow, per unmet demand and per container count, one ``lpSum`` constraint per
row, solved by PuLP's bundled CBC to the same relative gap on one thread.
The rows are exactly those of :func:`optimizer.solve.flow_model.build`
(candidate routes, SLA filter and costs from our pipeline), so the comparison
isolates modelling layer + solver: PuLP/CBC against our build + OR-Tools/SCIP.

Not an arc-based formulation: per-route P90 SLAs, customs by entry point and
route-dependent CIF values do not decompose by arc, so an arc model of this
problem would be a different (weaker) problem. Needs ``pip install -e
".[baselines]"`` (pulp); without pulp, :func:`available` is False.
"""

from __future__ import annotations

import math
import time
from typing import Any

from baseline_arc import cbc, variable_maker

from optimizer.solve.backend import MipModel


def available() -> bool:
    try:
        import pulp  # noqa: F401
    except ImportError:
        return False
    return True


def solve_pulp(mip: MipModel, *, relative_gap: float, time_limit_s: float) -> dict[str, Any]:
    """Build ``mip`` in PuLP, solve with CBC; return times, status and objective."""
    import pulp

    started = time.perf_counter()
    prob = pulp.LpProblem("xborder_flow", pulp.LpMinimize)
    var = variable_maker(prob)
    xs = []
    for i in range(mip.num_vars):
        ub = mip.ub[i]
        xs.append(
            var(
                f"x{i}",
                mip.lb[i],
                None if math.isinf(ub) else ub,
                pulp.LpInteger if mip.integer[i] else pulp.LpContinuous,
            )
        )
    prob += pulp.lpSum(c * xs[i] for i, c in enumerate(mip.cost) if c)
    for k, (index, coef, lo, hi) in enumerate(mip.rows):
        expr = pulp.lpSum(c * xs[i] for i, c in zip(index, coef, strict=True))
        if lo == hi:
            prob += (expr == lo), f"r{k}"
        else:
            if not math.isinf(hi):
                prob += (expr <= hi), f"r{k}u"
            if not math.isinf(lo):
                prob += (expr >= lo), f"r{k}l"
    built = time.perf_counter()
    solver = cbc(gapRel=relative_gap, timeLimit=time_limit_s)
    prob.solve(solver)
    done = time.perf_counter()
    status = pulp.LpStatus[prob.status]
    objective = pulp.value(prob.objective)
    # CBC stops at gapRel when it reports Optimal; on the time limit PuLP still says
    # "Optimal" when a solution exists, so a run that used the whole limit is "limit".
    solve_s = done - built
    reached = status == "Optimal" and solve_s < 0.98 * time_limit_s
    return {
        "build_s": built - started,
        "solve_s": solve_s,
        "status": status,
        "objective": objective,
        "reached_gap": reached,
    }
