"""Typed field parsing that records a :class:`Problem` instead of raising.

Readers parse a whole table through one :class:`RowReader` per row, so every
bad cell of every row is reported in one pass (exit 2 lists them all).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from optimizer.errors import Problem
from optimizer.orders.records import WEEKDAYS

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_SPLIT = re.compile(r"[\s,;/|]+")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def cell_text(value: Any) -> str:
    """A cell as text: YAML lists joined by spaces, dates in ISO form, None as ''."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(cell_text(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


class RowReader:
    """Read fields of one row; problems go to the shared ``problems`` list."""

    def __init__(self, file: str, row: int, cells: dict[str, Any], problems: list[Problem]):
        self.file, self.row, self.problems = file, row, problems
        self.cells = {str(k).strip(): cell_text(v) for k, v in cells.items()}

    def problem(self, field: str, message: str, value: str | None, expected: str) -> None:
        """Record one problem with this row."""
        self.problems.append(Problem(self.file, message, self.row, field, value, expected))

    def text(self, field: str, *, required: bool = True) -> str:
        """A text field; empty is a problem when required."""
        value = self.cells.get(field, "")
        if required and not value:
            self.problem(field, "missing value", None, "a non-empty value")
        return value

    def number(
        self,
        field: str,
        *,
        default: float | None = None,
        minimum: float = 0.0,
        maximum: float = math.inf,
        strict: bool = False,
    ) -> float:
        """A finite number in ``[minimum, maximum]`` (``> minimum`` when ``strict``)."""
        raw = self.cells.get(field, "")
        if raw == "" and default is not None:
            return default
        low = f"> {minimum:g}" if strict else f">= {minimum:g}"
        expected = f"a number {low}" + (f" and <= {maximum:g}" if maximum < math.inf else "")
        try:
            value = float(raw)
        except ValueError:
            self.problem(field, "not a number" if raw else "missing value", raw or None, expected)
            return default if default is not None else 0.0
        bad = not math.isfinite(value) or value > maximum
        bad = bad or (value <= minimum if strict else value < minimum)
        if bad:
            self.problem(field, "out of range", raw, expected)
        return value

    def optional_number(self, field: str, *, minimum: float = 0.0) -> float | None:
        """A number, or ``None`` when the cell is empty."""
        if self.cells.get(field, "") == "":
            return None
        return self.number(field, minimum=minimum)

    def date(self, field: str) -> dt.date | None:
        """An ISO date (YYYY-MM-DD)."""
        raw = self.cells.get(field, "")
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.problem(
                field,
                "not an ISO date" if raw else "missing value",
                raw or None,
                "a date like 2018-02-01",
            )
            return None

    def flag(self, field: str) -> bool:
        """A yes/no flag (true/false, yes/no, 1/0); empty means no."""
        raw = self.cells.get(field, "").lower()
        if raw in _TRUE:
            return True
        if raw not in _FALSE:
            self.problem(field, "not a yes/no value", raw, "true or false")
        return False

    def weekdays(self, field: str) -> frozenset[int]:
        """Weekday names (Mon..Sun or Monday..Sunday, any case), or ``daily``."""
        raw = self.cells.get(field, "")
        days: set[int] = set()
        for token in filter(None, _SPLIT.split(raw)):
            low = token.lower()
            if low == "daily":
                days.update(range(7))
            elif low in _FULL:
                days.add(_FULL.index(low))
            elif low.capitalize() in WEEKDAYS:
                days.add(WEEKDAYS.index(low.capitalize()))
            else:
                self.problem(field, "unknown weekday", token, "Mon, Tue, Wed, Thu, Fri, Sat, Sun")
        return frozenset(days)

    def dates(self, field: str) -> frozenset[dt.date]:
        """A list of ISO dates separated by spaces, commas or semicolons."""
        out: set[dt.date] = set()
        for token in filter(None, _SPLIT.split(self.cells.get(field, ""))):
            try:
                out.add(dt.date.fromisoformat(token))
            except ValueError:
                self.problem(field, "not an ISO date", token, "dates like 2018-02-03")
        return frozenset(out)
