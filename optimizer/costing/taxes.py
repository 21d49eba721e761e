"""Import VAT/GST and import fees of a consignment, line by line, from the dated tables.

:func:`taxes_in_force` picks the rows of ``import_taxes.csv``
(:mod:`optimizer.network.import_taxes`) for a country, its sub-national region and
a date; :func:`tax_lines` applies them to the goods, freight, duty and China's
consumption tax of each part of a consignment; :func:`fee_lines` prices the fees
per customs entry of ``import_fees.csv``. Used by :func:`optimizer.costing.customs.assess`
(quote, run, route, simulate) and :func:`optimizer.costing.layers.explain`
(``xborder tariffs explain``), so a Toronto parcel pays the same 13 % in both.

A network without ``import_taxes.csv`` (older or hand-made networks) keeps its
``countries.import_vat_rate``: one VAT row on the customs value + duty (CIF or FOB
as the country values), China with its comprehensive formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.network.import_taxes import (
    FeeBasis,
    ImportFee,
    ImportTax,
    TaxBase,
    TaxCollection,
)
from optimizer.network.records import CustomsRule, Network

#: Customs territory whose import tax adds the consumption tax (comprehensive formula).
CN = "CN"


@dataclass(frozen=True, slots=True)
class TaxPart:
    """One part of a consignment as the tax sees it (amounts in one currency)."""

    goods: float
    freight: float
    duty: float
    consumption_rate: float = 0.0  # China's consumption tax of the goods (0 elsewhere)


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One tax as charged: its name and row, the base, the effective rate and amount.

    ``base`` is goods + duty (+ freight when the row's base is CIF); ``rate`` is the
    effective rate on it: the row's rate × the customs rule's tax factor, grossed up by
    China's consumption tax (a cosmetics VAT line: 13 % × 0.7 / 0.85 = 10.7 %).
    ``collection`` is ``border``, ``point_of_sale`` (seller at checkout) or ``exempt``.
    """

    id: str
    tax: str
    rate: float
    base: float
    amount: float
    collection: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One fee per customs entry as charged, in the caller's currency."""

    fee: ImportFee
    amount: float


def taxes_in_force(
    network: Network,
    country: str,
    region: str,
    day: dt.date,
    variants: frozenset[str] = frozenset(),
) -> tuple[tuple[ImportTax, ...], tuple[str, ...]]:
    """The tax rows that apply in ``country`` (and ``region``) on ``day``, and notes.

    Rows of one tax (country, region, tax name, variant) replace each other by
    date; different taxes add up (Ontario: GST + the provincial part of the HST).
    A date before a tax's first row uses that first row, and a note says so.
    """
    rows = [t for t in network.import_taxes if t.country == country]
    if not rows:
        return (_legacy_row(network, country),), ()
    groups: dict[tuple[str, str, str], list[ImportTax]] = {}
    for row in rows:
        if row.region not in ("", region) or (row.variant and row.variant not in variants):
            continue
        groups.setdefault((row.region, row.tax, row.variant), []).append(row)
    chosen: list[ImportTax] = []
    notes: list[str] = []
    for key in sorted(groups):
        same = groups[key]
        now = [row for row in same if row.in_force(day)]
        if now:
            chosen.append(now[0])
            continue
        first = min(same, key=lambda row: row.valid_from)
        if day < first.valid_from:
            chosen.append(first)
            notes.append(
                f"{country}: {first.tax} is known from {first.valid_from.isoformat()} "
                f"({first.id}); its rate is used for {day.isoformat()}"
            )
    return tuple(chosen), tuple(notes)


def _legacy_row(network: Network, country: str) -> ImportTax:
    """The one VAT row of a network without ``import_taxes.csv`` (countries.import_vat_rate)."""
    c = network.country_by_code[country]
    if c.territory == CN:
        base = TaxBase.CIF_DUTY_EXCISE
    else:
        base = TaxBase.CIF_DUTY if c.valuation == "cif" else TaxBase.FOB_DUTY
    return ImportTax(
        id=f"{country}_import_vat_rate",
        country=country,
        tax="VAT/GST",
        rate=c.import_vat_rate or 0.0,
        base=base,
        valid_from=dt.date.min,
        source=c.source,
    )


def tax_lines(
    rows: Sequence[ImportTax],
    parts: Sequence[TaxPart],
    *,
    low_value: str = "border",
    factor: float = 1.0,
) -> tuple[TaxLine, ...]:
    """Each tax row applied to the parts; China's consumption tax as a line of its own.

    ``low_value`` and ``factor`` come from the customs rule in force: how the
    border-collected taxes of a consignment at or below its threshold are collected
    (``border``, ``point_of_sale`` or ``exempt``) and the share due (China CBEC 70 %).
    Rows collected at the point of sale are always charged by the seller, in full.
    """
    lines: list[TaxLine] = []
    consumption: TaxLine | None = None
    cts = {p.consumption_rate for p in parts}
    for row in rows:
        at_sale = row.collection is TaxCollection.POINT_OF_SALE
        collection = "point_of_sale" if at_sale else low_value
        share = 1.0 if at_sale else factor
        excise = row.base is TaxBase.CIF_DUTY_EXCISE
        base = amount = ct_amount = 0.0
        for p in parts:
            value = p.goods + p.duty + (0.0 if row.base is TaxBase.FOB_DUTY else p.freight)
            gross = value / (1.0 - p.consumption_rate) if excise else value  # CT in its own base
            base += value
            amount += gross * row.rate * share
            ct_amount += gross * p.consumption_rate * share if excise else 0.0
        if collection == "exempt":
            amount = ct_amount = 0.0
        lines.append(
            TaxLine(
                row.id,
                row.tax,
                _rate(row.rate * share, cts if excise else {0.0}, amount, base),
                base,
                amount,
                collection,
                row.source,
            )
        )
        if ct_amount and consumption is None:
            consumption = TaxLine(
                f"{row.country}_consumption_tax",
                "consumption tax",
                _rate(share, cts, ct_amount, base, consumption_line=True),
                base,
                ct_amount,
                collection,
                "categories.csv consumption_tax_rate_cn (facts.md §2)",
            )
    if consumption is not None:
        lines.append(consumption)
    return tuple(lines)


def _rate(
    rate: float, cts: set[float], amount: float, base: float, *, consumption_line: bool = False
) -> float:
    """Effective rate of a line on goods (+ freight) + duty: exact when every part has the
    same consumption tax (``rate`` / (1 - ct), or ct / (1 - ct) for the consumption line);
    the amount over the base when they differ."""
    if len(cts) == 1:
        (ct,) = cts
        return (rate * ct if consumption_line else rate) / (1.0 - ct)
    return amount / base if base else rate


def fee_lines(
    network: Network,
    *,
    territory: str,
    channel: str,
    value: float,
    currency: str,
    day: dt.date,
) -> tuple[FeeLine, ...]:
    """The fees per customs entry of ``territory`` for an entry of goods worth ``value``
    (in ``currency``) by ``channel`` on ``day``, each in ``currency``."""
    return price_fees(network, fees_in_force(network, territory, channel, day), value, currency)


def fees_in_force(
    network: Network, territory: str, channel: str, day: dt.date
) -> tuple[ImportFee, ...]:
    """The fee rows of ``territory`` in force on ``day`` for ``channel``, in table order
    (before their value windows are tested: :func:`price_fees`)."""
    return tuple(
        fee
        for fee in network.import_fees
        if fee.territory == territory and fee.in_force(day) and fee.applies_to_channel(channel)
    )


def price_fees(
    network: Network, fees: Sequence[ImportFee], value: float, currency: str
) -> tuple[FeeLine, ...]:
    """Each of ``fees`` (rows in force, :func:`fees_in_force`) whose value window holds
    an entry of goods worth ``value`` (in ``currency``), priced in ``currency``."""
    out = []
    for fee in fees:
        local = network.from_usd(network.to_usd(value, currency), fee.currency)
        if not fee.value_window_holds(round(local, 2)):
            continue
        amount = network.from_usd(network.to_usd(fee.amount_for(local), fee.currency), currency)
        out.append(FeeLine(fee, amount))
    return tuple(out)


def fee_horizon_notes(network: Network, fees: Sequence[FeeLine], day: dt.date) -> list[str]:
    """A fee of a periodic schedule (its row follows one that ended the day before it
    started: CBP's fiscal-year fees) used longer than that period: the next figure is not in
    the table, say so."""
    notes = []
    for line in fees:
        fee = line.fee
        if fee.valid_to is not None:
            continue
        before = [
            f
            for f in network.import_fees
            if f.territory == fee.territory
            and f.valid_to == fee.valid_from - dt.timedelta(days=1)
            and f.basis is fee.basis
        ]
        period = [f.valid_to - f.valid_from for f in before if f.valid_to is not None]
        if period and day > fee.valid_from + period[0]:
            notes.append(f"{fee.id} is used past its period: {fee.note}")
    return notes


def clearance_fee_line(network: Network, rule: CustomsRule | None, currency: str) -> FeeLine | None:
    """The customs rule's clearance fee as a fee line, named by the assumption it rests on
    (``assumptions.csv``: a carrier's or broker's fee, not a published tariff figure)."""
    if rule is None or rule.clearance_fee <= 0:
        return None
    assumed = network.assumption_by_id.get(rule.fee_assumption)
    fee = ImportFee(
        id=rule.fee_assumption or f"{rule.id}_clearance_fee",
        territory=rule.territory,
        name=f"{assumed.name} (assumption)" if assumed else f"clearance fee of {rule.id}",
        basis=FeeBasis.PER_ENTRY,
        currency=rule.threshold_currency,
        valid_from=rule.valid_from,
        valid_to=rule.valid_to,
        amount=rule.clearance_fee,
        note=rule.note,
        source=assumed.source if assumed else rule.source,
    )
    amount = network.from_usd(network.to_usd(rule.clearance_fee, rule.threshold_currency), currency)
    return FeeLine(fee, amount)


def freight_in_tax_base(network: Network, country: str) -> bool:
    """Whether international freight enters the duty or tax base of ``country`` (CIF
    valuation, or a tax row on CIF such as Australia's GST)."""
    if network.country_by_code[country].valuation == "cif":
        return True
    return any(
        t.country == country and t.base is not TaxBase.FOB_DUTY for t in network.import_taxes
    )
