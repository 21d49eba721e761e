"""What a sweep's workers do before their first point: import the solver and pyplot.

A module of its own, importing nothing heavy, so that ``xborder sweep`` can start its
workers (which then import while the client reads the scenario and writes the points)
before the client itself imports pandas, the scenario reader or the solver.
"""

from __future__ import annotations

from optimizer.execute import WarmUp


def use_agg() -> None:
    """In a worker: matplotlib draws into files (no display), whichever plot comes first."""
    import matplotlib

    matplotlib.use("Agg")


#: A sweep worker, before its first point: the solver, the plan writers and pyplot (the
#: plots are drawn on workers), imported once by the fork server where there is one.
SWEEP_WORKER = WarmUp(
    (
        "matplotlib",
        "optimizer.plan.writers",
        "optimizer.scenario.load",
        "optimizer.solve.optimize",
        "optimizer.sweep.plots",
        "optimizer.sweep.run",
        "matplotlib.pyplot",
    ),
    use_agg,
)
