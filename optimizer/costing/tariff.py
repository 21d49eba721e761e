"""Freight prices of one lane for one shipment: chargeable weight, tariff rules, surcharges.

The optimizer, ``xborder quote`` and the simulator all price lanes here, so a
price is computed one way only. Amounts are returned in US dollars (tariffs are
converted with :meth:`Network.to_usd`); weights are kg, volumes m³.

Rules (``networks/README.md``, *Tariffs*; ``domain/facts.md`` §5):

- chargeable weight = max(actual, volume / divisor), divisor in cm³/kg
  (express 5000, air 6000, road/rail 3000, weight-or-measure 1000);
- ``per_parcel``: per piece, first weight + ceil(excess / step) × step price;
- ``per_kg``: rate of the highest weight break at or below the chargeable
  weight (``price_per_kg`` below the first break) × chargeable kg;
- ``per_wm``: revenue tons = max(kg, volumetric kg) / 1000 × price per revenue ton;
- ``per_container``: ceil(max(kg / payload, m³ / volume)) containers × price;
- every basis: at least ``minimum_charge``; fuel surcharge % on freight;
  ``handling_per_shipment`` once (per container for ``per_container``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer.network.records import Network, Tariff, TariffBasis

#: Weight-or-measure: one revenue ton is 1,000 kg or 1 m³ (1 m³ = 1,000 kg at 1000 cm³/kg).
WM_DIVISOR_CM3_PER_KG = 1000.0
#: Tolerance for rounding up weight steps and container counts (kg or containers):
#: 2.0000000001 steps must not become 3 because of floating-point noise.
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class LegCharge:
    """What one lane charges for one shipment, in USD.

    ``ok`` is False when the service cannot carry the shipment (``reason`` says
    why); money fields are then zero.
    """

    freight_usd: float
    fuel_usd: float
    handling_usd: float
    chargeable_kg: float
    rule: str  # "actual" | "volumetric" (which weight set the price)
    containers: int = 0
    ok: bool = True
    reason: str = ""

    @property
    def total(self) -> float:
        return self.freight_usd + self.fuel_usd + self.handling_usd


def refused(reason: str) -> LegCharge:
    """A charge for a shipment the lane cannot carry."""
    return LegCharge(0.0, 0.0, 0.0, 0.0, "", ok=False, reason=reason)


def chargeable_weight(
    weight_kg: float, volume_m3: float, divisor_cm3_per_kg: float | None
) -> tuple[float, str]:
    """Return ``(kg, rule)``: the weight a carrier bills and which weight set it.

    Volumetric kg = volume_m3 × 1e6 / divisor. With no divisor the actual weight
    is billed. Ties go to "actual".
    """
    if divisor_cm3_per_kg is None:
        return weight_kg, "actual"
    volumetric = volume_m3 * 1e6 / divisor_cm3_per_kg
    if volumetric > weight_kg:
        return volumetric, "volumetric"
    return weight_kg, "actual"


def steps_up(excess: float, step: float) -> int:
    """Number of ``step`` units needed to cover ``excess`` (0 if none), robust to float noise."""
    if excess <= _EPS:
        return 0
    return math.ceil(excess / step - _EPS)


def break_rate(tariff: Tariff, chargeable_kg: float) -> float:
    """Rate per kg for a per_kg tariff: the highest break ≤ chargeable kg, else ``price_per_kg``.

    Below every break with no base rate, the first break's rate is used (a
    carrier quoting only from 45 kg bills lighter freight at that rate, subject
    to the minimum charge).
    """
    rate = tariff.price_per_kg
    for brk in sorted(tariff.breaks, key=lambda b: b.min_chargeable_kg):
        if brk.min_chargeable_kg <= chargeable_kg + _EPS:
            rate = brk.price_per_kg
    if rate is None:
        if not tariff.breaks:
            raise ValueError(f"tariff {tariff.id}: per_kg without price_per_kg or breaks")
        rate = min(tariff.breaks, key=lambda b: b.min_chargeable_kg).price_per_kg
    return rate


def container_count(tariff: Tariff, weight_kg: float, volume_m3: float) -> int:
    """Containers (or vehicles) needed for the load: at least one, by weight or volume."""
    need = 0.0
    if tariff.container_capacity_kg:
        need = max(need, weight_kg / tariff.container_capacity_kg)
    if tariff.container_capacity_m3:
        need = max(need, volume_m3 / tariff.container_capacity_m3)
    return max(1, math.ceil(need - _EPS))


def price_shipment(
    tariff: Tariff,
    network: Network,
    *,
    weight_kg: float,
    volume_m3: float,
    pieces: int = 1,
) -> LegCharge:
    """Price a shipment of ``pieces`` equal pieces on ``tariff``; all money in USD.

    Parameters
    ----------
    weight_kg, volume_m3
        Totals of the shipment (actual gross weight, outer volume).
    pieces
        Number of equal pieces; per-parcel tariffs and ``max_piece_kg`` apply per piece.
    """
    piece_kg = weight_kg / pieces
    if tariff.max_piece_kg is not None and piece_kg > tariff.max_piece_kg + _EPS:
        return refused(
            f"piece of {piece_kg:g} kg over the {tariff.max_piece_kg:g} kg limit of {tariff.id}"
        )
    containers = 0
    handling = tariff.handling_per_shipment
    if tariff.basis is TariffBasis.PER_PARCEL:
        kg, rule = chargeable_weight(
            piece_kg, volume_m3 / pieces, tariff.volumetric_divisor_cm3_per_kg
        )
        freight = pieces * _parcel_price(tariff, kg)
        kg *= pieces
    elif tariff.basis is TariffBasis.PER_KG:
        kg, rule = chargeable_weight(weight_kg, volume_m3, tariff.volumetric_divisor_cm3_per_kg)
        freight = break_rate(tariff, kg) * kg
    elif tariff.basis is TariffBasis.PER_WM:
        divisor = tariff.volumetric_divisor_cm3_per_kg or WM_DIVISOR_CM3_PER_KG
        kg, rule = chargeable_weight(weight_kg, volume_m3, divisor)
        freight = kg / 1000.0 * _require(tariff.price_per_kg, tariff, "price_per_kg")
    else:
        containers = container_count(tariff, weight_kg, volume_m3)
        kg, rule = weight_kg, "actual"
        freight = containers * _require(tariff.container_price, tariff, "container_price")
        handling *= containers
    freight = max(freight, tariff.minimum_charge)
    fuel = freight * tariff.fuel_surcharge_pct / 100.0
    usd = network.to_usd(1.0, tariff.currency)
    return LegCharge(freight * usd, fuel * usd, handling * usd, kg, rule, containers)


def _parcel_price(tariff: Tariff, chargeable_piece_kg: float) -> float:
    first_kg = tariff.first_weight_kg or 0.0
    price = _require(tariff.first_weight_price, tariff, "first_weight_price")
    excess = chargeable_piece_kg - first_kg
    if excess > _EPS:
        step = _require(tariff.additional_step_kg, tariff, "additional_step_kg")
        step_price = _require(tariff.additional_step_price, tariff, "additional_step_price")
        price += steps_up(excess, step) * step_price
    return price


def _require(value: float | None, tariff: Tariff, name: str) -> float:
    if value is None:
        raise ValueError(f"tariff {tariff.id} ({tariff.basis}) has no {name}")
    return value


def marginal_rate_per_kg(
    tariff: Tariff,
    network: Network,
    *,
    density_kg_per_m3: float,
    volume_kg: float | None = None,
) -> float:
    """USD per kg of actual weight for stock moved in bulk on a per_kg, per_wm or per_parcel lane.

    This is the linear cost the optimizer puts on a lane (and a quote allocates
    to one order moved through stock): the rate of the weight break that
    ``volume_kg`` of chargeable weight reaches (default: the highest break,
    i.e. consolidated freight), scaled up when volume, not weight, is billed,
    plus fuel. Minimum and per-shipment handling charges are fixed costs and
    left out. For per_parcel tariffs it is the additional-step rate.

    Parameters
    ----------
    density_kg_per_m3
        Density of the goods; below ``1e6 / divisor`` the volumetric weight is billed.
    volume_kg
        Chargeable kg per shipment used to pick the weight break (None = best break).
    """
    if tariff.basis is TariffBasis.PER_CONTAINER:
        raise ValueError(f"tariff {tariff.id} is per_container: use container_cost_usd")
    divisor = tariff.volumetric_divisor_cm3_per_kg
    if tariff.basis is TariffBasis.PER_WM:
        divisor = divisor or WM_DIVISOR_CM3_PER_KG
    ratio = 1.0
    if divisor is not None and density_kg_per_m3 > 0:
        ratio = max(1.0, 1e6 / divisor / density_kg_per_m3)  # chargeable kg per actual kg
    if tariff.basis is TariffBasis.PER_KG:
        kg = math.inf if volume_kg is None else volume_kg
        rate = break_rate(tariff, kg)
    elif tariff.basis is TariffBasis.PER_WM:
        rate = _require(tariff.price_per_kg, tariff, "price_per_kg") / 1000.0
    else:
        step_price = _require(tariff.additional_step_price, tariff, "additional_step_price")
        rate = step_price / _require(tariff.additional_step_kg, tariff, "additional_step_kg")
    per_kg = rate * ratio * (1.0 + tariff.fuel_surcharge_pct / 100.0)
    return network.to_usd(per_kg, tariff.currency)


def container_cost_usd(tariff: Tariff, network: Network) -> float:
    """USD per container or vehicle on a per_container lane: price × (1 + fuel) + handling."""
    price = _require(tariff.container_price, tariff, "container_price")
    total = price * (1.0 + tariff.fuel_surcharge_pct / 100.0) + tariff.handling_per_shipment
    return network.to_usd(total, tariff.currency)
