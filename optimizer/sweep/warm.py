"""What a sweep's workers do before their first point: import the solver and pyplot.

A module of its own, importing nothing heavy, so that ``xborder sweep`` can start its
workers (which then import while the client reads the scenario and writes the points)
before the client itself imports pandas, the scenario reader or the solver.
"""

from __future__ import annotations

import importlib

#: What a worker imports before its first point (matplotlib: the plots are drawn on workers).
WARM_MODULES = (
    "optimizer.plan.writers",
    "optimizer.scenario.load",
    "optimizer.solve.optimize",
    "matplotlib.pyplot",
)


def warm_solver() -> None:
    """In a worker, while the client writes the points: import what points and plots need."""
    import matplotlib

    matplotlib.use("Agg")
    for module in WARM_MODULES:
        importlib.import_module(module)
