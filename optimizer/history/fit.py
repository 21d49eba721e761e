"""Censored lognormal maximum likelihood, and Kaplan–Meier for the empirical curve.

Why a censored fit: a sea lane's slow shipments are exactly the ones still at
sea when the data ends. Dropping them keeps the fast ones and understates the
P90; counting them as arrived "now" does the same. The likelihood below uses
each in-transit shipment for what it says — "took longer than this" — through
the lognormal survival function.

The observed part enters through its sufficient statistics (n, Σ ln x,
Σ ln² x), so a lane with a million deliveries costs no more than one with ten;
only the censoring times are kept one by one. The result equals scipy's
``stats.lognorm.fit(CensoredData(...), floc=0)`` (a test checks it) at a
fraction of the time, because the gradient is analytic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.history.samples import LogSample

FloatArray = npt.NDArray[np.float64]
Z50, Z90 = 0.0, 1.2815515655446004
#: Smallest sigma a fit may return (a lane whose every sample is equal is not a constant to
#: the day: a floor keeps the log-likelihood finite).
SIGMA_FLOOR = 1e-3


@dataclass(frozen=True, slots=True)
class LogNormal:
    """A lognormal distribution of days: ln X ~ Normal(mu, sigma)."""

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and self.sigma > 0 and math.isfinite(self.sigma)):
            raise ValueError(f"bad lognormal mu={self.mu} sigma={self.sigma}")

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def p50(self) -> float:
        return math.exp(self.mu)

    @property
    def p90(self) -> float:
        return math.exp(self.mu + Z90 * self.sigma)

    def quantile(self, q: float) -> float:
        from scipy.special import ndtri

        return math.exp(self.mu + float(ndtri(q)) * self.sigma)

    def cdf(self, days: FloatArray) -> FloatArray:
        from scipy.special import ndtr

        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(days, 1e-300)) - self.mu) / self.sigma
        return np.asarray(ndtr(z), dtype=np.float64)

    @classmethod
    def from_mean_p90(cls, mean: float, p90: float) -> LogNormal:
        """The lognormal the network's lead-time model reads from ``mean`` and ``p90``."""
        from optimizer.costing.leadtime import lognormal_params

        mu, sigma = lognormal_params(mean, p90)
        return cls(mu, max(sigma, SIGMA_FLOOR))


def naive_fit(sample: LogSample) -> LogNormal | None:
    """The fit that ignores the censored samples (what dropping in-transit shipments gives)."""
    if sample.n < 2:
        return None
    mu = sample.sum_log / sample.n
    var = max(sample.sum_log2 / sample.n - mu * mu, 0.0)
    return LogNormal(mu, max(math.sqrt(var), SIGMA_FLOOR))


def censored_fit(sample: LogSample) -> LogNormal | None:
    """Maximum-likelihood lognormal of observed + right-censored durations (None if < 2 observed).

    Minimises the negative log-likelihood over (mu, ln sigma) with L-BFGS and the
    analytic gradient, starting from the naive fit.
    """
    from scipy.optimize import minimize
    from scipy.special import log_ndtr

    start = naive_fit(sample)
    if start is None:
        return None
    if sample.n_censored == 0:
        return start
    n, s1, s2 = sample.n, sample.sum_log, sample.sum_log2
    logc = np.log(sample.censored)

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        mu, log_s = float(x[0]), float(x[1])
        s = math.exp(log_s)
        ss = s2 - 2 * mu * s1 + n * mu * mu  # Σ (ln x − mu)²
        z = (logc - mu) / s
        log_surv = log_ndtr(-z)
        hazard = np.exp(_log_phi(z) - log_surv)  # φ(z) / (1 − Φ(z)), stable in the tail
        nll = n * log_s + ss / (2 * s * s) - float(log_surv.sum())
        d_mu = -(s1 - n * mu) / (s * s) - float(hazard.sum()) / s
        d_log_s = n - ss / (s * s) - float((hazard * z).sum())
        return nll, np.array([d_mu, d_log_s])

    x0 = np.array([start.mu, math.log(start.sigma)])
    result = minimize(objective, x0, jac=True, method="L-BFGS-B")
    mu, log_s = (float(v) for v in result.x)
    return LogNormal(mu, max(math.exp(log_s), SIGMA_FLOOR))


def _log_phi(z: FloatArray) -> FloatArray:
    return np.asarray(-0.5 * z * z - 0.5 * math.log(2 * math.pi), dtype=np.float64)


def kaplan_meier(observed: FloatArray, censored: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Kaplan–Meier estimate of P(X ≤ t): (times, cdf) at each distinct observed time.

    Right-censored values leave the risk set without an event; ties of an event
    and a censoring at the same time count the event first (the usual convention).
    """
    times = np.concatenate([observed, censored])
    event = np.concatenate([np.ones(observed.size), np.zeros(censored.size)])
    order = np.lexsort((1 - event, times))
    times, event = times[order], event[order]
    at_risk = times.size - np.arange(times.size)
    uniq, first = np.unique(times, return_index=True)
    deaths = np.add.reduceat(event, first) if times.size else np.zeros(0)
    risk = at_risk[first]
    keep = deaths > 0
    surv = np.cumprod(1.0 - deaths[keep] / risk[keep])
    return np.asarray(uniq[keep], dtype=np.float64), np.asarray(1.0 - surv, dtype=np.float64)


def km_quantile(times: FloatArray, cdf: FloatArray, q: float) -> float | None:
    """Smallest time whose Kaplan–Meier CDF reaches ``q`` (None if it never does)."""
    k = int(np.searchsorted(cdf, q - 1e-12))
    return float(times[k]) if k < times.size else None
