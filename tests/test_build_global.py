"""The shipped network is data: ``networks/sources/*.csv`` rebuild ``networks/global/`` exactly.

``networks/build_global.py`` loads the source tables, computes distances, times and schedules,
and validates the result with the package reader. These tests rebuild the whole network (about
two seconds: searoute for 81 sea lanes) and compare it byte for byte with the committed files.
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import networkx as nx
import pytest

from optimizer.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
GLOBAL = ROOT / "networks" / "global"
SOURCES = ROOT / "networks" / "sources"


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_global", ROOT / "networks" / "build_global.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_global"] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def test_rebuild_is_byte_identical_and_leaves_other_files_alone(
    builder: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "global"
    out.mkdir()
    (out / "SOURCES.md").write_text("hand-written\n", encoding="utf-8")
    (out / "fees.csv").write_text("hand,curated\n1,2\n", encoding="utf-8")
    (out / "lanes.csv").write_text("stale\n", encoding="utf-8")

    assert builder.main(["--out", str(out)]) == 0
    assert "86 nodes, 496 lanes; valid" in capsys.readouterr().out

    written = sorted(p.name for p in out.glob("*.csv") if p.name != "fees.csv")
    committed = sorted(p.name for p in GLOBAL.glob("*.csv"))
    assert written == committed
    for name in committed:
        assert (out / name).read_bytes() == (GLOBAL / name).read_bytes(), (
            f"{name} differs: run python networks/build_global.py"
        )
    assert (out / "SOURCES.md").read_text(encoding="utf-8") == "hand-written\n"
    assert (out / "fees.csv").read_text(encoding="utf-8") == "hand,curated\n1,2\n"


def test_check_flags_a_stale_table(builder: ModuleType) -> None:
    tables = {"fx": (GLOBAL / "fx.csv").read_text(encoding="utf-8"), "countries": "stale\n"}
    assert builder.stale_tables(tables, GLOBAL) == ["countries"]


def test_node_figures_layer_from_kind_to_territory_to_node(builder: ModuleType) -> None:
    b = builder
    blank = dict.fromkeys(b.NODE_FIGURES)

    def figures(kind: str, territory: str, node: str, source: str, **values: float) -> object:
        return b.NodeFigures(kind, territory, node, **{**blank, **values}, source=source)

    places = {
        "AP_X": b.Place("AP_X", "X airport", "airport", "US", 1.0, 2.0, "coords X"),
        "AP_Y": b.Place("AP_Y", "Y airport", "airport", "DE", 1.0, 2.0, "coords Y"),
    }
    world = b.World(p=None, places=places, territory={"US": "US", "DE": "EU"}, tariffs={})
    rows = b.build_nodes(
        world,
        [
            figures("airport", "*", "AP_X", "", handling_days=0.1),  # node beats kind
            figures("airport", "US", "*", "", customs_days=1.0, inspection_rate=0.05),
            figures("airport", "*", "*", "kind note", handling_days=0.5, handling_cost_per_kg=0.1),
            figures("seaport", "*", "*", "not an airport", handling_days=9.0),
        ],
    )
    x, y = rows
    assert x == {
        "id": "AP_X",
        "name": "X airport",
        "kind": "airport",
        "country": "US",
        "lat": 1.0,
        "lon": 2.0,
        "handling_days": 0.1,
        "handling_cost_per_kg": 0.1,
        "customs_days": 1.0,
        "inspection_rate": 0.05,
        "source": "coords X; kind note",
    }
    assert y["handling_days"] == 0.5 and "customs_days" not in y  # no EU row given


def test_bad_source_cells_are_reported_with_file_line_and_field(
    builder: ModuleType, tmp_path: Path
) -> None:
    shutil.copy(SOURCES / "places.csv", tmp_path / "places.csv")
    text = (tmp_path / "places.csv").read_text(encoding="utf-8").splitlines()
    cells = next(csv.reader([text[1]]))
    cells[4] = "north"  # lat
    text[1] = ",".join(f'"{c}"' for c in cells)
    (tmp_path / "places.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        builder.load_rows(builder.Place, "places", tmp_path)
    (problem,) = err.value.problems
    assert (problem.row, problem.field, problem.value) == (2, "lat", "north")

    rows = (
        (SOURCES / "parameters.csv")
        .read_text(encoding="utf-8")
        .replace("air_detour,", "air_detuor,")
    )
    (tmp_path / "parameters.csv").write_text(rows, encoding="utf-8")
    with pytest.raises(InputError) as err:
        builder.load_parameters(tmp_path)
    messages = sorted(str(p) for p in err.value.problems)
    assert any("parameter missing" in m and "air_detour" in m for m in messages)
    assert any("did you mean 'air_detour'" in m for m in messages)


def test_invalid_network_is_reported_and_not_written(
    builder: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    lanes = (sources / "lanes.csv").read_text(encoding="utf-8")
    (sources / "lanes.csv").write_text(lanes.replace(",T_TIR_KHG_PL,", ",T_TIR_NOPE,"), "utf-8")
    out = tmp_path / "global"
    out.mkdir()
    assert builder.main(["--sources", str(sources), "--out", str(out)]) == 2
    assert "T_TIR_NOPE" in capsys.readouterr().err
    assert list(out.iterdir()) == []  # nothing written

    countries = (sources / "countries.csv").read_text(encoding="utf-8")
    (sources / "countries.csv").write_text(countries.replace(",valuation,", ",valuaton,"), "utf-8")
    with pytest.raises(InputError) as err:
        builder.build_tables(sources)
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (1, "valuaton")
    assert problem.expected == "did you mean 'valuation'?"


def test_every_figure_row_cites_a_source() -> None:
    """Rows of the source tables carry a citation (node_figures: empty inherits the kind's)."""
    for path in sorted(SOURCES.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if path.name == "node_figures.csv":
            rows = [r for r in rows if r["territory"] == "*" and r["node"] == "*"]
        if rows and "source" in rows[0]:
            assert all(r["source"].strip() for r in rows), path.name


def test_every_origin_reaches_its_markets_by_parcel_and_through_stock() -> None:
    """The shipped network's coverage (the old builder's self-check): every Chinese origin
    reaches every export market by parcel lanes and seven of them through a stock node and last
    mile; every foreign origin reaches China both ways."""
    with (GLOBAL / "nodes.csv").open(encoding="utf-8", newline="") as fh:
        nodes = list(csv.DictReader(fh))
    with (GLOBAL / "lanes.csv").open(encoding="utf-8", newline="") as fh:
        lanes = list(csv.DictReader(fh))
    kind = {n["id"]: n["kind"] for n in nodes}
    parcel, bulk = nx.DiGraph(), nx.DiGraph()
    last_mile: dict[str, set[str]] = {}
    for ln in lanes:
        if ln["scope"] in ("parcel", "any"):
            parcel.add_edge(ln["from"], ln["to"])
        if ln["scope"] in ("bulk", "any"):
            bulk.add_edge(ln["from"], ln["to"])
        if ln["mode"] == "last_mile" and kind[ln["from"]] in ("bonded_zone", "overseas_warehouse"):
            last_mile.setdefault(ln["to"], set()).add(ln["from"])
    stocked = ["M_US_WEST", "M_US_EAST", "M_DE", "M_NL", "M_PL", "M_GB", "M_FR"]
    export = [*stocked, "M_CA", "M_AU", "M_JP", "M_KR"]
    origins = [n["id"] for n in nodes if n["kind"] == "origin_warehouse"]
    assert len(origins) == 13
    for origin in origins:
        chinese = origin.startswith("CN_")
        for market in export if chinese else ["M_CN_EAST"]:
            assert nx.has_path(parcel, origin, market), (origin, market)
        for market in stocked if chinese else ["M_CN_EAST"]:
            stocks = last_mile[market]
            assert any(nx.has_path(bulk, origin, s) for s in stocks if s in bulk), (origin, market)
