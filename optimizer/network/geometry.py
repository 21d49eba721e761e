"""Where lanes run on the globe, and the network as (Geo)DataFrames.

Lane geometry is drawn, exported and measured from here, in EPSG:4326
(longitude, latitude):

- sea lanes (``sea_fcl``, ``sea_lcl``) follow the shipping-lane graph of
  :mod:`searoute`; the lane's corridor tags pick the passages (a ``cape`` lane
  avoids Suez, Bab-el-Mandeb and Panama, see :func:`sea_restrictions`);
- air, express and postal lanes are geodesic great circles;
- everything else (rail, truck, last mile) is a straight segment between the
  end nodes: those lanes are short, or their exact track is not modelled.

Longitudes are *unwrapped* along each line (consecutive points never jump by
more than 180 degrees), so a transpacific lane is one continuous LineString
whose longitudes may run past 180 instead of a line across the whole map.
Maps shift the lines to their central meridian (:mod:`optimizer.maps`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import Geod
from shapely.geometry import LineString, Point

from optimizer.network.records import Lane, Mode, Network
from optimizer.network.schema import load_schema

CRS = "EPSG:4326"
SEA_MODES = frozenset({Mode.SEA_FCL, Mode.SEA_LCL})
GREAT_CIRCLE_MODES = frozenset({Mode.AIR, Mode.EXPRESS, Mode.POSTAL})
GREAT_CIRCLE_POINTS = 32  # enough for a smooth arc on a world map
# searoute's own default: the Northwest Passage is not a commercial route.
BASE_RESTRICTIONS = ("northwest",)
_WGS84 = Geod(ellps="WGS84")
_log = logging.getLogger(__name__)

Coords = tuple[tuple[float, float], ...]


# --------------------------------------------------------------------------- geometry
def sea_restrictions(corridor: Sequence[str]) -> tuple[str, ...]:
    """Passages searoute must avoid for a sea lane with these corridor tags.

    ``cape`` routes round the Cape of Good Hope (no Suez, Bab-el-Mandeb or
    Panama); ``suez`` forbids Panama and ``panama`` forbids Suez and
    Bab-el-Mandeb, so that a tagged lane really takes the canal it is named
    for even when the other one is shorter. Untagged lanes take the shortest
    route (searoute's default restrictions).
    """
    tags = {tag.strip().lower() for tag in corridor}
    avoid = set(BASE_RESTRICTIONS)
    if "cape" in tags:
        avoid |= {"suez", "babalmandab", "panama"}
    elif "suez" in tags and "panama" not in tags:
        avoid.add("panama")
    elif "panama" in tags and "suez" not in tags:
        avoid |= {"suez", "babalmandab"}
    return tuple(sorted(avoid))


def lane_geometry(network: Network, lane: Lane) -> LineString:
    """The lane's path as a LineString in EPSG:4326 with unwrapped longitudes.

    The line starts at the origin node and ends at the destination node.
    """
    a, b = network.node_by_id[lane.origin], network.node_by_id[lane.dest]
    if lane.mode in SEA_MODES:
        coords = sea_route(a.lon, a.lat, b.lon, b.lat, sea_restrictions(lane.corridor))
    elif lane.mode in GREAT_CIRCLE_MODES:
        coords = great_circle(a.lon, a.lat, b.lon, b.lat)
    else:
        coords = unwrap(((a.lon, a.lat), (b.lon, b.lat)))
    return LineString(coords)


@functools.lru_cache(maxsize=4096)
def sea_route(
    lon1: float, lat1: float, lon2: float, lat2: float, restrictions: tuple[str, ...]
) -> Coords:
    """Shortest sea route between two points avoiding ``restrictions`` (cached).

    searoute snaps both ends to its shipping-lane graph; the end points
    themselves are appended so the line touches the nodes. Falls back to the
    great circle (and logs why) if searoute cannot route the pair.
    """
    import searoute

    try:
        feature = searoute.searoute(
            [lon1, lat1], [lon2, lat2], append_orig_dest=True, restrictions=list(restrictions)
        )
        points = [(float(x), float(y)) for x, y in feature["geometry"]["coordinates"]]
    except Exception as exc:  # searoute raises bare Exceptions on unroutable input
        _log.warning(
            "searoute failed for (%s, %s) -> (%s, %s): %s; using a great circle",
            lon1,
            lat1,
            lon2,
            lat2,
            exc,
        )
        return great_circle(lon1, lat1, lon2, lat2)
    return unwrap(_dedupe(points))


@functools.lru_cache(maxsize=4096)
def great_circle(lon1: float, lat1: float, lon2: float, lat2: float) -> Coords:
    """Geodesic (WGS84) polyline of :data:`GREAT_CIRCLE_POINTS` points."""
    inner = _WGS84.npts(lon1, lat1, lon2, lat2, GREAT_CIRCLE_POINTS - 2)
    return unwrap(((lon1, lat1), *inner, (lon2, lat2)))


def unwrap(points: Sequence[tuple[float, float]]) -> Coords:
    """Shift longitudes by multiples of 360 so no step exceeds 180 degrees."""
    lons = np.unwrap(np.radians([p[0] for p in points]))
    return tuple((float(np.degrees(x)), float(p[1])) for x, p in zip(lons, points, strict=True))


def length_km(line: LineString) -> float:
    """Geodesic length of a lon/lat line on the WGS84 ellipsoid, in km."""
    return float(_WGS84.geometry_length(line)) / 1000.0


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = points[:1]
    for p in points[1:]:
        if p != out[-1]:
            out.append(p)
    return out if len(out) > 1 else points


# --------------------------------------------------------------------------- frames
def table_rows(network: Network) -> dict[str, list[dict[str, Any]]]:
    """Every table of the network as rows keyed by schema attribute names.

    Values are plain Python: ``str``, ``float`` or ``None`` (empty); enums are
    their text values, dates ISO strings, corridor tags ``;``-joined. This is
    the canonical, file-format view of the frozen records, used by the frames
    and the exporters. ``fx`` rows carry only ``currency`` and ``per_usd``
    (the records do not keep ``as_of`` and ``source``).
    """
    rows: dict[str, list[dict[str, Any]]] = {
        "fx": [{"currency": c, "per_usd": v} for c, v in network.fx_per_usd],
        "countries": [_record(c) for c in network.countries],
        "categories": [_record(c) for c in network.categories],
        "nodes": [_record(n) for n in network.nodes],
        "tariffs": [_record(t) for t in network.tariffs],
        "tariff_breaks": [
            {
                "tariff": t.id,
                "min_chargeable_kg": b.min_chargeable_kg,
                "price_per_kg": b.price_per_kg,
            }
            for t in network.tariffs
            for b in t.breaks
        ],
        "lanes": [
            {
                **_record(lane),
                "from": lane.origin,
                "to": lane.dest,
                "corridor": ";".join(lane.corridor),
            }
            for lane in network.lanes
        ],
        "duty_rates": [_record(d) for d in network.duty_rates],
        "customs_rules": [_record(c) for c in network.customs_rules],
        "assumptions": [_record(a) for a in network.assumptions],
        "tariff_layers": [_record(t) for t in network.tariff_layers],
        "import_taxes": [_record(t) for t in network.import_taxes],
        "import_fees": [_record(f) for f in network.import_fees],
        "node_regions": [_record(x) for x in network.node_regions],
    }
    schema = load_schema()
    return {
        table: [{a.name: row.get(a.name) for a in schema[table]} for row in table_rows_]
        for table, table_rows_ in rows.items()
    }


def _record(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str):
            value = str(value)  # StrEnum -> plain text
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
        out[f.name] = value
    return out


def typed_columns(table: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Columns for a DataFrame: schema floats as float64 (NaN = empty), the rest as text."""
    columns: dict[str, Any] = {}
    for attr in load_schema()[table]:
        values = [row.get(attr.name) for row in rows]
        if attr.type.startswith("float"):
            columns[attr.name] = np.array(
                [np.nan if v is None else v for v in values], dtype="float64"
            )
        else:
            columns[attr.name] = np.array(values, dtype=object)
    return columns


def nodes_frame(network: Network) -> gpd.GeoDataFrame:
    """One row per node: every node attribute (schema names) and a Point geometry."""
    rows = table_rows(network)["nodes"]
    points = [Point(n.lon, n.lat) for n in network.nodes]
    return gpd.GeoDataFrame(typed_columns("nodes", rows), geometry=points, crs=CRS)


def lanes_frame(network: Network) -> gpd.GeoDataFrame:
    """One row per lane: every lane attribute (schema names) and its LineString path."""
    rows = table_rows(network)["lanes"]
    lines = [lane_geometry(network, lane) for lane in network.lanes]
    return gpd.GeoDataFrame(typed_columns("lanes", rows), geometry=lines, crs=CRS)
