"""``xborder validate`` and ``xborder network show|export|map``.

Thin commands: read the network (every problem raises
:class:`~optimizer.errors.InputError`, which the CLI group turns into exit 2),
then render a summary, a table, files or a map. All files are written
atomically.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from optimizer.errors import InputError, Problem
from optimizer.network.reader import load_network
from optimizer.network.records import Network
from optimizer.network.schema import SCHEMA_VERSION
from optimizer.network.writer import FORMATS, check_output, export_network

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
    check_output(out, fmt)  # before minutes of sea routing, not after
    from optimizer.io.outdir import check_out_dir, check_out_file

    if fmt == "gpkg":
        check_out_file(out, option="OUT")
    else:
        check_out_dir(out, option="OUT")
    if fmt != "csv":
        _route_lanes(network)
    files = export_network(network, out, fmt)
    click.echo(f"wrote {out} ({fmt}): {', '.join(f.name for f in files)}")


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
    from optimizer.io.outdir import check_out_file
    from optimizer.maps import draw_network_map

    network, _ = load_network(net)
    check_out_file(out)
    _route_lanes(network)
    draw_network_map(network, out, title=title, central_lon=central_lon)
    click.echo(f"wrote {out}")
