"""Dated exchange rates: which row of ``fx.csv`` is in force on a day, and how money is shown.

``fx.csv`` may hold several rows per currency, each with the date it applies from
(``as_of``). The rate in force on a day is the row with the latest ``as_of`` on or
before that day; a day before a currency's first row takes that first row, with a
warning (:attr:`FxUse.warning`), rather than failing: a 2023 quote on a table that
starts in 2024 is still useful if it says so. A network with one row per currency
(the format before dated rates) reads unchanged: that row applies on every day.

US dollars stay the model's internal unit; these rates only move money into and
out of it (:meth:`optimizer.network.records.Network.to_usd` / ``from_usd`` on the
network pinned to a day by :meth:`~optimizer.network.records.Network.fx_on`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from optimizer.errors import Problem


@dataclass(frozen=True, slots=True)
class FxRate:
    """One row of ``fx.csv``: ``per_usd`` units of ``currency`` per US dollar from ``as_of``."""

    currency: str
    per_usd: float
    as_of: dt.date
    source: str

    def __post_init__(self) -> None:
        if not self.per_usd > 0:
            raise ValueError(f"fx {self.currency}: per_usd must be > 0, got {self.per_usd}")
        if self.currency == "USD" and self.per_usd != 1:
            raise ValueError(f"fx USD: per_usd must be 1 (the base currency), got {self.per_usd}")


@dataclass(frozen=True, slots=True)
class FxUse:
    """The rate a figure was converted at, as outputs show it (JSON ``fx`` block, text footer).

    ``day`` is the date the rate was picked for (plan date, ship date) or None when no
    date was asked (the table's latest rows); ``warning`` says when ``day`` is before
    the currency's first row, so the first row was used.
    """

    currency: str
    per_usd: float
    as_of: dt.date | None
    source: str
    day: dt.date | None = None

    @property
    def warning(self) -> str | None:
        if self.day is not None and self.as_of is not None and self.day < self.as_of:
            return (
                f"{self.day.isoformat()} is before the first {self.currency} rate of the "
                f"network (as of {self.as_of.isoformat()}); that first rate was used"
            )
        return None

    def to_dict(self) -> dict[str, object]:
        """The JSON ``fx`` block: currency, per_usd, as_of, source, date, warning."""
        return {
            "currency": self.currency,
            "per_usd": self.per_usd,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "source": self.source,
            "date": None if self.day is None else self.day.isoformat(),
            "warning": self.warning,
        }

    def footer(self) -> str:
        """One line for a text report: what rate, from when, from where (and the warning);
        money in USD, the internal unit, is converted at no rate and says only that."""
        if self.currency == "USD":
            return "Money in USD."
        as_of = "undated" if self.as_of is None else f"as of {self.as_of.isoformat()}"
        text = (
            f"Money in {self.currency} at {self.per_usd:g} {self.currency} per USD "
            f"({as_of}; source: {self.source or 'not given'})"
        )
        warning = self.warning
        return text + (f"\nwarning: {warning}" if warning else "")


def rates_on(history: Iterable[FxRate], day: dt.date | None) -> dict[str, FxRate]:
    """The row in force on ``day`` per currency: the latest ``as_of`` <= ``day``, else the
    currency's first row; ``day`` None: the latest row of each currency."""
    out: dict[str, FxRate] = {}
    for rate in sorted(history, key=lambda x: (x.currency, x.as_of)):
        held = out.get(rate.currency)
        if held is None or day is None or rate.as_of <= day:
            out[rate.currency] = rate
    return out


def epoch(history: Iterable[FxRate], day: dt.date) -> tuple[tuple[str, dt.date], ...]:
    """Which rows are in force on ``day``: (currency, as_of) pairs; days with the same
    epoch convert every amount alike (one quoter serves them all)."""
    return tuple((c, x.as_of) for c, x in sorted(rates_on(history, day).items()))


def unknown_currency(
    currency: str, known: Iterable[str], *, file: str, field: str
) -> Problem | None:
    """The problem for a currency the network has no rate for (with "did you mean"), or None."""
    codes = sorted(set(known))
    if currency in codes:
        return None
    hint = difflib.get_close_matches(currency.upper(), codes, n=1)
    expected = "a currency of the network's fx.csv: " + ", ".join(codes)
    if hint:
        expected += f" (did you mean {hint[0]!r}?)"
    return Problem(file, "unknown currency", field=field, value=currency, expected=expected)
