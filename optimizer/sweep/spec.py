"""What a sweep varies: axes over scenario fields, and the points (grid or seeded sample).

An axis is ``PATH=V1,V2,...`` (or ``PATH=LO..HI`` for a sampled number). Paths name
fields of the scenario format (docs/scenario.md), checked against its specs:

- ``plan_date``, ``currency``, ``network`` (top-level fields);
- ``objective.value_of_day_per_order``, ``inventory.service_level``, ``options.single_route``,
  ``solver.seed``, ... (``SECTION.FIELD``);
- ``what_if.closed_corridors`` (a list value such as ``[suez,cape]``), ``what_if.closed_nodes``,
  ``what_if.closed_lanes``, ``what_if.customs_rules_csv``;
- ``what_if.cost_multipliers[mode=sea_fcl].factor`` (or ``lane=ID``, ``corridor=TAG``): the
  multiplier with that selector, added when the scenario has none;
- ``demands[ID].FIELD``: one demand's field, e.g. ``demands[SZX-USW-apparel].orders_per_week``.

Values are YAML scalars or flow lists (``0.7``, ``2026-07-01``, ``true``, ``[suez]``), each
checked by the field's spec, so a bad value is bad input (exit 2) before anything runs.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from optimizer.errors import InputError, Problem
from optimizer.fields import Field, parse
from optimizer.network.records import Mode
from optimizer.scenario.reader import DEMAND, SECTIONS, TOP

#: Top-level fields a sweep may vary (the others name or hold the scenario's demands).
TOP_FIELDS = ("plan_date", "currency", "network")
#: Sections whose fields are plain values.
VALUE_SECTIONS = ("inventory", "objective", "options", "solver")
WHAT_IF_LISTS = ("closed_nodes", "closed_lanes", "closed_corridors")
SELECTORS = ("mode", "lane", "corridor")
_MULTIPLIER = re.compile(r"^what_if\.cost_multipliers\[(\w+)=([^\]]+)\]\.factor$")
_DEMAND = re.compile(r"^demands\[([^\]]+)\]\.(\w+)$")
_RANGE = re.compile(r"^\s*(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)\s*$")


@dataclass(frozen=True, slots=True)
class Axis:
    """One varied field: its path, its spec and its values (or a numeric range to sample)."""

    path: str
    spec: Field
    values: tuple[Any, ...] = ()
    low: float | None = None  # a range LO..HI (sampled only)
    high: float | None = None

    def __post_init__(self) -> None:
        if not self.values and (self.low is None or self.high is None):
            raise ValueError(f"axis {self.path} has neither values nor a range")

    @property
    def numeric(self) -> bool:
        """Numbers (plotted on a numeric axis, stored as float64)."""
        return self.spec.type in ("float", "int")

    @property
    def is_range(self) -> bool:
        return not self.values


@dataclass(frozen=True, slots=True)
class SweepSpec:
    """The axes and how points are drawn: the full grid, or ``sample`` points seeded ``seed``."""

    axes: tuple[Axis, ...]
    sample: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.axes:
            raise ValueError("a sweep needs at least one axis")
        if self.sample is not None and self.sample < 1:
            raise ValueError(f"sample must be at least 1, got {self.sample}")
        if self.sample is None and any(a.is_range for a in self.axes):
            raise ValueError("a LO..HI range needs --sample")
        paths = [a.path for a in self.axes]
        if len(set(paths)) != len(paths):
            raise ValueError(f"a path is varied twice: {paths}")

    def points(self) -> list[dict[str, Any]]:
        """Every point as {path: value}, in a fixed order (grid order, or the sample's)."""
        if self.sample is None:
            return [
                dict(zip((a.path for a in self.axes), combo, strict=True))
                for combo in itertools.product(*(a.values for a in self.axes))
            ]
        rng = np.random.default_rng(self.seed)
        if not any(a.is_range for a in self.axes):
            sizes = [len(a.values) for a in self.axes]
            total = int(np.prod(sizes))
            picks = rng.choice(total, size=min(self.sample, total), replace=False)
            grid = self.__class__(self.axes).points()
            return [grid[int(i)] for i in sorted(picks)]
        out = []
        for _ in range(self.sample):
            point = {}
            for a in self.axes:
                if a.is_range:
                    assert a.low is not None and a.high is not None
                    x = float(rng.uniform(a.low, a.high))
                    point[a.path] = round(x) if a.spec.type == "int" else float(f"{x:.6g}")
                else:
                    point[a.path] = a.values[int(rng.integers(len(a.values)))]
            out.append(point)
        return out


def valid_paths(doc: dict[str, Any], demand_ids: Sequence[str]) -> list[str]:
    """Every path a sweep may vary in this scenario (for messages and did-you-mean)."""
    paths = list(TOP_FIELDS)
    for section in VALUE_SECTIONS:
        paths += [f"{section}.{s.name}" for s in SECTIONS[section]]
    paths += [f"what_if.{name}" for name in (*WHAT_IF_LISTS, "customs_rules_csv")]
    paths += [f"what_if.cost_multipliers[mode={m.value}].factor" for m in Mode]
    for m in (doc.get("what_if") or {}).get("cost_multipliers") or []:
        for key in ("lane", "corridor"):
            if m.get(key):
                paths.append(f"what_if.cost_multipliers[{key}={m[key]}].factor")
    for d in demand_ids:
        paths += [f"demands[{d}].{s.name}" for s in DEMAND if s.name != "id"]
    return paths


def axis_spec(path: str, demand_ids: Sequence[str]) -> Field | None:
    """The spec of the field ``path`` names, or None if the scenario format has no such field."""
    if path in TOP_FIELDS:
        return next(s for s in TOP if s.name == path)
    section, _, name = path.partition(".")
    if section in VALUE_SECTIONS:
        return next((s for s in SECTIONS[section] if s.name == name), None)
    if section == "what_if" and name in WHAT_IF_LISTS:
        return Field(path, "list", "ids")
    if path == "what_if.customs_rules_csv":
        return Field(path, "str", "path")
    m = _MULTIPLIER.match(path)
    if m and m.group(1) in SELECTORS:
        if m.group(1) == "mode" and m.group(2) not in {x.value for x in Mode}:
            return None
        return Field(path, "float", "multiplier", lo=0, hi=100)
    m = _DEMAND.match(path)
    if m and m.group(1) in demand_ids and m.group(2) != "id":
        return next((s for s in DEMAND if s.name == m.group(2)), None)
    return None


def parse_axes(
    texts: Sequence[str], doc: dict[str, Any], demand_ids: Sequence[str], *, source: str = "--vary"
) -> tuple[Axis, ...]:
    """Parse ``PATH=V1,V2`` texts against the scenario; every problem in one InputError."""
    problems: list[Problem] = []
    axes = []
    known = valid_paths(doc, demand_ids)
    for text in texts:
        path, eq, raw = _split_path(text)
        if not eq or not raw.strip():
            problems.append(
                Problem(
                    source,
                    "expected PATH=V1,V2,...",
                    value=text,
                    expected="e.g. plan_date=2026-06-15,2026-07-15",
                )
            )
            continue
        spec = axis_spec(path, demand_ids)
        if spec is None:
            hint = difflib.get_close_matches(path, known, n=1, cutoff=0.5)
            problems.append(
                Problem(
                    source,
                    "no such field in the scenario format",
                    field=path,
                    expected=f"did you mean {hint[0]!r}?" if hint else "a path of docs/sweep.md",
                )
            )
            continue
        spec = dataclasses.replace(spec, name=path)
        span = _RANGE.match(raw)
        if span and spec.type in ("float", "int"):
            low, high = (parse(spec, span.group(k), source, None, problems) for k in (1, 2))
            if low is not None and high is not None and low > high:
                problems.append(Problem(source, "range LO..HI with LO > HI", field=path, value=raw))
            axes.append(Axis(path, spec, low=low or 0.0, high=high or 0.0))
            continue
        values = []
        for item in split_values(raw):
            try:
                loaded = yaml.safe_load(item)
            except yaml.YAMLError:
                loaded = item
            values.append(parse(spec, loaded, source, None, problems))
        if len(set(map(value_text, values))) != len(values):
            problems.append(Problem(source, "a value is repeated", field=path, value=raw))
        axes.append(Axis(path, spec, tuple(values)))
    if problems:
        raise InputError(problems)
    return tuple(axes)


def _split_path(text: str) -> tuple[str, str, str]:
    """``PATH=VALUES`` split at the first ``=`` outside brackets (selectors have their own)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "[") - (ch == "]")
        if ch == "=" and depth == 0:
            return text[:i].strip(), "=", text[i + 1 :]
    return text.strip(), "", ""


def split_values(raw: str) -> list[str]:
    """Split ``a,b,[c,d]`` on the commas outside brackets."""
    out, depth, current = [], 0, ""
    for ch in raw:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    out.append(current.strip())
    return [x for x in out if x != ""]


def value_text(value: Any) -> str:
    """A value as a stable text: ISO dates, lists as JSON, numbers in shortest form."""
    if isinstance(value, list | tuple):
        return json.dumps([str(x) for x in value])
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def apply_point(
    doc: dict[str, Any], point: dict[str, Any], base: Path, demand_rows: list[dict[str, str]] | None
) -> tuple[dict[str, Any], list[dict[str, str]] | None]:
    """A copy of the scenario document (and its demands CSV rows) with the point's values set.

    Relative paths (network, CSV files, values of ``network`` and ``customs_rules_csv``)
    are made absolute against the scenario's folder ``base``, so the copy reads the same
    files wherever it is written.
    """
    out = copy.deepcopy(doc)
    rows = copy.deepcopy(demand_rows)
    for path, value in point.items():
        if path in TOP_FIELDS:
            out[path] = str((base / value).resolve()) if path == "network" else value
            continue
        section, _, name = path.partition(".")
        if section in VALUE_SECTIONS:
            out.setdefault(section, {})
            out[section] = {**(out[section] or {}), name: value}
        elif path == "what_if.customs_rules_csv":
            out.setdefault("what_if", {})
            out["what_if"] = {**(out["what_if"] or {}), name: str((base / value).resolve())}
        elif section == "what_if" and name in WHAT_IF_LISTS:
            out["what_if"] = {**(out.get("what_if") or {}), name: list(value)}
        elif m := _MULTIPLIER.match(path):
            what_if = dict(out.get("what_if") or {})
            multipliers = [dict(x) for x in what_if.get("cost_multipliers") or []]
            key, target = m.group(1), m.group(2)
            match = [x for x in multipliers if x.get(key) == target and not _other_keys(x, key)]
            if match:
                match[0]["factor"] = value
            else:
                multipliers.append({"factor": value, key: target})
            what_if["cost_multipliers"] = multipliers
            out["what_if"] = what_if
        elif m := _DEMAND.match(path):
            demand, field = m.group(1), m.group(2)
            if rows is not None:
                for row in rows:
                    if row.get("id") == demand:
                        row[field] = (
                            ";".join(value) if isinstance(value, list) else value_text(value)
                        )
            else:
                for item in out["demands"]:
                    if str(item.get("id")) == demand:
                        item[field] = value
    for key in ("network",):
        out[key] = str((base / out[key]).resolve())
    if out.get("demands_csv") and rows is None:
        out["demands_csv"] = str((base / out["demands_csv"]).resolve())
    rules = (out.get("what_if") or {}).get("customs_rules_csv")
    if rules:
        out["what_if"]["customs_rules_csv"] = str((base / rules).resolve())
    return out, rows


def _other_keys(multiplier: dict[str, Any], key: str) -> bool:
    return any(multiplier.get(k) for k in SELECTORS if k != key)
