"""The solver adapter's vocabulary: backends, statuses and settings (no OR-Tools import).

Why apart from :mod:`optimizer.solve.backend`: readers (the scenario's ``solver.backend``
field), records (``Plan.status``) and the CLI name backends and statuses without loading
OR-Tools; only :mod:`optimizer.solve.backend` translates them to the solver library.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.scenario.records import SolverOptions


class Backend(StrEnum):
    """The MIP solvers reachable through OR-Tools."""

    SCIP = "SCIP"  # pywraplp
    HIGHS = "HIGHS"  # pywraplp (no incumbent kept at a time limit)
    CBC = "CBC"  # pywraplp
    HIGHS_MATHOPT = "HIGHS_MATHOPT"  # HiGHS through MathOpt (incumbent kept at a time limit)

    @classmethod
    def parse(cls, name: str | Backend) -> Backend:
        """The backend called ``name`` (any case); ValueError naming the choices otherwise."""
        try:
            return cls(str(name).upper())
        except ValueError:
            choices = ", ".join(b.value for b in cls)
            raise ValueError(f"backend must be one of {choices}, got {name!r}") from None

    @property
    def via_pywraplp(self) -> bool:
        """True for the backends OR-Tools' ``pywraplp`` drives (all but MathOpt's HiGHS)."""
        return self is not Backend.HIGHS_MATHOPT


# The backends a scenario file or ``xborder route`` may name (the MathOpt path serves MCND).
MIP_BACKENDS: tuple[Backend, ...] = tuple(b for b in Backend if b.via_pywraplp)


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a solution with a gap (time or gap limit reached)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # limit reached before any solution was found
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


@dataclass(frozen=True, slots=True)
class SolverSettings:
    """How to solve: limits, tolerance, determinism.

    ``relative_gap`` is the MIP gap at which the solver may stop and call the
    result optimal (1e-6 proves optimality for practical purposes). ``backend``
    accepts a :class:`Backend` or its name in any case and holds the enum.
    """

    time_limit_s: float | None = None
    relative_gap: float = 1e-6
    seed: int = 0
    threads: int = 1
    backend: Backend = Backend.SCIP

    def __post_init__(self) -> None:
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if not 0 <= self.relative_gap < 1:
            raise ValueError(f"relative_gap must be in [0, 1), got {self.relative_gap}")
        object.__setattr__(self, "backend", Backend.parse(self.backend))

    @classmethod
    def from_options(cls, options: SolverOptions) -> SolverSettings:
        """The one mapping from a scenario's ``solver:`` section to solver settings."""
        return cls(
            time_limit_s=options.time_limit_s,
            relative_gap=options.relative_gap,
            seed=options.seed,
            backend=Backend.parse(options.backend),
        )
