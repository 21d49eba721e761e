"""Dated tariff layers: the table's checks, the engine's rules, golden worked examples.

Golden cases run on the shipped ``networks/global`` and cite where the figures
come from; the rule tests run on ``tests/data/tiny`` with hand-made layers, so
each rule (longest prefix, origin specificity, excludes, variants, bases, value
windows) is checked on numbers worked out by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.costing.layers import Consignment, Item, explain
from optimizer.errors import InputError
from optimizer.network.reader import read_network
from optimizer.network.records import Network
from optimizer.network.tariff_layers import Layer, LayerBasis, TariffLayer, TradeChannel
from optimizer.network.writer import export_network

ROOT = Path(__file__).resolve().parents[1]
GLOBAL = ROOT / "networks" / "global"
TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture(scope="module")
def world() -> Network:
    return read_network(GLOBAL)


def parcel(
    to: str,
    origin: str,
    *items: tuple[str, float],
    day: str,
    currency: str = "USD",
    channel: str = "express",
    variants: tuple[str, ...] = (),
) -> Consignment:
    return Consignment(
        to=to,
        origin=origin,
        items=tuple(Item(hs, value) for hs, value in items),
        channel=TradeChannel(channel),
        day=dt.date.fromisoformat(day),
        currency=currency,
        variants=frozenset(variants),
    )


def applied(result: object) -> list[str]:
    return [line.layer.id for line in result.lines if line.applied]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- golden examples
def test_eu_three_euro_per_distinct_hs_code(world: Network) -> None:
    """Commission guidance of 2026-06-02 on Regulation (EU) 2026/382 (tariffs_2025_2026.md):
    five T-shirts -> EUR 3; a T-shirt and a watch -> EUR 6; VAT is charged on the duty
    (2 x EUR 3 + 20 % VAT = EUR 7.20)."""
    shirts = explain(
        world, parcel("FR", "CN", *[("6109.10", 10.0)] * 5, day="2026-07-01", currency="EUR")
    )
    assert shirts.duty == pytest.approx(3.0)
    assert applied(shirts) == ["EU_FLAT3"]
    mixed = explain(
        world,
        parcel("FR", "CN", ("6109.10", 20.0), ("9102.11", 60.0), day="2026-07-01", currency="EUR"),
    )
    assert mixed.duty == pytest.approx(6.0)
    vat_on_goods = 0.20 * 80.0
    assert mixed.duty + (mixed.tax - vat_on_goods) == pytest.approx(7.20)
    # the MFN layer is listed as switched off by the EUR 3 duty
    off = {line.layer.id: line.excluded_by for line in mixed.lines if not line.applied}
    assert off == {"EU_MFN_610910": "EU_FLAT3", "EU_MFN_910211": "EU_FLAT3"}


def test_eu_before_and_above_the_three_euro_window(world: Network) -> None:
    """Up to 2026-06-30 consignments <= EUR 150 paid no duty (Reg. 1186/2009 Art. 23);
    above EUR 150 the MFN rate applies (TARIC 6109 10 00: 12 %)."""
    before = explain(world, parcel("FR", "CN", ("6109.10", 50.0), day="2026-06-30", currency="EUR"))
    assert before.duty == 0.0 and applied(before) == ["EU_LOW_VALUE_RELIEF"]
    above = explain(world, parcel("FR", "CN", ("6109.10", 200.0), day="2026-07-01", currency="EUR"))
    assert above.duty == pytest.approx(24.0) and applied(above) == ["EU_MFN_610910"]


def test_uk_135_pound_rule(world: Network) -> None:
    """HMRC: no customs duty on consignments up to GBP 135, VAT charged at the point of
    sale; above it the UK Global Tariff applies (6109 10 00: 12 %) and VAT at the border."""
    low = explain(world, parcel("GB", "CN", ("6109.10", 135.0), day="2026-03-01", currency="GBP"))
    assert (low.duty, low.tax_collection) == (0.0, "point_of_sale")
    assert low.tax == pytest.approx(27.0)
    high = explain(world, parcel("GB", "CN", ("6109.10", 140.0), day="2026-03-01", currency="GBP"))
    assert high.duty == pytest.approx(16.80)
    assert high.tax == pytest.approx(0.20 * (140.0 + 16.80))
    assert high.tax_collection == "border"


def test_us_section_122_stacks_on_mfn_and_301(world: Network) -> None:
    """HTSUS 6109.10.00 16.5 % + Section 301 List 4A 7.5 % + Section 122 10 % (CBP CSMS
    #67844987: stacks on MFN and Section 301): a USD 45 cotton T-shirt from China on
    2026-03-01 pays 7.425 + 3.375 + 4.50 = USD 15.30."""
    result = explain(world, parcel("US", "CN", ("6109.10", 45.0), day="2026-03-01"))
    assert result.duty == pytest.approx(15.30)
    assert applied(result) == ["US_MFN_610910", "US_301_610910", "US_S122"]
    assert result.tax == 0.0


def test_china_cbec_comprehensive_rate(world: Network) -> None:
    """Caiguanshui [2018] No. 49 (facts.md §2): 0 % tariff, (VAT + consumption tax) /
    (1 - consumption tax) x 70 %: 9.1 % on ordinary goods, 23.1 % on high-end cosmetics."""
    ordinary = explain(
        world,
        parcel("CN", "JP", ("6109.10", 100.0), day="2026-03-01", currency="CNY", channel="bonded"),
    )
    assert ordinary.duty == 0.0 and ordinary.tax == pytest.approx(9.10)
    cosmetics = explain(
        world,
        parcel("CN", "US", ("3304.99", 100.0), day="2026-03-01", currency="CNY", channel="bonded"),
    )
    assert cosmetics.duty == 0.0  # the CBEC relief also switches off the countermeasure on US goods
    assert cosmetics.tax == pytest.approx((0.13 + 0.15) / 0.85 * 0.7 * 100.0)
    general = explain(
        world,
        parcel("CN", "JP", ("6109.10", 6000.0), day="2026-03-01", currency="CNY", channel="bonded"),
    )
    assert general.duty == pytest.approx(0.07 * 6000.0)  # above RMB 5,000: MFN and full VAT


def test_same_shipment_on_four_dates(world: Network) -> None:
    """The layer changes of 2025-2026 (tariffs_2025_2026.md, facts.md §3), USD 45 T-shirt
    CN -> US by express: de minimis (USD 800) -> IEEPA 20 % + 10 % on MFN + 301 ->
    Section 122 -> after 2026-07-24 only MFN + 301, flagged as unknown territory."""
    duties = {}
    for day in ("2025-03-01", "2025-09-15", "2026-03-01", "2026-12-01"):
        result = explain(world, parcel("US", "CN", ("6109.10", 45.0), day=day))
        duties[day] = (round(result.duty, 2), applied(result), bool(result.notes))
    assert duties == {
        "2025-03-01": (0.0, ["US_DM_800"], False),
        "2025-09-15": (
            24.30,
            ["US_MFN_610910", "US_301_610910", "US_IEEPA_F_2025B", "US_IEEPA_R_CN_0514"],
            False,
        ),
        "2026-03-01": (15.30, ["US_MFN_610910", "US_301_610910", "US_S122"], False),
        "2026-12-01": (10.80, ["US_MFN_610910", "US_301_610910"], True),
    }


def test_us_postal_methods(world: Network) -> None:
    """EO 14324 / Compass 25-038: postal items from 2025-08-29 pay the IEEPA rate ad valorem
    (default) or, selected as a variant, USD 200 per postal item for CN (IEEPA 30 % > 25 %)."""
    ad_valorem = explain(
        world, parcel("US", "CN", ("6109.10", 45.0), day="2025-09-15", channel="postal")
    )
    assert ad_valorem.duty == pytest.approx(24.30)
    specific = explain(
        world,
        parcel(
            "US",
            "CN",
            ("6109.10", 45.0),
            ("6109.10", 5.0),
            day="2025-09-15",
            channel="postal",
            variants=("us_postal_specific",),
        ),
    )
    assert specific.duty == pytest.approx(200.0 + 0.24 * 50.0)  # once per parcel + MFN + 301
    assert "US_POSTAL_SPEC_CN_200" in applied(specific)
    assert not {"US_IEEPA_F_2025B", "US_IEEPA_R_CN_0514"} & set(applied(specific))
    after = explain(
        world,
        parcel(
            "US",
            "CN",
            ("6109.10", 45.0),
            day="2026-03-01",
            channel="postal",
            variants=("us_postal_specific",),
        ),
    )
    assert after.duty == pytest.approx(15.30)  # the specific method ended with IEEPA


def test_smartphones_excluded_from_reciprocal_by_longest_prefix(world: Network) -> None:
    result = explain(world, parcel("US", "CN", ("8517.13", 500.0), day="2025-09-15"))
    assert applied(result) == [
        "US_MFN_851713",
        "US_301_851713",
        "US_IEEPA_F_2025B",
        "US_IEEPA_R_851713",
    ]
    assert result.duty == pytest.approx(100.0)  # fentanyl 20 % only


# --------------------------------------------------------------------------- rules on tiny
def layer(id: str, hs: str = "61", group: str = "mfn", **kw: object) -> TariffLayer:
    base: dict[str, object] = {
        "territory": "US",
        "layer": Layer.MFN,
        "basis": LayerBasis.AD_VALOREM,
        "valid_from": dt.date(2020, 1, 1),
        "rate": 0.1,
    }
    base.update(kw)
    return TariffLayer(id=id, hs_prefix=hs, stacking_group=group, **base)  # type: ignore[arg-type]


def tiny(*layers: TariffLayer) -> Network:
    return dataclasses.replace(read_network(TINY), tariff_layers=layers)


def test_longest_prefix_then_origin_then_variant() -> None:
    net = tiny(
        layer("A", "61", rate=0.10),
        layer("B", "6109", rate=0.20),
        layer("C", "6109", origin="CN", rate=0.30),
        layer("D", "6109", origin="CN", rate=0.40, variant="v"),
    )
    assert explain(
        net, parcel("US", "US", ("6110", 100.0), day="2026-01-01")
    ).duty == pytest.approx(10.0)
    assert explain(
        net, parcel("US", "US", ("610910", 100.0), day="2026-01-01")
    ).duty == pytest.approx(20.0)
    assert explain(
        net, parcel("US", "CN", ("610910", 100.0), day="2026-01-01")
    ).duty == pytest.approx(30.0)
    chosen = explain(net, parcel("US", "CN", ("610910", 100.0), day="2026-01-01", variants=("v",)))
    assert chosen.duty == pytest.approx(40.0)


def test_bases_groups_and_excludes() -> None:
    net = tiny(
        layer("MFN", rate=0.10),
        layer(
            "ITEM",
            "*",
            "per_item",
            layer=Layer.ADDITIONAL,
            basis=LayerBasis.PER_ITEM,
            rate=None,
            amount=2.0,
            currency="USD",
        ),
        layer(
            "HS",
            "*",
            "per_hs",
            layer=Layer.ADDITIONAL,
            basis=LayerBasis.PER_DISTINCT_HS,
            rate=None,
            amount=7.0,
            currency="CNY",
        ),
        layer(
            "ONE",
            "*",
            "per_parcel",
            layer=Layer.ADDITIONAL,
            basis=LayerBasis.PER_CONSIGNMENT,
            rate=None,
            amount=1.0,
            currency="USD",
        ),
    )
    result = explain(
        net, parcel("US", "CN", ("6109", 10.0), ("6109", 20.0), ("6110", 30.0), day="2026-01-01")
    )
    # 10 % of 60 + 3 items x 2 + 2 distinct codes x CNY 7 (= USD 1 each at 7.0) + 1 per parcel
    assert result.duty == pytest.approx(6.0 + 6.0 + 2.0 + 1.0)
    relief = tiny(
        layer("MFN", rate=0.10),
        layer("X", "*", "extra", layer=Layer.ADDITIONAL, rate=0.5),
        layer(
            "DM",
            "*",
            "relief",
            layer=Layer.ADDITIONAL,
            rate=0.0,
            excludes="*",
            value_up_to=50.0,
            currency="USD",
            channels="postal;express",
        ),
    )
    assert explain(relief, parcel("US", "CN", ("6109", 50.0), day="2026-01-01")).duty == 0.0
    assert explain(
        relief, parcel("US", "CN", ("6109", 50.0), day="2026-01-01", channel="commercial")
    ).duty == pytest.approx(30.0)
    assert explain(
        relief, parcel("US", "CN", ("6109", 51.0), day="2026-01-01")
    ).duty == pytest.approx(30.6)


def test_record_refuses_inconsistent_rows() -> None:
    with pytest.raises(InputError, match="rate"):
        layer("R", rate=None)
    with pytest.raises(InputError, match="currency"):
        layer("S", basis=LayerBasis.PER_ITEM, rate=None, amount=1.0)
    with pytest.raises(InputError, match="HS prefix"):
        layer("T", hs="6")
    with pytest.raises(InputError, match="unknown channel"):
        layer("U", channels="postl")


# --------------------------------------------------------------------------- the table's checks
HEADER = (
    "id,territory,origin,hs_prefix,layer,basis,rate,amount,currency,value_over,value_up_to,"
    "valid_from,valid_to,channels,stacking_group,excludes,variant,note,source\n"
)


def test_validate_reports_every_layer_problem(tmp_path: Path) -> None:
    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    (net / "tariff_layers.csv").write_text(
        HEADER
        + "A,US,*,6109,mfn,ad_valorem,0.1,,,,,2020-01-01,,,mfn,,,,s\n"
        + "B,US,*,6109,mfn,ad_valorem,0.2,,,,,2025-01-01,,,mfn,,,,s\n"  # overlaps A
        + "C,US,XX,61a,mfn,ad_valorem,0.1,,,,,2020-01-01,,,mfn,,,,s\n"  # origin, prefix
        + "D,US,*,61,additional,per_item,,3,EUR,,,2020-01-01,,,extra,mfm,,,s\n"  # currency, group
        + "E,US,*,61,additional,ad_valorem,,,,,,2020-01-01,,,other,,,,s\n"  # rate missing
        + "F,EU,*,61,mfn,ad_valorem,0.1,,,,,2020-01-01,,,mfn,,,,s\n"  # territory
    )
    result = CliRunner().invoke(main, ["validate", str(net), "--json"])
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    found = {(p["row"], p["field"], p["message"]) for p in problems if "tariff_layers" in p["file"]}
    assert {(row, field) for row, field, _ in found} == {
        (3, "valid_from"),
        (4, "origin"),
        (4, "hs_prefix"),
        (5, "currency"),
        (5, "excludes"),
        (6, "rate"),
        (7, "territory"),
    }
    # apparel (HS chapter 61) has no US MFN row: only 6109 and a bad prefix are listed
    uncovered = [p for p in problems if p["file"].endswith("categories.csv")]
    assert [(p["row"], p["field"], p["value"]) for p in uncovered] == [(2, "hs_chapter", "61")]
    assert (5, "excludes", "unknown stacking group") in found


def test_layers_round_trip_through_export(tmp_path: Path, world: Network) -> None:
    export_network(world, tmp_path / "out", "csv")
    again = read_network(tmp_path / "out")
    assert again.tariff_layers == world.tariff_layers and len(world.tariff_layers) > 100


# --------------------------------------------------------------------------- command line
def test_cli_explain_items_and_bad_input() -> None:
    args = [
        "tariffs",
        "explain",
        "--to",
        "FR",
        "--from",
        "CN",
        "--currency",
        "EUR",
        "--date",
        "2026-07-01",
    ]
    ok = CliRunner().invoke(main, [*args, "--item", "6109.10=20", "--item", "9102.11=60", "--json"])
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.stdout)
    assert (doc["duty"], doc["tax"], doc["fee"], doc["total"]) == (6.0, 17.2, 10.0, 33.2)
    assert [f["id"] for f in doc["fees"]] == ["eu_handling_fee_10eur"]  # an assumption
    text = CliRunner().invoke(main, [*args, "--hs", "6109.10", "--value", "200"])
    assert "EU_MFN_610910" in text.stdout and "duty 24.00 EUR" in text.stdout
    bad = CliRunner().invoke(
        main, [*args[:2], "--to", "EU", "--from", "CN", "--date", "2026-07-01", "--item", "61x"]
    )
    assert bad.exit_code == 2
    assert "not HS=VALUE" in bad.stderr and "country of territory EU" in bad.stderr


# --------------------------------------------------------------------------- quotes and plans
def test_assess_prices_a_category_with_the_layers(world: Network) -> None:
    """customs.assess (quote, run, route) uses the layers when the network has them: the
    category's representative HS code (apparel 6109.10), dated, EUR 3 once per HS code."""
    from optimizer.costing.customs import assess
    from optimizer.network.records import Channel

    def duty(dest: str, day: str, items: int = 1, value: float = 45.0) -> float:
        charge = assess(
            world,
            dest_country=dest,
            channel=Channel.PARCEL,
            origin_country="CN",
            category="apparel",
            value_usd=value,
            freight_usd=0.0,
            items=items,
            day=dt.date.fromisoformat(day),
        )
        return charge.duty_usd

    assert duty("US", "2026-03-01") == pytest.approx(0.34 * 45.0)
    assert duty("US", "2025-03-01") == 0.0  # de minimis USD 800
    assert duty("US", "2026-12-01") == pytest.approx(0.24 * 45.0)  # Section 122 ended
    assert duty("FR", "2026-07-15", items=5) == pytest.approx(world.to_usd(3.0, "EUR"))
    assert duty("FR", "2026-06-15", items=5) == 0.0
    no_layers = dataclasses.replace(world, tariff_layers=())
    charge = assess(
        no_layers,
        dest_country="US",
        channel=Channel.PARCEL,
        origin_country="CN",
        category="apparel",
        value_usd=45.0,
        freight_usd=0.0,
        day=dt.date(2026, 3, 1),
    )
    assert charge.duty_usd == pytest.approx(0.325 * 45.0)  # duty_rates.csv


def test_eu_three_euro_scope_variant(world: Network) -> None:
    """Scope conflict (tariffs_2025_2026.md): default all B2C parcels; the variant
    eu_flat3_postal_only (one law-firm note) leaves express parcels at the MFN rate."""
    express = parcel("FR", "CN", ("6109.10", 50.0), day="2026-07-15", currency="EUR")
    assert explain(world, express).duty == pytest.approx(3.0)
    narrow = dataclasses.replace(express, variants=frozenset({"eu_flat3_postal_only"}))
    assert explain(world, narrow).duty == pytest.approx(6.0)
    postal = dataclasses.replace(narrow, channel=TradeChannel.POSTAL)
    assert explain(world, postal).duty == pytest.approx(3.0)


def test_ddp_cascade_matches_a_published_carrier_quote(world: Network) -> None:
    """DHL Express landed-cost planner quoted in Jaal-Yantra-Textiles/v2 PR #1483: goods 70,000
    + freight 6,792 (INR) to NL at 8 % duty: duty 8 % x (goods + freight) = 6,143.36, import
    VAT 21 % x (goods + freight + duty) = 17,416.43 (the carrier's DDP fee is not modelled).
    The amounts scale with the currency, so they are given in USD to an 8 % layer."""
    eight = layer("NL_8", "63", territory="EU", rate=0.08)
    net = dataclasses.replace(world, tariff_layers=(eight,))
    cif = 70_000.0 + 6_792.0
    result = explain(
        net, parcel("NL", "CN", ("6304.92", cif), day="2026-08-22", channel="commercial")
    )
    assert round(result.duty, 2) == 6_143.36
    assert round(result.tax, 2) == 17_416.43
    assert result.tax_collection == "border"
