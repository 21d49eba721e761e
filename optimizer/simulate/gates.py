"""CI gates on simulation metrics: ``on_time=0.95`` must hold, or the build fails (exit 4).

``--fail-under METRIC=VALUE`` fails when an overall metric is below VALUE,
``--fail-over METRIC=VALUE`` when it is above (money in the scenario
currency). ``METRIC@DEMAND=VALUE`` gates one demand instead of the total.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.simulate.results import HIGHER_IS_BETTER, LOWER_IS_BETTER, SimResult, metric


@dataclass(frozen=True, slots=True)
class Gate:
    metric: str
    bound: float
    under: bool  # True: fail when below ``bound``; False: fail when above
    demand: str | None = None

    @property
    def label(self) -> str:
        return self.metric + (f"@{self.demand}" if self.demand else "")


def parse_gate(text: str, *, under: bool) -> Gate:
    """``metric[@demand]=value``; raise ValueError with what is accepted."""
    allowed = HIGHER_IS_BETTER if under else LOWER_IS_BETTER
    option = "--fail-under" if under else "--fail-over"
    name, sep, value = text.partition("=")
    name, _, demand = name.strip().partition("@")
    if not sep or name not in allowed:
        raise ValueError(
            f"{option} {text!r}: expected METRIC=VALUE with METRIC one of {', '.join(allowed)}"
        )
    try:
        bound = float(value)
    except ValueError:
        raise ValueError(f"{option} {text!r}: {value!r} is not a number") from None
    return Gate(name, bound, under, demand or None)


def check(gates: list[Gate], result: SimResult) -> list[str]:
    """One reason per failed gate (empty: every gate holds). Unknown demands raise ValueError."""
    by_id = {d.id: d.metrics for d in result.demands}
    failures = []
    for g in gates:
        if g.demand is not None and g.demand not in by_id:
            raise ValueError(f"gate {g.label}: no demand {g.demand!r} in the plan")
        m = by_id[g.demand] if g.demand is not None else result.overall
        value = metric(m, g.metric, result.per_usd)
        if value is None or value != value:
            failures.append(f"{g.label} not measured (no orders)")
        elif g.under and value < g.bound:
            failures.append(f"{g.label} {value:.4g} < {g.bound:g}")
        elif not g.under and value > g.bound:
            failures.append(f"{g.label} {value:.4g} > {g.bound:g}")
    return failures
