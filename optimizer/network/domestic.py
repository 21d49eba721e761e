"""Domestic flows: an origin and a market in one customs territory.

xborder plans and quotes cross-border flows (DESIGN.md §2: 9610, 1210, 9810,
9710). A flow that stays inside one customs territory imports nothing, so
none of those patterns, customs rules or duties applies; until domestic lanes
are priced, every reader refuses such a flow (exit 2) instead of pricing it as
an import — the quote CLI and batch, and scenario demands.
"""

from __future__ import annotations

from optimizer.network.records import Network


def domestic_problem(network: Network, origin: str, market: str) -> tuple[str, str] | None:
    """``(message, expected)`` when ``origin`` and ``market`` share a customs territory.

    Such a flow is domestic: no cross-border pattern (9610, 1210, 9810) applies,
    nothing is imported, and no route may leave the territory and come back to
    reach the market. Domestic lanes are not priced yet, so the flow is refused
    rather than quoted as an import.
    """
    here = network.territory_of(origin)
    if here != network.territory_of(market):
        return None
    return (
        f"is in customs territory {here}, like the origin {origin}: a domestic flow, "
        "which xborder does not price yet (it plans and quotes cross-border flows only)",
        f"a market outside customs territory {here}",
    )
