"""``xborder validate`` and ``xborder network show|export|map``, plus lane geometry.

Everything runs on ``tests/data/tiny`` through click's test runner; the tests
on the shipped network skip until ``networks/global`` exists.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from shapely.geometry import LineString

from optimizer.cli.main import main
from optimizer.maps import choose_central_lon, recentre
from optimizer.network.geometry import (
    great_circle,
    lane_geometry,
    lanes_frame,
    length_km,
    nodes_frame,
    sea_restrictions,
)
from optimizer.network.reader import read_network
from optimizer.network.records import Lane, Network

ROOT = Path(__file__).parent.parent
TINY = Path(__file__).parent / "data" / "tiny"
GLOBAL = ROOT / "networks" / "global"
NM_KM = 1.852


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


# --------------------------------------------------------------------------- validate / show
def test_validate_prints_one_line_summary() -> None:
    result = run("validate", TINY)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{TINY}: 5 nodes, 6 lanes, 5 modes; 0 problems, 0 warnings"


def test_validate_json() -> None:
    result = run("validate", TINY, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["valid"] is True
    assert (data["nodes"], data["lanes"], data["modes"]) == (5, 6, 5)
    assert data["warnings"] == []


def test_validate_json_on_bad_input_exits_2_with_message(tmp_path: Path) -> None:
    net = shutil.copytree(TINY, tmp_path / "tiny")
    (net / "fx.csv").unlink()
    result = run("validate", net, "--json")
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "fx.csv: table is missing" in result.stderr
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["problems"][0]["file"].endswith("fx.csv")


def test_show_json() -> None:
    result = run("network", "show", TINY, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "tiny"
    assert (data["nodes"], data["lanes"], data["modes"]) == (5, 6, 5)
    assert data["nodes_by_kind"] == {
        "market": 1,
        "origin_warehouse": 1,
        "overseas_warehouse": 1,
        "seaport": 2,
    }
    assert data["lanes_by_mode"] == {
        "express": 1,
        "last_mile": 1,
        "postal": 1,
        "sea_fcl": 1,
        "truck": 2,
    }
    assert data["countries"] == ["CN", "US"]
    assert data["customs_territories"] == ["CN", "US"]
    truck = next(row for row in data["mode_stats"] if row["mode"] == "truck")
    assert truck["total_km"] == 120
    assert (truck["transit_min_days"], truck["transit_max_days"]) == (1, 1)


def test_show_table() -> None:
    result = run("network", "show", TINY)
    assert result.exit_code == 0
    assert "tiny: 5 nodes, 6 lanes, 5 modes" in result.stdout
    assert "customs territories (2): CN, US" in result.stdout
    assert any(line.split()[:3] == ["truck", "2", "2"] for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    "command",
    [["validate"], ["network"], ["network", "show"], ["network", "export"], ["network", "map"]],
)
def test_help_has_examples(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert re.search(r"Examples:\n +xborder \S", result.stdout), result.stdout


# --------------------------------------------------------------------------- export
@pytest.mark.parametrize(
    ("fmt", "target"), [("csv", "tiny"), ("geojson", "tiny"), ("gpkg", "tiny.gpkg")]
)
def test_export_round_trip(tmp_path: Path, fmt: str, target: str) -> None:
    out = tmp_path / fmt / target
    result = run("network", "export", TINY, "--format", fmt, out)
    assert result.exit_code == 0, result.output
    assert read_network(out) == read_network(TINY)  # both are named "tiny"
    leftovers = [p for p in out.parent.rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # no temporary files


def test_geojson_export_holds_lane_paths(tmp_path: Path) -> None:
    import geopandas as gpd

    out = tmp_path / "geo"
    assert run("network", "export", TINY, "--format", "geojson", out).exit_code == 0
    lanes = gpd.read_file(out / "lanes.geojson").set_index("id")
    assert set(lanes.geom_type) == {"LineString"}
    assert len(lanes.geometry["L_SEA"].coords) > 10  # searoute, not a straight line
    assert len(lanes.geometry["L_EXP"].coords) == 32  # great circle
    assert len(lanes.geometry["L_TRK"].coords) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "nodes.geojson",
            "lanes.geojson",
            "fx.csv",
            "countries.csv",
            "categories.csv",
            "tariffs.csv",
            "tariff_breaks.csv",
            "duty_rates.csv",
            "assumptions.csv",
            "customs_rules.csv",
            "tariff_layers.csv",
            "import_taxes.csv",
            "import_fees.csv",
            "node_regions.csv",
        ]
    )


def test_export_refuses_mixing_formats(tmp_path: Path) -> None:
    out = shutil.copytree(TINY, tmp_path / "tiny")
    result = run("network", "export", TINY, "--format", "geojson", out)
    assert result.exit_code == 2
    assert "nodes.csv" in result.stderr and "another format" in result.stderr


# --------------------------------------------------------------------------- map
def test_map_writes_png(tmp_path: Path) -> None:
    out = tmp_path / "maps" / "tiny.png"
    result = run("network", "map", TINY, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000


# --------------------------------------------------------------------------- geometry
def test_corridor_tags_choose_passages() -> None:
    assert sea_restrictions(()) == ("northwest",)
    assert set(sea_restrictions(("cape",))) >= {"suez", "babalmandab", "panama"}
    assert "panama" in sea_restrictions(("suez", "bab_el_mandeb"))
    assert "suez" in sea_restrictions(("panama",))


def test_great_circle_across_the_antimeridian_is_continuous() -> None:
    coords = great_circle(139.8, 35.6, -118.4, 33.9)  # Tokyo -> Los Angeles
    assert len(coords) == 32
    steps = [abs(b[0] - a[0]) for a, b in itertools.pairwise(coords)]
    assert max(steps) < 10
    assert coords[-1][0] == pytest.approx(-118.4 + 360)
    assert length_km(LineString(coords)) == pytest.approx(8_800, rel=0.02)


def test_frames_have_every_attribute(tiny: Network) -> None:
    network = tiny
    lanes, nodes = lanes_frame(network), nodes_frame(network)
    assert list(lanes["id"]) == [lane.id for lane in network.lanes]
    assert {"from", "to", "mode", "tariff", "corridor", "distance_km"} <= set(lanes.columns)
    assert str(lanes.crs) == str(nodes.crs) == "EPSG:4326"
    sea = lanes.set_index("id").geometry["L_SEA"]
    assert length_km(sea) == pytest.approx(11_900, rel=0.1)
    assert nodes.geometry.iloc[0].x == network.nodes[0].lon


def test_map_centre_keeps_the_pacific_whole(tiny: Network) -> None:
    network = tiny
    lines = [lane_geometry(network, lane) for lane in network.lanes]
    centre = choose_central_lon(lines, [n.lon for n in network.nodes])
    assert 150 <= (centre % 360) <= 210  # seam in the Atlantic, not across the transpacific
    sea = lane_geometry(network, network.lane_by_id["L_SEA"])
    assert len(recentre(sea, centre)) == 1
    assert len(recentre(sea, 0.0)) == 2  # a Greenwich-centred map splits it at 180°


# --------------------------------------------------------------------------- docs
def test_network_readme_matches_schema() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_readme", ROOT / "networks" / "make_readme.py"
    )
    assert spec is not None and spec.loader is not None
    make_readme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_readme)
    text = make_readme.README.read_text(encoding="utf-8")
    assert make_readme.render(text) == text, "run: python networks/make_readme.py"


# --------------------------------------------------------------------------- shipped network
needs_global = pytest.mark.skipif(
    not (GLOBAL / "nodes.csv").exists(), reason="networks/global not generated yet"
)


@needs_global
def test_global_validates() -> None:
    result = run("validate", GLOBAL)
    assert result.exit_code == 0, result.output


@needs_global
def test_global_size() -> None:
    data = json.loads(run("network", "show", GLOBAL, "--json").stdout)
    assert data["nodes"] >= 60 and data["lanes"] >= 250 and data["modes"] >= 7


def _sea_lane(network: Network, tag: str) -> Lane:
    lanes = [
        lane
        for lane in network.lanes
        if (lane.origin, lane.dest) == ("CNSHA", "NLRTM")
        and lane.mode.value.startswith("sea")
        and tag in lane.corridor
    ]
    assert lanes, f"no CNSHA -> NLRTM sea lane tagged {tag}"
    return lanes[0]


@needs_global
def test_shanghai_rotterdam_via_suez_is_10600_nm(global_network: Network) -> None:
    lane = _sea_lane(global_network, "suez")
    assert lane.distance_km == pytest.approx(10_600 * NM_KM, rel=0.02)
    path = lane_geometry(global_network, lane)
    assert length_km(path) == pytest.approx(10_600 * NM_KM, rel=0.02)


@needs_global
def test_cape_route_is_much_longer_than_suez(global_network: Network) -> None:
    suez, cape = _sea_lane(global_network, "suez"), _sea_lane(global_network, "cape")
    assert cape.distance_km >= 1.25 * suez.distance_km
    assert length_km(lane_geometry(global_network, cape)) >= 1.25 * length_km(
        lane_geometry(global_network, suez)
    )
