#!/usr/bin/env python3
"""Build the shipped network ``networks/global/`` from the source tables in ``networks/sources/``.

Run by developers at build time, never at run time::

    python networks/build_global.py           # validate, then rewrite networks/global/*.csv
    python networks/build_global.py --check   # exit 1 if networks/global/ differs from a rebuild

Every figure lives in a CSV of ``networks/sources/`` with its citation in a ``source`` column
(see ``networks/README.md``, "Adding a figure"). This script only computes what follows from
them: distances (``searoute`` sea routes, ``pyproj`` geodesics with circuity factors), transit
times and emission factors from those distances, the truck tariff band, departure weekdays, and
the node attributes layered from ``node_figures.csv``. It validates the result with the
package's own reader (:func:`optimizer.network.reader.load_network`, the check of ``xborder
validate``) and writes the tables only when the whole network is valid (exit 2 otherwise).

A source table named like a network table (``countries.csv``, ``tariffs.csv``, ``lanes.csv``...)
holds rows copied verbatim; the builder adds its computed rows (nodes, lanes, rail tariffs).
Files of ``networks/global/`` that the builder does not produce (``SOURCES.md``, a hand-curated
table) are left alone. Output is deterministic: rows sorted by key, floats rounded, no timestamps.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import itertools
import math
import shutil
import sys
import tempfile
import typing
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from optimizer.errors import InputError, Problem, raise_if_any
from optimizer.io.atomic import write_text
from optimizer.network.reader import load_network
from optimizer.network.schema import load_schema

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
OUT = HERE / "global"
COMPUTED = ("nodes", "lanes", "tariffs")  # tables the builder adds rows to
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WORKING_DAY_MODES = frozenset({"express", "postal", "truck", "last_mile"})
SEAROUTE_VERSION = "1.6.0"  # named in lane sources; another version moves the sea distances
#: searoute passage names -> corridor tags; TAG_ORDER is the order tags are written in.
PASSAGE_TAG = {
    "suez": "suez",
    "babalmandab": "bab_el_mandeb",
    "panama": "panama",
    "malacca": "malacca",
    "sunda": "sunda",
    "south_africa": "cape",
    "gibraltar": "gibraltar",
    "ormuz": "hormuz",
    "bosporus": "bosporus",
    "northwest": "northwest",
    "chili": "magellan",
}
TAG_ORDER = (
    "suez",
    "bab_el_mandeb",
    "cape",
    "panama",
    "transpacific",
    "malacca",
    "sunda",
    "gibraltar",
    "hormuz",
    "bosporus",
    "northwest",
    "magellan",
)


def column(name: str) -> Any:
    """A dataclass field read from the CSV column ``name`` (for ``from``, a Python keyword)."""
    return field(metadata={"column": name})


# --------------------------------------------------------------------------------------------
# Source rows: one frozen dataclass per source table, read by :func:`load_rows`
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Parameters:
    """``parameters.csv``: the scalar assumptions of the formulas (one row per field)."""

    air_detour: float
    air_short_haul_km: float
    rail_circuity: float
    truck_circuity: float
    min_distance_km: float
    co2_sea: float
    co2_rail: float
    co2_truck: float
    co2_air_long: float
    co2_air_short: float
    co2_van: float
    cutoff_hours_sea_fcl: float
    cutoff_hours_sea_lcl: float
    cutoff_hours_rail: float
    cutoff_hours_air: float
    air_base_days: float
    air_km_per_day: float
    air_p90_extra_days: float
    air_kg_per_m3: float
    sea_min_days: float
    lcl_extra_mean_days: float
    lcl_extra_p90_days: float
    feu_m3: float
    rail_feu_kg: float
    rail_base_days: float
    rail_km_per_day: float
    rail_p90_factor: float
    rail_price_step_usd: float
    truck_base_days: float
    truck_km_per_day: float
    truck_p90_factor: float
    ftl_short_max_km: float
    ftl_medium_max_km: float
    ltl_long_min_km: float
    local_radius_km: float
    last_mile_local_km: float
    last_mile_local_mean_days: float
    last_mile_local_p90_days: float
    last_mile_base_days: float
    last_mile_km_per_day: float
    last_mile_p90_factor: float

    def cutoff_hours(self, mode: str) -> float | None:
        """Cargo cut-off before a departure of ``mode``, or None where there is none."""
        value = getattr(self, f"cutoff_hours_{mode}", None)
        return float(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Place:
    """``places.csv``: a node's identity and coordinates, with where they come from."""

    id: str
    name: str
    kind: str
    country: str
    lat: float
    lon: float
    source: str


NODE_FIGURES = (
    "handling_days",
    "handling_cost_per_kg",
    "customs_days",
    "inspection_rate",
    "inspection_delay_days",
    "throughput_kg_per_week",
    "storage_cost_per_m3_day",
    "storage_capacity_m3",
    "release_cost_per_order",
    "release_days",
    "clearance_capacity_orders_per_day",
)


@dataclass(frozen=True, slots=True)
class NodeFigures:
    """``node_figures.csv``: node attributes for a kind, narrowed by territory or one node.

    ``*`` matches any territory / node. For each node, matching rows apply from the general to
    the specific (kind only, then territory, then node); a filled cell overrides, an empty one
    inherits. The most specific non-empty ``source`` is appended to the place's source.
    """

    kind: str
    territory: str
    node: str
    handling_days: float | None
    handling_cost_per_kg: float | None
    customs_days: float | None
    inspection_rate: float | None
    inspection_delay_days: float | None
    throughput_kg_per_week: float | None
    storage_cost_per_m3_day: float | None
    storage_capacity_m3: float | None
    release_cost_per_order: float | None
    release_days: float | None
    clearance_capacity_orders_per_day: float | None
    source: str

    def specificity(self) -> int:
        return (self.territory != "*") + 2 * (self.node != "*")

    def matches(self, place: Place, territory: str) -> bool:
        return (
            self.kind == place.kind
            and self.territory in ("*", territory)
            and self.node in ("*", place.id)
        )


@dataclass(frozen=True, slots=True)
class ParcelService:
    """``parcel_services.csv``: an express or postal product: carrier, tariff, door-to-door time."""

    id: str
    mode: str
    carrier: str
    service: str
    tariff: str
    transit_mean_days: float
    transit_p90_days: float
    departures_per_week: float
    source: str


@dataclass(frozen=True, slots=True)
class ParcelLane:
    """``parcel_lanes.csv``: a parcel service from an origin to a market (+ pre-carriage days)."""

    id: str
    frm: str = column("from")
    to: str = column("to")
    service: str = column("service")
    extra_days: float = column("extra_days")


@dataclass(frozen=True, slots=True)
class AirLane:
    """``air_lanes.csv``: an airport-to-airport service; empty transit = the distance formula."""

    id: str
    frm: str = column("from")
    to: str = column("to")
    carrier: str = column("carrier")
    service: str = column("service")
    tariff: str = column("tariff")
    departures_per_week: float = column("departures_per_week")
    capacity_kg_per_week: float | None = column("capacity_kg_per_week")
    transit_mean_days: float | None = column("transit_mean_days")
    transit_p90_days: float | None = column("transit_p90_days")
    corridor: tuple[str, ...] = column("corridor")
    source: str = column("source")


@dataclass(frozen=True, slots=True)
class SeaTrade:
    """``sea_trades.csv``: a trade's pace (anchor lane), searoute restrictions and extra tags."""

    trade: str
    anchor_days: float
    anchor_km: float
    anchor_p90_days: float
    restrictions: tuple[str, ...]
    tags: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class SeaLane:
    """``sea_lanes.csv``: a port-to-port FCL or LCL service on a trade."""

    id: str
    frm: str = column("from")
    to: str = column("to")
    trade: str = column("trade")
    mode: str = column("mode")
    carrier: str = column("carrier")
    service: str = column("service")
    tariff: str = column("tariff")
    departures_per_week: float = column("departures_per_week")


@dataclass(frozen=True, slots=True)
class Waypoint:
    """``rail_waypoints.csv``: an intermediate city a rail trunk is measured through."""

    name: str
    lat: float
    lon: float
    source: str


@dataclass(frozen=True, slots=True)
class RailLane:
    """``rail_lanes.csv``: a rail leg; its own per-container tariff ``T_<id>``.

    The price is ``price_usd``, or when empty ``price_base_usd + price_per_km_usd x km``
    rounded to ``rail_price_step_usd``.
    """

    id: str
    frm: str = column("from")
    to: str = column("to")
    via: tuple[str, ...] = column("via")
    price_usd: float | None = column("price_usd")
    price_base_usd: float | None = column("price_base_usd")
    price_per_km_usd: float | None = column("price_per_km_usd")
    departures_per_week: float = column("departures_per_week")
    capacity_feu_per_week: float | None = column("capacity_feu_per_week")
    corridor: tuple[str, ...] = column("corridor")
    carrier: str = column("carrier")
    service: str = column("service")
    source: str = column("source")


@dataclass(frozen=True, slots=True)
class TruckLane:
    """``truck_lanes.csv``: a full-truck (``ftl``) or groupage (``ltl``) road service.

    The tariff follows from the tail node's territory and the distance: ``T_FTL_<terr>_<band>``
    or ``T_LTL_<terr>`` (``T_LTL_<terr>_LONG`` beyond ``ltl_long_min_km`` where it exists).
    """

    id: str
    frm: str = column("from")
    to: str = column("to")
    kind: str = column("kind")
    scope: str = column("scope")
    carrier: str = column("carrier")
    service: str = column("service")
    departures_per_week: float = column("departures_per_week")
    corridor: tuple[str, ...] = column("corridor")
    source: str = column("source")

    def __post_init__(self) -> None:
        if self.kind not in ("ftl", "ltl"):
            raise ValueError(f"truck lane {self.id}: kind {self.kind!r} is not ftl or ltl")


@dataclass(frozen=True, slots=True)
class LastMileLane:
    """``last_mile_lanes.csv``: parcel delivery from a stock node or airport to a market."""

    id: str
    frm: str = column("from")
    to: str = column("to")
    carrier: str = column("carrier")
    service: str = column("service")
    tariff: str = column("tariff")
    departures_per_week: float = column("departures_per_week")


@dataclass(frozen=True, slots=True)
class DomesticLane:
    """``domestic_lanes.csv``: a parcel service from an origin to a market of its own customs
    territory (express, ground parcel, road parcel); distance and transit as a last-mile lane."""

    id: str
    frm: str = column("from")
    to: str = column("to")
    mode: str = column("mode")
    carrier: str = column("carrier")
    service: str = column("service")
    tariff: str = column("tariff")
    departures_per_week: float = column("departures_per_week")
    source: str = column("source")

    def __post_init__(self) -> None:
        if self.mode not in ("express", "last_mile"):
            raise ValueError(f"domestic lane {self.id}: mode {self.mode!r} is not a parcel mode")


Row = TypeVar("Row")


def load_rows(cls: type[Row], name: str, sources: Path) -> list[Row]:
    """The rows of ``sources/NAME.csv`` as ``cls`` records; every bad cell reported at once."""
    path = sources / f"{name}.csv"
    hints = typing.get_type_hints(cls)
    fields = {f.metadata.get("column", f.name): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    problems: list[Problem] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for col in sorted(set(fields) - set(header)):
            problems.append(Problem(str(path), "column missing", row=1, field=col))
        for col in sorted(set(header) - set(fields)):
            problems.append(Problem(str(path), "unknown column", row=1, field=col))
        raise_if_any(problems)
        rows = []
        for line, raw in enumerate(reader, start=2):
            values: dict[str, Any] = {}
            for col, f in fields.items():
                values[f.name] = _cell(hints[f.name], raw[col] or "", path, line, col, problems)
            try:
                rows.append(cls(**values))
            except (TypeError, ValueError) as exc:
                problems.append(Problem(str(path), str(exc), row=line))
    raise_if_any(problems)
    return rows


def _cell(hint: Any, text: str, path: Path, line: int, col: str, problems: list[Problem]) -> Any:
    if hint is str:
        return text
    if hint == tuple[str, ...]:
        return tuple(t for t in text.split(";") if t)
    if text == "" and hint == (float | None):
        return None
    try:
        return float(text)
    except ValueError:
        problems.append(Problem(str(path), "not a number", row=line, field=col, value=text))
        return math.nan


def load_parameters(sources: Path) -> Parameters:
    """``parameters.csv`` (name, value, unit, source) as :class:`Parameters`."""
    path = sources / "parameters.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        values = {row["name"]: row["value"] for row in csv.DictReader(fh)}
    names = [f.name for f in dataclasses.fields(Parameters)]
    problems = [Problem(str(path), "parameter missing", value=n) for n in names if n not in values]
    problems += [
        Problem(str(path), "unknown parameter", value=n, expected=_closest(n, names))
        for n in values
        if n not in names
    ]
    raise_if_any(problems)
    return Parameters(**{n: float(values[n]) for n in names})


def _closest(name: str, names: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, names, n=1)
    return f"did you mean {match[0]!r}?" if match else None


# --------------------------------------------------------------------------------------------
# The world the lanes are computed in: places, territories, parameters, known tariffs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    """Read-only context of a build: parameters, places by id, territory by country, tariffs."""

    p: Parameters
    places: Mapping[str, Place]
    territory: Mapping[str, str]  # country -> customs territory
    tariffs: Mapping[str, Mapping[str, str]]  # verbatim tariff rows by id
    geod: Any = field(default=None, repr=False)

    def xy(self, node: str) -> tuple[float, float]:
        place = self.places[node]
        return (place.lat, place.lon)

    def geodesic_km(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        """Geodesic distance between (lat, lon) points on WGS84, km."""
        _, _, metres = self.geod.inv(a[1], a[0], b[1], b[0])
        return float(metres) / 1000.0

    def gc(self, a: str, b: str) -> float:
        return self.geodesic_km(self.xy(a), self.xy(b))

    def terr(self, node: str) -> str:
        return self.territory[self.places[node].country]

    def air_co2(self, gc_km: float) -> float:
        p = self.p
        return p.co2_air_short if gc_km < p.air_short_haul_km else p.co2_air_long


def departure_weekdays(lane_id: str, mode: str, per_week: float | None) -> str | None:
    """Fixed departure weekdays of a lane, consistent with its ``departures_per_week``.

    Working-day modes (express, postal, trucking, last mile) run Monday first:
    5/week = Mon-Fri, 6/week = Mon-Sat, 7 = daily, fewer spread from Monday
    (3/week = Mon;Wed;Sat). Scheduled modes (sea, rail, air) spread their departures
    evenly over the week from a weekday picked by a stable hash of the lane id (CRC-32),
    so sailings and block trains do not all leave on Monday and every rebuild gives the
    same days. Illustrative, not published timetables.
    """
    if per_week is None:
        return None
    n = int(per_week)
    if n != per_week or not 1 <= n <= 7:
        return None  # fortnightly/irregular: no fixed weekdays
    if n == 7:
        return ";".join(WEEKDAYS)
    working = mode in WORKING_DAY_MODES
    first = 0 if working else zlib.crc32(lane_id.encode()) % 7
    if working and n >= 5:
        days = set(range(n))
    else:
        days = {(first + math.floor(i * 7 / n + 0.5)) % 7 for i in range(n)}
    return ";".join(WEEKDAYS[d] for d in sorted(days))


def lane(
    w: World,
    *,
    id: str,
    frm: str,
    to: str,
    mode: str,
    carrier: str,
    scope: str,
    tariff: str,
    transit: tuple[float, float],
    co2: float,
    km: float,
    source: str,
    service: str,
    per_week: float,
    capacity: tuple[float | None, float | None] = (None, None),
    corridor: Iterable[str] = (),
) -> dict[str, object]:
    """One ``lanes.csv`` row, rounded as published (P90 at least the mean)."""
    mean, p90 = transit
    return {
        "id": id,
        "from": frm,
        "to": to,
        "mode": mode,
        "carrier": carrier,
        "service": service,
        "scope": scope,
        "tariff": tariff,
        "transit_mean_days": round(mean, 1),
        "transit_p90_days": round(max(p90, mean), 1),
        "departures_per_week": per_week,
        "departure_weekdays": departure_weekdays(id, mode, per_week),
        "cutoff_hours": w.p.cutoff_hours(mode),
        "capacity_kg_per_week": capacity[0],
        "capacity_m3_per_week": capacity[1],
        "co2e_kg_per_tkm": round(co2, 3),
        "distance_km": round(max(km, w.p.min_distance_km)),
        "corridor": ";".join(corridor) or None,
        "source": source,
    }


# --------------------------------------------------------------------------------------------
# Computed rows, one function per source family
# --------------------------------------------------------------------------------------------
def build_nodes(w: World, figures: list[NodeFigures]) -> list[dict[str, object]]:
    """``nodes.csv`` rows: each place with its layered node figures."""
    rows = []
    for place in w.places.values():
        layers = sorted(
            (f for f in figures if f.matches(place, w.terr(place.id))),
            key=NodeFigures.specificity,
        )
        row: dict[str, object] = {
            "id": place.id,
            "name": place.name,
            "kind": place.kind,
            "country": place.country,
            "lat": round(place.lat, 5),
            "lon": round(place.lon, 5),
        }
        note = ""
        for layer in layers:
            for name in NODE_FIGURES:
                value = getattr(layer, name)
                if value is not None:
                    row[name] = value
            note = layer.source or note
        row["source"] = place.source + (f"; {note}" if note else "")
        rows.append(row)
    return rows


def parcel_lanes(
    w: World, services: list[ParcelService], lanes: list[ParcelLane]
) -> list[dict[str, object]]:
    """Express and postal door-to-door lanes: great circle x air detour."""
    by_id = {s.id: s for s in services}
    rows = []
    for ln in lanes:
        s, gc = by_id[ln.service], w.gc(ln.frm, ln.to)
        transit = (s.transit_mean_days + ln.extra_days, s.transit_p90_days + ln.extra_days)
        rows.append(
            lane(
                w,
                id=ln.id,
                frm=ln.frm,
                to=ln.to,
                mode=s.mode,
                carrier=s.carrier,
                scope="parcel",
                tariff=s.tariff,
                transit=transit,
                co2=w.air_co2(gc),
                km=gc * w.p.air_detour,
                source=s.source,
                service=s.service,
                per_week=s.departures_per_week,
            )
        )
    return rows


def air_lanes(w: World, lanes: list[AirLane]) -> list[dict[str, object]]:
    """Airport-to-airport lanes; transit = base + great circle / pace unless given."""
    p, rows = w.p, []
    for ln in lanes:
        gc = w.gc(ln.frm, ln.to)
        mean = ln.transit_mean_days
        if mean is None:
            mean = p.air_base_days + gc / p.air_km_per_day
        p90 = ln.transit_p90_days
        if p90 is None:
            p90 = mean + p.air_p90_extra_days
        cap = ln.capacity_kg_per_week
        cap_m3 = round(cap / p.air_kg_per_m3) if cap else None
        source = f"{ln.source}; {w.tariffs[ln.tariff]['source']}"
        rows.append(
            lane(
                w,
                id=ln.id,
                frm=ln.frm,
                to=ln.to,
                mode="air",
                carrier=ln.carrier,
                scope="any",
                tariff=ln.tariff,
                transit=(mean, p90),
                co2=w.air_co2(gc),
                km=gc * p.air_detour,
                source=source,
                service=ln.service,
                per_week=ln.departures_per_week,
                capacity=(cap, cap_m3),
                corridor=ln.corridor,
            )
        )
    return rows


def sea_lanes(w: World, trades: list[SeaTrade], lanes: list[SeaLane]) -> list[dict[str, object]]:
    """Port-to-port lanes: searoute distance, transit at the trade's anchor pace."""
    import importlib.metadata

    import searoute

    version = importlib.metadata.version("searoute")
    if version != SEAROUTE_VERSION:
        raise SystemExit(
            f"searoute {version} installed; the network is built with {SEAROUTE_VERSION}"
        )
    p, by_trade, rows = w.p, {t.trade: t for t in trades}, []
    for ln in lanes:
        t = by_trade[ln.trade]
        (alat, alon), (blat, blon) = w.xy(ln.frm), w.xy(ln.to)
        route = searoute.searoute(
            (alon, alat),
            (blon, blat),
            units="km",
            restrictions=list(t.restrictions),
            return_passages=True,
        )
        km = float(route.properties["length"])
        passages = route.properties.get("traversed_passages") or []
        mean = max(p.sea_min_days, km / 1000.0 * (t.anchor_days / (t.anchor_km / 1000.0)))
        p90 = mean * (t.anchor_p90_days / t.anchor_days)
        lcl = ln.mode == "sea_lcl"
        if lcl:
            mean, p90 = mean + p.lcl_extra_mean_days, p90 + p.lcl_extra_p90_days
        tags = sorted({PASSAGE_TAG[x] for x in passages} | set(t.tags), key=TAG_ORDER.index)
        source = (
            f"distance: searoute {SEAROUTE_VERSION} (restrictions={'+'.join(t.restrictions)}); "
            f"transit: {t.source} (facts.md §4.1-4.2, §9)"
            + (
                f"; LCL +{p.lcl_extra_mean_days:g} d mean / +{p.lcl_extra_p90_days:g} d P90 "
                "consolidation (facts.md §4.1, §10)"
                if lcl
                else ""
            )
            + f"; tariff: {w.tariffs[ln.tariff]['source']}"
        )
        rows.append(
            lane(
                w,
                id=ln.id,
                frm=ln.frm,
                to=ln.to,
                mode=ln.mode,
                carrier=ln.carrier,
                scope="bulk",
                tariff=ln.tariff,
                transit=(mean, p90),
                co2=p.co2_sea,
                km=km,
                source=source,
                service=ln.service,
                per_week=ln.departures_per_week,
                corridor=tags,
            )
        )
    return rows


def rail_lanes(
    w: World, waypoints: list[Waypoint], lanes: list[RailLane]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Rail legs measured through their waypoints, and their per-container tariffs."""
    p, at = w.p, {x.name: (x.lat, x.lon) for x in waypoints}
    rows, tariffs = [], []
    for ln in lanes:
        pts = [w.xy(ln.frm), *(at[v] for v in ln.via), w.xy(ln.to)]
        km = sum(w.geodesic_km(a, b) for a, b in itertools.pairwise(pts)) * p.rail_circuity
        price = ln.price_usd
        if price is None:
            base, per_km = ln.price_base_usd or 0.0, ln.price_per_km_usd or 0.0
            price = round((base + per_km * km) / p.rail_price_step_usd) * p.rail_price_step_usd
        tariff = f"T_{ln.id}"
        tariffs.append(
            {
                "id": tariff,
                "basis": "per_container",
                "currency": "USD",
                "container_price": price,
                "container_capacity_kg": p.rail_feu_kg,
                "container_capacity_m3": p.feu_m3,
                "source": ln.source,
            }
        )
        mean = p.rail_base_days + km / p.rail_km_per_day
        feu = ln.capacity_feu_per_week
        cap = (feu * p.rail_feu_kg, feu * p.feu_m3) if feu else (None, None)
        source = ln.source + (f"; waypoints: {', '.join(ln.via)}" if ln.via else "")
        rows.append(
            lane(
                w,
                id=ln.id,
                frm=ln.frm,
                to=ln.to,
                mode="rail",
                carrier=ln.carrier,
                scope="bulk",
                tariff=tariff,
                transit=(mean, mean * p.rail_p90_factor),
                co2=p.co2_rail,
                km=km,
                source=source,
                service=ln.service,
                per_week=ln.departures_per_week,
                capacity=cap,
                corridor=ln.corridor,
            )
        )
    return rows, tariffs


def truck_lanes(w: World, lanes: list[TruckLane]) -> list[dict[str, object]]:
    """Road lanes: geodesic x circuity; tariff by territory and distance band."""
    p, rows = w.p, []
    for ln in lanes:
        km, terr = w.gc(ln.frm, ln.to) * p.truck_circuity, w.terr(ln.frm)
        if ln.kind == "ftl":
            band = (
                "SHORT"
                if km <= p.ftl_short_max_km
                else ("MEDIUM" if km <= p.ftl_medium_max_km else "LONG")
            )
            tariff = f"T_FTL_{terr}_{band}"
        else:
            long_ = km > p.ltl_long_min_km and f"T_LTL_{terr}_LONG" in w.tariffs
            tariff = f"T_LTL_{terr}_LONG" if long_ else f"T_LTL_{terr}"
        mean = p.truck_base_days + km / p.truck_km_per_day
        source = f"{ln.source}; tariff: {w.tariffs[tariff]['source']}"
        rows.append(
            lane(
                w,
                id=ln.id,
                frm=ln.frm,
                to=ln.to,
                mode="truck",
                carrier=ln.carrier,
                scope=ln.scope,
                tariff=tariff,
                transit=(mean, mean * p.truck_p90_factor),
                co2=p.co2_truck,
                km=km,
                source=source,
                service=ln.service,
                per_week=ln.departures_per_week,
                corridor=ln.corridor,
            )
        )
    return rows


def last_mile_lanes(w: World, lanes: list[LastMileLane]) -> list[dict[str, object]]:
    """Parcel delivery: a fixed local distance inside a metro, else geodesic x road circuity."""
    p, rows = w.p, []
    for ln in lanes:
        gc = w.gc(ln.frm, ln.to)
        if gc < p.local_radius_km:
            km, co2 = p.last_mile_local_km, p.co2_van
            transit = (p.last_mile_local_mean_days, p.last_mile_local_p90_days)
            source = (
                f"distance: fixed {km:.0f} km local delivery (assumption); "
                "transit 1-3 d (assumption); van 0.6-0.8 kg/tkm (facts.md §6)"
            )
        else:
            km, local = gc * p.truck_circuity, p.last_mile_local_km
            mean = p.last_mile_base_days + km / p.last_mile_km_per_day
            transit = (mean, mean * p.last_mile_p90_factor)
            co2 = (p.co2_truck * (km - local) + p.co2_van * local) / km
            source = (
                f"distance: geodesic x {p.truck_circuity:g} (assumption); transit "
                f"{p.last_mile_base_days:g} d + km/{p.last_mile_km_per_day:g} per day, "
                f"P90 x{p.last_mile_p90_factor:g} (assumption); emissions: HGV line-haul "
                f"{p.co2_truck:g} + {local:g} km van {p.co2_van:g} blended (facts.md §6)"
            )
        source += f"; tariff: {w.tariffs[ln.tariff]['source']}"
        rows.append(
            lane(
                w,
                id=ln.id,
                frm=ln.frm,
                to=ln.to,
                mode="last_mile",
                carrier=ln.carrier,
                scope="parcel",
                tariff=ln.tariff,
                transit=transit,
                co2=co2,
                km=km,
                source=source,
                service=ln.service,
                per_week=ln.departures_per_week,
            )
        )
    return rows


def domestic_lanes(w: World, lanes: list[DomesticLane]) -> list[dict[str, object]]:
    """Domestic parcel services: priced and timed like a last-mile lane of that distance,
    their own mode and source first; both ends must be in one customs territory."""
    rows = []
    for ln in lanes:
        if w.terr(ln.frm) != w.terr(ln.to):
            raise ValueError(f"domestic lane {ln.id}: {ln.frm} and {ln.to} are in two territories")
        as_last_mile = LastMileLane(
            ln.id, ln.frm, ln.to, ln.carrier, ln.service, ln.tariff, ln.departures_per_week
        )
        [row] = last_mile_lanes(w, [as_last_mile])
        row["mode"] = ln.mode
        row["departure_weekdays"] = departure_weekdays(ln.id, ln.mode, ln.departures_per_week)
        row["cutoff_hours"] = w.p.cutoff_hours(ln.mode)
        row["source"] = f"{ln.source}; {row['source']}"
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Tables: verbatim source rows + computed rows, formatted and sorted
# --------------------------------------------------------------------------------------------
def fmt(v: object) -> str:
    """A cell as written: integral floats without ``.0``, others rounded to 6 decimals."""
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        v = round(v, 6)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(v)


def read_verbatim(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """Rows of a source table named like a network table, cells kept as written."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        unknown = [c for c in reader.fieldnames or [] if c not in columns]
        raise_if_any(
            [
                Problem(
                    str(path),
                    "column not in the network schema",
                    row=1,
                    field=c,
                    expected=_closest(c, columns),
                )
                for c in unknown
            ]
        )
        return [{k: v or "" for k, v in row.items()} for row in reader]


def _sort_key(cells: list[str]) -> tuple[tuple[int, float, str], ...]:
    def key(cell: str) -> tuple[int, float, str]:
        try:
            return (0, float(cell), "")
        except ValueError:
            return (1, 0.0, cell)

    return tuple(key(c) for c in cells)


def render(name: str, columns: list[str], rows: Iterable[Mapping[str, object]]) -> str:
    """CSV text of a network table: schema columns, rows sorted by their cells in that order."""
    lines: list[list[str]] = []
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise SystemExit(f"{name}: columns not in the schema: {sorted(unknown)}")
        lines.append([fmt(row.get(c)) for c in columns])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    lines.sort(key=_sort_key)
    writer.writerows(lines)
    return buf.getvalue()


def build_tables(sources: Path = SOURCES) -> dict[str, str]:
    """Every network table this builder produces, as CSV text by table name."""
    from pyproj import Geod

    schema = {name: [a.name for a in attrs] for name, attrs in load_schema().items()}
    verbatim = {
        name: read_verbatim(sources / f"{name}.csv", schema[name])
        for name in schema
        if (sources / f"{name}.csv").exists()
    }
    places = sorted(load_rows(Place, "places", sources), key=lambda x: x.id)
    w = World(
        p=load_parameters(sources),
        places={x.id: x for x in places},
        territory={r["code"]: r["territory"] for r in verbatim["countries"]},
        tariffs={r["id"]: r for r in verbatim["tariffs"]},
        geod=Geod(ellps="WGS84"),
    )
    rail, rail_tariffs = rail_lanes(
        w,
        load_rows(Waypoint, "rail_waypoints", sources),
        load_rows(RailLane, "rail_lanes", sources),
    )
    computed: dict[str, list[dict[str, object]]] = {
        "nodes": build_nodes(w, load_rows(NodeFigures, "node_figures", sources)),
        "tariffs": rail_tariffs,
        "lanes": [
            *parcel_lanes(
                w,
                load_rows(ParcelService, "parcel_services", sources),
                load_rows(ParcelLane, "parcel_lanes", sources),
            ),
            *air_lanes(w, load_rows(AirLane, "air_lanes", sources)),
            *sea_lanes(
                w,
                load_rows(SeaTrade, "sea_trades", sources),
                load_rows(SeaLane, "sea_lanes", sources),
            ),
            *rail,
            *truck_lanes(w, load_rows(TruckLane, "truck_lanes", sources)),
            *last_mile_lanes(w, load_rows(LastMileLane, "last_mile_lanes", sources)),
            *domestic_lanes(w, load_rows(DomesticLane, "domestic_lanes", sources)),
        ],
    }
    names = [n for n in schema if n in verbatim or n in computed]
    return {n: render(n, schema[n], [*verbatim.get(n, []), *computed.get(n, [])]) for n in names}


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
def stale_tables(tables: Mapping[str, str], out: Path) -> list[str]:
    """Names of the tables whose file in ``out`` differs from the rebuilt text."""
    return [
        n
        for n, text in tables.items()
        if not (out / f"{n}.csv").exists() or (out / f"{n}.csv").read_text(encoding="utf-8") != text
    ]


def validate(tables: Mapping[str, str], out: Path) -> int:
    """Validate ``out`` with ``tables`` written into it, by the package reader (``xborder
    validate``), in a scratch copy so that ``out`` is untouched; 0 when clean."""
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / out.name
        if out.is_dir():
            shutil.copytree(out, trial)  # hand-curated files take part in the check
        trial.mkdir(exist_ok=True)
        for name, text in tables.items():
            (trial / f"{name}.csv").write_text(text, encoding="utf-8")
        try:
            network, warnings = load_network(trial)
        except InputError as exc:
            for problem in exc.problems:
                print(f"PROBLEM: {problem}", file=sys.stderr)
            return 2
    for problem in warnings:
        print(f"WARNING: {problem}", file=sys.stderr)
    print(f"{out.name}: {len(network.nodes)} nodes, {len(network.lanes)} lanes; valid")
    return 1 if warnings else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sources", type=Path, default=SOURCES, help="source tables folder")
    ap.add_argument("--out", type=Path, default=OUT, help="network folder to write")
    ap.add_argument("--check", action="store_true", help="only compare --out with a rebuild")
    a = ap.parse_args(argv)
    try:
        tables = build_tables(a.sources)
    except InputError as exc:
        for problem in exc.problems:
            print(f"PROBLEM: {problem}", file=sys.stderr)
        return 2
    if a.check:
        stale = stale_tables(tables, a.out)
        for name in stale:
            print(f"{a.out / name}.csv differs from a rebuild", file=sys.stderr)
        return 1 if stale else 0
    status = validate(tables, a.out)
    if status == 0:  # nothing is written unless the whole network is valid
        a.out.mkdir(parents=True, exist_ok=True)
        for name, text in tables.items():
            write_text(a.out / f"{name}.csv", text)
    return status


if __name__ == "__main__":
    sys.exit(main())
