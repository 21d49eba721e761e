"""Quotes checked by hand on the fixture network, the CLI contract and bad input."""

from __future__ import annotations

import itertools
import json

import pytest
from click.testing import CliRunner
from costing_fixtures import make_network, make_shipment

from optimizer.cli.main import main
from optimizer.quote import Filters, Quoter, parse_shipment
from optimizer.quote.batch import quote_frame
from optimizer.scenario.records import Pattern

NET = make_network()
QUOTER = Quoter(NET)
approx = pytest.approx


def ship(**fields):
    return make_shipment(NET, **fields)


def by_route(result):
    return {o.route: o for o in result.options}


def test_parcel_to_us_priced_by_hand():
    opts = by_route(QUOTER.quote(ship()))
    # CN origin, 2026: no de minimis; duty 45 % of the FOB value 60 = 27, entry fee 5
    post = opts["direct-package:POST_SZ_US"]
    assert post.freight_usd == approx(72 / 7.2)  # 1.2 kg: CNY 36 + 2 × 18
    assert (post.duty_usd, post.brokerage_usd, post.landed_usd) == approx((27.0, 5.0, 42.0))
    express = opts["direct-package:EXP_SZ_US"]  # 14.4 < min 40; fuel 20 %; handling 5
    assert (express.freight_usd, express.fuel_usd, express.landed_usd) == approx((40, 8, 85))
    air = opts["direct-package:TRK_SZ_AIR>AIR_CN_US>LM_USAIR_US"]
    legs = {leg.lane: leg for leg in air.legs}
    assert (legs["TRK_SZ_AIR"].chargeable_kg, legs["TRK_SZ_AIR"].rule) == (
        approx(2.0),
        "volumetric",
    )
    assert legs["AIR_CN_US"].rule == "actual"  # 1 kg volumetric < 1.2 kg
    # truck CNY 36 minimum = 5, CN_AIR handling 0.12, air 50 + 10 + 25, last mile 7, customs 32
    assert air.landed_usd == approx(5 + 0.12 + 85 + 7 + 32)
    assert air.treatment.startswith("US: no de minimis for CN/HK since 2025-05-02")


def test_tags_and_pareto_flags():
    result = QUOTER.quote(ship())
    for group in ("ship-now", "from-stock"):
        options = result.group(group)
        assert options, group
        tags = {t: o.route for o in options for t in o.tags}
        assert tags["CHEAPEST"] == options[0].route
        fastest = min(options, key=lambda o: o.p90_days)
        assert tags["FASTEST"] == fastest.route
        assert all(o.landed_usd <= p.landed_usd for o, p in itertools.pairwise(options))
        for o in options:
            beaten = any(
                p.landed_usd < o.landed_usd - 1e-6 and p.p90_days < o.p90_days - 1e-6
                for p in options
            )
            assert not (o.pareto and beaten)
        assert next(o for o in options if "BEST_VALUE" in o.tags).pareto
    hidden = QUOTER.quote(ship(), hide_dominated=True)
    assert {o.route for o in hidden.options} == {o.route for o in result.options if o.pareto}


def test_ship_now_and_from_stock_are_separate_groups():
    """Stock options start at the shelf: they are tagged and compared among themselves,
    listed after the ship-now options by default, and say what the stock takes."""
    result = QUOTER.quote(ship())
    groups = [o.group for o in result.options]
    assert groups == sorted(groups, key=["ship-now", "from-stock"].index)  # ship-now leads
    assert {o.group for o in result.options} == {"ship-now", "from-stock"}
    for o in result.options:
        assert o.group == ("from-stock" if o.pattern.uses_stock else "ship-now")
        assert (o.bulk_p90_days is not None) == (o.group == "from-stock")  # without detail=
        if o.group == "from-stock":
            assert o.bulk_p50_days is not None and o.bulk_p90_days > o.p90_days
            assert o.stock_usd > 0
    # each group has its own CHEAPEST / FASTEST / BEST_VALUE, exactly once
    for tag in ("CHEAPEST", "FASTEST", "BEST_VALUE"):
        assert sorted(o.group for o in result.options if tag in o.tags) == [
            "from-stock",
            "ship-now",
        ]
    # the replenishment lead time is the bulk leg's own distribution (shared prefixes or not)
    from optimizer.quote.options import route_facts
    from optimizer.routes.candidates import candidate_routes

    routes = {
        r.key: r
        for p in (Pattern.BONDED, Pattern.OVERSEAS)
        for r in candidate_routes(NET, "SZ_WH", "US_MKT", p, max_legs=QUOTER.max_legs)
    }
    for o in result.group("from-stock"):
        facts = route_facts(NET, routes[o.route], "US_MKT")
        assert (o.bulk_p50_days, o.bulk_p90_days) == (facts.bulk_p50, facts.bulk_p90)
    stock_first = QUOTER.quote(ship(), lead="from-stock")
    assert stock_first.options[0].group == "from-stock"
    assert {o.route for o in stock_first.options} == {o.route for o in result.options}


def test_hide_dominated_keeps_the_fastest_ship_now_option():
    """A cheap, 'fast' from-stock option must not hide express (which ships today)."""
    full = QUOTER.quote(ship())
    hidden = QUOTER.quote(ship(), hide_dominated=True)
    ship_now = full.group("ship-now")
    fastest = min(ship_now, key=lambda o: (o.p90_days, o.landed_usd))
    cheapest_stock = full.group("from-stock")[0]
    assert cheapest_stock.landed_usd < fastest.landed_usd  # the stock option would dominate it
    assert cheapest_stock.p90_days < fastest.p90_days
    assert fastest.route in {o.route for o in hidden.group("ship-now")}
    assert "FASTEST" in next(o for o in hidden.options if o.route == fastest.route).tags


def test_us_before_and_after_2025_08_29():
    before = QUOTER.quote(ship(**{"from": "VN_WH", "ship_date": "2025-08-28"})).options[0]
    after = QUOTER.quote(ship(**{"from": "VN_WH", "ship_date": "2025-08-29"})).options[0]
    assert before.duty_usd == 0.0 and "de minimis $800" in before.treatment
    assert after.duty_usd == approx(0.12 * 60) and after.brokerage_usd == 5.0
    assert after.landed_usd - before.landed_usd == approx(0.12 * 60 + 5.0)


def test_eu_before_and_after_2026_07_01():
    fields = {"to": "DE_MKT", "value": "90", "currency": "EUR", "pattern": "direct-package"}
    june = by_route(QUOTER.quote(ship(**fields, ship_date="2026-06-30")))
    july = by_route(QUOTER.quote(ship(**fields, ship_date="2026-07-01")))
    before, after = june["direct-package:EXP_SZ_DE"], july["direct-package:EXP_SZ_DE"]
    freight = 40 + 8 + 5  # express minimum + fuel + handling, in the CIF customs value
    value = 90 / 0.9
    assert before.duty_usd == 0.0 and before.tax_usd == approx(0.19 * (value + freight))
    assert not before.tax_at_border
    assert after.duty_usd == approx(3 / 0.9)  # €3 flat, one item
    assert after.tax_usd == approx(0.19 * (value + freight + 3 / 0.9))
    assert after.brokerage_usd == approx(2 / 0.9)


def test_bonded_import_to_china_and_annual_limit():
    res = QUOTER.quote(ship(**{"from": "DE_WH", "to": "CN_MKT", "value": "500"}), detail=True)
    bonded = [o for o in res.options if o.pattern == "bonded-warehouse"]
    assert bonded and "CN 1210" in bonded[0].treatment and "9.1 %" in bonded[0].treatment
    assert bonded[0].bulk_p90_days is not None and bonded[0].p90_days < 5
    huge = QUOTER.quote(
        ship(**{"from": "DE_WH", "to": "CN_MKT", "value": "30000", "currency": "CNY", "items": "1"})
    )
    reasons = " ".join(r.reason for r in huge.rejections)
    assert "26,000 annual limit" in reasons


def test_too_heavy_for_every_parcel_service_gives_reasons():
    res = QUOTER.quote(ship(weight_kg="300", dims_cm="120x80x100", pattern="direct-package"))
    assert not res.options
    reasons = {r.reason for r in res.rejections}
    assert any("over the 70 kg limit" in r for r in reasons)
    assert any("over the 2 kg limit" in r for r in reasons)


def test_no_lane_to_market():
    res = QUOTER.quote(ship(to="GB_MKT", pattern="bonded-warehouse"))
    assert not res.options
    assert res.rejections[0].routes == 0 and "no bulk lane path" in res.rejections[0].reason


def test_filters():
    res = QUOTER.quote(ship(), filters=Filters(modes=("air",)))
    assert res.options and all("air" in o.modes for o in res.options)
    cheap = QUOTER.quote(ship(), filters=Filters(max_price=50.0))
    assert cheap.options and all(o.landed_usd <= 50 for o in cheap.options)
    fast = QUOTER.quote(ship(), filters=Filters(max_days=8.0))
    assert fast.options and all(o.p90_days <= 8 for o in fast.options)
    assert any("over the limit" in r.reason for r in fast.rejections)


def test_quote_frame():
    frame = quote_frame(QUOTER, [ship(id="a"), ship(id="b", weight_kg="300", dims_cm="1x1x1")])
    assert set(frame["shipment"]) == {"a", "b"}
    assert (frame[frame.shipment == "a"]["option"] >= 1).all()


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"weight_kg": "-1"}, "weight_kg", "out of range"),
        ({"dims_cm": "30x0x10"}, "dims_cm", "out of range"),
        ({"from": "SZ_WHH"}, "from", "did you mean 'SZ_WH'"),
        ({"currency": ""}, "currency", "value is missing"),
        ({"to": "US_AIR"}, "to", "not a market"),
        ({"category": "apparrel"}, "category", "did you mean 'apparel'"),
        ({"ship_date": "2026-13-01"}, "ship_date", "YYYY-MM-DD"),
    ],
)
def test_bad_shipment_fields(fields, field, text):
    raw = {
        "from": "SZ_WH",
        "to": "US_MKT",
        "weight_kg": "1",
        "dims_cm": "10x10x10",
        "value": "10",
        "currency": "USD",
        "category": "apparel",
    }
    raw.update(fields)
    shipment, problems = parse_shipment(NET, raw)
    assert shipment is None
    assert [p.field for p in problems] == [field]
    assert text in str(problems[0])


# -- CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch):
    monkeypatch.setattr("optimizer.network.reader.read_network", lambda path: NET)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["quote", "--network", "fixture", *args])

    return run


BASE = [
    "--from",
    "SZ_WH",
    "--to",
    "US_MKT",
    "--weight",
    "1.2",
    "--dims",
    "30x20x10",
    "--value",
    "60",
    "--currency",
    "USD",
    "--category",
    "apparel",
    "--ship-date",
    "2026-03-01",
]


def test_cli_table_and_json(cli):
    table = cli(*BASE)
    assert table.exit_code == 0, table.output
    assert "CHEAPEST" in table.output and "customs: US" in table.output
    out = cli(*BASE, "--json")
    data = json.loads(out.output)
    assert data["options"][0]["tags"] and data["options"][0]["legs"][0]["chargeable_kg"] > 0
    assert data["format_version"] == 1 and data["lead"] == "ship-now"
    groups = [o["group"] for o in data["options"]]
    assert groups[0] == "ship-now" and set(groups) == {"ship-now", "from-stock"}
    assert "Ship now: door to door" in table.output and "From stock: only if stock" in table.output
    assert table.output.index("Ship now") < table.output.index("From stock")
    lead = json.loads(cli(*BASE, "--json", "--lead", "from-stock").output)
    assert lead["options"][0]["group"] == "from-stock"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("--weight", "-2"), "--weight"),
        (("--from", "SZ_WHX"), "did you mean 'SZ_WH'"),
        (("--dims", "30x20x0"), "--dims"),
        (("--currency", ""), "--currency"),
    ],
)
def test_cli_bad_input_exits_2(cli, change, named):
    args = list(BASE)
    i = args.index(change[0])
    args[i + 1] = change[1]
    res = cli(*args)
    assert res.exit_code == 2, res.output
    assert named in res.output and "Traceback" not in res.output


def test_cli_nothing_fits_exits_3(cli):
    res = cli(*[a if a != "1.2" else "300" for a in BASE], "--pattern", "direct-package")
    assert res.exit_code == 3
    assert "No option can carry" in res.output and "70 kg limit" in res.output


def test_cli_batch(cli, tmp_path):
    src = tmp_path / "shipments.csv"
    src.write_text(
        "id,from,to,weight_kg,dims_cm,value,currency,category,ship_date\n"
        "s1,SZ_WH,US_MKT,1.2,30x20x10,60,USD,apparel,2026-03-01\n"
        "s2,SZ_WH,DE_MKT,0.5,20x15x5,30,EUR,apparel,2026-07-02\n"
    )
    out = tmp_path / "quotes.csv"
    res = cli("--batch", str(src), "-o", str(out), "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    assert summary["shipments"] == 2 and summary["rows"] > 2
    assert out.read_text().startswith("shipment,option,group,pattern")


def test_cli_batch_reports_every_bad_row(cli, tmp_path):
    src = tmp_path / "shipments.csv"
    src.write_text(
        "from,to,weight_kg,dims_cm,value,currency,category\n"
        "SZ_WH,US_MKT,-1,30x20x10,60,USD,apparel\n"
        "SZ_WH,US_MKX,1,30x20x10,60,USD,apparel\n"
    )
    res = cli("--batch", str(src), "-o", str(tmp_path / "q.csv"))
    assert res.exit_code == 2
    assert "line 2, field 'weight_kg'" in res.output and "line 3, field 'to'" in res.output


@pytest.mark.parametrize(
    ("origin", "market"), [("SZ_WH", "US_MKT"), ("SZ_WH", "DE_MKT"), ("DE_WH", "CN_MKT")]
)
def test_corridor_arrays_price_every_route_like_the_reference(origin, market):
    from collections import Counter

    from optimizer.quote.engine import price_corridor
    from optimizer.quote.options import price_option, route_facts
    from optimizer.quote.pricing import ShipmentPricer
    from optimizer.scenario.records import Pattern

    quoter = Quoter(NET)
    shipment = ship(**{"from": origin, "to": market})
    pricer = ShipmentPricer(NET, shipment)
    for pattern in Pattern:
        corridor = quoter._corridor(origin, market, pattern, Filters())
        if corridor is None:
            continue
        landed, feasible = price_corridor(corridor, pricer, Filters(), Counter())
        for i, route in enumerate(corridor.routes):
            option, _ = price_option(pricer, route, route_facts(NET, route, market))
            assert (option is not None) == bool(feasible[i])
            if option is not None:
                assert landed[i] == approx(option.landed_usd)
                assert corridor.p90[i] == approx(option.p90_days, abs=1e-9)


# -- route tables, the two ways to the Pareto front, parallel batches ----------------------------

ORIGINS = ("SZ_WH", "DE_WH", "VN_WH")
MARKETS = ("US_MKT", "DE_MKT", "CN_MKT", "GB_MKT")


def cross_border(origin):
    """The markets outside the origin's customs territory (domestic flows are refused)."""
    return [m for m in MARKETS if NET.territory_of(m) != NET.territory_of(origin)]


def test_lead_times_do_not_depend_on_which_corridor_was_quoted_first():
    """Route tables share a lead-time cache across corridors; a prefix's time must not leak
    from a market of another customs territory (import clearance at a different node)."""
    from optimizer.quote.options import route_facts

    quoter = Quoter(NET)
    for origin in ORIGINS:
        for market in cross_border(origin):
            quoter.quote(ship(**{"from": origin, "to": market}))
    for (_, market, _, _), corridor in quoter._corridors.items():
        if corridor is None:
            continue
        for i, route in enumerate(corridor.routes):
            reference = route_facts(NET, route, market)
            assert corridor.p90[i] == approx(reference.p90, abs=1e-9), route.key
            assert corridor.p50[i] == approx(reference.p50, abs=1e-9), route.key


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("weight", ["0.4", "1.2", "25"])
def test_search_and_route_table_give_the_same_options_and_flags(origin, weight):
    for market in cross_border(origin):
        shipment = ship(**{"from": origin, "to": market, "weight_kg": weight})
        by_search = QUOTER.quote(shipment, pareto="search")
        by_table = QUOTER.quote(shipment, pareto="table")
        assert [(o.route, o.pareto, o.tags) for o in by_search.options] == [
            (o.route, o.pareto, o.tags) for o in by_table.options
        ]
        assert by_search.rejections == by_table.rejections


def test_parallel_batch_rows_equal_in_process_rows(monkeypatch):
    from optimizer.quote import batch

    monkeypatch.setattr(batch, "PARALLEL_MIN_SHIPMENTS", 0)
    monkeypatch.setattr(batch, "WINDOW", 7)  # several windows, each written in input order
    fields = [
        {"id": str(i), "from": o, "to": cross_border(o)[i % 3], "weight_kg": str(0.3 + i)}
        for i, o in ((i, ORIGINS[i % 3]) for i in range(20))
    ]
    shipments = [ship(**f) for f in fields]
    done: list[int] = []
    parallel = list(batch.quote_rows(Quoter(NET), shipments, workers=2, progress=done.append))
    serial = list(batch.quote_rows(Quoter(NET), shipments, workers=1))
    assert parallel == serial and sum(done) == len(shipments)
    assert [rows[0]["shipment"] for rows in parallel] == [str(i) for i in range(20)]
