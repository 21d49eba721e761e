"""Customs of the flows that are not one retail import: domestic, and CBEC past its annual limit.

* A **domestic** flow (origin and market in one customs territory) imports
  nothing: no duty, no import VAT, no clearance fee, no customs node
  (:data:`DOMESTIC_CHARGE`). Its VAT is the seller's ordinary domestic sales tax,
  outside a landed-cost model, like a retailer's own margin.
* **China CBEC annual limit.** A consumer may buy at most RMB 26,000 a year
  through the CBEC retail channels (9610 parcels, 1210 bonded release;
  ``domain/facts.md`` §2, Caiguanshui [2018] No. 49); orders beyond it go through
  general trade, a normal import with full duty and VAT + consumption tax. A plan
  cannot see buyers' annual totals, so the scenario gives the share ``s`` of
  orders past the limit (``options.cbec_over_limit_share``, default 0) and a CBEC
  route is priced as ``(1 − s) × CBEC + s × general trade``: the cost moves by
  exactly ``s × (general − CBEC)`` (:func:`blend_general_trade`).
"""

from __future__ import annotations

from optimizer.costing.customs import CN, CustomsCharge
from optimizer.network.records import Channel, Network
from optimizer.scenario.records import Pattern

#: What a domestic flow pays at customs: nothing, and it is not a customs treatment.
DOMESTIC_CHARGE = CustomsCharge(0.0, 0.0, 0.0, "", "domestic: no customs", False)


def cbec_channel(network: Network, market_country: str, pattern: Pattern) -> bool:
    """Whether ``pattern`` into ``market_country`` is a China CBEC retail import (9610/1210)."""
    return (
        pattern.clears_customs
        and network.country_by_code[market_country].territory == CN
        and pattern.channel in (Channel.PARCEL, Channel.BONDED)
    )


def blend_general_trade(cbec: CustomsCharge, general: CustomsCharge, share: float) -> CustomsCharge:
    """``cbec`` with ``share`` of the orders priced as ``general`` trade instead.

    Duty, tax and fee are each the weighted mean; the treatment names both.
    ``general`` is a normal import (the commercial channel), which never refuses.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share {share} outside [0, 1]")

    def mix(a: float, b: float) -> float:
        return (1.0 - share) * a + share * b

    text = (
        f"{cbec.treatment}; {share:.4g} of orders past the CNY 26,000 annual limit "
        f"as general trade ({general.treatment})"
    )
    return CustomsCharge(
        mix(cbec.duty_usd, general.duty_usd),
        mix(cbec.tax_usd, general.tax_usd),
        mix(cbec.fee_usd, general.fee_usd),
        cbec.rule_id,
        text,
        cbec.within_threshold,
        cbec.tax_at_border,
        fee_assumption=cbec.fee_assumption or general.fee_assumption,
    )
