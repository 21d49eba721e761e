"""Prices, customs, lead time and CO2e: the one place every stage computes them.

- :mod:`.tariff` — chargeable weight and the price of a lane for a shipment;
- :mod:`.customs` — duties, taxes and fees under the dated customs rules;
- :mod:`.leadtime` — lead-time distributions (P50/P90) and stochastic dominance;
- :mod:`.emissions` — well-to-wheel CO2e.
"""

from optimizer.costing.customs import CustomsCharge, assess
from optimizer.costing.emissions import co2e_kg
from optimizer.costing.leadtime import LeadTime, dominates, lognormal_params
from optimizer.costing.tariff import (
    LegCharge,
    chargeable_weight,
    container_cost_usd,
    marginal_rate_per_kg,
    price_shipment,
)

__all__ = [
    "CustomsCharge",
    "LeadTime",
    "LegCharge",
    "assess",
    "chargeable_weight",
    "co2e_kg",
    "container_cost_usd",
    "dominates",
    "lognormal_params",
    "marginal_rate_per_kg",
    "price_shipment",
]
