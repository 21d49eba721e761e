"""The execution layer's records: where tasks run, what a worker prepares, what a task gives."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from optimizer.cpus import usable_cpus

R = TypeVar("R")
P = TypeVar("P")
S = TypeVar("S")

ExecutorKind = Literal["local", "dask"]
EXECUTORS: tuple[ExecutorKind, ...] = ("local", "dask")


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
class WarmUp:
    """What a worker does once, before its first task: import ``modules``, then ``setup()``.

    Why: a worker's first task would otherwise pay the imports (about a second with
    the solver and matplotlib). Where workers are forked from a fork server (Linux,
    macOS), the server imports ``modules`` once and every worker starts with them
    loaded, so K workers pay them once, not K times. ``setup`` (a module-level
    function of no argument, or None) runs in each worker after the imports.
    The modules must start no thread as they are imported (workers are forks of the
    process that imported them): the solver and matplotlib do not; pandas does
    (pyarrow's), so a task needing pandas imports it itself.
    """

    modules: tuple[str, ...] = ()
    setup: Callable[[], Any] | None = None

    def __post_init__(self) -> None:
        for name in self.modules:
            if not name or not all(part.isidentifier() for part in name.split(".")):
                raise ValueError(f"not a module name: {name!r}")


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
