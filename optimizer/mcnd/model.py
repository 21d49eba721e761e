"""The MCND benchmark (Canad ``.dow`` files) read, modelled and solved by our solver core.

DESIGN.md §3: the multicommodity capacitated fixed-charge network design problem is our lane
model without the trade specifics, so the core must reproduce its published optima. This
module reads the ``.dow`` format (see ``benchmarks/mcnd/README.md``), builds the strong
arc-based formulation on :class:`~optimizer.solve.backend.MipModel` and solves it through
:func:`~optimizer.solve.backend.solve`; no OR-Tools import here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.solve.backend import MipModel, solve
from optimizer.solve.settings import Backend, SolverSettings, SolveStatus

DEFAULT_BACKEND = Backend.SCIP  # measured faster than HiGHS on C/C+/R (benchmarks/bench_mcnd.py)
_ARC_FIELDS = ("tail", "head", "unit_cost", "capacity", "fixed_cost", "x6", "x7")
_COMMODITY_FIELDS = ("origin", "dest", "demand")


@dataclass(frozen=True, slots=True)
class McndArc:
    """A design arc: pay ``fixed_cost`` to open it, then ``unit_cost`` per unit, up to capacity."""

    tail: int
    head: int
    unit_cost: int
    capacity: int
    fixed_cost: int


@dataclass(frozen=True, slots=True)
class McndCommodity:
    """``demand`` units to send from ``origin`` to ``dest``; flow may split across paths."""

    origin: int
    dest: int
    demand: int


@dataclass(frozen=True, slots=True)
class McndInstance:
    """One benchmark instance; nodes are numbered ``1..n_nodes`` as in the file."""

    name: str
    n_nodes: int
    arcs: tuple[McndArc, ...]
    commodities: tuple[McndCommodity, ...]


@dataclass(frozen=True, slots=True)
class McndResult:
    """Outcome of one solve, as data (an infeasible instance is a result, not an error).

    ``open_arcs`` are 0-based positions in ``instance.arcs``; ``reason`` explains an
    infeasible instance in one line.
    """

    name: str
    status: SolveStatus
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    open_arcs: tuple[int, ...]
    backend: str
    reason: str | None = None
    flows: tuple[tuple[int, int, float], ...] = ()  # (arc, commodity, amount), amount > 0


# --------------------------------------------------------------------------- reading


def read_dow(path: str | Path) -> McndInstance:
    """Read a ``.dow`` file; raise :class:`InputError` listing every problem found.

    The instance name is the file name without ``.dow``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), f"cannot read file: {exc}")]) from exc
    return parse_dow(text, name=path.stem, file=str(path))


def parse_dow(text: str, *, name: str, file: str) -> McndInstance:
    """Parse ``.dow`` text (label line, ``N A K`` line, ``A`` arc lines, ``K`` commodity lines).

    Rows in reported problems are 1-based line numbers. The label on line 1 is not checked
    (the R files indent it); blank lines are skipped. Header counts are taken as given, since
    they can differ from the nominal class name.
    """
    problems: list[Problem] = []
    lines = [(no, ln.split()) for no, ln in enumerate(text.splitlines(), start=1)]
    lines = [(no, tokens) for no, tokens in lines if tokens]
    if len(lines) < 2:
        problems.append(
            Problem(
                file,
                "truncated file: no 'N A K' header line",
                row=len(lines) + 1,
                expected="a label line, then 'N A K'",
            )
        )
        raise InputError(problems)
    header_no, header = lines[1]
    counts = _ints(header, ("n_nodes", "n_arcs", "n_commodities"), header_no, file, problems)
    if counts is None or any(v < 1 for v in counts):
        if counts is not None:
            problems.append(
                Problem(
                    file,
                    "header counts must be positive",
                    row=header_no,
                    field="N A K",
                    value=" ".join(header),
                    expected="integers >= 1",
                )
            )
        raise InputError(problems)
    n_nodes, n_arcs, n_commodities = counts
    body = lines[2:]
    arcs = [_arc(t, no, n_nodes, file, problems) for no, t in body[:n_arcs]]
    commodities = [
        _commodity(t, no, n_nodes, file, problems)
        for no, t in body[n_arcs : n_arcs + n_commodities]
    ]
    last_line = body[-1][0] if body else header_no
    if len(body) < n_arcs + n_commodities:
        problems.append(
            Problem(
                file,
                f"truncated file: {len(body)} data lines, header announces {n_arcs} arcs + "
                f"{n_commodities} commodities",
                row=last_line + 1,
                field="N A K",
                value=" ".join(header),
                expected=f"{n_arcs + n_commodities} data lines",
            )
        )
    elif len(body) > n_arcs + n_commodities:
        extra_no = body[n_arcs + n_commodities][0]
        problems.append(
            Problem(
                file,
                f"count mismatch: {len(body) - n_arcs - n_commodities} lines beyond the "
                f"{n_arcs} arcs + {n_commodities} commodities in the header",
                row=extra_no,
                field="N A K",
                value=" ".join(header),
                expected=f"{n_arcs + n_commodities} data lines",
            )
        )
    if problems:
        raise InputError(problems)
    return McndInstance(
        name,
        n_nodes,
        tuple(a for a in arcs if a is not None),
        tuple(c for c in commodities if c is not None),
    )


def _ints(
    tokens: list[str], fields: Sequence[str], row: int, file: str, problems: list[Problem]
) -> list[int] | None:
    """Tokens as integers, or ``None`` after recording every wrong token or column count."""
    if len(tokens) != len(fields):
        problems.append(
            Problem(
                file,
                f"wrong column count: {len(tokens)} values",
                row=row,
                field=" ".join(fields),
                value=" ".join(tokens),
                expected=f"{len(fields)} integers ({' '.join(fields)})",
            )
        )
        return None
    values: list[int] = []
    for token, fname in zip(tokens, fields, strict=True):
        try:
            values.append(int(token))
        except ValueError:
            problems.append(
                Problem(
                    file, "not an integer", row=row, field=fname, value=token, expected="an integer"
                )
            )
    return values if len(values) == len(fields) else None


def _check(
    ok: bool, problems: list[Problem], file: str, row: int, fname: str, value: int, expected: str
) -> None:
    if not ok:
        problems.append(
            Problem(
                file,
                f"{fname} out of range",
                row=row,
                field=fname,
                value=str(value),
                expected=expected,
            )
        )


def _arc(tokens: list[str], row: int, n: int, file: str, problems: list[Problem]) -> McndArc | None:
    values = _ints(tokens, _ARC_FIELDS, row, file, problems)
    if values is None:
        return None
    tail, head, cost, cap, fixed = values[:5]
    before = len(problems)
    _check(1 <= tail <= n, problems, file, row, "tail", tail, f"a node in 1..{n}")
    _check(1 <= head <= n, problems, file, row, "head", head, f"a node in 1..{n}")
    _check(cost >= 0, problems, file, row, "unit_cost", cost, ">= 0")
    _check(cap >= 0, problems, file, row, "capacity", cap, ">= 0")
    _check(fixed >= 0, problems, file, row, "fixed_cost", fixed, ">= 0")
    return McndArc(tail, head, cost, cap, fixed) if len(problems) == before else None


def _commodity(
    tokens: list[str], row: int, n: int, file: str, problems: list[Problem]
) -> McndCommodity | None:
    values = _ints(tokens, _COMMODITY_FIELDS, row, file, problems)
    if values is None:
        return None
    origin, dest, demand = values
    before = len(problems)
    _check(1 <= origin <= n, problems, file, row, "origin", origin, f"a node in 1..{n}")
    _check(
        1 <= dest <= n and dest != origin,
        problems,
        file,
        row,
        "dest",
        dest,
        f"a node in 1..{n}, not the origin",
    )
    _check(demand > 0, problems, file, row, "demand", demand, "> 0")
    return McndCommodity(origin, dest, demand) if len(problems) == before else None


# --------------------------------------------------------------------------- modelling


@dataclass(frozen=True, slots=True)
class McndModel:
    """The MIP and where its variables are: ``y[a]`` (or -1 if arc ``a`` is useless)."""

    mip: MipModel
    y: tuple[int, ...]
    unroutable: tuple[int, ...]  # commodities with no origin-destination path at all
    x: dict[tuple[int, int], int] = field(default_factory=dict)  # (arc, commodity) -> var


def useful_arcs(instance: McndInstance, k: int) -> list[int]:
    """Arcs that can lie on a simple path from ``origin`` to ``dest`` of commodity ``k``.

    Why: with non-negative costs some optimal flow decomposes into simple o→d paths, so an
    arc whose tail is unreachable from o (without passing d) or whose head cannot reach d
    (without passing o) never carries flow. Dropping its variable is exact; on the C, C+
    and R files it removes 7-10% of the flow variables (all arcs into o and out of d).
    """
    com = instance.commodities[k]
    out: dict[int, list[int]] = {}
    into: dict[int, list[int]] = {}
    for arc in instance.arcs:
        if arc.capacity > 0 and arc.head != com.origin and arc.tail != com.dest:
            out.setdefault(arc.tail, []).append(arc.head)
            into.setdefault(arc.head, []).append(arc.tail)
    fwd, bwd = _reach(com.origin, out), _reach(com.dest, into)
    return [
        a
        for a, arc in enumerate(instance.arcs)
        if arc.capacity > 0
        and arc.head != com.origin
        and arc.tail != com.dest
        and arc.tail in fwd
        and arc.head in bwd
    ]


def _reach(start: int, graph: dict[int, list[int]]) -> set[int]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def build_model(instance: McndInstance, *, linking: bool = True) -> McndModel:
    """The strong arc-based formulation (README), reduced to the arcs each commodity can use.

    Rows: flow conservation per commodity at each node it can touch; capacity
    ``sum_k x_ak - u_a y_a <= 0``; strong linking ``x_ak - min(q_k, u_a) y_a <= 0`` only where
    ``q_k < u_a`` (otherwise the capacity row already implies it). ``x_ak`` is bounded by
    ``min(q_k, u_a)``, and arcs no commodity can use get no ``y`` at all. ``linking=False``
    leaves the strong linking rows out (the weak formulation, same optimum, weaker LP).
    """
    mip = MipModel()
    per_commodity = [useful_arcs(instance, k) for k in range(len(instance.commodities))]
    used = sorted({a for arcs in per_commodity for a in arcs})
    y = [-1] * len(instance.arcs)
    for a in used:
        y[a] = mip.add_var(0.0, 1.0, cost=instance.arcs[a].fixed_cost, integer=True, name=f"y{a}")
    flows = _add_flows(mip, instance, per_commodity, demand_var=None)
    for a, xs in flows.items():
        capacity = instance.arcs[a].capacity
        for x, k in xs:
            demand = instance.commodities[k].demand
            if linking and demand < capacity:
                mip.add_row([x, y[a]], [1.0, -float(demand)], ub=0.0)
        mip.add_row([y[a], *(x for x, _ in xs)], [-float(capacity)] + [1.0] * len(xs), ub=0.0)
    unroutable = tuple(k for k, arcs in enumerate(per_commodity) if not arcs)
    x_of = {(a, k): x for a, xs in flows.items() for x, k in xs}
    return McndModel(mip, tuple(y), unroutable, x_of)


def _add_flows(
    mip: MipModel, instance: McndInstance, per_commodity: list[list[int]], demand_var: int | None
) -> dict[int, list[tuple[int, int]]]:
    """Add ``x_ak`` (unit cost, bound ``min(q_k, u_a)``) and flow conservation for every k.

    The supply at the origin is ``q_k``, or ``q_k`` times ``demand_var`` when one is given
    (the concurrent-flow LP). Returns, per arc, the ``(x, k)`` pairs on it.
    """
    flows: dict[int, list[tuple[int, int]]] = {}
    for k, (com, arcs) in enumerate(zip(instance.commodities, per_commodity, strict=True)):
        balance: dict[int, tuple[list[int], list[float]]] = {}
        for a in arcs:
            arc = instance.arcs[a]
            x = mip.add_var(
                0.0, min(com.demand, arc.capacity), cost=arc.unit_cost, name=f"x{a}_{k}"
            )
            flows.setdefault(a, []).append((x, k))
            for node, sign in ((arc.tail, 1.0), (arc.head, -1.0)):
                entry = balance.setdefault(node, ([], []))
                entry[0].append(x)
                entry[1].append(sign)
        for node, (index, coef) in balance.items():
            supply = {com.origin: com.demand, com.dest: -com.demand}.get(node, 0)
            if demand_var is not None and supply:
                mip.add_row([*index, demand_var], [*coef, -float(supply)], lb=0.0, ub=0.0)
            else:
                mip.add_row(index, coef, lb=supply, ub=supply)
    return flows


# --------------------------------------------------------------------------- solving

SEARCH_ABOVE = 30_000  # flow variables (commodities x arcs) above which "auto" searches


def choose_method(instance: McndInstance, time_limit_s: float | None) -> str:
    """``"search"`` for large instances under a time limit, else ``"exact"``.

    Why: the strong MIP's LP grows with commodities x arcs; past ~30k flow variables (the
    200-commodity C instances have 45k) SCIP spends most of two minutes on the root LP,
    while every instance we prove optimal (C with 40 commodities, C+, R up to r09) is below.
    Without a time limit the caller asked for a proof, so the exact MIP runs.
    """
    size = len(instance.commodities) * len(instance.arcs)
    return "search" if time_limit_s is not None and size > SEARCH_ABOVE else "exact"


#: Mean fixed cost over (mean unit cost x mean demand) above which HiGHS proves faster.
FIXED_CHARGE_HEAVY = 1.0


def fixed_charge_ratio(instance: McndInstance) -> float:
    """How much fixed costs dominate: mean f_a / (mean c_a x mean commodity demand).

    On the shipped sets the "F" classes score 1.6-8 and the "V" classes 0.02-0.3.
    """
    arcs, commodities = instance.arcs, instance.commodities
    mean_f = sum(a.fixed_cost for a in arcs) / len(arcs)
    mean_c = sum(a.unit_cost for a in arcs) / len(arcs)
    mean_q = sum(k.demand for k in commodities) / len(commodities)
    return mean_f / max(mean_c * mean_q, 1e-9)


def choose_backend(instance: McndInstance) -> Backend:
    """HiGHS (through MathOpt) where fixed charges dominate, SCIP otherwise.

    Measured on the exact set (BENCHMARKS.md): SCIP does not close the fixed-charge-heavy
    c25_100_30_F_L_5 in 120 s while HiGHS proves it; SCIP is 2-14x faster on the
    variable-cost classes (e.g. c25_100_30_V_T_5: 1.4 s against 19.5 s).
    """
    heavy = fixed_charge_ratio(instance) >= FIXED_CHARGE_HEAVY
    return Backend.HIGHS_MATHOPT if heavy else Backend.SCIP


def solve_instance(instance: McndInstance, settings: SolverSettings | None = None) -> McndResult:
    """Build and solve ``instance``; report status, objective, bound, gap and open arcs."""
    settings = settings or SolverSettings(backend=DEFAULT_BACKEND)
    built = build_model(instance)
    backend = settings.backend.value
    if built.unroutable:
        k = built.unroutable[0]
        com = instance.commodities[k]
        why = (
            f"commodity {k + 1} ({com.origin}->{com.dest}) has no path "
            "over arcs with positive capacity"
        )
        return McndResult(
            instance.name, SolveStatus.INFEASIBLE, None, None, None, 0.0, (), backend, why
        )
    out = solve(built.mip, settings)
    open_arcs: tuple[int, ...] = ()
    flows: tuple[tuple[int, int, float], ...] = ()
    if out.status.has_solution:
        open_arcs = tuple(a for a, v in enumerate(built.y) if v >= 0 and out.values[v] > 0.5)
        flows = tuple(
            (a, k, float(out.values[x]))
            for (a, k), x in sorted(built.x.items())
            if out.values[x] > 1e-9
        )
    reason = infeasibility_reason(instance) if out.status is SolveStatus.INFEASIBLE else None
    return McndResult(
        instance.name,
        out.status,
        out.objective,
        out.bound,
        out.gap,
        out.seconds,
        open_arcs,
        backend,
        reason,
        flows,
    )


def solution_cost(
    instance: McndInstance,
    open_arcs: Sequence[int],
    flows: Sequence[tuple[int, int, float]],
    *,
    tol: float = 1e-6,
) -> float:
    """Recompute the cost of a design and its flows, checking feasibility; raise ValueError.

    Checks flow conservation for every commodity, capacity on every arc, and that flow only
    uses open arcs; returns ``sum f_a`` over open arcs plus ``sum c_a x_ak``. Independent of
    any solver, so it is how tests and the search verify an objective.
    """
    is_open = set(open_arcs)
    load: dict[int, float] = {}
    balance: dict[tuple[int, int], float] = {}
    variable = 0.0
    for a, k, amount in flows:
        arc = instance.arcs[a]
        if amount < -tol or (amount > tol and a not in is_open):
            raise ValueError(f"flow {amount} of commodity {k} on closed or bad arc {a}")
        load[a] = load.get(a, 0.0) + amount
        balance[(k, arc.tail)] = balance.get((k, arc.tail), 0.0) + amount
        balance[(k, arc.head)] = balance.get((k, arc.head), 0.0) - amount
        variable += arc.unit_cost * amount
    for a, total in load.items():
        if total > instance.arcs[a].capacity * (1 + tol) + tol:
            raise ValueError(f"arc {a} carries {total} > capacity {instance.arcs[a].capacity}")
    for k, com in enumerate(instance.commodities):
        for node in range(1, instance.n_nodes + 1):
            want = {com.origin: com.demand, com.dest: -com.demand}.get(node, 0)
            if abs(balance.get((k, node), 0.0) - want) > tol * max(1, com.demand) * 10:
                raise ValueError(f"commodity {k} unbalanced at node {node}")
    return float(sum(instance.arcs[a].fixed_cost for a in is_open)) + variable


def infeasibility_reason(instance: McndInstance) -> str:
    """One line saying why an instance proven infeasible is so.

    With every arc open the design problem is a multicommodity flow, so infeasibility is
    capacity: name a node whose outgoing (incoming) capacity is below the demand leaving
    (entering) it, else report the largest share of all demands routable at once (the
    maximum concurrent flow, one LP).
    """
    out_cap: dict[int, int] = {}
    in_cap: dict[int, int] = {}
    for arc in instance.arcs:
        out_cap[arc.tail] = out_cap.get(arc.tail, 0) + arc.capacity
        in_cap[arc.head] = in_cap.get(arc.head, 0) + arc.capacity
    for end, cap, word in (
        (lambda c: c.origin, out_cap, "leaving"),
        (lambda c: c.dest, in_cap, "entering"),
    ):
        need: dict[int, int] = {}
        for com in instance.commodities:
            need[end(com)] = need.get(end(com), 0) + com.demand
        for node, total in sorted(need.items()):
            if total > cap.get(node, 0):
                return (
                    f"demand {word} node {node} is {total} units but the arcs {word} it "
                    f"carry at most {cap.get(node, 0)}"
                )
    mip = MipModel()
    share = mip.add_var(0.0, 1.0, cost=-1.0, name="share")
    per_commodity = [useful_arcs(instance, k) for k in range(len(instance.commodities))]
    flows = _add_flows(mip, instance, per_commodity, demand_var=share)
    mip.cost[:] = [0.0] * mip.num_vars  # maximise the share only, not the flow cost
    mip.cost[share] = -1.0
    for a, pairs in flows.items():
        mip.add_row([x for x, _ in pairs], [1.0] * len(pairs), ub=float(instance.arcs[a].capacity))
    out = solve(mip, SolverSettings(backend=Backend.SCIP))
    if out.objective is None:
        return "the commodities together need more capacity than the arcs provide"
    return (
        f"even with every arc open, at most {-100 * out.objective:.1f}% of every demand can "
        "be routed at once (arc capacities are shared)"
    )


# --------------------------------------------------------------------------- known values


@dataclass(frozen=True, slots=True)
class KnownValue:
    """A published or reproduced value: ``kind`` is optimal, best_known or infeasible."""

    name: str
    value: float | None
    kind: str
    source: str


def known_values() -> dict[str, KnownValue]:
    """The table shipped in ``known.csv`` (README and R_optima.md of the benchmark)."""
    text = resources.files("optimizer.mcnd").joinpath("known.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return {
        r["name"]: KnownValue(
            r["name"], float(r["value"]) if r["value"] else None, r["kind"], r["source"]
        )
        for r in rows
    }
