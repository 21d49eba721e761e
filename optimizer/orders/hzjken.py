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
from optimizer.orders.records import (
    Order,
    OrdersScenario,
    ScheduledService,
    lead_days,
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
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def excel_date(serial: float) -> dt.date:
    """Excel (1900 system) serial day number to a date: 43132 -> 2018-02-01."""
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found", expected="the hzjken case CSV")])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_hzjken(folder: str | Path) -> OrdersScenario:
    """Read the hzjken case folder into an :class:`OrdersScenario`."""
    folder = Path(folder)
    problems: list[Problem] = []
    services: list[ScheduledService] = []
    orders: list[Order] = []
    for n, r in enumerate(_rows(folder / ROUTES), start=2):  # header = line 1
        try:
            services.append(
                ScheduledService(
                    id=r["Route Number"],
                    origin=r["Source"],
                    dest=r["Destination"],
                    mode=r["Travel Mode"],
                    carrier=r["Carrier"],
                    container_m3=float(r["Container Size"]),
                    fixed_cost_per_departure=float(r["Fixed Freight Cost"]),
                    cost_per_container=sum(float(r[c] or 0) for c in _COMPONENTS),
                    warehouse_cost_per_m3_day=float(r["Warehouse Cost"])
                    if r["Warehouse Cost"]
                    else None,
                    transit_duty_rate=float(r["Transit Duty"] or 0),
                    lead_days=lead_days(*(float(r[h] or 0) for h in _HOURS)),
                    weekdays=frozenset(i for i, d in enumerate(_DAYS) if r[d].strip() == "1"),
                )
            )
        except (KeyError, ValueError) as exc:
            problems.append(Problem(str(folder / ROUTES), f"unreadable row: {exc}", row=n))
    for n, r in enumerate(_rows(folder / ORDERS), start=2):
        try:
            orders.append(
                Order(
                    id=r["Order Number"],
                    origin=r["Ship From"],
                    dest=r["Ship To"],
                    value=float(r["Order Value"]),
                    weight_kg=float(r["Weight (KG)"]),
                    volume_m3=float(r["Volume"]),
                    ready=excel_date(float(r["Order Date"])),
                    due=excel_date(float(r["Required Delivery Date"])),
                    import_tax_rate=float(r["Tax Percentage"] or 0),
                    splittable=False,
                    commodity=r["Commodity"],
                )
            )
        except (KeyError, ValueError) as exc:
            problems.append(Problem(str(folder / ORDERS), f"unreadable row: {exc}", row=n))
    if problems:
        raise InputError(problems)
    return make_scenario("hzjken multimodal case", tuple(services), tuple(orders), str(folder))


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
            days = " ".join(d[:3] for d in _DAYS if r[d].strip() == "1")
            w.writerow([*(r[c] for c in SERVICE_COLUMNS.values()), days])

    def orders_csv(fh: object) -> None:
        w = csv.writer(fh)  # type: ignore[arg-type]
        w.writerow([*ORDER_COLUMNS, "ready_date", "due_date", "splittable"])
        for r in orders:
            ready = excel_date(float(r["Order Date"])).isoformat()
            due = excel_date(float(r["Required Delivery Date"])).isoformat()
            w.writerow([*(r[c] for c in ORDER_COLUMNS.values()), ready, due, "false"])

    write_with(out_dir / "services.csv", services_csv)
    write_with(out_dir / "orders.csv", orders_csv)
