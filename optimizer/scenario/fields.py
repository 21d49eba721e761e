"""Typed field specs for scenario sections, and parsing with line numbers.

A spec says a field's type, bounds, default and meaning. The same specs
parse YAML mappings (with the line of each key) and CSV rows, and generate
the scenario format documentation (``docs/scenario.md``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from optimizer.errors import Problem


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    type: str  # float, int, bool, str, date, list, enum:a|b
    description: str
    default: Any = None
    required: bool = False
    lo: float | None = None  # inclusive lower bound
    lo_open: bool = False  # True: value must be > lo
    hi: float | None = None
    unit: str = ""

    def expected(self) -> str:
        if self.type == "float" or self.type == "int":
            what = "an integer" if self.type == "int" else "a number"
            if self.lo is not None:
                what += f" {'>' if self.lo_open else '>='} {self.lo:g}"
            if self.hi is not None:
                what += f" and <= {self.hi:g}"
            return what
        if self.type == "bool":
            return "true or false"
        if self.type == "date":
            return "a date YYYY-MM-DD"
        if self.type.startswith("enum:"):
            return "one of " + ", ".join(self.type[5:].split("|"))
        if self.type == "list":
            return "a list"
        return "text"


def parse(spec: Spec, raw: Any, file: str, line: int | None, problems: list[Problem]) -> Any:
    """Parse one raw value (YAML scalar or CSV text) by ``spec``; record problems."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if spec.required:
            problems.append(
                Problem(
                    file,
                    "value is missing",
                    row=line,
                    field=spec.name,
                    expected=f"{spec.expected()} ({spec.description})",
                )
            )
        return spec.default
    value: Any
    try:
        value = _convert(spec.type, raw)
    except (TypeError, ValueError):
        problems.append(
            Problem(
                file,
                "bad value",
                row=line,
                field=spec.name,
                value=str(raw),
                expected=spec.expected(),
            )
        )
        return spec.default
    if spec.type in ("float", "int"):
        too_low = spec.lo is not None and (value < spec.lo or (spec.lo_open and value == spec.lo))
        too_high = spec.hi is not None and value > spec.hi
        if too_low or too_high or (isinstance(value, float) and not math.isfinite(value)):
            problems.append(
                Problem(
                    file,
                    "value out of range",
                    row=line,
                    field=spec.name,
                    value=str(raw),
                    expected=spec.expected(),
                )
            )
            return spec.default
    return value


def _convert(kind: str, raw: Any) -> Any:
    if kind == "float":
        if isinstance(raw, bool):
            raise ValueError(raw)
        return float(raw)
    if kind == "int":
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(raw)
        return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise ValueError(raw)
    if kind == "date":
        if isinstance(raw, dt.date):
            return raw
        return dt.date.fromisoformat(str(raw).strip())
    if kind.startswith("enum:"):
        if str(raw) not in kind[5:].split("|"):
            raise ValueError(raw)
        return str(raw)
    if kind == "list":
        if isinstance(raw, list):
            return [str(x) for x in raw]
        return [p.strip() for p in str(raw).replace(";", ",").split(",") if p.strip()]
    return str(raw)


def markdown_table(title: str, specs: tuple[Spec, ...]) -> str:
    lines = [
        f"### `{title}`",
        "",
        "| field | type | unit | default | required | description |",
        "|---|---|---|---|---|---|",
    ]
    for s in specs:
        typ = s.type.replace("|", " \\| ")
        default = "" if s.default is None else str(s.default)
        lines.append(
            f"| `{s.name}` | {typ} | {s.unit} | {default} | "
            f"{'yes' if s.required else ''} | {s.description} |"
        )
    return "\n".join(lines) + "\n"
