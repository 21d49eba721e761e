"""Sweep speed: the same sweep serial, on 2 local workers and on Dask with 2 workers.

    python benchmarks/bench_sweep.py [--scenario scenarios/us_deminimis_2026.yaml] [--quick]
                                     [--rounds 3] [--dask-one]

A 64-point grid of the default scenario (sea FCL and air freight multipliers, the
value of a customer-day, the volume of the largest demand) runs
three times as a user runs it, ``xborder sweep`` in a fresh process each time:
in-process (``--workers 1``), on 2 local worker processes, and on a Dask
LocalCluster of 2 worker processes started by the command (``--dask-one``: also
of 1 worker, whose scheduler then has a core of its own), interleaved for
``--rounds`` rounds (default 3: about a minute and a half on a quiet 2-core
machine). It prints every wall time, the speedups of the best wall times (goal
>= 1.7x for both parallel executors on 2 cores), and checks that every run's
``points.parquet`` has the same bytes.

Dask's per-point overhead is measured three ways: the Dask sweep's wall time minus
the local-pool sweep's, per point; the median of the points' own solve times
(``seconds`` in each ``result.json``) on Dask workers against local workers and the
serial run; and 200 no-op tasks through the execution layer on already running
workers (Dask and the local pool), beside each one's start-up time. The load
average (1, 5 and 15 minutes) is printed before and after every run: on a shared
machine the wall times and speedups depend on it. ``--quick`` runs 16 points.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
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


def sweep(
    scenario: str, grid: tuple[str, ...], out: Path, *extra: str, cwd: Path = ROOT
) -> tuple[float, float, float]:
    """(wall s, CPU s of the command and every process it started, CPU s of the command).

    ``cwd``: the checkout whose code runs (``python -m optimizer`` imports it from there).
    """
    args = [sys.executable, "-m", "optimizer", "sweep", scenario, "-o", str(out), "--json"]
    for axis in grid:
        args += ["--vary", axis]
    started = time.perf_counter()
    command = subprocess.Popen(
        [*args, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    cpu, own = tree_cpu(command)
    stdout, stderr = command.communicate()
    wall = time.perf_counter() - started
    assert command.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["solved"] == summary["points"], summary
    return wall, cpu, own


def tree_cpu(command: subprocess.Popen[str], every: float = 0.02) -> tuple[float, float]:
    """CPU s of a command and all its descendants, and of the command alone, sampled
    every ``every`` s until it ends.

    Sampled, because workers forked by a fork server are not waited for by the command
    (``RUSAGE_CHILDREN`` misses them); a process's last ``every`` s before it ends is lost.
    """
    import psutil

    last: dict[int, float] = {}
    root = psutil.Process(command.pid)
    while command.poll() is None:
        with suppress(psutil.Error):
            for process in [root, *root.children(recursive=True)]:
                with suppress(psutil.Error):
                    times = process.cpu_times()
                    last[process.pid] = times.user + times.system
        time.sleep(every)
    return sum(last.values()), last.get(command.pid, 0.0)


def point_seconds(out: Path) -> list[float]:
    """Each point's own time (read, solve, render) as its worker measured it."""
    return [json.loads(p.read_text())["seconds"] for p in (out / "points").glob("*/result.json")]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min)"


def task_overhead(kind: str, tasks: int = 200) -> tuple[float, float]:
    """(s to start 2 workers and run 8 no-op tasks, s per no-op task on them once running)."""
    from optimizer.execute import ExecutorSpec, TaskRunner

    started = time.perf_counter()
    with TaskRunner(ExecutorSpec(kind, workers=2)) as runner:  # type: ignore[arg-type]
        assert [r.value for r in runner.run(_noop, list(range(8)))] == list(range(8))
        startup = time.perf_counter() - started
        started = time.perf_counter()
        results = [r.value for r in runner.run(_noop, list(range(tasks)))]
        per_task = (time.perf_counter() - started) / tasks
    assert results == list(range(tasks))
    return startup, per_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/us_deminimis_2026.yaml")
    parser.add_argument("--quick", action="store_true", help="16 points instead of 64")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of the three runs, interleaved; the best wall time of each counts",
    )
    parser.add_argument(
        "--dask-one",
        action="store_true",
        help="also Dask with 1 worker: a point's own time when the scheduler has a free core",
    )
    args = parser.parse_args()
    grid = QUICK if args.quick else GRID
    print(f"{os.cpu_count()} CPUs; before: {load_average()}", flush=True)
    serial_label, local_label, dask_label = (
        "serial (1 worker, in-process)",
        "local pool, 2 workers",
        "Dask LocalCluster, 2 workers",
    )
    options = {
        serial_label: ("--workers", "1"),
        local_label: ("--workers", "2"),
        dask_label: ("--executor", "dask", "--workers", "2"),
    }
    if args.dask_one:
        options["Dask LocalCluster, 1 worker"] = ("--executor", "dask", "--workers", "1")
    walls: dict[str, list[float]] = {label: [] for label in options}
    cpus: dict[str, list[float]] = {label: [] for label in options}
    own: dict[str, list[float]] = {label: [] for label in options}
    seconds: dict[str, list[float]] = {label: [] for label in options}
    parquets = set()
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for n, (label, extra) in enumerate(options.items()):
                out = Path(tmp) / f"{round_}-{n}"
                wall, cpu, command_cpu = sweep(args.scenario, grid, out, *extra)
                walls[label].append(wall)
                cpus[label].append(cpu)
                own[label].append(command_cpu)
                seconds[label] += point_seconds(out)
                parquets.add((out / "points.parquet").read_bytes())
                print(
                    f"round {round_ + 1}, {label}: {wall:.1f} s wall, {cpu:.1f} s CPU; "
                    f"after: {load_average()}",
                    flush=True,
                )
    points = len(seconds[serial_label]) // args.rounds
    best = {label: min(w) for label, w in walls.items()}
    serial = best[serial_label]
    print(
        f"\n{points} points; points.parquet identical across all "
        f"{args.rounds * len(options)} runs: {len(parquets) == 1}"
    )
    print(
        "\n| run | best wall | every wall | CPU of each | speedup (best walls) | goal |\n"
        "|---|---|---|---|---|---|"
    )
    for label, wall in best.items():
        speedup = serial / wall
        goal = "met" if speedup >= 1.7 else "NOT met"
        if label == serial_label or "1 worker" in label:
            goal = ""
        every = " / ".join(f"{w:.1f}" for w in walls[label])
        cpu = " / ".join(f"{c:.1f}" for c in cpus[label])
        print(f"| {label} | {wall:.1f} s | {every} s | {cpu} s | {speedup:.2f}x | {goal} |")
    print("\nDask's per-point overhead:")
    extra = (best[dask_label] - best[local_label]) / points
    print(f"- Dask sweep minus local-pool sweep (best walls), per point: {extra * 1000:.0f} ms")
    medians = {label: statistics.median(s) for label, s in seconds.items()}
    print(
        "- a point's own time (median of result.json seconds): "
        + ", ".join(f"{label} {m * 1000:.0f} ms" for label, m in medians.items())
    )
    print(
        "- CPU of the command itself (median; on Dask it also runs the scheduler, the client "
        "and the nannies): "
        + ", ".join(f"{label} {statistics.median(c):.2f} s" for label, c in own.items())
    )
    for kind in ("local", "dask"):
        startup, per_task = task_overhead(kind)
        print(
            f"- {kind}: 2 workers started and 8 no-op tasks run in {startup:.2f} s; "
            f"then {per_task * 1000:.2f} ms per no-op task"
        )
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
