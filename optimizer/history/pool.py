"""Empirical Bayes pooling of lane fits toward their corridor and mode, on the log scale.

Three deliveries must not overwrite a default, and a lane with ten thousand
must not be held back by it. Each lane's fit is expressed relative to its
default: ``d_mu = mu_fit − mu_default`` (how much slower than the default the
lane runs, as a log ratio) and ``d_ls = ln(sigma_fit / sigma_default)``. Lanes
of a group (the same mode and corridor tags when at least
:data:`MIN_GROUP_LANES` of them have ``n ≥`` :data:`MIN_GROUP_N` deliveries;
else the same mode) share a prior: the group's mean log ratios and their
between-lane variance ``tau²`` (DerSimonian–Laird moments). A lane keeps the
weight

    w = n / (n + k),   k = clip(sigma² / tau², prior_strength, MAX_STRENGTH)

of its own fit and takes ``1 − w`` of the group's: ``k`` is the prior's worth
in deliveries. The floor ``prior_strength`` (default :data:`PRIOR_STRENGTH`,
``--prior-strength``) is the documented minimum: a lane with 5 deliveries
keeps at most 5 / 25 = 20 % of its own fit. A group with fewer than two
fitted lanes pools toward the default itself (log ratio 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.history.fit import SIGMA_FLOOR, LogNormal

#: Minimum prior strength, in deliveries (the documented default of --prior-strength).
PRIOR_STRENGTH = 20.0
#: Ceiling of the estimated strength: when the lanes of a group agree (tau² ≈ 0) a lane with
#: thousands of deliveries still speaks for itself.
MAX_STRENGTH = 200.0
#: Lanes with at least this many deliveries inform their group's prior.
MIN_GROUP_N = 10
#: A mode + corridor group needs this many informative lanes; else the lane pools by mode.
MIN_GROUP_LANES = 3


@dataclass(frozen=True, slots=True)
class LaneFit:
    """One lane's inputs to pooling."""

    lane: str
    mode: str
    corridor: str  # corridor tags joined by ';' ('' = none)
    default: LogNormal
    fit: LogNormal | None
    n: int


@dataclass(frozen=True, slots=True)
class Pooled:
    """One lane after pooling: the distribution to plan with and how it was reached."""

    lane: str
    group: str
    weight: float  # share of the lane's own fit, 0..1
    prior: LogNormal  # the group's value for this lane (default × group ratios)
    result: LogNormal


@dataclass(frozen=True, slots=True)
class _Group:
    d_mu: float
    d_ls: float
    strength: float


def pool(fits: list[LaneFit], *, prior_strength: float = PRIOR_STRENGTH) -> dict[str, Pooled]:
    """Pool every lane that has a fit; lanes without one get weight 0 (their group's value)."""
    if prior_strength <= 0:
        raise ValueError("prior_strength must be > 0")
    informative = [f for f in fits if f.fit is not None and f.n >= MIN_GROUP_N]
    by_corridor: dict[tuple[str, str], list[LaneFit]] = {}
    by_mode: dict[str, list[LaneFit]] = {}
    for f in informative:
        if f.corridor:
            by_corridor.setdefault((f.mode, f.corridor), []).append(f)
        by_mode.setdefault(f.mode, []).append(f)
    groups: dict[str, _Group] = {}
    out: dict[str, Pooled] = {}
    for f in fits:
        members = by_corridor.get((f.mode, f.corridor), [])
        if f.corridor and len(members) >= MIN_GROUP_LANES:
            name = f"{f.mode}:{f.corridor}"
        else:
            name, members = f.mode, by_mode.get(f.mode, [])
        if name not in groups:
            groups[name] = _group(members, prior_strength)
        g = groups[name]
        prior = LogNormal(f.default.mu + g.d_mu, max(f.default.sigma * math.exp(g.d_ls), 1e-3))
        if f.fit is None:
            out[f.lane] = Pooled(f.lane, name, 0.0, prior, prior)
            continue
        w = f.n / (f.n + g.strength)
        mu = w * f.fit.mu + (1 - w) * prior.mu
        log_sigma = w * math.log(f.fit.sigma) + (1 - w) * math.log(prior.sigma)
        out[f.lane] = Pooled(
            f.lane, name, w, prior, LogNormal(mu, max(math.exp(log_sigma), SIGMA_FLOOR))
        )
    return out


def _group(members: list[LaneFit], floor: float) -> _Group:
    """Group prior: mean log ratios to the defaults and the prior strength (see module doc)."""
    if len(members) < 2:
        return _Group(0.0, 0.0, floor)
    fitted = [(m, m.fit) for m in members if m.fit is not None]
    d_mu = np.array([f.mu - m.default.mu for m, f in fitted])
    d_ls = np.array([math.log(f.sigma / m.default.sigma) for m, f in fitted])
    var = np.array([f.sigma**2 / m.n for m, f in fitted])  # sampling variance of each mu
    w = 1.0 / var
    fixed = float((w * d_mu).sum() / w.sum())
    q = float((w * (d_mu - fixed) ** 2).sum())
    denom = float(w.sum() - (w * w).sum() / w.sum())
    tau2 = max((q - (len(fitted) - 1)) / denom, 0.0) if denom > 0 else 0.0
    w_re = 1.0 / (var + tau2)
    center = float((w_re * d_mu).sum() / w_re.sum())
    sigma2 = float(np.mean([f.sigma**2 for _, f in fitted]))
    strength = min(sigma2 / tau2, MAX_STRENGTH) if tau2 > 0 else MAX_STRENGTH
    strength = max(strength, floor)
    # Sigma ratios: the median is robust to a lane whose spread is off.
    return _Group(center, float(np.median(d_ls)), strength)
