"""Domain checks on parsed network tables, beyond types and references.

Errors: P90 below the mean, self-loop lanes, unknown or repeated departure
weekdays and weekday counts that disagree with ``departures_per_week``, tariffs
missing the fields their basis needs, customs rules whose dates are reversed or
overlap for the same (territory, channel, origin), unknown customs territories, origin codes
of duty rates and customs rules that are neither ``*`` nor a country, duty rates or weight
breaks listed twice, weight breaks of a tariff that is not per_kg, a USD rate other than 1.
Warnings: origins or markets that no lane path connects. Coverage (every reachable case has a
duty rate and a customs rule) is checked on the built network: :mod:`.coverage`.
"""

from __future__ import annotations

import difflib
import itertools
from collections import defaultdict
from typing import Any

from optimizer.errors import Problem
from optimizer.fields import WEEKDAYS, parse_weekdays, suggest, weekday_problems
from optimizer.network.graph import build_graph, reachable
from optimizer.network.records import Network, NodeKind
from optimizer.network.tables import ParsedRow

_BASIS_NEEDS = {
    "per_parcel": (
        "first_weight_kg",
        "first_weight_price",
        "additional_step_kg",
        "additional_step_price",
    ),
    "per_kg": (),  # price_per_kg or weight breaks, checked below
    "per_wm": ("price_per_kg",),
    "per_container": ("container_price", "container_capacity_kg", "container_capacity_m3"),
}


def check_network_rules(tables: dict[str, list[ParsedRow]]) -> list[Problem]:
    problems: list[Problem] = []
    problems += _check_lanes(tables["lanes"])
    problems += _check_tariffs(tables["tariffs"], tables["tariff_breaks"])
    territories = {
        row.values["territory"] for row in tables["countries"] if row.values.get("territory")
    }
    problems += _check_territories(tables["customs_rules"], territories)
    problems += _check_territories(tables["duty_rates"], territories)
    problems += _check_rule_dates(tables["customs_rules"])
    problems += _check_composite_keys(tables)
    countries = {row.values["code"] for row in tables["countries"] if row.values.get("code")}
    problems += _check_origins(tables["duty_rates"], countries)
    problems += _check_origins(tables["customs_rules"], countries)
    problems += _check_base_currency(tables["fx"])
    problems += _check_fee_assumptions(tables["customs_rules"], tables["assumptions"])
    problems += _check_category_codes(tables["categories"])
    return problems


def _check_category_codes(rows: list[ParsedRow]) -> list[Problem]:
    """A category's representative HS code must lie in its chapter: the chapter decides which
    category a demand's HS code falls in, the code what the category's demands pay."""
    problems = []
    for row in rows:
        code, chapter = row.values.get("hs_code"), row.values.get("hs_chapter")
        if code and chapter and code[:2] != str(chapter).zfill(2):
            problems.append(
                Problem(
                    row.file,
                    f"HS code not in the category's chapter {chapter}",
                    row=row.line,
                    field="hs_code",
                    value=code,
                    expected=f"an HS code starting {str(chapter).zfill(2)}",
                )
            )
    return problems


#: Tables without an id whose rows must still be unique: two rows for one key
#: would make the figure that applies depend on row order.
COMPOSITE_KEYS = {
    "duty_rates": ("category", "territory", "origin"),
    "tariff_breaks": ("tariff", "min_chargeable_kg"),
}


def _check_composite_keys(tables: dict[str, list[ParsedRow]]) -> list[Problem]:
    problems = []
    for table, key in COMPOSITE_KEYS.items():
        first: dict[tuple[Any, ...], int] = {}
        for row in tables[table]:
            values = tuple(row.values.get(k) or "*" for k in key)
            if values in first:
                problems.append(
                    Problem(
                        row.file,
                        f"duplicate {', '.join(key)}; first on line {first[values]}",
                        row=row.line,
                        field=key[-1],
                        value=" / ".join(str(v) for v in values),
                        expected="one row per " + ", ".join(key),
                    )
                )
            first.setdefault(values, row.line)
    return problems


def _check_fee_assumptions(rules: list[ParsedRow], assumptions: list[ParsedRow]) -> list[Problem]:
    """A rule's fee_assumption names a ``fee`` assumption, and the rule has a fee."""
    kinds = {row.values.get("id"): row.values.get("kind") for row in assumptions}
    problems = []
    for row in rules:
        name = row.values.get("fee_assumption")
        if not name or name not in kinds:
            continue  # unknown ids are reported with the references
        if kinds[name] != "fee":
            problems.append(
                Problem(
                    row.file,
                    f"assumption {name!r} is a {kinds[name]} assumption, not a fee",
                    row=row.line,
                    field="fee_assumption",
                    value=name,
                    expected="an assumption of kind fee",
                )
            )
        if not row.values.get("clearance_fee"):
            problems.append(
                Problem(
                    row.file,
                    "names a fee assumption but charges no clearance fee",
                    row=row.line,
                    field="fee_assumption",
                    value=name,
                    expected="a clearance_fee > 0, or no fee_assumption",
                )
            )
    return problems


def _check_origins(rows: list[ParsedRow], countries: set[str]) -> list[Problem]:
    """``origin`` is ``*`` or a country of countries.csv (a typo would never match)."""
    problems = []
    for row in rows:
        origin = row.values.get("origin") or "*"
        if origin == "*" or origin in countries:
            continue
        expected = "* (any origin) or a country code of countries.csv"
        hint = suggest(origin, countries, expected)
        if hint != expected:
            expected += f" ({hint})"
        problems.append(
            Problem(
                row.file,
                "unknown origin country",
                row=row.line,
                field="origin",
                value=origin,
                expected=expected,
            )
        )
    return problems


def _check_base_currency(rows: list[ParsedRow]) -> list[Problem]:
    """fx.csv holds units per US dollar, the model's base currency: USD must be 1."""
    usd = [row for row in rows if row.values.get("currency") == "USD"]
    if not usd:
        file = rows[0].file if rows else "fx.csv"
        return [
            Problem(
                file,
                "USD is missing",
                field="currency",
                expected="a row USD,1 (rates are units per US dollar)",
            )
        ]
    return [
        Problem(
            row.file,
            "USD is the base currency",
            row=row.line,
            field="per_usd",
            value=f"{row.values['per_usd']:g}",
            expected="1 (rates are units per US dollar)",
        )
        for row in usd
        if row.values.get("per_usd") is not None and row.values["per_usd"] != 1.0
    ]


def _check_lanes(rows: list[ParsedRow]) -> list[Problem]:
    problems = []
    for row in rows:
        v = row.values
        mean, p90 = v.get("transit_mean_days"), v.get("transit_p90_days")
        if mean is not None and p90 is not None and p90 < mean:
            problems.append(
                Problem(
                    row.file,
                    "P90 transit time is below the mean",
                    row=row.line,
                    field="transit_p90_days",
                    value=f"{p90:g}",
                    expected=f"a value >= transit_mean_days ({mean:g})",
                )
            )
        if v.get("from") is not None and v.get("from") == v.get("to"):
            problems.append(
                Problem(
                    row.file,
                    "lane starts and ends at the same node",
                    row=row.line,
                    field="to",
                    value=str(v["to"]),
                    expected="a node other than 'from'",
                )
            )
        problems += _check_weekdays(row)
    return problems


def canonical_weekdays(text: str | None) -> str:
    """``departure_weekdays`` in canonical form, e.g. ``"mon, thursday"`` -> ``"Mon;Thu"``."""
    return ";".join(WEEKDAYS[d] for d in parse_weekdays(text)[0])


def _check_weekdays(row: ParsedRow) -> list[Problem]:
    """Unknown or repeated weekdays; a weekday count that disagrees with departures_per_week.

    The count check is an error, not a warning: the weekly-flow model waits by
    ``departures_per_week`` and order routing departs on the weekdays, so a
    disagreement would make the two plans contradict each other.
    """
    v = row.values
    text = v.get("departure_weekdays")
    if not text:
        return []
    days, problems = weekday_problems(text, row.file, row.line, "departure_weekdays")
    per_week = v.get("departures_per_week")
    if not problems and per_week is not None and abs(per_week - len(days)) > 1e-9:
        problems.append(
            Problem(
                row.file,
                f"{len(days)} departure weekday(s) but departures_per_week is "
                f"{per_week:g} (7 when empty)",
                row=row.line,
                field="departure_weekdays",
                value=text,
                expected=f"{per_week:g} weekdays, or departures_per_week {len(days)}, "
                "or no weekdays for a fortnightly or irregular service",
            )
        )
    return problems


def _check_tariffs(rows: list[ParsedRow], break_rows: list[ParsedRow]) -> list[Problem]:
    problems: list[Problem] = []
    with_breaks = {row.values["tariff"] for row in break_rows}
    basis_of = {row.values.get("id"): row.values.get("basis") for row in rows}
    for row in break_rows:  # weight breaks are read by per_kg tariffs only
        basis = basis_of.get(row.values.get("tariff"))
        if basis is not None and basis != "per_kg":
            problems.append(
                Problem(
                    row.file,
                    f"weight break of a {basis} tariff would be ignored",
                    row=row.line,
                    field="tariff",
                    value=str(row.values["tariff"]),
                    expected="a per_kg tariff (only per_kg tariffs have weight breaks)",
                )
            )
    for row in rows:
        v = row.values
        basis = v.get("basis")
        if basis is None:
            continue
        for field in _BASIS_NEEDS[basis]:
            if v.get(field) is None:
                problems.append(
                    Problem(
                        row.file,
                        f"a {basis} tariff needs this value",
                        row=row.line,
                        field=field,
                        expected="a number",
                    )
                )
        if basis == "per_kg" and v.get("price_per_kg") is None and v["id"] not in with_breaks:
            problems.append(
                Problem(
                    row.file,
                    "a per_kg tariff needs a rate",
                    row=row.line,
                    field="price_per_kg",
                    expected="a number, or rows in tariff_breaks.csv",
                )
            )
    return problems


def _check_territories(rows: list[ParsedRow], territories: set[str]) -> list[Problem]:
    problems = []
    for row in rows:
        territory = row.values.get("territory")
        if territory is None or territory in territories:
            continue
        hint = difflib.get_close_matches(territory, sorted(territories), n=1)
        expected = "a territory named in countries.csv"
        if hint:
            expected += f" (did you mean {hint[0]!r}?)"
        problems.append(
            Problem(
                row.file,
                "unknown customs territory",
                row=row.line,
                field="territory",
                value=territory,
                expected=expected,
            )
        )
    return problems


def _check_rule_dates(rows: list[ParsedRow]) -> list[Problem]:
    problems = []
    groups: dict[tuple[Any, ...], list[ParsedRow]] = defaultdict(list)
    for row in rows:
        v = row.values
        if v.get("valid_from") is None:
            continue
        if v.get("valid_to") is not None and v["valid_to"] < v["valid_from"]:
            problems.append(
                Problem(
                    row.file,
                    "rule ends before it starts",
                    row=row.line,
                    field="valid_to",
                    value=v["valid_to"].isoformat(),
                    expected=f"a date on or after {v['valid_from'].isoformat()}",
                )
            )
            continue
        groups[(v["territory"], v["channel"], v.get("origin") or "*")].append(row)
    for (territory, channel, origin), group in groups.items():
        group.sort(key=lambda row: row.values["valid_from"])
        for before, after in itertools.pairwise(group):
            end = before.values["valid_to"]
            if end is None or end >= after.values["valid_from"]:
                problems.append(
                    Problem(
                        after.file,
                        f"dates overlap rule {before.values['id']!r} (line {before.line}) for "
                        f"{territory}/{channel}/origin {origin}",
                        row=after.line,
                        field="valid_from",
                        value=after.values["valid_from"].isoformat(),
                        expected="a date after the previous rule's valid_to "
                        f"({end.isoformat() if end else 'open-ended'})",
                    )
                )
    return problems


def connectivity_warnings(network: Network, file: str) -> list[Problem]:
    """Warn about origins that reach no market and markets no origin reaches."""
    graph = build_graph(network)
    origins = [n.id for n in network.nodes if n.kind is NodeKind.ORIGIN_WAREHOUSE]
    markets = {n.id for n in network.nodes if n.kind is NodeKind.MARKET}
    reached: set[str] = set()
    problems = []
    for origin in origins:
        hits = reachable(graph, origin) & markets
        reached |= hits
        if not hits:
            problems.append(
                Problem(
                    file,
                    "origin reaches no market through any lane",
                    field="from",
                    value=origin,
                    warning=True,
                )
            )
    for market in sorted(markets - reached):
        problems.append(
            Problem(
                file,
                "market is not reached from any origin",
                field="to",
                value=market,
                warning=True,
            )
        )
    return problems
