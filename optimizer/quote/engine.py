"""Quote a shipment: every feasible route option, priced, timed, tagged and Pareto-flagged.

:class:`Quoter` holds everything that does not depend on the shipment — the
candidate routes per (origin, market, pattern, filter), their lead-time
distributions, the label-search graph — so a quote after the first one on a
corridor only prices lanes and customs for the new shipment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from optimizer.costing import leadtime as lt
from optimizer.network.domestic import flow_patterns
from optimizer.network.records import Lane, Mode, Network
from optimizer.quote.corridor import Array, Corridor, build_corridor, build_option
from optimizer.quote.labels import EPS, Point, SearchSpace, label_front, nondominated
from optimizer.quote.options import GROUPS, SHIP_NOW, Option, RouteFacts, group_of
from optimizer.quote.pricing import STOCK_DAYS, ShipmentPricer
from optimizer.quote.shipment import Shipment
from optimizer.routes.candidates import Route, candidate_routes
from optimizer.routes.timing import route_timing
from optimizer.scenario.records import DEFAULT_PATTERNS, HOLDING_RATE_PER_YEAR, MAX_LEGS, Pattern

#: How a quote finds its Pareto front: label-setting search, or the priced route table.
ParetoMethod = Literal["search", "table"]
#: Feeder modes that a --modes/--carriers filter never removes (they only reach the line-haul).
FEEDER_MODES = frozenset({Mode.TRUCK, Mode.LAST_MILE})
#: Default value of a day of customer lead time, as a share of the declared value (BEST_VALUE).
VALUE_OF_DAY_SHARE = 0.01
MIN_VALUE_OF_DAY_USD = 0.25


@dataclass(frozen=True, slots=True)
class Filters:
    """Which options a shipper wants to see; empty tuples allow everything."""

    modes: tuple[str, ...] = ()  # line-haul modes allowed (truck/last mile feeders always are)
    carriers: tuple[str, ...] = ()  # line-haul carriers allowed
    max_days: float | None = None  # P90 customer lead time at most
    max_price: float | None = None  # landed cost at most, USD


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a group of candidate routes cannot carry the shipment."""

    pattern: str
    reason: str
    routes: int  # how many candidate routes this reason rejected (0: none exist)


@dataclass(frozen=True, slots=True)
class QuoteResult:
    shipment: Shipment
    options: tuple[Option, ...]  # the lead group first, then the other; each by landed, P90
    rejections: tuple[Rejection, ...]
    value_of_day_usd: float
    lead: str = SHIP_NOW  # the group listed first

    def group(self, name: str) -> tuple[Option, ...]:
        """The options of one group (``ship-now`` or ``from-stock``), cheapest first."""
        return tuple(o for o in self.options if o.group == name)

    @property
    def ok(self) -> bool:
        return bool(self.options)


@dataclass
class Quoter:
    """Quotes on one network; reuse one instance for many shipments (it caches routes)."""

    network: Network
    max_legs: int = MAX_LEGS
    _nets: dict[Filters, Network] = field(default_factory=dict)
    _spaces: dict[Filters, SearchSpace] = field(default_factory=dict)
    _corridors: dict[tuple[str, str, Pattern, Filters], Corridor | None] = field(
        default_factory=dict
    )
    _bulk: dict[str, lt.LeadTime] = field(default_factory=dict)  # route key -> bulk leg
    _bulk_prefix: dict[tuple[lt.LeadTime, ...], lt.LeadTime] = field(default_factory=dict)
    _facts: dict[str, RouteFacts] = field(default_factory=dict)  # route key -> with bulk leg

    def quote(
        self,
        shipment: Shipment,
        *,
        filters: Filters = Filters(),
        value_of_day_usd: float | None = None,
        hide_dominated: bool = False,
        detail: bool = False,
        pareto: ParetoMethod = "search",
        lead: str = SHIP_NOW,
    ) -> QuoteResult:
        """Feasible options for ``shipment`` in two groups, with tags and Pareto flags.

        Options are ``ship-now`` (direct-package: door to door for this shipment)
        or ``from-stock`` (bonded / overseas warehouse: the lead time starts at the
        shelf and presumes stock replenished by a bulk leg, whose P50/P90 every
        such option carries). The groups answer different questions, so tags
        (CHEAPEST, FASTEST, BEST_VALUE), Pareto flags and ``hide_dominated`` work
        within each group; ``lead`` names the group listed first.

        Every candidate route is priced; shown are the cheapest route of each
        route group (pattern, stock node, main leg's mode and carrier — the rest
        are minor feeder variants, counted in ``Option.variants``) and every
        Pareto-optimal route of its option group. ``detail`` is accepted for
        compatibility: the bulk leg's P50/P90 is always given now.

        ``pareto`` says how the (landed cost, P90) front is found: ``"search"``
        runs the label-setting search (:mod:`optimizer.quote.labels`) on each
        corridor's lane graph; ``"table"`` takes the nondominated routes of the
        priced route table (one sort — what batches use, as every route is
        priced anyway). Both give the same front (tests check it).
        """
        lane_filter = replace(filters, max_days=None, max_price=None)
        network = self._network(lane_filter)
        space = self._space(lane_filter, network)
        pricer = ShipmentPricer(network, shipment)
        asked = [shipment.pattern] if shipment.pattern else DEFAULT_PATTERNS
        patterns = flow_patterns(network, shipment.origin, shipment.market, asked)
        if lead not in GROUPS:
            raise ValueError(f"lead must be one of {GROUPS}, got {lead!r}")
        rejected: Counter[tuple[str, str]] = Counter()
        fronts: dict[str, list[Point]] = {g: [] for g in GROUPS}
        priced: list[tuple[Corridor, Array, npt.NDArray[np.bool_]]] = []
        for pattern in patterns:
            corridor = self._corridor(shipment.origin, shipment.market, pattern, lane_filter)
            if corridor is None:
                rejected[(pattern.value, _no_route_reason(pattern, shipment))] += 0
                continue
            landed, feasible = price_corridor(corridor, pricer, filters, rejected)
            if feasible.any():
                priced.append((corridor, landed, feasible))
                front = fronts[group_of(pattern)]
                if pareto == "search":
                    front += label_front(
                        space,
                        pricer,
                        pattern,
                        graph=corridor.graph,
                        max_price=filters.max_price,
                        max_days=filters.max_days,
                    )
                else:
                    front += table_front(landed[feasible], corridor.p90[feasible])
        fronts = {g: nondominated(f) for g, f in fronts.items()}
        options: list[Option] = []
        for corridor, landed, feasible in priced:
            front = fronts[group_of(corridor.pattern)]
            on_front = _on_front(landed, corridor.p90, front) & feasible
            sizes = np.bincount(corridor.group[feasible], minlength=corridor.groups)
            for i in _shown(corridor, landed, feasible, on_front, hide_dominated):
                variants = int(sizes[corridor.group[i]]) - 1
                options.append(self._option(pricer, corridor, i, bool(on_front[i]), variants))
        vod = value_of_day_usd if value_of_day_usd is not None else default_value_of_day(shipment)
        rejections = tuple(Rejection(p, r, n) for (p, r), n in sorted(rejected.items()))
        order = (lead, *(g for g in GROUPS if g != lead))
        tagged = [o for g in order for o in _tag([o for o in options if o.group == g], vod)]
        return QuoteResult(shipment, tuple(tagged), rejections, vod, lead)

    def prepare(self, filters: Filters = Filters()) -> None:
        """Build the shipment-independent lane tables for ``filters`` now (before forking).

        Route tables per corridor are still built on first use; this only makes
        the network-wide part (lane and node lead-time means) shared.
        """
        lane_filter = replace(filters, max_days=None, max_price=None)
        self._space(lane_filter, self._network(lane_filter))

    # -- caches -------------------------------------------------------------------------------

    def _option(
        self,
        pricer: ShipmentPricer,
        corridor: Corridor,
        i: int,
        pareto: bool,
        variants: int,
    ) -> Option:
        route, times = corridor.routes[i], corridor.times[i]
        if route.pattern.uses_stock:
            times = self._stock_facts(pricer.network, route, times)
        return build_option(pricer, corridor, i, times, pareto=pareto, variants=variants)

    def _stock_facts(self, network: Network, route: Route, times: RouteFacts) -> RouteFacts:
        """``times`` with the bulk leg's distribution and P50/P90, built once per route."""
        found = self._facts.get(route.key)
        if found is None:
            bulk = self._bulk_time(network, route)
            found = replace(times, bulk=bulk, bulk_p50=bulk.p50, bulk_p90=bulk.p90)
            self._facts[route.key] = found
        return found

    def _bulk_time(self, network: Network, route: Route) -> lt.LeadTime:
        """The bulk leg's lead-time distribution (the parts of :func:`route_timing`, summed as
        :func:`~optimizer.costing.leadtime.total` does), sharing convolved prefixes: routes
        out of one origin share their first legs, so a batch convolves each prefix once."""
        found = self._bulk.get(route.key)
        if found is not None:
            return found
        parts = route_timing(network, route).bulk_parts
        k = len(parts)
        while k > 0 and parts[:k] not in self._bulk_prefix:
            k -= 1
        dist = self._bulk_prefix[parts[:k]] if k else lt.total(())
        for j in range(k, len(parts)):
            dist = dist + parts[j]
            self._bulk_prefix[parts[: j + 1]] = dist
        self._bulk[route.key] = dist
        return dist

    def _network(self, filters: Filters) -> Network:
        net = self._nets.get(filters)
        if net is None:
            lanes = tuple(lane for lane in self.network.lanes if _lane_allowed(lane, filters))
            net = (
                self.network
                if len(lanes) == len(self.network.lanes)
                else replace(self.network, lanes=lanes)
            )
            self._nets[filters] = net
        return net

    def _space(self, filters: Filters, network: Network) -> SearchSpace:
        space = self._spaces.get(filters)
        if space is None:
            space = self._spaces[filters] = SearchSpace.build(network, max_legs=self.max_legs)
        return space

    def _corridor(self, origin: str, market: str, pattern: Pattern, f: Filters) -> Corridor | None:
        key = (origin, market, pattern, f)
        if key not in self._corridors:
            net = self._network(f)
            space = self._space(f, net)
            routes = candidate_routes(
                net, origin, market, pattern, max_legs=self.max_legs, index=space.index
            )
            self._corridors[key] = (
                build_corridor(space, routes, market, pattern) if routes else None
            )
        return self._corridors[key]


def price_corridor(
    corridor: Corridor,
    pricer: ShipmentPricer,
    filters: Filters,
    rejected: Counter[tuple[str, str]],
) -> tuple[Array, npt.NDArray[np.bool_]]:
    """Landed cost of every route of ``corridor`` and which are feasible; count rejections.

    Each distinct tariff is priced once (the pricer caches it for the label search
    and the options shown); routes are then summed by gathering lane costs
    through the routes × legs index array, so there is no Python loop per route.
    """
    pattern = corridor.pattern.value
    n = len(corridor.routes)
    distinct = [
        pricer.bulk_leg(lane) if bulk else pricer.parcel_leg(lane) for lane, bulk in corridor.priced
    ]
    unique_cost = np.array([c.total for c in distinct])
    unique_bad = np.array([not c.ok for c in distinct], dtype=bool)
    cost = np.append(unique_cost[corridor.price_of], 0.0)  # last: the padding column
    bad = np.append(unique_bad[corridor.price_of], False)
    n_columns = len(corridor.columns)
    route_bad: npt.NDArray[np.bool_] = np.zeros(n, dtype=bool)
    if bad.any():  # attribute each refused route to its bad lane of lowest column index
        leg_bad = bad[corridor.legs]
        route_bad = np.asarray(leg_bad.any(axis=1), dtype=bool)
        first = np.where(leg_bad, corridor.legs, n_columns).min(axis=1)[route_bad]
        counts = np.bincount(first, minlength=n_columns)
        for j in np.flatnonzero(counts):
            lane = corridor.columns[j][0]
            charge = distinct[int(corridor.price_of[j])]
            reason = f"{lane.carrier} {lane.mode.value} ({lane.id}): {charge.reason}"
            rejected[(pattern, reason)] += int(counts[j])
    no_entry = ~corridor.has_entry & ~route_bad
    if no_entry.any():
        rejected[(pattern, "route never enters the market's customs territory")] += int(
            no_entry.sum()
        )
    leg_cost = cost[corridor.legs]
    freight = np.where(corridor.before_entry, leg_cost, 0.0).sum(axis=1)
    zero = pricer.customs(corridor.pattern, 0.0)
    if not zero.ok:
        alive = ~route_bad & corridor.has_entry
        rejected[(pattern, zero.reason)] += int(alive.sum())
        return np.full(n, np.inf), np.zeros(n, dtype=bool)
    customs = np.zeros(n)
    for postal in (False, True) if corridor.postal.any() else (False,):
        rows = corridor.postal == postal  # postal entries clear as postal items
        affine = pricer.customs_affine(corridor.pattern, postal)
        if affine is not None:
            customs[rows] = affine[0] + affine[1] * freight[rows]
        else:  # not affine in the freight (rare): assess each distinct freight
            values, where = np.unique(freight[rows], return_inverse=True)
            totals = np.array(
                [pricer.customs(corridor.pattern, float(f), postal).total for f in values]
            )
            customs[rows] = totals[where.reshape(-1)]
    landed = leg_cost.sum(axis=1) + corridor.handling_per_kg * pricer.weight_kg + customs
    if corridor.pattern.uses_stock:
        landed = landed + stock_cost(corridor, pricer)
    feasible = ~route_bad & corridor.has_entry
    within = np.ones(n, dtype=bool)
    if filters.max_price is not None:
        within &= landed <= filters.max_price + EPS
    if filters.max_days is not None:
        within &= corridor.p90 <= filters.max_days + EPS
    over = feasible & ~within
    if over.any():
        rejected[(pattern, _limit_reason(filters))] += int(over.sum())
    return landed, feasible & within


def stock_cost(corridor: Corridor, pricer: ShipmentPricer) -> Array:
    """Release + storage + capital in pipeline and stock, per route (see ``stock_cost``)."""
    per_day = pricer.shipment.value_usd * HOLDING_RATE_PER_YEAR / 365.0
    storage = corridor.storage_per_m3_day * (pricer.volume_m3 * STOCK_DAYS)
    return corridor.release_usd + storage + per_day * (corridor.bulk_mean + STOCK_DAYS)


def table_front(cost: Array, p90: Array) -> list[Point]:
    """The nondominated (cost, P90) points among priced routes, as :func:`nondominated` keeps.

    A point can only be kept if its P90 is below that of every cheaper point, so
    one sort and a running minimum leave a handful of candidates for the exact
    (tie-aware) pass.
    """
    order = np.lexsort((p90, cost))
    c, t = cost[order], p90[order]
    best = np.minimum.accumulate(np.concatenate(([np.inf], t[:-1])))
    keep = np.flatnonzero(t < best)
    return nondominated([Point("", float(c[k]), float(t[k])) for k in keep])


def _on_front(landed: Array, p90: Array, front: list[Point]) -> npt.NDArray[np.bool_]:
    """True where no front point is at least as good on both and better on one (1e-6 slack)."""
    beaten = np.zeros(landed.shape, dtype=bool)
    for p in front:
        beaten |= (
            (p.cost <= landed + 1e-6)
            & (p.p90 <= p90 + 1e-6)
            & ((p.cost < landed - 1e-6) | (p.p90 < p90 - 1e-6))
        )
    return ~beaten


def _shown(
    corridor: Corridor,
    landed: Array,
    feasible: npt.NDArray[np.bool_],
    on_front: npt.NDArray[np.bool_],
    hide_dominated: bool,
) -> list[int]:
    """Indices shown: Pareto routes, plus the cheapest (then fastest) feasible route per group."""
    keep = set(np.flatnonzero(on_front).tolist())
    if not hide_dominated:
        idx = np.flatnonzero(feasible)
        order = idx[np.lexsort((corridor.p90[idx], landed[idx], corridor.group[idx]))]
        first = np.ones(order.size, dtype=bool)
        first[1:] = corridor.group[order[1:]] != corridor.group[order[:-1]]
        keep.update(order[first].tolist())
    return sorted(keep)


def default_value_of_day(shipment: Shipment) -> float:
    """USD per day of P90 lead time used for BEST_VALUE: 1 % of the goods value, ≥ $0.25."""
    return max(MIN_VALUE_OF_DAY_USD, VALUE_OF_DAY_SHARE * shipment.value_usd)


def _lane_allowed(lane: Lane, filters: Filters) -> bool:
    if lane.mode in FEEDER_MODES:
        return True
    if filters.modes and lane.mode.value not in filters.modes:
        return False
    return not (filters.carriers and lane.carrier not in filters.carriers)


def _within(option: Option, filters: Filters) -> bool:
    if filters.max_price is not None and option.landed_usd > filters.max_price + EPS:
        return False
    return filters.max_days is None or option.p90_days <= filters.max_days + EPS


def _limit_reason(filters: Filters) -> str:
    limits = []
    if filters.max_price is not None:
        limits.append(f"landed cost above {filters.max_price:,.2f} USD")
    if filters.max_days is not None:
        limits.append(f"P90 above {filters.max_days:g} days")
    return "over the limit: " + " or ".join(limits)


def _no_route_reason(pattern: Pattern, shipment: Shipment) -> str:
    where = f"{shipment.origin} to {shipment.market}"
    if not pattern.uses_stock:
        return f"no parcel lane path from {where}"
    stock = "bonded zone" if pattern is Pattern.BONDED else "overseas warehouse"
    return f"no bulk lane path from {shipment.origin} to a {stock} serving {shipment.market}"


def _tag(options: list[Option], value_of_day: float) -> list[Option]:
    """Sort by landed cost; tag CHEAPEST, FASTEST (P90) and BEST_VALUE (cost + days × value).

    Called once per option group: a from-stock option's days start at the shelf,
    so comparing them with a ship-now option's door-to-door days would be wrong.
    """
    if not options:
        return []
    options = sorted(options, key=lambda o: (o.landed_usd, o.p90_days, o.route))
    cheapest = options[0].route
    fastest = min(options, key=lambda o: (o.p90_days, o.landed_usd, o.route)).route
    best = min(options, key=lambda o: (o.landed_usd + value_of_day * o.p90_days, o.route)).route
    out = []
    for o in options:
        tags = [
            t
            for t, r in (("CHEAPEST", cheapest), ("FASTEST", fastest), ("BEST_VALUE", best))
            if r == o.route
        ]
        out.append(replace(o, tags=tuple(tags)) if tags else o)
    return out
