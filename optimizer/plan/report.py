"""Human-readable plan summary for the terminal (money in the scenario currency)."""

from __future__ import annotations

from optimizer.plan.records import Plan


def _fmt(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def render(plan: Plan) -> str:
    m, cur = plan.per_usd, plan.currency
    gap = "-" if plan.gap is None else f"{plan.gap * 100:.3f} %"
    lines = [
        f"Scenario: {plan.scenario}  (plan date {plan.plan_date}, money in {cur} per week)",
        f"Status: {plan.status}   objective {_fmt(_m(plan.objective, m))}   "
        f"bound {_fmt(_m(plan.bound, m))}   gap {gap}   solve {plan.solve_seconds:.2f} s   "
        f"candidates {plan.candidates}",
    ]
    t = plan.totals
    if t is not None:
        per = t.cost * m / t.orders if t.orders else 0.0
        lines += [
            "",
            f"Totals: landed cost {_fmt(t.cost * m)} ({_fmt(per)} per order) = freight "
            f"{_fmt(t.freight * m)} + handling {_fmt(t.handling * m)} + duties & taxes "
            f"{_fmt(t.duties_taxes * m)}"
            + (f" (incl. assumed fees {_fmt(t.assumed_fees * m)})" if t.assumed_fees else "")
            + f" + inventory {_fmt(t.inventory * m)}",
            f"        orders {_fmt(t.orders, 0)} served, {_fmt(t.unmet_orders, 0)} unmet; "
            f"CO2e {_fmt(t.co2e_kg / 1000, 2)} t",
        ]
    header = (
        f"{'demand':<22} {'pattern':<19} {'share':>6} {'orders':>8} {'freight':>8} "
        f"{'handl.':>7} {'duty/tax':>8} {'invent.':>7} {'total':>8} {'P50 d':>6} "
        f"{'P90 d':>6} {'SLA':>5} {'kgCO2e':>7}  route"
    )
    lines += ["", header, "-" * len(header)]
    for d in plan.demands:
        for a in d.allocations:
            c = a.cost_per_order
            route = " > ".join(
                f"{lane}[{mode}]" for lane, mode in zip(a.lanes, a.modes, strict=True)
            )
            lines.append(
                f"{d.id[:22]:<22} {a.pattern:<19} {a.share:>6.1%} {a.orders:>8,.0f} "
                f"{c.freight * m:>8.2f} {c.handling * m:>7.2f} {c.duties_taxes * m:>8.2f} "
                f"{c.inventory * m:>7.2f} {c.total * m:>8.2f} {a.p50_days:>6.1f} "
                f"{a.p90_days:>6.1f} {d.sla_days:>5.1f} {a.co2e_kg_per_order:>7.2f}  {route}"
            )
        if d.unmet_orders > 0:
            lines.append(
                f"{d.id[:22]:<22} {'UNMET':<19} "
                f"{d.unmet_orders / d.orders_per_week:>6.1%} {d.unmet_orders:>8,.0f}  "
                + "; ".join(d.reasons)
            )
    lines += stock_lines(plan)
    customs = sorted({a.customs for d in plan.demands for a in d.allocations if a.customs})
    if customs:
        lines += ["", "Customs treatment applied:"] + [f"  - {c}" for c in customs]
    fees = _assumed_fees(plan)
    if fees:
        lines += [
            "",
            "Assumed fees (in duties & taxes; named in assumptions.csv, "
            "switch off with what_if.assumptions):",
        ]
        lines += [
            f"  - {name}: {_fmt(usd * m)} per week on {_fmt(orders, 0)} orders"
            for name, (usd, orders) in sorted(fees.items())
        ]
    if plan.what_ifs:
        lines += ["", "What-ifs applied:"] + [f"  - {w.describe()}" for w in plan.what_ifs]
    if plan.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in plan.notes]
    if plan.fx is not None:
        lines += ["", plan.fx.footer()]
    return "\n".join(lines)


def stock_lines(plan: Plan) -> list[str]:
    """What warehouse allocations presume: the bulk leg's lead time and the stock it ties up.

    Their P50/P90 above start at the warehouse shelf; this is what it takes to keep
    that shelf stocked (per week of plan; value at declared value).
    """
    m, cur = plan.per_usd, plan.currency
    rows = [(d, a, a.stock) for d in plan.demands for a in d.allocations if a.stock is not None]
    if not rows:
        return []
    head = (
        f"{'demand':<22} {'stock node':<16} {'bulk P50':>8} {'bulk P90':>8} {'pipeline':>9} "
        f"{'cycle':>8} {'safety':>8} {'units':>9} {'value ' + cur:>14}"
    )
    out = [
        "",
        "Stock the warehouse allocations presume (their P50/P90 above start at the shelf;",
        "replenishment lead time = origin to shelf by the bulk leg, stock in orders):",
        head,
        "-" * len(head),
    ]
    for d, a, s in rows:
        out.append(
            f"{d.id[:22]:<22} {(a.stock_node or '')[:16]:<16} {s.bulk_p50_days:>8.1f} "
            f"{s.bulk_p90_days:>8.1f} {s.pipeline_units:>9,.0f} {s.cycle_units:>8,.0f} "
            f"{s.safety_units:>8,.0f} {s.units:>9,.0f} {s.units * s.unit_value_usd * m:>14,.2f}"
        )
    return out


def _assumed_fees(plan: Plan) -> dict[str, tuple[float, float]]:
    """Assumption id -> (USD per week, orders per week) of the fees resting on it."""
    out: dict[str, tuple[float, float]] = {}
    for d in plan.demands:
        for a in d.allocations:
            if a.fee_assumption and a.cost_per_order.assumed_fees:
                usd, orders = out.get(a.fee_assumption, (0.0, 0.0))
                out[a.fee_assumption] = (
                    usd + a.cost_per_order.assumed_fees * a.orders,
                    orders + a.orders,
                )
    return out


def _m(x: float | None, m: float) -> float | None:
    return None if x is None else x * m


def explain_infeasible(plan: Plan) -> str:
    """One paragraph per demand that cannot be (fully) met."""
    out = ["Infeasible: some demand cannot be met."]
    for d in plan.infeasible_demands:
        out.append(
            f"  demand {d.id} ({d.origin} -> {d.market}): {d.unmet_orders:,.0f} of "
            f"{d.orders_per_week:,.0f} orders/week unmet"
        )
        out += [f"    - {r}" for r in d.reasons]
    return "\n".join(out)
