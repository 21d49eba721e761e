"""The label-setting Pareto search agrees with brute-force path enumeration on random networks."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pytest
from costing_fixtures import CATEGORIES, COUNTRIES, CUSTOMS_RULES, DUTY_RATES, FX
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.network.records import (
    Lane,
    Mode,
    Network,
    Node,
    NodeKind,
    Scope,
    Tariff,
    TariffBasis,
)
from optimizer.quote import Filters, Piece, Quoter, Shipment
from optimizer.quote.labels import Point, SearchSpace, label_front, nondominated
from optimizer.quote.options import price_option, route_facts
from optimizer.quote.pricing import ShipmentPricer
from optimizer.routes.candidates import Route
from optimizer.scenario.records import Pattern


@st.composite
def networks(draw):
    hubs = draw(st.integers(1, 4))
    names = ["A_O", *(f"H{i}" for i in range(hubs)), "Z_M"]
    nodes = [Node("A_O", "origin", NodeKind.ORIGIN_WAREHOUSE, "CN", 0, 0, handling_days=0.5)]
    for name in names[1:-1]:
        nodes.append(
            Node(
                name,
                name,
                NodeKind.HUB,
                draw(st.sampled_from(["CN", "US"])),
                0,
                0,
                handling_days=draw(st.sampled_from([0.0, 0.5, 1.0])),
                handling_cost_per_kg=draw(st.sampled_from([0.0, 0.05, 0.2])),
                customs_days=draw(st.sampled_from([0.0, 1.0, 2.0])),
                inspection_rate=draw(st.sampled_from([0.0, 0.1])),
                inspection_delay_days=3.0,
            )
        )
    nodes.append(Node("Z_M", "market", NodeKind.MARKET, "US", 0, 0, customs_days=1.0))
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(names[:-1]), st.sampled_from(names[1:])).filter(
                lambda p: p[0] != p[1]
            ),
            min_size=2,
            max_size=9,
        )
    )
    lanes, tariffs = [], []
    for i, (a, b) in enumerate(pairs):
        tid = f"T{i:02d}"
        tariffs.append(
            Tariff(
                tid,
                TariffBasis.PER_KG,
                "USD",
                volumetric_divisor_cm3_per_kg=6000.0,
                price_per_kg=draw(st.floats(0.2, 8.0)),
                minimum_charge=draw(st.sampled_from([0, 20])),
                fuel_surcharge_pct=draw(st.sampled_from([0.0, 15.0])),
            )
        )
        mean = draw(st.floats(0.5, 12.0))
        lanes.append(
            Lane(
                f"L{i:02d}",
                a,
                b,
                Mode.AIR,
                "C",
                Scope.PARCEL,
                tid,
                mean,
                mean * draw(st.floats(1.05, 2.0)),
                0.5,
                1000.0,
                departures_per_week=draw(st.sampled_from([1.0, 3.0, 7.0])),
            )
        )
    return Network(
        "random",
        tuple(nodes),
        tuple(lanes),
        tuple(tariffs),
        COUNTRIES,
        FX,
        CATEGORIES,
        DUTY_RATES,
        CUSTOMS_RULES,
    )


def shipment(weight: float, value: float) -> Shipment:
    return Shipment(
        "A_O", "Z_M", (Piece(weight, weight / 250.0),), value, "apparel", dt.date(2026, 3, 1)
    )


def brute_force(network: Network, pricer: ShipmentPricer) -> list[Point]:
    graph = nx.MultiDiGraph()
    for lane in network.lanes:
        graph.add_edge(lane.origin, lane.dest, key=lane.id)
    points = []
    if "A_O" not in graph or "Z_M" not in graph:
        return points
    territory = {n.id: network.territory_of(n.id) for n in network.nodes}
    for path in nx.all_simple_edge_paths(graph, "A_O", "Z_M"):
        if reenters([territory["A_O"], *(territory[v] for _, v, _ in path)]):
            continue  # not a candidate route: left a customs territory and came back
        route = Route(Pattern.DIRECT, (), tuple(key for _, _, key in path), None)
        option, _ = price_option(pricer, route, route_facts(network, route, "Z_M"))
        if option is not None:
            points.append(Point(route.key, option.landed_usd, option.p90_days))
    return points


def reenters(territories: list[str]) -> bool:
    """Does the sequence of territories come back to one it has left?"""
    runs = [t for i, t in enumerate(territories) if i == 0 or t != territories[i - 1]]
    return len(runs) != len(set(runs))


def values(points: list[Point]) -> list[float]:
    """Front as a flat list (cost, P90, cost, P90, ...), duplicates of a point merged."""
    pairs = sorted({(round(p.cost, 6), round(float(p.p90), 6)) for p in points})
    return [x for pair in pairs for x in pair]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network=networks(), weight=st.floats(0.5, 40.0), value=st.floats(5.0, 500.0))
def test_label_setting_front_equals_brute_force(network, weight, value):
    pricer = ShipmentPricer(network, shipment(weight, value))
    expected = nondominated(brute_force(network, pricer))
    got = label_front(SearchSpace.build(network, max_legs=10), pricer, Pattern.DIRECT)
    assert values(got) == pytest.approx(values(expected), rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network=networks(), weight=st.floats(0.5, 40.0), value=st.floats(5.0, 500.0))
def test_quote_flags_are_exactly_the_nondominated_options(network, weight, value):
    result = Quoter(network, max_legs=10).quote(shipment(weight, value))
    for o in result.options:
        beaten = any(
            p.landed_usd <= o.landed_usd + 1e-6
            and p.p90_days <= o.p90_days + 1e-6
            and (p.landed_usd < o.landed_usd - 1e-6 or p.p90_days < o.p90_days - 1e-6)
            for p in result.options
        )
        assert o.pareto is not beaten, o.route


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network=networks(), weight=st.floats(0.5, 40.0), value=st.floats(5.0, 500.0))
def test_search_on_the_corridor_graph_equals_the_route_table_front(network, weight, value):
    """The quote's search (corridor lanes only) finds the front of the priced candidate routes."""
    quoter = Quoter(network, max_legs=10)
    s = shipment(weight, value)
    by_search = quoter.quote(s, pareto="search")
    by_table = quoter.quote(s, pareto="table")
    assert [(o.route, o.pareto) for o in by_search.options] == [
        (o.route, o.pareto) for o in by_table.options
    ]
    corridor = quoter._corridor("A_O", "Z_M", Pattern.DIRECT, Filters())
    if corridor is not None:
        pricer = ShipmentPricer(network, s)
        space = quoter._space(Filters(), network)
        on_corridor = label_front(space, pricer, Pattern.DIRECT, graph=corridor.graph)
        whole = label_front(space, pricer, Pattern.DIRECT)
        assert values(on_corridor) == pytest.approx(values(whole), rel=1e-9, abs=1e-6)
