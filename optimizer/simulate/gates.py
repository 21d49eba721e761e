"""CI gates on simulation metrics: ``on_time=0.95`` must hold, or the build fails (exit 4).

``--fail-under METRIC=VALUE`` fails when an overall metric is below VALUE,
``--fail-over METRIC=VALUE`` when it is above (money in the scenario
currency). ``METRIC@DEMAND=VALUE`` gates one demand instead of the total.

A gate that can never pass or never fail is refused (exit 2) instead of run:
every bar is read with its metric's field spec (:data:`BARS`), so a share
must lie in [0, 1] (``95%`` is accepted and means 0.95, but ``95`` or
``stockout_rate=5`` is out of range), days, money and kg must be finite and
sane, and an unknown metric gets a "did you mean".
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.fields import Field, convert, suggest
from optimizer.simulate.results import HIGHER_IS_BETTER, LOWER_IS_BETTER, SimResult, metric

_SHARE = "a share in [0, 1], e.g. 0.95 or 95%"
_SHARES = (
    "on_time",
    "on_time_p05",
    "stock_service",
    "stockout_rate",
    "rerouted_rate",
    "disrupted_rate",
)
_DAYS = ("lead_p50", "lead_p90", "lead_p99", "lead_mean")


def _bar(name: str) -> Field:
    if name in _SHARES:
        return Field(name, "float", "share of orders", lo=0, hi=1)
    if name in _DAYS:
        return Field(name, "float", "days of customer lead time", lo=0, hi=3650, unit="d")
    if name == "co2e_per_order":
        return Field(name, "float", "kg CO2e per order", lo=0, hi=1e6, unit="kg")
    return Field(name, "float", "money per order (scenario currency)", lo=0, hi=1e9)


#: The field spec of each gate's bar: its type and range.
BARS = {name: _bar(name) for name in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER)}


@dataclass(frozen=True, slots=True)
class Gate:
    metric: str
    bound: float
    under: bool  # True: fail when below ``bound``; False: fail when above
    demand: str | None = None

    def __post_init__(self) -> None:
        if self.metric not in BARS or not BARS[self.metric].in_range(self.bound):
            raise ValueError(f"gate {self.label}={self.bound!r}: bad metric or bar out of range")

    @property
    def label(self) -> str:
        return self.metric + (f"@{self.demand}" if self.demand else "")

    @property
    def option(self) -> str:
        return "--fail-under" if self.under else "--fail-over"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One gate checked: its measured value and whether it holds."""

    gate: Gate
    value: float | None  # None: not measured (no orders)

    @property
    def verdict(self) -> str:
        """``pass``, ``fail`` or ``not measured`` (which fails the build too)."""
        v, g = self.value, self.gate
        if v is None or v != v:
            return "not measured"
        return "fail" if (v < g.bound if g.under else v > g.bound) else "pass"

    @property
    def reason(self) -> str:
        g = self.gate
        if self.verdict == "not measured":
            return f"{g.label} not measured (no orders)"
        return f"{g.label} {self.value:.4g} {'<' if g.under else '>'} {g.bound:g}"

    def to_dict(self) -> dict[str, Any]:
        g = self.gate
        return {
            "metric": g.metric,
            "demand": g.demand,
            "option": g.option,
            "bar": g.bound,
            "value": None if self.value is None or self.value != self.value else self.value,
            "verdict": self.verdict,
        }


def parse_gates(fail_under: tuple[str, ...], fail_over: tuple[str, ...]) -> list[Gate]:
    """Every gate of both options; raise :class:`InputError` listing every bad one."""
    problems: list[Problem] = []
    gates = [parse_gate(t, under=True, problems=problems) for t in fail_under]
    gates += [parse_gate(t, under=False, problems=problems) for t in fail_over]
    if problems:
        raise InputError(problems)
    return [g for g in gates if g is not None]


def parse_gate(text: str, *, under: bool, problems: list[Problem] | None = None) -> Gate | None:
    """``metric[@demand]=value``; problems go to ``problems`` (or raise :class:`InputError`)."""
    found: list[Problem] = [] if problems is None else problems
    before = len(found)
    allowed = HIGHER_IS_BETTER if under else LOWER_IS_BETTER
    other = LOWER_IS_BETTER if under else HIGHER_IS_BETTER
    option = "--fail-under" if under else "--fail-over"
    name, sep, value = text.partition("=")
    name, _, demand = name.strip().partition("@")
    value = value.strip()

    def problem(message: str, expected: str, field: str | None = None) -> None:
        found.append(Problem(option, message, field=field, value=text, expected=expected))

    if not sep or not name:
        problem("not METRIC=VALUE", f"e.g. {allowed[0]}=0.95", None)
    elif name not in allowed:
        if name in other:
            flip = "--fail-over" if under else "--fail-under"
            lower = "lower" if under else "higher"
            problem(f"{name} is better {lower}: gate it with {flip}", "", name)
        else:
            problem("unknown metric", suggest(name, allowed), name)
    else:
        percent = name in _SHARES and value.endswith("%")
        raw: str | float = value[:-1].strip() if percent else value
        with contextlib.suppress(ValueError):  # else convert() says what is wrong
            raw = float(raw) / (100.0 if percent else 1.0)
        bound, fault = convert(BARS[name], raw)
        if fault is not None:
            expected = _SHARE if name in _SHARES else fault.expected
            found.append(Problem(option, fault.message, field=name, value=value, expected=expected))
        else:
            return Gate(name, float(bound), under, demand or None)
    if problems is None:
        raise InputError(found[before:])
    return None


def evaluate(gates: list[Gate], result: SimResult) -> list[Verdict]:
    """Every gate measured on ``result``. Unknown demands raise ValueError."""
    by_id = {d.id: d.metrics for d in result.demands}
    out = []
    for g in gates:
        if g.demand is not None and g.demand not in by_id:
            raise ValueError(f"gate {g.label}: no demand {g.demand!r} in the plan")
        m = by_id[g.demand] if g.demand is not None else result.overall
        out.append(Verdict(g, metric(m, g.metric, result.per_usd)))
    return out


def check(gates: list[Gate], result: SimResult) -> list[str]:
    """One reason per failed gate (empty: every gate holds). Unknown demands raise ValueError."""
    return [v.reason for v in evaluate(gates, result) if v.verdict != "pass"]
