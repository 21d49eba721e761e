"""Import VAT/GST and import fees as dated, sourced rows: the records of ``import_taxes.csv``,
``import_fees.csv`` and ``node_regions.csv``, and their checks.

Why a table and not one rate per country: the rate changes by date (China 16 % -> 13 %
on 2019-04-01, Germany's 16 % in the second half of 2020), by sub-national region
(Canada: 5 % GST everywhere, plus the 8 % provincial part of the HST in Ontario, so a
Toronto consumer pays 13 %), and the base differs by country (the customs value the
duty is levied on, or CIF where the duty base is FOB: Australia; China adds the
consumption tax). One row is one tax that adds up with the others in force for the
country and region; a market node's region is data (``node_regions.csv``), not code.

Fees are named charges per customs entry (the US merchandise processing fee): a
fixed amount or a rate with a minimum and maximum, for a value window and channels,
dated (CBP adjusts them every 1 October). :mod:`optimizer.costing.taxes` evaluates
both tables.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.network.tariff_layers import dated_channel_problems, split_list


class TaxBase(StrEnum):
    """What the tax rate is applied to.

    ``cif_duty``: goods + international freight + duty (the EU, the UK; Australia
    although its duty base is FOB); ``fob_duty``: goods + duty (Canada's value for
    duty, the US); ``cif_duty_excise``: CIF + duty + the consumption tax (China's
    comprehensive formula: (VAT + consumption tax) / (1 - consumption tax)).
    """

    CIF_DUTY = "cif_duty"
    FOB_DUTY = "fob_duty"
    CIF_DUTY_EXCISE = "cif_duty_excise"


class TaxCollection(StrEnum):
    """Who collects the tax: customs at the border (unless the customs rule's low-value
    treatment moves it to the seller at checkout or exempts it), or always the seller."""

    BORDER = "border"
    POINT_OF_SALE = "point_of_sale"


class FeeBasis(StrEnum):
    PER_ENTRY = "per_entry"
    AD_VALOREM = "ad_valorem"


@dataclass(frozen=True, slots=True)
class ImportTax:
    """One dated import tax of a country, or of one of its regions (``region`` != "")."""

    id: str
    country: str
    tax: str
    rate: float
    base: TaxBase
    valid_from: dt.date
    region: str = ""
    collection: TaxCollection = TaxCollection.BORDER
    valid_to: dt.date | None = None
    variant: str = ""
    note: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise InputError(
                [
                    Problem(
                        f"import tax {self.id!r}",
                        "ends before it starts",
                        None,
                        "valid_to",
                        str(self.valid_to),
                        f"a date on or after {self.valid_from}",
                    )
                ]
            )

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class ImportFee:
    """One dated fee per customs entry of a territory (see the module docstring)."""

    id: str
    territory: str
    name: str
    basis: FeeBasis
    currency: str
    valid_from: dt.date
    amount: float | None = None
    rate: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    value_over: float | None = None
    value_up_to: float | None = None
    channels: str = ""
    valid_to: dt.date | None = None
    note: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        faults = fee_faults(_values(self))
        if faults:
            raise InputError(
                [Problem(f"import fee {self.id!r}", m, None, f, v, e) for f, v, m, e in faults]
            )

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def applies_to_channel(self, channel: str) -> bool:
        return not self.channels or channel in split_list(self.channels)

    def value_window_holds(self, value: float) -> bool:
        """Whether an entry's value (in this fee's currency) is inside the window."""
        if self.value_over is not None and value <= self.value_over:
            return False
        return self.value_up_to is None or value <= self.value_up_to

    def amount_for(self, value: float) -> float:
        """The fee, in its currency, of an entry worth ``value`` (in its currency)."""
        if self.basis is FeeBasis.PER_ENTRY:
            return self.amount or 0.0
        fee = (self.rate or 0.0) * value
        if self.minimum is not None:
            fee = max(fee, self.minimum)
        if self.maximum is not None:
            fee = min(fee, self.maximum)
        return fee


@dataclass(frozen=True, slots=True)
class NodeRegion:
    """A node's sub-national region (``node_regions.csv``): which regional taxes apply."""

    node: str
    region: str
    source: str = ""


def _values(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in type(record).__dataclass_fields__}


def fee_faults(values: Mapping[str, Any]) -> list[tuple[str, str | None, str, str]]:
    """What is wrong with one fee row on its own: ``(field, value, message, expected)``."""
    out: list[tuple[str, str | None, str, str]] = []
    basis = values.get("basis")
    if basis == FeeBasis.PER_ENTRY and values.get("amount") is None:
        out.append(("amount", None, "value is missing", "an amount for basis per_entry"))
    if basis == FeeBasis.AD_VALOREM and values.get("rate") is None:
        out.append(("rate", None, "value is missing", "a rate for basis ad_valorem"))
    lo, hi = values.get("minimum"), values.get("maximum")
    if lo is not None and hi is not None and hi < lo:
        out.append(("maximum", str(hi), "below the minimum", f"at least {lo}"))
    return out + dated_channel_problems(values)


def build_taxes(rows: Iterable[Any]) -> list[ImportTax]:
    """Records from parsed rows (:class:`~optimizer.network.tables.ParsedRow`), sorted by id."""
    out = []
    for row in rows:
        v = dict(row.values)
        out.append(
            ImportTax(
                **{
                    **v,
                    "base": TaxBase(v["base"]),
                    "collection": TaxCollection(v["collection"] or "border"),
                    "region": v["region"] or "",
                    "variant": v["variant"] or "",
                    "note": v["note"] or "",
                }
            )
        )
    return sorted(out, key=lambda x: x.id)


def build_fees(rows: Iterable[Any]) -> list[ImportFee]:
    out = []
    for row in rows:
        v = dict(row.values)
        out.append(
            ImportFee(
                **{
                    **v,
                    "basis": FeeBasis(v["basis"]),
                    "channels": ";".join(split_list(v["channels"])),
                    "note": v["note"] or "",
                }
            )
        )
    return sorted(out, key=lambda x: x.id)


def tax_problems(
    taxes: list[Any],
    fees: list[Any],
    regions: list[Any],
    countries: list[Any],
    nodes: list[Any],
) -> list[Problem]:
    """Every problem of the three tables: overlapping rows of one tax, fee rows that are
    inconsistent or of an unknown territory, a country with no national row while the
    table exists (it would pay no tax silently), a country with neither the table nor
    ``countries.import_vat_rate``, and node regions of nodes outside the table's reach."""
    problems: list[Problem] = []
    territories = {c.values["territory"] for c in countries if c.values.get("territory")}
    national = {t.values.get("country") for t in taxes if not t.values.get("region")}
    for country in countries:
        code = country.values.get("code")
        if code is None:
            continue
        if taxes and code not in national:
            problems.append(
                Problem(
                    country.file,
                    "no import_taxes.csv row for this country",
                    country.line,
                    "code",
                    code,
                    "a national row in import_taxes.csv (rate 0 where none is collected)",
                )
            )
        if not taxes and country.values.get("import_vat_rate") is None:
            problems.append(
                Problem(
                    country.file,
                    "value is missing",
                    country.line,
                    "import_vat_rate",
                    "",
                    "a rate (0 where none is collected), or an import_taxes.csv table",
                )
            )
    problems += _tax_overlaps(taxes)
    for row in fees:
        v = row.values
        for field, value, message, expected in fee_faults(v):
            problems.append(Problem(row.file, message, row.line, field, value, expected))
        if v.get("territory") and v["territory"] not in territories:
            problems.append(
                Problem(
                    row.file,
                    "unknown territory",
                    row.line,
                    "territory",
                    v["territory"],
                    _hint(v["territory"], territories),
                )
            )
    node_country = {n.values["id"]: n.values.get("country") for n in nodes if n.values.get("id")}
    regional = {(t.values.get("country"), t.values.get("region")) for t in taxes}
    for row in regions:
        v = row.values
        country = node_country.get(v.get("node"))
        if country is None or not taxes or v.get("region") is None:
            continue  # unknown node: the reference check reports it
        known = {r for c, r in regional if c == country and r}
        if (country, v["region"]) not in regional and known:
            problems.append(
                Problem(
                    row.file,
                    f"no import_taxes.csv row for region {v['region']!r} of {country}",
                    row.line,
                    "region",
                    v["region"],
                    f"{_hint(v['region'], known)} (a region with no own tax pays the national "
                    "rows only: that is fine, this is a warning)",
                    warning=True,
                )
            )
    return problems


def _tax_overlaps(taxes: list[Any]) -> list[Problem]:
    """Two rows of one tax (country, region, tax, variant) in force on the same day."""
    problems: list[Problem] = []
    seen: dict[tuple[Any, ...], list[Any]] = {}
    far = dt.date.max
    for row in taxes:
        v = row.values
        if v.get("valid_from") is None:
            continue
        key = (v.get("country"), v.get("region") or "", v.get("tax"), v.get("variant") or "")
        for other in seen.get(key, []):
            o = other.values
            if (v.get("valid_to") or far) < o["valid_from"] or (o.get("valid_to") or far) < v[
                "valid_from"
            ]:
                continue
            problems.append(
                Problem(
                    row.file,
                    f"overlaps line {other.line} ({o.get('id')}): same country, region, tax and "
                    "variant on overlapping dates",
                    row.line,
                    "valid_from",
                    str(v["valid_from"]),
                    "rows of one tax that do not overlap (end one before the next)",
                )
            )
        seen.setdefault(key, []).append(row)
    return problems


def _hint(value: str, known: Iterable[str]) -> str:
    options = sorted(known)
    hint = difflib.get_close_matches(value, options, n=1)
    return f"did you mean {hint[0]!r}?" if hint else "one of " + ", ".join(options)
