"""What changed between two plans, and why: the comparison as JSON-ready data.

Per demand, the cost lines that moved say *what* moved; where a side's scenario is
known, its route re-costed under the other side's inputs says *why* the optimizer
switched (the old route's new price against the new route's, objective terms
included), and the customs rules in force on each plan date say which rule did it.
"""

from __future__ import annotations

from typing import Any

from optimizer.compare.inputs import Side
from optimizer.network.records import Network
from optimizer.plan.metrics import COST_LINES, PATTERNS, plan_metrics
from optimizer.routes.candidates import Route
from optimizer.scenario.records import Pattern, Scenario

COMPARE_FORMAT_VERSION = 1
#: Headline figures side by side: (key in plan metrics, label, unit).
TOTALS = (
    ("cost_per_order", "landed cost per order", "money"),
    ("freight_per_order", "  freight", "money"),
    ("handling_per_order", "  handling", "money"),
    ("duties_taxes_per_order", "  duties & taxes", "money"),
    ("inventory_per_order", "  inventory", "money"),
    ("cost_per_week", "landed cost per week", "money"),
    ("objective", "objective per week (cost + time + CO2e prices)", "money"),
    ("orders_per_week", "orders served per week", "orders"),
    ("unmet_orders_per_week", "orders unmet per week", "orders"),
    ("p50_days", "P50 lead time, days (order-weighted)", "days"),
    ("p90_days", "P90 lead time, days (order-weighted)", "days"),
    ("on_time_share", "on-time share (estimate)", "share"),
    ("co2e_kg_per_order", "kg CO2e per order", "kg"),
    ("co2e_t_per_week", "t CO2e per week", "t"),
    ("stock_orders_per_week", "orders per week served from stock", "orders"),
    *((f"share_{p}", f"{p} share", "share") for p in PATTERNS),
    ("lanes_used", "lanes used", "count"),
    ("containers_per_week", "containers / vehicles per week", "count"),
)
LINE_NAMES = {
    "freight": "freight",
    "handling": "handling",
    "duties_taxes": "duties & taxes",
    "inventory": "inventory",
}
#: Moves smaller than this (money per order) are not called a change.
EPS = 0.005
#: Modes that feed a route (left out when a route is named by its line-haul legs).
FEEDERS = ("truck", "last_mile")


def compare(a: Side, b: Side) -> dict[str, Any]:
    """The comparison of plan ``a`` (before) and plan ``b`` (after)."""
    ma, mb = plan_metrics(a.doc), plan_metrics(b.doc)
    totals = [
        {
            "metric": key,
            "label": label,
            "unit": unit,
            "a": ma.get(key),
            "b": mb.get(key),
            "delta": _delta(ma.get(key), mb.get(key)),
        }
        for key, label, unit in TOTALS
    ]
    demands = _demands(a, b)
    lanes = _lanes(a.doc, b.doc)
    rules = _rules(a, b)
    out = {
        "format_version": COMPARE_FORMAT_VERSION,
        "currency": b.doc.get("currency"),
        "notes": _notes(a, b),
        "a": _side(a),
        "b": _side(b),
        "totals": totals,
        "demands": demands,
        "lanes": lanes,
        "customs_rules": rules,
    }
    out["headline"] = _headline(out, ma, mb)
    return out


def _side(s: Side) -> dict[str, Any]:
    return {
        "label": s.label,
        "source": s.source,
        "scenario": s.doc.get("scenario"),
        "plan_date": s.doc.get("plan_date"),
        "currency": s.doc.get("currency"),
        "status": s.doc.get("status"),
        "what_ifs": list(s.what_ifs) if s.what_ifs_known else None,
    }


def _notes(a: Side, b: Side) -> list[str]:
    notes = []
    if a.doc.get("currency") != b.doc.get("currency"):
        notes.append(
            f"the plans report in different currencies ({a.doc.get('currency')} and "
            f"{b.doc.get('currency')}); figures are not converted"
        )
    for s in (a, b):
        if s.scenario is None:
            notes.append(
                f"{s.label}: no scenario beside the plan, so its routes are not re-costed under "
                "the other side's inputs (give the scenario .yaml instead)"
            )
    return notes


def line_haul(allocation: dict[str, Any]) -> list[str]:
    """An allocation's legs other than feeders, as ``lane (mode)`` (all legs if only feeders)."""
    legs = list(zip(allocation["legs"], allocation["modes"], strict=True))
    main = [(leg, mode) for leg, mode in legs if mode not in FEEDERS] or legs
    return [f"{leg} ({mode})" for leg, mode in main]


def _delta(x: Any, y: Any) -> float | None:
    if isinstance(x, int | float) and isinstance(y, int | float):
        return float(y) - float(x)
    return None


def _allocations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in doc.get("demands", [])}


def _mix(demand: dict[str, Any] | None) -> dict[str, Any]:
    """A demand's pattern shares, cost lines per order (order-weighted) and routes."""
    if demand is None:
        return {"shares": {}, "cost": {}, "routes": [], "customs": []}
    total = float(demand["orders_per_week"]) or 1.0
    served = sum(float(x["orders"]) for x in demand["allocations"]) or 1.0
    shares = dict.fromkeys(PATTERNS, 0.0)
    cost = dict.fromkeys((*COST_LINES, "total"), 0.0)
    routes = []
    for x in demand["allocations"]:
        n = float(x["orders"])
        shares[x["pattern"]] += n / total
        for line in (*COST_LINES, "total"):
            cost[line] += n / served * x["cost_per_order"][line]
        routes.append(
            {
                "pattern": x["pattern"],
                "share": x["share"],
                "legs": x["legs"],
                "modes": x["modes"],
                "line_haul": line_haul(x),
                "p90_days": x["lead_time_days"]["p90"],
                "cost_per_order": x["cost_per_order"]["total"],
                "customs": x["customs"],
            }
        )
    shares["unmet"] = float(demand.get("unmet_orders") or 0.0) / total
    customs = sorted({x["customs"] for x in demand["allocations"]})
    return {"shares": shares, "cost": cost, "routes": routes, "customs": customs}


def _demands(a: Side, b: Side) -> list[dict[str, Any]]:
    da, db = _allocations(a.doc), _allocations(b.doc)
    out = []
    for demand_id in sorted(set(da) | set(db), key=lambda d: (d not in da, d)):
        xa, xb = _mix(da.get(demand_id)), _mix(db.get(demand_id))
        keys_a = {(r["pattern"], tuple(r["legs"])) for r in xa["routes"]}
        keys_b = {(r["pattern"], tuple(r["legs"])) for r in xb["routes"]}
        moved = {
            line: xb["cost"].get(line, 0.0) - xa["cost"].get(line, 0.0)
            for line in (*COST_LINES, "total")
            if demand_id in da and demand_id in db
        }
        changed = keys_a != keys_b or any(
            abs(xa["shares"].get(p, 0.0) - xb["shares"].get(p, 0.0)) > 1e-6 for p in xa["shares"]
        )
        entry = {
            "id": demand_id,
            "in": "both"
            if demand_id in da and demand_id in db
            else ("a" if demand_id in da else "b"),
            "route_changed": changed,
            "shares": {
                p: [xa["shares"].get(p, 0.0), xb["shares"].get(p, 0.0)]
                for p in (*PATTERNS, "unmet")
            },
            "cost_per_order": {
                line: [xa["cost"].get(line), xb["cost"].get(line), moved.get(line)]
                for line in (*COST_LINES, "total")
            },
            "routes_a": xa["routes"],
            "routes_b": xb["routes"],
            "why": _why(demand_id, a, b, xa, xb, moved, changed),
        }
        out.append(entry)
    return out


def _why(
    demand_id: str,
    a: Side,
    b: Side,
    xa: dict[str, Any],
    xb: dict[str, Any],
    moved: dict[str, float],
    changed: bool,
) -> list[str]:
    """Sentences: pattern moves, the cost lines that moved, customs, the re-costed old route."""
    why = []
    if not xa["routes"] or not xb["routes"]:
        return [f"demand only in {'B' if not xa['routes'] else 'A'}"]
    if changed:
        before = ", ".join(f"{p} {s:.0%}" for p, s in xa["shares"].items() if s > 1e-6)
        after = ", ".join(f"{p} {s:.0%}" for p, s in xb["shares"].items() if s > 1e-6)
        if before != after:
            why.append(f"pattern changed: {before} → {after}")
        legs_a = {leg for r in xa["routes"] for leg in r["legs"]}
        legs_b = {leg for r in xb["routes"] for leg in r["legs"]}
        why.append(
            "legs "
            + (f"dropped: {', '.join(sorted(legs_a - legs_b))}" if legs_a - legs_b else "")
            + ("; " if legs_a - legs_b and legs_b - legs_a else "")
            + (f"added: {', '.join(sorted(legs_b - legs_a))}" if legs_b - legs_a else "")
            if legs_a != legs_b
            else "same legs, other shares"
        )
    lines = sorted(
        ((line, d) for line, d in moved.items() if line != "total" and abs(d) >= EPS),
        key=lambda x: -abs(x[1]),
    )
    if lines:
        why.append(
            f"cost per order {xa['cost']['total']:.2f} → {xb['cost']['total']:.2f}: "
            + ", ".join(f"{LINE_NAMES[line]} {d:+.2f}" for line, d in lines)
        )
    if xa["customs"] != xb["customs"]:
        why.append(f"customs: {' | '.join(xa['customs'])} → {' | '.join(xb['customs'])}")
    if changed:
        why += _recost(demand_id, a, b)
    return why


def _recost(demand_id: str, a: Side, b: Side) -> list[str]:
    """A's routes priced with B's inputs, against B's own choice (objective per order)."""
    if b.scenario is None or b.network is None:
        return []
    scenario, network = b.scenario, b.network
    demand = next((d for d in scenario.demands if d.id == demand_id), None)
    old = _allocations(a.doc).get(demand_id)
    new = _allocations(b.doc).get(demand_id)
    if demand is None or old is None or new is None:
        return []
    per = network.from_usd(1.0, scenario.currency)
    best_new = _price(
        network, scenario, demand_id, max(new["allocations"], key=lambda x: x["orders"])
    )
    out = []
    for x in old["allocations"]:
        priced = _price(network, scenario, demand_id, x)
        route = " > ".join(line_haul(x))
        if isinstance(priced, str):
            out.append(f"A's {x['pattern']} route via {route} is not available under B: {priced}")
            continue
        now = {line: getattr(priced[0], line) * per for line in COST_LINES}
        lines = ", ".join(
            f"{LINE_NAMES[line]} {x['cost_per_order'][line]:.2f} → {now[line]:.2f}"
            for line in COST_LINES
            if abs(now[line] - x["cost_per_order"][line]) >= EPS
        )
        text = (
            f"A's {x['pattern']} route via {route} under B's inputs: "
            f"{priced[0].total * per:.2f} per order ({lines or 'no line moved'}); "
            f"objective {priced[1] * per:.2f} per order (containers full)"
        )
        if not isinstance(best_new, str):
            text += (
                f" against {best_new[1] * per:.2f} for B's {new['allocations'][0]['pattern']} route"
            )
        out.append(text)
    return out


def _price(
    network: Network, scenario: Scenario, demand_id: str, allocation: dict[str, Any]
) -> tuple[Any, float] | str:
    """(cost split in USD, objective per order in USD incl. full containers) or why not."""
    from optimizer.routes.evaluate import evaluate
    from optimizer.solve.flow_model import option_unit_cost

    legs = tuple(allocation["legs"])
    missing = [leg for leg in legs if leg not in network.lane_by_id]
    if missing:
        return f"lane {missing[0]} is closed"
    stock = allocation.get("stock_node")
    cut = 0
    if stock:
        cut = next(
            (i + 1 for i, leg in enumerate(legs) if network.lane_by_id[leg].dest == stock), 0
        )
    route = Route(Pattern(allocation["pattern"]), legs[:cut], legs[cut:], stock or None)
    demand = next(d for d in scenario.demands if d.id == demand_id)
    option = evaluate(
        network,
        demand,
        route,
        day=scenario.plan_date,
        inventory=scenario.inventory,
        over_limit_share=scenario.options.cbec_over_limit_share,
    )
    if not option.ok:
        return option.reason
    containers = sum(c.share() * c.container_cost_usd for c in option.containers)
    return option.cost, option_unit_cost(option, scenario) + containers


def _lanes(da: dict[str, Any], db: dict[str, Any]) -> dict[str, Any]:
    la = {u["lane"]: u for u in da.get("lanes", [])}
    lb = {u["lane"]: u for u in db.get("lanes", [])}

    def brief(u: dict[str, Any]) -> dict[str, Any]:
        return {"lane": u["lane"], "mode": u["mode"], "kg": u["kg"], "containers": u["containers"]}

    return {
        "opened": [brief(lb[k]) for k in sorted(set(lb) - set(la))],
        "closed": [brief(la[k]) for k in sorted(set(la) - set(lb))],
        "containers_changed": [
            {"lane": k, "mode": lb[k]["mode"], "a": la[k]["containers"], "b": lb[k]["containers"]}
            for k in sorted(set(la) & set(lb))
            if la[k]["containers"] != lb[k]["containers"]
        ],
    }


def _rules(a: Side, b: Side) -> dict[str, Any] | None:
    """Customs rules of the plans' markets in force on one plan date and not the other."""
    if a.network is None or b.network is None or a.scenario is None or b.scenario is None:
        return None
    territories = sorted(
        {a.network.territory_of(d.market) for d in a.scenario.demands}
        | {b.network.territory_of(d.market) for d in b.scenario.demands}
    )
    day_a, day_b = a.scenario.plan_date, b.scenario.plan_date
    ra = {
        r.id: r for r in a.network.customs_rules if r.territory in territories and r.in_force(day_a)
    }
    rb = {
        r.id: r for r in b.network.customs_rules if r.territory in territories and r.in_force(day_b)
    }

    def brief(rule: Any) -> dict[str, Any]:
        return {
            "id": rule.id,
            "territory": rule.territory,
            "channel": rule.channel.value,
            "valid_from": rule.valid_from.isoformat(),
            "valid_to": rule.valid_to.isoformat() if rule.valid_to else None,
            "note": rule.note,
        }

    return {
        "territories": territories,
        "only_a": [brief(ra[k]) for k in sorted(set(ra) - set(rb))],
        "only_b": [brief(rb[k]) for k in sorted(set(rb) - set(ra))],
    }


def _main(demand: dict[str, Any], side: int) -> str:
    """The pattern with the largest share of a demand on side 0 (A) or 1 (B)."""
    return max(demand["shares"], key=lambda p: demand["shares"][p][side])


def _headline(out: dict[str, Any], ma: dict[str, Any], mb: dict[str, Any]) -> list[str]:
    """A few sentences a planner reads first."""
    cur = out["currency"] or ""
    lines = []
    a, b = out["a"], out["b"]
    if a["plan_date"] != b["plan_date"]:
        lines.append(f"Plan date {a['plan_date']} → {b['plan_date']}.")
    ca, cb = ma.get("cost_per_order"), mb.get("cost_per_order")
    if ca is not None and cb is not None:
        rel = f" ({(cb - ca) / ca:+.1%})" if ca else ""
        moves = sorted(
            (
                (LINE_NAMES[line], (mb[f"{line}_per_order"] or 0) - (ma[f"{line}_per_order"] or 0))
                for line in COST_LINES
            ),
            key=lambda x: -abs(x[1]),
        )
        lines.append(
            f"Landed cost per order {ca:.2f} → {cb:.2f} {cur}{rel}; "
            + ", ".join(f"{name} {d:+.2f}" for name, d in moves if abs(d) >= EPS)
            + "."
        )
    elif ca is None or cb is None:
        lines.append(f"Status {a['status']} → {b['status']}.")
    switched = [d for d in out["demands"] if d["route_changed"]]
    if switched:
        parts = []
        for d in switched:
            pa, pb = _main(d, 0), _main(d, 1)
            parts.append(f"{d['id']} ({pa} → {pb})" if pa != pb else f"{d['id']} (new route)")
        lines.append(
            f"{len(switched)} of {len(out['demands'])} demands changed route: "
            + "; ".join(parts)
            + "."
        )
    else:
        lines.append("No demand changed route.")
    for d in switched[:3]:
        priced = [w for w in d["why"] if w.startswith("A's ") and "under B's inputs" in w]
        if priced and d["shares"] and _main(d, 0) != _main(d, 1):
            lines.append(f"Why {d['id']} moved: " + priced[0] + ".")
    rules = out["customs_rules"]
    if rules and (rules["only_a"] or rules["only_b"]):
        ended = ", ".join(f"{r['id']} (to {r['valid_to']})" for r in rules["only_a"])
        started = ", ".join(f"{r['id']} (from {r['valid_from']})" for r in rules["only_b"])
        lines.append(
            "Customs rules: "
            + "; ".join(
                x
                for x in (
                    f"in force for A only: {ended}" if ended else "",
                    f"in force for B only: {started}" if started else "",
                )
                if x
            )
            + "."
        )
    for key, label, fmt in (
        ("p90_days", "P90 lead time", ".1f"),
        ("co2e_kg_per_order", "kg CO2e per order", ".2f"),
    ):
        x, y = ma.get(key), mb.get(key)
        if x is not None and y is not None and abs(y - x) > 1e-9:
            lines.append(f"{label} {format(x, fmt)} → {format(y, fmt)}.")
    return lines
