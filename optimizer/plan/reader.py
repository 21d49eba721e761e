"""Read a plan.json (written by ``xborder run -o``) back into :class:`Plan` records.

plan.json carries money in the scenario currency; the records hold USD, so
money is divided by the network's rate for that currency. Every problem —
unreadable JSON, missing keys, unknown demands or lanes — is reported at once
with the JSON path as the field (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem, raise_if_any
from optimizer.network.records import Network
from optimizer.plan.records import Allocation, DemandPlan, Plan
from optimizer.routes.evaluate import CostSplit
from optimizer.scenario.records import Pattern, Scenario
from optimizer.solve.settings import SolveStatus


def read_plan(path: str | Path, scenario: Scenario, network: Network) -> Plan:
    """The plan in ``path``, checked against the scenario and network it must run on."""
    file = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(file, "plan file not found")]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(file, f"not a plan.json: {exc}")]) from None
    problems: list[Problem] = []
    if not isinstance(data, dict) or not isinstance(data.get("demands"), list):
        raise InputError(
            [
                Problem(
                    file,
                    "not a plan.json",
                    field="demands",
                    expected="the output of xborder run -o DIR",
                )
            ]
        )
    currency = str(data.get("currency", scenario.currency))
    if currency not in dict(network.fx_per_usd):
        problems.append(
            Problem(file, "currency not in the network's fx.csv", field="currency", value=currency)
        )
        currency = "USD"
    per_usd = network.from_usd(1.0, currency)
    fx = data.get("fx")
    if isinstance(fx, dict) and fx.get("currency") == currency:
        rate = fx.get("per_usd")  # the rate the plan was written at (dated fx.csv rows)
        if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0:
            per_usd = float(rate)
    status = _status(data.get("status"), file, problems)
    known = {d.id for d in scenario.demands}
    demands = []
    for i, raw in enumerate(data["demands"]):
        where = f"demands[{i}]"
        try:
            demands.append(_demand(raw, where, per_usd, network, file, problems))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(file, f"malformed demand ({exc})", field=where))
            continue
        if demands[-1].id not in known:
            problems.append(
                Problem(
                    file, "demand not in the scenario", field=f"{where}.id", value=demands[-1].id
                )
            )
    candidates = data.get("candidates", 0)
    if not isinstance(candidates, int) or isinstance(candidates, bool) or candidates < 0:
        problems.append(
            Problem(
                file,
                "not a count",
                field="candidates",
                value=str(candidates)[:40],
                expected="a whole number >= 0",
            )
        )
    raise_if_any(problems)
    return Plan(
        scenario=str(data.get("scenario", scenario.name)),
        plan_date=str(data.get("plan_date", scenario.plan_date.isoformat())),
        currency=currency,
        per_usd=per_usd,
        status=status,
        objective=None,
        bound=None,
        gap=None,
        solve_seconds=0.0,
        totals=None,
        demands=tuple(demands),
        lanes=(),
        candidates=int(candidates),
    )


def _status(raw: object, file: str, problems: list[Problem]) -> SolveStatus:
    """The solver status the plan was written with (a problem if it is not one we write)."""
    try:
        return SolveStatus(str(raw))
    except ValueError:
        problems.append(
            Problem(
                file,
                "missing or unknown solver status",
                field="status",
                value=None if raw is None else str(raw),
                expected=" | ".join(s.value for s in SolveStatus),
            )
        )
        return SolveStatus.ERROR


def _demand(
    raw: dict[str, Any],
    where: str,
    per_usd: float,
    network: Network,
    file: str,
    problems: list[Problem],
) -> DemandPlan:
    allocations = []
    for j, a in enumerate(raw["allocations"]):
        at = f"{where}.allocations[{j}]"
        lanes = tuple(str(x) for x in a["legs"])
        for x in lanes:
            if x not in network.lane_by_id:
                problems.append(
                    Problem(
                        file,
                        "lane not in the network (or closed by what_if)",
                        field=f"{at}.legs",
                        value=x,
                    )
                )
        pattern = Pattern(a["pattern"])
        stock = a.get("stock_node")
        if pattern.uses_stock and (
            stock is None
            or not any(
                x in network.lane_by_id and network.lane_by_id[x].dest == stock for x in lanes
            )
        ):
            problems.append(
                Problem(
                    file,
                    "stock node is not on the route",
                    field=f"{at}.stock_node",
                    value=str(stock),
                )
            )
        c = a["cost_per_order"]
        cost = CostSplit(
            c["freight"] / per_usd,
            c["handling"] / per_usd,
            c["duties_taxes"] / per_usd,
            c["inventory"] / per_usd,
            assumed_fees=c.get("assumed_fees", 0.0) / per_usd,
        )
        t = a["lead_time_days"]
        allocations.append(
            Allocation(
                pattern=pattern.value,
                lanes=lanes,
                modes=tuple(a.get("modes", ())),
                carriers=tuple(a.get("carriers", ())),
                stock_node=stock,
                share=float(a["share"]),
                orders=float(a["orders"]),
                p50_days=float(t["p50"]),
                p90_days=float(t["p90"]),
                mean_days=float(t["mean"]),
                cost_per_order=cost,
                co2e_kg_per_order=float(a["co2e_kg_per_order"]),
                customs=str(a.get("customs", "")),
                fee_assumption=str(a.get("fee_assumption", "")),
            )
        )
    return DemandPlan(
        str(raw["id"]),
        str(raw["origin"]),
        str(raw["market"]),
        float(raw["orders_per_week"]),
        float(raw["sla_days"]),
        tuple(allocations),
        float(raw.get("unmet_orders", 0.0)),
        tuple(raw.get("reasons", ())),
        hs_code=str(raw.get("hs_code", "")),
    )
