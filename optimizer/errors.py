"""Errors users see: bad input (exit 2) is reported all at once, as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, what was expected."""

    file: str
    message: str
    row: int | None = None  # line in the file (CSV header = line 1), as a spreadsheet numbers rows
    field: str | None = None
    value: str | None = None
    expected: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (got {self.value!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class InputError(Exception):
    """Bad input: carries every problem found, so the user fixes them in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if not p.warning]
        self.warnings = [p for p in problems if p.warning]
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def raise_if_any(problems: list[Problem]) -> list[Problem]:
    """Raise :class:`InputError` if any problem is an error; return the warnings."""
    if any(not p.warning for p in problems):
        raise InputError(problems)
    return [p for p in problems if p.warning]
