"""Dated tariff layers by HS code prefix: the records of ``tariff_layers.csv`` and their checks.

One row is one duty (or relief) that applies to goods entering a customs
territory: its layer (MFN, preferential, additional), its basis (ad valorem or
a specific amount per item, per distinct HS code, per kg or per consignment),
its dates, channels, consignment-value window and the stacking group it
belongs to. Rows of one stacking group are alternatives (the longest HS prefix
wins, then the most specific origin); rows of different groups add up unless
one ``excludes`` the other (a de minimis relief excludes every group: ``*``).

Why rows and not one rate per category: duties change by date (US IEEPA from
2025-02-04 to 2026-02-23, Section 122 from 2026-02-24 to 2026-07-24, the EU
EUR 3 per distinct HS code from 2026-07-01) and by HS code within a chapter;
one undated rate per category × territory applies a 2026 surcharge to a 2025
plan. :mod:`optimizer.costing.layers` evaluates the rows.

List-like cells (``origin``, ``channels``, ``excludes``) are kept as canonical
text (``CN;HK``) so a record exports and re-reads unchanged; properties give
the parsed tuples.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from optimizer.errors import InputError, Problem

ANY = "*"
_HS = re.compile(r"^[0-9]{2,10}$")
_SPLIT = re.compile(r"[;,\s]+")


class Layer(StrEnum):
    MFN = "mfn"
    PREFERENTIAL = "preferential"
    ADDITIONAL = "additional"


class LayerBasis(StrEnum):
    AD_VALOREM = "ad_valorem"
    PER_ITEM = "per_item"
    PER_DISTINCT_HS = "per_distinct_hs"
    PER_KG = "per_kg"
    PER_CONSIGNMENT = "per_consignment"

    @property
    def specific(self) -> bool:
        """True for the bases priced by ``amount`` in ``currency`` (not by ``rate``)."""
        return self is not LayerBasis.AD_VALOREM


class TradeChannel(StrEnum):
    """How goods cross the border; a layer may apply to some channels only.

    postal and express are the parcel channels (direct-package, 9610); bonded is
    the per-order release from a bonded zone (1210); commercial a normal import.
    """

    POSTAL = "postal"
    EXPRESS = "express"
    BONDED = "bonded"
    COMMERCIAL = "commercial"


def hs_digits(text: str) -> str:
    """An HS code or prefix as digits only: ``6109.10`` -> ``610910``."""
    return re.sub(r"[\s.]", "", text)


def split_list(text: str | None) -> tuple[str, ...]:
    """A semicolon (or comma/space) separated cell as sorted unique tokens."""
    return tuple(sorted({t for t in _SPLIT.split(text or "") if t}))


@dataclass(frozen=True, slots=True)
class TariffLayer:
    """One dated duty or relief row of ``tariff_layers.csv`` (see the module docstring).

    The record checks itself (:func:`row_faults`): a bad one cannot be built,
    whichever path builds it.
    """

    id: str
    territory: str
    hs_prefix: str
    layer: Layer
    basis: LayerBasis
    valid_from: dt.date
    stacking_group: str
    origin: str = ANY
    rate: float | None = None
    amount: float | None = None
    currency: str | None = None
    value_over: float | None = None
    value_up_to: float | None = None
    valid_to: dt.date | None = None
    channels: str = ""
    excludes: str = ""
    variant: str = ""
    note: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        faults = row_faults(_as_values(self))
        if faults:
            raise InputError(
                [Problem(f"tariff layer {self.id!r}", m, None, f, v, e) for f, v, m, e in faults]
            )

    @property
    def origins(self) -> tuple[str, ...]:
        return split_list(self.origin) or (ANY,)

    @property
    def channel_set(self) -> frozenset[str]:
        """Channels it applies to; empty = all."""
        return frozenset(split_list(self.channels))

    @property
    def excluded_groups(self) -> tuple[str, ...]:
        return split_list(self.excludes)

    def matches_hs(self, code: str) -> bool:
        """Whether the HS code (digits) starts with this row's prefix (``*``: every code)."""
        return self.hs_prefix == ANY or code.startswith(self.hs_prefix)

    @property
    def prefix_length(self) -> int:
        """Digits of the prefix (0 for ``*``): the longest matching prefix wins in a group."""
        return 0 if self.hs_prefix == ANY else len(self.hs_prefix)

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def applies_to_channel(self, channel: str) -> bool:
        return not self.channels or channel in self.channel_set

    def value_window_holds(self, value: float) -> bool:
        """Whether a consignment value (in this row's currency) is inside the window."""
        if self.value_over is not None and value <= self.value_over:
            return False
        return self.value_up_to is None or value <= self.value_up_to

    @property
    def has_value_window(self) -> bool:
        return self.value_over is not None or self.value_up_to is not None


def _as_values(layer: TariffLayer) -> dict[str, Any]:
    return {name: getattr(layer, name) for name in TariffLayer.__dataclass_fields__}


def row_faults(values: Mapping[str, Any]) -> list[tuple[str, str | None, str, str]]:
    """What is wrong with one row on its own: ``(field, value, message, expected)`` each.

    Used by the reader (with file and line) and by the record itself.
    """
    out: list[tuple[str, str | None, str, str]] = []
    prefix = values.get("hs_prefix")
    if prefix is not None and prefix != ANY and not _HS.match(hs_digits(str(prefix))):
        out.append(("hs_prefix", str(prefix), "not an HS prefix", "2 to 10 digits or *, e.g. 6109"))
    basis = values.get("basis")
    if basis is not None:
        if LayerBasis(basis).specific:
            if values.get("amount") is None:
                out.append(("amount", None, "value is missing", f"an amount for basis {basis}"))
            if values.get("rate") is not None:
                out.append(
                    (
                        "rate",
                        str(values["rate"]),
                        "rate given",
                        f"empty for basis {basis} (use amount)",
                    )
                )
        else:
            if values.get("rate") is None:
                out.append(("rate", None, "value is missing", "a rate for basis ad_valorem"))
            if values.get("amount") is not None:
                out.append(
                    (
                        "amount",
                        str(values["amount"]),
                        "amount given",
                        "empty for basis ad_valorem (use rate)",
                    )
                )
    needs_currency = (basis is not None and LayerBasis(basis).specific) or any(
        values.get(k) is not None for k in ("value_over", "value_up_to")
    )
    if needs_currency and not values.get("currency"):
        out.append(
            ("currency", None, "value is missing", "the currency of amount and value window")
        )
    lo, hi = values.get("value_over"), values.get("value_up_to")
    if lo is not None and hi is not None and hi <= lo:
        out.append(("value_up_to", str(hi), "empty value window", f"more than value_over ({lo})"))
    return out + dated_channel_problems(values)


def dated_channel_problems(values: Mapping[str, Any]) -> list[tuple[str, str | None, str, str]]:
    """The checks every dated row scoped to trade channels shares (tariff layers, import
    fees): ``valid_to`` not before ``valid_from``, every ``channels`` token a known channel.
    Each problem is ``(field, value, message, expected)``."""
    out: list[tuple[str, str | None, str, str]] = []
    start, end = values.get("valid_from"), values.get("valid_to")
    if start is not None and end is not None and end < start:
        out.append(("valid_to", str(end), "ends before it starts", f"a date on or after {start}"))
    for token in split_list(values.get("channels")):
        if token not in TradeChannel.__members__.values():
            hint = difflib.get_close_matches(token, [c.value for c in TradeChannel], n=1)
            expected = (
                f"did you mean {hint[0]!r}?" if hint else "postal, express, bonded, commercial"
            )
            out.append(("channels", token, "unknown channel", expected))
    return out


def build_layers(rows: Iterable[Any]) -> list[TariffLayer]:
    """Records from parsed rows (:class:`~optimizer.network.tables.ParsedRow`), sorted by id."""
    layers = []
    for row in rows:
        v = dict(row.values)
        layers.append(
            TariffLayer(
                **{
                    **v,
                    "hs_prefix": hs_digits(v["hs_prefix"]),
                    "layer": Layer(v["layer"]),
                    "basis": LayerBasis(v["basis"]),
                    "origin": ";".join(split_list(v["origin"])) or ANY,
                    "channels": ";".join(split_list(v["channels"])),
                    "excludes": ";".join(split_list(v["excludes"])),
                    "variant": v["variant"] or "",
                    "note": v["note"] or "",
                }
            )
        )
    return sorted(layers, key=lambda x: x.id)


def layer_problems(
    rows: list[Any],
    countries: list[Any],
    currencies: Iterable[str],
    categories: Sequence[Any] = (),
    nodes: Sequence[Any] = (),
) -> list[Problem]:
    """Every problem of ``tariff_layers`` rows: bad cells, unknown origins, territories,
    currencies and excluded groups, rows of one stacking group that overlap (same
    prefix, origin rank, variant and overlapping channels, dates and values), and a
    category whose HS code has no MFN row in a territory that has layers and markets
    (``nodes`` rows of kind ``market``; no nodes given: every territory with layers)."""
    codes = {c.values["code"] for c in countries if c.values.get("code")}
    territories = {c.values["territory"] for c in countries if c.values.get("territory")}
    fx = set(currencies)
    groups = {(row.values.get("territory"), row.values.get("stacking_group")) for row in rows}
    problems: list[Problem] = []

    def add(row: Any, field: str, value: str | None, message: str, expected: str) -> None:
        problems.append(Problem(row.file, message, row.line, field, value, expected))

    for row in rows:
        v = row.values
        if any(v.get(k) is None for k in ("id", "territory", "hs_prefix", "layer", "basis")):
            continue  # the cell parser has reported it
        for field, value, message, expected in row_faults(v):
            add(row, field, value, message, expected)
        if v["territory"] not in territories:
            add(
                row,
                "territory",
                v["territory"],
                "unknown territory",
                _hint(v["territory"], territories),
            )
        for token in split_list(v.get("origin")):
            if token != ANY and token not in codes and token not in territories:
                add(
                    row,
                    "origin",
                    token,
                    "unknown origin",
                    _hint(token, codes | territories, "*, a country code or a territory"),
                )
        if v.get("currency") and v["currency"] not in fx:
            add(row, "currency", v["currency"], "unknown fx currency", _hint(v["currency"], fx))
        for group in split_list(v.get("excludes")):
            if group != ANY and (v["territory"], group) not in groups:
                known = {g for t, g in groups if t == v["territory"] and g}
                add(row, "excludes", group, "unknown stacking group", _hint(group, known))
    problems += _overlaps(rows, codes)
    territory_of = {
        c.values["code"]: c.values.get("territory") for c in countries if c.values.get("code")
    }
    markets = {
        territory_of.get(n.values.get("country")) for n in nodes if n.values.get("kind") == "market"
    }
    problems += _uncovered_categories(rows, categories, markets if nodes else None)
    return problems


def mfn_prefixes(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Territory -> HS prefixes of its ``mfn`` rows (``*`` for every code), from row values."""
    mfn: dict[str, list[str]] = {}
    for v in rows:
        if v.get("layer") == Layer.MFN and v.get("hs_prefix") and v.get("territory"):
            mfn.setdefault(v["territory"], []).append(hs_digits(str(v["hs_prefix"])))
    return mfn


def covers(prefixes: Iterable[str], code: str) -> bool:
    """Whether one of ``prefixes`` (``*`` = every code) matches the HS code ``code``."""
    return any(p == ANY or code.startswith(p) for p in prefixes)


def _uncovered_categories(
    rows: list[Any], categories: Sequence[Any], markets: set[Any] | None
) -> list[Problem]:
    """A category priced in a territory with layers but no MFN row for its HS code would
    silently pay no duty there (the territory's ``duty_rates`` are not read once it has
    layers): one problem per (category, territory), for the territories with markets."""
    mfn = mfn_prefixes(row.values for row in rows)
    layered = sorted(
        {
            row.values["territory"]
            for row in rows
            if row.values.get("territory")
            and (markets is None or row.values["territory"] in markets)
        }
    )
    problems = []
    for cat in categories:
        code = hs_digits(cat.values.get("hs_code") or cat.values.get("hs_chapter") or "")
        field = "hs_code" if cat.values.get("hs_code") else "hs_chapter"
        if not code:
            continue
        for territory in layered:
            if not covers(mfn.get(territory, ()), code):
                problems.append(
                    Problem(
                        cat.file,
                        f"no MFN row in tariff_layers.csv for HS {code} (category "
                        f"{cat.values.get('id')!r}) in territory {territory}, which has "
                        "tariff layers and markets: its duty would be missing",
                        cat.line,
                        field,
                        code,
                        f"an mfn row for {territory} whose hs_prefix {code} starts with "
                        f"(e.g. {code[:2]}, or * for every code)",
                    )
                )
    return problems


def _hint(value: str, known: Iterable[str], what: str = "") -> str:
    options = sorted(known)
    hint = difflib.get_close_matches(value, options, n=1)
    if hint:
        return f"did you mean {hint[0]!r}?"
    return what or "one of " + ", ".join(options)


def _overlaps(rows: list[Any], codes: set[str]) -> list[Problem]:
    """Rows of one stacking group that would both be the most specific match for one item."""
    problems: list[Problem] = []
    by_key: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        v = row.values
        if v.get("hs_prefix") is None or v.get("valid_from") is None:
            continue
        key = (
            v["territory"],
            v["stacking_group"],
            hs_digits(v["hs_prefix"]),
            v.get("variant") or "",
        )
        by_key.setdefault(key, []).append(row)
    for same in by_key.values():
        for i, a in enumerate(same):
            for b in same[:i]:
                if _overlap(a.values, b.values, codes):
                    problems.append(
                        Problem(
                            a.file,
                            f"overlaps line {b.line} ({b.values['id']}) in stacking group "
                            f"{a.values['stacking_group']!r}: same HS prefix, origin, channel, "
                            "dates and value window",
                            a.line,
                            "valid_from",
                            str(a.values["valid_from"]),
                            "rows of one group that do not overlap (end one before the next)",
                        )
                    )
    return problems


def origin_rank(token: str, codes: set[str] | frozenset[str]) -> int:
    """How specific an origin token is: a country 2, a group (territory) 1, ``*`` 0."""
    return 0 if token == ANY else 2 if token in codes else 1


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any], codes: set[str]) -> bool:
    oa = {(t, origin_rank(t, codes)) for t in split_list(a.get("origin")) or (ANY,)}
    ob = {(t, origin_rank(t, codes)) for t in split_list(b.get("origin")) or (ANY,)}
    if not oa & ob:
        return False
    ca, cb = set(split_list(a.get("channels"))), set(split_list(b.get("channels")))
    if ca and cb and not ca & cb:
        return False
    far = dt.date.max
    if (a.get("valid_to") or far) < b["valid_from"] or (b.get("valid_to") or far) < a["valid_from"]:
        return False
    lo_a, hi_a = a.get("value_over") or -1.0, a.get("value_up_to")
    lo_b, hi_b = b.get("value_over") or -1.0, b.get("value_up_to")
    same_currency = a.get("currency") == b.get("currency")
    apart = (hi_a is not None and hi_a <= lo_b) or (hi_b is not None and hi_b <= lo_a)
    return not (same_currency and apart)
