"""``xborder validate`` and ``xborder network show|export|map``.

Thin commands: read the network (every problem raises
:class:`~optimizer.errors.InputError`, which the CLI group turns into exit 2),
then render a summary, a table, files or a map. All files are written
atomically.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import IO, Any

import click

from optimizer.errors import InputError, Problem
from optimizer.io.atomic import atomic_path, write_with
from optimizer.network.reader import load_network
from optimizer.network.records import Network
from optimizer.network.schema import SCHEMA_VERSION, TABLE_ORDER

FORMATS = ("geojson", "gpkg", "csv")
_GEO_TABLES = ("nodes", "lanes")
#: ``network show --json`` and ``validate --json`` (docs/schemas/network-show.schema.json,
#: docs/schemas/validate.schema.json).
SHOW_FORMAT_VERSION = 1
VALIDATE_FORMAT_VERSION = 1
_PATH = click.Path(exists=False, path_type=Path)


# --------------------------------------------------------------------------- validate
@click.command()
@click.argument("path", type=_PATH)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def validate(path: Path, as_json: bool) -> None:
    """Check a network: every problem of every file, reported at once.

    PATH is a folder of CSV (or .geojson/.gpkg) tables, or one .gpkg file with
    a layer per table. Exit 0 if the network is valid (warnings go to stderr),
    2 with every problem (file, line, field, value, what was expected).

    \b
    Examples:
      xborder validate networks/global
      xborder validate networks/global --json
      xborder network export networks/global --format gpkg my_network.gpkg
      xborder validate my_network.gpkg
    """
    try:
        network, warnings = load_network(path)
    except InputError as exc:
        if as_json:
            document = validation_dict(None, exc.problems, exc.warnings)
            click.echo(json.dumps(document, indent=2))
        raise
    modes = len({lane.mode for lane in network.lanes})
    if as_json:
        click.echo(json.dumps(validation_dict(network, [], warnings), indent=2))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if not as_json:
        click.echo(
            f"{path}: {len(network.nodes)} nodes, {len(network.lanes)} lanes, "
            f"{modes} modes; 0 problems, {len(warnings)} "
            f"warning{'s' if len(warnings) != 1 else ''}"
        )


def validation_dict(
    network: Network | None, problems: list[Problem], warnings: list[Problem]
) -> dict[str, Any]:
    """``validate --json``: the verdict, every problem and warning (schema
    docs/schemas/validate.schema.json). ``network`` is None when it could not be read."""
    document: dict[str, Any] = {
        "format_version": VALIDATE_FORMAT_VERSION,
        "valid": network is not None and not problems,
    }
    if network is not None:
        document |= {
            "name": network.name,
            "schema_version": SCHEMA_VERSION,
            "nodes": len(network.nodes),
            "lanes": len(network.lanes),
            "modes": len({lane.mode for lane in network.lanes}),
        }
    return document | {
        "problems": [_problem_json(p) for p in problems],
        "warnings": [_problem_json(p) for p in warnings],
    }


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {**dataclasses.asdict(problem), "text": str(problem)}


# --------------------------------------------------------------------------- network
@click.group()
def network() -> None:
    """Inspect, export and map a network.

    \b
    Examples:
      xborder network show networks/global
      xborder network export networks/global --format gpkg out/global.gpkg
      xborder network map networks/global -o global.png
    """


@network.command()
@click.argument("net", type=_PATH)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def show(net: Path, as_json: bool) -> None:
    """Summarize a network: nodes by kind, lanes by mode, countries, territories.

    \b
    Examples:
      xborder network show networks/global
      xborder network show networks/global --json
    """
    network, warnings = load_network(net)
    summary = summarize(network)
    summary["warnings"] = len(warnings)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(_render_summary(summary))


def summarize(network: Network) -> dict[str, Any]:
    """The network's size and composition, as JSON-ready data."""
    kinds = Counter(n.kind.value for n in network.nodes)
    per_mode: dict[str, dict[str, Any]] = {}
    for lane in network.lanes:
        row = per_mode.setdefault(
            lane.mode.value,
            {
                "mode": lane.mode.value,
                "lanes": 0,
                "total_km": 0.0,
                "transit_min_days": lane.transit_mean_days,
                "transit_max_days": lane.transit_mean_days,
                "transit_p90_max_days": lane.transit_p90_days,
                "carriers": set(),
            },
        )
        row["lanes"] += 1
        row["total_km"] += lane.distance_km
        row["transit_min_days"] = min(row["transit_min_days"], lane.transit_mean_days)
        row["transit_max_days"] = max(row["transit_max_days"], lane.transit_mean_days)
        row["transit_p90_max_days"] = max(row["transit_p90_max_days"], lane.transit_p90_days)
        row["carriers"].add(lane.carrier)
    mode_rows = [
        {**row, "total_km": round(row["total_km"], 1), "carriers": len(row["carriers"])}
        for _, row in sorted(per_mode.items())
    ]
    return {
        "format_version": SHOW_FORMAT_VERSION,
        "name": network.name,
        "schema_version": SCHEMA_VERSION,
        "nodes": len(network.nodes),
        "lanes": len(network.lanes),
        "modes": len(per_mode),
        "tariffs": len(network.tariffs),
        "customs_rules": len(network.customs_rules),
        "nodes_by_kind": dict(sorted(kinds.items())),
        "lanes_by_mode": {row["mode"]: row["lanes"] for row in mode_rows},
        "mode_stats": mode_rows,
        "countries": sorted({n.country for n in network.nodes}),
        "customs_territories": sorted({c.territory for c in network.countries}),
        "carriers": sorted({lane.carrier for lane in network.lanes}),
    }


def _render_summary(s: dict[str, Any]) -> str:
    lines = [
        f"{s['name']}: {s['nodes']} nodes, {s['lanes']} lanes, {s['modes']} modes, "
        f"{s['tariffs']} tariffs, {s['customs_rules']} customs rules "
        f"(schema {s['schema_version']}; {s['warnings']} warnings)",
        f"countries ({len(s['countries'])}): {', '.join(s['countries'])}",
        f"customs territories ({len(s['customs_territories'])}): "
        f"{', '.join(s['customs_territories'])}",
        "",
        f"{'node kind':<20}{'nodes':>6}",
    ]
    lines += [f"{kind:<20}{count:>6}" for kind, count in s["nodes_by_kind"].items()]
    lines += [
        "",
        f"{'mode':<11}{'lanes':>6}{'carriers':>9}{'total km':>12}"
        f"{'mean days min-max':>19}{'P90 max':>9}",
    ]
    for row in s["mode_stats"]:
        days = f"{row['transit_min_days']:g}-{row['transit_max_days']:g}"
        lines.append(
            f"{row['mode']:<11}{row['lanes']:>6}{row['carriers']:>9}"
            f"{row['total_km']:>12,.0f}{days:>19}{row['transit_p90_max_days']:>9g}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- export
@network.command()
@click.argument("net", type=_PATH)
@click.argument("out", type=_PATH)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format [default: gpkg if OUT ends in .gpkg, else csv].",
)
def export(net: Path, out: Path, fmt: str | None) -> None:
    """Write a network as GeoJSON, GeoPackage or canonical CSV.

    \b
    geojson  OUT is a folder: nodes.geojson (points), lanes.geojson (lane
             paths: sea lanes by searoute, air by great circle) and the other
             tables as CSV; the folder is itself a readable network.
    gpkg     OUT is one .gpkg file with a layer per table.
    csv      OUT is a folder of CSV tables (a canonical re-write).

    Reading the output back gives the same network.

    \b
    Examples:
      xborder network export networks/global --format geojson out/global_geo
      xborder network export networks/global --format gpkg out/global.gpkg
      xborder network export networks/global --format csv out/global_csv
    """
    fmt = fmt or ("gpkg" if out.suffix.lower() == ".gpkg" else "csv")
    network, _ = load_network(net)
    if fmt != "gpkg":
        _check_out_folder(out, fmt)
    elif out.is_dir():
        raise InputError(
            [
                Problem(
                    str(out), "output is a folder", expected="a .gpkg file name for --format gpkg"
                )
            ]
        )
    if fmt != "csv":
        _route_lanes(network)
    files = export_network(network, net, out, fmt)
    click.echo(f"wrote {out} ({fmt}): {', '.join(f.name for f in files)}")


def export_network(network: Network, source: Path, out: Path, fmt: str) -> list[Path]:
    """Write ``network`` to ``out`` in ``fmt`` (see :func:`export`); return the files written.

    ``source`` is the network's own path: ``fx`` ``as_of`` and ``source`` are
    not kept on the records, so they are copied from the source table.
    """
    from optimizer.network.geometry import table_rows

    rows = table_rows(network)
    rows["fx"] = _fx_rows(network, source)
    if fmt == "gpkg":
        _write_gpkg(network, rows, out)
        return [out]
    files = []
    for table in TABLE_ORDER:
        if fmt == "geojson" and table in _GEO_TABLES:
            files.append(_write_geojson(network, table, out / f"{table}.geojson"))
        else:
            files.append(_write_csv(table, rows[table], out / f"{table}.csv"))
    return files


def _check_out_folder(out: Path, fmt: str) -> None:
    """Refuse to leave tables of another format beside the new ones (the reader prefers CSV)."""
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
        f"{t}.{'geojson' if fmt == 'geojson' and t in _GEO_TABLES else 'csv'}" for t in TABLE_ORDER
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


def _fx_rows(network: Network, source: Path) -> list[dict[str, Any]]:
    from optimizer.network.reader import _locate
    from optimizer.network.tables import read_csv_rows, read_geo_rows

    meta: dict[str, dict[str, str]] = {}
    found = _locate(source, "fx")
    if found is not None:
        file, layer = found
        raw = (
            read_csv_rows(file)[0] if file.suffix == ".csv" else read_geo_rows(file, "fx", layer)[0]
        )
        meta = {cells.get("currency", ""): cells for _, cells in raw}
    return [
        {
            "currency": code,
            "per_usd": rate,
            "as_of": meta.get(code, {}).get("as_of"),
            "source": meta.get(code, {}).get("source"),
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
        frame.to_file(tmp, driver="GeoJSON")
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


def _route_lanes(network: Network) -> None:
    """Compute (and cache) every lane path, with a progress bar: sea routing takes seconds."""
    from optimizer.network.geometry import lane_geometry

    if not sys.stderr.isatty():  # no bar in logs and pipes
        for lane in network.lanes:
            lane_geometry(network, lane)
        return
    with click.progressbar(network.lanes, label="routing lanes", file=sys.stderr) as lanes:
        for lane in lanes:
            lane_geometry(network, lane)


# --------------------------------------------------------------------------- map
@network.command(name="map")
@click.argument("net", type=_PATH)
@click.option("-o", "--out", "out", type=_PATH, required=True, help="PNG file to write.")
@click.option("--title", default=None, help="Map title [default: network name and size].")
@click.option(
    "--central-lon",
    type=click.FloatRange(-180, 180),
    default=None,
    help="Central meridian [default: the one that cuts the fewest lanes].",
)
def map_(net: Path, out: Path, title: str | None, central_lon: float | None) -> None:
    """Draw the network on a world map (PNG): lanes by mode, nodes by kind.

    \b
    Examples:
      xborder network map networks/global -o global.png
      xborder network map networks/global -o global.png --central-lon 0
    """
    from optimizer.maps import draw_network_map

    network, _ = load_network(net)
    _route_lanes(network)
    draw_network_map(network, out, title=title, central_lon=central_lon)
    click.echo(f"wrote {out}")
