"""Import duties, taxes and fees of one consignment under the dated customs rules.

One function, :func:`assess`, used by the optimizer, the quote and the simulator.
The rule in force on the ship date for (territory, channel, origin) decides
whether the low-value treatment applies (``domain/facts.md`` §2–3):

- no rule: a normal import, full duty rate and VAT/GST at the border;
- value at or below the rule's threshold: duty per ``duty_below`` (exempt, the
  category rate × ``duty_factor``, or a flat amount per item) and tax per
  ``tax_below`` (exempt, at the border, or charged by the seller at sale), the
  taxes × ``tax_factor``;
- above the threshold (or threshold 0 = no relief): full duty and tax at the border.

China (territory ``CN``) taxes imports with the comprehensive formula
(VAT + consumption tax) / (1 − consumption tax), so the CBEC retail rate is
(0.13 + 0) / 1 × 0.7 = 9.1 %, or 23.1 % for cosmetics with 15 % consumption tax.
Its CBEC channels also carry hard limits: a multi-item order above RMB 5,000, or
any order above the RMB 26,000 annual allowance, must go through general trade.

The taxes are the rows of ``import_taxes.csv`` in force for the destination
country and the market's region (:mod:`optimizer.costing.taxes`: Toronto pays
GST 5 % + the Ontario part of the HST 8 %), each on its base (CIF or FOB value +
duty); the fees per customs entry of ``import_fees.csv`` (the US merchandise
processing fee) are added to the clearance fee as named charge lines.

The threshold is compared with the declared goods value (intrinsic value,
freight excluded) converted to the rule's currency; duties are levied on the
customs value, which adds the freight when the destination values CIF.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from optimizer.costing.index import index_of
from optimizer.costing.layers import category_duty, trade_channel
from optimizer.costing.taxes import FeeLine, TaxLine, TaxPart, price_fees, tax_lines, taxes_in_force
from optimizer.network.records import Channel, CustomsRule, DutyBelow, Mode, Network

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
    #: The fees as named charge lines (name, USD): the clearance fee under its assumption
    #: (or rule) id, then the fees of ``import_fees.csv`` (the US merchandise processing fee).
    fees: tuple[tuple[str, float], ...] = ()
    #: The part of ``fee_usd`` that rests on ``fee_assumption`` (what_if can switch it off).
    assumed_fee_usd: float = 0.0

    @property
    def total(self) -> float:
        return self.duty_usd + self.tax_usd + self.fee_usd


def tax_rate(
    network: Network,
    dest_country: str,
    category: str,
    *,
    day: dt.date | None = None,
    region: str = "",
) -> float:
    """Full import tax rate on (customs value + duty) for ``category`` in ``dest_country``
    (and ``region``) on ``day`` (None: the latest rows), China's consumption tax included."""
    when = day or dt.date.max
    rows, _ = taxes_in_force(network, dest_country, region, when)
    ct = network.category_by_id[category].consumption_tax_rate_cn
    lines = tax_lines(rows, [TaxPart(1.0, 0.0, 0.0, ct)])
    return sum(line.amount for line in lines)


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
    market: str = "",
) -> CustomsCharge:
    """Duties, taxes and fees for importing goods worth ``value_usd`` into ``dest_country``.

    Parameters
    ----------
    channel
        parcel (direct-package, 9610), bonded (per-order release, 1210) or
        commercial (bulk import into an overseas warehouse, 9810/9710).
    freight_usd
        International freight up to the import point; added to the customs
        value where the destination values CIF, and to the tax base where a
        tax is on CIF (:func:`optimizer.costing.taxes.freight_in_tax_base`).
    items
        Items (tariff lines) in the consignment, for flat per-item duties.
    day
        Ship date: selects the rule, the layers, the taxes and the fees in force.
    hs_code
        The goods' HS code (digits, 2 to 10) priced through the tariff layers; None:
        the category's representative code (``categories.csv`` ``hs_code``).
    mode
        Mode of the lane that carries the goods into the territory: a parcel
        carried by ``postal`` clears as a postal item (the layers' ``postal``
        channel, e.g. the US postal duty methods of 2025-2026), any other as
        ``express``. None: ``express``.
    market
        Market node the goods go to: its region (``node_regions.csv``) adds the
        regional taxes (the Toronto market pays Ontario's HST).
    """
    country = network.country_by_code[dest_country]
    territory = country.territory
    index = index_of(network)  # the tables' rows in force, looked up once per key
    rule = index.customs_rule(territory, channel, origin_country, day)
    customs_value = value_usd + (freight_usd if country.valuation == "cif" else 0.0)
    duty_rate = index.duty_rate(category, territory, origin_country)
    taxes, _ = index.taxes_in_force(dest_country, index.region_of(market), day)
    ct = network.category_by_id[category].consumption_tax_rate_cn

    def tax(duty: float, low_value: str = "border", factor: float = 1.0) -> tuple[TaxLine, ...]:
        return tax_lines(
            taxes, [TaxPart(value_usd, freight_usd, duty, ct)], low_value=low_value, factor=factor
        )

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
        lines = tax(duty)
        fees = _fees(network, territory, channel, mode, value_usd, day, entry=True)
        duty_text = f"duty {_pct(duty_rate)}" if layered is None else layered[1]
        text = f"{territory}: normal import, {duty_text}, {_tax_text(lines)}"
        return CustomsCharge(
            duty,
            _sum(lines),
            sum(f.amount for f in fees),
            "",
            text + "".join(f", {_fee_text(f)}" for f in fees),
            within_threshold=False,
            fees=tuple((f.fee.id, f.amount) for f in fees),
        )
    limit = _cbec_limit(network, rule, value_usd, items)
    if limit:
        return CustomsCharge(0.0, 0.0, 0.0, rule.id, limit, False, ok=False, reason=limit)
    value_local = declared(network, value_usd, rule.threshold_currency)
    within = rule.threshold_value > 0 and value_local <= rule.threshold_value
    if layered is not None:
        duty, duty_text = layered
    elif within:
        duty, duty_text = _duty_below(network, rule, duty_rate, customs_value, items)
    else:
        duty, duty_text = duty_rate * customs_value, f"duty {_pct(duty_rate)}"
    lines = tax(duty, str(rule.tax_below), rule.tax_factor) if within else tax(duty)
    at_border = any(x.collection == "border" and x.amount > 0 for x in lines) or not any(
        x.collection == "point_of_sale" and x.amount > 0 for x in lines
    )
    border_tax = sum(x.amount for x in lines if x.collection == "border")
    collected = duty > 0 or border_tax > 0
    clearance = network.to_usd(rule.clearance_fee, rule.threshold_currency) if collected else 0.0
    fees = _fees(network, territory, channel, mode, value_usd, day, entry=collected or not within)
    parts = [duty_text, _tax_text(lines)]
    assumed = rule.fee_assumption if clearance > 0 else ""
    named: list[tuple[str, float]] = []
    if clearance > 0:
        fee_text = f"fee {rule.threshold_currency} {rule.clearance_fee:g}"
        parts.append(f"{fee_text} [assumption {assumed}]" if assumed else fee_text)
        named.append((assumed or f"{rule.id} clearance fee", clearance))
    parts += [_fee_text(f) for f in fees]
    named += [(f.fee.id, f.amount) for f in fees]
    text = _treatment(rule, within, parts)
    return CustomsCharge(
        duty,
        _sum(lines),
        clearance + sum(f.amount for f in fees),
        rule.id,
        text,
        within,
        tax_at_border=at_border,
        fee_assumption=assumed,
        fees=tuple(named),
        assumed_fee_usd=clearance if assumed else 0.0,
    )


def _fees(
    network: Network,
    territory: str,
    channel: Channel,
    mode: Mode | None,
    value_usd: float,
    day: dt.date,
    entry: bool,
) -> tuple[FeeLine, ...]:
    """Fees per customs entry (``import_fees.csv``) when the consignment is entered.

    Only the parcel channel is priced per order: a bonded or commercial order is a
    share of a bulk entry whose value is not known here, so its entry fees are not
    modelled (the broker fee of the customs rule stands for them). A parcel entering
    by post is a postal item, which pays only the fees whose channels list ``postal``
    (the US merchandise processing fee is an express/commercial entry fee).
    """
    if not entry or channel is not Channel.PARCEL:
        return ()
    fees = index_of(network).fees_in_force(territory, trade_channel(channel, mode).value, day)
    return price_fees(network, fees, value_usd, "USD")


def _sum(lines: tuple[TaxLine, ...]) -> float:
    return sum(x.amount for x in lines)


def _fee_text(fee: FeeLine) -> str:
    return f"fee {fee.fee.id} USD {fee.amount:.2f}"


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
    return currency in network.fx_rate


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


def _tax_text(lines: tuple[TaxLine, ...]) -> str:
    """``tax 13 %`` (one line) or ``tax 13 % (GST 5 % + HST (Ontario part) 8 %)``; how it is
    collected when not at the border; ``no VAT`` when nothing is due."""
    due = [x for x in lines if x.amount > 0]
    if not due:
        return "no VAT"
    text = f"tax {_pct(sum(x.rate for x in due))}"
    if len(due) > 1:
        text += " (" + " + ".join(f"{x.tax} {_pct(x.rate)}" for x in due) + ")"
    if all(x.collection == "point_of_sale" for x in due):
        text += " at sale"
    return text
