"""The seeded scenario and network generators (optimizer/scenario/generate.py)."""

from __future__ import annotations

from pathlib import Path

from optimizer.network.reader import load_network
from optimizer.scenario.generate import generate_network, generate_scenario
from optimizer.scenario.load import load
from optimizer.solve.optimize import optimize

GLOBAL = Path(__file__).resolve().parents[1] / "networks" / "global"


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    a = generate_scenario(GLOBAL, 50, 7, tmp_path / "a")
    b = generate_scenario(GLOBAL, 50, 7, tmp_path / "b")
    c = generate_scenario(GLOBAL, 50, 8, tmp_path / "c")
    assert a.read_text() == b.read_text()
    csv_a = (a.parent / "demands.csv").read_text()
    assert csv_a == (b.parent / "demands.csv").read_text()
    assert csv_a != (c.parent / "demands.csv").read_text()
    assert len(csv_a.splitlines()) == 51


def test_generated_scenario_reads_and_validates(tmp_path: Path) -> None:
    sc, network, _ = load(generate_scenario(GLOBAL, 300, 3, tmp_path))
    assert len(sc.demands) == 300
    assert len({d.id for d in sc.demands}) == 300
    for d in sc.demands:
        assert network.territory_of(d.origin) != network.territory_of(d.market)
        assert 0.05 <= d.weight_kg <= 25 and d.volume_m3 > 0 and d.value_usd >= 2
        assert 5 <= d.sla_days <= 30 and 5 <= d.orders_per_week <= 20000


def test_small_generated_case_solves_optimal(tmp_path: Path) -> None:
    path = generate_scenario(GLOBAL, 30, 11, tmp_path, relative_gap=1e-4, time_limit_s=120)
    sc, network, _ = load(path)
    plan = optimize(sc, network)
    assert plan.status == "optimal"
    assert plan.gap is not None and plan.gap <= 1e-4 * 1.0001
    assert len(plan.demands) == 30


def test_synthetic_network_is_larger_valid_and_deterministic(tmp_path: Path) -> None:
    one = generate_network(GLOBAL, tmp_path / "one", copies=3, seed=5)
    two = generate_network(GLOBAL, tmp_path / "two", copies=3, seed=5)
    for f in ("nodes.csv", "lanes.csv", "tariffs.csv", "tariff_breaks.csv"):
        assert (one / f).read_text() == (two / f).read_text()
    big, _ = load_network(one)
    base, _ = load_network(GLOBAL)
    assert len(big.lanes) > 2 * len(base.lanes)
    sc, _, _ = load(generate_scenario(one, 20, 2, tmp_path / "sc"))
    assert len(sc.demands) == 20


def test_bench_scale_synthetic_network_has_about_5000_lanes(tmp_path: Path) -> None:
    # issue 6 asks for synthetic networks "up to 5,000 lanes"; bench_scale uses copies=17
    import csv

    def rows(path: Path) -> list[dict[str, str]]:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    out = generate_network(GLOBAL, tmp_path / "net", copies=17, seed=1)
    nodes, lanes = rows(GLOBAL / "nodes.csv"), rows(GLOBAL / "lanes.csv")
    regional = {n["id"] for n in nodes if n["kind"] in ("origin_warehouse", "market")}
    touching = sum(1 for ln in lanes if ln["from"] in regional or ln["to"] in regional)
    big_lanes = rows(out / "lanes.csv")
    assert len(big_lanes) == len(lanes) + 16 * touching
    assert len(rows(out / "nodes.csv")) == len(nodes) + 16 * len(regional)
    assert 4500 <= len(big_lanes) <= 5500
    assert len({ln["id"] for ln in big_lanes}) == len(big_lanes)
