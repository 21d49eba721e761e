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
import difflib
import math
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError, Problem
from optimizer.network.reader import read_network
from optimizer.network.records import Mode, Network
from optimizer.orders.fields import RowReader
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
CONTAINER_COSTS = (
    "handling_cost",
    "fuel_cost",
    "documentation_cost",
    "equipment_cost",
    "extra_cost",
    "container_cost",
)
HOURS = ("customs_hours", "handling_hours", "extra_hours", "transit_hours")


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
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return str(path), list(csv.DictReader(fh)), 2
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


def _service(r: RowReader) -> ScheduledService:
    sid, origin, dest = r.text("id"), r.text("origin"), r.text("dest")
    if origin and origin == dest:
        r.problem("dest", "service goes nowhere (dest equals origin)", dest, "another node")
    weekdays, dates = r.weekdays("departure_days"), r.dates("departure_dates")
    if not r.cells.get("departure_days") and not r.cells.get("departure_dates"):
        r.problem(
            "departure_days",
            "service never departs",
            None,
            "weekdays (e.g. 'Mon Thu') or departure_dates",
        )
    cutoff = r.number("cutoff_hours", default=0.0)
    return ScheduledService(
        id=sid,
        origin=origin,
        dest=dest,
        mode=r.text("mode"),
        carrier=r.text("carrier", required=False),
        container_m3=r.number("container_m3", strict=True, default=None),
        fixed_cost_per_departure=r.number("fixed_cost", default=0.0),
        cost_per_container=sum(r.number(c, default=0.0) for c in CONTAINER_COSTS),
        warehouse_cost_per_m3_day=r.optional_number("warehouse_cost_m3_day"),
        transit_duty_rate=r.number("transit_duty_rate", default=0.0, maximum=1.0),
        lead_days=lead_days(*(r.number(h, default=0.0) for h in HOURS)),
        weekdays=weekdays,
        dates=dates,
        cutoff_days=math.ceil(cutoff / 24.0),
    )


def _order(r: RowReader) -> Order:
    ready, due = r.date("ready_date"), r.date("due_date")
    if ready and due and due < ready:
        r.problem(
            "due_date",
            "due before ready",
            due.isoformat(),
            f"a date on or after ready_date {ready.isoformat()}",
        )
    return Order(
        id=r.text("id"),
        origin=r.text("origin"),
        dest=r.text("dest"),
        value=r.number("value"),
        weight_kg=r.number("weight_kg", default=0.0),
        volume_m3=r.number("volume_m3", strict=True, default=None),
        ready=ready or due or _EPOCH,
        due=due or ready or _EPOCH,
        import_tax_rate=r.number("import_tax_rate", default=0.0, maximum=1.0),
        splittable=r.flag("splittable"),
        commodity=r.text("commodity", required=False),
    )


def _cross_checks(
    services: list[tuple[RowReader, ScheduledService]],
    orders: list[tuple[RowReader, Order]],
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
                close = difflib.get_close_matches(node, nodes, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "a node some service touches"
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
        (r, _service(r))
        for r in (RowReader(sfile, i, row, problems) for i, row in enumerate(srows, sfirst))
    ]
    orders = [
        (r, _order(r))
        for r in (RowReader(ofile, i, row, problems) for i, row in enumerate(orows, ofirst))
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
        modes = [modes] if isinstance(modes, str) else modes
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
    network: Network, orders: list[tuple[RowReader, Order]], problems: list[Problem]
) -> tuple[Order, ...]:
    """Orders with ``import_tax_rate`` from the network's customs rules when the row gives none.

    The commodity must then name a category of the network (its duty rates and
    consumption tax depend on it).
    """
    out = []
    for r, o in orders:
        if r.cells.get("import_tax_rate", "") != "":
            out.append(o)
            continue
        if o.commodity not in network.category_by_id:
            cats = sorted(network.category_by_id)
            close = difflib.get_close_matches(o.commodity, cats, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            r.problem(
                "commodity",
                "unknown category" if o.commodity else "missing value",
                o.commodity or None,
                "a category of the network: "
                + ", ".join(cats)
                + hint
                + "; or give import_tax_rate",
            )
            out.append(o)
            continue
        out.append(dataclasses.replace(o, import_tax_rate=journey_tax_rate(network, o)))
    return tuple(out)
