"""Evaluate a candidate route for one demand: cost per order, lead time, CO2e, resources.

Everything linear in the number of orders is priced here per order, from the
shared costing modules (:mod:`optimizer.costing`). What is *not* linear —
containers and vehicles on ``per_container`` lanes, shared by every demand
using the lane — is returned as usage per order (kg, m³) for the optimizer's
integer container variables.

Conventions (documented in docs/model.md):

* Parcel-priced lanes (``per_parcel``) charge each order. Freight-priced lanes
  (``per_kg``, ``per_wm``) carry consolidated flows and charge the weight-break
  rate of the weekly (direct) or per-replenishment (stock) consolidated load.
* Import clearance happens at the first node of the route inside the market's
  customs territory; direct-package uses the ``parcel`` channel, bonded
  stock the ``bonded`` channel per released order, overseas stock the
  ``commercial`` channel with the entry fee spread over the replenishment,
  b2b-direct (9710) the ``commercial`` channel per consignment (a normal
  import); a domestic route clears nothing (no duty, tax, fee or customs node).
* Inventory for stock patterns (per order per week of flow, value = declared
  value): pipeline = mean bulk lead time, cycle = half the replenishment
  interval, safety = z · sqrt((L + R)/7 · cv² + σ_L²/49) weeks of flow; the
  flow's own σ scales with its share, which keeps the cost linear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from statistics import NormalDist

import numpy as np

from optimizer.costing import customs as cu
from optimizer.costing import leadtime as lt
from optimizer.costing.emissions import route_co2e_kg
from optimizer.costing.flows import DOMESTIC_CHARGE, blend_general_trade, cbec_channel
from optimizer.costing.index import index_of
from optimizer.costing.tariff import container_cost_usd, marginal_rate_per_kg, price_shipment
from optimizer.network.records import Channel, Lane, Mode, Network, Node, TariffBasis
from optimizer.routes.candidates import Route, RouteIndex, candidate_routes
from optimizer.routes.timing import route_timing
from optimizer.scenario.records import Demand, Inventory, Pattern


@dataclass(frozen=True, slots=True)
class CostSplit:
    """Money per order in USD, split as reported to planners."""

    freight: float = 0.0
    handling: float = 0.0
    duties_taxes: float = 0.0
    inventory: float = 0.0
    #: The part of ``duties_taxes`` that rests on a named assumption (a clearance fee of
    #: ``assumptions.csv``): shown as its own line, already counted in ``duties_taxes``.
    assumed_fees: float = 0.0

    @property
    def total(self) -> float:
        return self.freight + self.handling + self.duties_taxes + self.inventory


@dataclass(frozen=True, slots=True)
class ContainerUse:
    """Load one order puts on a per_container lane, and what one container costs there."""

    lane: str
    kg: float
    m3: float
    container_cost_usd: float
    capacity_kg: float
    capacity_m3: float

    def share(self) -> float:
        """Containers per order at full load (for ranking only)."""
        return max(self.kg / self.capacity_kg, self.m3 / self.capacity_m3)


@dataclass(frozen=True, slots=True)
class StockWeeks:
    """Stock a warehouse route presumes, in weeks of its own flow (× orders/week = units).

    ``pipeline`` is in transit on the bulk leg (its mean lead time), ``cycle`` half
    a replenishment interval, ``safety`` covers demand and bulk lead-time noise at
    the scenario's service level (formulas in the module docstring).
    """

    pipeline: float
    cycle: float
    safety: float


@dataclass(frozen=True, slots=True)
class RouteOption:
    """A route evaluated for one demand; ``ok`` False means it cannot serve it (``reason``)."""

    demand: str
    route: Route
    ok: bool
    reason: str
    cost: CostSplit  # linear part per order (containers excluded)
    containers: tuple[ContainerUse, ...]
    p50: float  # customer lead time, days
    p90: float
    mean_days: float
    co2e_kg: float  # per order
    lane_kg: tuple[tuple[str, float], ...]  # (lane, kg per order) for lane capacities
    lane_m3: tuple[tuple[str, float], ...]
    node_kg: tuple[tuple[str, float], ...]  # (node, kg per order) for throughput
    clearance_node: str | None  # customs point clearing one declaration per order
    storage_m3: float  # m³ held at the stock node per order/week of flow
    treatment: str
    stock: StockWeeks | None = None  # stock patterns: the stock this route presumes
    fee_assumption: str = ""  # assumption the clearance fee rests on ("" = none)

    def standalone_cost(self) -> float:
        """Cost per order if containers were full: used to rank candidates."""
        return self.cost.total + sum(c.share() * c.container_cost_usd for c in self.containers)


@dataclass(frozen=True, slots=True)
class PricedRoute:
    """A route priced for one demand: what ranking needs, before it becomes a RouteOption.

    ``reason`` non-empty means the route cannot serve the demand (the other fields
    are then empty). Why a separate step: a demand prices every route within its
    SLA but keeps only ``candidates_per_pattern`` of them per pattern (a quarter of
    those priced on the generated 2,000-demand case); building the full
    :class:`RouteOption` — its per-lane and per-node load tuples — only for the kept
    ones is a third of the evaluation stage (docs/scale.md).
    """

    demand: Demand
    route: Route
    statics: RouteStatics
    reason: str = ""
    cost: CostSplit = CostSplit()
    containers: tuple[ContainerUse, ...] = ()
    container_usd: float = 0.0  # containers at full load, per order (for ranking only)
    co2e_kg: float = 0.0
    clearance_node: str | None = None
    storage_m3: float = 0.0
    treatment: str = ""
    stock: StockWeeks | None = None
    fee_assumption: str = ""  # assumption the clearance fee rests on ("" = none)

    @property
    def ok(self) -> bool:
        return not self.reason

    @property
    def p90(self) -> float:
        return self.statics.p90 if self.ok else math.inf

    @property
    def mean_days(self) -> float:
        return self.statics.mean_days if self.ok else math.inf

    def option(self) -> RouteOption:
        """The full option (load per lane and node for the model's capacity rows)."""
        if not self.ok:
            return _refuse(self.demand, self.route, self.reason)
        st = self.statics
        w, v = self.demand.weight_kg, self.demand.volume_m3
        return RouteOption(
            demand=self.demand.id,
            route=self.route,
            ok=True,
            reason="",
            cost=self.cost,
            containers=self.containers,
            p50=st.p50,
            p90=st.p90,
            mean_days=st.mean_days,
            co2e_kg=self.co2e_kg,
            lane_kg=tuple(zip(st.lane_ids, repeat(w), strict=False)),
            lane_m3=tuple(zip(st.lane_ids, repeat(v), strict=False)),
            node_kg=tuple(zip(st.passed, repeat(w), strict=False)),
            clearance_node=self.clearance_node,
            storage_m3=self.storage_m3,
            treatment=self.treatment,
            stock=self.stock,
            fee_assumption=self.fee_assumption,
        )


def _refuse(demand: Demand, route: Route, reason: str) -> RouteOption:
    return RouteOption(
        demand.id,
        route,
        False,
        reason,
        CostSplit(),
        (),
        math.inf,
        math.inf,
        math.inf,
        0.0,
        (),
        (),
        (),
        None,
        0.0,
        "",
    )


def _lane_charge(
    network: Network, lane: Lane, demand: Demand, load_kg: float
) -> tuple[float, ContainerUse | None, str]:
    """(linear freight per order, container use or None, refusal reason)."""
    tariff = network.tariff_by_id[lane.tariff]
    if tariff.basis is TariffBasis.PER_PARCEL:
        charge = price_shipment(
            tariff, network, weight_kg=demand.weight_kg, volume_m3=demand.volume_m3, pieces=1
        )
        if not charge.ok:
            return 0.0, None, f"{lane.id}: {charge.reason}"
        return charge.total, None, ""
    if tariff.basis is TariffBasis.PER_CONTAINER:
        use = ContainerUse(
            lane.id,
            demand.weight_kg,
            demand.volume_m3,
            container_cost_usd(tariff, network),
            tariff.container_capacity_kg or math.inf,
            tariff.container_capacity_m3 or math.inf,
        )
        return 0.0, use, ""
    density = demand.weight_kg / demand.volume_m3
    rate = marginal_rate_per_kg(tariff, network, density_kg_per_m3=density, volume_kg=load_kg)
    return rate * demand.weight_kg, None, ""


@lru_cache(maxsize=65536)
def _moments(dist: lt.LeadTime) -> tuple[float, float]:
    """(mean, variance) in days of a lead-time part (parts are cached, so is this)."""
    ks = np.arange(dist.offset, dist.offset + dist.pmf.size) * lt.STEP
    mean = float(ks @ dist.pmf)
    return mean, max(float((ks * ks) @ dist.pmf) - mean * mean, 0.0)


@dataclass(frozen=True, slots=True)
class RouteStatics:
    """The demand-independent parts of a route's evaluation (computed once per route)."""

    bulk: tuple[Lane, ...]
    customer: tuple[Lane, ...]
    lanes: tuple[Lane, ...]
    passed: tuple[str, ...]  # nodes a shipment is handled at before the market
    handling_per_kg: float
    entry: str | None  # first node in the market's customs territory
    entry_idx: int
    p50: float  # customer lead time
    p90: float
    mean_days: float
    bulk_mean: float  # stock patterns: mean and sd of the bulk lead time
    bulk_sd: float
    stock: Node | None
    co2e_per_kg: tuple[tuple[float, float], ...]  # (km, factor) per lane
    lane_ids: tuple[str, ...]  # route.lanes
    key: str  # route.key (ranking ties are broken on it)


def _statics(network: Network, route: Route) -> RouteStatics:
    nodes = network.node_by_id
    bulk = tuple(network.lane_by_id[x] for x in route.bulk_lanes)
    customer = tuple(network.lane_by_id[x] for x in route.customer_lanes)
    lanes = bulk + customer
    origin = lanes[0].origin
    passed = tuple([origin] + [lane.dest for lane in lanes[:-1]])
    handling = sum(nodes[n].handling_cost_per_kg for n in passed)
    timing = route_timing(network, route)
    entry, entry_idx = timing.entry, timing.entry_index
    co2 = tuple((lane.distance_km, lane.co2e_kg_per_tkm) for lane in lanes)
    inf = math.inf
    if timing.customer is None:  # never enters the market's territory
        return RouteStatics(
            bulk,
            customer,
            lanes,
            passed,
            handling,
            None,
            -1,
            inf,
            inf,
            inf,
            0.0,
            0.0,
            None,
            co2,
            route.lanes,
            route.key,
        )
    customer_time = timing.customer
    # pipeline and safety stock need only the mean and variance of the bulk lead time,
    # which add up exactly over independent parts: no convolution needed
    moments = [_moments(part) for part in timing.bulk_parts]
    bulk_mean = sum(m for m, _ in moments)
    bulk_sd = math.sqrt(sum(v for _, v in moments))
    stock_node = nodes[route.stock_node] if route.stock_node else None
    return RouteStatics(
        bulk,
        customer,
        lanes,
        passed,
        handling,
        entry,
        entry_idx,
        customer_time.p50,
        customer_time.p90,
        customer_time.mean,
        bulk_mean,
        bulk_sd,
        stock_node,
        co2,
        route.lanes,
        route.key,
    )


@lru_cache(maxsize=64)
def _inv_cdf(p: float) -> float:
    return NormalDist().inv_cdf(p)


#: Entries an evaluator keeps per cache before it starts over (bounds memory on huge runs).
CACHE_MAX = 500_000


@dataclass(eq=False)
class RouteEvaluator:
    """Enumerates and evaluates routes on one network, and owns what it caches about it.

    Why an owner: a route's demand-independent facts (:class:`RouteStatics`), a lane's
    charge for a load and a customs assessment recur across hundreds of routes and
    demands; keeping them here (one evaluator per network and run, like the quote's
    ``Quoter``) instead of in module globals keyed by ``id(network)`` ties their life to
    the network they describe. The :class:`RouteIndex` is built on first use.
    """

    network: Network
    _index: RouteIndex | None = field(default=None, init=False, repr=False)
    _statics: dict[Route, RouteStatics] = field(default_factory=dict, init=False, repr=False)
    _lanes: dict[tuple[str, float, float, float], tuple[float, ContainerUse | None, str]] = field(
        default_factory=dict, init=False, repr=False
    )
    _charges: dict[tuple[object, ...], cu.CustomsCharge] = field(
        default_factory=dict, init=False, repr=False
    )

    @property
    def index(self) -> RouteIndex:
        """What route enumeration needs from the network, built once."""
        if self._index is None:
            self._index = RouteIndex.build(self.network)
        return self._index

    def routes(self, origin: str, market: str, pattern: Pattern, *, max_legs: int) -> list[Route]:
        """Every candidate route of ``pattern`` (:func:`candidate_routes`) on this network."""
        return candidate_routes(
            self.network, origin, market, pattern, max_legs=max_legs, index=self.index
        )

    def statics(self, route: Route) -> RouteStatics:
        """The demand-independent facts of ``route``, computed once."""
        found = self._statics.get(route)
        if found is None:
            found = self._statics[route] = _statics(self.network, route)
        return found

    def evaluate(
        self,
        demand: Demand,
        route: Route,
        *,
        day: object,
        inventory: Inventory,
        over_limit_share: float = 0.0,
    ) -> RouteOption:
        """Evaluate ``route`` for ``demand`` on the plan date ``day`` (a datetime.date)."""
        return self.price(
            demand, route, day=day, inventory=inventory, over_limit_share=over_limit_share
        ).option()

    def price(
        self,
        demand: Demand,
        route: Route,
        *,
        day: object,
        inventory: Inventory,
        over_limit_share: float = 0.0,
    ) -> PricedRoute:
        """Price ``route`` for ``demand`` on ``day``: :meth:`evaluate` short of the option.

        Loops that rank many routes and keep a few (``build_candidates``) price them
        all and call :meth:`PricedRoute.option` on the kept ones only.
        ``over_limit_share`` is the scenario's ``cbec_over_limit_share``: that share of
        a China CBEC route's orders is priced as general trade (:func:`blend_general_trade`).
        """
        network = self.network
        st = self.statics(route)
        nodes = network.node_by_id
        market_country = nodes[demand.market].country
        origin_country = nodes[demand.origin].country
        bulk, lanes = st.bulk, st.lanes
        n_bulk = len(bulk)
        uses_stock = route.pattern.uses_stock
        orders_per_shipment = demand.orders_per_week * (
            inventory.replenishment_days / 7.0 if uses_stock else 1.0
        )
        w = demand.weight_kg
        charges = self._lanes
        if len(charges) > CACHE_MAX:
            charges.clear()
        freight = 0.0
        containers: list[ContainerUse] = []
        full: list[float] = []  # per-order container cost at full load, by container lane
        per_lane: list[float] = []  # per-order freight by lane, containers at full load
        for k, lane in enumerate(lanes):
            if k < n_bulk:
                load = w * orders_per_shipment  # one replenishment shipment
            elif not uses_stock:
                load = w * demand.orders_per_week / lane.departures_per_week
            else:
                load = w  # last mile: one parcel
            key = (lane.id, w, demand.volume_m3, load)
            hit = charges.get(key)
            if hit is None:
                hit = charges[key] = _lane_charge(network, lane, demand, load)
            per_order, use, reason = hit
            if reason:
                return PricedRoute(demand, route, st, reason)
            freight += per_order
            if use is not None:
                containers.append(use)
                per_order = use.share() * use.container_cost_usd
                full.append(per_order)
            per_lane.append(per_order)
        # handling at every node a shipment passes before the market (origin included)
        handling = st.handling_per_kg * w
        entry = st.entry
        if entry is None and route.pattern.clears_customs:
            territory = network.territory_of(demand.market)
            return PricedRoute(demand, route, st, f"route never enters {territory}")
        if route.pattern.clears_customs:
            intl_freight = sum(per_lane[: st.entry_idx + 1])  # for CIF customs values
            mode = lanes[st.entry_idx].mode  # a parcel entering by post clears as a postal item
            charge = self._assess(
                market_country,
                route.pattern.channel,
                origin_country,
                demand,
                intl_freight,
                day,
                mode,
            )
            if not charge.ok:
                return PricedRoute(demand, route, st, charge.reason)
            share = over_limit_share if cbec_channel(network, market_country, route.pattern) else 0
            if share:  # orders past the CBEC annual limit clear as general trade (a normal import)
                general = self._assess(
                    market_country,
                    Channel.COMMERCIAL,
                    origin_country,
                    demand,
                    intl_freight,
                    day,
                    mode,
                )
                charge = blend_general_trade(charge, general, share)
        else:
            charge = DOMESTIC_CHARGE
        per_entry = orders_per_shipment if route.pattern is Pattern.OVERSEAS else 1.0
        fee = charge.fee_usd / per_entry
        duties = charge.duty_usd + charge.tax_usd + fee
        inventory_cost, storage_m3 = 0.0, 0.0
        stock_weeks: StockWeeks | None = None
        clearance_node: str | None = entry
        if uses_stock:
            stock = st.stock
            assert stock is not None
            bonded = route.pattern is Pattern.BONDED
            clearance_node = stock.id if bonded else None  # overseas: bulk entries, not per order
            weeks_l, weeks_r = st.bulk_mean / 7.0, inventory.replenishment_days / 7.0
            z = _inv_cdf(inventory.service_level)
            safety = z * math.sqrt(
                (weeks_l + weeks_r) * inventory.demand_cv**2 + (st.bulk_sd / 7.0) ** 2
            )
            cycle = weeks_r / 2.0
            holding = (
                (weeks_l + cycle + safety)
                * demand.value_usd
                * inventory.holding_rate_per_year
                / 52.0
            )
            storage_m3 = (cycle + safety) * demand.volume_m3
            storage = storage_m3 * stock.storage_cost_per_m3_day * 7.0
            inventory_cost = holding + storage
            handling += stock.release_cost_per_order
            stock_weeks = StockWeeks(weeks_l, cycle, safety)
        co2 = route_co2e_kg(w, st.co2e_per_kg)
        return PricedRoute(
            demand=demand,
            route=route,
            statics=st,
            cost=CostSplit(
                freight,
                handling,
                duties,
                inventory_cost,
                assumed_fees=charge.assumed_fee_usd / per_entry,
            ),
            containers=tuple(containers),
            container_usd=sum(full),
            co2e_kg=co2,
            clearance_node=clearance_node,
            storage_m3=storage_m3,
            treatment=charge.treatment,
            stock=stock_weeks,
            fee_assumption=charge.fee_assumption,
        )

    def _assess(
        self,
        market_country: str,
        channel: Channel,
        origin_country: str,
        demand: Demand,
        freight: float,
        day: object,
        mode: Mode,
    ) -> cu.CustomsCharge:
        if len(self._charges) > CACHE_MAX:
            self._charges.clear()
        network = self.network
        index = index_of(network)
        cif = index.freight_in_tax_base(market_country)
        region = index.region_of(demand.market)
        key = (
            market_country,
            region,
            channel,
            origin_country,
            demand.category,
            demand.hs_code,
            demand.value_usd,
            freight if cif else 0.0,
            demand.items_per_order,
            day,
            mode is Mode.POSTAL and channel is Channel.PARCEL,
        )
        hit = self._charges.get(key)
        if hit is None:
            hit = self._charges[key] = cu.assess(
                network,
                dest_country=market_country,
                channel=channel,
                origin_country=origin_country,
                category=demand.category,
                value_usd=demand.value_usd,
                freight_usd=freight if cif else 0.0,
                items=demand.items_per_order,
                day=day,  # type: ignore[arg-type]
                hs_code=demand.hs_code or None,
                mode=mode,
                market=demand.market,
            )
        return hit


def evaluate(
    network: Network,
    demand: Demand,
    route: Route,
    *,
    day: object,
    inventory: Inventory,
    over_limit_share: float = 0.0,
) -> RouteOption:
    """One route evaluated once (tests, baselines); loops use a :class:`RouteEvaluator`."""
    return RouteEvaluator(network).evaluate(
        demand, route, day=day, inventory=inventory, over_limit_share=over_limit_share
    )
