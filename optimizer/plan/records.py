"""The optimizer's result: a :class:`Plan` of frozen records (money in USD, per week)."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.network.fx import FxUse
from optimizer.routes.evaluate import CostSplit
from optimizer.scenario.records import AppliedWhatIf
from optimizer.solve.settings import SolveStatus


@dataclass(frozen=True, slots=True)
class StockPosition:
    """The stock a bonded or overseas-warehouse allocation presumes (per week of plan).

    The customer lead time of such an allocation (``Allocation.p50_days``) starts
    at the warehouse; this is what keeps the warehouse stocked: the bulk leg's
    replenishment lead time and the stock it ties up, in orders (units) and in
    declared value (USD).
    """

    bulk_p50_days: float  # replenishment lead time, origin to stock on shelf
    bulk_p90_days: float
    bulk_mean_days: float
    replenishment_days: float  # interval between bulk shipments (scenario inventory)
    pipeline_units: float  # orders in transit on the bulk leg
    cycle_units: float  # half a replenishment on the shelf, on average
    safety_units: float  # against demand and lead-time noise at the service level
    unit_value_usd: float  # declared value of one order

    def __post_init__(self) -> None:
        values = (self.pipeline_units, self.cycle_units, self.safety_units, self.unit_value_usd)
        if min(values) < 0 or self.bulk_p90_days < self.bulk_p50_days - 1e-9:
            raise ValueError(f"inconsistent stock position: {self}")

    @property
    def units(self) -> float:
        return self.pipeline_units + self.cycle_units + self.safety_units


@dataclass(frozen=True, slots=True)
class Allocation:
    """A share of one demand sent one way."""

    pattern: str
    lanes: tuple[str, ...]
    modes: tuple[str, ...]
    carriers: tuple[str, ...]
    stock_node: str | None
    share: float
    orders: float  # per week
    p50_days: float
    p90_days: float
    mean_days: float
    cost_per_order: CostSplit  # freight includes this flow's share of containers
    co2e_kg_per_order: float
    customs: str
    stock: StockPosition | None = None  # bonded / overseas-warehouse allocations only
    fee_assumption: str = ""  # assumption the clearance fee rests on ("" = none)


@dataclass(frozen=True, slots=True)
class DemandPlan:
    id: str
    origin: str
    market: str
    orders_per_week: float
    sla_days: float
    allocations: tuple[Allocation, ...]
    unmet_orders: float
    reasons: tuple[str, ...]  # why (part of) the demand cannot be met
    hs_code: str = ""  # HS code the duty is priced at (the demand's, else its category's)


@dataclass(frozen=True, slots=True)
class LaneUse:
    lane: str
    mode: str
    carrier: str
    kg: float  # per week
    m3: float
    containers: int | None  # containers or vehicles per week on per_container lanes
    utilization: float | None  # load / (containers × capacity), or / weekly lane capacity
    cost_usd: float  # container cost per week (per_container lanes only)


@dataclass(frozen=True, slots=True)
class Totals:
    cost: float  # landed cost per week: freight + handling + duties_taxes + inventory
    freight: float
    handling: float
    duties_taxes: float
    inventory: float
    co2e_kg: float
    orders: float  # served per week
    unmet_orders: float
    unmet_penalty: float
    value_of_time: float
    co2e_cost: float
    assumed_fees: float = 0.0  # part of duties_taxes resting on named assumptions


@dataclass(frozen=True, slots=True)
class Plan:
    scenario: str
    plan_date: str
    currency: str  # reporting currency (figures in records stay in USD)
    per_usd: float  # reporting currency units per USD
    status: SolveStatus
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    totals: Totals | None
    demands: tuple[DemandPlan, ...]
    lanes: tuple[LaneUse, ...]
    candidates: int  # route options given to the solver
    notes: tuple[str, ...] = ()
    what_ifs: tuple[AppliedWhatIf, ...] = ()  # overrides applied to the network, with counts
    #: The rate ``per_usd`` comes from (date, source) for the outputs; None: not known.
    fx: FxUse | None = None

    @property
    def infeasible_demands(self) -> tuple[DemandPlan, ...]:
        return tuple(d for d in self.demands if d.unmet_orders > 1e-6)
