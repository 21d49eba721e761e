"""Well-to-wheel CO2e of moving goods (``domain/facts.md`` §6).

Mass basis is the actual gross weight, never the chargeable weight: a bulky,
light parcel is billed by volume but burns fuel by mass (GLEC / ISO 14083).
"""

from __future__ import annotations


def co2e_kg(weight_kg: float, distance_km: float, factor_kg_per_tkm: float) -> float:
    """kg CO2e = tonnes × km × factor (kg CO2e per tonne-km, well-to-wheel)."""
    return weight_kg / 1000.0 * distance_km * factor_kg_per_tkm


def route_co2e_kg(weight_kg: float, legs: tuple[tuple[float, float], ...]) -> float:
    """:func:`co2e_kg` summed over a route's ``(distance_km, factor)`` legs, in leg order.

    The same products added in the same order (so the same float), without a call
    per leg: the optimizer evaluates this for every demand and candidate route.
    """
    t = weight_kg / 1000.0
    return sum([t * km * factor for km, factor in legs])
