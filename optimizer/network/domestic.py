"""Domestic flows: an origin and a market in one customs territory.

xborder plans and quotes cross-border flows (DESIGN.md §2: 9610, 1210, 9810,
9710) and domestic ones. A flow that stays inside one customs territory imports
nothing, so none of the cross-border patterns, customs rules or duties applies:
it uses the ``domestic`` pattern only — parcel-carrying lanes that never leave
the territory (``routes/candidates.py``), no customs node, no duty, no import VAT,
no clearance fee. A cross-border flow never uses ``domestic``. Which patterns
apply to a pair is decided here, once, for the optimizer, the quote and the readers.
"""

from __future__ import annotations

from collections.abc import Iterable

from optimizer.network.records import Network
from optimizer.scenario.records import Pattern


def is_domestic(network: Network, origin: str, market: str) -> bool:
    """Whether ``origin`` and ``market`` are in one customs territory."""
    return network.territory_of(origin) == network.territory_of(market)


def flow_patterns(
    network: Network, origin: str, market: str, patterns: Iterable[Pattern]
) -> tuple[Pattern, ...]:
    """The patterns of ``patterns`` that apply to the pair: ``domestic`` alone for a
    domestic pair, every other one for a cross-border pair (order kept)."""
    domestic = is_domestic(network, origin, market)
    return tuple(p for p in patterns if (p is Pattern.DOMESTIC) is domestic)


def pattern_problem(
    network: Network, origin: str, market: str, patterns: Iterable[Pattern]
) -> tuple[str, str] | None:
    """``(message, expected)`` when none of ``patterns`` applies to the pair, else None.

    A domestic pair (one customs territory) takes only ``domestic``; a cross-border
    pair never does.
    """
    chosen = tuple(patterns)
    if flow_patterns(network, origin, market, chosen):
        return None
    here, there = network.territory_of(origin), network.territory_of(market)
    names = ", ".join(p.value for p in chosen)
    if here == there:
        return (
            f"{names} cannot serve a domestic flow ({origin} and {market} are both in "
            f"customs territory {here})",
            "pattern domestic",
        )
    return (
        f"{names} cannot serve a cross-border flow ({origin} in {here}, {market} in {there})",
        "a cross-border pattern (" + ", ".join(p.value for p in Pattern if p.clears_customs) + ")",
    )
