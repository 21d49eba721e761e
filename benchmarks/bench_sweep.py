"""Sweep speed: the same sweep serial, on 2 local workers and on Dask with 2 workers.

    python benchmarks/bench_sweep.py [--scenario scenarios/us_deminimis_2026.yaml] [--quick]

A 64-point grid of the default scenario (sea FCL and air freight multipliers, the
value of a customer-day, the volume of the largest demand) runs
three times as a user runs it, ``xborder sweep`` in a fresh process each time:
in-process (``--workers 1``), on 2 spawned local processes, and on a Dask
LocalCluster of 2 worker processes started by the command. It prints the wall
times, the speedups (goal >= 1.7x for both parallel executors on 2 cores), and
checks that the three ``points.parquet`` files are byte-identical.

Dask's per-point overhead is measured on its own: 200 no-op tasks through the
execution layer on an already running 2-worker cluster (time per task), beside the
cluster's start-up time. ``--quick`` runs 16 points.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID = (
    "what_if.cost_multipliers[mode=sea_fcl].factor=0.7,0.9,1.1,1.3",
    "what_if.cost_multipliers[mode=air].factor=0.8,1.2",
    "objective.value_of_day_per_order=0,0.15,0.3,0.6",
    "demands[SZX-USW-apparel].orders_per_week=1500,6000",
)
QUICK = (
    "what_if.cost_multipliers[mode=sea_fcl].factor=0.7,1.3",
    "what_if.cost_multipliers[mode=air].factor=0.8,1.2",
    "objective.value_of_day_per_order=0,0.3",
    "demands[SZX-USW-apparel].orders_per_week=1500,6000",
)


def _noop(x: int) -> int:
    return x


def sweep(scenario: str, grid: tuple[str, ...], out: Path, *extra: str) -> tuple[float, float]:
    """(wall s, CPU s of the command and every process it waited for)."""
    args = [sys.executable, "-m", "optimizer", "sweep", scenario, "-o", str(out), "--json"]
    for axis in grid:
        args += ["--vary", axis]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*args, *extra], capture_output=True, text=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(done.stdout)
    assert summary["solved"] == summary["points"], summary
    return wall, cpu


def point_seconds(out: Path) -> float:
    return sum(json.loads(p.read_text())["seconds"] for p in (out / "points").glob("*/result.json"))


def dask_overhead(tasks: int = 200) -> tuple[float, float, float]:
    """(cluster start-up s, s per no-op task on Dask, s per no-op task on the local pool)."""
    from distributed import Client, LocalCluster

    from optimizer.execute import ExecutorSpec, run_tasks

    started = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        startup = time.perf_counter() - started
        spec = ExecutorSpec("dask", scheduler=cluster.scheduler_address)
        list(run_tasks(_noop, list(range(8)), executor=spec))  # warm: functions shipped once
        started = time.perf_counter()
        results = list(run_tasks(_noop, list(range(tasks)), executor=spec))
        per_dask = (time.perf_counter() - started) / tasks
    assert [r.value for r in results] == list(range(tasks))
    started = time.perf_counter()
    list(run_tasks(_noop, list(range(tasks)), executor=ExecutorSpec(workers=2)))
    per_local = (time.perf_counter() - started) / tasks  # includes the pool's start-up
    return startup, per_dask, per_local


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/us_deminimis_2026.yaml")
    parser.add_argument("--quick", action="store_true", help="16 points instead of 64")
    args = parser.parse_args()
    grid = QUICK if args.quick else GRID
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        runs = {
            "serial (1 worker, in-process)": (base / "serial", ("--workers", "1")),
            "local pool, 2 workers": (base / "local", ("--workers", "2")),
            "Dask LocalCluster, 2 workers": (
                base / "dask",
                ("--executor", "dask", "--workers", "2"),
            ),
        }
        walls, cpus = {}, {}
        for label, (out, extra) in runs.items():
            walls[label], cpus[label] = sweep(args.scenario, grid, out, *extra)
            print(
                f"{label}: {walls[label]:.1f} s wall, {cpus[label]:.1f} s CPU, "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
        points = len(list((base / "serial" / "points").iterdir()))
        same = len({(out / "points.parquet").read_bytes() for out, _ in runs.values()}) == 1
        work = point_seconds(base / "serial")
    serial = walls["serial (1 worker, in-process)"]
    print(f"\n{points} points; points.parquet identical across the three runs: {same}")
    print(f"solve work in the serial run: {work:.1f} s ({work / points:.2f} s per point)")
    print("\n| run | wall | CPU (all processes) | speedup vs serial |\n|---|---|---|---|")
    for label, wall in walls.items():
        print(f"| {label} | {wall:.1f} s | {cpus[label]:.1f} s | {serial / wall:.2f}x |")
    startup, per_dask, per_local = dask_overhead()
    print(
        f"\nDask: LocalCluster(2) start-up {startup:.2f} s; {per_dask * 1000:.1f} ms per no-op "
        f"task on a running cluster (local pool incl. its start-up: {per_local * 1000:.1f} ms)"
    )
    extra = (walls["Dask LocalCluster, 2 workers"] - walls["local pool, 2 workers"]) / points
    print(f"Dask sweep minus local-pool sweep, per point: {extra * 1000:.0f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
