"""Order routing on a network's scheduled lanes (issue 7): schedules in the network format,
lane -> scheduled-service conversion, the shipped ``global_month`` example, exit codes.

Kept fast: the example's ten orders solve in a few seconds; the other cases read the
tiny test network or route a single order.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli.main import main
from optimizer.costing.tariff import container_cost_usd
from optimizer.network.checks import canonical_weekdays
from optimizer.network.reader import read_network
from optimizer.network.records import Network
from optimizer.orders.network import NetworkOptions, journey_tax_rate, lane_service
from optimizer.orders.planner import route
from optimizer.orders.reader import read_orders_scenario

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "data" / "tiny"
GLOBAL = REPO / "networks" / "global"
EXAMPLE = REPO / "scenarios" / "orders" / "global_month.yaml"


def _tiny_with_schedules(target: Path, weekdays: dict[str, str]) -> Path:
    """A copy of the tiny network whose lanes.csv gains ``departure_weekdays`` cells."""
    shutil.copytree(TINY, target)
    path = target / "lanes.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = [*rows[0].keys(), "departure_weekdays", "cutoff_hours"]
    for row in rows:
        row["departure_weekdays"] = weekdays.get(row["id"], "")
        row["cutoff_hours"] = "48" if row["id"] == "L_SEA" else ""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return target


# --------------------------------------------------------------------------- network format
def test_weekdays_are_read_canonically(tmp_path: Path) -> None:
    net = read_network(_tiny_with_schedules(tmp_path / "tiny", {"L_SEA": "thursday"}))
    sea = net.lane_by_id["L_SEA"]
    assert (sea.departure_weekdays, sea.weekdays, sea.cutoff_hours) == ("Thu", (3,), 48.0)
    assert net.lane_by_id["L_TRK"].departure_weekdays == ""
    assert canonical_weekdays("sun, Mon;WED") == "Mon;Wed;Sun"


@pytest.mark.parametrize(
    ("cell", "fragments"),
    [
        ("Thu;Funday", ["unknown weekday", "'Funday'", "Mon;Tue;Wed;Thu;Fri;Sat;Sun"]),
        ("Mon;Thu", ["2 departure weekday(s) but departures_per_week is 1", "'Mon;Thu'"]),
    ],
)
def test_bad_weekday_exits_2_naming_file_line_field(
    tmp_path: Path, cell: str, fragments: list[str]
) -> None:
    net = _tiny_with_schedules(tmp_path / "tiny", {"L_SEA": cell})
    result = CliRunner().invoke(main, ["validate", str(net)])
    assert result.exit_code == 2, result.output
    where = f"{net / 'lanes.csv'}, line 5, field 'departure_weekdays'"
    line = next((ln for ln in result.stderr.splitlines() if where in ln), None)
    assert line is not None, result.stderr
    for fragment in fragments:
        assert fragment in line, line


def test_global_network_schedules_match_frequencies(global_network: Network) -> None:
    net = global_network
    assert all(len(lane.weekdays) == lane.departures_per_week for lane in net.lanes)
    sea = net.lane_by_id["FCL-CNSHA-USLAX"]
    assert len(sea.weekdays) == 2 and sea.cutoff_hours == 48


# --------------------------------------------------------------------------- conversion
def test_container_lane_becomes_a_scheduled_service(tmp_path: Path) -> None:
    net = read_network(_tiny_with_schedules(tmp_path / "tiny", {"L_SEA": "Wed"}))
    s = lane_service(net, net.lane_by_id["L_SEA"], density_kg_per_m3=200.0)
    tariff = net.tariff_by_id["T_FEU"]
    assert s.container_m3 == 60 and s.fixed_cost_per_departure == 0
    assert s.cost_per_container == pytest.approx(container_cost_usd(tariff, net))
    # PS (CN) -> PD (US) enters another territory: 16 d transit + 2 d clearance at PD
    assert s.lead_days == 18
    assert s.cutoff_days == 2  # max(48 h cut-off, 2 d handling at PS)
    assert s.weekdays == frozenset({2})
    assert s.warehouse_cost_per_m3_day == 0.5  # terminal dwell at the port
    trk = lane_service(net, net.lane_by_id["L_TRK"], density_kg_per_m3=200.0)
    assert trk.weekdays == frozenset(range(7))  # no fixed weekdays = every day
    assert (trk.lead_days, trk.cutoff_days) == (1, 1)


# --------------------------------------------------------------------------- routing
def test_global_month_example_routes_on_scheduled_departures(global_network: Network) -> None:
    sc = read_orders_scenario(EXAMPLE)
    plan = route(sc, time_limit_s=60)
    assert plan.status.has_solution and not plan.infeasible
    assert len(plan.orders) == len(sc.orders) == 10
    net = global_network
    lanes = net.lane_by_id
    for order, op in zip(sc.orders, plan.orders, strict=True):
        assert op.tax == pytest.approx(order.value * journey_tax_rate(net, order))
        for part in op.parts:
            assert part.legs[-1].arrive <= order.due
            for leg in part.legs:
                assert leg.depart.weekday() in lanes[leg.service].weekdays
    assert plan.objective == pytest.approx(plan.transport + plan.warehouse + plan.tax)


def _one_order(tmp_path: Path, order: str) -> Path:
    path = tmp_path / "one.yaml"
    path.write_text(f"network: {GLOBAL}\norders:\n  - {order}\n", encoding="utf-8")
    return path


def test_too_tight_deadline_exits_3_naming_the_blocking_lane(tmp_path: Path) -> None:
    # Shanghai -> Los Angeles port to port, ready Monday 2026-03-23. FCL sails Tue;Fri with
    # a 48 h cut-off: Tuesday's boarding day (Sunday) has passed, Friday's sailing arrives
    # 2026-04-14 (16 d + 2 d clearance); daily sailings would arrive 2026-04-12, the due date.
    scenario = _one_order(
        tmp_path,
        "{id: T1, origin: CNSHA, dest: USLAX, commodity: toys, "
        "value: 10000, volume_m3: 30, ready_date: 2026-03-23, "
        "due_date: 2026-04-12}",
    )
    result = CliRunner().invoke(main, ["route", str(scenario)])
    assert result.exit_code == 3, result.output
    assert "FCL-CNSHA-USLAX" in result.output
    assert "earliest possible arrival 2026-04-14" in result.output
    assert "could arrive 2026-04-12" in result.output


def test_unknown_commodity_exits_2_naming_the_field(tmp_path: Path) -> None:
    scenario = _one_order(
        tmp_path,
        "{id: T1, origin: CNSHA, dest: USLAX, commodity: toyz, "
        "value: 10000, volume_m3: 30, ready_date: 2026-03-23, "
        "due_date: 2026-05-12}",
    )
    result = CliRunner().invoke(main, ["route", str(scenario)])
    assert result.exit_code == 2, result.output
    assert "field 'commodity'" in result.stderr and "did you mean 'toys'" in result.stderr


def test_network_options_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"network: {{path: {GLOBAL}, transit: p50, modes: [boat]}}\n"
        "orders:\n  - {id: T1, origin: CNSHA, dest: USLAX, import_tax_rate: 0,"
        " value: 1, volume_m3: 1, ready_date: 2026-03-23, due_date: 2026-05-12}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["route", str(path)])
    assert result.exit_code == 2
    assert "network.transit" in result.stderr and "network.modes" in result.stderr
    assert NetworkOptions().transit == "mean"
