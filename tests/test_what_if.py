"""What-ifs must resolve and touch something, and the plan echoes what they did (issue 11, 2).

Before: ``closed_corridors: [suezz]``, ``{mode: seafcl, factor: 2}`` and
``{corridor: suezz, factor: 2}`` ran silently as the baseline. All on a copy
of ``tests/data/tiny`` whose sea lane is tagged ``suez;malacca``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main

TINY = Path(__file__).with_name("data") / "tiny"
SCENARIO = (TINY.parent / "tiny_scenario.yaml").read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    net = tmp_path / "tiny"
    shutil.copytree(TINY, net)
    lanes = net / "lanes.csv"
    rows = lanes.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    col = header.index("corridor")
    out = [rows[0]]
    for row in rows[1:]:
        cells = row.split(",")
        if cells[0] == "L_SEA":
            cells[col] = "suez;malacca"
        out.append(",".join(cells))
    lanes.write_text("\n".join(out) + "\n", encoding="utf-8")
    with (net / "nodes.csv").open("a", encoding="utf-8") as fh:
        fh.write("X,Idle hub,hub,US,34,-118,,,,,,,,,,,,test\n")
    return tmp_path


def run(folder: Path, what_if: str, *extra: str):
    scenario = folder / "s.yaml"
    scenario.write_text(SCENARIO + f"what_if: {what_if}\n", encoding="utf-8")
    return CliRunner().invoke(main, ["run", str(scenario), *extra])


@pytest.mark.parametrize(
    ("what_if", "expected"),
    [
        (
            "{closed_corridors: [suezz]}",
            "unknown corridor tag (got 'suezz'); expected did you mean",
        ),
        ("{cost_multipliers: [{mode: seafcl, factor: 2}]}", "did you mean 'sea_fcl'?"),
        ("{cost_multipliers: [{corridor: suezz, factor: 2}]}", "did you mean 'suez'?"),
        ("{cost_multipliers: [{lane: L_SEAA, factor: 2}]}", "did you mean 'L_SEA'?"),
        (
            "{cost_multipliers: [{mode: sea_fcl, corridor: suez, factor: 2}]}",
            "exactly one of mode, lane, corridor",
        ),
        (
            "{cost_multipliers: [{mode: sea_fcl, factor: 2}, {lane: L_SEA, factor: 3}]}",
            "lane L_SEA is selected by multipliers 1 and 2",
        ),
        (
            "{closed_corridors: [suez], cost_multipliers: [{corridor: suez, factor: 2}]}",
            "touches no lane: every lane it selects is closed",
        ),
        ("{closed_nodes: [X]}", "closing this node changes nothing"),
        ("{closed_lanes: [L_SEA, L_SEA]}", "listed twice (got 'L_SEA')"),
    ],
)
def test_what_ifs_that_match_nothing_or_are_ambiguous_are_refused(folder, what_if, expected):
    out = run(folder, what_if)
    assert out.exit_code == 2, out.output
    assert expected in out.output, out.output
    assert "field 'what_if." in out.output


def test_the_known_values_are_listed(folder):
    out = run(folder, "{closed_corridors: [atlantis]}")
    assert out.exit_code == 2
    assert "one of the network's corridor tags: malacca, suez" in out.output


def test_an_empty_customs_rules_file_is_refused(folder):
    header = (TINY / "customs_rules.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "rules.csv").write_text(header + "\n", encoding="utf-8")
    out = run(folder, "{customs_rules_csv: rules.csv}")
    assert out.exit_code == 2 and "has no rules: nothing changes" in out.output


def test_replacement_rules_must_still_cover_every_date(folder):
    rows = (TINY / "customs_rules.csv").read_text(encoding="utf-8").splitlines()
    ended = [rows[0], next(r for r in rows if r.startswith("US_PARCEL_NODM"))]
    ended[1] = ended[1].replace("2025-08-29,,", "2025-08-29,2026-12-31,")
    (folder / "rules.csv").write_text("\n".join(ended) + "\n", encoding="utf-8")
    out = run(folder, "{customs_rules_csv: rules.csv}")
    assert out.exit_code == 2 and "channel parcel after 2026-12-31" in out.output


def test_applied_what_ifs_are_echoed_in_report_and_plan_json(folder):
    rows = (TINY / "customs_rules.csv").read_text(encoding="utf-8").splitlines()
    (folder / "rules.csv").write_text(rows[0] + "\n" + rows[1] + "\n", encoding="utf-8")
    what_if = (
        "{closed_lanes: [L_POST], customs_rules_csv: rules.csv, "
        "cost_multipliers: [{corridor: suez, factor: 2}, {mode: express, factor: 1.5}]}"
    )
    out = run(folder, what_if, "--json")
    assert out.exit_code == 0, out.output
    plan = json.loads(out.output)
    assert plan["what_ifs"] == [
        {
            "what": "closed_lane",
            "target": "L_POST",
            "change": "closed",
            "lanes": 1,
            "nodes": 0,
            "rules": 0,
        },
        {
            "what": "cost_multiplier",
            "target": "corridor=suez",
            "change": "freight x 2",
            "lanes": 1,
            "nodes": 0,
            "rules": 0,
        },
        {
            "what": "cost_multiplier",
            "target": "mode=express",
            "change": "freight x 1.5",
            "lanes": 1,
            "nodes": 0,
            "rules": 0,
        },
        {
            "what": "customs_rules",
            "target": "rules.csv",
            "change": "1 replaced, 0 added",
            "lanes": 0,
            "nodes": 0,
            "rules": 1,
        },
    ]
    text = run(folder, what_if)
    assert "What-ifs applied:" in text.output
    assert "  - cost_multiplier corridor=suez: freight x 2 (1 lane)" in text.output
    assert "  - customs_rules rules.csv: 1 replaced, 0 added (1 rule)" in text.output


def test_a_baseline_plan_has_an_empty_what_if_list(folder):
    scenario = folder / "s.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = CliRunner().invoke(main, ["run", str(scenario), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["what_ifs"] == []


def test_a_key_given_twice_is_refused(folder):
    scenario = folder / "s.yaml"
    scenario.write_text(
        SCENARIO + "what_if: {closed_lanes: [L_POST]}\nwhat_if: {closed_lanes: [L_EXP]}\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(main, ["run", str(scenario)])
    assert out.exit_code == 2, out.output
    assert "key appears twice (first on line" in out.output and "field 'what_if'" in out.output
