"""Fixtures shared by the test modules: the two networks most tests read, read once.

Networks are frozen records, so one instance per session is safe to share.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.network.reader import read_network
from optimizer.network.records import Network

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
