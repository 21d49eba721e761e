"""Run a sweep: one scenario per point, solved where the execution layer puts it.

The client (this process) writes each point's scenario into ``DIR/points/NNNN/``
and ships its text to a worker; the worker reads it, optimizes, renders the plan
files into a temporary folder and sends their bytes back with the plan's headline
figures. The client alone writes into ``DIR`` (atomically, ``result.json`` last),
so a worker killed half-way leaves nothing behind, and a cluster needs no shared
output folder (only the network and CSV files the scenario names).

A point's key is a hash of its scenario text, and its folder is ``DIR/points/KEY/``:
a point whose ``result.json`` is there is done and is skipped on a re-run (also when
the grid has grown around it); a failed point is run again.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError, Problem
from optimizer.execute import IN_PROCESS, ExecutorSpec, Shared, TaskResult, TaskRunner
from optimizer.io.atomic import write_bytes, write_text
from optimizer.network.records import Network
from optimizer.plan.metrics import plan_metrics
from optimizer.sweep.spec import SweepSpec, apply_point, parse_axes, value_text
from optimizer.sweep.warm import SWEEP_WORKER

#: What every point shares: the base scenario's network (path, network, warnings), read once.
KnownNetwork = tuple[Path, Network, list[Problem]]
#: libyaml's safe emitter where PyYAML was built with it: the same text as the pure-Python
#: one, ~4x faster (a point's scenario: 2.1 ms -> 0.5 ms, in the client before any point runs).
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
#: Row status of a point that raised or whose worker died (re-run on resume).
FAILED = "failed"
#: Row status of a point whose scenario is bad input.
INVALID = "invalid"
#: Row status of a plan that leaves some demand unmet.
INFEASIBLE = "infeasible"
#: ``format_version`` of ``result.json`` (docs/schemas/sweep-point.schema.json).
POINT_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class PointTask:
    """What a worker needs for one point: files as text (``scenario.yaml`` first)."""

    index: int
    files: tuple[tuple[str, str], ...]
    map_png: bool = False


@dataclass(frozen=True, slots=True)
class PointOutcome:
    """What a worker sends back: status, reason, headline figures, the plan files' bytes."""

    index: int
    status: str
    reason: str
    metrics: dict[str, Any]
    files: tuple[tuple[str, bytes], ...]
    seconds: float


@dataclass(frozen=True)
class Base:
    """The swept scenario: its YAML document, demand ids, demand CSV rows and network."""

    path: Path
    doc: dict[str, Any]
    demand_ids: tuple[str, ...]
    demand_rows: list[dict[str, str]] | None  # the demands CSV, when the scenario uses one
    demand_header: tuple[str, ...]
    network: KnownNetwork


def read_base(path: Path) -> Base:
    """Read and validate the scenario a sweep varies (bad input raises InputError)."""
    from optimizer.scenario.reader import read_scenario

    # every problem of the base scenario, up front; its network is read once for all points
    scenario, network, warnings = read_scenario(path)
    known = (scenario.network_path, network, warnings)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows: list[dict[str, str]] | None = None
    header: tuple[str, ...] = ()
    if doc.get("demands_csv"):
        text = (path.parent / doc["demands_csv"]).read_text(encoding="utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        header = tuple(reader.fieldnames or ())
    return Base(path, doc, tuple(d.id for d in scenario.demands), rows, header, known)


def build_spec(base: Base, vary: tuple[str, ...], sample: int | None, seed: int) -> SweepSpec:
    axes = parse_axes(vary, base.doc, base.demand_ids)
    try:
        return SweepSpec(axes, sample, seed)
    except ValueError as exc:
        raise InputError([Problem("sweep", str(exc), field="--vary")]) from None


def point_files(base: Base, point: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The point's scenario (and demands CSV) as text; paths inside are absolute."""
    doc, rows = apply_point(base.doc, point, base.path.parent, base.demand_rows)
    values = ", ".join(f"{path}={value_text(v)}" for path, v in point.items())
    doc["name"] = f"{doc.get('name')} [{values}]"  # reports and compare say which point
    files = []
    if rows is not None:
        doc["demands_csv"] = "demands.csv"
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(base.demand_header), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        files.append(("demands.csv", buffer.getvalue()))
    text = yaml.dump(doc, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True, width=100)
    return (("scenario.yaml", text), *files)


def known_network(payload: KnownNetwork) -> KnownNetwork:
    """In a worker, once per sweep: the base network arrives read and validated."""
    return payload


def solve_point(known: KnownNetwork | None, task: PointTask) -> PointOutcome:
    """In a worker: read the point's scenario, optimize, render the plan files.

    ``known`` is the base scenario's network: a point on the same network path
    uses it instead of reading the network again.
    """
    from optimizer.plan.writers import plan_dict, write_plan
    from optimizer.scenario.load import load
    from optimizer.solve.optimize import optimize

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xborder-point-") as tmp:
        folder = Path(tmp)
        for name, text in task.files:
            (folder / name).write_text(text, encoding="utf-8")
        try:
            scenario, network, _ = load(folder / "scenario.yaml", known=known)
        except InputError as exc:
            # the point's temporary folder is not part of the reason (rows must not vary)
            reason = "; ".join(str(p).replace(str(folder), "point") for p in exc.problems)
            return PointOutcome(task.index, INVALID, reason, {}, (), time.perf_counter() - started)
        plan = optimize(scenario, network)
        paths = write_plan(
            plan, network, folder / "plan", map_png=task.map_png, geojson=task.map_png
        )
        files = tuple((p.name, p.read_bytes()) for p in paths)
    metrics = plan_metrics(plan_dict(plan))
    status, reason = plan.status.value, ""
    if plan.totals is None:
        reason = f"no plan: solver status {plan.status}"
    elif plan.infeasible_demands:
        status = INFEASIBLE
        reason = "; ".join(
            f"{d.id}: {d.unmet_orders:.0f} orders/week unmet "
            f"({'; '.join(d.reasons) or 'no reason given'})"
            for d in plan.infeasible_demands
        )
    metrics["solver_status"] = plan.status.value
    return PointOutcome(task.index, status, reason, metrics, files, time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class PointRecord:
    """A finished point as stored in ``result.json``: its values and outcome."""

    index: int
    key: str
    params: dict[str, Any]
    status: str
    reason: str
    metrics: dict[str, Any]
    seconds: float

    def as_json(self) -> str:
        data = {
            "format_version": POINT_FORMAT_VERSION,
            "index": self.index,
            "key": self.key,
            "params": self.params,
            "status": self.status,
            "reason": self.reason,
            "metrics": self.metrics,
            "seconds": round(self.seconds, 3),
        }
        return json.dumps(data, indent=2, default=str) + "\n"


def point_dir(out_dir: Path, key: str) -> Path:
    """A point's folder, named by its key: a point keeps its folder when the grid grows."""
    return out_dir / "points" / key


def run_sweep(
    base: Base,
    spec: SweepSpec,
    out_dir: Path,
    *,
    executor: ExecutorSpec | TaskRunner = IN_PROCESS,
    map_png: bool = False,
    fresh: bool = False,
    on_total: Callable[[int, int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[PointRecord], int]:
    """Solve every point not already done; return all points' records and how many ran.

    ``on_total(points, to_run)`` is called once the done points are known.
    """
    points = spec.points()
    records: dict[int, PointRecord] = {}
    tasks: list[PointTask] = []
    params_of: dict[int, dict[str, Any]] = {}
    keys: dict[int, str] = {}
    for i, point in enumerate(points):
        files = point_files(base, point)
        key = hashlib.sha256("\0".join(t for _, t in files).encode()).hexdigest()[:16]
        params = {
            p: v if isinstance(v, int | float) and not isinstance(v, bool) else value_text(v)
            for p, v in point.items()
        }
        params_of[i], keys[i] = params, key
        folder = point_dir(out_dir, key)
        done = None if fresh else _read_record(folder / "result.json")
        if done is not None and done.key == key and done.status != FAILED:
            records[i] = dataclasses.replace(done, index=i)
            continue
        for name, text in files:
            write_text(folder / name, text)
        tasks.append(PointTask(i, files, map_png))
    if on_total is not None:
        on_total(len(points), len(tasks))
    shared = Shared(known_network, base.network)
    with ExitStack() as stack:
        runner = executor
        if isinstance(runner, ExecutorSpec):
            runner = stack.enter_context(TaskRunner(runner, warm=SWEEP_WORKER))
        results = runner.run(solve_point, tasks, shared=shared, progress=progress)
        for task, result in zip(tasks, results, strict=True):
            record = _record(task.index, keys[task.index], params_of[task.index], result)
            folder = point_dir(out_dir, keys[task.index])
            for name, data in result.value.files if result.value is not None else ():
                write_bytes(folder / "plan" / name, data)
            write_text(folder / "result.json", record.as_json())
            records[task.index] = record
    return [records[i] for i in range(len(points))], len(tasks)


def _record(
    index: int, key: str, params: dict[str, Any], result: TaskResult[PointOutcome]
) -> PointRecord:
    if result.value is None:
        return PointRecord(index, key, params, FAILED, result.error or "failed", {}, 0.0)
    o = result.value
    return PointRecord(index, key, params, o.status, o.reason, o.metrics, o.seconds)


def _read_record(path: Path) -> PointRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return PointRecord(
            data["index"],
            data["key"],
            data["params"],
            data["status"],
            data["reason"],
            data["metrics"],
            data["seconds"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
