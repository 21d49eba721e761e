"""A fixed-seed run of the mutation fuzz (benchmarks/fuzz_semantics.py): no traceback, no
mutant of a referenced table silently accepted. The benchmark script runs thousands."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from optimizer.network.reader import load_network

ROOT = Path(__file__).resolve().parents[1]


def _fuzz():
    spec = importlib.util.spec_from_file_location(
        "fuzz_semantics", ROOT / "benchmarks" / "fuzz_semantics.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("network", ["global", "tiny"])
def test_mutants_never_crash_and_referenced_rows_are_never_silently_dropped(network):
    fuzz = _fuzz()
    src = ROOT / "networks" / "global" if network == "global" else ROOT / "tests" / "data" / "tiny"
    report = fuzz.Report()
    rng = np.random.default_rng(0)
    fuzz.network_mutants(src, 300 if network == "global" else 600, rng, report)
    if network == "global":
        fuzz.scenario_mutants(load_network(src)[0], src, 300, rng, report)
    crashes = [(o.kind, o.detail) for o in report.crashes]
    silent = [o.kind for o in report.silent]
    assert crashes == [] and silent == [], report.table()
    rejected = {o.kind for o in report.outcomes if o.result == "rejected"}
    assert any(k.startswith("delete row") for k in rejected)  # the oracle did run
