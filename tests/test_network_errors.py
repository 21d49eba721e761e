"""Broken network files map to one clear message each: file, line, field, bad value.

Each case copies ``tests/data/tiny``, breaks one table and runs
``xborder validate`` as a user would: exit code 2, no traceback, and a
message that points at the exact spot.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main

TINY = Path(__file__).parent / "data" / "tiny"
Breaker = Callable[[Path], None]


def replace(table: str, old: str, new: str) -> Breaker:
    """Replace the first ``old`` in ``table``.csv (bytes, so encodings can be broken)."""

    def apply(net: Path) -> None:
        path = net / f"{table}.csv"
        raw = path.read_bytes()
        assert old.encode() in raw, f"{old!r} not in {table}.csv"
        path.write_bytes(raw.replace(old.encode(), new.encode("latin-1"), 1))

    return apply


def drop_column(table: str, column: str) -> Breaker:
    def apply(net: Path) -> None:
        path = net / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        index = lines[0].split(",").index(column)
        kept = [",".join(c for i, c in enumerate(line.split(",")) if i != index) for line in lines]
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")

    return apply


def append_row(table: str, row: str) -> Breaker:
    def apply(net: Path) -> None:
        path = net / f"{table}.csv"
        path.write_text(
            path.read_text(encoding="utf-8").rstrip() + "\n" + row + "\n", encoding="utf-8"
        )

    return apply


def truncate(table: str, keep_chars_of_last_row: int) -> Breaker:
    """Cut the file in the middle of its last row, as an interrupted copy would."""

    def apply(net: Path) -> None:
        path = net / f"{table}.csv"
        text = path.read_text(encoding="utf-8").rstrip()
        start = text.rindex("\n") + 1
        path.write_text(text[: start + keep_chars_of_last_row], encoding="utf-8")

    return apply


def write(table: str, content: bytes) -> Breaker:
    def apply(net: Path) -> None:
        (net / f"{table}.csv").write_bytes(content)

    return apply


def delete(table: str) -> Breaker:
    def apply(net: Path) -> None:
        (net / f"{table}.csv").unlink()

    return apply


# (breaker, file, line, field, fragments the message must contain)
CASES = {
    "bad_number": (
        replace("nodes", "22.5,114.1", "22.x5,114.1"),
        "nodes.csv",
        2,
        "lat",
        ["'22.x5'", "a number >= -90 and <= 90"],
    ),
    "unknown_node": (
        replace("lanes", "L_TRK,O,PS", "L_TRK,O,PSS"),
        "lanes.csv",
        4,
        "to",
        ["unknown nodes id", "'PSS'", "did you mean 'PS'"],
    ),
    "missing_column": (
        drop_column("lanes", "carrier"),
        "lanes.csv",
        1,
        "carrier",
        ["required column is missing"],
    ),
    "duplicate_id": (
        append_row("nodes", "M,Market again,market,US,34,-118,,,,,,,,,,,,test"),
        "nodes.csv",
        7,
        "id",
        ["duplicate id", "first defined on line 6", "'M'"],
    ),
    "overlapping_rules": (
        replace("customs_rules", "2025-08-29,,0", "2025-08-01,,0"),
        "customs_rules.csv",
        3,
        "valid_from",
        ["overlap", "US_PARCEL_DM", "'2025-08-01'"],
    ),
    "truncated_file": (
        truncate("lanes", 45),
        "lanes.csv",
        7,
        "distance_km",
        ["row has 14 fields but the header has 17", "truncated"],
    ),
    "empty_file": (write("countries", b""), "countries.csv", 1, None, ["file is empty"]),
    "non_utf8_byte": (
        replace("nodes", "M,Market", "M,March\xe9"),
        "nodes.csv",
        6,
        "name",
        ["byte 0xe9 is not valid UTF-8", "'March\ufffd'", "CSV UTF-8"],
    ),
    "p90_below_mean": (
        replace("lanes", "16,19,1", "16,12,1"),
        "lanes.csv",
        5,
        "transit_p90_days",
        ["P90 transit time is below the mean", "'12'"],
    ),
    "unknown_mode": (
        replace("lanes", "express", "plane"),
        "lanes.csv",
        2,
        "mode",
        ["'plane'", "one of express, postal"],
    ),
    "unknown_country": (
        replace("nodes", "Port of discharge,seaport,US", "Port of discharge,seaport,UZ"),
        "nodes.csv",
        4,
        "country",
        ["unknown countries code", "'UZ'", "an existing countries code"],
    ),
    "negative_cost": (
        replace("nodes", "22.5,114.1,1,", "22.5,114.1,1,-0.5"),
        "nodes.csv",
        2,
        "handling_cost_per_kg",
        ["'-0.5'", "a number >= 0"],
    ),
    "tariff_missing_field": (
        replace("tariffs", "2000,20000,60", "2000,20000,"),
        "tariffs.csv",
        4,
        "container_capacity_m3",
        ["a per_container tariff needs"],
    ),
    "rule_ends_before_start": (
        replace("customs_rules", "2016-03-10,2025-08-28", "2016-03-10,2015-08-28"),
        "customs_rules.csv",
        2,
        "valid_to",
        ["ends before it starts", "'2015-08-28'"],
    ),
    "missing_table": (delete("tariffs"), "tariffs.csv", None, None, ["table is missing"]),
}


def validate(net: Path) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, ["validate", str(net)])
    return result.exit_code, result.stderr, result.exception


@pytest.fixture
def net(tmp_path: Path) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_names_file_line_field_and_value(net: Path, case: str) -> None:
    breaker, file, line, field, fragments = CASES[case]
    breaker(net)
    code, stderr, exc = validate(net)
    assert code == 2, stderr
    assert isinstance(exc, SystemExit)  # handled: no traceback
    assert "Traceback" not in stderr
    where = str(net / file)
    if line is not None:
        where += f", line {line}"
    if field is not None:
        where += f", field '{field}'"
    problem = next((ln for ln in stderr.splitlines() if where in ln), None)
    assert problem is not None, f"no message at {where!r} in:\n{stderr}"
    for fragment in fragments:
        assert fragment in problem, f"{fragment!r} missing from {problem!r}"


def test_every_problem_in_every_file_is_reported_at_once(net: Path) -> None:
    replace("nodes", "22.5,114.1", "22.x5,114.1")(net)
    replace("lanes", "express", "plane")(net)
    replace("customs_rules", "2016-03-10", "2016-13-10")(net)
    drop_column("countries", "territory")(net)
    code, stderr, _ = validate(net)
    assert code == 2
    assert "4 problems found" in stderr
    for where in (
        "nodes.csv, line 2, field 'lat'",
        "lanes.csv, line 2, field 'mode'",
        "customs_rules.csv, line 2, field 'valid_from'",
        "countries.csv, line 1, field 'territory'",
    ):
        assert where in stderr, where
