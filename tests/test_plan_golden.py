"""Plans are unchanged by the speed work of issue 18 (golden file from commit e52a056).

Fails when evaluation, model build or extraction change a plan: a different
objective (beyond the solver's relative tolerance), route, pattern or split.
"""

from __future__ import annotations

import json
import math

import pytest
from plan_golden import GENERATED, GOLDEN, fingerprint, generated_case, plan_of, shipped_scenarios

GOLD = json.loads(GOLDEN.read_text(encoding="utf-8"))


def _same(got: dict, want: dict) -> None:
    assert got["status"] == want["status"]
    assert math.isclose(got["objective"], want["objective"], rel_tol=1e-6)
    assert got["allocations"] == want["allocations"]
    assert got["unmet"] == want["unmet"]


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.name)
def test_shipped_scenario_plan_unchanged(path):
    _same(fingerprint(plan_of(path)), GOLD[path.name])


@pytest.mark.slow
def test_generated_plan_unchanged():
    n, seed = GENERATED
    _same(generated_case(n, seed), GOLD[f"generated-{n}-seed{seed}"])
