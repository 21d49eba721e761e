"""One input-field kit: every reader parses its cells here, with one wording.

The network tables (``network/schema.csv``), the scenario YAML and its
demands CSV, the orders scenario of ``xborder route`` and the shipments of
``xborder quote`` all describe their fields as :class:`Field` records (type,
documented range, default, meaning) and parse raw values (YAML scalars or
CSV text) with :func:`parse`. A bad value becomes a
:class:`~optimizer.errors.Problem` worded the same way whichever file it is
in: ``value is missing``, ``not a number``, ``not a whole number``, ``not a
date``, ``not true or false``, ``unknown value`` (with "did you mean"),
``unknown weekday``, ``weekday listed twice``, ``out of range`` — and the
expected value says the documented range.

Why ranges on every number: a value no planner would type (1e300 orders a
week, a 2 t parcel, a share of 95) is a typo or a unit mix-up. Reading it as
given reaches the solver as an infinite objective or, worse, as a plan that
looks right; refusing it at the cell names the mistake.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from optimizer.errors import InputError, Problem

#: The one weekday vocabulary (Monday is 0, as :meth:`datetime.date.weekday`).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FULL_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FULL_WEEKDAYS = tuple(d.lower() for d in FULL_WEEKDAYS)
#: Weekday lists: names separated by semicolons, commas, spaces, slashes or bars.
WEEKDAY_GRAMMAR = "weekdays Mon;Tue;Wed;Thu;Fri;Sat;Sun (full names, any case) or daily"
_SPLIT = re.compile(r"[\s,;/|]+")
#: The one set of true/false words (any case).
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")

MISSING = "value is missing"
OUT_OF_RANGE = "out of range"
#: Largest seed any reader accepts: OR-Tools solvers take a signed 32-bit seed.
MAX_SEED = 2**31 - 1

#: Field types: numbers, text and its shapes, and structures the YAML readers walk.
TYPES = frozenset(
    {"float", "int", "bool", "str", "id", "country", "currency", "date", "list", "mapping", "hs"}
)
_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")
#: An HS code as typed: 2 to 10 digits, dots and spaces allowed (``6109.10``, ``8517 62``).
_HS_CODE = re.compile(r"^[0-9][0-9. ]*$")
HS_EXPECTED = "an HS code of 2 to 10 digits (dots allowed), e.g. 6109.10"


def hs_code_digits(text: str) -> str | None:
    """An HS code as digits (``6109.10`` -> ``610910``), or None when it is not one."""
    text = text.strip()
    digits = re.sub(r"[ .]", "", text)
    if not _HS_CODE.match(text) or not (2 <= len(digits) <= 10):
        return None
    return digits


def number_text(x: float) -> str:
    """A bound as a reader writes it: ``40000``, ``0.5``, ``1e7``, ``2147483647``."""
    mantissa, _, exponent = f"{x:g}".partition("e")
    short = f"{mantissa}e{int(exponent)}" if exponent else mantissa
    if float(x).is_integer() and (abs(x) < 1e6 or float(short) != x):
        return str(int(x))  # exact: 1e6 and more only when the short form is exact too
    return short


@dataclass(frozen=True, slots=True)
class Field:
    """One input field: its type, documented range, default and meaning.

    ``type`` is one of :data:`TYPES`, ``enum:a|b|c`` or ``ref:table`` (an id
    the reader resolves). Numbers must lie in ``lo``..``hi`` (``lo_open`` /
    ``hi_open``: the bound itself excluded); ``None`` leaves that side open.
    """

    name: str
    type: str
    description: str
    default: Any = None
    required: bool = False
    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    hi_open: bool = False
    unit: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES and not self.type.startswith(("enum:", "ref:")):
            raise ValueError(f"field {self.name!r}: unknown type {self.type!r}")
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError(f"field {self.name!r}: range {self.interval()} is empty")

    @property
    def options(self) -> tuple[str, ...]:
        """The values of an ``enum:`` field."""
        return tuple(self.type[5:].split("|")) if self.type.startswith("enum:") else ()

    def interval(self) -> str:
        """The range in interval notation, e.g. ``(0, 40000]``; empty when unbounded."""
        if self.lo is None and self.hi is None:
            return ""
        left = "(" if self.lo_open or self.lo is None else "["
        right = ")" if self.hi_open or self.hi is None else "]"
        lo = "-inf" if self.lo is None else number_text(self.lo)
        hi = "inf" if self.hi is None else number_text(self.hi)
        return f"{left}{lo}, {hi}{right}"

    def expected(self) -> str:
        """What a valid value looks like, in the one wording all readers share."""
        if self.type in ("float", "int"):
            what = "a whole number" if self.type == "int" else "a number"
            bounds = []
            if self.lo is not None:
                bounds.append(f"{'>' if self.lo_open else '>='} {number_text(self.lo)}")
            if self.hi is not None:
                bounds.append(f"{'<' if self.hi_open else '<='} {number_text(self.hi)}")
            return " ".join([what, " and ".join(bounds)]).strip()
        if self.type == "bool":
            return "true or false"
        if self.type == "date":
            return "a date YYYY-MM-DD"
        if self.options:
            return "one of " + ", ".join(self.options)
        if self.type in ("id",) or self.type.startswith("ref:"):
            return "an id of letters, digits, _ - ."
        if self.type == "country":
            return "an ISO 3166-1 alpha-2 code such as CN"
        if self.type == "currency":
            return "an ISO 4217 code such as USD"
        if self.type == "hs":
            return HS_EXPECTED
        if self.type == "list":
            return "a list"
        if self.type == "mapping":
            return "a mapping"
        return "text"

    def in_range(self, value: float) -> bool:
        """True when ``value`` is finite and inside the documented range."""
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        return self.hi is None or not (value > self.hi or (self.hi_open and value == self.hi))


@dataclass(frozen=True, slots=True)
class Fault:
    """Why a raw value does not parse: the message and what was expected (or a hint)."""

    message: str
    expected: str


def is_blank(raw: Any) -> bool:
    """No value: ``None`` or text of only spaces."""
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def convert(field: Field, raw: Any) -> tuple[Any, Fault | None]:
    """Parse a present (non-blank) raw value; ``(value, None)`` or ``(None, fault)``."""
    kind = field.type
    if kind in ("float", "int"):
        return _number(field, raw)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw, None
        word = str(raw).strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS, None
        return None, Fault("not true or false", "true or false (also yes/no, y/n, 1/0)")
    if kind == "date":
        if isinstance(raw, dt.datetime):
            return raw.date(), None
        if isinstance(raw, dt.date):
            return raw, None
        try:
            return dt.date.fromisoformat(str(raw).strip()), None
        except ValueError:
            return None, Fault("not a date", field.expected())
    if field.options:
        text = str(raw).strip()
        if text in field.options:
            return text, None
        return None, Fault("unknown value", suggest(text, field.options))
    if kind == "list":
        if isinstance(raw, (list, tuple)):
            return [str(x) for x in raw], None
        return [p.strip() for p in str(raw).replace(";", ",").split(",") if p.strip()], None
    if kind == "mapping":
        if isinstance(raw, dict):
            return raw, None
        return None, Fault("not a mapping", "a mapping of field: value")
    if isinstance(raw, (dict, list, tuple)):
        return None, Fault("not a single value", field.expected())
    if kind == "hs" and isinstance(raw, float):  # 6109.10 read as a number lost its last 0
        return None, Fault("not an HS code", HS_EXPECTED + ", written as text ('6109.10')")
    text = str(raw).strip()
    if kind == "id" or kind.startswith("ref:"):
        return (text, None) if _ID.match(text) else (None, Fault("not an id", field.expected()))
    if kind == "hs":
        digits = hs_code_digits(text)
        return (digits, None) if digits else (None, Fault("not an HS code", HS_EXPECTED))
    if kind in ("country", "currency"):
        size = 2 if kind == "country" else 3
        ok = len(text) == size and text.isascii() and text.isalpha() and text.isupper()
        return (text, None) if ok else (None, Fault(f"not a {kind} code", field.expected()))
    return text, None


def _number(field: Field, raw: Any) -> tuple[Any, Fault | None]:
    whole = field.type == "int"
    if isinstance(raw, (bool, dict, list, tuple, dt.date)):
        return None, _not_a(field)
    value: float | int
    if isinstance(raw, int):
        value = raw  # exact, however large
    else:
        try:
            value = float(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError, OverflowError):
            return None, _not_a(field)
        if value != value:
            return None, Fault("not a number", field.expected())
        if whole and math.isfinite(value):
            if not value.is_integer():
                return None, _not_a(field)
            value = int(value)
    try:
        if not field.in_range(value):
            return None, Fault(OUT_OF_RANGE, field.expected())
        return (value if whole else float(value)), None
    except OverflowError:  # an integer beyond any float, on a field without an upper bound
        return None, Fault(OUT_OF_RANGE, field.expected())


def _not_a(field: Field) -> Fault:
    """The fault of text that is no number (built only on failure: ``expected()`` is slow)."""
    return Fault("not a whole number" if field.type == "int" else "not a number", field.expected())


def parse(
    field: Field,
    raw: Any,
    file: str,
    line: int | None,
    problems: list[Problem],
    *,
    name: str | None = None,
) -> Any:
    """Parse one raw value by ``field``; a bad or missing one is a problem and gives the default.

    ``name`` is the field as the message shows it (``demands[].weight_kg``);
    by default the field's own name.
    """
    label = name or field.name
    if is_blank(raw):
        if field.required:
            what = field.expected() + (f" ({field.description})" if field.description else "")
            problems.append(Problem(file, MISSING, row=line, field=label, expected=what))
        return field.default
    value, fault = convert(field, raw)
    if fault is not None:
        shown = raw if isinstance(raw, str) else _shown(raw)
        problems.append(
            Problem(
                file,
                fault.message,
                row=line,
                field=label,
                value=shown.strip()[:80],
                expected=fault.expected,
            )
        )
        return field.default
    return value


def _shown(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


def suggest(value: str, options: Iterable[str], what: str = "") -> str:
    """``did you mean 'x'?`` for a close option, else the options (or ``what``) in full."""
    known = list(dict.fromkeys(options)) if isinstance(options, (list, tuple)) else sorted(options)
    hint = difflib.get_close_matches(value, known, n=1)
    if hint:
        return f"did you mean {hint[0]!r}?"
    if what:
        return what
    return "one of " + ", ".join(known)


def parse_weekdays(text: str | None) -> tuple[tuple[int, ...], list[str], list[str]]:
    """A weekday list: ``(sorted weekday numbers, unknown tokens, repeated tokens)``.

    Tokens are three-letter or full English weekday names in any case, or
    ``daily`` (all seven), separated by semicolons, commas, spaces, ``/`` or
    ``|``. Monday is 0.
    """
    days: list[int] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for token in filter(None, _SPLIT.split(text or "")):
        low = token.lower()
        if low == "daily":
            found = list(range(7))
        elif low in _FULL_WEEKDAYS:
            found = [_FULL_WEEKDAYS.index(low)]
        elif low.capitalize() in WEEKDAYS:
            found = [WEEKDAYS.index(low.capitalize())]
        else:
            unknown.append(token)
            continue
        for day in found:
            if day in days:
                repeated.append(token)
            else:
                days.append(day)
    return tuple(sorted(days)), unknown, repeated


def weekday_problems(
    text: str | None, file: str, line: int | None, field: str
) -> tuple[tuple[int, ...], list[Problem]]:
    """Parse a weekday list; unknown and repeated weekdays are problems."""
    days, unknown, repeated = parse_weekdays(text)
    problems = [
        Problem(file, "unknown weekday", line, field, token, WEEKDAY_GRAMMAR) for token in unknown
    ]
    problems += [
        Problem(file, "weekday listed twice", line, field, token, "each weekday at most once")
        for token in repeated
    ]
    return days, problems


def header_problems(
    file: str, header: list[str], fields: Iterable[Field], *, unknown_is_error: bool = False
) -> list[Problem]:
    """A table's header: required columns missing, columns repeated, unknown columns.

    Unknown columns are warnings (ignored) unless ``unknown_is_error``; each gets
    a "did you mean" for a near-miss of a known column.
    """
    fields = list(fields)
    known = [f.name for f in fields]
    problems = [
        Problem(
            file,
            "required column is missing",
            row=1,
            field=f.name,
            expected=f"a column named '{f.name}' ({f.description})",
        )
        for f in fields
        if f.required and f.name not in header
    ]
    problems += [
        Problem(
            file,
            "unknown column" if unknown_is_error else "unknown column is ignored",
            row=1,
            field=h,
            warning=not unknown_is_error,
            expected=suggest(h, known),
        )
        for h in header
        if h not in known
    ]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(file, "column appears twice", row=1, field=h))
        seen.add(h)
    return problems


def cell_text(value: Any) -> str:
    """A YAML value as CSV-like text: lists joined by spaces, dates ISO, ``None`` as ''."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(cell_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class Cells:
    """The cells of one table row, read field by field; problems go to a shared list.

    Readers of row-wise formats (a CSV row, or one mapping of an inline YAML
    list) read every field of every row through one of these, so one pass
    reports every bad cell.
    """

    def __init__(self, file: str, row: int, cells: dict[Any, Any], problems: list[Problem]):
        self.file, self.row, self.problems = file, row, problems
        self.cells = {str(k).strip(): cell_text(v) for k, v in cells.items()}

    def problem(self, field: str, message: str, value: str | None, expected: str) -> None:
        """Record one problem with this row."""
        self.problems.append(Problem(self.file, message, self.row, field, value, expected))

    def has(self, name: str) -> bool:
        """True when the row gives a non-empty value for ``name``."""
        return self.cells.get(name, "") != ""

    def get(self, field: Field) -> Any:
        """The value of ``field`` in this row (its default when empty or bad)."""
        return parse(field, self.cells.get(field.name, ""), self.file, self.row, self.problems)

    def weekdays(self, name: str) -> frozenset[int]:
        """A weekday list (:func:`parse_weekdays`)."""
        days, problems = weekday_problems(self.cells.get(name, ""), self.file, self.row, name)
        self.problems.extend(problems)
        return frozenset(days)

    def dates(self, name: str) -> frozenset[dt.date]:
        """ISO dates separated by spaces, commas or semicolons."""
        day = Field(name, "date", "")
        out: set[dt.date] = set()
        for token in filter(None, _SPLIT.split(self.cells.get(name, ""))):
            value = parse(day, token, self.file, self.row, self.problems)
            if value is not None:
                out.add(value)
        return frozenset(out)


def markdown_table(title: str, fields: Iterable[Field]) -> str:
    """Fields as one markdown table (for the generated format docs)."""
    lines = [
        f"### `{title}`",
        "",
        "| field | type | range | unit | default | required | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in fields:
        typ = f.type.replace("|", " \\| ")
        default = "" if f.default is None else str(f.default)
        lines.append(
            f"| `{f.name}` | {typ} | {f.interval()} | {f.unit} | {default} | "
            f"{'yes' if f.required else ''} | {f.description} |"
        )
    return "\n".join(lines) + "\n"


def parse_when(value: str | None, option: str) -> float | None:
    """A date (= the end of that day, UTC) or an ISO date-time with offset, as epoch seconds."""
    if value is None:
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text) + dt.timedelta(days=1)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InputError(
            [
                Problem(
                    option,
                    "bad date",
                    value=value,
                    expected="YYYY-MM-DD (the end of that day, UTC) or an ISO date-time with "
                    "an offset",
                )
            ]
        )
    return when.timestamp()
