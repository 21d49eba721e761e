"""Lead time as a distribution: a probability mass on a fixed grid of days.

A route's lead time is the sum of independent parts — lane transit (lognormal
fitted to mean and P90), waiting for the next departure (uniform over the
headway), handling (constant) and customs (constant + inspection with some
probability) — so its distribution is the convolution of the parts' masses.

Representation: mass ``pmf[k]`` sits on the lattice point ``(offset + k) × STEP``
days. Continuous parts are discretised by rounding to the nearest lattice point,
which keeps the CDF exact at the half-way points ``(j + ½) × STEP``; sums of
lattice variables stay on the lattice, so convolution adds no further error.
Quantiles interpolate the CDF linearly between half-way points (each mass read
as spread over its bin), exact wherever the true CDF is linear across a bin and
within STEP / 2 for point masses.

First-order stochastic dominance (:func:`dominates`) is what the label-setting
Pareto search prunes with: if A's CDF is everywhere ≥ B's, every quantile of A
is ≤ B's, and adding the same independent part to both keeps the order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from optimizer.network.records import Lane, Node

#: Grid step in days (14.4 minutes).
STEP = 0.01
#: z-score of the 90th percentile of a standard normal.
Z90 = 1.2815515655446004
#: Masses below this are dropped at the ends of a distribution (then renormalised).
_TRIM = 1e-12
#: A lognormal's upper tail is cut at the 1 − 1e-6 quantile (z = 4.753) or at
#: TAIL_P90_MULTIPLE × P90, whichever is lower, and its mass folded into the last bin:
#: P90 is untouched; the mass moved is < 1e-4 for p90 / mean ≤ 1.6 (σ ≤ 0.45), and it
#: keeps distributions of lanes with extreme spreads (p90 / mean ≈ 2.3) to a few thousand bins.
_TAIL_Z = 4.753
TAIL_P90_MULTIPLE = 4.0
#: Above this many multiply-adds, convolve by FFT instead of directly.
_FFT_WORK = 200_000

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class LeadTime:
    """A lead-time distribution in days (immutable; build with the class constructors)."""

    offset: int
    pmf: FloatArray
    cdf: FloatArray = field(init=False, repr=False)
    mean: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pmf = np.asarray(self.pmf, dtype=np.float64)
        pmf, offset = _trim(pmf, self.offset)
        pmf = pmf / pmf.sum()
        pmf.flags.writeable = False
        cdf = np.cumsum(pmf)
        cdf[-1] = 1.0
        cdf.flags.writeable = False
        object.__setattr__(self, "pmf", pmf)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "cdf", cdf)
        ks = np.arange(offset, offset + pmf.size, dtype=np.float64)
        object.__setattr__(self, "mean", float(ks @ pmf) * STEP)

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def constant(cls, days: float) -> LeadTime:
        """Exactly ``days``; off-lattice values are split between the two neighbours (mean kept)."""
        if days < 0:
            raise ValueError(f"negative lead time {days}")
        pos = days / STEP
        low = math.floor(pos + 1e-9)
        frac = pos - low
        if frac < 1e-9:
            return cls(low, np.ones(1))
        return cls(low, np.array([1.0 - frac, frac]))

    @classmethod
    def uniform(cls, low: float, high: float) -> LeadTime:
        """Uniform on [low, high] days (e.g. waiting for the next of ``n`` weekly departures)."""
        if high < low or low < 0:
            raise ValueError(f"bad uniform range [{low}, {high}]")
        if high - low < 1e-12:
            return cls.constant(low)
        k0 = math.floor(low / STEP + 0.5)
        k1 = math.floor(high / STEP + 0.5)
        ks = np.arange(k0, k1 + 1)
        lo = np.maximum((ks - 0.5) * STEP, low)
        hi = np.minimum((ks + 0.5) * STEP, high)
        return cls(k0, np.clip(hi - lo, 0.0, None) / (high - low))

    @classmethod
    def lognormal(cls, mean: float, p90: float) -> LeadTime:
        """Lognormal with the given mean and 90th percentile (see :func:`lognormal_params`)."""
        return _lognormal_cached(float(mean), float(p90))

    @classmethod
    def bernoulli_delay(cls, probability: float, delay: float) -> LeadTime:
        """0 days, or ``delay`` days with ``probability`` (e.g. a customs inspection)."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability} outside [0, 1]")
        shifted = cls.constant(delay)
        pmf = probability * np.concatenate([np.zeros(shifted.offset), shifted.pmf])
        pmf[0] += 1.0 - probability
        return cls(0, pmf)

    # -- arithmetic ---------------------------------------------------------------------------

    def __add__(self, other: LeadTime) -> LeadTime:
        return self.convolve(other)

    def convolve(self, other: LeadTime) -> LeadTime:
        """Distribution of the sum of two independent lead times."""
        a, b = self.pmf, other.pmf
        if a.size == 1 or b.size == 1:
            pmf = a * b[0] if b.size == 1 else b * a[0]
        elif a.size * b.size <= _FFT_WORK:
            pmf = np.convolve(a, b)
        else:
            n = a.size + b.size - 1
            size = 1 << (n - 1).bit_length()
            pmf = np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b, size), size)[:n]
            pmf = np.clip(pmf, 0.0, None)
        return LeadTime(self.offset + other.offset, pmf)

    # -- summaries ----------------------------------------------------------------------------

    @property
    def p50(self) -> float:
        return self.quantile(0.5)

    @property
    def p90(self) -> float:
        return self.quantile(0.9)

    @property
    def lower(self) -> float:
        """Smallest lattice point carrying mass."""
        return self.offset * STEP

    @property
    def upper(self) -> float:
        """Largest lattice point carrying mass."""
        return (self.offset + self.pmf.size - 1) * STEP

    def quantile(self, q: float) -> float:
        """Smallest t with CDF(t) ≥ q, the CDF interpolated linearly within each bin."""
        if not 0.0 < q <= 1.0:
            raise ValueError(f"quantile level {q} outside (0, 1]")
        k = int(np.searchsorted(self.cdf, q - 1e-15))
        k = min(k, self.pmf.size - 1)
        before = self.cdf[k - 1] if k > 0 else 0.0
        mass = self.pmf[k]
        frac = (q - before) / mass if mass > 0 else 0.5
        return (self.offset + k - 0.5 + min(max(frac, 0.0), 1.0)) * STEP

    def cdf_at(self, days: float) -> float:
        """P(lead time ≤ days), with the same in-bin interpolation as :meth:`quantile`."""
        pos = days / STEP - self.offset + 0.5  # bins [k-½, k+½) → [k, k+1)
        if pos <= 0:
            return 0.0
        k = int(pos)
        if k >= self.pmf.size:
            return 1.0
        before = self.cdf[k - 1] if k > 0 else 0.0
        return float(before + self.pmf[k] * (pos - k))


def dominates(a: LeadTime, b: LeadTime, tol: float = 1e-9) -> bool:
    """True if ``a`` is at least as fast as ``b`` in first-order stochastic dominance.

    That is P(a ≤ t) ≥ P(b ≤ t) − ``tol`` for every t; then every quantile of ``a``
    is ≤ the same quantile of ``b``, and convolving both with any independent lead
    time keeps it so — the property that makes pruning labels safe.

    The tolerance applies to the ends of the supports too: every distribution
    drops masses below 1e-12 at its ends (:func:`_trim`), so ``b = a + 2 d``
    convolved with a long-tailed ``c`` may lose a last bin that ``a + c`` keeps
    (its product of two tail masses falls under the cut). A support that ends a
    few bins later by a mass within ``tol`` is not slower.
    """
    if a.offset > b.offset and b.pmf[0] > tol:
        return False  # b has mass before a can have any
    start = min(a.offset, b.offset)
    stop = max(a.offset + a.pmf.size, b.offset + b.pmf.size)
    return bool(np.all(_cdf_on(a, start, stop) >= _cdf_on(b, start, stop) - tol))


def _cdf_on(d: LeadTime, start: int, stop: int) -> FloatArray:
    """CDF of ``d`` on the lattice points ``start .. stop - 1`` (0 before it, 1 after)."""
    out = np.ones(stop - start)
    lo = d.offset - start
    out[:lo] = 0.0
    out[lo : lo + d.cdf.size] = d.cdf
    return out


def total(parts: Iterable[LeadTime]) -> LeadTime:
    """Sum of independent lead times (constant 0 for none)."""
    result = LeadTime(0, np.ones(1))
    for part in parts:
        result = result + part
    return result


@lru_cache(maxsize=16384)
def running_total(parts: tuple[LeadTime, ...]) -> LeadTime:
    """:func:`total` of ``parts``, sharing the convolved prefixes between calls.

    Bit-for-bit what :func:`total` returns (the same left fold, step by step), but
    routes that begin with the same parts — every route from one origin over one
    first lane — convolve that prefix once. Meant for parts that are themselves
    cached (``lane_time``, ``handling_time``, ...): the key is the parts' identity,
    so fresh parts would only fill the cache (bounded at 16,384 prefixes).
    Why: the convolutions were most of the candidate-route stage and of extracting
    stock positions on 2,000-demand plans (issue 18).
    """
    if not parts:
        return LeadTime(0, np.ones(1))
    return running_total(parts[:-1]) + parts[-1]


def lognormal_params(mean: float, p90: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with the given mean and 90th percentile.

    Solves mean = exp(mu + sigma² / 2) and p90 = exp(mu + z·sigma), z = 1.2816:
    with r = ln(p90 / mean), sigma² / 2 − z·sigma + r = 0, the smaller root
    sigma = z − sqrt(z² − 2r) (the larger one puts the median far below the
    mean). p90 == mean gives sigma = 0 (a constant). No lognormal has
    p90 / mean > exp(z² / 2) ≈ 2.27; such inputs get sigma = z and match the
    P90 (what SLAs are written on), so their mean comes out lower.
    """
    if mean <= 0 or p90 < mean:
        raise ValueError(f"need 0 < mean <= p90, got mean={mean}, p90={p90}")
    r = math.log(p90 / mean)
    sigma = Z90 - math.sqrt(max(Z90 * Z90 - 2.0 * r, 0.0))
    mu = math.log(p90) - Z90 * sigma
    return mu, sigma


@lru_cache(maxsize=4096)
def _lognormal_cached(mean: float, p90: float) -> LeadTime:
    mu, sigma = lognormal_params(mean, p90)
    if sigma < 1e-9:
        return LeadTime.constant(mean)
    hi = min(math.exp(mu + _TAIL_Z * sigma), TAIL_P90_MULTIPLE * p90)
    k1 = math.floor(hi / STEP + 0.5) + 1
    edges = (np.arange(0, k1 + 1, dtype=np.float64) + 0.5) * STEP  # upper edges of bins 0..k1
    cdf = _lognormal_cdf(edges, mu, sigma)
    cdf[-1] = 1.0  # fold the far tail into the last bin
    pmf = np.diff(np.concatenate([[0.0], cdf]))
    return LeadTime(0, pmf)


_erf = np.frompyfunc(math.erf, 1, 1)


def _lognormal_cdf(x: FloatArray, mu: float, sigma: float) -> FloatArray:
    z = (np.log(x) - mu) / (sigma * math.sqrt(2.0))
    erf = np.asarray(_erf(z), dtype=np.float64)
    return 0.5 * (1.0 + erf)


def _trim(pmf: FloatArray, offset: int) -> tuple[FloatArray, int]:
    nz = np.flatnonzero(pmf > _TRIM)
    if nz.size == 0:
        raise ValueError("lead time with no mass")
    return pmf[nz[0] : nz[-1] + 1].copy(), offset + int(nz[0])


# -- the parts of a route, from the network records -------------------------------------------


@lru_cache(maxsize=65536)
def lane_time(lane: Lane) -> LeadTime:
    """Waiting for the next departure (uniform over the headway) + lane transit (lognormal)."""
    wait = LeadTime.uniform(0.0, 7.0 / lane.departures_per_week)
    return wait + LeadTime.lognormal(lane.transit_mean_days, lane.transit_p90_days)


@lru_cache(maxsize=65536)
def handling_time(node: Node) -> LeadTime:
    """Handling a shipment passing through ``node`` (cross-dock, transfer, export clearance)."""
    return LeadTime.constant(node.handling_days)


@lru_cache(maxsize=65536)
def clearance_time(node: Node) -> LeadTime:
    """Import clearance at ``node``: customs days + inspection delay with the inspection rate."""
    return LeadTime.constant(node.customs_days) + LeadTime.bernoulli_delay(
        node.inspection_rate, node.inspection_delay_days
    )
