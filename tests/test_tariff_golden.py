"""Golden landed costs from published figures: duty, import tax and fees, line by line.

Each test names where its figures come from (``networks/global/SOURCES.md`` cites every
row). The duty-layer goldens of the EU EUR 3 and of the US stacking live in
``test_tariff_layers.py``; these pin the import taxes (``import_taxes.csv``: base,
region, collection, dates) and the fees (``import_fees.csv``) on the shipped network,
through ``tariffs explain`` (``costing.layers.explain``) and through the quote and plan
path (``costing.customs.assess``), asserted to the cent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.costing.customs import assess
from optimizer.costing.layers import Assessment, Consignment, Item, explain
from optimizer.network.reader import read_network
from optimizer.network.records import Channel, Mode, Network
from optimizer.network.tariff_layers import TradeChannel

ROOT = Path(__file__).resolve().parents[1]
GLOBAL = ROOT / "networks" / "global"


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
    region: str = "",
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
        region=region,
    )


def taxes(result: Assessment) -> dict[str, float]:
    return {t.id: round(t.amount, 2) for t in result.taxes}


def fees(result: Assessment) -> dict[str, float]:
    return {f.fee.id: round(f.amount, 2) for f in result.fees}


# --------------------------------------------------------------------------- EU
def test_eu_three_euro_vat_charged_on_the_duty(world: Network) -> None:
    """Commission guidance of 2026-06-02 on Reg. (EU) 2026/382 (tariffs_2025_2026.md): a
    T-shirt and a watch pay 2 x EUR 3; import VAT is charged on the duty: 2 x 3 + 20 % =
    EUR 7.20. Five T-shirts pay EUR 3 once (one distinct HS code). The VAT line's base
    is goods + duty (Directive 2006/112/EC art. 85-86)."""
    mixed = explain(
        world,
        parcel("FR", "CN", ("6109.10", 20.0), ("9102.11", 60.0), day="2026-07-01", currency="EUR"),
    )
    assert round(mixed.duty, 2) == 6.00
    (vat,) = mixed.taxes
    assert (vat.id, vat.tax, vat.rate, round(vat.base, 2)) == ("FR_VAT", "VAT", 0.2, 86.00)
    assert round(mixed.duty + vat.amount - 0.2 * 80.0, 2) == 7.20
    assert vat.collection == "point_of_sale"  # IOSS: the seller charges it at checkout
    shirts = explain(
        world, parcel("FR", "CN", *[("6109.10", 10.0)] * 5, day="2026-07-01", currency="EUR")
    )
    assert round(shirts.duty, 2) == 3.00
    assert taxes(shirts) == {"FR_VAT": 10.60}  # 20 % of (50 + 3)


# --------------------------------------------------------------------------- US DDP
def test_us_ddp_parcel_duty_and_entry_fee(world: Network) -> None:
    """A USD 45 cotton T-shirt from China entered by express on 2026-03-01, DDP: HTSUS
    6109.10.00 16.5 % + Section 301 list 4A 7.5 % + Section 122 10 % (CBP CSMS #67844987:
    stacks on MFN and 301) = USD 15.30; no import VAT; the informal-entry merchandise
    processing fee USD 2.69 (CBP FY2026 user fees from 2025-10-01; USD 2.62 in FY2025),
    beside the carrier's entry fee (USD 10, an assumption of the network). The quote
    charges the shipper all of it under DDP and none of it under DAP."""
    result = explain(world, parcel("US", "CN", ("6109.10", 45.0), day="2026-03-01"))
    assert (round(result.duty, 2), result.tax, fees(result)) == (
        15.30,
        0.0,
        {"us_parcel_entry_fee_10usd": 10.0, "US_MPF_INFORMAL_FY2026": 2.69},
    )
    assert round(result.total, 2) == 27.99
    before = explain(world, parcel("US", "CN", ("6109.10", 45.0), day="2025-09-30"))
    assert fees(before)["US_MPF_INFORMAL_FY2025"] == 2.62
    relieved = explain(world, parcel("US", "CN", ("6109.10", 45.0), day="2025-03-01"))
    assert fees(relieved) == {}  # Section 321 de minimis: no entry, no fee

    def quote(incoterm: str) -> dict[str, object]:
        out = CliRunner().invoke(
            main,
            [
                *("quote", "--network", str(GLOBAL), "--from", "CN_SZX_ORIGIN"),
                *("--to", "M_US_EAST", "--weight", "0.3", "--dims", "30x20x5", "--value", "45"),
                *("--currency", "USD", "--category", "apparel", "--ship-date", "2026-03-01"),
                *("--pattern", "direct-package", "--mode", "express", "--incoterm", incoterm),
                "--json",
            ],
        )
        assert out.exit_code == 0, out.output
        (option,) = json.loads(out.output)["options"]
        return option  # type: ignore[no-any-return]

    ddp = quote("DDP")
    assert ddp["duty_usd"] == pytest.approx(15.30, abs=0.005)
    assert ddp["fees"] == [
        {"name": "us_parcel_entry_fee_10usd", "usd": 10.0},  # the broker's fee: an assumption
        {"name": "US_MPF_INFORMAL_FY2026", "usd": 2.69},
    ]
    assert ddp["brokerage_usd"] == pytest.approx(12.69)
    customs = ddp["duty_usd"] + ddp["tax_usd"] + ddp["brokerage_usd"]  # type: ignore[operator]
    assert ddp["shipper_usd"] == pytest.approx(ddp["landed_usd"])
    assert quote("DAP")["shipper_usd"] == pytest.approx(ddp["landed_usd"] - customs)


def test_us_formal_entry_fee_minimum_and_maximum(world: Network) -> None:
    """CBP FY2026 user fees: formal entries (above USD 2,500, 19 CFR 143.21) pay 0.3464 %
    of the entered value, at least USD 33.58 and at most USD 651.50."""

    def mpf(value: float) -> dict[str, float]:
        entry = parcel("US", "JP", ("6109.10", value), day="2026-03-01", channel="commercial")
        got = fees(explain(world, entry))
        assert got.pop("broker_entry_fees") == 150.0  # the broker's fee: an assumption
        return got

    assert mpf(2_500.0) == {"US_MPF_INFORMAL_FY2026": 2.69}
    assert mpf(5_000.0) == {"US_MPF_FORMAL_FY2026": 33.58}  # 17.32 < minimum
    assert mpf(20_000.0) == {"US_MPF_FORMAL_FY2026": 69.28}  # 0.3464 %
    assert mpf(500_000.0) == {"US_MPF_FORMAL_FY2026": 651.50}  # 1,732 > maximum


# --------------------------------------------------------------------------- China CBEC
def test_china_cbec_tax_lines(world: Network) -> None:
    """Caiguanshui [2018] No. 49 (facts.md §2): CBEC retail imports pay 0 % tariff and
    (VAT + consumption tax) / (1 - consumption tax) x 70 %: 9.1 % on ordinary goods;
    23.1 % on high-end cosmetics with the 15 % consumption tax (People's Daily
    2025-11-14). The consumption tax is its own line, both on the grossed-up base."""
    ordinary = explain(
        world,
        parcel("CN", "JP", ("6109.10", 100.0), day="2026-03-01", currency="CNY", channel="bonded"),
    )
    assert taxes(ordinary) == {"CN_VAT_13": 9.10}
    assert ordinary.taxes[0].rate == pytest.approx(0.091)
    cosmetics = explain(
        world,
        parcel("CN", "FR", ("3304.99", 100.0), day="2026-03-01", currency="CNY", channel="bonded"),
    )
    base = 100.0 / 0.85
    assert taxes(cosmetics) == {
        "CN_VAT_13": round(base * 0.13 * 0.7, 2),  # 10.71
        "CN_consumption_tax": round(base * 0.15 * 0.7, 2),  # 12.35
    }
    assert round(cosmetics.tax / 100.0, 3) == 0.231


def test_china_vat_by_date(world: Network) -> None:
    """Import VAT 17 % until 2018-04-30, 16 % from 2018-05-01 (Caishui [2018] No. 32), 13 %
    from 2019-04-01 (MoF/STA/GACC Announcement 2019 No. 39): a CNY 1,000 normal import."""
    for day, rate in (("2018-04-30", 0.17), ("2018-05-01", 0.16), ("2019-04-01", 0.13)):
        result = explain(
            world,
            parcel("CN", "JP", ("6109.10", 1_000.0), day=day, currency="CNY", channel="commercial"),
        )
        assert result.taxes[0].rate == rate
        assert round(result.tax, 2) == round((1_000.0 + result.duty) * rate, 2)


# --------------------------------------------------------------------------- UK
def test_uk_135_pound_rule_tax_lines(world: Network) -> None:
    """HMRC, VAT on low value imports (gov.uk): up to GBP 135 no duty and the 20 % VAT is
    charged by the seller at the point of sale; above it duty (UK Global Tariff 6109 10
    00: 12 %) and VAT on goods + duty at the border."""
    low = explain(world, parcel("GB", "CN", ("6109.10", 135.0), day="2026-03-01", currency="GBP"))
    assert (low.duty, taxes(low), low.tax_collection) == (0.0, {"GB_VAT": 27.0}, "point_of_sale")
    high = explain(world, parcel("GB", "CN", ("6109.10", 140.0), day="2026-03-01", currency="GBP"))
    assert (round(high.duty, 2), taxes(high), high.tax_collection) == (
        16.80,
        {"GB_VAT": 31.36},
        "border",
    )


# --------------------------------------------------------------------------- Canada
def test_canada_hst_in_ontario(world: Network) -> None:
    """CRA GST/HST interpretation 121733: tax on the value for duty + duty (Excise Tax Act
    s. 215) at 13 % in Ontario (5 % federal + 8 % provincial part), collected by the CBSA on
    consumer imports destined for Ontario (CBSA HST implementation, 2010-07-01). A CAD 100
    T-shirt from China: duty 18 % (Customs Tariff ch. 61) = 18; HST 13 % of 118 = 15.34."""
    toronto = explain(
        world,
        parcel("CA", "CN", ("6109.10", 100.0), day="2026-03-01", currency="CAD", region="ON"),
    )
    assert round(toronto.duty, 2) == 18.00
    assert taxes(toronto) == {"CA_GST": 5.90, "CA_ON_HST": 9.44}
    assert round(toronto.tax, 2) == 15.34 == round(0.13 * 118.0, 2)
    # Vancouver: GST only, unless the BC PST variant (entry through BC) is selected
    vancouver = dataclasses.replace(toronto.consignment, region="BC")
    assert taxes(explain(world, vancouver)) == {"CA_GST": 5.90}
    with_pst = dataclasses.replace(vancouver, variants=frozenset({"ca_bc_pst_at_border"}))
    assert taxes(explain(world, with_pst)) == {"CA_GST": 5.90, "CA_BC_PST": 8.26}
    # Montreal: the CBSA does not assess the QST on casual goods; none is in the table
    montreal = dataclasses.replace(toronto.consignment, region="QC")
    assert taxes(explain(world, montreal)) == {"CA_GST": 5.90}


def test_the_toronto_market_pays_13_percent_in_quotes_and_plans(world: Network) -> None:
    """The market node's region is data (node_regions.csv: M_CA is in ON), so the quote and
    plan path (customs.assess with the market node) charges Ontario's HST; a node with no
    region pays the GST only."""

    def charge(market: str) -> tuple[float, float, str]:
        c = assess(
            world,
            dest_country="CA",
            channel=Channel.PARCEL,
            origin_country="CN",
            category="apparel",
            value_usd=100.0,
            freight_usd=0.0,
            day=dt.date(2026, 3, 1),
            market=market,
        )
        return c.duty_usd, c.tax_usd, c.treatment

    duty, tax, text = charge("M_CA")
    assert world.region_of("M_CA") == "ON"
    assert tax == pytest.approx(0.13 * (100.0 + duty))
    assert "tax 13 % (GST 5 % + HST (Ontario part) 8 %)" in text
    _, national, _ = charge("")
    assert national == pytest.approx(0.05 * (100.0 + duty))


# --------------------------------------------------------------------------- bases and dates
def test_australia_gst_is_on_cif_although_duty_is_on_fob(world: Network) -> None:
    """GST Act 1999 s. 13-20: the value of a taxable importation is the customs value (FOB
    in Australia) + international transport and insurance + duty; a commercial import of
    USD 1,000 with USD 100 freight pays its duty on 1,000 and 10 % GST on 1,100 + duty."""
    c = assess(
        world,
        dest_country="AU",
        channel=Channel.COMMERCIAL,
        origin_country="CN",
        category="apparel",
        value_usd=1_000.0,
        freight_usd=100.0,
        day=dt.date(2026, 3, 1),
    )
    fob_duty = assess(
        world,
        dest_country="AU",
        channel=Channel.COMMERCIAL,
        origin_country="CN",
        category="apparel",
        value_usd=1_000.0,
        freight_usd=0.0,
        day=dt.date(2026, 3, 1),
    ).duty_usd
    assert c.duty_usd == pytest.approx(fob_duty)
    assert c.tax_usd == pytest.approx(0.10 * (1_100.0 + c.duty_usd))


def test_germany_vat_cut_in_the_second_half_of_2020(world: Network) -> None:
    """Zweites Corona-Steuerhilfegesetz: 16 % from 2020-07-01 to 2020-12-31, 19 % before and
    after (European Commission VAT rates list)."""
    rates = {}
    for day in ("2020-06-30", "2020-07-01", "2020-12-31", "2021-01-01"):
        result = explain(
            world,
            parcel("DE", "CN", ("6109.10", 1_000.0), day=day, currency="EUR", channel="commercial"),
        )
        rates[day] = result.taxes[0].rate
    assert rates == {
        "2020-06-30": 0.19,
        "2020-07-01": 0.16,
        "2020-12-31": 0.16,
        "2021-01-01": 0.19,
    }


def test_a_date_before_the_first_row_says_so(world: Network) -> None:
    result = explain(
        world, parcel("FR", "CN", ("6109.10", 200.0), day="2013-06-01", currency="EUR")
    )
    assert result.taxes[0].id == "FR_VAT"
    assert any("known from 2014-01-01" in note for note in result.notes)


# --------------------------------------------------------------------------- the CLI
def test_cli_explain_shows_tax_and_fee_lines() -> None:
    runner = CliRunner()
    args = ["tariffs", "explain", "--network", str(GLOBAL), "--to", "CA", "--from", "CN"]
    out = runner.invoke(
        main,
        [
            *args,
            "--region",
            "ON",
            "--hs",
            "6109.10",
            "--value",
            "100",
            "--currency",
            "CAD",
            "--date",
            "2026-03-01",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["region"] == "ON"
    assert [(t["id"], t["amount"]) for t in doc["taxes"]] == [
        ("CA_GST", 5.9),
        ("CA_ON_HST", 9.44),
    ]
    assert (doc["tax"], doc["fee"], doc["total"]) == (15.34, 9.95, 43.29)  # fee: CAD 9.95 assumed
    text = runner.invoke(
        main,
        [
            "tariffs",
            "explain",
            "--network",
            str(GLOBAL),
            "--to",
            "US",
            "--from",
            "CN",
            "--hs",
            "6109.10",
            "--value",
            "45",
            "--date",
            "2026-03-01",
        ],
    ).output
    assert "fee  US_MPF_INFORMAL_FY2026: CBP merchandise processing fee" in text
    assert "fee  us_parcel_entry_fee_10usd: US parcel entry fee USD 10 (assumption)" in text
    assert "fees 12.69 USD; total 27.99 USD" in text
    bad = runner.invoke(
        main,
        [*args, "--region", "ONT", "--hs", "6109.10", "--value", "1", "--date", "2026-03-01"],
    )
    assert bad.exit_code == 2
    assert "--region" in bad.stderr and "did you mean" not in bad.stderr and "BC, ON" in bad.stderr


# --------------------------------------------------------------------------- the tables' checks
TINY = Path(__file__).parent / "data" / "tiny"


def test_validate_reports_every_tax_and_fee_problem(tmp_path: Path) -> None:
    """One run of ``xborder validate`` names file, line and field of every problem: two rows
    of one tax on overlapping dates, a country with no national row (it would pay no tax
    silently), an unknown country, a fee without its amount, a fee of an unknown territory,
    a node region of an unknown node."""
    import shutil

    net = shutil.copytree(TINY, tmp_path / "tiny")
    (net / "import_taxes.csv").write_text(
        "id,country,region,tax,rate,base,collection,valid_from,valid_to,variant,note,source\n"
        "CN_A,CN,,VAT,0.13,cif_duty_excise,border,2019-04-01,,,,s\n"
        "CN_B,CN,,VAT,0.16,cif_duty_excise,border,2018-05-01,2019-04-01,,,s\n"
        "XX_VAT,CX,,VAT,0.1,cif_duty,border,2019-01-01,,,,s\n",
        encoding="utf-8",
    )
    (net / "import_fees.csv").write_text(
        "id,territory,name,basis,amount,rate,minimum,maximum,currency,value_over,value_up_to,"
        "channels,valid_from,valid_to,note,source\n"
        "F1,US,fee,per_entry,,,,,USD,,,express,2025-10-01,,,s\n"
        "F2,UX,fee,per_entry,1,,,,USD,,,express,2025-10-01,,,s\n",
        encoding="utf-8",
    )
    (net / "node_regions.csv").write_text("node,region,source\nNOPE,ON,s\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["validate", str(net)])
    assert out.exit_code == 2
    err = out.stderr
    for expected in (
        "import_taxes.csv, line 3, field 'valid_from': overlaps line 2 (CN_A)",
        "import_taxes.csv, line 4, field 'country': unknown countries code (got 'CX')",
        "countries.csv, line 3, field 'code': no import_taxes.csv row for this country (got 'US')",
        "import_fees.csv, line 2, field 'amount': value is missing",
        "import_fees.csv, line 3, field 'territory': unknown territory (got 'UX')",
        "node_regions.csv, line 2, field 'node': unknown nodes id (got 'NOPE')",
    ):
        assert expected in err, (expected, err)


def test_tables_round_trip_through_export(tmp_path: Path, world: Network) -> None:
    from optimizer.network.writer import export_network

    export_network(world, tmp_path / "out", "csv")
    again = read_network(tmp_path / "out")
    assert again.import_taxes == world.import_taxes
    assert again.import_fees == world.import_fees
    assert again.node_regions == world.node_regions


def test_assess_splits_assumed_and_published_fees(world: Network) -> None:
    """A US parcel on 2026-03-01 pays the carrier's USD 10 entry fee (an assumption, which
    what_if.assumptions can switch off) and CBP's USD 2.69 fee (published): the charge keeps
    them apart, so a plan's ``assumed_fees`` counts only the first."""
    charge = assess(
        world,
        dest_country="US",
        channel=Channel.PARCEL,
        origin_country="CN",
        category="apparel",
        value_usd=45.0,
        freight_usd=0.0,
        day=dt.date(2026, 3, 1),
        market="M_US_EAST",
    )
    assert charge.fees == (("us_parcel_entry_fee_10usd", 10.0), ("US_MPF_INFORMAL_FY2026", 2.69))
    assert (charge.fee_usd, charge.assumed_fee_usd) == pytest.approx((12.69, 10.0))
    assert "fee US_MPF_INFORMAL_FY2026 USD 2.69" in charge.treatment
    bulk = assess(
        world,
        dest_country="US",
        channel=Channel.COMMERCIAL,
        origin_country="CN",
        category="apparel",
        value_usd=45.0,
        freight_usd=0.0,
        day=dt.date(2026, 3, 1),
    )
    assert [name for name, _ in bulk.fees] == ["broker_entry_fees"]  # no MPF per order


def test_a_postal_item_pays_no_merchandise_processing_fee(world: Network) -> None:
    """CBP's merchandise processing fee is charged on express and commercial entries
    (import_fees.csv channels); a parcel entering the US by post is a postal item and pays
    none of it, while its duty follows the postal layers."""

    def charge(mode: Mode | None) -> dict[str, float]:
        return dict(
            assess(
                world,
                dest_country="US",
                channel=Channel.PARCEL,
                origin_country="CN",
                category="apparel",
                value_usd=45.0,
                freight_usd=0.0,
                day=dt.date(2026, 3, 1),
                market="M_US_EAST",
                mode=mode,
            ).fees
        )

    assert charge(None)["US_MPF_INFORMAL_FY2026"] == 2.69
    assert charge(Mode.EXPRESS)["US_MPF_INFORMAL_FY2026"] == 2.69
    assert "US_MPF_INFORMAL_FY2026" not in charge(Mode.POSTAL)
