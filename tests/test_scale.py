"""The speed-ups of issue 18 compute exactly what the plain code did.

* :func:`leadtime.running_total` (shared prefixes) is :func:`leadtime.total` bit for bit;
* ``build_candidates`` (price, rank, build only the kept options) keeps exactly the
  options a plain evaluate-everything-then-sort would keep, in the same order;
* ``routes_geojson`` (lane coordinates once per call) writes what shapely's
  ``mapping(MultiLineString(...))`` of each allocation gives;
* pausing the garbage collector always restores its previous state.
"""

from __future__ import annotations

import gc
import json
import random
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import MultiLineString, mapping

from optimizer.costing import leadtime as lt
from optimizer.costing.emissions import co2e_kg, route_co2e_kg
from optimizer.network.geometry import lane_geometry
from optimizer.plan.writers import routes_geojson
from optimizer.routes.evaluate import RouteEvaluator
from optimizer.scenario.generate import generate_scenario
from optimizer.scenario.load import load
from optimizer.solve import flow_model as fm
from optimizer.solve.gc_pause import gc_paused, paused_gc
from optimizer.solve.optimize import build_candidates, optimize, structural_routes

ROOT = Path(__file__).resolve().parents[1]


def test_running_total_is_total_bit_for_bit():
    a = lt.LeadTime.uniform(0.0, 3.5)
    b = lt.LeadTime.lognormal(4.0, 6.0)
    c = lt.LeadTime.constant(0.37)
    d = lt.LeadTime.bernoulli_delay(0.1, 2.0)
    for parts in [(), (a,), (a, b), (a, b, c), (a, b, c, d), (c, d, a, b)]:
        got, want = lt.running_total(parts), lt.total(parts)
        assert got.offset == want.offset
        assert np.array_equal(got.pmf, want.pmf)
    # the prefix (a, b) is convolved once and shared by both longer sums
    assert lt.running_total((a, b)) is lt.running_total((a, b))


def _generated(tmp_path: Path, n: int):
    path = generate_scenario(ROOT / "networks" / "global", n, 5, tmp_path / "sc")
    return load(path)[:2]


def test_kept_options_match_plain_evaluate_and_sort(tmp_path):
    scenario, network = _generated(tmp_path, 40)
    evaluator = RouteEvaluator(network)
    table = structural_routes(network, scenario, evaluator=evaluator)
    got = build_candidates(network, scenario, table=table, evaluator=evaluator).options
    keep = scenario.options.candidates_per_pattern
    want = []
    for d in scenario.demands:
        for p in d.patterns:
            opts = [
                evaluator.evaluate(d, r, day=scenario.plan_date, inventory=scenario.inventory)
                for r in table[(d.origin, d.market, p)][0]
            ]
            ok = [o for o in opts if o.ok and o.p90 <= d.sla_days + 1e-9]
            ok.sort(
                key=lambda o: (
                    fm.option_unit_cost(o, scenario)
                    + sum(c.share() * c.container_cost_usd for c in o.containers),
                    o.route.key,
                )
            )
            want.extend(ok[:keep])
    assert len(got) > 100
    assert got == want


def test_routes_geojson_geometry_is_shapely_mapping(tmp_path):
    scenario, network = _generated(tmp_path, 12)
    plan = optimize(scenario, network)
    features = routes_geojson(plan, network)["features"]
    allocations = [a for d in plan.demands for a in d.allocations]
    assert features and len(features) == len(allocations)
    for f, a in zip(features, allocations, strict=True):
        lines = [lane_geometry(network, network.lane_by_id[x]) for x in a.lanes]
        assert json.dumps(f["geometry"]) == json.dumps(mapping(MultiLineString(lines)))


def test_paused_gc_restores_the_collector_state():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: stays off, and the outer block still restores it
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    @gc_paused
    def boom() -> None:
        assert not gc.isenabled()
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # was off before: left off
    finally:
        gc.enable()


def test_route_co2e_is_the_sum_of_its_legs_bit_for_bit():
    rng = random.Random(18)
    for _ in range(2000):
        w = rng.uniform(0.01, 500.0)
        legs = tuple(
            (rng.uniform(1.0, 20000.0), rng.uniform(0.001, 1.5)) for _ in range(rng.randint(0, 6))
        )
        assert route_co2e_kg(w, legs) == sum(co2e_kg(w, km, f) for km, f in legs)
