"""Plan outputs: plan.json, timings.json, allocations.csv, lanes.csv, routes.geojson, map.png.

Money is written in the scenario's currency (``plan.per_usd`` units per USD);
every file is written atomically (temporary file + rename). plan.json (and
``xborder run --json``) holds only what the inputs and seed decide, so identical
runs give identical bytes; how long the solve took goes to timings.json
(docs/outputs.md). Schema: docs/schemas/plan.schema.json.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from optimizer.io.atomic import write_text, write_with
from optimizer.network.records import Network
from optimizer.plan.records import Plan, StockPosition

#: 2: solve_seconds moved to timings.json; stock of warehouse allocations added; assumed_fees
#: (totals, cost_per_order), fee_assumption per allocation and the applied what_ifs added.
PLAN_FORMAT_VERSION = 2
TIMINGS_FORMAT_VERSION = 1


def _money(plan: Plan, usd: float | None) -> float | None:
    return None if usd is None else round(usd * plan.per_usd, 6)


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (the contract of plan.json and ``--json``)."""
    m = plan.per_usd
    totals = None
    if plan.totals is not None:
        t = plan.totals
        totals = {
            "cost": t.cost * m,
            "freight": t.freight * m,
            "handling": t.handling * m,
            "duties_taxes": t.duties_taxes * m,
            "assumed_fees": t.assumed_fees * m,
            "inventory": t.inventory * m,
            "co2e_kg": t.co2e_kg,
            "orders": t.orders,
            "unmet_orders": t.unmet_orders,
            "unmet_penalty": t.unmet_penalty * m,
            "value_of_time": t.value_of_time * m,
            "co2e_cost": t.co2e_cost * m,
            "cost_per_order": t.cost * m / t.orders if t.orders else None,
        }
    demands = []
    for d in plan.demands:
        allocations = []
        for a in d.allocations:
            c = a.cost_per_order
            allocations.append(
                {
                    "pattern": a.pattern,
                    "share": a.share,
                    "orders": a.orders,
                    "legs": list(a.lanes),
                    "modes": list(a.modes),
                    "carriers": list(a.carriers),
                    "stock_node": a.stock_node,
                    "lead_time_days": {"p50": a.p50_days, "p90": a.p90_days, "mean": a.mean_days},
                    "cost_per_order": {
                        "freight": c.freight * m,
                        "handling": c.handling * m,
                        "duties_taxes": c.duties_taxes * m,
                        "assumed_fees": c.assumed_fees * m,
                        "inventory": c.inventory * m,
                        "total": c.total * m,
                    },
                    "fee_assumption": a.fee_assumption,
                    "co2e_kg_per_order": a.co2e_kg_per_order,
                    "customs": a.customs,
                    "stock": stock_dict(a.stock, m),
                }
            )
        demands.append(
            {
                "id": d.id,
                "origin": d.origin,
                "market": d.market,
                "hs_code": d.hs_code,
                "orders_per_week": d.orders_per_week,
                "sla_days": d.sla_days,
                "unmet_orders": d.unmet_orders,
                "reasons": list(d.reasons),
                "allocations": allocations,
            }
        )
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "scenario": plan.scenario,
        "plan_date": plan.plan_date,
        "currency": plan.currency,
        "fx": None if plan.fx is None else plan.fx.to_dict(),
        "period": "week",
        "status": plan.status,
        "objective": _money(plan, plan.objective),
        "bound": _money(plan, plan.bound),
        "gap": plan.gap,
        "candidates": plan.candidates,
        "totals": totals,
        "demands": demands,
        "lanes": [
            {
                "lane": u.lane,
                "mode": u.mode,
                "carrier": u.carrier,
                "kg": u.kg,
                "m3": u.m3,
                "containers": u.containers,
                "utilization": u.utilization,
                "cost": u.cost_usd * m,
            }
            for u in plan.lanes
        ],
        "notes": list(plan.notes),
        "what_ifs": [
            {
                "what": w.what,
                "target": w.target,
                "change": w.change,
                "lanes": w.lanes,
                "nodes": w.nodes,
                "rules": w.rules,
            }
            for w in plan.what_ifs
        ],
    }


def stock_dict(stock: StockPosition | None, per_usd: float) -> dict[str, Any] | None:
    """The stock a warehouse allocation presumes: units (orders) and value (currency)."""
    if stock is None:
        return None
    value = stock.unit_value_usd * per_usd
    return {
        "replenishment_lead_time_days": {
            "p50": stock.bulk_p50_days,
            "p90": stock.bulk_p90_days,
            "mean": stock.bulk_mean_days,
        },
        "replenishment_interval_days": stock.replenishment_days,
        "units": {
            "pipeline": stock.pipeline_units,
            "cycle": stock.cycle_units,
            "safety": stock.safety_units,
            "total": stock.units,
        },
        "value": {
            "pipeline": stock.pipeline_units * value,
            "cycle": stock.cycle_units * value,
            "safety": stock.safety_units * value,
            "total": stock.units * value,
        },
    }


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_dict(plan), indent=2, sort_keys=False) + "\n"


def timings_dict(plan: Plan) -> dict[str, Any]:
    """What varies from run to run (timings.json), kept out of plan.json."""
    return {"format_version": TIMINGS_FORMAT_VERSION, "solve_seconds": plan.solve_seconds}


ALLOCATION_COLUMNS = (
    "demand",
    "pattern",
    "share",
    "orders_per_week",
    "legs",
    "modes",
    "carriers",
    "stock_node",
    "p50_days",
    "p90_days",
    "freight",
    "handling",
    "duties_taxes",
    "inventory",
    "cost_per_order",
    "co2e_kg_per_order",
    "customs",
    "bulk_p50_days",
    "bulk_p90_days",
    "pipeline_stock_units",
    "cycle_stock_units",
    "safety_stock_units",
    "pipeline_stock_value",
    "cycle_stock_value",
    "safety_stock_value",
)


def _stock_cells(stock: StockPosition | None, per_usd: float) -> list[str]:
    if stock is None:
        return [""] * 8
    value = stock.unit_value_usd * per_usd
    units = (stock.pipeline_units, stock.cycle_units, stock.safety_units)
    return [
        f"{stock.bulk_p50_days:.2f}",
        f"{stock.bulk_p90_days:.2f}",
        *(f"{u:.4f}" for u in units),
        *(f"{u * value:.2f}" for u in units),
    ]


def _write_allocations(plan: Plan, fh: IO[str]) -> None:
    w = csv.writer(fh)
    w.writerow(ALLOCATION_COLUMNS)
    m = plan.per_usd
    for d in plan.demands:
        for a in d.allocations:
            c = a.cost_per_order
            w.writerow(
                [
                    d.id,
                    a.pattern,
                    f"{a.share:.6f}",
                    f"{a.orders:.4f}",
                    " > ".join(a.lanes),
                    " > ".join(a.modes),
                    " > ".join(a.carriers),
                    a.stock_node or "",
                    f"{a.p50_days:.2f}",
                    f"{a.p90_days:.2f}",
                    f"{c.freight * m:.4f}",
                    f"{c.handling * m:.4f}",
                    f"{c.duties_taxes * m:.4f}",
                    f"{c.inventory * m:.4f}",
                    f"{c.total * m:.4f}",
                    f"{a.co2e_kg_per_order:.4f}",
                    a.customs,
                    *_stock_cells(a.stock, m),
                ]
            )
        if d.unmet_orders > 0:
            w.writerow(
                [
                    d.id,
                    "unmet",
                    f"{d.unmet_orders / d.orders_per_week:.6f}",
                    f"{d.unmet_orders:.4f}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "; ".join(d.reasons),
                    *_stock_cells(None, m),
                ]
            )


def _write_lanes(plan: Plan, network: Network, fh: IO[str]) -> None:
    w = csv.writer(fh)
    w.writerow(
        [
            "lane",
            "from",
            "to",
            "mode",
            "carrier",
            "kg_per_week",
            "m3_per_week",
            "containers_per_week",
            "utilization",
            "container_cost_per_week",
        ]
    )
    for u in plan.lanes:
        lane = network.lane_by_id[u.lane]
        w.writerow(
            [
                u.lane,
                lane.origin,
                lane.dest,
                u.mode,
                u.carrier,
                f"{u.kg:.3f}",
                f"{u.m3:.4f}",
                "" if u.containers is None else u.containers,
                "" if u.utilization is None else f"{u.utilization:.4f}",
                f"{u.cost_usd * plan.per_usd:.2f}",
            ]
        )


def routes_geojson(plan: Plan, network: Network) -> dict[str, Any]:
    """One feature per allocation: its lanes' geometries as a MultiLineString.

    Each lane's coordinates are computed once per call (thousands of allocations
    share a few hundred lanes): what ``shapely.geometry.mapping`` of the
    MultiLineString gives, without building one per allocation.
    """
    from optimizer.network.geometry import lane_geometry

    coords: dict[str, tuple[tuple[float, ...], ...]] = {}
    for lane_id in sorted({x for d in plan.demands for a in d.allocations for x in a.lanes}):
        line = lane_geometry(network, network.lane_by_id[lane_id])
        coords[lane_id] = tuple(tuple(c) for c in line.coords)
    features = []
    for d in plan.demands:
        for a in d.allocations:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "MultiLineString",
                        "coordinates": tuple(coords[x] for x in a.lanes),
                    },
                    "properties": {
                        "demand": d.id,
                        "pattern": a.pattern,
                        "share": a.share,
                        "orders_per_week": a.orders,
                        "legs": " > ".join(a.lanes),
                        "modes": " > ".join(a.modes),
                        "p50_days": a.p50_days,
                        "p90_days": a.p90_days,
                        "cost_per_order": a.cost_per_order.total * plan.per_usd,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def write_plan(
    plan: Plan, network: Network, out_dir: str | Path, *, map_png: bool = True, geojson: bool = True
) -> list[Path]:
    """Write every plan file into ``out_dir``; return their paths.

    Without a map (``map_png`` False, or no lane used) a map.png left by an earlier
    run is removed, so the folder never mixes this plan with an older picture; the same
    for routes.geojson with ``geojson=False``, which leaves it out (and its geometry
    libraries: about 2 s of imports and sea-route tracing in a fresh process, which sweeps
    skip by default).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "plan.json", out / "allocations.csv", out / "lanes.csv"]
    write_text(paths[0], plan_json(plan))
    paths.append(out / "timings.json")
    write_text(paths[-1], json.dumps(timings_dict(plan), indent=2) + "\n")
    write_with(paths[1], lambda fh: _write_allocations(plan, fh))
    write_with(paths[2], lambda fh: _write_lanes(plan, network, fh))
    if geojson:
        paths.append(out / "routes.geojson")
        write_text(paths[-1], json.dumps(routes_geojson(plan, network)) + "\n")
    else:
        (out / "routes.geojson").unlink(missing_ok=True)  # never beside another plan
    if map_png and plan.lanes:
        from optimizer.maps import draw_network_map

        kg = {u.lane: u.kg for u in plan.lanes}
        top = max(kg.values()) or 1.0
        widths = {lane: 0.8 + 5.0 * (v / top) ** 0.5 for lane, v in kg.items()}
        paths.append(
            draw_network_map(
                network,
                out / "map.png",
                lanes=sorted(kg),
                widths=widths,
                title=f"{plan.scenario}: chosen routes (width by weekly kg)",
            )
        )
    else:
        (out / "map.png").unlink(missing_ok=True)
    return paths
