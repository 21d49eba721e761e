"""Write a :class:`Network` as GeoJSON, GeoPackage or canonical CSV (the reader's inverse).

The tables follow the schema (:mod:`optimizer.network.schema`): the same columns, in
the same order, cells written so they parse back to exactly the same values.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from optimizer.errors import InputError, Problem
from optimizer.io.atomic import atomic_path, write_with
from optimizer.network.records import Network
from optimizer.network.schema import TABLE_ORDER

FORMATS = ("geojson", "gpkg", "csv")
GEO_TABLES = ("nodes", "lanes")  # tables with geometry in the geo formats


def export_network(network: Network, out: Path, fmt: str) -> list[Path]:
    """Write ``network`` to ``out`` as ``fmt``; return the files written.

    ``geojson``: a folder with nodes.geojson (points) and lanes.geojson (lane paths: sea
    lanes by searoute, air by great circle) beside the other tables as CSV; ``gpkg``: one
    file with a layer per table; ``csv``: a folder of CSV tables (a canonical re-write).
    Reading the output back gives the same network. Folders are checked first
    (:func:`check_output`); every file is written atomically.
    """
    from optimizer.network.geometry import table_rows

    check_output(out, fmt)
    rows = table_rows(network)
    rows["fx"] = fx_rows(network)
    if fmt == "gpkg":
        _write_gpkg(network, rows, out)
        return [out]
    files = []
    for table in TABLE_ORDER:
        if fmt == "geojson" and table in GEO_TABLES:
            files.append(_write_geojson(network, table, out / f"{table}.geojson"))
        else:
            files.append(_write_csv(table, rows[table], out / f"{table}.csv"))
    return files


def check_output(out: Path, fmt: str) -> None:
    """Refuse a folder for a .gpkg, and tables of another format beside the new ones (the
    reader prefers CSV): raise :class:`InputError` before anything is written."""
    if fmt == "gpkg":
        if out.is_dir():
            raise InputError(
                [
                    Problem(
                        str(out),
                        "output is a folder",
                        expected="a .gpkg file name for --format gpkg",
                    )
                ]
            )
        return
    if out.exists() and not out.is_dir():
        raise InputError(
            [
                Problem(
                    str(out),
                    "output exists and is not a folder",
                    expected=f"a folder for --format {fmt}",
                )
            ]
        )
    wanted = {
        f"{t}.{'geojson' if fmt == 'geojson' and t in GEO_TABLES else 'csv'}" for t in TABLE_ORDER
    }
    clashes = sorted(
        p.name
        for t in TABLE_ORDER
        for p in (out / f"{t}.csv", out / f"{t}.geojson", out / f"{t}.gpkg")
        if p.exists() and p.name not in wanted
    )
    if clashes:
        raise InputError(
            [
                Problem(
                    str(out),
                    "folder already holds tables of another format: " + ", ".join(clashes),
                    expected="an empty folder, or remove those files",
                )
            ]
        )


def fx_rows(network: Network) -> list[dict[str, Any]]:
    """The fx table's rows: every dated rate (``fx_history``) with its date and source, or
    (a network built in memory, without history) each rate in use."""
    if network.fx_history:
        return [
            {"currency": x.currency, "as_of": x.as_of, "per_usd": x.per_usd, "source": x.source}
            for x in network.fx_history
        ]
    meta = {f.currency: f for f in network.fx_sources}
    return [
        {
            "currency": code,
            "per_usd": rate,
            "as_of": meta[code].as_of if code in meta else None,
            "source": meta[code].source if code in meta else None,
        }
        for code, rate in network.fx_per_usd
    ]


def _cell(value: Any) -> str:
    """Text that parses back to exactly ``value`` (floats: shortest exact form)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _write_csv(table: str, rows: list[dict[str, Any]], target: Path) -> Path:
    from optimizer.network.schema import load_schema

    header = [a.name for a in load_schema()[table]]

    def write(fh: IO[str]) -> None:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([_cell(row.get(h)) for h in header] for row in rows)

    write_with(target, write)
    return target


def _write_geojson(network: Network, table: str, target: Path) -> Path:
    from optimizer.network.geometry import lanes_frame, nodes_frame

    frame = nodes_frame(network) if table == "nodes" else lanes_frame(network)
    with atomic_path(target) as tmp:
        # the layer name is written into the file: name it after the table, not the temp file
        frame.to_file(tmp, driver="GeoJSON", layer=table)
    return target


def _write_gpkg(network: Network, rows: dict[str, list[dict[str, Any]]], out: Path) -> None:
    import pandas as pd
    import pyogrio

    from optimizer.network.geometry import lanes_frame, nodes_frame, typed_columns

    with atomic_path(out) as tmp, tempfile.TemporaryDirectory(dir=tmp.parent) as staging:
        staged = Path(staging) / out.with_suffix(".gpkg").name  # GDAL wants the .gpkg suffix
        for table in TABLE_ORDER:
            if table == "nodes":
                frame: Any = nodes_frame(network)
            elif table == "lanes":
                frame = lanes_frame(network)
            else:
                frame = pd.DataFrame(typed_columns(table, rows[table]))
            pyogrio.write_dataframe(frame, staged, layer=table, driver="GPKG")
        os.replace(staged, tmp)
