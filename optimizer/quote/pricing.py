"""What each lane and the import cost for one shipment, priced once per shipment.

The route enumeration and the Pareto label search both read these prices, so
an option's cost is the same whichever way it was found. All money in USD,
from :mod:`optimizer.costing` (the one source of truth).

Conventions (the same as :mod:`optimizer.routes.evaluate`):

- a lane the order itself rides (direct-package lanes, last mile) is priced on
  its tariff for this shipment: minimum charges, weight breaks, per-piece limits;
- a bulk lane moving stock ahead of demand charges this shipment its share of
  consolidated freight: the best-break rate per kg (:func:`marginal_rate_per_kg`)
  or a full container's cost per kg/m³ of load;
- handling is charged per actual kg at every node passed before the market,
  origin included; customs are assessed at the first node inside the market's
  territory, on the freight up to there (CIF countries); b2b-direct (9710) on the
  commercial channel, the entry fee per consignment; a domestic flow pays none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from optimizer.costing.customs import CustomsCharge, assess
from optimizer.costing.flows import DOMESTIC_CHARGE
from optimizer.costing.layers import channels_differ
from optimizer.costing.tariff import (
    LegCharge,
    chargeable_weight,
    container_cost_usd,
    marginal_rate_per_kg,
    price_shipment,
)
from optimizer.network.hs_codes import priced_code
from optimizer.network.records import Channel, Lane, Mode, Network, TariffBasis
from optimizer.network.tariff_layers import TradeChannel
from optimizer.quote.shipment import Shipment
from optimizer.scenario.records import HOLDING_RATE_PER_YEAR, Pattern

#: Defaults for the stock a warehouse pattern holds per order (documented in docs/quote.md).
STOCK_DAYS = 30.0  # days an order's goods wait in the bonded/overseas warehouse
#: A commercial (9810) entry clears a whole replenishment; an order bears the entry fee in
#: proportion to its share of a load this size (about one 40' container).
ENTRY_LOAD_KG = 20_000.0
ENTRY_LOAD_M3 = 60.0


def entry_is_postal(pattern: Pattern, lanes: tuple[Lane, ...], entry_index: int) -> bool:
    """Whether a direct parcel enters the market's territory on a postal lane (a postal item)."""
    return (
        pattern.clears_customs
        and pattern.channel is Channel.PARCEL
        and entry_index >= 0
        and lanes[entry_index].mode is Mode.POSTAL
    )


@dataclass(slots=True)
class ShipmentPricer:
    """Prices for one shipment, cached per tariff and per (channel, freight).

    A lane's charge for this shipment depends only on the lane's tariff (483
    lanes share 107 tariffs on ``networks/global``), so lanes of one tariff are
    priced once.
    """

    network: Network
    shipment: Shipment
    weight_kg: float = field(init=False)
    volume_m3: float = field(init=False)
    _parcel: dict[str, LegCharge] = field(default_factory=dict)
    _bulk: dict[str, LegCharge] = field(default_factory=dict)
    _customs: dict[tuple[Pattern, bool], tuple[CustomsCharge, CustomsCharge | None]] = field(
        default_factory=dict
    )

    _postal: bool | None = None  # postal items priced otherwise than express? (lazy)

    def __post_init__(self) -> None:
        self.weight_kg = self.shipment.weight_kg
        self.volume_m3 = self.shipment.volume_m3

    def _postal_differs(self) -> bool:
        """Whether a postal item is priced otherwise than an express parcel on the ship date
        (a postal-only layer in force): if not, both share one assessment (half the work)."""
        if self._postal is None:
            s, network = self.shipment, self.network
            territory = network.territory_of(s.market)
            self._postal = channels_differ(
                network, territory, s.ship_date, TradeChannel.POSTAL, TradeChannel.EXPRESS
            )
        return self._postal

    @property
    def hs_code(self) -> str:
        """The HS code the duty is priced at: the shipment's, else its category's."""
        return priced_code(self.network, self.shipment.category, self.shipment.hs_code)

    def parcel_leg(self, lane: Lane) -> LegCharge:
        """The shipment rides ``lane`` itself: its tariff for these pieces."""
        charge = self._parcel.get(lane.tariff)
        if charge is None:
            charge = self._price_pieces(lane)
            self._parcel[lane.tariff] = charge
        return charge

    def bulk_leg(self, lane: Lane) -> LegCharge:
        """The shipment's share of consolidated stock freight on ``lane``."""
        charge = self._bulk.get(lane.tariff)
        if charge is None:
            charge = self._price_share(lane)
            self._bulk[lane.tariff] = charge
        return charge

    def handling(self, node_id: str) -> float:
        return self.network.node_by_id[node_id].handling_cost_per_kg * self.weight_kg

    def customs(self, pattern: Pattern, freight_usd: float, postal: bool = False) -> CustomsCharge:
        """Customs for ``freight_usd`` of freight in the customs value.

        ``postal``: the parcel enters the territory on a postal lane, so it clears as
        a postal item (:func:`entry_is_postal`; postal-only tariff layers apply).

        For a given shipment and pattern the charge is affine in the freight
        (thresholds test the goods value, not the freight), so it is assessed
        at 0 and 1 USD of freight once and interpolated; any case where that
        does not hold (refusal, a fee that appears with freight) is assessed directly.
        """
        postal = postal and self._postal_differs()
        key = (pattern, postal)
        cached = self._customs.get(key)
        if cached is None:
            zero, one = self._assess(pattern, 0.0, postal), self._assess(pattern, 1.0, postal)
            linear = (
                zero.ok
                and one.ok
                and zero.fee_usd == one.fee_usd
                and (zero.rule_id, zero.within_threshold, zero.tax_at_border)
                == (one.rule_id, one.within_threshold, one.tax_at_border)
            )
            cached = self._customs[key] = (zero, one if linear else None)
        base, unit = cached
        if unit is None:
            return self._assess(pattern, freight_usd, postal)
        if freight_usd == 0.0:
            return base
        return CustomsCharge(  # built directly: dataclasses.replace is slow on a hot path
            base.duty_usd + freight_usd * (unit.duty_usd - base.duty_usd),
            base.tax_usd + freight_usd * (unit.tax_usd - base.tax_usd),
            base.fee_usd,
            base.rule_id,
            base.treatment,
            base.within_threshold,
            base.tax_at_border,
            base.ok,
            base.reason,
            base.fee_assumption,
            base.fees,
            base.assumed_fee_usd,
        )

    def customs_affine(self, pattern: Pattern, postal: bool = False) -> tuple[float, float] | None:
        """``(total at zero freight, added per USD of freight)`` of :meth:`customs`.

        None when the charge is not affine in the freight (a refusal, or a fee
        that appears with freight): callers then assess each freight with
        :meth:`customs`. Lets the label search and the route table add customs
        with one multiply-add instead of building a charge record.
        """
        postal = postal and self._postal_differs()
        self.customs(pattern, 0.0, postal)
        base, unit = self._customs[(pattern, postal)]
        if unit is None:
            return None
        return base.total, unit.total - base.total

    def _assess(self, pattern: Pattern, freight_usd: float, postal: bool) -> CustomsCharge:
        if not pattern.clears_customs:
            return DOMESTIC_CHARGE  # a domestic flow imports nothing
        s = self.shipment
        network = self.network
        charge = assess(
            network,
            dest_country=network.node_by_id[s.market].country,
            channel=pattern.channel,
            origin_country=network.node_by_id[s.origin].country,
            category=s.category,
            value_usd=s.value_usd,
            freight_usd=freight_usd,
            items=s.item_count,
            day=s.ship_date,
            hs_code=s.hs_code or None,
            mode=Mode.POSTAL if postal else None,
            market=s.market,
        )
        if pattern is Pattern.OVERSEAS and charge.fee_usd:
            share = max(self.weight_kg / ENTRY_LOAD_KG, self.volume_m3 / ENTRY_LOAD_M3)
            scale = min(share, 1.0)
            charge = replace(
                charge,
                fee_usd=charge.fee_usd * scale,
                fees=tuple((name, usd * scale) for name, usd in charge.fees),
                assumed_fee_usd=charge.assumed_fee_usd * scale,
            )
        return charge

    def stock_cost(self, stock_node: str, bulk_mean_days: float) -> float:
        """Release + storage for :data:`STOCK_DAYS` + capital held in pipeline and stock."""
        node = self.network.node_by_id[stock_node]
        s = self.shipment
        storage = node.storage_cost_per_m3_day * self.volume_m3 * STOCK_DAYS
        holding = s.value_usd * HOLDING_RATE_PER_YEAR / 365.0 * (bulk_mean_days + STOCK_DAYS)
        return node.release_cost_per_order + storage + holding

    # -- internals ----------------------------------------------------------------------------

    def _price_pieces(self, lane: Lane) -> LegCharge:
        tariff = self.network.tariff_by_id[lane.tariff]
        pieces = self.shipment.pieces
        if len(pieces) == 1:
            p = pieces[0]
            return price_shipment(
                tariff,
                self.network,
                weight_kg=p.weight_kg * p.count,
                volume_m3=p.volume_m3 * p.count,
                pieces=p.count,
            )
        parts = [
            price_shipment(
                tariff,
                self.network,
                weight_kg=p.weight_kg * p.count,
                volume_m3=p.volume_m3 * p.count,
                pieces=p.count,
            )
            for p in pieces
        ]
        refused = next((c for c in parts if not c.ok), None)
        if refused is not None:
            return refused
        if tariff.basis is not TariffBasis.PER_PARCEL:  # bill the total, pieces checked above
            s = self.shipment
            return price_shipment(
                tariff,
                self.network,
                weight_kg=s.weight_kg,
                volume_m3=s.volume_m3,
                pieces=s.piece_count,
            )
        rule = "volumetric" if any(c.rule == "volumetric" for c in parts) else "actual"
        return LegCharge(
            sum(c.freight_usd for c in parts),
            sum(c.fuel_usd for c in parts),
            parts[0].handling_usd,
            sum(c.chargeable_kg for c in parts),
            rule,
        )

    def _price_share(self, lane: Lane) -> LegCharge:
        network, s = self.network, self
        tariff = network.tariff_by_id[lane.tariff]
        if tariff.basis is TariffBasis.PER_PARCEL:
            return self._price_pieces(lane)
        if tariff.basis is TariffBasis.PER_CONTAINER:
            share = 0.0
            if tariff.container_capacity_kg:
                share = s.weight_kg / tariff.container_capacity_kg
            if tariff.container_capacity_m3:
                share = max(share, s.volume_m3 / tariff.container_capacity_m3)
            cost = share * container_cost_usd(tariff, network)
            return LegCharge(cost, 0.0, 0.0, s.weight_kg, "container share")
        density = s.weight_kg / s.volume_m3
        per_kg = marginal_rate_per_kg(tariff, network, density_kg_per_m3=density)
        divisor = tariff.volumetric_divisor_cm3_per_kg
        if tariff.basis is TariffBasis.PER_WM and divisor is None:
            divisor = 1000.0
        kg, rule = chargeable_weight(s.weight_kg, s.volume_m3, divisor)
        return LegCharge(per_kg * s.weight_kg, 0.0, 0.0, kg, rule)
