"""Import duties, taxes and fees of one consignment under the dated customs rules.

One function, :func:`assess`, used by the optimizer, the quote and the simulator.
The rule in force on the ship date for (territory, channel, origin) decides
whether the low-value treatment applies (``domain/facts.md`` §2–3):

- no rule: a normal import, full duty rate and VAT/GST at the border;
- value at or below the rule's threshold: duty per ``duty_below`` (exempt, the
  category rate × ``duty_factor``, or a flat amount per item) and tax per
  ``tax_below`` (exempt, at the border, or charged by the seller at sale), each
  on (customs value + duty) × ``tax_factor``;
- above the threshold (or threshold 0 = no relief): full duty and tax at the border.

China (territory ``CN``) taxes imports with the comprehensive formula
(VAT + consumption tax) / (1 − consumption tax), so the CBEC retail rate is
(0.13 + 0) / 1 × 0.7 = 9.1 %, or 23.1 % for cosmetics with 15 % consumption tax.
Its CBEC channels also carry hard limits: a multi-item order above RMB 5,000, or
any order above the RMB 26,000 annual allowance, must go through general trade.

The threshold is compared with the declared goods value (intrinsic value,
freight excluded) converted to the rule's currency; duties are levied on the
customs value, which adds the freight when the destination values CIF.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from optimizer.costing.layers import category_duty, trade_channel
from optimizer.network.records import Channel, CustomsRule, DutyBelow, Mode, Network, TaxBelow

#: Customs territory whose import tax uses the comprehensive VAT + consumption tax formula.
CN = "CN"
#: China CBEC retail import: annual allowance per person (RMB) — one order may not exceed it.
CN_CBEC_ANNUAL_LIMIT_CNY = 26_000.0


@dataclass(frozen=True, slots=True)
class CustomsCharge:
    """Duties, taxes and fees of one consignment, in USD, and the treatment that produced them.

    ``tax_at_border`` is False when the VAT/GST is charged by the seller at sale
    (IOSS, UK ≤ £135, AU low-value GST): still part of the landed cost, but not
    collected by the carrier. ``ok`` is False when the channel cannot take the
    consignment at all (``reason`` says why).
    """

    duty_usd: float
    tax_usd: float
    fee_usd: float
    rule_id: str
    treatment: str
    within_threshold: bool
    tax_at_border: bool = True
    ok: bool = True
    reason: str = ""
    #: Assumption the fee rests on (``customs_rules.fee_assumption``; "" = none or no fee).
    fee_assumption: str = ""

    @property
    def total(self) -> float:
        return self.duty_usd + self.tax_usd + self.fee_usd


def tax_rate(network: Network, dest_country: str, category: str) -> float:
    """Full import tax rate on (customs value + duty) for ``category`` in ``dest_country``."""
    country = network.country_by_code[dest_country]
    vat = country.import_vat_rate
    if country.territory != CN:
        return vat
    consumption = network.category_by_id[category].consumption_tax_rate_cn
    return (vat + consumption) / (1.0 - consumption)


def assess(
    network: Network,
    *,
    dest_country: str,
    channel: Channel,
    origin_country: str,
    category: str,
    value_usd: float,
    freight_usd: float,
    items: int = 1,
    day: dt.date,
    hs_code: str | None = None,
    mode: Mode | None = None,
) -> CustomsCharge:
    """Duties, taxes and fees for importing goods worth ``value_usd`` into ``dest_country``.

    Parameters
    ----------
    channel
        parcel (direct-package, 9610), bonded (per-order release, 1210) or
        commercial (bulk import into an overseas warehouse, 9810/9710).
    freight_usd
        International freight up to the import point; added to the customs
        value where the destination values CIF.
    items
        Items (tariff lines) in the consignment, for flat per-item duties.
    day
        Ship date: selects the rule in force.
    hs_code
        The goods' HS code (digits, 2 to 10) priced through the tariff layers; None:
        the category's representative code (``categories.csv`` ``hs_code``).
    mode
        Mode of the lane that carries the goods into the territory: a parcel
        carried by ``postal`` clears as a postal item (the layers' ``postal``
        channel, e.g. the US postal duty methods of 2025-2026), any other as
        ``express``. None: ``express``.
    """
    country = network.country_by_code[dest_country]
    territory = country.territory
    rule = network.customs_rule(territory, channel, origin_country, day)
    customs_value = value_usd + (freight_usd if country.valuation == "cif" else 0.0)
    duty_rate = network.duty_rate(category, territory, origin_country)
    full_tax = tax_rate(network, dest_country, category)
    layered = category_duty(  # tariff layers, when the network has them for the territory
        network,
        dest_country=dest_country,
        channel=channel,
        origin_country=origin_country,
        hs_code=hs_code or network.category_by_id[category].tariff_code,
        value_usd=value_usd,
        customs_value_usd=customs_value,
        items=items,
        day=day,
        trade_channel=trade_channel(channel, mode),
    )
    if rule is None:
        duty = duty_rate * customs_value if layered is None else layered[0]
        tax = (customs_value + duty) * full_tax
        duty_text = f"duty {_pct(duty_rate)}" if layered is None else layered[1]
        text = f"{territory}: normal import, {duty_text}, tax {_pct(full_tax)}"
        return CustomsCharge(duty, tax, 0.0, "", text, within_threshold=False)
    limit = _cbec_limit(network, rule, value_usd, items)
    if limit:
        return CustomsCharge(0.0, 0.0, 0.0, rule.id, limit, False, ok=False, reason=limit)
    value_local = declared(network, value_usd, rule.threshold_currency)
    within = rule.threshold_value > 0 and value_local <= rule.threshold_value
    if layered is not None:
        duty, duty_text = layered
        if within:
            tax, tax_text, at_border = _tax_below(rule, full_tax, customs_value + duty)
        else:
            tax, tax_text, at_border = (customs_value + duty) * full_tax, _tax_text(full_tax), True
    elif within:
        duty, duty_text = _duty_below(network, rule, duty_rate, customs_value, items)
        tax, tax_text, at_border = _tax_below(rule, full_tax, customs_value + duty)
    else:
        duty = duty_rate * customs_value
        tax = (customs_value + duty) * full_tax
        duty_text, tax_text, at_border = f"duty {_pct(duty_rate)}", _tax_text(full_tax), True
    collected = duty > 0 or (tax > 0 and at_border)
    fee = network.to_usd(rule.clearance_fee, rule.threshold_currency) if collected else 0.0
    parts = [duty_text, tax_text]
    assumed = rule.fee_assumption if fee > 0 else ""
    if fee > 0:
        fee_text = f"fee {rule.threshold_currency} {rule.clearance_fee:g}"
        parts.append(f"{fee_text} [assumption {assumed}]" if assumed else fee_text)
    text = _treatment(rule, within, parts)
    return CustomsCharge(
        duty, tax, fee, rule.id, text, within, tax_at_border=at_border, fee_assumption=assumed
    )


def _duty_below(
    network: Network, rule: CustomsRule, duty_rate: float, customs_value: float, items: int
) -> tuple[float, str]:
    if rule.duty_below is DutyBelow.EXEMPT:
        return 0.0, "no duty"
    if rule.duty_below is DutyBelow.FLAT:
        per_item = f"{rule.flat_duty:g} {rule.threshold_currency}"
        duty = network.to_usd(rule.flat_duty * items, rule.threshold_currency)
        return duty, f"flat duty {per_item} per item × {items}"
    rate = duty_rate * rule.duty_factor
    return rate * customs_value, f"duty {_pct(rate)}"


def _tax_below(rule: CustomsRule, full_tax: float, base: float) -> tuple[float, str, bool]:
    if rule.tax_below is TaxBelow.EXEMPT:
        return 0.0, "no VAT", True
    rate = full_tax * rule.tax_factor
    if rule.tax_below is TaxBelow.POINT_OF_SALE:
        return base * rate, f"{_tax_text(rate)} at sale", False
    return base * rate, _tax_text(rate), True


def _cbec_limit(network: Network, rule: CustomsRule, value_usd: float, items: int) -> str:
    """Why a China CBEC channel refuses the order ("" if it does not)."""
    if rule.territory != CN or rule.channel is Channel.COMMERCIAL:
        return ""
    cny = declared(network, value_usd, "CNY") if _has_fx(network, "CNY") else None
    if cny is None:
        return ""
    if cny > CN_CBEC_ANNUAL_LIMIT_CNY:
        return f"CN CBEC: order of CNY {cny:,.2f} exceeds the CNY 26,000 annual limit"
    local = declared(network, value_usd, rule.threshold_currency)
    if items > 1 and rule.threshold_value > 0 and local > rule.threshold_value:
        return (
            f"CN CBEC: {items}-item order above {rule.threshold_currency} "
            f"{rule.threshold_value:,.0f} must use general trade"
        )
    return ""


def declared(network: Network, value_usd: float, currency: str) -> float:
    """``value_usd`` in ``currency`` as declared: rounded to the cent.

    Thresholds are inclusive ("at or below GBP 135"), so a parcel entered as
    exactly GBP 135 must compare equal after the round trip through USD
    (135 / 0.75 × 0.75 is 135.00000000000003 in floating point).
    """
    return round(network.from_usd(value_usd, currency), 2)


def _has_fx(network: Network, currency: str) -> bool:
    return any(code == currency for code, _ in network.fx_per_usd)


def _treatment(rule: CustomsRule, within: bool, parts: list[str]) -> str:
    head = rule.note or f"{rule.territory} {rule.channel}"
    if not head.startswith(rule.territory):
        head = f"{rule.territory}: {head}"
    if rule.threshold_value > 0:
        limit = f"{rule.threshold_currency} {rule.threshold_value:,.0f}"
        head += f"; {'within' if within else 'above'} {limit}"
    return ", ".join([head, *parts])


def _pct(rate: float) -> str:
    return f"{rate * 100:.3g} %"


def _tax_text(rate: float) -> str:
    return f"tax {_pct(rate)}" if rate > 0 else "no VAT"
