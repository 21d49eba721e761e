"""Simulation settings: the scenario's ``simulation:`` section, checked against the plan's network.

The scenario reader parses and range-checks the section with the rest of the
scenario (:data:`optimizer.scenario.reader.SIMULATION`), so every command that
reads a scenario rejects a bad one. What only the simulation can check is
here: disruption targets must exist in the network the plan runs on (after
the scenario's what-ifs), with "did you mean" hints.
"""

from __future__ import annotations

from optimizer.errors import raise_if_any
from optimizer.network.records import Network
from optimizer.scenario.reader import SIMULATION_SECTIONS, simulation_problems
from optimizer.scenario.records import NOISES, STOCKOUTS, Disruption, Scenario, SimConfig

__all__ = ["NOISES", "STOCKOUTS", "Disruption", "SimConfig", "config_markdown", "read_config"]


def read_config(scenario: Scenario, network: Network) -> SimConfig:
    """The scenario's simulation settings, once its disruption targets resolve in ``network``.

    Raises :class:`~optimizer.errors.InputError` naming the field of every
    disruption whose lane, node or corridor ``network`` does not have.
    """
    raise_if_any(simulation_problems(scenario, network, after_what_if=True))
    return scenario.simulation


def config_markdown() -> str:
    """The ``simulation:`` section as markdown tables (for docs/simulate.md)."""
    from optimizer.fields import markdown_table

    return "\n".join(markdown_table(name, specs) for name, specs in SIMULATION_SECTIONS.items())
