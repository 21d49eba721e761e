"""The worker side of the execution layer: how worker processes start, warm up, run and end.

- *Forked from a fork server, else spawned*: where the platform has one (Linux,
  macOS), workers are forks of a fork server, a fresh process (started, not forked,
  from this one) that imports the run's :class:`WarmUp` modules once and runs no
  task, so no thread or solver state is copied into a worker. K workers then pay the
  imports once instead of K times. Never a plain fork of the calling process: a
  child of a process that has run OR-Tools (abseil threads) can hang. Elsewhere
  workers are spawned and import for themselves.
- *One thread per task*: native thread pools (BLAS, OpenMP) are capped at one
  before anything in a worker imports numpy (the solvers already run one thread),
  so K workers use K cores and not K × cores.
- *Workers we start are tuned for tasks*: once warm, a worker moves the objects it
  holds (imported modules and libraries) out of the cyclic garbage collector's
  reach (``gc.freeze()``), so its collections scan only what its tasks create (a
  sweep point's CPU time -3 % on a local worker, -6 % on a Dask worker, which holds
  many more objects); and at its end it skips the interpreter's teardown
  (``exit_now``: 0.3-0.5 s with the solver, pandas and matplotlib imported, which a
  run waited for), having nothing left to clean up (results sent, temporary folders
  gone). Workers of a scheduler given by address are left as they are.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import logging
import multiprocessing
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from optimizer.execute.records import Shared, TaskResult, WarmUp

T = TypeVar("T")
R = TypeVar("R")

#: Environment variables that cap native thread pools in a worker process.
THREAD_CAPS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: The state of the current run's :class:`Shared`, in a worker process: {token: state}.
#: Not a cache: it holds one run's state (replaced when another run's token arrives), the
#: way a worker keeps what its tasks share (Dask keeps scattered data the same way).
_PROCESS_STATE: dict[str, Any] = {}


def start_method() -> str:
    """``forkserver`` where the platform has it, else ``spawn`` (see the module's docstring)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def worker_context(preload: Sequence[str]) -> BaseContext:
    """The context worker processes start from; starts its fork server, importing ``preload``.

    Starting the server does not wait for its imports (a worker's start does), so the
    caller prepares its tasks meanwhile. The fork server is one per process: it keeps
    the modules of its first start, and a later run's other modules are imported by
    that run's workers.
    """
    method = start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        from multiprocessing import forkserver

        context.set_forkserver_preload(list(preload))
        with _thread_caps_in_environ():  # the server imports numpy: capped before it does
            forkserver.ensure_running()
    return context


@contextmanager
def _thread_caps_in_environ() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in THREAD_CAPS}
    os.environ.update(dict.fromkeys(THREAD_CAPS, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cap_threads() -> None:
    """In a local worker: one native thread per pool (solvers already use one)."""
    for name in THREAD_CAPS:
        os.environ[name] = "1"


def start_local_worker(warm: WarmUp | None) -> None:
    """A local worker's initializer: one native thread, the warm-up, frozen, a quick exit."""
    cap_threads()
    warm_up(warm)
    own_worker()


def start_dask_worker(warm: WarmUp | None, own: bool) -> None:
    """On a Dask worker, first: the warm-up; frozen and a quick exit if the run started it."""
    warm_up(warm)
    if own:
        own_worker()


def warm_up(warm: WarmUp | None) -> None:
    """In a worker, once, before its first task: the modules (if not preloaded), then setup.

    Best effort: a warm-up that fails is ignored, and the tasks report the real error.
    """
    if warm is None:
        return
    with suppress(Exception):  # the first task meets (and reports) the same problem
        for name in warm.modules:
            importlib.import_module(name)
        if warm.setup is not None:
            warm.setup()


def own_worker() -> None:
    """In a worker the run started, once warm: freeze what it holds, end without teardown."""
    gc.freeze()
    atexit.register(exit_now)


def exit_now() -> None:
    """At a worker process's exit (registered last, so run first): end it without teardown.

    Logging handlers and the standard streams are flushed first; nothing else in a
    worker holds data (its results went back, its temporary folders are removed).
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(0)


def ready() -> None:
    """A task that does nothing: submitted once per worker to start the pool's processes."""


def guarded(fn: Callable[[T], R], index: int, x: T) -> TaskResult[R]:
    """Run one task; an exception becomes a failed result with its reason."""
    try:
        return TaskResult(index, fn(x))
    except Exception as exc:
        return TaskResult(index, None, reason(exc))


def guarded_shared(
    fn: Callable[..., R], shared: Shared[Any, Any] | tuple[str, bytes], index: int, x: Any
) -> TaskResult[R]:
    """Run one task with the run's shared state (built here on first use)."""
    try:
        return TaskResult(index, fn(_state(shared), x))
    except Exception as exc:
        return TaskResult(index, None, reason(exc))


def reason(exc: BaseException) -> str:
    """A failed task's reason: the exception's type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


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
