"""The input-field kit (optimizer/fields.py): one parse, one wording, for every reader."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.errors import Problem
from optimizer.fields import Cells, Field, convert, parse, parse_weekdays, suggest

SHARE = Field("share", "float", "a share", lo=0, hi=1)
POSITIVE = Field("kg", "float", "weight", required=True, lo=0, lo_open=True, hi=40_000)
COUNT = Field("n", "int", "a count", default=1, lo=1, hi=10)
FLAG = Field("flag", "bool", "a flag", default=False)
DAY = Field("day", "date", "a day")
MODE = Field("mode", "enum:sea|air|rail", "a mode")

# (field, raw value, parsed value or None, message or None)
CASES: list[tuple[Field, Any, Any, str | None]] = [
    (SHARE, "0.95", 0.95, None),
    (SHARE, 0, 0.0, None),
    (SHARE, "1", 1.0, None),
    (SHARE, "95", None, "out of range"),
    (SHARE, "95%", None, "not a number"),
    (SHARE, "nan", None, "not a number"),
    (SHARE, "inf", None, "out of range"),
    (SHARE, True, None, "not a number"),
    (SHARE, [1], None, "not a number"),
    (POSITIVE, "0", None, "out of range"),
    (POSITIVE, " 40000 ", 40000.0, None),
    (POSITIVE, "40000.01", None, "out of range"),
    (POSITIVE, 1e300, None, "out of range"),
    (POSITIVE, "12kg", None, "not a number"),
    (COUNT, "3", 3, None),
    (COUNT, 3.0, 3, None),
    (COUNT, "2.5", None, "not a whole number"),
    (COUNT, 10**400, None, "out of range"),
    (COUNT, "0", None, "out of range"),
    (FLAG, "Yes", True, None),
    (FLAG, "n", False, None),
    (FLAG, 1, True, None),
    (FLAG, "maybe", None, "not true or false"),
    (DAY, "2026-03-01", dt.date(2026, 3, 1), None),
    (DAY, dt.date(2026, 3, 1), dt.date(2026, 3, 1), None),
    (DAY, "2026-13-01", None, "not a date"),
    (MODE, "air", "air", None),
    (MODE, "aer", None, "unknown value"),
]


@pytest.mark.parametrize(("field", "raw", "value", "message"), CASES)
def test_convert(field: Field, raw: Any, value: Any, message: str | None) -> None:
    got, fault = convert(field, raw)
    assert got == value
    assert (fault.message if fault else None) == message


def test_problem_wording_names_the_range_and_did_you_mean() -> None:
    problems: list[Problem] = []
    assert parse(POSITIVE, "", "f.csv", 3, problems) is None
    assert parse(POSITIVE, "-2", "f.csv", 4, problems) is None
    assert parse(MODE, "aer", "f.csv", 5, problems) is None
    assert parse(COUNT, "", "f.csv", 6, problems) == 1  # optional: the default, no problem
    assert [str(p) for p in problems] == [
        "f.csv, line 3, field 'kg': value is missing; expected a number > 0 and <= 40000 (weight)",
        "f.csv, line 4, field 'kg': out of range (got '-2'); expected a number > 0 and <= 40000",
        "f.csv, line 5, field 'mode': unknown value (got 'aer'); expected did you mean 'air'?",
    ]


def test_interval_notation() -> None:
    assert POSITIVE.interval() == "(0, 40000]"
    assert SHARE.interval() == "[0, 1]"
    assert Field("x", "float", "", lo=0, hi=1e7).interval() == "[0, 1e7]"
    assert FLAG.interval() == ""


@settings(derandomize=True, max_examples=200)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_number_parses_back_exactly_or_is_out_of_range(x: float) -> None:
    value, fault = convert(POSITIVE, repr(x))
    if 0 < x <= 40_000:
        assert value == x and fault is None
    else:
        assert value is None and fault is not None and fault.message == "out of range"


def test_one_weekday_grammar() -> None:
    assert parse_weekdays("Mon;thursday, SAT") == ((0, 3, 5), [], [])
    assert parse_weekdays("daily") == (tuple(range(7)), [], [])
    assert parse_weekdays("Mon Funday mon") == ((0,), ["Funday"], ["mon"])


def test_cells_read_a_row() -> None:
    problems: list[Problem] = []
    row = Cells(
        "o.csv", 2, {"kg": " 1.5 ", "day": dt.date(2026, 3, 1), "when": "Mon|Wed"}, problems
    )
    assert row.get(POSITIVE) == 1.5 and row.get(DAY) == dt.date(2026, 3, 1)
    assert row.weekdays("when") == frozenset({0, 2})
    assert row.get(FLAG) is False and not row.has("flag")
    assert problems == []


def test_suggest() -> None:
    assert suggest("on_tme", ["on_time", "cost_p95"]) == "did you mean 'on_time'?"
    assert suggest("zzz", ["b", "a"]) == "one of b, a"  # a list keeps its order
    assert suggest("zzz", {"b", "a"}) == "one of a, b"  # a set is sorted
