"""Test-wide settings and fixtures: hypothesis profiles, and the two networks most tests read.

Property tests must not go red at random in CI: the default profile ``ci`` is
derandomized (each test draws the same examples on every run, from a seed
derived from the test) and keeps no example database, so a run depends only
on the code. ``XBORDER_HYPOTHESIS_PROFILE=thorough`` searches with fresh
random seeds and many more examples (tests that fix ``max_examples`` in their
own ``@settings`` keep theirs): use it locally or in a nightly job, and turn
any counterexample it finds into an explicit ``@example`` or test.

Networks are frozen records, so one instance per session is safe to share.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from optimizer.network.reader import read_network
from optimizer.network.records import Network

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile(
    "thorough",
    derandomize=False,
    max_examples=2_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("XBORDER_HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "data" / "tiny"  # 5-node network whose plans are checked by hand
GLOBAL = REPO / "networks" / "global"  # the shipped real network


@pytest.fixture(scope="session")
def tiny() -> Network:
    """``tests/data/tiny``."""
    return read_network(TINY)


@pytest.fixture(scope="session")
def global_network() -> Network:
    """``networks/global``."""
    return read_network(GLOBAL)
