"""Importer for the published hzjken multimodal case (``Route_Information.csv``,
``Order_Information.csv``) into :class:`ScheduledService` / :class:`Order` records.

Conventions as the case's README states them: lead time is
``ceil((clearance + handling + extra + transit hours) / 24)`` days; the
per-container charge is the sum of handling, bunker/fuel, documentation,
equipment and extra costs; the warehouse cost on a row is the dwell rate at
that row's source; dates are Excel serial numbers (43132 = 2018-02-01).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.fields import FULL_WEEKDAYS, WEEKDAYS, Cells
from optimizer.orders.reader import parse_order, parse_service
from optimizer.orders.records import (
    OrdersScenario,
    make_scenario,
)

EXCEL_EPOCH = dt.date(1899, 12, 30)
ROUTES = "Route_Information.csv"
ORDERS = "Order_Information.csv"
_COMPONENTS = (
    "Port/Airport/Rail Handling Cost",
    "Bunker/ Fuel Cost",
    "Documentation Cost",
    "Equipment Cost",
    "Extra Cost",
)
_HOURS = (
    "CustomClearance time (hours)",
    "Port/Airport/Rail Handling time (hours)",
    "Extra Time",
    "Transit time (hours)",
)


def excel_date(serial: float) -> dt.date:
    """Excel (1900 system) serial day number to a date: 43132 -> 2018-02-01."""
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found", expected="the hzjken case CSV")])
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError([Problem(str(path), f"cannot read the table: {exc}")]) from None


def read_hzjken(folder: str | Path) -> OrdersScenario:
    """Read the hzjken case folder into an :class:`OrdersScenario`.

    Each row is translated into our orders format (:func:`service_cells`,
    :func:`order_cells`) and parsed by the same field specs as ``xborder
    route``'s own files, so a bad cell gets the same message and range check.
    """
    folder = Path(folder)
    problems: list[Problem] = []
    routes, orders = _rows(folder / ROUTES), _rows(folder / ORDERS)
    services = [
        parse_service(Cells(str(folder / ROUTES), n, service_cells(r), problems))
        for n, r in enumerate(routes, start=2)
    ]
    records = [
        parse_order(Cells(str(folder / ORDERS), n, order_cells(r), problems))
        for n, r in enumerate(orders, start=2)
    ]
    if problems:
        raise InputError(problems)
    return make_scenario("hzjken multimodal case", tuple(services), tuple(records), str(folder))


def _iso(serial: str | None) -> str:
    """An Excel serial day as an ISO date; anything else as given (the reader reports it)."""
    try:
        return excel_date(float(serial or "")).isoformat()
    except (ValueError, OverflowError):
        return serial or ""


def service_cells(r: dict[str, str]) -> dict[str, str]:
    """A ``Route_Information.csv`` row as a row of our ``services`` table."""
    cells = {ours: r.get(theirs) or "" for ours, theirs in SERVICE_COLUMNS.items()}
    flags = zip(FULL_WEEKDAYS, WEEKDAYS, strict=True)  # the case has one 0/1 column per day
    cells["departure_days"] = " ".join(d for full, d in flags if (r.get(full) or "").strip() == "1")
    return cells


def order_cells(r: dict[str, str]) -> dict[str, str]:
    """An ``Order_Information.csv`` row as a row of our ``orders`` table."""
    cells = {ours: r.get(theirs) or "" for ours, theirs in ORDER_COLUMNS.items()}
    cells["ready_date"] = _iso(r.get("Order Date"))
    cells["due_date"] = _iso(r.get("Required Delivery Date"))
    cells["splittable"] = "false"
    return cells


SERVICE_COLUMNS = {
    "id": "Route Number",
    "origin": "Source",
    "dest": "Destination",
    "mode": "Travel Mode",
    "carrier": "Carrier",
    "container_m3": "Container Size",
    "fixed_cost": "Fixed Freight Cost",
    "handling_cost": _COMPONENTS[0],
    "fuel_cost": _COMPONENTS[1],
    "documentation_cost": _COMPONENTS[2],
    "equipment_cost": _COMPONENTS[3],
    "extra_cost": _COMPONENTS[4],
    "warehouse_cost_m3_day": "Warehouse Cost",
    "transit_duty_rate": "Transit Duty",
    "customs_hours": _HOURS[0],
    "handling_hours": _HOURS[1],
    "extra_hours": _HOURS[2],
    "transit_hours": _HOURS[3],
}
ORDER_COLUMNS = {
    "id": "Order Number",
    "origin": "Ship From",
    "dest": "Ship To",
    "commodity": "Commodity",
    "value": "Order Value",
    "weight_kg": "Weight (KG)",
    "volume_m3": "Volume",
    "shipper_name": "Shipper Name",
    "shipper_address": "Shipper Address",
    "shipper_country": "Shipper Country",
    "consignee_country": "Consignee Country",
    "journey_type": "Journey Type",
    "import_tax_rate": "Tax Percentage",
}


def convert_hzjken(folder: str | Path, out_dir: str | Path) -> None:
    """Write the case in our orders-scenario format, cell for cell.

    Cells are copied verbatim; only the Monday..Sunday flags become a
    ``departure_days`` list of names and Excel serial dates become ISO dates.
    """
    from optimizer.io.atomic import write_with  # writers stay out of the read path

    folder, out_dir = Path(folder), Path(out_dir)
    routes, orders = _rows(folder / ROUTES), _rows(folder / ORDERS)

    def services_csv(fh: object) -> None:
        w = csv.writer(fh)  # type: ignore[arg-type]
        w.writerow([*SERVICE_COLUMNS, "departure_days"])
        for r in routes:
            w.writerow(service_cells(r).values())

    def orders_csv(fh: object) -> None:
        w = csv.writer(fh)  # type: ignore[arg-type]
        w.writerow([*ORDER_COLUMNS, "ready_date", "due_date", "splittable"])
        for r in orders:
            w.writerow(order_cells(r).values())

    write_with(out_dir / "services.csv", services_csv)
    write_with(out_dir / "orders.csv", orders_csv)
