"""Monte Carlo simulation of a plan: on-time rate, lead-time and cost risk, CI gates.

``simulate(plan, scenario, network, config)`` compiles the plan's allocations
into timed paths (:mod:`.routes`), runs ``config.trials`` trials of
``config.horizon_weeks`` weeks order by order on numpy arrays (:mod:`.engine`)
and returns per-demand and overall metrics (:mod:`.results`). The model is
documented in docs/simulate.md.
"""

from __future__ import annotations

from collections.abc import Callable

from optimizer.execute import IN_PROCESS, ExecutorSpec
from optimizer.network.records import Network
from optimizer.plan.records import Plan
from optimizer.scenario.records import Scenario
from optimizer.simulate.config import Disruption, SimConfig, read_config
from optimizer.simulate.engine import simulate_models
from optimizer.simulate.results import SimResult, summarize, to_dict
from optimizer.simulate.routes import compile_plan

__all__ = ["Disruption", "SimConfig", "SimResult", "read_config", "simulate", "to_dict"]


def simulate(
    plan: Plan,
    scenario: Scenario,
    network: Network,
    config: SimConfig,
    *,
    executor: ExecutorSpec = IN_PROCESS,
    progress: Callable[[int], None] | None = None,
) -> SimResult:
    """Simulate ``plan`` (scenario money in USD, the what-if network) under ``config``.

    Chunks of trials run where ``executor`` says; the result does not depend on it.
    """
    models = compile_plan(plan, scenario, network)
    raw = simulate_models(models, scenario, network, config, executor=executor, progress=progress)
    return summarize(
        raw,
        scenario=scenario.name,
        currency=scenario.currency,
        per_usd=network.from_usd(1.0, scenario.currency),
    )
