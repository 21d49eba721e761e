"""Summary statistics of a simulation, and its renderings (JSON data, table, histogram PNG).

Definitions (docs/simulate.md):

* ``on_time`` — share of orders delivered within the demand's SLA; orders the
  plan leaves unmet count as late.
* ``on_time_p05`` — the 5th percentile over trials of each trial's on-time
  rate: the bad-quarter view of the same risk.
* ``lead_p50/p90/p99``, ``lead_mean`` — customer lead time of delivered
  orders, days (from a 0.01-day histogram, interpolated within the bin).
* ``cost_mean`` — landed cost per delivered order; ``cost_p95`` — the 95th
  percentile over trials of each trial's cost per order (cost risk of the
  horizon, not of one parcel).
* ``stockout_rate`` — orders that found no stock / orders that asked a
  warehouse for it; ``stock_service`` = 1 − that (fill rate).
* ``co2e_per_order`` — kg CO2e per delivered order.
* ``rerouted_rate`` / ``disrupted_rate`` — orders moved to another route /
  orders delayed by a closure or an extra delay.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.simulate.engine import HIST_STEP, DemandTally, RawResult

FloatArray = npt.NDArray[np.float64]

#: Metrics a CI gate may require to be at least a value (``--fail-under``).
HIGHER_IS_BETTER = ("on_time", "on_time_p05", "stock_service")
#: Metrics a CI gate may require to be at most a value (``--fail-over``).
LOWER_IS_BETTER = (
    "cost_mean",
    "cost_p95",
    "lead_p50",
    "lead_p90",
    "lead_p99",
    "lead_mean",
    "stockout_rate",
    "co2e_per_order",
    "rerouted_rate",
    "disrupted_rate",
)
_MONEY = ("cost_mean", "cost_p95")


@dataclass(frozen=True, slots=True)
class Metrics:
    orders: int  # delivered orders simulated
    unmet_orders: float  # expected orders the plan leaves unmet (all trials)
    on_time: float
    on_time_p05: float
    lead_p50: float
    lead_p90: float
    lead_p99: float
    lead_mean: float
    cost_mean: float  # USD in records; the scenario currency in to_dict
    cost_p95: float
    stockout_rate: float | None
    stock_service: float | None
    co2e_per_order: float
    rerouted_rate: float
    disrupted_rate: float


@dataclass(frozen=True, slots=True)
class DemandResult:
    id: str
    sla_days: float
    metrics: Metrics
    routes: tuple[tuple[str, float], ...]  # (route key, share of delivered orders)
    hist: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class SimResult:
    scenario: str
    currency: str
    per_usd: float
    trials: int
    seed: int
    horizon_weeks: int
    config: dict[str, Any]
    demands: tuple[DemandResult, ...]
    overall: Metrics
    hist: npt.NDArray[np.int64]


def quantile(hist: npt.NDArray[np.int64], q: float) -> float:
    """The q-quantile of a lead-time histogram (linear within the 0.01-day bin)."""
    n = int(hist.sum())
    if n == 0:
        return float("nan")
    cum = np.cumsum(hist)
    target = q * n
    k = int(np.searchsorted(cum, target, side="left"))
    before = float(cum[k - 1]) if k > 0 else 0.0
    frac = (target - before) / float(hist[k]) if hist[k] else 0.0
    return (k + frac) * HIST_STEP


def _mean_days(hist: npt.NDArray[np.int64]) -> float:
    n = int(hist.sum())
    centers = (np.arange(hist.size) + 0.5) * HIST_STEP
    return float(centers @ hist) / n if n else float("nan")


def _metrics(
    hist: npt.NDArray[np.int64],
    orders: FloatArray,
    on_time: FloatArray,
    cost: FloatArray,
    co2e: FloatArray,
    unmet_per_trial: float,
    requests: int,
    stockouts: int,
    rerouted: int,
    disrupted: int,
) -> Metrics:
    n = float(orders.sum())
    asked = orders + unmet_per_trial
    per_trial = np.divide(on_time, asked, out=np.full_like(on_time, np.nan), where=asked > 0)
    cost_trial = np.divide(cost, orders, out=np.full_like(cost, np.nan), where=orders > 0)
    valid = per_trial[~np.isnan(per_trial)]
    valid_cost = cost_trial[~np.isnan(cost_trial)]
    rate = stockouts / requests if requests else None
    return Metrics(
        orders=int(n),
        unmet_orders=unmet_per_trial * orders.size,
        on_time=float(on_time.sum() / asked.sum()) if asked.sum() else float("nan"),
        on_time_p05=float(np.quantile(valid, 0.05)) if valid.size else float("nan"),
        lead_p50=quantile(hist, 0.5),
        lead_p90=quantile(hist, 0.9),
        lead_p99=quantile(hist, 0.99),
        lead_mean=_mean_days(hist),
        cost_mean=float(cost.sum() / n) if n else float("nan"),
        cost_p95=float(np.quantile(valid_cost, 0.95)) if valid_cost.size else float("nan"),
        stockout_rate=rate,
        stock_service=None if rate is None else 1.0 - rate,
        co2e_per_order=float(co2e.sum() / n) if n else float("nan"),
        rerouted_rate=rerouted / n if n else 0.0,
        disrupted_rate=disrupted / n if n else 0.0,
    )


def _cat(parts: list[FloatArray]) -> FloatArray:
    return np.concatenate(parts) if parts else np.zeros(0)


def summarize(raw: RawResult, *, scenario: str, currency: str, per_usd: float) -> SimResult:
    """Per-demand and overall metrics from the engine's tallies."""
    cfg = raw.config
    demands = []
    total: dict[str, Any] = {}
    for model, tally in zip(raw.models, raw.tallies, strict=True):
        d = model.demand
        unmet = d.orders_per_week * model.unmet_share * cfg.horizon_weeks
        arrays = _arrays(tally)
        m = _metrics(
            tally.hist,
            *arrays,
            unmet,
            tally.stock_requests,
            tally.stockouts,
            tally.rerouted,
            tally.disrupted,
        )
        n = sum(tally.route_orders.values())
        routes = tuple(
            (k, v / n)
            for k, v in sorted(tally.route_orders.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        demands.append(DemandResult(d.id, d.sla_days, m, routes, tally.hist))
        _add(total, tally, arrays, unmet)
    hist = total.get("hist", np.zeros(1, dtype=np.int64))
    zero = np.zeros(cfg.trials)
    overall = _metrics(
        hist,
        total.get("orders", zero),
        total.get("on_time", zero),
        total.get("cost", zero),
        total.get("co2e", zero),
        total.get("unmet", 0.0),
        total.get("requests", 0),
        total.get("stockouts", 0),
        total.get("rerouted", 0),
        total.get("disrupted", 0),
    )
    return SimResult(
        scenario,
        currency,
        per_usd,
        cfg.trials,
        cfg.seed,
        cfg.horizon_weeks,
        cfg.to_dict(),
        tuple(demands),
        overall,
        hist,
    )


def _arrays(tally: DemandTally) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    return (
        _cat(tally.trial_orders),
        _cat(tally.trial_on_time),
        _cat(tally.trial_cost),
        _cat(tally.trial_co2e),
    )


def _add(
    total: dict[str, Any], tally: DemandTally, arrays: tuple[FloatArray, ...], unmet: float
) -> None:
    for key, value in zip(("orders", "on_time", "cost", "co2e"), arrays, strict=True):
        total[key] = total[key] + value if key in total else value.copy()
    total["hist"] = total["hist"] + tally.hist if "hist" in total else tally.hist.copy()
    counts: tuple[tuple[str, float], ...] = (
        ("unmet", unmet),
        ("requests", tally.stock_requests),
        ("stockouts", tally.stockouts),
        ("rerouted", tally.rerouted),
        ("disrupted", tally.disrupted),
    )
    for name, amount in counts:
        total[name] = total.get(name, 0) + amount


def metric(m: Metrics, name: str, per_usd: float = 1.0) -> float | None:
    """A metric by name, money in the reporting currency."""
    value = getattr(m, name)
    if value is None:
        return None
    return float(value) * per_usd if name in _MONEY else float(value)


def _round(x: Any) -> Any:
    if isinstance(x, float):
        return None if x != x else round(x, 6)
    return x


def _metrics_dict(m: Metrics, per_usd: float) -> dict[str, Any]:
    out = {k: _round(v) for k, v in asdict(m).items()}
    for k in _MONEY:
        out[k] = _round(getattr(m, k) * per_usd)
    return out


def to_dict(result: SimResult) -> dict[str, Any]:
    """The JSON contract of ``xborder simulate --json`` and ``simulation.json``.

    No timings: the same seed must give the same document byte for byte.
    """
    return {
        "format_version": 1,
        "scenario": result.scenario,
        "currency": result.currency,
        "trials": result.trials,
        "seed": result.seed,
        "horizon_weeks": result.horizon_weeks,
        "config": result.config,
        "overall": _metrics_dict(result.overall, result.per_usd),
        "demands": [
            {
                "id": d.id,
                "sla_days": d.sla_days,
                **_metrics_dict(d.metrics, result.per_usd),
                "routes": [{"route": k, "share": _round(v)} for k, v in d.routes],
            }
            for d in result.demands
        ],
    }


def _pct(x: float | None) -> str:
    return "-" if x is None or x != x else f"{100 * x:.1f}%"


def table(result: SimResult) -> str:
    """A human table: one row per demand and the overall row."""
    cur = result.currency
    head = (
        f"{'demand':<24} {'SLA d':>6} {'orders':>10} {'on-time':>8} {'P05 trial':>9} "
        f"{'P50 d':>6} {'P90 d':>6} {'P99 d':>6} {'cost/ord':>9} {'cost P95':>9} "
        f"{'stock-out':>9} {'rerouted':>8} {'CO2e kg':>8}"
    )
    lines = [
        f"{result.scenario}: {result.trials} trials × {result.horizon_weeks} weeks, "
        f"seed {result.seed} (money in {cur})",
        head,
        "-" * len(head),
    ]
    rows = [(d.id, f"{d.sla_days:g}", d.metrics) for d in result.demands]
    rows.append(("overall", "", result.overall))
    for name, sla, m in rows:
        lines.append(
            f"{name[:24]:<24} {sla:>6} {m.orders:>10,} {_pct(m.on_time):>8} "
            f"{_pct(m.on_time_p05):>9} {m.lead_p50:>6.1f} {m.lead_p90:>6.1f} "
            f"{m.lead_p99:>6.1f} {m.cost_mean * result.per_usd:>9.2f} "
            f"{m.cost_p95 * result.per_usd:>9.2f} {_pct(m.stockout_rate):>9} "
            f"{_pct(m.rerouted_rate):>8} {m.co2e_per_order:>8.3f}"
        )
    return "\n".join(lines)


def histogram_png(result: SimResult, path: str) -> None:
    """Lead-time histograms per demand (small multiples) with each SLA marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from optimizer.io.atomic import atomic_path

    panels: list[tuple[str, float | None, npt.NDArray[np.int64]]] = [
        (d.id, d.sla_days, d.hist) for d in result.demands
    ]
    if len(panels) > 1:
        panels.append(("overall", None, result.hist))
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax, (name, sla, hist) in zip(axes.ravel(), panels, strict=False):
        top = quantile(hist, 0.999) if hist.sum() else 1.0
        width = max(round(top / 60 / HIST_STEP), 1)  # ~60 bars up to the 99.9th percentile
        k = int(top / HIST_STEP) // width + 1
        bars = np.add.reduceat(hist[: k * width], np.arange(0, k * width, width))
        share = bars / max(hist.sum(), 1)
        ax.bar(
            np.arange(k) * width * HIST_STEP,
            share,
            width=width * HIST_STEP,
            align="edge",
            color="#4878a8",
        )
        if sla is not None:
            ax.axvline(sla, color="#c03030", linestyle="--", label=f"SLA {sla:g} d")
            ax.legend(fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("customer lead time (days)", fontsize=8)
        ax.set_ylabel("share of orders", fontsize=8)
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    fig.suptitle(f"{result.scenario}: simulated lead times ({result.trials} trials)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
