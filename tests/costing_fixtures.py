"""A small hand-checkable network for costing and quote tests, built directly from the records.

Money: fx USD 1, EUR 0.9, GBP 0.8, CNY 7.2 per USD. Customs rules mirror the
real dated rules (``domain/facts.md`` §2–3) with round numbers.

Places (SZ = Shenzhen origin, US/DE/GB/CN markets)::

    SZ_WH ─express─────────────────────────────────────────► US_MKT, DE_MKT, GB_MKT
    SZ_WH ─postal (≤ 2 kg/piece)──────────────────────────► US_MKT
    SZ_WH ─truck─► CN_AIR ─air─► US_AIR ─last mile─► US_MKT
                          └─air─► DE_AIR ─last mile─► DE_MKT
    SZ_WH ─truck─► CN_PORT ─sea LCL / FCL─► US_PORT ─truck─► US_OW ─last mile─► US_MKT
    DE_WH ─truck─► DE_AIR ─air─► CN_AIR ─truck─► CN_BZ ─last mile─► CN_MKT
                                        └─last mile (9610)──────► CN_MKT
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from optimizer.network.records import (
    Category,
    Channel,
    Country,
    CustomsRule,
    DutyBelow,
    DutyRate,
    Lane,
    Mode,
    Network,
    Node,
    NodeKind,
    Scope,
    Tariff,
    TariffBasis,
    TaxBelow,
    WeightBreak,
)
from optimizer.quote.shipment import Shipment, parse_shipment

D = dt.date

COUNTRIES = (
    Country("CN", "China", "CN", "CNY", 0.13, "cif"),
    Country("DE", "Germany", "EU", "EUR", 0.19, "cif"),
    Country("GB", "United Kingdom", "GB", "GBP", 0.20, "cif"),
    Country("US", "United States", "US", "USD", 0.0, "fob"),
    Country("VN", "Viet Nam", "VN", "USD", 0.10, "cif"),
)
FX = (("CNY", 7.2), ("EUR", 0.9), ("GBP", 0.8), ("USD", 1.0))
CATEGORIES = (
    Category("apparel", "Apparel", "61"),
    Category("cosmetics", "High-end cosmetics", "33", consumption_tax_rate_cn=0.15),
)
DUTY_RATES = (
    DutyRate("apparel", "CN", 0.10),
    DutyRate("apparel", "EU", 0.12),
    DutyRate("apparel", "GB", 0.12),
    DutyRate("apparel", "US", 0.12),
    DutyRate("apparel", "US", 0.45, origin="CN", note="MFN + Section 301 + IEEPA"),
    DutyRate("cosmetics", "CN", 0.05),
    DutyRate("cosmetics", "US", 0.0),
)


def _rule(rid: str, territory: str, channel: Channel, start: D, **kw: object) -> CustomsRule:
    return CustomsRule(rid, territory, channel, start, **kw)  # type: ignore[arg-type]


CUSTOMS_RULES = (
    _rule(
        "US_321",
        "US",
        Channel.PARCEL,
        D(2016, 3, 10),
        valid_to=D(2025, 8, 28),
        threshold_value=800.0,
        threshold_currency="USD",
        duty_below=DutyBelow.EXEMPT,
        tax_below=TaxBelow.EXEMPT,
        note="US: Section 321 de minimis $800",
    ),
    _rule(
        "US_CN_NODM",
        "US",
        Channel.PARCEL,
        D(2025, 5, 2),
        origin="CN",
        threshold_value=0.0,
        threshold_currency="USD",
        duty_below=DutyBelow.RATE,
        tax_below=TaxBelow.BORDER,
        clearance_fee=5.0,
        note="US: no de minimis for CN/HK since 2025-05-02",
    ),
    _rule(
        "US_NODM",
        "US",
        Channel.PARCEL,
        D(2025, 8, 29),
        threshold_value=0.0,
        threshold_currency="USD",
        duty_below=DutyBelow.RATE,
        tax_below=TaxBelow.BORDER,
        clearance_fee=5.0,
        note="US: no de minimis since 2025-08-29",
    ),
    _rule(
        "EU_IOSS",
        "EU",
        Channel.PARCEL,
        D(2021, 7, 1),
        valid_to=D(2026, 6, 30),
        threshold_value=150.0,
        threshold_currency="EUR",
        duty_below=DutyBelow.EXEMPT,
        tax_below=TaxBelow.POINT_OF_SALE,
        note="EU: ≤ €150 duty-free, VAT at sale (IOSS)",
    ),
    _rule(
        "EU_FLAT3",
        "EU",
        Channel.PARCEL,
        D(2026, 7, 1),
        valid_to=D(2028, 6, 30),
        threshold_value=150.0,
        threshold_currency="EUR",
        duty_below=DutyBelow.FLAT,
        flat_duty=3.0,
        tax_below=TaxBelow.POINT_OF_SALE,
        clearance_fee=2.0,
        note="EU: €3 flat duty per item from 2026-07-01, VAT at sale (IOSS)",
    ),
    _rule(
        "GB_135",
        "GB",
        Channel.PARCEL,
        D(2021, 1, 1),
        threshold_value=135.0,
        threshold_currency="GBP",
        duty_below=DutyBelow.EXEMPT,
        tax_below=TaxBelow.POINT_OF_SALE,
        note="GB: ≤ £135 VAT at sale, no duty",
    ),
    _rule(
        "CN_9610",
        "CN",
        Channel.PARCEL,
        D(2019, 1, 1),
        threshold_value=5000.0,
        threshold_currency="CNY",
        duty_below=DutyBelow.RATE,
        duty_factor=0.0,
        tax_below=TaxBelow.BORDER,
        tax_factor=0.7,
        note="CN 9610: CBEC retail import",
    ),
    _rule(
        "CN_1210",
        "CN",
        Channel.BONDED,
        D(2019, 1, 1),
        threshold_value=5000.0,
        threshold_currency="CNY",
        duty_below=DutyBelow.RATE,
        duty_factor=0.0,
        tax_below=TaxBelow.BORDER,
        tax_factor=0.7,
        note="CN 1210: CBEC bonded retail import",
    ),
)

TARIFFS = (
    Tariff(
        "T_EXPRESS",
        TariffBasis.PER_KG,
        "USD",
        volumetric_divisor_cm3_per_kg=5000.0,
        price_per_kg=12.0,
        minimum_charge=40.0,
        max_piece_kg=70.0,
        fuel_surcharge_pct=20.0,
        handling_per_shipment=5.0,
        breaks=(WeightBreak(21.0, 8.0), WeightBreak(100.0, 6.0)),
    ),
    Tariff(
        "T_POSTAL",
        TariffBasis.PER_PARCEL,
        "CNY",
        volumetric_divisor_cm3_per_kg=6000.0,
        first_weight_kg=0.5,
        first_weight_price=36.0,
        additional_step_kg=0.5,
        additional_step_price=18.0,
        max_piece_kg=2.0,
    ),
    Tariff(
        "T_AIR",
        TariffBasis.PER_KG,
        "USD",
        volumetric_divisor_cm3_per_kg=6000.0,
        price_per_kg=5.0,
        minimum_charge=50.0,
        fuel_surcharge_pct=20.0,
        handling_per_shipment=25.0,
        breaks=(WeightBreak(45.0, 4.0), WeightBreak(100.0, 3.5), WeightBreak(300.0, 3.0)),
    ),
    Tariff(
        "T_TRUCK",
        TariffBasis.PER_KG,
        "CNY",
        volumetric_divisor_cm3_per_kg=3000.0,
        price_per_kg=0.72,
        minimum_charge=36.0,
    ),
    Tariff(
        "T_LCL",
        TariffBasis.PER_WM,
        "USD",
        price_per_kg=60.0,
        minimum_charge=100.0,
        handling_per_shipment=50.0,
    ),
    Tariff(
        "T_FCL",
        TariffBasis.PER_CONTAINER,
        "USD",
        container_price=2000.0,
        container_capacity_kg=26000.0,
        container_capacity_m3=58.0,
        fuel_surcharge_pct=10.0,
        handling_per_shipment=150.0,
    ),
    Tariff(
        "T_LASTMILE",
        TariffBasis.PER_PARCEL,
        "USD",
        volumetric_divisor_cm3_per_kg=5000.0,
        first_weight_kg=1.0,
        first_weight_price=6.0,
        additional_step_kg=1.0,
        additional_step_price=1.0,
        max_piece_kg=30.0,
    ),
)


def _node(nid: str, kind: NodeKind, country: str, **kw: object) -> Node:
    return Node(nid, nid, kind, country, 0.0, 0.0, **kw)  # type: ignore[arg-type]


NODES = (
    _node(
        "CN_AIR",
        NodeKind.AIRPORT,
        "CN",
        handling_days=0.5,
        handling_cost_per_kg=0.1,
        customs_days=1.0,
        inspection_rate=0.1,
        inspection_delay_days=2.0,
    ),
    _node(
        "CN_BZ",
        NodeKind.BONDED_ZONE,
        "CN",
        release_days=0.5,
        release_cost_per_order=2.0,
        storage_cost_per_m3_day=0.5,
    ),
    _node("CN_MKT", NodeKind.MARKET, "CN"),
    _node("CN_PORT", NodeKind.SEAPORT, "CN", handling_days=2.0, handling_cost_per_kg=0.02),
    _node(
        "DE_AIR",
        NodeKind.AIRPORT,
        "DE",
        handling_days=0.5,
        customs_days=1.0,
        inspection_rate=0.05,
        inspection_delay_days=3.0,
    ),
    _node("DE_MKT", NodeKind.MARKET, "DE"),
    _node("DE_WH", NodeKind.ORIGIN_WAREHOUSE, "DE", handling_days=0.5),
    _node("GB_MKT", NodeKind.MARKET, "GB"),
    _node("SZ_WH", NodeKind.ORIGIN_WAREHOUSE, "CN", handling_days=0.5),
    _node(
        "US_AIR",
        NodeKind.AIRPORT,
        "US",
        handling_days=0.5,
        customs_days=1.0,
        inspection_rate=0.05,
        inspection_delay_days=3.0,
    ),
    _node("US_MKT", NodeKind.MARKET, "US", customs_days=1.0),
    _node(
        "US_OW",
        NodeKind.OVERSEAS_WAREHOUSE,
        "US",
        release_days=1.0,
        release_cost_per_order=1.5,
        storage_cost_per_m3_day=0.8,
    ),
    _node("US_PORT", NodeKind.SEAPORT, "US", handling_days=2.0, customs_days=2.0),
    _node("VN_WH", NodeKind.ORIGIN_WAREHOUSE, "VN"),
)


def _lane(
    lid: str,
    a: str,
    b: str,
    mode: Mode,
    scope: Scope,
    tariff: str,
    mean: float,
    p90: float,
    km: float,
    factor: float,
    deps: float = 7.0,
) -> Lane:
    return Lane(
        lid, a, b, mode, f"C_{mode}", scope, tariff, mean, p90, factor, km, departures_per_week=deps
    )


P, B, A = Scope.PARCEL, Scope.BULK, Scope.ANY
LANES = (
    _lane("AIR_CN_DE", "CN_AIR", "DE_AIR", Mode.AIR, A, "T_AIR", 1.5, 2.5, 9000, 0.67, 5),
    _lane("AIR_CN_US", "CN_AIR", "US_AIR", Mode.AIR, A, "T_AIR", 1.5, 2.5, 11000, 0.67, 7),
    _lane("AIR_DE_CN", "DE_AIR", "CN_AIR", Mode.AIR, A, "T_AIR", 1.5, 2.5, 9000, 0.67, 5),
    _lane("EXP_DE_CN", "DE_WH", "CN_MKT", Mode.EXPRESS, P, "T_EXPRESS", 4.0, 6.0, 9500, 0.8),
    _lane("EXP_SZ_DE", "SZ_WH", "DE_MKT", Mode.EXPRESS, P, "T_EXPRESS", 4.0, 6.0, 9500, 0.8),
    _lane("EXP_SZ_GB", "SZ_WH", "GB_MKT", Mode.EXPRESS, P, "T_EXPRESS", 4.5, 6.5, 9800, 0.8),
    _lane("EXP_SZ_US", "SZ_WH", "US_MKT", Mode.EXPRESS, P, "T_EXPRESS", 3.5, 5.0, 12000, 0.8),
    _lane("FCL_CN_US", "CN_PORT", "US_PORT", Mode.SEA_FCL, B, "T_FCL", 18.0, 24.0, 11900, 0.02, 2),
    _lane("LCL_CN_US", "CN_PORT", "US_PORT", Mode.SEA_LCL, B, "T_LCL", 24.0, 32.0, 11900, 0.02, 1),
    _lane("LM_BZ_CN", "CN_BZ", "CN_MKT", Mode.LAST_MILE, P, "T_LASTMILE", 1.5, 2.5, 300, 0.7),
    _lane("LM_CNAIR_CN", "CN_AIR", "CN_MKT", Mode.LAST_MILE, P, "T_LASTMILE", 2.0, 3.0, 300, 0.7),
    _lane("LM_DEAIR_DE", "DE_AIR", "DE_MKT", Mode.LAST_MILE, P, "T_LASTMILE", 2.0, 3.0, 400, 0.7),
    _lane("LM_OW_US", "US_OW", "US_MKT", Mode.LAST_MILE, P, "T_LASTMILE", 2.0, 3.5, 800, 0.7),
    _lane("LM_USAIR_US", "US_AIR", "US_MKT", Mode.LAST_MILE, P, "T_LASTMILE", 2.5, 4.0, 900, 0.7),
    _lane("POST_SZ_US", "SZ_WH", "US_MKT", Mode.POSTAL, P, "T_POSTAL", 12.0, 20.0, 12500, 0.7, 3),
    _lane("EXP_VN_US", "VN_WH", "US_MKT", Mode.EXPRESS, P, "T_EXPRESS", 3.5, 5.0, 13000, 0.8),
    _lane("TRK_CNAIR_BZ", "CN_AIR", "CN_BZ", Mode.TRUCK, B, "T_TRUCK", 0.5, 1.0, 40, 0.12),
    _lane("TRK_DE_AIR", "DE_WH", "DE_AIR", Mode.TRUCK, A, "T_TRUCK", 0.5, 1.0, 120, 0.12),
    _lane("TRK_PORT_OW", "US_PORT", "US_OW", Mode.TRUCK, B, "T_TRUCK", 1.0, 2.0, 60, 0.12),
    _lane("TRK_SZ_AIR", "SZ_WH", "CN_AIR", Mode.TRUCK, A, "T_TRUCK", 0.5, 1.0, 30, 0.12),
    _lane("TRK_SZ_PORT", "SZ_WH", "CN_PORT", Mode.TRUCK, B, "T_TRUCK", 0.5, 1.0, 50, 0.12),
)


def make_network(**overrides: object) -> Network:
    """The fixture network; pass record tuples to replace (``lanes=...``, ``customs_rules=...``)."""
    parts: dict[str, object] = {
        "name": "fixture",
        "nodes": NODES,
        "lanes": LANES,
        "tariffs": TARIFFS,
        "countries": COUNTRIES,
        "fx_per_usd": FX,
        "categories": CATEGORIES,
        "duty_rates": DUTY_RATES,
        "customs_rules": CUSTOMS_RULES,
    }
    parts.update(overrides)
    return Network(**parts)  # type: ignore[arg-type]


def tariff(tid: str, **changes: object) -> Tariff:
    """A fixture tariff, optionally with fields changed."""
    base = next(t for t in TARIFFS if t.id == tid)
    return replace(base, **changes)  # type: ignore[arg-type]


def make_shipment(network: Network, **fields: str) -> Shipment:
    """A 1.2 kg, 30x20x10 cm, USD 60 apparel parcel from SZ_WH to US_MKT shipped
    2026-03-01, parsed as ``xborder quote`` does; ``fields`` replace raw fields."""
    raw = {
        "from": "SZ_WH",
        "to": "US_MKT",
        "weight_kg": "1.2",
        "dims_cm": "30x20x10",
        "value": "60",
        "currency": "USD",
        "category": "apparel",
        "ship_date": "2026-03-01",
        **fields,
    }
    shipment, problems = parse_shipment(network, raw)
    assert shipment is not None and not problems, problems
    return shipment
