"""Run MCND instances through the solver core and print a markdown table of the figures.

Usage (from the repository root; instances vendored in ``benchmarks/mcnd``)::

    python benchmarks/bench_mcnd.py --time-limit 120
    python benchmarks/bench_mcnd.py c33 r05.6 --backend HIGHS --time-limit 60
    python benchmarks/bench_mcnd.py c37 c38 c39 c40 --method search
    python benchmarks/bench_mcnd.py --quick    # CI: c33, c41, r05.2 (seconds each)
    python benchmarks/bench_mcnd.py --set c42-c64 --time-limit 120 --workers 1  # 46 min

Each row: instance, known value (kind), our objective, best bound, gap %, our gap to the
known value %, wall seconds, CPU seconds of this process (the solver runs in-process, so CPU
time is the figure to compare on a loaded machine), method/backend, status and the
1-minute load average when the row was printed (the machine is shared). The method
is chosen as ``xborder bench mcnd`` chooses it (``--method auto``): the exact strong MIP for
the instances we prove optimal, the LP-guided search for the 200-commodity C instances.
The default set is the exact set (c33, c35, c36, c41, the six 25-node C+ instances) and the
heuristic set c37-c40. The fixed-charge C+ files run on HiGHS through MathOpt without a time
limit (``--exact-backend`` names the instances solved that way): SCIP does not prove
``c25_100_30_F_L_5`` in 120 s. ``--quick`` (CI) runs the quick set instead (two C
instances and one R instance that SCIP proves optimal in seconds) and ends the table with
how many reached their known value.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

from optimizer.mcnd.model import (
    DEFAULT_BACKEND,
    McndInstance,
    McndResult,
    choose_method,
    known_values,
    read_dow,
    solve_instance,
)
from optimizer.mcnd.search import SearchSettings, search
from optimizer.solve.settings import Backend, SolverSettings, SolveStatus

ROOT = Path(__file__).resolve().parent / "mcnd"
DEFAULT_SET = [
    "c33",
    "c35",
    "c36",
    "c41",
    "c25_100_10_V_L_5",
    "c25_100_10_F_L_5",
    "c25_100_10_F_T_5",
    "c25_100_30_V_T_5",
    "c25_100_30_F_L_5",
    "c25_100_30_F_T_5",
    "c37",
    "c38",
    "c39",
    "c40",
]
# Fixed-charge C+ files go to HiGHS (MathOpt), as in tests/test_mcnd.py: SCIP is at
# 37,325.5 / 35,926.6 after 120 s on c25_100_30_F_L_5 and 2-6x slower on the other three.
HIGHS_FIRST = ["c25_100_10_F_L_5", "c25_100_10_F_T_5", "c25_100_30_F_L_5", "c25_100_30_F_T_5"]
# --quick: small exact instances, same code path (strong MIP, SCIP), proven in seconds
QUICK_SET = ["c33", "c41", "r05.2"]
# --set c42-c64 (issue 18): the rest of the C set, c42-c44 (20 nodes, 40 commodities: exact)
# then c45-c48 (20 nodes, 200 commodities) and c49-c64 (30 nodes, 100 or 400: the search)
C42_C64 = [f"c{i}" for i in range(42, 65)]
SETS = {"default": DEFAULT_SET, "quick": QUICK_SET, "c42-c64": C42_C64}


def instance_path(root: Path, name: str) -> Path:
    """Where instance ``name`` lives: R/ for r*, CPlus/ for names with '_', else C/."""
    folder = "R" if name.startswith("r") else ("CPlus" if "_" in name else "C")
    return root / folder / f"{name}.dow"


def main(argv: list[str] | None = None) -> int:
    """Solve the chosen instances one after another, printing each table row as it finishes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names",
        nargs="*",
        default=None,
        help="instances (default: the exact and heuristic sets above)",
    )
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=[b.value for b in Backend])
    parser.add_argument(
        "--exact-backend",
        nargs="*",
        default=HIGHS_FIRST,
        metavar="NAME",
        help="instances the exact method solves with HIGHS_MATHOPT",
    )
    parser.add_argument("--method", default="auto", choices=["auto", "exact", "search"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="search: parallel capacity-scaling runs (0: one per CPU, max 2)",
    )
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument(
        "--set",
        dest="named_set",
        choices=sorted(SETS),
        help="a named instance set instead of names (c42-c64: 23 x the time limit)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"CI: only {', '.join(QUICK_SET)} unless names are given",
    )
    args = parser.parse_args(argv)
    names = args.names or SETS[args.named_set or ("quick" if args.quick else "default")]
    known = known_values()
    print(
        "| instance | known value | ours | bound | gap % | vs known % | seconds | CPU s "
        "| method | status | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    reached = checked = 0
    for name in names:
        instance = read_dow(instance_path(args.root, name))
        cpu = _cpu()
        result = _run(instance, name, args)
        cpu = _cpu() - cpu
        ref = known.get(name)
        ref_text = (
            "-"
            if ref is None
            else ("infeasible" if ref.value is None else f"{ref.value:,.1f} ({ref.kind})")
        )
        gap = "-" if result.gap is None else f"{100 * result.gap:.3f}"
        versus = "-"
        if ref is not None and ref.value and result.objective is not None:
            versus = f"{100 * (result.objective - ref.value) / ref.value:+.3f}"
        if ref is not None:
            checked += 1
            reached += _at_known(result, ref.value)
        print(
            f"| {name} | {ref_text} | {_num(result.objective)} | {_num(result.bound)} | {gap} "
            f"| {versus} | {result.seconds:.1f} | {cpu:.1f} | {result.backend} "
            f"| {result.status.value} | {os.getloadavg()[0]:.1f} |",
            flush=True,
        )
    if args.quick:
        print(
            f"\n{reached} of {checked} instances with a known value reached it "
            "(|ours - known| < 0.5, or infeasibility proven)"
            + ("" if reached == checked else ": **MISSED**")
        )
    return 0


def _at_known(result: McndResult, value: float | None) -> bool:
    """Whether ``result`` is the known optimum (``value``; ``None``: known infeasible)."""
    if value is None:
        return result.status is SolveStatus.INFEASIBLE
    return result.objective is not None and abs(result.objective - value) < 0.5


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the search's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _run(instance: McndInstance, name: str, args: argparse.Namespace) -> McndResult:
    """One instance, by the method ``xborder bench mcnd --method`` would use."""
    method = args.method if args.method != "auto" else choose_method(instance, args.time_limit)
    if method == "search":
        return search(
            instance,
            SearchSettings(time_limit_s=args.time_limit, seed=args.seed, workers=args.workers),
        )
    backend = Backend.HIGHS_MATHOPT if name in args.exact_backend else Backend.parse(args.backend)
    # A proof is what the exact set is for: the HiGHS instances get no time limit.
    limit = None if name in args.exact_backend else args.time_limit
    settings = SolverSettings(time_limit_s=limit, backend=backend, seed=args.seed)
    return solve_instance(instance, settings)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


if __name__ == "__main__":
    sys.exit(main())
