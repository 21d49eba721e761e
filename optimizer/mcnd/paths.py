"""The strong MCND relaxation in path form, solved by column-and-row generation.

Why a path form: the arc form of the strong LP has one flow column per (arc, commodity) and
one linking row ``x_ak <= min(q_k, u_a) y_a`` per pair — ~46k columns and ~40k rows on the
200-commodity Canad instances, ~80 s of simplex. Here the master LP holds only the paths and
linking rows that matter:

    min  sum_a f_a y_a + sum_p c_p h_p + BIG * sum_k s_k
    s.t. sum_{p of k} h_p + s_k = q_k                       (demand, dual mu_k)
         sum_{p through a} h_p - lambda_a u_a y_a <= 0      (capacity, dual sigma_a <= 0)
         sum_{p of k through a} h_p - q_k y_a <= 0          (linking, generated when violated)
         0 <= y_a <= 1

Pricing is one shortest-path problem per commodity with arc lengths
``c_a - sigma_a - lambda_ak`` (non-negative), solved for all commodities at once by a
vectorised Bellman-Ford; violated linking rows are added when no column prices out. At every
round ``z_master + sum_k q_k min(0, reduced cost_k)`` is a valid lower bound (Lasdon); at the
end it equals the strong LP bound. On c37 this converges in ~20 s to the exact strong LP
(91,300.6), where SCIP needs ~80 s for the same LP in arc form.

``lambda_a`` (1 by default) are the capacity-scaling factors of :mod:`optimizer.mcnd.search`; the
artificial ``s_k`` keep every master LP feasible. The restricted MIP (:meth:`PathLp.mip`)
reuses the generated paths with binary ``y``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer.mcnd.model import McndInstance
from optimizer.solve.backend import LpSession, MipModel, SolveOutcome
from optimizer.solve.settings import SolveStatus

Path = tuple[int, ...]  # arc positions from origin to destination


@dataclass(frozen=True, slots=True)
class Arrays:
    """An instance as numpy arrays (0-based nodes), shared by the search stages."""

    tail: np.ndarray
    head: np.ndarray
    unit: np.ndarray
    fixed: np.ndarray
    cap: np.ndarray
    origin: np.ndarray
    dest: np.ndarray
    demand: np.ndarray
    n_nodes: int

    @classmethod
    def of(cls, instance: McndInstance) -> Arrays:
        arcs, coms = instance.arcs, instance.commodities
        return cls(
            np.array([a.tail - 1 for a in arcs], dtype=int),
            np.array([a.head - 1 for a in arcs], dtype=int),
            np.array([a.unit_cost for a in arcs], dtype=float),
            np.array([a.fixed_cost for a in arcs], dtype=float),
            np.array([a.capacity for a in arcs], dtype=float),
            np.array([c.origin - 1 for c in coms], dtype=int),
            np.array([c.dest - 1 for c in coms], dtype=int),
            np.array([c.demand for c in coms], dtype=float),
            instance.n_nodes,
        )


def decompose(arrays: Arrays, flow: dict[tuple[int, int], float]) -> list[tuple[int, Path, float]]:
    """Split per-commodity arc flows ``(arc, k) -> amount`` into ``(k, path, amount)``.

    Walks from the origin along arcs with flow left; a cycle met on the way is cancelled
    (it only adds cost), so every unit of a conserving flow ends on a simple path.
    """
    per_k: dict[int, dict[int, float]] = {}
    for (a, k), v in flow.items():
        if v > 1e-9:
            per_k.setdefault(k, {})[a] = v
    out: list[tuple[int, Path, float]] = []
    for k in sorted(per_k):
        left = per_k[k]
        out_arcs: dict[int, list[int]] = {}
        for a in sorted(left):
            out_arcs.setdefault(int(arrays.tail[a]), []).append(a)
        while True:
            nodes, path = [int(arrays.origin[k])], list[int]()
            while nodes[-1] != arrays.dest[k]:
                live = [a for a in out_arcs.get(nodes[-1], ()) if left[a] > 1e-9]
                if not live:
                    break
                a = max(live, key=lambda b: (left[b], -b))
                nxt = int(arrays.head[a])
                if nxt in nodes:  # cancel the cycle and walk on from where it started
                    cycle = [*path[nodes.index(nxt) :], a]
                    amount = min(left[b] for b in cycle)
                    for b in cycle:
                        left[b] -= amount
                    del path[nodes.index(nxt) :]
                    del nodes[nodes.index(nxt) + 1 :]
                    continue
                path.append(a)
                nodes.append(nxt)
            if nodes[-1] != arrays.dest[k] or not path:
                break
            amount = min(left[a] for a in path)
            for a in path:
                left[a] -= amount
            out.append((k, tuple(path), amount))
    return out


class PathLp:
    """The master LP above, kept warm in GLOP; paths and linking rows only ever grow."""

    def __init__(self, arrays: Arrays) -> None:
        self.ar = arrays
        n_arcs, n_com = len(arrays.unit), len(arrays.demand)
        self.scale = np.ones(n_arcs)
        master = MipModel()
        self.y = [master.add_var(0.0, 1.0, cost=float(f)) for f in arrays.fixed]
        self.demand_row = [master.add_row([], [], lb=float(q), ub=float(q)) for q in arrays.demand]
        self.cap_row = [
            master.add_row([self.y[a]], [-float(arrays.cap[a])], ub=0.0) for a in range(n_arcs)
        ]
        self.big = float(arrays.unit.sum() + arrays.fixed.sum() / max(arrays.demand.min(), 1.0))
        for k in range(n_com):
            s = master.add_var(0.0, math.inf, cost=self.big)
            master.rows[self.demand_row[k]][0].append(s)
            master.rows[self.demand_row[k]][1].append(1.0)
        self.session = LpSession(master)
        self.column: dict[tuple[int, Path], int] = {}
        self.paths: list[tuple[int, Path]] = []  # in column order
        self.of_commodity: list[list[tuple[Path, int]]] = [[] for _ in range(n_com)]
        self.link: dict[tuple[int, int], int] = {}  # (k, arc) -> row
        self.usable = (
            (arrays.head[:, None] != arrays.origin[None, :])
            & (arrays.tail[:, None] != arrays.dest[None, :])
            & (arrays.cap[:, None] > 0)
        )
        self.into = [np.flatnonzero(arrays.head == v) for v in range(arrays.n_nodes)]

    def add_paths(self, paths: list[tuple[int, Path]]) -> None:
        """Add the paths not yet in the master as columns (in the rows they touch)."""
        new = sorted({p for p in paths if p not in self.column})
        if not new:
            return
        entries = []
        for k, arcs in new:
            rows = [
                self.demand_row[k],
                *(self.cap_row[a] for a in arcs),
                *(self.link[k, a] for a in arcs if (k, a) in self.link),
            ]
            entries.append((rows, [1.0] * len(rows)))
        costs = [float(self.ar.unit[list(arcs)].sum()) for _, arcs in new]
        ids = self.session.add_columns([0.0] * len(new), [math.inf] * len(new), costs, entries)
        for (k, arcs), col in zip(new, ids, strict=True):
            self.column[k, arcs] = col
            self.paths.append((k, arcs))
            self.of_commodity[k].append((arcs, col))

    def set_scale(self, scale: np.ndarray) -> None:
        """Capacity rows become ``sum h - scale_a u_a y_a <= 0``."""
        self.scale = scale.copy()
        self.session.set_coefficients(self.cap_row, self.y, list(-self.ar.cap * scale))

    def converge(self, deadline: float, max_rounds: int = 200) -> tuple[SolveOutcome | None, float]:
        """Price paths and add violated linking rows until neither is left (or time is up).

        Returns the last master solution and the best Lasdon lower bound seen (valid for the
        unscaled problem only when ``scale`` is all ones).
        """
        out, bound = None, -math.inf
        for _ in range(max_rounds):
            left = deadline - time.perf_counter()
            out = self.session.solve(time_limit_s=max(0.5, left) if math.isfinite(left) else None)
            if out.status is not SolveStatus.OPTIMAL or out.duals is None:
                # stopped by the time limit: the point is feasible, its duals are not, so
                # they neither price columns nor give a bound
                return (out if out.status.has_solution else None), bound
            new, reduced = self._price(out.duals)
            bound = max(
                bound,
                float(out.objective or 0.0) + float(self.ar.demand @ np.minimum(reduced, 0.0)),
            )
            if new:
                self.add_paths(new)
            elif not self._add_violated_links(out.values):
                break
            if time.perf_counter() > deadline:
                break
        return out, bound

    def design_values(self, out: SolveOutcome) -> tuple[np.ndarray, np.ndarray]:
        """``y`` per arc and the total path flow per arc in a master solution."""
        load = np.zeros(len(self.ar.unit))
        for (_, arcs), col in self.column.items():  # columns added after ``out`` are at 0
            if col < len(out.values) and out.values[col] > 1e-9:
                load[list(arcs)] += out.values[col]
        return out.values[self.y], load

    def _price(self, duals: np.ndarray) -> tuple[list[tuple[int, Path]], np.ndarray]:
        """Shortest path per commodity under the reduced arc lengths; returns the paths with
        a negative reduced cost and every commodity's best reduced cost."""
        ar = self.ar
        n_com = len(ar.demand)
        length = np.repeat((ar.unit - duals[self.cap_row])[:, None], n_com, axis=1)
        for (k, a), row in self.link.items():
            length[a, k] -= duals[row]
        length = np.where(self.usable, np.maximum(length, 0.0), np.inf)  # >= 0 up to noise
        dist = np.full((ar.n_nodes, n_com), np.inf)
        dist[ar.origin, np.arange(n_com)] = 0.0
        pred = np.full((ar.n_nodes, n_com), -1)
        cols = np.arange(n_com)
        for _ in range(ar.n_nodes):  # Bellman-Ford, all commodities at once
            reach = dist[ar.tail] + length
            changed = False
            for v, arcs in enumerate(self.into):
                if arcs.size == 0:
                    continue
                pick = reach[arcs].argmin(axis=0)
                best = reach[arcs[pick], cols]
                better = best < dist[v] - 1e-9
                if better.any():
                    dist[v, better] = best[better]
                    pred[v, better] = arcs[pick[better]]
                    changed = True
            if not changed:
                break
        reduced = dist[ar.dest, cols] - duals[self.demand_row]
        new = []
        for k in map(int, np.flatnonzero(reduced < -1e-6)):
            back: list[int] = []
            node = int(ar.dest[k])
            while node != ar.origin[k] and len(back) <= ar.n_nodes:
                a = int(pred[node, k])
                back.append(a)
                node = int(ar.tail[a])
            key = (k, tuple(reversed(back)))
            if key not in self.column and len(set(back)) == len(back) and node == ar.origin[k]:
                new.append(key)
        return new, np.where(np.isfinite(reduced), reduced, 0.0)

    def _add_violated_links(self, values: np.ndarray) -> bool:
        """Add ``sum_{p of k through a} h_p <= q_k y_a`` where the solution breaks it."""
        ar = self.ar
        flow: dict[tuple[int, int], float] = {}
        for (k, arcs), col in self.column.items():
            if values[col] > 1e-9:
                for a in arcs:
                    flow[k, a] = flow.get((k, a), 0.0) + values[col]
        room = ar.cap * self.scale
        found = sorted(
            (k, a)
            for (k, a), v in flow.items()
            if (k, a) not in self.link
            and ar.demand[k] < room[a]
            and v > ar.demand[k] * values[self.y[a]] + 1e-6
        )
        rows = []
        for i, (k, a) in enumerate(found):
            index = [col for arcs, col in self.of_commodity[k] if a in arcs] + [self.y[a]]
            rows.append((index, [1.0] * (len(index) - 1) + [-float(ar.demand[k])], -math.inf, 0.0))
            self.link[k, a] = self.session.num_rows + i
        if rows:
            self.session.add_rows(rows)
        return bool(rows)

    def mip(
        self,
        support: np.ndarray,
        hint_open: np.ndarray,
        hint_paths: dict[tuple[int, Path], float],
        radius: int | None = None,
    ) -> tuple[MipModel, dict[int, int]]:
        """The strong MIP over the generated paths that stay inside ``support`` arcs.

        Binary ``y`` for the support arcs, every linking row (not only the generated ones),
        the artificial unmet columns at ``big``, and a hint. With ``radius``, a local-branching
        row keeps the design within ``radius`` arc flips of ``hint_open`` (Fischetti and Lodi
        2003). Returns the model and ``arc -> y`` variable.
        """
        ar = self.ar
        mip = MipModel()
        y = {
            int(a): mip.add_var(0.0, 1.0, cost=float(ar.fixed[a]), integer=True)
            for a in np.flatnonzero(support)
        }
        chosen = [p for p in self.paths if support[list(p[1])].all()]
        h = [
            mip.add_var(0.0, math.inf, cost=float(ar.unit[list(arcs)].sum())) for _, arcs in chosen
        ]
        of_k: dict[int, list[int]] = {}
        on_arc: dict[int, list[int]] = {}
        pair: dict[tuple[int, int], list[int]] = {}
        for var, (k, arcs) in zip(h, chosen, strict=True):
            of_k.setdefault(k, []).append(var)
            for a in arcs:
                on_arc.setdefault(a, []).append(var)
                pair.setdefault((k, a), []).append(var)
        for k, q in enumerate(ar.demand):
            unmet = mip.add_var(0.0, math.inf, cost=self.big)
            mip.hint[unmet] = 0.0
            mip.add_row(
                [*of_k.get(k, []), unmet],
                [1.0] * (len(of_k.get(k, [])) + 1),
                lb=float(q),
                ub=float(q),
            )
        for a, hs in sorted(on_arc.items()):
            mip.add_row([*hs, y[a]], [1.0] * len(hs) + [-float(ar.cap[a])], ub=0.0)
        for (k, a), hs in sorted(pair.items()):
            if ar.demand[k] < ar.cap[a]:
                mip.add_row([*hs, y[a]], [1.0] * len(hs) + [-float(ar.demand[k])], ub=0.0)
        for a, var in y.items():
            mip.hint[var] = 1.0 if hint_open[a] else 0.0
        if radius is not None:  # sum over open (1 - y) + sum over closed y <= radius
            sign = [-1.0 if hint_open[a] else 1.0 for a in y]
            mip.add_row(list(y.values()), sign, ub=radius - float(hint_open[list(y)].sum()))
        for var, key in zip(h, chosen, strict=True):
            mip.hint[var] = hint_paths.get(key, 0.0)
        return mip, y
