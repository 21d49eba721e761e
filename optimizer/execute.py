"""One execution layer for independent tasks: sweep points, simulation trials, quote batches.

``run_tasks(fn, inputs, executor=...)`` calls ``fn(input)`` for every input and
yields one :class:`TaskResult` per input, **in input order** (never completion
order), so whatever runs the tasks — this process, a local process pool or a
Dask cluster — and however many workers it has, the results are the same.

Why these choices (see DESIGN.md §9):

- *A failed task is a result*: ``fn`` raising gives a result carrying the
  reason; one bad point never aborts a sweep of hundreds.
- *Spawn, not fork*: children of a process that imported OR-Tools (abseil
  threads) can hang when forked; spawned workers import what they need.
- *One thread per task*: a worker caps BLAS/OpenMP threads at one (the solvers
  already run one thread), so K workers use K cores and not K × cores.
- *A killed worker loses nothing*: Dask reschedules its tasks on the other
  workers; the local pool is restarted and the tasks in flight resubmitted
  (a task whose worker dies twice is a failed result).
- *Inputs, not solver objects*: OR-Tools models do not pickle; tasks receive
  plain inputs and build their own models.
- *Workers we start are tuned for tasks*: after its warm-up a worker moves the
  objects it holds (imported modules and libraries) out of the cyclic garbage
  collector's reach (``gc.freeze()``), so its collections scan only what its
  tasks create (a sweep point's CPU time -3 % on a local worker, -6 % on a Dask
  worker, which holds many more objects); and at its end it skips the
  interpreter's teardown (``_exit_now``: 0.3-0.5 s with the solver, pandas and
  matplotlib imported, which a run waited for), having nothing left to clean up
  (results sent, temporary folders gone). Workers of a scheduler given by
  address are left as they are.
"""

from __future__ import annotations

import atexit
import functools
import gc
import logging
import multiprocessing
import os
import pickle
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from optimizer.cpus import usable_cpus

T = TypeVar("T")
R = TypeVar("R")
P = TypeVar("P")
S = TypeVar("S")

ExecutorKind = Literal["local", "dask"]
EXECUTORS: tuple[ExecutorKind, ...] = ("local", "dask")
#: Environment variables that cap native thread pools in a worker process.
THREAD_CAPS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Dask settings of a LocalCluster started for a run (see ``_dask_executor``).
QUIET_DASK_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
#: Times a task is started before a dying worker makes it a failed result (local pool).
ATTEMPTS = 2


@dataclass(frozen=True, slots=True)
class ExecutorSpec:
    """Where tasks run: ``local`` (process pool; 1 worker = in this process) or ``dask``.

    ``workers`` defaults to the usable CPUs (local, or a LocalCluster started
    for the run); ``scheduler`` is an existing Dask scheduler's address
    (``tcp://host:8786``), whose workers are then used as they are.
    """

    kind: ExecutorKind = "local"
    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {self.kind!r}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.scheduler is not None and self.kind != "dask":
            raise ValueError("a scheduler address needs the dask executor")

    @property
    def worker_count(self) -> int:
        """Workers to start (local pool or LocalCluster)."""
        return self.workers or usable_cpus()


#: Every task in this process, one after the other (the default of cheap or small runs).
IN_PROCESS = ExecutorSpec(workers=1)


@dataclass(frozen=True, slots=True)
class TaskResult(Generic[R]):
    """The outcome of one task: its value, or why it failed (``error``)."""

    index: int
    value: R | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def task_seed(seed: int, index: int) -> int:
    """The seed of task ``index`` in a run seeded ``seed``.

    Equal to ``SeedSequence(seed).spawn(n)[index]``'s first word for any
    ``n > index``: it depends on the run seed and the task's index only, not
    on how many tasks, workers or executors there are.
    """
    import numpy as np  # here: a command starts its workers before its heavy imports

    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0])


@dataclass(frozen=True)
class Shared(Generic[P, S]):
    """What every task of a run needs, built once per worker process: ``build(payload)``.

    Why: some tasks need an object that is slow to build but quick to ship (a
    network read and validated, a prepared quoter). The worker builds the state on
    first use and keeps it for the run's other tasks. The local pool sends the
    payload pickled once with each task (bytes: a copy, unpickled only by a worker
    that has not got it yet); Dask sends it to each worker once. ``build`` must be
    a module-level function.
    """

    build: Callable[[P], S]
    payload: P
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


#: The state of the current run's :class:`Shared`, in a worker process: {token: state}.
#: Not a cache: it holds one run's state (replaced when another run's token arrives), the
#: way a worker keeps what its tasks share (Dask keeps scattered data the same way).
_PROCESS_STATE: dict[str, Any] = {}


class TaskRunner:
    """Started workers that several runs share (one start-up: pool or cluster).

    ``with TaskRunner(spec, warm=fn) as runner: runner.run(fn, inputs)``. Enter it
    before preparing the tasks: local workers are spawned without waiting and get
    ready while the caller imports and prepares; a Dask cluster is started (or
    connected to) before entry returns, because starting it is mostly this
    process importing ``distributed``, which in a background thread would share
    this process's GIL with the caller's own imports and spawn the workers later;
    its workers then get ready while the caller prepares. ``warm`` (a
    module-level function of no argument, e.g. one that imports the solver) runs
    once in every worker as soon as it is up, so the first task of each worker
    does not pay its imports.
    """

    def __init__(self, spec: ExecutorSpec = IN_PROCESS, *, warm: Callable[[], Any] | None = None):
        self.spec = spec
        self.warm = warm
        self._stack = ExitStack()
        self._pool: Executor | None = None
        self._client: Any = None
        self._window = 4 * spec.worker_count
        self._warming: list[Any] = []

    @property
    def parallel(self) -> bool:
        return self.spec.kind == "dask" or self.spec.worker_count > 1

    def __enter__(self) -> TaskRunner:
        if self.spec.kind == "dask":
            try:
                self._start_dask()
            except BaseException:
                self._stack.close()
                raise
        elif self.parallel:
            self._new_pool()
            for _ in range(self.spec.worker_count):  # spawn every worker now (each warms up)
                self._pool.submit(_cap_threads)  # type: ignore[union-attr]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None and self.spec.kind == "local":
            self._pool.shutdown(cancel_futures=True)
        self._stack.close()

    def _start_dask(self) -> None:
        """Start (or connect to) the cluster, then send each worker its start-up task."""
        self._pool, workers, self._client = _dask_executor(self.spec, self._stack)
        self._window = 4 * workers
        own = self.spec.scheduler is None  # a LocalCluster of this run
        if self.warm is not None or own:  # a start-up task pinned to each worker
            self._warming = [  # held (not awaited): a future nobody holds is cancelled
                self._client.submit(
                    _start_dask_worker, self.warm, own, workers=[address], pure=False
                )
                for address in self._client.scheduler_info().get("workers", {})
            ]

    def _new_pool(self) -> Executor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(
            self.spec.worker_count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.warm,),
        )
        return self._pool

    def run(
        self,
        fn: Callable[..., R],
        inputs: Sequence[T],
        *,
        shared: Shared[Any, Any] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[TaskResult[R]]:
        """``fn(x)`` — or ``fn(state, x)`` with ``shared`` — per input, in input order."""
        if not inputs:
            return
        if self._pool is None:  # in this process
            call = fn if shared is None else functools.partial(fn, shared.build(shared.payload))
            for i, x in enumerate(inputs):
                result = _guarded(call, i, x)
                if progress is not None:
                    progress(1)
                yield result
            return
        ref: Any = None
        if shared is not None and self._client is not None:
            ref = self._client.scatter(shared, broadcast=True, hash=False)
        elif shared is not None:  # pickled once; a worker unpickles it only on first use
            ref = (shared.token, pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL))

        def submit(i: int) -> Future[TaskResult[R]]:
            assert self._pool is not None
            if ref is None:
                return self._pool.submit(_guarded, fn, i, inputs[i])
            return self._pool.submit(_guarded_shared, fn, ref, i, inputs[i])

        restart = self._new_pool if self.spec.kind == "local" else None
        yield from _ordered(submit, restart, self._window, len(inputs), progress)


def run_tasks(
    fn: Callable[..., R],
    inputs: Sequence[T],
    *,
    executor: ExecutorSpec = ExecutorSpec(),
    shared: Shared[Any, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[TaskResult[R]]:
    """``fn(x)`` — or ``fn(state, x)`` with ``shared`` — for each input, in input order.

    ``fn`` must be importable by name (a module-level function) and its inputs
    and results picklable. ``progress(1)`` is called as each task finishes.
    At most a few tasks per worker are in flight, so a long input list is
    not all shipped at once. Workers start for this run and stop after it
    (:class:`TaskRunner` shares them between runs); one input, or one local
    worker, runs in this process.
    """
    if not inputs:
        return
    if executor.kind == "local" and len(inputs) == 1:
        executor = IN_PROCESS
    with TaskRunner(executor) as runner:
        yield from runner.run(fn, inputs, shared=shared, progress=progress)


def _ordered(
    submit: Callable[[int], Future[TaskResult[R]]],
    restart: Callable[[], Executor] | None,
    window: int,
    count: int,
    progress: Callable[[int], None] | None,
) -> Iterator[TaskResult[R]]:
    """Keep a bounded number of tasks in flight; yield results in input order.

    ``restart`` replaces a broken local pool; the tasks in flight run again.
    """
    pending: dict[Future[TaskResult[R]], int] = {}
    done: dict[int, TaskResult[R]] = {}
    attempts = [0] * count
    queue = list(range(count))[::-1]  # pop() takes the lowest index
    following = 0
    while following < count:
        while queue and len(pending) < window:
            i = queue.pop()
            attempts[i] += 1
            pending[submit(i)] = i
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        broken = False
        for future in finished:
            i = pending.pop(future)
            try:
                done[i] = future.result()
            except BrokenProcessPool:
                broken = True
                if attempts[i] >= ATTEMPTS:
                    done[i] = TaskResult(i, None, "worker process died running this task")
                else:
                    queue.append(i)
            except Exception as exc:  # the executor failed the task (e.g. Dask KilledWorker)
                done[i] = TaskResult(i, None, _reason(exc))
            if i in done and progress is not None:
                progress(1)
        if broken and restart is not None:
            queue.extend(pending.values())  # every task in flight died with the pool
            pending.clear()
            queue.sort(reverse=True)
            restart()
        while following in done:
            yield done.pop(following)
            following += 1


def _guarded(fn: Callable[[T], R], index: int, x: T) -> TaskResult[R]:
    """Run one task; an exception becomes a failed result with its reason."""
    try:
        return TaskResult(index, fn(x))
    except Exception as exc:
        return TaskResult(index, None, _reason(exc))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _guarded_shared(
    fn: Callable[..., R], shared: Shared[Any, Any] | tuple[str, bytes], index: int, x: Any
) -> TaskResult[R]:
    """Run one task with the run's shared state (built here on first use)."""
    try:
        return TaskResult(index, fn(_state(shared), x))
    except Exception as exc:
        return TaskResult(index, None, _reason(exc))


def _state(shared: Shared[Any, Any] | tuple[str, bytes]) -> Any:
    """This worker's state for ``shared`` (or its token and pickle): built once per run."""
    token = shared[0] if isinstance(shared, tuple) else shared.token
    if token not in _PROCESS_STATE:
        if isinstance(shared, tuple):
            shared = pickle.loads(shared[1])
        assert isinstance(shared, Shared)
        _PROCESS_STATE.clear()  # another run's state
        _PROCESS_STATE[token] = shared.build(shared.payload)
    return _PROCESS_STATE[token]


def _start_worker(warm: Callable[[], Any] | None) -> None:
    """A local worker's initializer: one native thread, the warm-up, frozen, a quick exit."""
    _cap_threads()
    _warm_up(warm)
    _own_worker()


def _start_dask_worker(warm: Callable[[], Any] | None, own: bool) -> None:
    """On a Dask worker, first: the warm-up; frozen and a quick exit if the run started it."""
    _warm_up(warm)
    if own:
        _own_worker()


def _own_worker() -> None:
    """In a worker the run started, once warm: freeze what it holds, end without teardown."""
    gc.freeze()
    atexit.register(_exit_now)


def _exit_now() -> None:
    """At a worker process's exit (registered last, so run first): end it without teardown.

    Logging handlers and the standard streams are flushed first; nothing else in a
    worker holds data (its results went back, its temporary folders are removed).
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(0)


def _warm_up(warm: Callable[[], Any] | None) -> None:
    """In a worker, once, before its first task: ``warm()`` (imports, first-call caches).

    Best effort: a warm-up that fails is ignored, and the tasks report the real error.
    """
    if warm is not None:
        with suppress(Exception):  # the first task meets (and reports) the same problem
            warm()


def _cap_threads() -> None:
    """In a local worker: one native thread per pool (solvers already use one)."""
    for name in THREAD_CAPS:
        os.environ[name] = "1"


def _dask_executor(spec: ExecutorSpec, stack: ExitStack) -> tuple[Executor, int, Any]:
    """A ``concurrent.futures`` executor over a Dask client (LocalCluster or scheduler).

    Returns it with the number of workers the scheduler knows (at least 1) and the client.
    """
    try:
        from distributed import Client, LocalCluster
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            'the dask executor needs the dask extra: pip install "xborder[dask]"'
        ) from exc
    if spec.scheduler is not None:
        client = Client(spec.scheduler)
        stack.callback(client.close)
    else:
        import dask

        # a cluster of our own runs quiet: no statistical profiler sampling the task's stack
        # 100 times a second, no 20 ms event-loop tick, memory and system monitors at a
        # slower pace. Each wakes the worker's event-loop thread, which takes the GIL from
        # the task: together ~10 % of a point's time (dashboard material we do not show).
        # The nannies pass this configuration on to the worker processes.
        stack.enter_context(dask.config.set(QUIET_DASK_WORKERS))
        cluster = LocalCluster(
            n_workers=spec.worker_count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,  # logging.ERROR: a killed worker is reported in our results
        )
        stack.callback(cluster.close)
        client = Client(cluster)
        stack.callback(client.close)
    workers = len(client.scheduler_info().get("workers", {}))
    return client.get_executor(pure=False), max(1, workers), client
