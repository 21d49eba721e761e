"""Input files for DuckDB: paths, globs and folders of CSV or Parquet, read in place.

Each file is opened once to learn its columns (DuckDB reads only the header or
the Parquet footer), so an unreadable file or a missing required column is
reported naming the file and the column, every one at once. Files with the same
columns are then scanned together by one ``read_csv``/``read_parquet``; nothing
is loaded into Python row by row.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem

SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True, slots=True)
class FileGroup:
    """Files of one kind with the same columns: scanned by one table function."""

    kind: str  # "csv" or "parquet"
    files: tuple[str, ...]
    #: wanted column name -> (column name in the file, DuckDB type)
    columns: tuple[tuple[str, str, str], ...]

    def scan(self) -> str:
        """The table function reading every file of the group (with a ``filename`` column)."""
        files = "[" + ", ".join(lit(f) for f in self.files) + "]"
        if self.kind == "csv":
            return f"read_csv({files}, header=true, all_varchar=true, filename=true)"
        return f"read_parquet({files}, filename=true)"

    def column(self, name: str) -> tuple[str, str] | None:
        """(quoted source column, type) of a wanted column, or None when the files lack it."""
        for wanted, actual, typ in self.columns:
            if wanted == name:
                return quote(actual), typ
        return None

    def text(self, name: str) -> str:
        """SQL for a column as trimmed text, NULL when absent or empty."""
        found = self.column(name)
        if found is None:
            return "NULL::VARCHAR"
        return f"NULLIF(trim(CAST({found[0]} AS VARCHAR)), '')"

    def raw(self, name: str) -> str:
        """SQL for a column as text as it is (NULL when absent): the fast path for ids that
        are cast to an ENUM first and trimmed only when that fails (see ``events``)."""
        found = self.column(name)
        if found is None:
            return "NULL::VARCHAR"
        return f"CAST({found[0]} AS VARCHAR)"


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def expand(paths: tuple[str, ...]) -> tuple[list[tuple[str, str]], list[Problem]]:
    """Files named by ``paths`` (files, folders, globs) as (path, kind), sorted, deduplicated."""
    found: dict[str, str] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            matches = sorted(
                str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
        elif any(ch in raw for ch in "*?["):
            matches = sorted(glob.glob(raw, recursive=True))
        else:
            matches = [raw] if path.exists() else []
        if not matches:
            problems.append(
                Problem(raw, "no such file", expected="a CSV or Parquet file, a folder or a glob")
            )
        for m in matches:
            kind = SUFFIXES.get(Path(m).suffix.lower())
            if kind is None:
                problems.append(Problem(m, "unknown file type", expected="a .csv or .parquet file"))
            else:
                found[m] = kind
    return sorted(found.items()), problems


def open_sources(
    con: Any, paths: tuple[str, ...], wanted: tuple[str, ...], required: tuple[str, ...]
) -> list[FileGroup]:
    """Check every file and group them; raise :class:`InputError` naming file and column."""
    import duckdb

    files, problems = expand(paths)
    groups: dict[tuple[str, tuple[tuple[str, str, str], ...]], list[str]] = {}
    for file, kind in files:
        probe = FileGroup(kind, (file,), ())
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {probe.scan()}").fetchall()
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0][:200]
            problems.append(Problem(file, f"cannot read the file: {message}"))
            continue
        by_lower = {str(row[0]).strip().lower(): (str(row[0]), str(row[1])) for row in described}
        missing = [c for c in required if c not in by_lower]
        for c in missing:
            problems.append(
                Problem(
                    file,
                    "required column is missing",
                    row=1,
                    field=c,
                    expected="columns " + ", ".join(required),
                )
            )
        if missing:
            continue
        cols = tuple((w, *by_lower[w]) for w in wanted if w in by_lower)
        groups.setdefault((kind, cols), []).append(file)
    if problems:
        raise InputError(problems)
    return [FileGroup(kind, tuple(fs), cols) for (kind, cols), fs in sorted(groups.items())]
