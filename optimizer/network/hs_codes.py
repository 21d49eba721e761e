"""Categories and HS codes: which category an HS code belongs to, and which code is priced.

A demand, a shipment or an API request may give a ``category`` (``categories.csv``
id, or for quotes its 2-digit HS chapter), an ``hs_code`` (2 to 10 digits), or
both. The category decides handling and which lanes may carry the goods; the
HS code decides the duty (the tariff layers' longest prefix). So:

- only a category: the category's representative code (``categories.hs_code``)
  is priced, as every shipped scenario does;
- only an HS code: the category is the one of its chapter (the first by id when
  several share it), and the given code is priced;
- both: the code must be of the category's chapter — a T-shirt (61) declared as
  electronics (85) is an input error, not a silent choice of one of them.

One function used by the quote (CLI, batch, API) and the scenario reader, so the
rule and its wording are the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.fields import suggest
from optimizer.network.records import Network
from optimizer.network.tariff_layers import Layer


@dataclass(frozen=True, slots=True)
class Fault:
    """What is wrong with the pair: the field to blame, message, value and what was expected."""

    field: str
    message: str
    value: str | None
    expected: str


def category_of(
    network: Network, category: str, hs_code: str, *, chapters: bool = True
) -> tuple[str, Fault | None]:
    """The category id of a (``category``, ``hs_code``) pair ("" for none given) and its fault.

    ``hs_code`` is digits (:func:`optimizer.fields.hs_code_digits`); ``chapters``: a
    2-digit HS chapter is accepted as ``category`` (quotes), otherwise only ids.
    """
    if category:
        found = _by_id_or_chapter(network, category, chapters)
        if not found:
            what = "a category id or a 2-digit HS chapter" if chapters else "a category id"
            message = "unknown category or HS chapter" if chapters else "unknown category"
            return "", Fault(
                "category", message, category, suggest(category, network.category_by_id, what)
            )
        chapter = network.category_by_id[found].hs_chapter.zfill(2)
        if hs_code and hs_code[:2] != chapter:
            return "", Fault(
                "hs_code",
                f"HS chapter {hs_code[:2]} is not the chapter of category {found!r} ({chapter})",
                hs_code,
                f"an HS code of chapter {chapter}, or the category of chapter {hs_code[:2]}",
            )
        return found, None
    if not hs_code:
        return "", Fault(
            "category",
            "value is missing",
            None,
            "a category id or a 2-digit HS chapter, or an hs_code"
            if chapters
            else "a category id, or an hs_code",
        )
    found = _by_id_or_chapter(network, hs_code[:2], True)
    if not found:
        known = sorted({c.hs_chapter.zfill(2) for c in network.categories})
        return "", Fault(
            "hs_code",
            f"no category of HS chapter {hs_code[:2]} in the network",
            hs_code,
            f"an HS code of chapter {', '.join(known)} (categories.csv)",
        )
    return found, None


def mfn_fault(network: Network, territory: str, hs_code: str) -> Fault | None:
    """The fault of an HS code no ``mfn`` layer of ``territory`` covers while the territory
    has layers (its duty would silently be missing: the layers, not ``duty_rates.csv``,
    price that territory). None when covered or when the territory has no layers."""
    rows = [row for row in network.tariff_layers if row.territory == territory]
    if not rows or any(row.layer is Layer.MFN and row.matches_hs(hs_code) for row in rows):
        return None
    return Fault(
        "hs_code",
        f"no MFN row in tariff_layers.csv for HS {hs_code} in territory {territory} "
        "(its duty would be missing)",
        hs_code,
        f"an HS code the {territory} mfn rows cover, or an mfn row for it",
    )


def priced_code(network: Network, category: str, hs_code: str) -> str:
    """The HS code the duty is priced at: the given one, else the category's own."""
    return hs_code or network.category_by_id[category].tariff_code


def _by_id_or_chapter(network: Network, text: str, chapters: bool) -> str:
    if text in network.category_by_id:
        return text
    if not chapters or not text.isdigit():
        return ""
    matches = sorted(c.id for c in network.categories if c.hs_chapter.zfill(2) == text.zfill(2))
    return matches[0] if matches else ""
