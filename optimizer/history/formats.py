"""The history formats' schema table (``schema.csv`` beside this file).

One description of the tracking-event, order-line and calibration tables: the
readers take their required columns from it and ``docs/history.md`` prints it
(:func:`schema_markdown`), so the two cannot disagree.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("schema.csv")
#: Version of the history formats and of the JSON summaries (``format_version``).
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Column:
    table: str
    name: str
    type: str
    unit: str
    required: bool
    description: str


@functools.cache
def load_schema() -> dict[str, tuple[Column, ...]]:
    """Columns per table, in file order."""
    tables: dict[str, list[Column]] = {}
    with SCHEMA_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            col = Column(
                row["table"],
                row["attribute"],
                row["type"],
                row["unit"],
                row["required"] == "yes",
                row["description"],
            )
            tables.setdefault(col.table, []).append(col)
    return {name: tuple(cols) for name, cols in tables.items()}


def columns(table: str) -> tuple[str, ...]:
    return tuple(c.name for c in load_schema()[table])


def required_columns(table: str) -> tuple[str, ...]:
    return tuple(c.name for c in load_schema()[table] if c.required)


def schema_markdown(table: str) -> str:
    """One table of the schema as markdown (for docs/history.md)."""
    lines = [
        "| column | type | unit | required | description |",
        "|---|---|---|---|---|",
    ]
    for c in load_schema()[table]:
        typ = c.type.replace("|", " \\| ")
        lines.append(
            f"| `{c.name}` | {typ} | {c.unit} | {'yes' if c.required else ''} | {c.description} |"
        )
    return "\n".join(lines)
