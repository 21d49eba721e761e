"""Network and plan maps as PNG files (matplotlib, Agg canvas, no display needed).

The map is an equirectangular world view centred on the meridian that cuts
the fewest lanes (for a China–US–Europe network that puts the seam in the
Atlantic and the Pacific in the middle, so transpacific lanes are drawn as
one arc). Countries are light grey, lanes are coloured by mode, nodes marked
by kind, and the view is cropped to the nodes and lanes with a margin.
Plan maps pass ``widths`` (line width per lane, e.g. by volume).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from shapely import affinity
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from optimizer.io.atomic import atomic_path
from optimizer.network.geometry import GREAT_CIRCLE_MODES, SEA_MODES, lane_geometry
from optimizer.network.records import Mode, Network, NodeKind

BASEMAP_PATH = Path(__file__).with_name("data") / "naturalearth_lowres.geojson"

# Drawing order (first = bottom): colour, legend label, default line width, opacity.
# Parcel lanes (many, on shared great circles) go underneath, thin and translucent,
# so the bulk corridors (sea, rail) stay readable on top of them.
MODE_STYLE: dict[Mode, tuple[str, str, float, float]] = {
    Mode.POSTAL: ("#2e9e5b", "postal", 0.6, 0.45),
    Mode.EXPRESS: ("#f0a202", "express", 0.6, 0.5),
    Mode.AIR: ("#7b3fa0", "air freight", 0.8, 0.6),
    Mode.SEA_LCL: ("#5aa9d6", "sea LCL", 1.0, 0.85),
    Mode.SEA_FCL: ("#1f4e9c", "sea FCL", 1.2, 0.85),
    Mode.RAIL: ("#c0392b", "rail", 1.6, 0.9),
    Mode.TRUCK: ("#4d4d4d", "truck", 1.0, 0.85),
    Mode.LAST_MILE: ("#e0407b", "last mile", 1.0, 0.85),
}
# marker, face colour, size (points^2), legend label
KIND_STYLE: dict[NodeKind, tuple[str, str, float, str]] = {
    NodeKind.ORIGIN_WAREHOUSE: ("s", "#c0392b", 46, "origin warehouse"),
    NodeKind.WAREHOUSE: ("s", "#95a5a6", 34, "warehouse"),
    NodeKind.SEAPORT: ("o", "#1f4e9c", 30, "seaport"),
    NodeKind.AIRPORT: ("^", "#7b3fa0", 38, "airport"),
    NodeKind.RAIL_TERMINAL: ("D", "#b5461c", 26, "rail terminal"),
    NodeKind.BORDER_CROSSING: ("X", "#222222", 40, "border crossing"),
    NodeKind.BONDED_ZONE: ("P", "#16a085", 50, "bonded zone"),
    NodeKind.OVERSEAS_WAREHOUSE: ("p", "#0e6655", 50, "overseas warehouse"),
    NodeKind.HUB: ("h", "#d35400", 40, "hub"),
    NodeKind.MARKET: ("*", "#f1c40f", 110, "market"),
}
LAND, OCEAN, BORDER = "#dedede", "#f3f7fa", "#ffffff"
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]
_SEAM_STEP = 5  # candidate seams every 5 degrees: round central meridians


@cache
def basemap() -> gpd.GeoDataFrame:
    """Natural Earth 1:110m countries shipped with the package (EPSG:4326)."""
    return gpd.read_file(BASEMAP_PATH)


def draw_network_map(
    network: Network,
    out_png: str | Path,
    *,
    lanes: Iterable[str] | None = None,
    widths: dict[str, float] | None = None,
    title: str | None = None,
    central_lon: float | None = None,
    labels: bool | None = None,
) -> Path:
    """Draw the network on a world basemap and write it, atomically, as a PNG.

    Parameters
    ----------
    network
        The network to draw (every node is drawn).
    out_png
        Target file.
    lanes
        Lane ids to draw; default all lanes.
    widths
        Line width in points per lane id (plan maps: width by volume). When
        given, drawn lanes missing from it appear thin and faded, as context.
    title
        Figure title; default the network name with its size.
    central_lon
        Central meridian; default the meridian that cuts the fewest lanes.
    labels
        Write node ids beside markers (True: all, False: none); default all on
        networks of at most 30 nodes, only markets on larger ones.

    Returns
    -------
    Path
        ``out_png``.
    """
    wanted = set(network.lane_by_id) if lanes is None else set(lanes)
    drawn = [lane for lane in network.lanes if lane.id in wanted]
    lines = {lane.id: lane_geometry(network, lane) for lane in drawn}
    if central_lon is None:
        central_lon = choose_central_lon(list(lines.values()), [n.lon for n in network.nodes])
    shifted = {lid: recentre(line, central_lon) for lid, line in lines.items()}
    node_xy = {n.id: (wrap(n.lon - central_lon), n.lat) for n in network.nodes}
    x0, y0, x1, y1 = _extent(list(node_xy.values()), [g for gs in shifted.values() for g in gs])
    shifted = _fan_out(network, shifted, offset=0.0015 * (x1 - x0))

    mid_lat = math.radians((y0 + y1) / 2)
    aspect = 1 / max(math.cos(mid_lat), 0.3)
    width_in = 15.0
    height_in = min(max(width_in * (y1 - y0) * aspect / (x1 - x0) + 1.2, 4.0), 12.0)
    fig = Figure(figsize=(width_in, height_in), dpi=140, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_facecolor(OCEAN)
    _draw_basemap(ax, central_lon)
    _draw_lanes(ax, network, shifted, widths)
    if labels is None:  # all ids on small networks, else only the markets
        labelled = {
            n.id for n in network.nodes if len(network.nodes) <= 30 or n.kind is NodeKind.MARKET
        }
    else:
        labelled = set(network.node_by_id) if labels else set()
    _draw_nodes(ax, network, node_xy, labelled)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect)
    _axis_ticks(ax, x0, x1, y0, y1, central_lon)
    ax.set_title(
        title or f"{network.name}: {len(network.nodes)} nodes, {len(network.lanes)} lanes",
        fontsize=13,
        loc="left",
    )
    ax.set_title(
        "Basemap: Natural Earth 1:110m · sea lanes: searoute · air: great circles",
        loc="right",
        fontsize=7,
        color="#777777",
    )
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png")
    return Path(out_png)


# --------------------------------------------------------------------------- projection
def wrap(lon: float) -> float:
    """Longitude folded into [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def choose_central_lon(lines: Sequence[BaseGeometry], node_lons: Sequence[float]) -> float:
    """The central meridian whose antimeridian (the map's seam) cuts the fewest lanes.

    Ties go to the seam farthest from any node, so no node sits on a map edge.
    """
    seams = np.arange(-180, 180, _SEAM_STEP, dtype=float)
    cuts = np.zeros(len(seams))
    for line in lines:
        lo, _, hi, _ = line.bounds  # unwrapped longitudes: a continuous span
        # the seam s is cut if s + 360 k lies in [lo, hi] for some integer k
        k = np.ceil((lo - seams) / 360.0)
        cuts += (seams + 360.0 * k) <= hi
    lons = np.asarray(node_lons, dtype=float)
    if lons.size:
        gap = np.abs(((seams[:, None] - lons[None, :]) + 180.0) % 360.0 - 180.0).min(axis=1)
    else:
        gap = np.zeros(len(seams))
    best = min(range(len(seams)), key=lambda i: (cuts[i], -gap[i]))
    return wrap(float(seams[best]) + 180.0)


def recentre(geom: BaseGeometry, central_lon: float) -> list[BaseGeometry]:
    """Pieces of ``geom`` in map x (longitude minus ``central_lon``) within [-180, 180].

    Works for unwrapped lines (longitudes beyond 180) and for polygons: the
    geometry is shifted by whole turns and clipped to the map, so a line
    crossing the seam leaves on one side and re-enters on the other.
    """
    lo, _, hi, _ = geom.bounds
    pieces: list[BaseGeometry] = []
    first = math.floor((lo - central_lon + 180.0) / 360.0)
    last = math.floor((hi - central_lon + 180.0) / 360.0)
    for k in range(first, last + 1):
        moved = affinity.translate(geom, xoff=-central_lon - 360.0 * k)
        clipped = moved if first == last else shapely.clip_by_rect(moved, -180, -90, 180, 90)
        pieces += [p for p in shapely.get_parts(clipped) if not p.is_empty]
    return pieces


def _fan_out(
    network: Network, shifted: dict[str, list[BaseGeometry]], *, offset: float
) -> dict[str, list[BaseGeometry]]:
    """Offset lanes that share both end nodes and a path sideways, so each stays visible.

    Express, postal and air lanes between the same two airports follow the same
    great circle; without this only the one drawn last would show.
    """
    groups: dict[tuple[str, str, str], list[str]] = {}
    for lid in shifted:
        lane = network.lane_by_id[lid]
        family = (
            "sea" if lane.mode in SEA_MODES else "arc" if lane.mode in GREAT_CIRCLE_MODES else ""
        )
        a, b = sorted((lane.origin, lane.dest))
        groups.setdefault((a, b, family), []).append(lid)
    out = dict(shifted)
    for (a, _, _), ids in groups.items():
        for i, lid in enumerate(ids):
            d = (i - (len(ids) - 1) / 2) * offset
            if d == 0:
                continue
            if network.lane_by_id[lid].origin != a:
                d = -d  # offset_curve is relative to the line's direction
            out[lid] = [
                q
                for p in shifted[lid]
                for q in shapely.get_parts(p.offset_curve(d))
                if not q.is_empty
            ]
    return out


def _extent(
    points: list[tuple[float, float]], lines: list[BaseGeometry]
) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points] + [v for g in lines for v in (g.bounds[0], g.bounds[2])]
    ys = [p[1] for p in points] + [v for g in lines for v in (g.bounds[1], g.bounds[3])]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    mx = max((x1 - x0) * 0.04, 4.0)
    my = max((y1 - y0) * 0.08, 4.0)
    x0, x1 = max(x0 - mx, -180.0), min(x1 + mx, 180.0)
    y0, y1 = max(y0 - my, -85.0), min(y1 + my, 85.0)
    # a map narrower than tall reads badly; widen around the middle
    if (x1 - x0) < (y1 - y0) * 1.2:
        pad = ((y1 - y0) * 1.2 - (x1 - x0)) / 2
        x0, x1 = max(x0 - pad, -180.0), min(x1 + pad, 180.0)
    return x0, y0, x1, y1


# --------------------------------------------------------------------------- layers
def _draw_basemap(ax: Axes, central_lon: float) -> None:
    paths: list[MplPath] = []
    for geom in basemap().geometry:
        if geom is None or geom.is_empty:
            continue
        for piece in recentre(geom, central_lon):
            for poly in shapely.get_parts(piece):
                if poly.geom_type != "Polygon":
                    continue
                rings = [orient(poly, 1.0).exterior, *orient(poly, 1.0).interiors]
                paths.append(
                    MplPath.make_compound_path(
                        *(MplPath(np.asarray(r.coords), closed=True) for r in rings)
                    )
                )
    ax.add_collection(
        PathCollection(paths, facecolor=LAND, edgecolor=BORDER, linewidth=0.4, zorder=1)
    )


def _draw_lanes(
    ax: Axes,
    network: Network,
    shifted: dict[str, list[BaseGeometry]],
    widths: dict[str, float] | None,
) -> None:
    handles = []
    for z, (mode, (colour, label, width, alpha)) in enumerate(MODE_STYLE.items()):
        ids = [lid for lid in shifted if network.lane_by_id[lid].mode is mode]
        if not ids:
            continue
        for context in (True, False):
            segs, lws = [], []
            for lid in ids:
                is_context = widths is not None and lid not in widths
                if is_context != context:
                    continue
                lw = 0.4 if is_context else (widths or {}).get(lid, width)
                for piece in shifted[lid]:
                    segs.append(np.asarray(piece.coords))
                    lws.append(lw)
            if segs:
                ax.add_collection(
                    LineCollection(
                        segs,
                        colors=colour,
                        linewidths=lws,
                        alpha=0.2 if context else (0.85 if widths is not None else alpha),
                        capstyle="round",
                        joinstyle="round",
                        zorder=(2 if context else 3) + z * 0.1,
                    )
                )
        count = (
            f"{sum(lid in widths for lid in ids)} of {len(ids)}"
            if widths is not None
            else f"{len(ids)}"
        )
        handles.append(Line2D([], [], color=colour, lw=2.2, label=f"{label} ({count})"))
    if handles:
        fig = ax.get_figure()
        assert fig is not None
        fig.legend(
            handles=handles,
            title="Lanes by mode",
            loc="outside lower left",
            ncol=min(len(handles), 4),
            fontsize=8,
            title_fontsize=9,
            frameon=False,
            alignment="left",
        )


def _draw_nodes(
    ax: Axes, network: Network, node_xy: dict[str, tuple[float, float]], labelled: set[str]
) -> None:
    handles = []
    for kind, (marker, colour, size, label) in KIND_STYLE.items():
        nodes = [n for n in network.nodes if n.kind is kind]
        if not nodes:
            continue
        xy = np.array([node_xy[n.id] for n in nodes])
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            marker=marker,
            s=size,
            c=colour,
            edgecolors="black",
            linewidths=0.5,
            zorder=5,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                color="none",
                markerfacecolor=colour,
                markeredgecolor="black",
                markersize=math.sqrt(size),
                label=f"{label} ({len(nodes)})",
            )
        )
        for n in nodes:
            if n.id in labelled:
                ax.annotate(
                    n.id,
                    node_xy[n.id],
                    xytext=(5, 4),
                    textcoords="offset points",
                    fontsize=7,
                    zorder=6,
                    path_effects=_HALO,
                )
    fig = ax.get_figure()
    assert fig is not None
    fig.legend(
        handles=handles,
        title="Nodes by kind",
        loc="outside lower right",
        ncol=min(len(handles), 5),
        fontsize=8,
        title_fontsize=9,
        frameon=False,
        alignment="left",
    )


def _axis_ticks(ax: Axes, x0: float, x1: float, y0: float, y1: float, central_lon: float) -> None:
    step = _tick_step(x1 - x0)
    first = math.ceil((x0 + central_lon) / step) * step
    lons = np.arange(first, x1 + central_lon + 1e-9, step)
    xticks = lons - central_lon
    lat_step = _tick_step(y1 - y0)
    lats = np.arange(math.ceil(y0 / lat_step) * lat_step, y1 + 1e-9, lat_step)
    ax.set_xticks(xticks, [_deg(wrap(v), "E", "W") for v in lons])
    ax.set_yticks(lats, [_deg(v, "N", "S") for v in lats])
    ax.tick_params(labelsize=8, colors="#555555")
    ax.grid(color="#c8d3dc", linewidth=0.4, linestyle=":", zorder=0)


def _tick_step(span: float) -> int:
    return 30 if span > 150 else 10 if span > 40 else 5


def _deg(value: float, pos: str, neg: str) -> str:
    v = round(value)
    if v in (0, 180, -180):
        return f"{abs(v)}°"
    return f"{abs(v)}°{pos if v > 0 else neg}"
