"""``watch --replan``: what the alerts do to the plan.

The alerting lanes and nodes are re-fitted from the recent window (the
calibrator's censored lognormal fit, :func:`optimizer.history.watch.recent_fit`,
from each alert's change point on), written into a copy of the baseline
network, and the scenario is optimized on both networks with the same solver
(:func:`optimizer.solve.optimize.optimize`). The comparison names what a
planner acts on: cost per order, P90 and on-time share per demand, pattern
shares, routes and lanes that switch, and the demands whose SLA now fails.

The scenario's own ``network:`` is replaced by the baseline (its what-ifs still
apply), so the two plans differ only by the drift.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.special import ndtr

from optimizer.history.formats import FORMAT_VERSION
from optimizer.history.watch import Alert, Series, WatchResult, recent_fit
from optimizer.network.reader import load_network
from optimizer.network.records import Network
from optimizer.plan.records import DemandPlan, Plan
from optimizer.scenario.load import prepare
from optimizer.scenario.reader import read_scenario
from optimizer.solve.optimize import optimize

Z90 = 1.2815515655446004
#: Demands whose P90 is within this of the SLA count as meeting it (rounding of figures).
SLA_TOLERANCE_DAYS = 1e-6


@dataclass(frozen=True, slots=True)
class Change:
    """One figure of the network replaced by its recent value."""

    kind: str  # "lane" or "node"
    id: str
    field: str
    before: float
    after: float


@dataclass(frozen=True)
class Replan:
    changes: tuple[Change, ...]
    baseline: Plan
    drifted: Plan


def drifted_network(network: Network, result: WatchResult) -> tuple[Network, tuple[Change, ...]]:
    """The baseline network with every alerting lane and node set to its recent figures."""
    lanes = {lane.id: lane for lane in network.lanes}
    nodes = dict(network.node_by_id)
    changes: list[Change] = []
    by_key = {(s.kind, s.id, s.category, s.metric): s for s in result.series}
    for a in result.alerts:
        s = by_key[(a.kind, a.id, a.category, a.metric)]
        if a.metric == "transit_days":
            fit = recent_fit(s, a.since_entry)
            lane = lanes[a.id]
            if fit is None or fit.mean <= lane.transit_mean_days:
                continue
            p90 = max(fit.p90, fit.mean)
            changes.append(
                Change("lane", a.id, "transit_mean_days", lane.transit_mean_days, fit.mean)
            )
            changes.append(Change("lane", a.id, "transit_p90_days", lane.transit_p90_days, p90))
            lanes[a.id] = dataclasses.replace(
                lane, transit_mean_days=fit.mean, transit_p90_days=p90
            )
        elif a.metric == "clearance_days":
            fit = recent_fit(s, a.since_entry)
            node = nodes[a.id]
            if fit is None or fit.mean <= node.customs_days:
                continue
            changes.append(Change("node", a.id, "customs_days", node.customs_days, fit.mean))
            nodes[a.id] = dataclasses.replace(node, customs_days=fit.mean)
        else:
            node = nodes[a.id]
            rate = _node_rate(result.series, a.id, a.since_entry)
            if rate <= node.inspection_rate:
                continue
            changes.append(Change("node", a.id, "inspection_rate", node.inspection_rate, rate))
            nodes[a.id] = dataclasses.replace(node, inspection_rate=rate)
    net = dataclasses.replace(
        network,
        lanes=tuple(lanes[lane.id] for lane in network.lanes),
        nodes=tuple(nodes[n.id] for n in network.nodes),
    )
    return net, tuple(_dedupe(changes))


def _dedupe(changes: list[Change]) -> list[Change]:
    """One change per figure: the largest (several categories may alert at one node)."""
    best: dict[tuple[str, str, str], Change] = {}
    for c in changes:
        key = (c.kind, c.id, c.field)
        if key not in best or c.after > best[key].after:
            best[key] = c
    return sorted(best.values(), key=lambda c: (c.kind, c.id, c.field))


def _node_rate(series: tuple[Series, ...], node: str, since: float) -> float:
    """Hold rate at ``node`` over all categories since ``since`` (the network has one rate)."""
    held = total = 0.0
    for s in series:
        if s.kind == "node" and s.id == node and s.metric == "hold_rate":
            keep = s.t >= since
            held += float(s.value[keep].sum())
            total += float(keep.sum())
    return held / total if total else 0.0


def replan(scenario_path: Path, baseline_path: Path, result: WatchResult) -> Replan:
    """Optimize the scenario on the baseline and on the drifted network."""
    network, _ = load_network(baseline_path)
    scenario, _, _ = read_scenario(scenario_path, on=(baseline_path, network))
    drifted, changes = drifted_network(network, result)
    plans = []
    for net in (network, drifted):
        prepared, what_if = prepare(scenario, net)  # what-ifs resolved, echoed in the plan
        plans.append(optimize(prepared, what_if))
    return Replan(changes, plans[0], plans[1])


# --------------------------------------------------------------------------- comparison
def _lognormals(d: DemandPlan) -> list[tuple[float, float, float]]:
    """(orders, mu, sigma) of each allocation, lognormal through its P50 and P90."""
    out = []
    for a in d.allocations:
        if a.orders <= 0:
            continue
        p50 = max(a.p50_days, 1e-6)
        sigma = max(math.log(max(a.p90_days, p50) / p50) / Z90, 1e-3)
        out.append((a.orders, math.log(p50), sigma))
    return out


def on_time_share(d: DemandPlan) -> float:
    """Share of the demand's orders delivered within its SLA (unmet orders count as late)."""
    if d.orders_per_week <= 0:
        return 1.0
    parts = _lognormals(d)
    hit = sum(n * float(ndtr((math.log(d.sla_days) - mu) / s)) for n, mu, s in parts)
    return hit / d.orders_per_week


def demand_p90(d: DemandPlan) -> float | None:
    """P90 of the lead time over the demand's served orders (mixture of its allocations)."""
    parts = _lognormals(d)
    total = sum(n for n, _, _ in parts)
    if total <= 0:
        return None

    def cdf(x: float) -> float:
        return sum(n * float(ndtr((math.log(x) - mu) / s)) for n, mu, s in parts) / total

    lo, hi = 1e-6, max(math.exp(mu + 4 * s) for _, mu, s in parts)
    for _ in range(80):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if cdf(mid) < 0.9 else (lo, mid)
    return hi


def _cost_per_order(d: DemandPlan) -> float | None:
    served = sum(a.orders for a in d.allocations)
    if served <= 0:
        return None
    return sum(a.orders * a.cost_per_order.total for a in d.allocations) / served


def _routes(d: DemandPlan) -> list[str]:
    return sorted(f"{a.pattern}: {'>'.join(a.lanes)}" for a in d.allocations if a.orders > 0)


def _pattern_shares(plan: Plan) -> dict[str, float]:
    shares: dict[str, float] = {}
    total = sum(a.orders for d in plan.demands for a in d.allocations)
    for d in plan.demands:
        for a in d.allocations:
            shares[a.pattern] = shares.get(a.pattern, 0.0) + a.orders
    return {k: round(v / total, 4) for k, v in sorted(shares.items())} if total else {}


def _meets_sla(d: DemandPlan) -> bool:
    p90 = demand_p90(d)
    return d.unmet_orders <= 1e-9 and p90 is not None and p90 <= d.sla_days + SLA_TOLERANCE_DAYS


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def _plan_figures(plan: Plan) -> dict[str, Any]:
    t = plan.totals
    return {
        "status": plan.status,
        "cost_per_order": _r(t.cost / t.orders) if t is not None and t.orders else None,
        "orders": _r(t.orders) if t is not None else None,
        "unmet_orders": _r(t.unmet_orders) if t is not None else None,
        "pattern_shares": _pattern_shares(plan),
    }


def compare(rp: Replan) -> dict[str, Any]:
    """The JSON comparison of the two plans (docs/watch.md, Replan): replan.json, and the
    ``replan`` member of ``watch --json`` (the same document)."""
    before = {d.id: d for d in rp.baseline.demands}
    after = {d.id: d for d in rp.drifted.demands}
    demands = []
    for did in sorted(before):
        b, a = before[did], after[did]
        demands.append(
            {
                "id": did,
                "sla_days": b.sla_days,
                "cost_per_order": [_r(_cost_per_order(b)), _r(_cost_per_order(a))],
                "p90_days": [_r(demand_p90(b)), _r(demand_p90(a))],
                "on_time": [_r(on_time_share(b)), _r(on_time_share(a))],
                "routes": [_routes(b), _routes(a)],
                "routes_switch": _routes(b) != _routes(a),
                "sla_now_fails": _meets_sla(b) and not _meets_sla(a),
            }
        )
    used_b = {u.lane for u in rp.baseline.lanes if u.kg > 0}
    used_a = {u.lane for u in rp.drifted.lanes if u.kg > 0}
    return {
        "format_version": FORMAT_VERSION,
        "changes": [dataclasses.asdict(c) for c in rp.changes],
        "baseline": _plan_figures(rp.baseline),
        "drifted": _plan_figures(rp.drifted),
        "demands": demands,
        "lanes_dropped": sorted(used_b - used_a),
        "lanes_added": sorted(used_a - used_b),
        "sla_now_failing": [d["id"] for d in demands if d["sla_now_fails"]],
    }


def plan_effects(rp: Replan, network: Network) -> dict[tuple[str, str], str]:
    """Lanes and nodes whose drift changes the plan, and how: ``(kind, id) -> text``.

    A lane (node) changes the plan when a demand that used it in the baseline plan —
    on a lane of one of its allocations (at an end of one) — switches route or now fails
    its SLA on the drifted network.
    """
    ends = {lane.id: (lane.origin, lane.dest) for lane in network.lanes}
    after = {d.id: d for d in rp.drifted.demands}
    out: dict[tuple[str, str], str] = {}
    for b in sorted(rp.baseline.demands, key=lambda d: d.id):
        a = after[b.id]
        fails = _meets_sla(b) and not _meets_sla(a)
        if not fails and _routes(b) == _routes(a):
            continue
        what = "now fails its SLA" if fails else "switches route"
        text = f"demand {b.id} {what}"
        for alloc in b.allocations:
            if alloc.orders <= 0:
                continue
            for lane in alloc.lanes:
                out.setdefault(("lane", lane), text)
                for node in ends.get(lane, ()):
                    out.setdefault(("node", node), text)
    return out


def regrade(alerts: tuple[Alert, ...], effects: dict[tuple[str, str], str]) -> tuple[Alert, ...]:
    """Alerts on lanes and nodes that change the plan become ``critical`` (never lowered),
    most severe first as in :func:`optimizer.history.watch.watch`."""
    out = []
    for a in alerts:
        why = effects.get((a.kind, a.id))
        if why is not None:
            a = dataclasses.replace(a, severity="critical", reason=f"{a.reason}; {why}")
        out.append(a)
    out.sort(key=lambda a: (a.severity != "critical", a.kind, a.id, a.category, a.metric))
    return tuple(out)


def render(c: dict[str, Any]) -> str:
    """The comparison as a table."""

    def pair(v: list[Any], fmt: str) -> str:
        return " -> ".join("n/a" if x is None else format(x, fmt) for x in v)

    lines = ["replan on the drifted network:"]
    for ch in c["changes"]:
        lines.append(
            f"  {ch['kind']} {ch['id']}: {ch['field']} {ch['before']:.3g} -> {ch['after']:.3g}"
        )
    if not c["changes"]:
        lines.append("  (no alert slows the network: nothing to replan)")
    b, a = c["baseline"], c["drifted"]
    lines.append(
        f"cost per order {pair([b['cost_per_order'], a['cost_per_order']], '.2f')}; "
        f"status {b['status']} -> {a['status']}"
    )
    lines.append(f"pattern shares {b['pattern_shares']} -> {a['pattern_shares']}")
    lines.append(
        f"  {'demand':<24} {'SLA d':>6} {'cost/order':>18} {'P90 d':>16} {'on-time':>16}  routes"
    )
    for d in c["demands"]:
        flag = "  SLA NOW FAILS" if d["sla_now_fails"] else ""
        routes = " | ".join(d["routes"][1]) if d["routes_switch"] else "(unchanged)"
        lines.append(
            f"  {d['id']:<24} {d['sla_days']:>6g} {pair(d['cost_per_order'], '.2f'):>18} "
            f"{pair(d['p90_days'], '.1f'):>16} {pair(d['on_time'], '.3f'):>16}  {routes}{flag}"
        )
    lines.append(
        f"lanes dropped: {', '.join(c['lanes_dropped']) or '-'}; "
        f"lanes added: {', '.join(c['lanes_added']) or '-'}"
    )
    return "\n".join(lines)
