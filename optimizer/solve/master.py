"""Large flow models: a restricted master with pricing, LP-guided rounding, a proven gap.

Why (docs/scale.md): at 20,000 demands the flow MIP has 270,000 variables but only
a few hundred integer container counts and capacity rows that couple demands; the
LP optimum uses one or two of a demand's ~13 options. So the LP relaxation is
solved over a small *restricted master* — every demand's cheapest option per
pattern, the unmet and container variables — and grown by *pricing*: with the
master's row duals ``y``, an option's reduced cost is ``c - Aᵀy`` (one sparse
product over all options), and options with a negative one join the master.
When none is left the master's LP optimum is the LP optimum of the full model:
a valid lower bound on the full MIP (exact).

A plan then comes from *LP-guided rounding*: container counts of the LP optimum
rounded up (flows unchanged stay feasible), the LP re-solved over the master's
columns with those counts fixed. Its objective against the full LP bound is a
proven gap. If that gap is not within the scenario's ``relative_gap``, the full
MIP is handed to the MIP solver with the rounded plan as its warm start, so the
result is never claimed closer than proven (heuristic only in *which* feasible
plan is found first; the gap reported is always against a valid bound).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from optimizer.solve.backend import LpSession, MipModel, SolveOutcome, solve
from optimizer.solve.settings import SolverSettings, SolveStatus

#: Pricing tolerance: an option joins the master when its reduced cost is below
#: ``-PRICE_TOL × (1 + |cost|)`` (GLOP's own optimality tolerance is ~1e-7).
PRICE_TOL = 1e-7
#: At most this many new options per demand and pricing round (the most negative):
#: keeps the master small when the first duals are poor.
PER_DEMAND = 3
#: Pricing stops when the Lagrangian bound is within this share of the gap target of
#: the master's LP value (so at most a tenth of the allowed gap is spent on the bound).
BOUND_SHARE = 0.1
#: Pricing rounds before giving up on an exact LP bound (never reached in the
#: benchmarks: 3–6 rounds).
MAX_ROUNDS = 50


@dataclass(frozen=True, slots=True)
class ColumnMatrix:
    """A model's constraint matrix stored by column (CSC: ``indptr``, ``row``, ``value``).

    Why not scipy: only ``Aᵀy`` and column slices are needed, a few lines of numpy.
    """

    indptr: np.ndarray
    row: np.ndarray
    value: np.ndarray
    num_rows: int

    @classmethod
    def of(cls, model: MipModel) -> ColumnMatrix:
        lengths = np.fromiter((len(r[0]) for r in model.rows), np.int64, len(model.rows))
        nnz = int(lengths.sum())
        col = np.fromiter((j for r in model.rows for j in r[0]), np.int64, nnz)
        value = np.fromiter((c for r in model.rows for c in r[1]), float, nnz)
        row = np.repeat(np.arange(len(model.rows), dtype=np.int64), lengths)
        order = np.argsort(col, kind="stable")  # by column, rows ascending within
        indptr = np.zeros(model.num_vars + 1, dtype=np.int64)
        np.cumsum(np.bincount(col, minlength=model.num_vars), out=indptr[1:])
        return cls(indptr, row[order], value[order], len(model.rows))

    def transpose_dot(self, y: np.ndarray) -> np.ndarray:
        """``Aᵀy``: one value per column."""
        per_entry = self.value * y[self.row]
        sums = np.concatenate(([0.0], np.cumsum(per_entry)))
        return sums[self.indptr[1:]] - sums[self.indptr[:-1]]

    def column(self, j: int) -> tuple[list[int], list[float]]:
        lo, hi = self.indptr[j], self.indptr[j + 1]
        return self.row[lo:hi].tolist(), self.value[lo:hi].tolist()

    def entries_of(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, position in ``columns``, value) of every entry of ``columns``, by column."""
        lengths = self.indptr[columns + 1] - self.indptr[columns]
        entry = np.repeat(self.indptr[columns] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
        entry += np.arange(int(lengths.sum()))
        position = np.repeat(np.arange(columns.size), lengths)
        return self.row[entry], position, self.value[entry]

    def rows_of(self, columns: np.ndarray) -> list[tuple[list[int], list[float]]]:
        """Every row restricted to ``columns`` (renumbered by position in ``columns``)."""
        row, position, value = self.entries_of(columns)
        order = np.argsort(row, kind="stable")  # by row, columns ascending within
        row, position, value = row[order], position[order], value[order]
        cut = np.searchsorted(row, np.arange(self.num_rows + 1))
        pos, val = position.tolist(), value.tolist()
        return [(pos[cut[r] : cut[r + 1]], val[cut[r] : cut[r + 1]]) for r in range(self.num_rows)]


@dataclass(frozen=True, slots=True)
class MasterProblem:
    """What pricing needs of a flow model, as arrays.

    ``group[j]`` numbers the demand of flow or unmet variable ``j`` (-1 for every
    other variable; a demand's variables sum to at most its ``orders``); ``start``
    lists the variables the master begins with.
    """

    model: MipModel
    matrix: ColumnMatrix
    cost: np.ndarray
    group: np.ndarray
    orders: np.ndarray  # per demand (group number): its orders per week
    start: np.ndarray

    @classmethod
    def of(
        cls, model: MipModel, group: np.ndarray, orders: np.ndarray, start: np.ndarray
    ) -> MasterProblem:
        cost = np.asarray(model.cost, dtype=float)
        return cls(model, ColumnMatrix.of(model), cost, group, orders, start)


def _submodel(model: MipModel, columns: np.ndarray, matrix: ColumnMatrix) -> MipModel:
    """``model`` restricted to ``columns`` (renumbered 0..k-1), every row kept."""
    rows = [
        (index, coef, lo, hi)
        for (index, coef), (_, _, lo, hi) in zip(matrix.rows_of(columns), model.rows, strict=True)
    ]
    return MipModel(
        lb=np.asarray(model.lb)[columns].tolist(),
        ub=np.asarray(model.ub)[columns].tolist(),
        integer=np.asarray(model.integer)[columns].tolist(),
        cost=np.asarray(model.cost)[columns].tolist(),
        names=[""] * len(columns),
        rows=rows,
        objective_offset=model.objective_offset,
    )


def price(master: MasterProblem, duals: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Variables outside the master (``inside`` False) with a negative reduced cost.

    At most :data:`PER_DEMAND` per demand, the most negative first; sorted by index.
    """
    reduced = master.cost - master.matrix.transpose_dot(duals)
    tol = PRICE_TOL * (1.0 + np.abs(master.cost))
    cand = np.flatnonzero((reduced < -tol) & ~inside)
    if cand.size == 0:
        return cand
    order = np.lexsort((reduced[cand], master.group[cand]))
    cand = cand[order]
    grp = master.group[cand]
    first = np.r_[0, np.flatnonzero(np.diff(grp)) + 1]
    rank = np.arange(cand.size) - np.repeat(first, np.diff(np.r_[first, cand.size]))
    return np.sort(cand[(rank < PER_DEMAND) | (grp < 0)])


def lagrangian_bound(master: MasterProblem, duals: np.ndarray) -> float:
    """A lower bound on the full model (LP and MIP) from any row duals (exact, valid always).

    Every row is relaxed with its dual ``y`` (clipped to the sign its bounds allow), so
    ``L(y) = Σ_r (y_r⁺·lb_r − y_r⁻·ub_r) + min_x (c − Aᵀy)·x`` over the box of each variable
    and, for a demand's options and unmet variable, ``Σ x ≤ orders`` (implied by the demand
    row): that minimum is ``orders × min(0, smallest reduced cost)`` per demand. An
    unbounded variable with a negative reduced cost makes the bound −∞.
    """
    model = master.model
    lo = np.array([r[2] for r in model.rows])
    hi = np.array([r[3] for r in model.rows])
    y = np.where(np.isfinite(lo), np.maximum(duals, 0.0), 0.0) + np.where(
        np.isfinite(hi), np.minimum(duals, 0.0), 0.0
    )
    value = float(np.sum(np.where(y > 0, y * np.where(np.isfinite(lo), lo, 0.0), 0.0)))
    value += float(np.sum(np.where(y < 0, y * np.where(np.isfinite(hi), hi, 0.0), 0.0)))
    reduced = master.cost - master.matrix.transpose_dot(y)
    grouped = master.group >= 0
    if np.any(grouped):
        g = master.group[grouped]
        low = np.zeros(int(g.max()) + 1)
        np.minimum.at(low, g, reduced[grouped])
        value += float(low @ master.orders)
    ub = np.asarray(model.ub)[~grouped]
    lb = np.asarray(model.lb)[~grouped]
    rc = reduced[~grouped]
    tol = PRICE_TOL * (1.0 + np.abs(master.cost[~grouped]))
    rc = np.where(np.abs(rc) <= tol, 0.0, rc)  # the master's own optimality tolerance
    neg = rc < 0
    if np.any(neg & ~np.isfinite(ub)) or np.any(~neg & (rc > 0) & ~np.isfinite(lb)):
        return -np.inf
    value += float(np.sum(np.where(neg, rc * np.where(np.isfinite(ub), ub, 0.0), 0.0)))
    value += float(np.sum(np.where(rc > 0, rc * np.where(np.isfinite(lb), lb, 0.0), 0.0)))
    return value + model.objective_offset


def solve_restricted(
    master: MasterProblem, settings: SolverSettings, integer: np.ndarray
) -> SolveOutcome:
    """Column generation to a proven LP bound, LP-guided rounding, MIP fallback.

    ``integer`` lists the integer variables (container counts), every one of which can
    be rounded up without breaking a row. Returns values over the full model.
    """
    started = time.perf_counter()
    model = master.model
    n = model.num_vars
    inside = np.zeros(n, dtype=bool)
    inside[master.start] = True
    columns = np.flatnonzero(inside)
    session = LpSession(_submodel(model, columns, master.matrix))
    lp = session.solve(_left(settings, started), presolve=True)
    bound = -np.inf
    for _ in range(MAX_ROUNDS):
        if lp.status is not SolveStatus.OPTIMAL or lp.duals is None or lp.objective is None:
            return solve(model, settings)  # no LP optimum: the plain MIP
        bound = max(bound, lagrangian_bound(master, lp.duals))
        new = price(master, lp.duals, inside)
        close = lp.objective - bound <= BOUND_SHARE * settings.relative_gap * abs(lp.objective)
        if new.size == 0 or close:
            break
        _add(session, master, new)
        inside[new] = True
        columns = np.r_[columns, new]
        lp = session.solve(_left(settings, started))
    if not np.isfinite(bound) or lp.objective is None:
        return solve(model, settings)
    position = np.full(n, -1)
    position[columns] = np.arange(columns.size)
    ints = position[integer]
    rounded = np.ceil(lp.values[ints] - 1e-6).clip(min=0.0)
    values = np.zeros(n)
    values[columns] = lp.values[: columns.size]
    values[integer] = rounded
    objective = model.evaluate(values)
    if _gap(objective, bound) > settings.relative_gap and rounded.size:
        # the LP's flows in rounded-up containers are not close enough: re-solve the
        # master's LP with those counts fixed (flows move to fill the containers)
        session.set_bounds(ints, rounded, rounded)
        fixed = session.solve(_left(settings, started))
        if fixed.status is SolveStatus.OPTIMAL and fixed.objective is not None:
            values[columns] = fixed.values[: columns.size]
            values[integer] = rounded
            objective = model.evaluate(values)
    if _gap(objective, bound) <= settings.relative_gap:
        seconds = time.perf_counter() - started
        return SolveOutcome(
            SolveStatus.OPTIMAL, objective, bound, _gap(objective, bound), seconds, values
        )
    return _warm_mip(model, settings, started, values, objective, bound)


def _add(session: LpSession, master: MasterProblem, new: np.ndarray) -> None:
    """Add variables ``new`` of the full model to the master's LP (basis kept)."""
    rows, local, values = master.matrix.entries_of(new)
    session.add_column_arrays(
        np.asarray(master.model.lb)[new],
        np.asarray(master.model.ub)[new],
        master.cost[new],
        rows,
        local,
        values,
    )


def _warm_mip(
    model: MipModel,
    settings: SolverSettings,
    started: float,
    values: np.ndarray,
    objective: float,
    bound: float,
) -> SolveOutcome:
    """The full MIP from the rounded plan (warm start); the better plan, the best bound."""
    warm = dataclasses.replace(model, hint={i: float(v) for i, v in enumerate(values) if v})
    out = solve(warm, dataclasses.replace(settings, time_limit_s=_left(settings, started)))
    seconds = time.perf_counter() - started
    if out.bound is not None:
        bound = max(bound, out.bound)
    if out.status.has_solution and out.objective is not None and out.objective <= objective:
        objective, values = out.objective, out.values
    gap = _gap(objective, bound)
    status = SolveStatus.OPTIMAL if gap <= settings.relative_gap else SolveStatus.FEASIBLE
    return SolveOutcome(status, objective, bound, gap, seconds, values)


def _gap(objective: float, bound: float) -> float:
    return abs(objective - bound) / max(abs(objective), 1e-9)


def _left(settings: SolverSettings, started: float) -> float | None:
    if settings.time_limit_s is None:
        return None
    return max(settings.time_limit_s - (time.perf_counter() - started), 1.0)
