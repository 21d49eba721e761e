"""The one module that imports OR-Tools.

Models are assembled in :class:`MipModel` (plain Python/numpy, solver-free) and
handed to :func:`solve`, which translates them to OR-Tools' ``pywraplp`` (SCIP
by default, HiGHS or CBC on request), applies deterministic settings (one
thread, fixed seed) and maps the solver's status onto :class:`SolveStatus`.
Infeasible or limit-reached runs are results, not exceptions.

Two MathOpt paths sit beside it: backend ``HIGHS_MATHOPT`` solves a MIP with HiGHS through
OR-Tools' MathOpt, which (unlike HiGHS through ``pywraplp``) keeps the incumbent at a time
limit; and :class:`LpSession` keeps one LP alive in GLOP so algorithms that re-solve it many
times (changed costs or bounds, added rows) get warm starts instead of solves from scratch.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.math_opt import (
    callback_pb2,
    model_parameters_pb2,
    model_pb2,
    model_update_pb2,
    parameters_pb2,
    result_pb2,
    solution_pb2,
)
from ortools.math_opt.core.python import solver as mathopt_core

from optimizer.solve.settings import Backend, SolverSettings, SolveStatus

INF = math.inf


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    status: SolveStatus
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    values: np.ndarray  # one value per variable, empty without a solution
    duals: np.ndarray | None = None  # one per row, LP sessions only (MathOpt's sign convention)


@dataclass
class MipModel:
    """A minimization MIP built incrementally: variables by index, sparse rows.

    Solver-independent, so models can be built, inspected and tested without
    touching OR-Tools.
    """

    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)
    objective_offset: float = 0.0
    hint: dict[int, float] = field(default_factory=dict)

    @property
    def num_vars(self) -> int:
        return len(self.lb)

    def add_var(
        self,
        lb: float = 0.0,
        ub: float = INF,
        *,
        cost: float = 0.0,
        integer: bool = False,
        name: str = "",
    ) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        self.cost.append(cost)
        self.names.append(name)
        return len(self.lb) - 1

    def add_row(
        self, index: list[int], coef: list[float], lb: float = -INF, ub: float = INF
    ) -> int:
        """Add ``lb <= sum(coef * x[index]) <= ub``; returns the row number."""
        self.rows.append((list(index), [float(c) for c in coef], lb, ub))
        return len(self.rows) - 1

    def set_cost(self, var: int, cost: float) -> None:
        self.cost[var] = cost

    def evaluate(self, values: np.ndarray) -> float:
        return float(np.dot(np.asarray(self.cost), values)) + self.objective_offset


_STATUS = {
    pywraplp.Solver.OPTIMAL: SolveStatus.OPTIMAL,
    pywraplp.Solver.FEASIBLE: SolveStatus.FEASIBLE,
    pywraplp.Solver.INFEASIBLE: SolveStatus.INFEASIBLE,
    pywraplp.Solver.UNBOUNDED: SolveStatus.UNBOUNDED,
    pywraplp.Solver.NOT_SOLVED: SolveStatus.NO_SOLUTION,
    pywraplp.Solver.ABNORMAL: SolveStatus.ERROR,
    pywraplp.Solver.MODEL_INVALID: SolveStatus.ERROR,
}


def _deterministic_params(backend: Backend, seed: int) -> str:
    if backend is Backend.SCIP:
        return f"randomization/randomseedshift = {seed}\nlp/threads = 1\n"
    if backend is Backend.HIGHS:
        return f"random_seed = {seed}\nthreads = 1\noutput_flag = false\n"
    return ""


def solve(model: MipModel, settings: SolverSettings | None = None) -> SolveOutcome:
    """Solve ``model`` (minimize) and report status, objective, bound and gap."""
    settings = settings or SolverSettings()
    backend = settings.backend
    if not backend.via_pywraplp:
        return _solve_mathopt(model, settings)
    started = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver(backend.value)
    if solver is None:  # pragma: no cover - depends on the OR-Tools build
        return SolveOutcome(SolveStatus.ERROR, None, None, None, 0.0, np.empty(0))
    solver.SetNumThreads(settings.threads)
    params = _deterministic_params(backend, settings.seed)
    if params:
        solver.SetSolverSpecificParametersAsString(params)
    if settings.time_limit_s is not None:
        solver.SetTimeLimit(max(1, int(settings.time_limit_s * 1000)))

    xs = _load(solver, model)
    objective = solver.Objective()
    if model.hint and backend is not Backend.HIGHS:  # OR-Tools 9.15 segfaults on SetHint with HiGHS
        keys = sorted(model.hint)
        solver.SetHint([xs[i] for i in keys], [model.hint[i] for i in keys])

    params_obj = pywraplp.MPSolverParameters()
    params_obj.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, settings.relative_gap)
    code = solver.Solve(params_obj)
    seconds = time.perf_counter() - started
    status = _STATUS.get(code, SolveStatus.ERROR)
    limit = settings.time_limit_s
    if status is SolveStatus.ERROR and limit is not None and seconds >= 0.95 * limit:
        # HiGHS through pywraplp reports an unknown status (99) at the time limit and keeps
        # no incumbent: that is "limit reached without a solution", not a solver error.
        status = SolveStatus.NO_SOLUTION
    is_mip = any(model.integer)
    if status.has_solution:
        values = np.array([x.solution_value() for x in xs], dtype=float)
        value = objective.Value()
        bound = objective.BestBound() if is_mip else value
        if status is SolveStatus.FEASIBLE and not is_mip:
            status = SolveStatus.OPTIMAL
        gap = _relative_gap(value, bound)
        if status is SolveStatus.OPTIMAL and gap > max(settings.relative_gap, 1e-9) * 1.0001:
            status = SolveStatus.FEASIBLE  # stopped on a limit, not proven optimal
        return SolveOutcome(status, value, bound, gap, seconds, values)
    if status is SolveStatus.NO_SOLUTION and settings.time_limit_s is None:
        status = SolveStatus.ERROR
    return SolveOutcome(status, None, None, None, seconds, np.empty(0))


def _load(solver: pywraplp.Solver, model: MipModel) -> list[pywraplp.Variable]:
    """Hand ``model`` to ``solver``; return its variables in model order.

    Why a proto: building an ``MPModelProto`` and loading it in one C++ call is about twice
    as fast as one ``SetCoefficient`` call per nonzero (0.4 s against 0.7 s for 200k nonzeros).
    The proto validator rejects what the incremental API tolerates (a variable repeated in a
    row, where the last coefficient wins; bounds with ``lb > ub``), so such models take the
    incremental path and behave exactly as before.
    """
    proto = linear_solver_pb2.MPModelProto()
    add_var = proto.variable.add
    for i, (lo, hi, integer, cost, name) in enumerate(
        zip(model.lb, model.ub, model.integer, model.cost, model.names, strict=True)
    ):
        add_var(
            lower_bound=lo,
            upper_bound=hi,
            is_integer=integer,
            objective_coefficient=cost,
            name=name or f"x{i}",
        )
    add_row = proto.constraint.add
    for index, coef, lo, hi in model.rows:
        add_row(lower_bound=lo, upper_bound=hi, var_index=index, coefficient=coef)
    proto.objective_offset = model.objective_offset
    if solver.LoadModelFromProto(proto) == "":
        return list(solver.variables())
    solver.Clear()
    return _load_incrementally(solver, model)


def _load_incrementally(solver: pywraplp.Solver, model: MipModel) -> list[pywraplp.Variable]:
    """The one-call-per-nonzero translation (fallback for models the proto check rejects)."""
    infinity = solver.infinity()

    def clip(v: float) -> float:
        return infinity if v == INF else (-infinity if v == -INF else v)

    xs = [
        (solver.IntVar if integer else solver.NumVar)(clip(lo), clip(hi), name or f"x{i}")
        for i, (lo, hi, integer, name) in enumerate(
            zip(model.lb, model.ub, model.integer, model.names, strict=True)
        )
    ]
    for index, coef, lo, hi in model.rows:
        set_coefficient = solver.RowConstraint(clip(lo), clip(hi), "").SetCoefficient
        for i, c in zip(index, coef, strict=True):
            set_coefficient(xs[i], c)
    objective = solver.Objective()
    for x, c in zip(xs, model.cost, strict=True):
        if c:
            objective.SetCoefficient(x, c)
    objective.SetOffset(model.objective_offset)
    objective.SetMinimization()
    return xs


def _relative_gap(value: float, bound: float) -> float:
    """|value - bound| / max(|value|, 1e-9): 0 means proven optimal."""
    return abs(value - bound) / max(abs(value), 1e-9)


# --------------------------------------------------------------------------- MathOpt

_REASON = result_pb2.TerminationReasonProto


def _mathopt_model(model: MipModel, *, relax: bool = False) -> model_pb2.ModelProto:
    """``model`` as a MathOpt proto (rows need distinct variables; ``relax`` drops integrality)."""
    proto = model_pb2.ModelProto()
    n = model.num_vars
    proto.variables.ids.extend(range(n))
    proto.variables.lower_bounds.extend(model.lb)
    proto.variables.upper_bounds.extend(model.ub)
    proto.variables.integers.extend([False] * n if relax else model.integer)
    cost = np.asarray(model.cost, dtype=float)
    nonzero = np.flatnonzero(cost)
    proto.objective.linear_coefficients.ids.extend(nonzero.tolist())
    proto.objective.linear_coefficients.values.extend(cost[nonzero].tolist())
    proto.objective.offset = model.objective_offset
    _append_rows(proto.linear_constraints, proto.linear_constraint_matrix, model.rows, 0)
    return proto


def _append_rows(
    constraints: model_pb2.LinearConstraintsProto,
    matrix: object,
    rows: list[tuple[list[int], list[float], float, float]],
    first_id: int,
) -> None:
    """Add ``rows`` with ids from ``first_id``; the matrix must be sorted by (row, column)."""
    constraints.ids.extend(range(first_id, first_id + len(rows)))
    constraints.lower_bounds.extend([lo for _, _, lo, _ in rows])
    constraints.upper_bounds.extend([hi for _, _, _, hi in rows])
    row_ids: list[int] = []
    col_ids: list[int] = []
    coefs: list[float] = []
    for r, (index, coef, _, _) in enumerate(rows, start=first_id):
        order = sorted(range(len(index)), key=index.__getitem__)
        row_ids.extend([r] * len(index))
        col_ids.extend(index[i] for i in order)
        coefs.extend(coef[i] for i in order)
    matrix.row_ids.extend(row_ids)  # type: ignore[attr-defined]
    matrix.column_ids.extend(col_ids)  # type: ignore[attr-defined]
    matrix.coefficients.extend(coefs)  # type: ignore[attr-defined]


def _mathopt_params(settings: SolverSettings, *, lp: bool) -> parameters_pb2.SolveParametersProto:
    params = parameters_pb2.SolveParametersProto(enable_output=False, random_seed=settings.seed)
    if not lp:
        params.relative_gap_tolerance = settings.relative_gap
        params.absolute_gap_tolerance = 0.0
    if settings.time_limit_s is not None:
        params.time_limit.FromNanoseconds(int(settings.time_limit_s * 1e9))
    return params


def _mathopt_run(
    solver: object, params: parameters_pb2.SolveParametersProto
) -> result_pb2.SolveResultProto:
    args = (
        params,
        model_parameters_pb2.ModelSolveParametersProto(),
        None,
        callback_pb2.CallbackRegistrationProto(),
        None,
        None,
    )
    out = solver.solve(*args)  # type: ignore[attr-defined]
    return (
        out
        if isinstance(out, result_pb2.SolveResultProto)
        else (result_pb2.SolveResultProto.FromString(out))
    )


def _outcome(
    result: result_pb2.SolveResultProto,
    n: int,
    seconds: float,
    *,
    is_mip: bool,
    relative_gap: float,
    n_rows: int = 0,
) -> SolveOutcome:
    """Map a MathOpt result onto :class:`SolveOutcome` (values dense, in model order).

    For an LP, ``duals`` holds the ``n_rows`` row duals: ``reduced cost = c - A^T duals``, so
    in a minimization a binding ``<=`` row has a dual ``<= 0``.
    """
    reason = result.termination.reason
    feasible = [
        s.primal_solution
        for s in result.solutions
        if s.HasField("primal_solution")
        and s.primal_solution.feasibility_status == solution_pb2.SOLUTION_STATUS_FEASIBLE
    ]
    if not feasible:
        status = {
            _REASON.TERMINATION_REASON_INFEASIBLE: SolveStatus.INFEASIBLE,
            _REASON.TERMINATION_REASON_UNBOUNDED: SolveStatus.UNBOUNDED,
            _REASON.TERMINATION_REASON_NO_SOLUTION_FOUND: SolveStatus.NO_SOLUTION,
        }.get(reason, SolveStatus.ERROR)
        return SolveOutcome(status, None, None, None, seconds, np.empty(0))
    best = feasible[0]
    values = np.zeros(n)
    values[np.asarray(best.variable_values.ids, dtype=int)] = best.variable_values.values
    value = best.objective_value
    bound = result.termination.objective_bounds.dual_bound if is_mip else value
    if not math.isfinite(bound):
        bound = None
    gap = None if bound is None else _relative_gap(value, bound)
    proven = reason == _REASON.TERMINATION_REASON_OPTIMAL and (
        not is_mip or (gap is not None and gap <= max(relative_gap, 1e-9) * 1.0001)
    )
    duals = None
    if not is_mip and result.solutions and result.solutions[0].HasField("dual_solution"):
        dual = result.solutions[0].dual_solution.dual_values
        duals = np.zeros(n_rows)
        duals[np.asarray(dual.ids, dtype=int)] = dual.values
    return SolveOutcome(
        SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
        value,
        bound,
        gap,
        seconds,
        values,
        duals,
    )


def _solve_mathopt(model: MipModel, settings: SolverSettings) -> SolveOutcome:
    """HiGHS through MathOpt: one thread (HiGHS' default here), incumbent kept at a limit.

    MathOpt's HiGHS takes no hint, so ``model.hint`` is ignored on this path.
    """
    started = time.perf_counter()
    is_mip = any(model.integer)
    solver = mathopt_core.new(
        parameters_pb2.SOLVER_TYPE_HIGHS,
        _mathopt_model(model),
        parameters_pb2.SolverInitializerProto(),
    )
    result = _mathopt_run(solver, _mathopt_params(settings, lp=not is_mip))
    return _outcome(
        result,
        model.num_vars,
        time.perf_counter() - started,
        is_mip=is_mip,
        relative_gap=settings.relative_gap,
    )


class LpSession:
    """The LP relaxation of a :class:`MipModel` kept alive in GLOP between solves.

    Why: slope scaling and cutting-plane loops re-solve one LP dozens of times with new
    costs, bounds or rows; GLOP then restarts from the last basis (primal simplex after a
    cost change, dual simplex after added rows) instead of from scratch. Variables keep the
    model's indices; rows added here get the next row numbers. Integrality is ignored.
    """

    def __init__(self, model: MipModel) -> None:
        self.num_vars = model.num_vars
        self.num_rows = len(model.rows)
        self._solver = mathopt_core.new(
            parameters_pb2.SOLVER_TYPE_GLOP,
            _mathopt_model(model, relax=True),
            parameters_pb2.SolverInitializerProto(),
        )
        self._update = model_update_pb2.ModelUpdateProto()

    def set_costs(self, index: list[int] | np.ndarray, cost: list[float] | np.ndarray) -> None:
        """Set the objective coefficients of variables ``index`` (applied at the next solve)."""
        self._merge_sparse(self._update.objective_updates.linear_coefficients, index, cost)

    def set_bounds(
        self,
        index: list[int] | np.ndarray,
        lb: list[float] | np.ndarray,
        ub: list[float] | np.ndarray,
    ) -> None:
        """Set lower and upper bounds of variables ``index`` (applied at the next solve)."""
        self._merge_sparse(self._update.variable_updates.lower_bounds, index, lb)
        self._merge_sparse(self._update.variable_updates.upper_bounds, index, ub)

    def add_rows(self, rows: list[tuple[list[int], list[float], float, float]]) -> None:
        """Add ``lb <= coef . x[index] <= ub`` rows (applied at the next solve)."""
        _append_rows(
            self._update.new_linear_constraints,
            self._update.linear_constraint_matrix_updates,
            rows,
            self.num_rows,
        )
        self.num_rows += len(rows)

    def set_coefficients(self, rows: list[int], columns: list[int], values: list[float]) -> None:
        """Change existing matrix coefficients (applied at once, before any later change)."""
        self._flush()
        matrix = self._update.linear_constraint_matrix_updates
        for r, c, v in sorted(zip(rows, columns, values, strict=True)):
            matrix.row_ids.append(r)
            matrix.column_ids.append(c)
            matrix.coefficients.append(v)
        self._flush()

    def add_columns(
        self,
        lb: list[float],
        ub: list[float],
        cost: list[float],
        entries: list[tuple[list[int], list[float]]],
    ) -> list[int]:
        """Add variables with bounds, costs and coefficients in existing rows (``entries[i]``
        = rows and coefficients of new variable ``i``); returns their indices.

        Column generation adds paths this way; the basis of the last solve is kept.
        """
        self._flush()  # a matrix update must be sorted: rows pending go in a separate update
        first = self.num_vars
        ids = list(range(first, first + len(lb)))
        new = self._update.new_variables
        new.ids.extend(ids)
        new.lower_bounds.extend(lb)
        new.upper_bounds.extend(ub)
        new.integers.extend([False] * len(lb))
        triples = sorted(
            (r, v, c)
            for v, (rows, coefs) in zip(ids, entries, strict=True)
            for r, c in zip(rows, coefs, strict=True)
        )
        matrix = self._update.linear_constraint_matrix_updates
        matrix.row_ids.extend(t[0] for t in triples)
        matrix.column_ids.extend(t[1] for t in triples)
        matrix.coefficients.extend(t[2] for t in triples)
        self._merge_sparse(self._update.objective_updates.linear_coefficients, ids, cost)
        self.num_vars += len(lb)
        self._flush()
        return ids

    def add_column_arrays(
        self,
        lb: np.ndarray,
        ub: np.ndarray,
        cost: np.ndarray,
        rows: np.ndarray,
        columns: np.ndarray,
        values: np.ndarray,
    ) -> list[int]:
        """:meth:`add_columns` with the entries as arrays: entry ``e`` puts ``values[e]`` in
        row ``rows[e]`` of the ``columns[e]``-th new variable (0 = the first added).

        Why a second door: pricing adds tens of thousands of columns at a time, and sorting
        their entries in numpy instead of as Python tuples is what makes that cheap.
        """
        self._flush()
        first = self.num_vars
        ids = np.arange(first, first + len(lb))
        new = self._update.new_variables
        new.ids.extend(ids.tolist())
        new.lower_bounds.extend(np.asarray(lb, dtype=float).tolist())
        new.upper_bounds.extend(np.asarray(ub, dtype=float).tolist())
        new.integers.extend([False] * len(lb))
        col = np.asarray(columns, dtype=np.int64) + first
        order = np.lexsort((col, rows))
        matrix = self._update.linear_constraint_matrix_updates
        matrix.row_ids.extend(np.asarray(rows, dtype=np.int64)[order].tolist())
        matrix.column_ids.extend(col[order].tolist())
        matrix.coefficients.extend(np.asarray(values, dtype=float)[order].tolist())
        self._merge_sparse(self._update.objective_updates.linear_coefficients, ids, cost)
        self.num_vars += len(lb)
        self._flush()
        return ids.tolist()

    def solve(self, time_limit_s: float | None = None, *, presolve: bool = False) -> SolveOutcome:
        """Re-optimize from the previous basis; objective equals bound for an optimal LP.

        ``presolve`` turns GLOP's preprocessing on (worth it for a first solve from scratch).
        """
        started = time.perf_counter()
        self._flush()
        settings = SolverSettings(time_limit_s=time_limit_s)
        params = _mathopt_params(settings, lp=True)
        # GLOP's presolve would rebuild what the kept basis already knows: re-solves after
        # column generation rounds are ~20 % faster without it (c38 strong LP: 26 -> 21 s).
        params.glop.use_preprocessing = presolve
        result = _mathopt_run(self._solver, params)
        out = _outcome(
            result,
            self.num_vars,
            time.perf_counter() - started,
            is_mip=False,
            relative_gap=0.0,
            n_rows=self.num_rows,
        )
        if out.status is SolveStatus.FEASIBLE:  # an LP stopped early: no valid bound
            return SolveOutcome(
                SolveStatus.FEASIBLE, out.objective, None, None, out.seconds, out.values, out.duals
            )
        return out

    def _merge_sparse(
        self, vector: object, index: list[int] | np.ndarray, values: list[float] | np.ndarray
    ) -> None:
        """Sparse vectors must have sorted unique ids: merge with what is pending."""
        old = dict(zip(vector.ids, vector.values, strict=True))  # type: ignore[attr-defined]
        old.update(zip((int(i) for i in index), (float(v) for v in values), strict=True))
        keys = sorted(old)
        del vector.ids[:], vector.values[:]  # type: ignore[attr-defined]
        vector.ids.extend(keys)  # type: ignore[attr-defined]
        vector.values.extend(old[k] for k in keys)  # type: ignore[attr-defined]

    def _flush(self) -> None:
        if self._update.ByteSize() and not self._solver.update(self._update):
            raise RuntimeError("GLOP refused an incremental LP update")  # pragma: no cover
        self._update = model_update_pb2.ModelUpdateProto()
