"""Read an orders scenario (YAML + services/orders CSVs or inline lists), all errors at once.

The format is documented in ``docs/route.md``. Every problem found (unknown
weekday, due before ready, unknown node, negative volume, ...) is collected
and raised as one :class:`InputError`, so ``xborder route`` exits 2 with the
whole list.

A scenario may name a ``network:`` folder instead of (or besides) a services
table: its lanes become scheduled services and its customs rules give each
order's duties and import taxes (:mod:`optimizer.orders.network`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError, Problem
from optimizer.fields import MISSING, Cells, Field, markdown_table, suggest
from optimizer.network.reader import read_network
from optimizer.network.records import Mode, Network
from optimizer.orders.network import (
    ROUTE_CHOICES,
    TRANSIT_CHOICES,
    NetworkOptions,
    candidate_routes,
    journey_tax_rate,
    network_services,
)
from optimizer.orders.records import (
    Order,
    OrdersScenario,
    ScheduledService,
    lead_days,
    make_scenario,
)

FORMAT_VERSION = 1
_EPOCH = dt.date(2000, 1, 1)  # placeholder date for a row whose dates are both bad
#: Money per departure, container or order (any currency a planner uses): up to a billion.
MAX_MONEY = 1e9
CONTAINER_COSTS = (
    "handling_cost",
    "fuel_cost",
    "documentation_cost",
    "equipment_cost",
    "extra_cost",
    "container_cost",
)
HOURS = ("customs_hours", "handling_hours", "extra_hours", "transit_hours")

#: Columns of the ``services`` table (docs/route.md is generated from these).
SERVICE_FIELDS = (
    Field("id", "str", "Unique service id.", required=True),
    Field("origin", "str", "Node the service leaves.", required=True),
    Field("dest", "str", "Node the service reaches.", required=True),
    Field("mode", "str", "Sea, Air, Rail, Truck, ... (shown in outputs).", required=True),
    Field("carrier", "str", "Carrier (shown in outputs).", default=""),
    Field(
        "container_m3",
        "float",
        "Container (or vehicle) size; containers per departure = integer >= volume / size.",
        required=True,
        lo=0,
        lo_open=True,
        hi=100_000,
        unit="m3",
    ),
    Field(
        "fixed_cost",
        "float",
        "Charged once per departure that carries anything.",
        default=0.0,
        lo=0,
        hi=MAX_MONEY,
        unit="money",
    ),
    *(
        Field(
            c,
            "float",
            "Summed into the per-container charge.",
            default=0.0,
            lo=0,
            hi=MAX_MONEY,
            unit="money/container",
        )
        for c in CONTAINER_COSTS
    ),
    Field(
        "warehouse_cost_m3_day",
        "float",
        "Dwell rate at origin (set: goods may wait there); services leaving a node agree.",
        lo=0,
        hi=1e6,
        unit="money/(m3*d)",
    ),
    Field(
        "transit_duty_rate",
        "float",
        "Duty as a share of order value, charged when an order uses this service.",
        default=0.0,
        lo=0,
        hi=1,
    ),
    *(
        Field(
            h,
            "float",
            "Lead time = ceil(sum of hours / 24) days.",
            default=0.0,
            lo=0,
            hi=8760,
            unit="h",
        )
        for h in HOURS
    ),
    Field("departure_days", "str", "Weekdays (Mon Tue ... Sun, full names, any case) or daily."),
    Field("departure_dates", "str", "Extra dated departures, e.g. 2026-03-04 2026-03-18."),
    Field(
        "cutoff_hours",
        "float",
        "Goods must be at the origin ceil(h/24) days before departure.",
        default=0.0,
        lo=0,
        hi=720,
        unit="h",
    ),
)
#: Columns of the ``orders`` table.
ORDER_FIELDS = (
    Field("id", "str", "Unique order id.", required=True),
    Field("origin", "str", "Node the order is ready at.", required=True),
    Field("dest", "str", "Node the order must reach.", required=True),
    Field(
        "value",
        "float",
        "Basis of import tax and transit duties.",
        required=True,
        lo=0,
        hi=MAX_MONEY,
        unit="money",
    ),
    Field(
        "weight_kg",
        "float",
        "Reported only (containers are filled by volume).",
        default=0.0,
        lo=0,
        hi=1e7,
        unit="kg",
    ),
    Field(
        "volume_m3",
        "float",
        "Volume of the order.",
        required=True,
        lo=0,
        lo_open=True,
        hi=1e5,
        unit="m3",
    ),
    Field("ready_date", "date", "Goods are at origin on this date.", required=True),
    Field("due_date", "date", "Goods must arrive by this date (inclusive).", required=True),
    Field(
        "import_tax_rate",
        "float",
        "Import tax as a share of value (with a network: from its customs rules when empty).",
        default=0.0,
        lo=0,
        hi=1,
    ),
    Field("splittable", "bool", "May the order travel in parts on several paths.", default=False),
    Field("commodity", "str", "With a network: a network category.", default=""),
)
_SERVICE = {f.name: f for f in SERVICE_FIELDS}
_ORDER = {f.name: f for f in ORDER_FIELDS}


def _table(
    spec: Any, base: Path, yaml_file: str, key: str, problems: list[Problem]
) -> tuple[str, list[dict[str, Any]], int]:
    """Rows of the ``services``/``orders`` section: a CSV path or an inline list.

    The last item is the number of the first row as problems name it: its line in
    a CSV file (the header is line 1, so 2), its position (1) in an inline list.
    """
    if isinstance(spec, str):
        path = base / spec
        if not path.is_file():
            problems.append(
                Problem(
                    yaml_file,
                    "file not found",
                    None,
                    key,
                    spec,
                    "a CSV path relative to the scenario file",
                )
            )
            return str(path), [], 2
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                return str(path), list(csv.DictReader(fh)), 2
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            problems.append(
                Problem(str(path), f"cannot read the table: {exc}", expected="a UTF-8 CSV file")
            )
            return str(path), [], 2
    if isinstance(spec, list) and all(isinstance(r, dict) for r in spec):
        return f"{yaml_file} [{key}]", spec, 1
    problems.append(
        Problem(
            yaml_file,
            "missing or malformed section",
            None,
            key,
            None if spec is None else str(spec)[:40],
            "a CSV path or a list of mappings",
        )
    )
    return yaml_file, [], 1


def parse_service(r: Cells) -> ScheduledService:
    """One ``services`` row (our format, or an imported case's row translated to it)."""
    f = _SERVICE
    sid, origin, dest = r.get(f["id"]) or "", r.get(f["origin"]) or "", r.get(f["dest"]) or ""
    if origin and origin == dest:
        r.problem("dest", "service goes nowhere (dest equals origin)", dest, "another node")
    weekdays, dates = r.weekdays("departure_days"), r.dates("departure_dates")
    if not r.has("departure_days") and not r.has("departure_dates"):
        r.problem(
            "departure_days",
            "service never departs",
            None,
            "weekdays (e.g. 'Mon Thu') or departure_dates",
        )
    cutoff = r.get(f["cutoff_hours"])
    return ScheduledService(
        id=sid,
        origin=origin,
        dest=dest,
        mode=r.get(f["mode"]) or "",
        carrier=r.get(f["carrier"]),
        container_m3=r.get(f["container_m3"]) or 1.0,
        fixed_cost_per_departure=r.get(f["fixed_cost"]),
        cost_per_container=sum(r.get(f[c]) for c in CONTAINER_COSTS),
        warehouse_cost_per_m3_day=r.get(f["warehouse_cost_m3_day"]),
        transit_duty_rate=r.get(f["transit_duty_rate"]),
        lead_days=lead_days(*(r.get(f[h]) for h in HOURS)),
        weekdays=weekdays,
        dates=dates,
        cutoff_days=math.ceil(cutoff / 24.0),
    )


def parse_order(r: Cells) -> Order:
    """One ``orders`` row; due before ready is a problem."""
    f = _ORDER
    ready, due = r.get(f["ready_date"]), r.get(f["due_date"])
    if ready and due and due < ready:
        r.problem(
            "due_date",
            "due before ready",
            due.isoformat(),
            f"a date on or after ready_date {ready.isoformat()}",
        )
    return Order(
        id=r.get(f["id"]) or "",
        origin=r.get(f["origin"]) or "",
        dest=r.get(f["dest"]) or "",
        value=r.get(f["value"]) or 0.0,
        weight_kg=r.get(f["weight_kg"]),
        volume_m3=r.get(f["volume_m3"]) or 1.0,
        ready=ready or due or _EPOCH,
        due=due or ready or _EPOCH,
        import_tax_rate=r.get(f["import_tax_rate"]),
        splittable=r.get(f["splittable"]),
        commodity=r.get(f["commodity"]),
    )


def _cross_checks(
    services: list[tuple[Cells, ScheduledService]],
    orders: list[tuple[Cells, Order]],
    network_nodes: frozenset[str] = frozenset(),
) -> None:
    """Checks across rows: duplicate ids, unknown nodes, conflicting warehouse rates."""
    nodes = sorted({s.origin for _, s in services} | {s.dest for _, s in services} | network_nodes)
    for rows, label in ((services, "service"), (orders, "order")):
        seen: set[str] = set()
        for r, rec in rows:
            if rec.id in seen:
                r.problem("id", f"duplicate {label} id", rec.id, "unique ids")
            seen.add(rec.id)
    rates: dict[str, float] = {}
    for r, s in services:
        rate = s.warehouse_cost_per_m3_day
        if rate is not None and rates.setdefault(s.origin, rate) != rate:
            r.problem(
                "warehouse_cost_m3_day",
                f"conflicts with {rates[s.origin]:g} on another service leaving {s.origin}",
                f"{rate:g}",
                "one dwell rate per warehouse",
            )
    for r, o in orders:
        for field in ("origin", "dest"):
            node = getattr(o, field)
            if node and node not in nodes:
                hint = suggest(node, nodes, "a node some service touches")
                r.problem(field, "unknown node", node, hint)
        if o.origin and o.origin == o.dest:
            r.problem("dest", "order goes nowhere (dest equals origin)", o.dest, "another node")


def read_orders_scenario(path: str | Path) -> OrdersScenario:
    """Read and validate an orders scenario; raise :class:`InputError` listing all problems."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError([Problem(file, "file not found", expected="an orders scenario YAML")])
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError([Problem(file, f"not valid YAML: {exc}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(file, f"cannot read the scenario: {exc}")]) from None
    if not isinstance(doc, dict):
        raise InputError([Problem(file, "not a mapping", expected="keys services, orders")])
    problems: list[Problem] = []
    version = doc.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        problems.append(
            Problem(
                file,
                "unsupported format version",
                None,
                "version",
                str(version),
                str(FORMAT_VERSION),
            )
        )
    network, options = _network(doc.get("network"), path.parent, file, problems)
    srows: list[dict[str, Any]] = []
    sfile, sfirst = file, 1
    if network is None or doc.get("services") is not None:
        sfile, srows, sfirst = _table(doc.get("services"), path.parent, file, "services", problems)
    ofile, orows, ofirst = _table(doc.get("orders"), path.parent, file, "orders", problems)
    services = [
        (r, parse_service(r))
        for r in (Cells(sfile, i, row, problems) for i, row in enumerate(srows, sfirst))
    ]
    orders = [
        (r, parse_order(r))
        for r in (Cells(ofile, i, row, problems) for i, row in enumerate(orows, ofirst))
    ]
    if (srows or network is not None) and orows:
        nodes = frozenset(network.node_by_id) if network is not None else frozenset()
        _cross_checks(services, orders, nodes)
    elif not problems:
        problems.append(Problem(file, "no services or no orders", expected="at least one each"))
    if problems:
        raise InputError(problems)
    records = tuple(s for _, s in services)
    routes: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {}
    order_records = tuple(o for _, o in orders)
    if network is not None:
        order_records = _journey_taxes(network, orders, problems)
        lanes = network_services(network, order_records, options)
        taken = {s.id for s in records}
        problems += [
            Problem(
                sfile,
                "service id is also a lane id of the network",
                None,
                "id",
                s.id,
                "ids distinct from the network's lanes",
            )
            for s in lanes
            if s.id in taken
        ]
        records += lanes
        if options.routes == "candidates":
            routes = candidate_routes(records, {(o.origin, o.dest) for o in order_records})
    if problems:
        raise InputError(problems)
    return make_scenario(str(doc.get("name", path.stem)), records, order_records, file, routes)


def _network(
    spec: Any, base: Path, yaml_file: str, problems: list[Problem]
) -> tuple[Network | None, NetworkOptions]:
    """The ``network:`` section: a path, or a mapping ``{path, transit, modes, routes}``."""
    if spec is None:
        return None, NetworkOptions()
    if isinstance(spec, str):
        spec = {"path": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        problems.append(
            Problem(
                yaml_file,
                "malformed section",
                None,
                "network",
                str(spec)[:40],
                "a network folder path, or a mapping with path, transit, modes",
            )
        )
        return None, NetworkOptions()
    transit = str(spec.get("transit", "mean"))
    if transit not in TRANSIT_CHOICES:
        problems.append(
            Problem(
                yaml_file,
                "unknown transit figure",
                None,
                "network.transit",
                transit,
                " or ".join(TRANSIT_CHOICES),
            )
        )
    routes = str(spec.get("routes", "candidates"))
    if routes not in ROUTE_CHOICES:
        problems.append(
            Problem(
                yaml_file,
                "unknown route set",
                None,
                "network.routes",
                routes,
                " or ".join(ROUTE_CHOICES),
            )
        )
    modes = spec.get("modes")
    known = {str(m) for m in Mode}
    if modes is not None:
        modes = modes if isinstance(modes, list) else [modes]
        bad = [str(m) for m in modes if str(m) not in known]
        if not isinstance(modes, list) or bad:
            problems.append(
                Problem(
                    yaml_file,
                    "unknown mode",
                    None,
                    "network.modes",
                    ", ".join(bad) or str(modes)[:40],
                    "modes among " + ", ".join(sorted(known)),
                )
            )
    try:
        network = read_network(base / spec["path"])
    except InputError as exc:
        problems.extend(exc.problems)
        return None, NetworkOptions()
    chosen = frozenset(str(m) for m in modes) if isinstance(modes, list) else None
    return network, NetworkOptions(transit=transit, modes=chosen, routes=routes)


def _journey_taxes(
    network: Network, orders: list[tuple[Cells, Order]], problems: list[Problem]
) -> tuple[Order, ...]:
    """Orders with ``import_tax_rate`` from the network's customs rules when the row gives none.

    The commodity must then name a category of the network (its duty rates and
    consumption tax depend on it).
    """
    out = []
    for r, o in orders:
        if r.has("import_tax_rate"):
            out.append(o)
            continue
        if o.commodity not in network.category_by_id:
            cats = sorted(network.category_by_id)
            r.problem(
                "commodity",
                "unknown category" if o.commodity else MISSING,
                o.commodity or None,
                suggest(o.commodity, cats) + "; or give import_tax_rate",
            )
            out.append(o)
            continue
        out.append(dataclasses.replace(o, import_tax_rate=journey_tax_rate(network, o)))
    return tuple(out)


def format_markdown() -> str:
    """The ``services`` and ``orders`` columns as markdown tables (for docs/route.md)."""
    return "\n".join(
        [markdown_table("services", SERVICE_FIELDS), markdown_table("orders", ORDER_FIELDS)]
    )
