"""Boundary cases of :func:`optimizer.costing.customs.assess` that pin each comparison.

Each test here was checked by making the one-line change named in its
docstring to ``optimizer/costing/customs.py`` and seeing it fail (issue 11,
class 13): a threshold that is inclusive, the fee that follows any charge
collected at the border, and the CBEC per-order limits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from costing_fixtures import make_network
from pytest import approx

from optimizer.costing.customs import assess, declared
from optimizer.network.records import Channel, CustomsRule, DutyBelow, TaxBelow

DAY = dt.date(2026, 1, 1)
NET = make_network()


def _customs(net, dest, value_usd, *, origin="CN", day=DAY, items=1, channel=Channel.PARCEL):
    return assess(
        net,
        dest_country=dest,
        channel=channel,
        origin_country=origin,
        category="apparel",
        value_usd=value_usd,
        freight_usd=0.0,
        items=items,
        day=day,
    )


def _usd(amount: float, currency: str) -> float:
    return NET.to_usd(amount, currency)


@pytest.mark.parametrize(
    ("dest", "currency", "threshold", "day"),
    [
        ("GB", "GBP", 135.0, DAY),
        ("DE", "EUR", 150.0, dt.date(2026, 6, 30)),
        ("DE", "EUR", 150.0, dt.date(2026, 7, 1)),
    ],
)
def test_a_parcel_of_exactly_the_threshold_is_within_it(dest, currency, threshold, day):
    """Mutation caught: ``value_local <= rule.threshold_value`` -> ``<``."""
    at = _customs(NET, dest, _usd(threshold, currency), day=day)
    assert at.within_threshold and not at.tax_at_border
    assert "within" in at.treatment
    above = _customs(NET, dest, _usd(threshold + 0.01, currency), day=day)
    assert not above.within_threshold and above.tax_at_border
    assert above.duty_usd > 0 and "above" in above.treatment


def test_declared_value_survives_the_usd_round_trip():
    """26000 / 0.79 * 0.79 > 26000 in floating point; the declared value is rounded to the cent.

    Mutation caught: comparing ``network.from_usd(...)`` unrounded (an order of
    exactly CNY 26,000 would be refused at this rate).
    """
    net = replace(NET, fx_per_usd=(("CNY", 0.79), ("EUR", 0.9), ("GBP", 0.8), ("USD", 1.0)))
    usd = net.to_usd(26_000.0, "CNY")
    assert net.from_usd(usd, "CNY") > 26_000.0  # the float round trip overshoots
    assert declared(net, usd, "CNY") == 26_000.0
    assert _customs(net, "CN", usd, origin="DE").ok


def _only_border_tax_net(fee: float):
    """A territory (VN) whose parcels up to USD 100 pay no duty but VAT at the border + a fee."""
    rule = CustomsRule(
        "VN_PARCEL",
        "VN",
        Channel.PARCEL,
        dt.date(2020, 1, 1),
        threshold_value=100.0,
        threshold_currency="USD",
        duty_below=DutyBelow.EXEMPT,
        tax_below=TaxBelow.BORDER,
        clearance_fee=fee,
    )
    return replace(NET, customs_rules=(*NET.customs_rules, rule))


def test_fee_is_charged_when_only_border_tax_is_collected():
    """Mutation caught: ``collected = duty > 0 or (tax > 0 and at_border)`` -> ``duty > 0``."""
    net = _only_border_tax_net(fee=4.0)
    c = _customs(net, "VN", 50.0)
    assert c.within_threshold and c.duty_usd == 0.0
    assert c.tax_usd == approx(5.0) and c.tax_at_border
    assert c.fee_usd == approx(4.0)


def test_no_fee_when_nothing_is_collected_at_the_border():
    """Mutation caught: ``(tax > 0 and at_border)`` -> ``tax > 0`` or ``tax >= 0``."""
    rules = tuple(
        replace(r, clearance_fee=8.0) if r.id == "GB_135" else r for r in NET.customs_rules
    )
    c = _customs(replace(NET, customs_rules=rules), "GB", _usd(100.0, "GBP"))
    assert c.tax_usd > 0 and not c.tax_at_border and c.fee_usd == 0.0  # VAT at sale, no duty
    assert _customs(NET, "DE", _usd(100.0, "EUR"), day=dt.date(2026, 7, 1)).fee_usd > 0
    free = replace(
        NET.customs_rules[0], id="US_FREE", origin="VN", valid_to=None, clearance_fee=9.0
    )  # duty and tax exempt, a fee on the rule: nothing is collected, so no fee
    net = replace(NET, customs_rules=(*NET.customs_rules, free))
    us = _customs(net, "US", 50.0, origin="VN")
    assert us.rule_id == "US_FREE" and us.total == 0.0


@pytest.mark.parametrize("channel", [Channel.PARCEL, Channel.BONDED])
def test_cbec_annual_limit_is_inclusive(channel):
    """Mutation caught: ``cny > CN_CBEC_ANNUAL_LIMIT_CNY`` -> ``>=``."""
    at = _customs(NET, "CN", _usd(26_000.0, "CNY"), origin="DE", channel=channel)
    assert at.ok and not at.within_threshold and at.duty_usd > 0
    over = _customs(NET, "CN", _usd(26_000.01, "CNY"), origin="DE", channel=channel)
    assert not over.ok and "26,000" in over.reason


def test_cbec_multi_item_order_at_the_per_order_limit_is_accepted():
    """Mutation caught: ``local > rule.threshold_value`` -> ``>=`` (multi-item orders)."""
    at = _customs(NET, "CN", _usd(5_000.0, "CNY"), origin="DE", items=3)
    assert at.ok and at.within_threshold and at.duty_usd == 0.0
    over = _customs(NET, "CN", _usd(5_000.01, "CNY"), origin="DE", items=3)
    assert not over.ok and "general trade" in over.reason
    single = _customs(NET, "CN", _usd(5_000.01, "CNY"), origin="DE", items=1)
    assert single.ok and not single.within_threshold  # one item: general duty, not refused


def test_cbec_limits_do_not_apply_to_commercial_imports():
    """Mutation caught: dropping ``or rule.channel is Channel.COMMERCIAL`` in ``_cbec_limit``."""
    rule = CustomsRule(
        "CN_GT",
        "CN",
        Channel.COMMERCIAL,
        dt.date(2019, 1, 1),
        threshold_value=0.0,
        threshold_currency="CNY",
        duty_below=DutyBelow.RATE,
        tax_below=TaxBelow.BORDER,
    )
    net = replace(NET, customs_rules=(*NET.customs_rules, rule))
    c = _customs(net, "CN", _usd(30_000.0, "CNY"), origin="DE", channel=Channel.COMMERCIAL)
    assert c.ok and c.rule_id == "CN_GT"
