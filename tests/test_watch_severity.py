"""Severity of watch alerts: graded by the size of the shift, raised by its effect on the plan
(docs/watch.md, Severity)."""

from __future__ import annotations

import pytest

from optimizer.history.drift import ChartSettings
from optimizer.history.replan import regrade
from optimizer.history.watch import Alert, grade


def test_size_grades_transit_clearance_and_holds():
    s = ChartSettings()
    # a +10 % clearance time is real but small, whatever the number of charts alarming
    assert grade("clearance_days", 0.10, s) == ("warning", "P90 +10 % (< +25 %)")
    assert grade("transit_days", 0.249, s)[0] == "warning"
    assert grade("transit_days", 0.25, s) == ("critical", "P90 +25 % (>= +25 %)")
    assert grade("transit_days", 1.5, s)[0] == "critical"
    # holds: the doubled rate the chart is designed for is critical, 1.5 x is a warning
    assert grade("hold_rate", 1.4, s) == ("critical", "hold rate 2.40 x baseline (>= 2 x)")
    assert grade("hold_rate", 0.5, s) == ("warning", "hold rate 1.50 x baseline (< 2 x)")


def _alert(kind: str, ident: str, severity: str, reason: str) -> Alert:
    return Alert(
        kind, ident, "*", "transit_days", {}, {}, {}, 0.0, 0.0, 0.0, 10, severity, ("cusum",), 0.1,
        reason,
    )  # fmt: skip


def test_plan_effect_raises_to_critical_never_lowers():
    alerts = (
        _alert("lane", "L_EXP", "critical", "P90 +30 % (>= +25 %)"),
        _alert("lane", "L_POST", "warning", "P90 +12 % (< +25 %)"),
        _alert("node", "PD", "warning", "P90 +10 % (< +25 %)"),
    )
    effects = {("lane", "L_POST"): "demand small now fails its SLA", ("node", "M"): "x"}
    out = regrade(alerts, effects)
    by_id = {a.id: a for a in out}
    assert by_id["L_POST"].severity == "critical"
    assert by_id["L_POST"].reason == "P90 +12 % (< +25 %); demand small now fails its SLA"
    assert by_id["PD"].severity == "warning"  # no demand's plan changes through it
    assert by_id["L_EXP"].severity == "critical"  # by size, untouched
    assert [a.id for a in out] == ["L_EXP", "L_POST", "PD"]  # most severe first


@pytest.mark.parametrize("effect", [0.0, 0.05, 0.24])
def test_small_shifts_are_warnings(effect):
    assert grade("transit_days", effect, ChartSettings())[0] == "warning"
