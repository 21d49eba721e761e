"""The Dask half of the execution layer (imported only with ``--executor dask``).

A run either starts a ``LocalCluster`` of its own or connects to a scheduler's
address. Its own cluster starts without waiting for its workers: the scheduler
is up when :func:`connect` returns, and the workers (forked from the fork server,
see :mod:`optimizer.execute.workers`) join while the caller prepares its tasks;
the runner waits for them before its first task. Every worker runs the run's
:class:`~optimizer.execute.records.WarmUp` as it joins, through a worker plugin,
so also a worker that replaces a killed one is warm before its first task.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack, suppress
from typing import Any

try:
    import dask
    from distributed import Client, LocalCluster, WorkerPlugin
    from distributed.utils import get_mp_context
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
    raise RuntimeError(
        'the dask executor needs the dask extra: pip install "xborder[dask]"'
    ) from exc

from optimizer.execute.records import ExecutorSpec, WarmUp
from optimizer.execute.workers import start_dask_worker, start_method

#: Dask settings of a LocalCluster started for a run (see ``connect``).
QUIET_DASK_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
#: Seconds a run waits for the workers of its own cluster to join.
WORKERS_START_TIMEOUT = 120


class WarmWorker(WorkerPlugin):
    """Runs the warm-up on every worker as it joins (``own``: also freeze, quick exit)."""

    def __init__(self, warm: WarmUp | None, own: bool):
        self.warm = warm
        self.own = own

    def setup(self, worker: Any) -> None:
        start_dask_worker(self.warm, self.own)


def connect(spec: ExecutorSpec, stack: ExitStack, warm: WarmUp | None) -> tuple[Any, int, bool]:
    """A client of the run's cluster: (client, workers, whether this run started them).

    Everything opened is closed by ``stack``; a plugin left on a scheduler given by
    address is removed.
    """
    name = f"xborder-warm-{uuid.uuid4().hex}"
    if spec.scheduler is not None:
        client = Client(spec.scheduler)
        stack.callback(client.close)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        if warm is not None:
            client.register_plugin(WarmWorker(warm, own=False), name=name)
            stack.callback(_remove_plugin, client, name)
        return client, workers, False
    # a cluster of our own runs quiet: no statistical profiler sampling the task's stack
    # 100 times a second, no 20 ms event-loop tick, memory and system monitors at a
    # slower pace. Each wakes the worker's event-loop thread, which takes the GIL from
    # the task: together ~10 % of a point's time (dashboard material we do not show).
    method = start_method()
    stack.enter_context(
        dask.config.set({**QUIET_DASK_WORKERS, "distributed.worker.multiprocessing-method": method})
    )
    # the nannies ask distributed for this context, and its first call imports the packages
    # distributed may use (pandas among them): here, not in the event loop, where it would
    # wait on this thread's own imports before starting the first worker
    get_mp_context()
    cluster = LocalCluster(
        n_workers=0,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,  # logging.ERROR: a killed worker is reported in our results
    )
    stack.callback(cluster.close)
    client = Client(cluster)
    stack.callback(client.close)
    client.register_plugin(WarmWorker(warm, own=True), name=name)
    cluster.scale(spec.worker_count)  # the workers start and join in the background
    return client, spec.worker_count, True


def _remove_plugin(client: Any, name: str) -> None:
    """Best effort, at the run's end: a plugin left behind only warms later workers."""
    with suppress(Exception):
        client.unregister_worker_plugin(name)


def wait_for_workers(client: Any, count: int) -> None:
    """Wait until ``count`` workers of the run's own cluster have joined."""
    try:
        client.wait_for_workers(count, timeout=WORKERS_START_TIMEOUT)
    except TimeoutError as exc:
        raise RuntimeError(
            f"{count} Dask workers did not start within {WORKERS_START_TIMEOUT} s"
        ) from exc
