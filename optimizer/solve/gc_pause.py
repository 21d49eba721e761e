"""Pause Python's cyclic garbage collector while a stage allocates many lasting objects.

Why: evaluation and model build create hundreds of thousands of small records
(options, tuples, rows) that live until the plan is written. Each time the
allocation count passes the collector's threshold, CPython walks the tracked
objects; the older generations grow with the run, so the collections cost more
the larger the scenario. On the generated 2,000-demand case that was about a
quarter of the evaluation stage and half the model build (docs/scale.md). These
stages make (almost) no reference cycles, so nothing is lost by collecting once
afterwards instead. The previous state is restored on exit, also when the
collector was already off (nesting is safe).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the ``with`` block with the cyclic collector off; restore it afterwards."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def gc_paused(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``fn`` inside :func:`paused_gc`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused_gc():
            return fn(*args, **kwargs)

    return wrapper
