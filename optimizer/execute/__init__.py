"""One execution layer for independent tasks: sweep points, simulation trials, quote batches.

``run_tasks(fn, inputs, executor=...)`` calls ``fn(input)`` for every input and
yields one :class:`TaskResult` per input, **in input order** (never completion
order), so whatever runs the tasks — this process, a local process pool or a
Dask cluster — and however many workers it has, the results are the same.

Why these choices (see DESIGN.md §9):

- *A failed task is a result*: ``fn`` raising gives a result carrying the
  reason; one bad point never aborts a sweep of hundreds.
- *A killed worker loses nothing*: Dask reschedules its tasks on the other
  workers; the local pool is restarted and the tasks in flight resubmitted
  (a task whose worker dies twice is a failed result).
- *Inputs, not solver objects*: OR-Tools models do not pickle; tasks receive
  plain inputs and build their own models.
- *Workers start in the background, forked from a fork server that imported
  what they need once*; one native thread each; tuned for tasks (see
  :mod:`optimizer.execute.workers`).

Modules: ``records`` (what goes in and out), ``runner`` (where tasks run, results
in order), ``workers`` (the worker processes' side), ``cluster`` (Dask, imported
only when asked for).
"""

from optimizer.execute.records import (
    EXECUTORS,
    IN_PROCESS,
    ExecutorKind,
    ExecutorSpec,
    Shared,
    TaskResult,
    WarmUp,
    task_seed,
)
from optimizer.execute.runner import TaskRunner, run_tasks

__all__ = [
    "EXECUTORS",
    "IN_PROCESS",
    "ExecutorKind",
    "ExecutorSpec",
    "Shared",
    "TaskResult",
    "TaskRunner",
    "WarmUp",
    "run_tasks",
    "task_seed",
]
