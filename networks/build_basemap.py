#!/usr/bin/env python3
"""Rebuild the offline basemap ``optimizer/data/naturalearth_lowres.geojson``.

Run by developers at build time, never at run time::

    python networks/build_basemap.py

Reads the Natural Earth 1:110m countries bundled with ``pyogrio``'s test fixtures (public
domain, see ``optimizer/data/README.md``), keeps name, ISO code and continent, snaps the
coordinates to 0.001 degree and writes compact, sorted GeoJSON so a rebuild gives the same bytes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from optimizer.io.atomic import write_text

BASEMAP_OUT = (
    Path(__file__).resolve().parent.parent / "optimizer" / "data" / "naturalearth_lowres.geojson"
)
MAX_BYTES = 1.5e6  # the package ships it: keep it small


def build_basemap() -> int:
    """Write the basemap; 1 if it came out larger than :data:`MAX_BYTES`."""
    import geopandas as gpd
    import pyogrio
    import shapely

    src = (
        Path(pyogrio.__file__).resolve().parent
        / "tests"
        / "fixtures"
        / "naturalearth_lowres"
        / "naturalearth_lowres.shp"
    )
    gdf = gpd.read_file(src)[["name", "iso_a3", "continent", "geometry"]]
    gdf = gdf.sort_values(["iso_a3", "name"]).reset_index(drop=True)
    feats = []
    for row in gdf.itertuples(index=False):
        geom = shapely.set_precision(row.geometry, grid_size=0.001)
        geom = shapely.transform(geom, lambda c: c.round(3))
        feats.append(
            {
                "type": "Feature",
                "properties": {"name": row.name, "iso_a3": row.iso_a3, "continent": row.continent},
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    doc = {"type": "FeatureCollection", "name": "naturalearth_lowres", "features": feats}
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    write_text(BASEMAP_OUT, text + "\n")
    size = BASEMAP_OUT.stat().st_size
    print(f"basemap: {len(feats)} countries, {size / 1e6:.2f} MB (pyogrio {pyogrio.__version__})")
    return 1 if size >= MAX_BYTES else 0


if __name__ == "__main__":
    sys.exit(build_basemap())
