"""Run tasks where an :class:`ExecutorSpec` says, and yield their results in input order."""

from __future__ import annotations

import functools
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, suppress
from typing import Any, TypeVar

from optimizer.execute.records import IN_PROCESS, ExecutorSpec, Shared, TaskResult, WarmUp
from optimizer.execute.workers import (
    guarded,
    guarded_shared,
    ready,
    reason,
    start_local_worker,
    worker_context,
)

T = TypeVar("T")
R = TypeVar("R")

#: The local pool on every usable CPU (``run_tasks``' default).
LOCAL_POOL = ExecutorSpec()
#: Times a task is started before a dying worker makes it a failed result (local pool).
ATTEMPTS = 2


class TaskRunner:
    """Started workers that several runs share (one start-up: pool or cluster).

    ``with TaskRunner(spec, warm=WarmUp(...)) as runner: runner.run(fn, inputs)``.
    Enter it before preparing the tasks: entry starts the workers without waiting
    for them, and they get ready (import the warm-up's modules, once, in the fork
    server) while the caller imports and prepares; the first ``run`` waits for them.
    A Dask cluster's scheduler is started (or connected to) before entry returns,
    because that is mostly this process importing ``distributed``, which in a
    background thread would share this process's GIL with the caller's own imports.
    """

    def __init__(self, spec: ExecutorSpec = IN_PROCESS, *, warm: WarmUp | None = None):
        self.spec = spec
        self.warm = warm
        self._stack = ExitStack()
        self._pool: Executor | None = None
        self._client: Any = None
        self._workers = spec.worker_count  # at most 4 tasks each in flight
        self._joining = False  # our own Dask cluster's workers may not have joined yet
        self._starter: threading.Thread | None = None

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
            pool = self._new_pool()
            # each start waits for the fork server's imports: in a thread, not in the caller
            self._starter = threading.Thread(
                target=_start_processes, args=(pool, self.spec.worker_count), daemon=True
            )
            self._starter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._starter is not None:
            self._starter.join()
        if self._pool is not None and self.spec.kind == "local":
            self._pool.shutdown(cancel_futures=True)
        self._stack.close()

    def _start_dask(self) -> None:
        if self.spec.scheduler is None:  # our own workers' fork server imports while we do
            worker_context(("distributed", *(self.warm.modules if self.warm else ())))
        from optimizer.execute.cluster import connect

        self._client, workers, own = connect(self.spec, self._stack, self.warm)
        self._pool = self._client.get_executor(pure=False)
        self._workers = workers
        self._joining = own

    def _new_pool(self) -> Executor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(
            self.spec.worker_count,
            mp_context=worker_context(self.warm.modules if self.warm else ()),
            initializer=start_local_worker,
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
                result = guarded(call, i, x)
                if progress is not None:
                    progress(1)
                yield result
            return
        if self._joining:  # our own cluster's workers: all in (a scatter reaches them all)
            from optimizer.execute.cluster import wait_for_workers

            wait_for_workers(self._client, self._workers)
            self._joining = False
        ref: Any = None
        if shared is not None and self._client is not None:
            ref = self._client.scatter(shared, broadcast=True, hash=False)
        elif shared is not None:  # pickled once; a worker unpickles it only on first use
            ref = (shared.token, pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL))

        def submit(i: int) -> Future[TaskResult[R]]:
            assert self._pool is not None
            if ref is None:
                return self._pool.submit(guarded, fn, i, inputs[i])
            return self._pool.submit(guarded_shared, fn, ref, i, inputs[i])

        restart = self._new_pool if self.spec.kind == "local" else None
        yield from _ordered(submit, restart, 4 * self._workers, len(inputs), progress)


def run_tasks(
    fn: Callable[..., R],
    inputs: Sequence[T],
    *,
    executor: ExecutorSpec = LOCAL_POOL,
    shared: Shared[Any, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    warm: WarmUp | None = None,
) -> Iterator[TaskResult[R]]:
    """``fn(x)`` — or ``fn(state, x)`` with ``shared`` — for each input, in input order.

    ``fn`` must be importable by name (a module-level function) and its inputs
    and results picklable. ``progress(1)`` is called as each task finishes.
    At most a few tasks per worker are in flight, so a long input list is
    not all shipped at once. Workers start for this run (warmed by ``warm``, e.g.
    ``WarmUp((fn.__module__,))`` for a module that starts no thread as it is
    imported) and stop after it (:class:`TaskRunner` shares them between runs); one
    input, or one local worker, runs in this process.
    """
    if not inputs:
        return
    if executor.kind == "local" and len(inputs) == 1:
        executor = IN_PROCESS
    with TaskRunner(executor, warm=warm) as runner:
        yield from runner.run(fn, inputs, shared=shared, progress=progress)


def _start_processes(pool: Executor, count: int) -> None:
    """Start every process of a local pool (one no-op task each), not waiting for them."""
    for _ in range(count):
        with suppress(RuntimeError):  # the run ended (pool shut down) before they started
            pool.submit(ready)


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
                done[i] = TaskResult(i, None, reason(exc))
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
