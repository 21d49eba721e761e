"""Raw table reading: CSV (strict UTF-8), GeoJSON and GeoPackage into rows of text.

Everything here returns problems instead of raising, so one run of the
validator reports every defect of every file. A row is a ``(line, cells)``
pair where ``line`` is the 1-based line in the file (the header is line 1),
which is also the row number a spreadsheet shows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer import fields
from optimizer.errors import Problem
from optimizer.network.schema import Attribute

Row = tuple[int, dict[str, str]]
GEO_SUFFIXES = (".geojson", ".gpkg")


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One row after its cells were parsed by the schema (values typed, ``None`` if empty)."""

    file: str
    line: int
    values: dict[str, Any]


def read_csv_rows(path: Path) -> tuple[list[Row], list[str], list[Problem]]:
    """Read a CSV file; return rows, the header and problems (encoding, truncation...)."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return [], [], [Problem(name, f"cannot read: {reason}", expected="a readable CSV file")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        field, cell = _cell_at(raw, exc.start)
        return (
            [],
            [],
            [
                Problem(
                    name,
                    f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                    row=line,
                    field=field,
                    value=cell,
                    expected="a UTF-8 encoded file (save as 'CSV UTF-8')",
                )
            ],
        )
    if not text.strip():
        return (
            [],
            [],
            [Problem(name, "file is empty", row=1, expected="a header line and data rows")],
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    rows: list[Row] = []
    problems: list[Problem] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(
                    name,
                    f"row has {len(cells)} fields but the header has {len(header)}",
                    row=line,
                    field=header[len(cells)] if len(cells) < len(header) else None,
                    expected="one value per header column (is the file truncated?)",
                )
            )
            continue
        rows.append((line, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    return rows, header, problems


def _cell_at(raw: bytes, offset: int) -> tuple[str | None, str]:
    """The header field and the cell text (bad bytes replaced) around byte ``offset``."""
    start = raw.rfind(b"\n", 0, offset) + 1
    end = raw.find(b"\n", offset)
    line = raw[start : end if end >= 0 else len(raw)].decode("utf-8", "replace").rstrip("\r")
    prefix = raw[start:offset].decode("utf-8", "replace")
    column = max(len(next(csv.reader([prefix]), [])) - 1, 0)  # cells before the bad byte
    cells = next(csv.reader([line]), [])
    first = raw.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lstrip("\ufeff")
    header = next(csv.reader([first]), [])
    field = header[column].strip() if column < len(header) else None
    return field, cells[column] if column < len(cells) else ""


def read_geo_rows(path: Path, table: str, layer: str | None = None) -> tuple[list[Row], list[str]]:
    """Read a GeoJSON file or a GeoPackage layer into text rows.

    Point geometries fill ``lat``/``lon`` when those columns are absent; other
    geometries are ignored (lanes are rebuilt from their end nodes).
    """
    import geopandas as gpd

    frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    if table == "nodes" and not frame.empty and frame.geometry.notna().all():
        if "lat" not in frame.columns:
            frame["lat"] = frame.geometry.y
        if "lon" not in frame.columns:
            frame["lon"] = frame.geometry.x
    columns = [c for c in frame.columns if c != "geometry"]
    rows: list[Row] = []
    for i, record in enumerate(frame[columns].itertuples(index=False), start=2):
        cells = {c: _text(v) for c, v in zip(columns, record, strict=True)}
        rows.append((i, cells))
    return rows, columns


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        return repr(value)
    return str(value)


def header_problems(name: str, header: list[str], attrs: tuple[Attribute, ...]) -> list[Problem]:
    """Missing required columns are errors; unknown columns are warnings."""
    return fields.header_problems(name, header, (a.field for a in attrs))
