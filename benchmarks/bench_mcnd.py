"""Run MCND instances through the solver core and print a markdown table of the figures.

Usage (from the repository root; instances in ``../shared/benchmarks/mcnd``)::

    python benchmarks/bench_mcnd.py --time-limit 120
    python benchmarks/bench_mcnd.py c33 r05.6 --backend HIGHS --time-limit 60

Each row: instance, known value (kind), our objective, best bound, gap %, wall seconds, CPU
seconds of this process (the solver runs in-process, so CPU time is the figure to compare
on a loaded machine), backend and status. The default set is c33, c35, c36, c41, the six
25-node C+ instances and c37.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from optimizer.solve.backend import SolverSettings
from optimizer.solve.mcnd import DEFAULT_BACKEND, known_values, read_dow, solve_instance

ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "mcnd"
DEFAULT_SET = [
    "c33", "c35", "c36", "c41",
    "c25_100_10_V_L_5", "c25_100_10_F_L_5", "c25_100_10_F_T_5",
    "c25_100_30_V_T_5", "c25_100_30_F_L_5", "c25_100_30_F_T_5",
    "c37",
]


def instance_path(root: Path, name: str) -> Path:
    """Where instance ``name`` lives: R/ for r*, CPlus/ for names with '_', else C/."""
    folder = "R" if name.startswith("r") else ("CPlus" if "_" in name else "C")
    return root / folder / f"{name}.dow"


def main(argv: list[str] | None = None) -> int:
    """Solve the chosen instances one after another, printing each table row as it finishes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=DEFAULT_SET)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=["SCIP", "HIGHS", "CBC"])
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    known = known_values()
    print("| instance | known value | ours | bound | gap % | seconds | CPU s | backend | status |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.names:
        settings = SolverSettings(time_limit_s=args.time_limit, backend=args.backend)
        cpu = time.process_time()
        result = solve_instance(read_dow(instance_path(args.root, name)), settings)
        ref = known.get(name)
        ref_text = "-" if ref is None else (
            "infeasible" if ref.value is None else f"{ref.value:,.1f} ({ref.kind})")
        cpu = time.process_time() - cpu
        gap = "-" if result.gap is None else f"{100 * result.gap:.3f}"
        print(f"| {name} | {ref_text} | {_num(result.objective)} | {_num(result.bound)} | {gap} "
              f"| {result.seconds:.1f} | {cpu:.1f} | {result.backend} | {result.status.value} |",
              flush=True)
    return 0


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


if __name__ == "__main__":
    sys.exit(main())
