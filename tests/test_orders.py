"""Order-level routing on scheduled services (``xborder route``)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.errors import InputError
from optimizer.orders.hzjken import excel_date, read_hzjken
from optimizer.orders.planner import route
from optimizer.orders.reader import read_orders_scenario
from optimizer.orders.records import lead_days
from optimizer.orders.writers import plan_dict

REPO = Path(__file__).resolve().parents[1]
HZJKEN = REPO / "scenarios" / "orders" / "hzjken"
ORIGINAL = REPO / "benchmarks" / "multimodal" / "hzjken_mmt"  # the published CSVs, vendored

# A hand-checkable case. 2024-01-01 is a Monday.
#   truck  WH -> PORT   daily, 1 day, fixed 50, containers free; WH dwell 1.0 per m3-day
#   sea    PORT -> DP   Wednesdays, 7 days, fixed 200, 500 per 30 m3 container, duty 1 %
#   air    PORT -> DP   daily, 1 day, fixed 100, 2000 per 10 m3 container, duty 2 %
#   last   DP -> DWH    daily, 1 day, fixed 40
# O1 (20 m3, ready Mon) and O2 (20 m3, ready Tue), both due Fri 12th.
# No waiting at the port, so both take the Tue truck (O1 waits a day at WH: 20),
# Wed sea (40 m3 -> 2 containers: 200 + 1000), the 10th's last mile (40).
# Transport 50 + 1200 + 40 = 1290; warehouse 20; tax 500 + 500 import
# + 1 % of 15,000 duty = 1150; total 2460. Air would cost 4100 per order.
SERVICES: list[dict[str, Any]] = [
    {
        "id": "truck",
        "origin": "WH",
        "dest": "PORT",
        "mode": "Truck",
        "container_m3": 40,
        "fixed_cost": 50,
        "warehouse_cost_m3_day": 1.0,
        "transit_hours": 20,
        "departure_days": "daily",
    },
    {
        "id": "sea",
        "origin": "PORT",
        "dest": "DP",
        "mode": "Sea",
        "container_m3": 30,
        "fixed_cost": 200,
        "container_cost": 500,
        "transit_duty_rate": 0.01,
        "transit_hours": 168,
        "departure_days": ["Wed"],
    },
    {
        "id": "air",
        "origin": "PORT",
        "dest": "DP",
        "mode": "Air",
        "container_m3": 10,
        "fixed_cost": 100,
        "container_cost": 2000,
        "transit_duty_rate": 0.02,
        "customs_hours": 12,
        "transit_hours": 6,
        "departure_days": "Mon Tue Wed Thu Fri Sat Sun",
    },
    {
        "id": "last",
        "origin": "DP",
        "dest": "DWH",
        "mode": "Truck",
        "container_m3": 40,
        "fixed_cost": 40,
        "transit_hours": 8,
        "departure_days": "daily",
    },
]
ORDERS: list[dict[str, Any]] = [
    {
        "id": "O1",
        "origin": "WH",
        "dest": "DWH",
        "value": 10000,
        "volume_m3": 20,
        "ready_date": "2024-01-01",
        "due_date": "2024-01-12",
        "import_tax_rate": 0.05,
    },
    {
        "id": "O2",
        "origin": "WH",
        "dest": "DWH",
        "value": 5000,
        "volume_m3": 20,
        "ready_date": "2024-01-02",
        "due_date": "2024-01-12",
        "import_tax_rate": 0.1,
    },
]


def write_scenario(
    tmp_path: Path,
    services: list[dict[str, Any]] | None = None,
    orders: list[dict[str, Any]] | None = None,
) -> Path:
    doc = {
        "version": 1,
        "name": "tiny",
        "services": services or SERVICES,
        "orders": orders or ORDERS,
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def published_routes(text: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """Parse Solution_published.txt into order -> [(date, from, to, mode)]."""
    routes: dict[str, list[tuple[str, str, str, str]]] = {}
    current = ""
    for line in text.splitlines():
        if m := re.match(r"Goods-(\d+)", line):
            current = m.group(1)
            routes[current] = []
        elif m := re.match(r"\(\d+\)Date: (\S+)\s+From: (.+?)\s+To: (.+?)\s+By: (\S+)", line):
            routes[current].append((m.group(1), m.group(2), m.group(3), m.group(4)))
    return routes


# --- the published case ------------------------------------------------------------


def test_conventions() -> None:
    assert excel_date(43132) == dt.date(2018, 2, 1)
    assert lead_days(24, 48, 0, 96) == 7  # Malaysia Port -> Shanghai Port, 168 h
    assert lead_days(4, 0, 0, 6) == 1
    assert lead_days(24, 8, 0, 4.5) == 2


def test_hzjken_reproduces_published_optimum() -> None:
    plan = route(read_orders_scenario(HZJKEN / "scenario.yaml"), seed=0)
    assert str(plan.status) == "optimal"
    assert plan.objective == pytest.approx(196_959.0, abs=1e-6)
    assert plan.transport == pytest.approx(6_645.0, abs=1e-6)
    assert plan.warehouse == pytest.approx(1_410.0, abs=1e-6)
    assert plan.tax == pytest.approx(188_904.0, abs=1e-6)
    expected = published_routes((HZJKEN / "Solution_published.txt").read_text())
    got = {
        o.order: [
            (leg.depart.isoformat(), leg.origin, leg.dest, leg.mode) for leg in o.parts[0].legs
        ]
        for o in plan.orders
    }
    assert got == expected
    assert all(len(o.parts) == 1 for o in plan.orders)
    assert sum(o.total for o in plan.orders) == pytest.approx(196_959.0)


def test_shipped_copy_matches_original_csvs() -> None:
    ours = read_orders_scenario(HZJKEN / "scenario.yaml")
    original = read_hzjken(ORIGINAL)
    assert ours.services == original.services
    assert ours.orders == original.orders
    assert ours.warehouse_rates == original.warehouse_rates


# --- the hand-checkable case ---------------------------------------------------------


def test_three_departure_case_exact(tmp_path: Path) -> None:
    plan = route(read_orders_scenario(write_scenario(tmp_path)))
    assert str(plan.status) == "optimal"
    assert (plan.transport, plan.warehouse, plan.tax) == pytest.approx((1290, 20, 1150))
    assert plan.objective == pytest.approx(2460)
    assert [(d.service, d.date.isoformat(), d.containers, d.cost) for d in plan.departures] == [
        ("truck", "2024-01-02", 0, 50),
        ("sea", "2024-01-03", 2, 1200),
        ("last", "2024-01-10", 0, 40),
    ]
    o1, o2 = plan.orders
    assert [
        (leg.service, leg.depart.isoformat(), leg.arrive.isoformat()) for leg in o1.parts[0].legs
    ] == [
        ("truck", "2024-01-02", "2024-01-03"),
        ("sea", "2024-01-03", "2024-01-10"),
        ("last", "2024-01-10", "2024-01-11"),
    ]
    assert (o1.transport, o1.warehouse, o1.tax) == pytest.approx((645, 20, 600))
    assert (o2.transport, o2.warehouse, o2.tax) == pytest.approx((645, 0, 550))


def test_splittable_order_parts_sum_to_one(tmp_path: Path) -> None:
    orders = copy.deepcopy(ORDERS)
    orders[1]["splittable"] = True
    plan = route(read_orders_scenario(write_scenario(tmp_path, orders=orders)))
    assert plan.objective == pytest.approx(2460)
    assert sum(p.fraction for p in plan.orders[1].parts) == pytest.approx(1.0)


def test_cli_writes_outputs_and_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, ["route", str(write_scenario(tmp_path)), "--json", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["costs"] == {"transport": 1290, "warehouse": 20, "tax": 1150, "total": 2460}
    assert doc["orders"][0]["parts"][0]["legs"][1]["service"] == "sea"
    assert sorted(p.name for p in out.iterdir()) == [
        "gantt.png",
        "legs.csv",
        "orders.csv",
        "plan.json",
        "timings.json",
    ]
    assert (out / "gantt.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(out.glob(".*.tmp"))
    human = CliRunner().invoke(main, ["route", str(write_scenario(tmp_path))])
    assert human.exit_code == 0
    assert "total 2,460.00 = transport 1,290.00 + warehouse 20.00 + tax 1,150.00" in human.stdout


def test_cli_help_has_example() -> None:
    res = CliRunner().invoke(main, ["route", "--help"])
    assert res.exit_code == 0
    assert "xborder route scenarios/orders/hzjken/scenario.yaml" in res.output


def test_same_seed_same_plan(tmp_path: Path) -> None:
    data = read_orders_scenario(HZJKEN / "scenario.yaml")
    a, b = (json.dumps(plan_dict(route(data, seed=7))) for _ in range(2))
    assert a == b  # byte for byte: the solve time goes to timings.json


# --- infeasible orders ---------------------------------------------------------------


def test_infeasible_order_explained_exit_3(tmp_path: Path) -> None:
    services = [s for s in SERVICES if s["id"] != "air"]
    orders = [
        *ORDERS,
        {
            "id": "O3",
            "origin": "WH",
            "dest": "DWH",
            "value": 1000,
            "volume_m3": 5,
            "ready_date": "2024-01-04",
            "due_date": "2024-01-12",
        },
    ]
    path = write_scenario(tmp_path, services, orders)
    plan = route(read_orders_scenario(path))
    assert [o.order for o in plan.orders] == ["O1", "O2"]  # the others are still routed
    (bad,) = plan.infeasible
    # Thu 4th: next sea is Wed 10th -> DP 17th -> DWH 18th; daily sea would give the 13th.
    assert bad.order == "O3"
    assert bad.earliest_arrival == dt.date(2024, 1, 18)
    assert bad.blocking_service == "sea"
    assert "with daily departures it could arrive 2024-01-13" in bad.reason
    res = CliRunner().invoke(main, ["route", str(path), "--json"])
    assert res.exit_code == 3
    doc = json.loads(res.stdout)
    assert doc["infeasible"][0]["earliest_arrival"] == "2024-01-18"
    assert doc["infeasible"][0]["blocking_service"] == "sea"


def test_unreachable_destination_explained(tmp_path: Path) -> None:
    orders = [
        *ORDERS,
        {
            "id": "O4",
            "origin": "DWH",
            "dest": "WH",
            "value": 1,
            "volume_m3": 1,
            "ready_date": "2024-01-02",
            "due_date": "2024-01-09",
        },
    ]
    plan = route(read_orders_scenario(write_scenario(tmp_path, orders=orders)))
    (bad,) = plan.infeasible
    assert bad.earliest_arrival is None and "no chain of services" in bad.reason


# --- bad input -> exit 2, field named --------------------------------------------------


def _svc(i: int, **kw: Any) -> list[dict[str, Any]]:
    s = copy.deepcopy(SERVICES)
    s[i].update(kw)
    return s


def _ord(i: int, **kw: Any) -> list[dict[str, Any]]:
    o = copy.deepcopy(ORDERS)
    o[i].update(kw)
    return o


BAD = [
    ("unknown weekday", _svc(1, departure_days="Wed Funday"), None, "departure_days", "Funday"),
    ("never departs", _svc(1, departure_days=""), None, "departure_days", "never departs"),
    (
        "bad departure date",
        _svc(1, departure_dates="2024-13-01"),
        None,
        "departure_dates",
        "not a date",
    ),
    ("zero container", _svc(0, container_m3=0), None, "container_m3", "out of range"),
    ("duty above 1", _svc(1, transit_duty_rate=5), None, "transit_duty_rate", "out of range"),
    (
        "conflicting dwell",
        [*SERVICES, {**SERVICES[0], "id": "t2", "warehouse_cost_m3_day": 3}],
        None,
        "warehouse_cost_m3_day",
        "conflicts",
    ),
    ("due before ready", None, _ord(0, due_date="2023-12-30"), "due_date", "due before ready"),
    ("bad date", None, _ord(0, ready_date="01/02/2024"), "ready_date", "not a date"),
    ("unknown node", None, _ord(1, origin="WHX"), "origin", "did you mean 'WH'"),
    ("negative volume", None, _ord(0, volume_m3=-3), "volume_m3", "out of range"),
    ("not a number", None, _ord(0, value="lots"), "value", "not a number"),
    ("duplicate id", None, _ord(1, id="O1"), "id", "duplicate order id"),
    ("bad flag", None, _ord(1, splittable="maybe"), "splittable", "yes/no"),
]


@pytest.mark.parametrize(
    ("case", "services", "orders", "field", "text"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_input_exit_2(
    tmp_path: Path, case: str, services: Any, orders: Any, field: str, text: str
) -> None:
    path = write_scenario(tmp_path, services, orders)
    res = CliRunner().invoke(main, ["route", str(path)])
    assert res.exit_code == 2, res.output
    assert f"field '{field}'" in res.stderr
    assert text in res.stderr
    assert "Traceback" not in res.output


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path, _svc(1, departure_days="Wed Funday"), _ord(0, due_date="2023-12-30", volume_m3=-1)
    )
    with pytest.raises(InputError) as err:
        read_orders_scenario(path)
    fields = {p.field for p in err.value.problems}
    assert {"departure_days", "due_date", "volume_m3"} <= fields


def test_csv_scenario_rows_are_numbered(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text(
        (HZJKEN / "services.csv").read_text().replace(",Mon Wed\n", ",Mon Wdn\n", 1)
    )
    orders = (HZJKEN / "orders.csv").read_text().splitlines(keepends=True)
    orders[2] = orders[2].replace(",2018-02-02,", ",2018-02-31,", 1)  # file line 3
    (tmp_path / "o.csv").write_text("".join(orders))
    (tmp_path / "sc.yaml").write_text("services: s.csv\norders: o.csv\n")
    with pytest.raises(InputError) as err:
        read_orders_scenario(tmp_path / "sc.yaml")
    p, q = err.value.problems
    # lines as a spreadsheet numbers them: the header is line 1, the first data row line 2
    assert (p.row, p.field, p.value) == (2, "departure_days", "Wdn")
    assert p.file.endswith("s.csv")
    assert (q.row, q.field, q.value) == (3, "ready_date", "2018-02-31")
    assert q.file.endswith("o.csv")


def test_hzjken_option_and_missing_scenario(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["route"])
    assert res.exit_code == 2
    res = CliRunner().invoke(main, ["route", "--hzjken", str(tmp_path)])
    assert res.exit_code == 2 and "file not found" in res.stderr


def test_greedy_warm_start_is_feasible(tmp_path: Path) -> None:
    from optimizer.orders.expand import Timetable, order_arcs
    from optimizer.orders.heuristic import greedy_values
    from optimizer.orders.model import build_model

    for path in (HZJKEN / "scenario.yaml", write_scenario(tmp_path)):
        sc = read_orders_scenario(path)
        tt = Timetable(sc.services, sc.first_day, (sc.last_day - sc.first_day).days)
        arcs = [order_arcs(tt, sc, k) for k in range(len(sc.orders))]
        rm = build_model(sc, tt, arcs)
        values = greedy_values(sc, arcs, rm)
        assert values is not None
        for index, coef, lo, hi in rm.mip.rows:
            lhs = sum(c * values[i] for i, c in zip(index, coef, strict=True))
            assert lo - 1e-9 <= lhs <= hi + 1e-9


def test_raw_hzjken_rows_are_numbered_as_file_lines(tmp_path: Path) -> None:
    """A bad cell in the first data row of the published CSVs is reported on line 2."""
    from optimizer.orders.hzjken import ORDERS, ROUTES, read_hzjken

    (tmp_path / ROUTES).write_text("Route Number,Source\n1,Singapore Port\n")
    (tmp_path / ORDERS).write_text("Order Number,Ship From\nA,x\nB,y\n")
    with pytest.raises(InputError) as err:
        read_hzjken(tmp_path)
    rows = {(Path(p.file).name, p.row) for p in err.value.problems}
    assert rows == {(ROUTES, 2), (ORDERS, 2), (ORDERS, 3)}
