"""Sweeps on the tiny network (tests/data/tiny): points, parquet rows, resume, failures, Dask.

The tiny scenario solves in a fraction of a second, so a 6-point sweep is a real
sweep (every point optimized and written) that still runs in seconds.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.errors import InputError
from optimizer.execute import ExecutorSpec, TaskRunner, WarmUp, run_tasks, task_seed
from optimizer.sweep import run as sweep_run
from optimizer.sweep.report import points_frame, write_points
from optimizer.sweep.spec import SweepSpec, apply_point, parse_axes, split_values

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny_scenario.yaml"
VARY = (
    "--vary",
    "demands[bulk-apparel].orders_per_week=100,1000,5000",
    "--vary",
    "what_if.cost_multipliers[mode=sea_fcl].factor=1,3",
)


def sweep(out: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["sweep", str(TINY), "-o", str(out), *VARY, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _square(x: int) -> int:
    if x == 3:
        raise ValueError("three is not allowed")
    return x * x


# ---------------------------------------------------------------- the execution layer


def test_results_in_input_order_and_a_failure_is_a_result():
    results = list(run_tasks(_square, [5, 3, 2], executor=ExecutorSpec(workers=1)))
    assert [(r.index, r.value, r.error) for r in results] == [
        (0, 25, None),
        (1, None, "ValueError: three is not allowed"),
        (2, 4, None),
    ]


@pytest.mark.slow
def test_local_pool_matches_in_process():
    inputs = list(range(12))
    serial = list(run_tasks(_square, inputs, executor=ExecutorSpec(workers=1)))
    pooled = list(run_tasks(_square, inputs, executor=ExecutorSpec(workers=2)))
    assert serial == pooled


def test_task_seed_is_the_seed_sequence_child():
    children = np.random.SeedSequence(42).spawn(5)
    expected = [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]
    assert [task_seed(42, i) for i in range(5)] == expected


def test_executor_spec_checks_itself():
    with pytest.raises(ValueError, match="needs the dask executor"):
        ExecutorSpec("local", scheduler="tcp://x:8786")
    with pytest.raises(ValueError, match="at least 1"):
        ExecutorSpec(workers=0)


def test_a_warm_up_names_modules():
    assert WarmUp(("numpy", "optimizer.sweep.run")).modules == ("numpy", "optimizer.sweep.run")
    with pytest.raises(ValueError, match="not a module name"):
        WarmUp(("numpy", "optimizer..run"))


def test_dask_not_installed_is_bad_input(monkeypatch):
    import importlib.util

    from optimizer.cli.executor_opts import executor_spec

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "distributed" else real(name)
    )
    with pytest.raises(InputError, match="the dask executor is not installed"):
        executor_spec("dask", None, 2)
    assert executor_spec("local", None, 2).kind == "local"


FORK_SERVER_PROBE = """
import json, os, sys
from optimizer.execute import ExecutorSpec, TaskRunner, WarmUp


def probe(_):
    parent_maps = open(f"/proc/{os.getppid()}/maps").read()
    return [
        os.getppid(),
        "_multiarray_umath" in parent_maps,  # numpy's core library, loaded in the parent
        os.environ.get("OMP_NUM_THREADS"),
        len(os.listdir("/proc/self/task")),
    ]


if __name__ == "__main__":
    with TaskRunner(ExecutorSpec(sys.argv[1], workers=2), warm=WarmUp(("numpy",))) as runner:
        rows = [r.value for r in runner.run(probe, list(range(4)))]
    print(json.dumps({"rows": rows, "me": os.getpid(), "caps": os.environ.get("OMP_NUM_THREADS")}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("kind", ["local", "dask"])
def test_workers_are_forks_of_a_server_that_imported_the_warm_up_once(tmp_path, kind):
    # a fresh interpreter (a fresh fork server): every worker's parent is one server, not
    # this process, and it has numpy loaded (imported once, for all workers), with native
    # thread pools capped while it did; the command's own environment is left as it was
    script = tmp_path / "probe.py"
    script.write_text(FORK_SERVER_PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",)}
    done = subprocess.run(
        [sys.executable, str(script), kind], capture_output=True, text=True, env=env, check=True
    )
    out = json.loads(done.stdout.splitlines()[-1])
    parents = {row[0] for row in out["rows"]}
    assert len(parents) == 1 and out["me"] not in parents
    assert all(row[1] and row[2] == "1" for row in out["rows"])
    if kind == "local":  # a pool worker runs its task on its only thread
        assert {row[3] for row in out["rows"]} == {1}
        assert out["caps"] is None  # (a Dask nanny sets the caps in its own process too)


IMPORT_AND_COUNT_THREADS = """
import importlib, os, sys
from optimizer.sweep.warm import SWEEP_WORKER
for name in ("distributed", *SWEEP_WORKER.modules, "optimizer.quote.batch",
             "optimizer.simulate.engine"):
    importlib.import_module(name)
print(len(os.listdir("/proc/self/task")))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_the_modules_a_fork_server_imports_start_no_thread():
    # workers are forks of the process that imported these: a thread there (pandas starts
    # pyarrow's) would be a lock that may be held at the fork, for ever in the child
    caps = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_COUNT_THREADS],
        capture_output=True,
        text=True,
        env={**os.environ, **caps},
        check=True,
    )
    assert done.stdout.split() == ["1"]


def _die(job: tuple[str, int]) -> int:
    """Kill this worker process: always for -1, once (marker file) otherwise."""
    marker, x = job
    if x == -1 or not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)
    return x


@pytest.mark.slow
def test_a_dying_local_worker_is_retried_then_reported(tmp_path):
    once = str(tmp_path / "once")
    jobs = [(str(tmp_path / "never"), 0), (once, 7), (str(tmp_path / "never"), 0)]
    Path(jobs[0][0]).touch()
    results = list(run_tasks(_die, jobs, executor=ExecutorSpec(workers=2)))
    assert [(r.value, r.error) for r in results] == [(0, None), (7, None), (0, None)]
    always = list(run_tasks(_die, [(once, -1)] * 2, executor=ExecutorSpec(workers=2)))
    assert [r.error for r in always] == ["worker process died running this task"] * 2


@pytest.mark.slow
def test_simulation_chunks_on_workers_equal_in_process(monkeypatch):
    from optimizer.scenario.load import load
    from optimizer.simulate import SimConfig, engine, simulate, to_dict
    from optimizer.solve.optimize import optimize

    scenario, network, _ = load(TINY)
    plan = optimize(scenario, network)
    monkeypatch.setattr(engine, "CHUNK_ORDERS", 3 * 1050 * 4)  # 3 trials a chunk: 5 chunks
    config = SimConfig(trials=14, seed=5, horizon_weeks=4)
    done: list[int] = []
    serial = to_dict(simulate(plan, scenario, network, config, progress=done.append))
    assert done == [3, 3, 3, 3, 2]
    pooled = to_dict(simulate(plan, scenario, network, config, executor=ExecutorSpec(workers=2)))
    assert json.dumps(pooled) == json.dumps(serial)
    monkeypatch.setattr(engine, "CHUNK_ORDERS", 10**9)  # one chunk: the seed's own generator
    one = to_dict(simulate(plan, scenario, network, config))
    assert one != serial and one["trials"] == serial["trials"] == 14


@pytest.mark.slow
def test_quote_batch_on_dask_equals_in_process(monkeypatch):
    from optimizer.network.reader import read_network
    from optimizer.quote import batch
    from optimizer.quote.engine import Quoter
    from optimizer.quote.shipment import parse_shipment

    network = read_network(DATA / "tiny")
    monkeypatch.setattr(batch, "PARALLEL_MIN_SHIPMENTS", 0)
    monkeypatch.setattr(batch, "WINDOW", 5)
    shipments = []
    for i in range(12):
        row = {
            "id": str(i),
            "from": "O",
            "to": "M",
            "weight_kg": str(0.2 + 0.7 * i),
            "dims_cm": "30x20x10",
            "value": str(10 + 9 * i),
            "currency": "USD",
            "category": "apparel",
        }
        shipment, problems = parse_shipment(network, row, file="t")
        assert shipment is not None, problems
        shipments.append(shipment)
    dask = ExecutorSpec("dask", workers=2)
    on_dask = list(batch.quote_csv(Quoter(network), shipments, workers=dask))
    in_process = list(batch.quote_csv(Quoter(network), shipments, workers=1))
    assert on_dask == in_process and len(on_dask) == 12


# ---------------------------------------------------------------- axes and points

DOC = {
    "network": "tiny",
    "demands": [{"id": "a", "orders_per_week": 10}, {"id": "b", "orders_per_week": 5}],
    "what_if": {"cost_multipliers": [{"factor": 2.0, "mode": "air"}]},
}


def test_values_split_outside_brackets():
    assert split_values("[],[suez],[suez,cape]") == ["[]", "[suez]", "[suez,cape]"]


def test_grid_in_axis_order_and_a_seeded_sample():
    axes = parse_axes(
        ["plan_date=2026-06-15,2026-07-15", "what_if.closed_corridors=[],[suez,cape]"],
        DOC,
        ["a", "b"],
    )
    grid = SweepSpec(axes).points()
    assert [(str(p["plan_date"]), p["what_if.closed_corridors"]) for p in grid] == [
        ("2026-06-15", []),
        ("2026-06-15", ["suez", "cape"]),
        ("2026-07-15", []),
        ("2026-07-15", ["suez", "cape"]),
    ]
    sample = SweepSpec(axes, sample=2, seed=3).points()
    assert sample == SweepSpec(axes, sample=2, seed=3).points()
    assert len(sample) == 2 and all(p in grid for p in sample)


def test_a_range_is_sampled_within_its_bounds():
    axes = parse_axes(["objective.value_of_day_per_order=0.1..0.5"], DOC, ["a"])
    points = SweepSpec(axes, sample=20, seed=1).points()
    values = [p["objective.value_of_day_per_order"] for p in points]
    assert all(0.1 <= v <= 0.5 for v in values) and len(set(values)) == 20


def test_point_sets_a_demand_and_replaces_or_adds_a_multiplier(tmp_path):
    axes = parse_axes(
        [
            "demands[b].orders_per_week=7",
            "what_if.cost_multipliers[mode=air].factor=0.5",
            "what_if.cost_multipliers[corridor=suez].factor=1.5",
        ],
        DOC,
        ["a", "b"],
    )
    (point,) = SweepSpec(axes).points()
    doc, rows = apply_point(DOC, point, tmp_path, None)
    assert rows is None
    assert [d["orders_per_week"] for d in doc["demands"]] == [10, 7.0]
    assert doc["what_if"]["cost_multipliers"] == [
        {"factor": 0.5, "mode": "air"},
        {"factor": 1.5, "corridor": "suez"},
    ]
    assert doc["network"] == str((tmp_path / "tiny").resolve())
    assert DOC["demands"][1]["orders_per_week"] == 5  # the base document is unchanged


def test_every_bad_axis_is_reported_at_once():
    with pytest.raises(InputError) as info:
        parse_axes(
            [
                "objective.value_of_day=0,1",
                "demands[nope].orders_per_week=1",
                "inventory.service_level=0.2",
                "plan_date",
            ],
            DOC,
            ["a", "b"],
        )
    text = info.value.render()
    assert "4 problems" in text
    assert "did you mean 'objective.value_of_day_per_order'?" in text
    assert "field 'demands[nope].orders_per_week'" in text
    assert "out of range" in text and "expected PATH=V1,V2" in text


def test_unknown_path_is_exit_2_with_did_you_mean(tmp_path):
    result = CliRunner().invoke(
        main, ["sweep", str(TINY), "-o", str(tmp_path), "--vary", "plan_dat=2026-07-01"]
    )
    assert result.exit_code == 2
    assert "did you mean 'plan_date'?" in result.stderr
    assert not (tmp_path / "points.parquet").exists()


# ---------------------------------------------------------------- sweeps end to end


def test_sweep_rows_plans_and_plots(tmp_path):
    summary = sweep(tmp_path, "--workers", "1")
    assert summary["points"] == 6 and summary["statuses"] == {"optimal": 6}
    frame = pd.read_parquet(tmp_path / "points.parquet")
    assert list(frame["point"]) == list(range(6))
    assert (
        list(frame["demands[bulk-apparel].orders_per_week"])
        == [100.0] * 2 + [1000.0] * 2 + [5000.0] * 2
    )
    # the hand-checked tiny plan (tests/test_optimizer.py): 1,000 bulk orders by sea to W,
    # 50 luxury orders by express; 20,789.52 per week for 1,050 orders
    row = frame.iloc[2]
    assert row["cost_per_order"] == pytest.approx(20789.52 / 1050, abs=1e-5)
    assert row["share_direct-package"] == pytest.approx(50 / 1050)
    assert row["share_overseas-warehouse"] == pytest.approx(1000 / 1050)
    plan = json.loads((tmp_path / row["plan_dir"] / "plan.json").read_text())
    assert plan["totals"]["cost"] == pytest.approx(20789.52, abs=0.01)
    assert row["cost_per_order"] == plan["totals"]["cost"] / plan["totals"]["orders"]
    # tripled sea freight moves nothing at 100 orders (all express) but costs more at 5,000
    assert frame.iloc[0]["cost_per_order"] == frame.iloc[1]["cost_per_order"]
    assert frame.iloc[5]["cost_per_order"] > frame.iloc[4]["cost_per_order"]
    plots = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert plots == [
        "pattern_shares.png",
        "vs_demands_bulk-apparel_.orders_per_week.png",
        "vs_what_if.cost_multipliers_mode_sea_fcl_.factor.png",
    ]


POINT_IN_FRESH_PROCESS = """
import importlib, pickle, sys
from optimizer.sweep.run import solve_point
from optimizer.sweep.warm import SWEEP_WORKER
for name in SWEEP_WORKER.modules:
    importlib.import_module(name)
known, task = pickle.loads(sys.stdin.buffer.read())
print(solve_point(known, task).status, "networkx" in sys.modules)
"""


@pytest.mark.slow
def test_a_worker_solves_a_point_without_importing_networkx():
    # networkx reads and checks networks; a point on the sweep's network (already read)
    # does not need it, nor does a worker pay its import (~0.09 s, before its first point)
    base = sweep_run.read_base(TINY)
    point = sweep_run.build_spec(base, (VARY[1],), None, 0).points()[0]
    task = sweep_run.PointTask(0, sweep_run.point_files(base, point))
    done = subprocess.run(
        [sys.executable, "-c", POINT_IN_FRESH_PROCESS],
        input=pickle.dumps((base.network, task)),
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode().split() == ["optimal", "False"]


def test_a_point_scenario_is_the_pure_python_emitter_text():
    # the point's key is a hash of this text: libyaml's emitter (when PyYAML has it) must
    # write what the pure-Python one writes, or resumed sweeps would run their points again
    base = sweep_run.read_base(TINY)
    spec = sweep_run.build_spec(base, (VARY[1], VARY[3]), None, 0)
    for point in spec.points():
        text = dict(sweep_run.point_files(base, point))["scenario.yaml"]
        doc = yaml.safe_load(text)
        assert text == yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


PLOT_IN_FRESH_PROCESS = """
import pickle, sys
from optimizer.sweep.plots import draw_plot
png = draw_plot(pickle.loads(sys.stdin.buffer.read()))
print(png[:4] == b"\\x89PNG", "pandas" in sys.modules)
"""


@pytest.mark.slow
def test_a_worker_draws_a_figure_without_importing_pandas(tmp_path, monkeypatch):
    # a figure task carries plain columns: the worker drawing it at the end of a sweep
    # does not pay pandas' import (the plots are the sweep's serial tail)
    from optimizer.sweep import report

    sweep(tmp_path, "--workers", "1")
    frame = pd.read_parquet(tmp_path / "points.parquet")
    base = sweep_run.read_base(TINY)
    spec = sweep_run.build_spec(base, (VARY[1], VARY[3]), None, 0)
    jobs = []
    monkeypatch.setattr(report, "draw_plot", lambda job: jobs.append(job) or b"")
    report.write_plots(spec, frame, tmp_path / "again", "USD")
    assert [j.figure for j in jobs] == [0, 1, 2]
    for job in (jobs[0], jobs[2]):  # outputs against the first axis; the heat map
        done = subprocess.run(
            [sys.executable, "-c", PLOT_IN_FRESH_PROCESS],
            input=pickle.dumps(job),
            capture_output=True,
            check=True,
        )
        assert done.stdout.decode().split() == ["True", "False"]


@pytest.mark.slow
def test_resume_skips_points_done(tmp_path):
    smaller = ("--vary", VARY[1].replace(",5000", ""), *VARY[2:])
    first = CliRunner().invoke(main, ["sweep", str(TINY), "-o", str(tmp_path), *smaller, "--json"])
    assert json.loads(first.stdout)["solved"] == 4
    kept = pd.read_parquet(tmp_path / "points.parquet")["plan_dir"][3]
    stamp = (tmp_path / kept / "plan.json").stat().st_mtime_ns
    again = sweep(tmp_path, "--workers", "1")  # the grid grew from 4 to 6 points
    assert (again["solved"], again["skipped"]) == (2, 4)
    assert pd.read_parquet(tmp_path / "points.parquet")["plan_dir"][3] == kept
    assert (tmp_path / kept / "plan.json").stat().st_mtime_ns == stamp
    done = sweep(tmp_path, "--workers", "1")
    assert (done["solved"], done["skipped"]) == (0, 6)
    fresh = tmp_path / "fresh"
    sweep(fresh, "--workers", "1")
    assert (tmp_path / "points.parquet").read_bytes() == (fresh / "points.parquet").read_bytes()


def test_infeasible_invalid_and_failed_points_are_rows(tmp_path, monkeypatch):
    real = sweep_run.solve_point

    def flaky(known, task):
        if task.index == 3:
            raise RuntimeError("solver crashed")
        return real(known, task)

    monkeypatch.setattr(sweep_run, "solve_point", flaky)
    args = ["--vary", "demands[luxury].sla_days=10,0.5", "--vary", "network=tiny,no_such_net"]
    result = CliRunner().invoke(
        main, ["sweep", str(TINY), "-o", str(tmp_path), *args, "--json", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(tmp_path / "points.parquet")
    assert list(frame["status"]) == ["optimal", "invalid", "infeasible", "failed"]
    assert "network" in frame.iloc[1]["reason"] and "no_such_net" in frame.iloc[1]["network"]
    assert frame.iloc[2]["reason"].startswith("luxury: 50 orders/week unmet")
    assert frame.iloc[2]["share_unmet"] == pytest.approx(50 / 1050)
    assert frame.iloc[3]["reason"] == "RuntimeError: solver crashed"
    assert pd.isna(frame.iloc[3]["cost_per_order"])
    monkeypatch.setattr(sweep_run, "solve_point", real)
    again = CliRunner().invoke(
        main, ["sweep", str(TINY), "-o", str(tmp_path), *args, "--json", "--workers", "1"]
    )
    assert json.loads(again.stdout)["solved"] == 1  # only the failed point runs again
    assert list(pd.read_parquet(tmp_path / "points.parquet")["status"])[3] == "invalid"


@pytest.mark.slow
def test_dask_and_local_pool_equal_one_worker_byte_for_byte(tmp_path):
    sweep(tmp_path / "one", "--workers", "1")
    sweep(tmp_path / "pool", "--workers", "2")
    sweep(tmp_path / "dask", "--executor", "dask", "--workers", "2")
    one = (tmp_path / "one" / "points.parquet").read_bytes()
    assert (tmp_path / "pool" / "points.parquet").read_bytes() == one
    assert (tmp_path / "dask" / "points.parquet").read_bytes() == one
    for folder in pd.read_parquet(tmp_path / "one" / "points.parquet")["plan_dir"]:
        name = f"{folder}/allocations.csv"
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


@pytest.mark.slow
def test_a_killed_dask_worker_loses_no_point(tmp_path):
    from distributed import Client, LocalCluster

    base = sweep_run.read_base(TINY)
    spec = sweep_run.build_spec(
        base,
        ("demands[bulk-apparel].orders_per_week=100,400,1000,2000,5000,8000", VARY[3]),
        None,
        0,
    )
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        finished: list[int] = []
        killed = threading.Event()

        def progress(n: int) -> None:
            finished.append(n)
            if len(finished) == 2 and not killed.is_set():
                os.kill(victim, signal.SIGKILL)  # mid-sweep: 10 of 12 points still to come
                killed.set()

        records, ran = sweep_run.run_sweep(
            base,
            spec,
            tmp_path / "dask",
            executor=ExecutorSpec("dask", scheduler=cluster.scheduler_address),
            progress=progress,
        )
    assert killed.is_set() and ran == 12
    write_points(points_frame(spec, records, "USD"), tmp_path / "dask")
    frame = pd.read_parquet(tmp_path / "dask" / "points.parquet")
    assert list(frame["point"]) == list(range(12))  # every point, exactly once
    assert set(frame["status"]) == {"optimal"}
    serial, _ = sweep_run.run_sweep(base, spec, tmp_path / "one", executor=ExecutorSpec(workers=1))
    assert [(r.params, r.metrics) for r in records] == [(r.params, r.metrics) for r in serial]


class _Finalized:
    """Writes its marker file when the interpreter's teardown collects it."""

    def __init__(self, marker: str):
        self.marker = marker

    def __del__(self) -> None:
        Path(self.marker).touch()


_KEPT: list[_Finalized] = []  # in a worker: collected only by an interpreter teardown


def _keep_until_teardown(marker: str) -> tuple[int, int]:
    _KEPT.append(_Finalized(marker))
    return os.getpid(), gc.get_freeze_count()


@pytest.mark.slow
def test_local_workers_are_frozen_and_end_without_interpreter_teardown(tmp_path):
    # once warm, a worker's objects are out of the collector's reach (gc.freeze); the run
    # waits for its workers to end: they skip the teardown (0.3-0.5 s each with the solver,
    # pandas and matplotlib imported); a task's results are already back
    with TaskRunner(ExecutorSpec(workers=2)) as runner:
        markers = [str(tmp_path / f"m{i}") for i in range(4)]
        values = [r.value for r in runner.run(_keep_until_teardown, markers)]
    assert all(pid != os.getpid() and frozen > 1000 for pid, frozen in values)
    assert not any(Path(m).exists() for m in markers)
    _keep_until_teardown(str(tmp_path / "here"))  # in this process it would be collected
    _KEPT.clear()
    assert (tmp_path / "here").exists()


def _mark_warm() -> None:
    os.environ["XBORDER_TEST_WARM"] = "warm"


def _warm_mark(x: int) -> str:
    return f"{x}:{os.environ.get('XBORDER_TEST_WARM', 'cold')}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "dask"])
def test_every_worker_is_warmed_before_its_first_task(kind):
    # warm runs once in every worker (local: the pool's initializer; Dask: a worker plugin,
    # each worker, while the cluster starts in the background) and never in this process
    with TaskRunner(ExecutorSpec(kind, workers=2), warm=WarmUp(setup=_mark_warm)) as runner:
        marks = [r.value for r in runner.run(_warm_mark, list(range(6)))]
    assert marks == [f"{i}:warm" for i in range(6)]
    assert "XBORDER_TEST_WARM" not in os.environ
