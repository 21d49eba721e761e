"""Well-to-wheel CO2e of moving goods (``domain/facts.md`` §6).

Mass basis is the actual gross weight, never the chargeable weight: a bulky,
light parcel is billed by volume but burns fuel by mass (GLEC / ISO 14083).
"""

from __future__ import annotations


def co2e_kg(weight_kg: float, distance_km: float, factor_kg_per_tkm: float) -> float:
    """kg CO2e = tonnes × km × factor (kg CO2e per tonne-km, well-to-wheel)."""
    return weight_kg / 1000.0 * distance_km * factor_kg_per_tkm
