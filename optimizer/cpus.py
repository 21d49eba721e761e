"""How many CPUs this process may use: the default for every parallel step."""

from __future__ import annotations

import os


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, e.g. under ``taskset``), at least 1.

    Why not ``os.cpu_count()``: a process pinned to one core of a larger machine would start
    workers that only compete for that core.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
