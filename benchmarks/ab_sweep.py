"""Sweep speed of two checkouts, back to back: before and after a change, same machine state.

    git worktree add /tmp/before REV
    python benchmarks/ab_sweep.py /tmp/before [--rounds 3]

Runs ``benchmarks/bench_sweep.py``'s 64-point grid as ``xborder sweep`` in a fresh
process, serially (``--workers 1``), on 2 local workers and on Dask with 2 workers, in
each checkout in turn (``python -m optimizer`` from the checkout's folder imports that
checkout's code), for ``--rounds`` rounds; prints the best wall time of each and the
speedups. On a shared machine only runs taken side by side compare.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

from bench_sweep import GRID, ROOT, sweep

SCENARIO = "scenarios/us_deminimis_2026.yaml"
EXECUTORS = {
    "serial": ("--workers", "1"),
    "local pool, 2": ("--workers", "2"),
    "Dask, 2": ("--executor", "dask", "--workers", "2"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the other checkout (e.g. a git worktree)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": ROOT}
    walls: dict[tuple[str, str], list[float]] = {}
    runs = itertools.count()
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for label, extra in EXECUTORS.items():
                for name, checkout in checkouts.items():
                    out = Path(tmp) / str(next(runs))  # a fresh folder: nothing resumed
                    seconds = sweep(SCENARIO, GRID, out, *extra, cwd=checkout)[0]
                    walls.setdefault((name, label), []).append(seconds)
                    print(f"round {round_ + 1}, {name}, {label}: {seconds:.2f} s", flush=True)
    print("\n| code | " + " | ".join(EXECUTORS) + " | local speedup | Dask speedup |")
    print("|---|" + "---|" * (len(EXECUTORS) + 2))
    for name in checkouts:
        best = {label: min(walls[(name, label)]) for label in EXECUTORS}
        serial = best["serial"]
        cells = " | ".join(f"{best[label]:.2f} s" for label in EXECUTORS)
        print(
            f"| {name} | {cells} | {serial / best['local pool, 2']:.2f}x | "
            f"{serial / best['Dask, 2']:.2f}x |"
        )


if __name__ == "__main__":
    main()
