"""The customs index (:mod:`optimizer.costing.index`) answers exactly as plain scans do.

The index looks tariff layer rows up by territory and HS prefix and memoizes the rows in
force per (territory, origin, channel, date, variants); here a plain linear scan over
every row of ``networks/global`` (the engine's code before the index, kept verbatim as
the reference) and the indexed engine must give the same lines, duties and notes for
many (territory, origin, HS code, channel, date, value, variants) combinations, and the
memoized rule, tax, fee and region lookups the same rows as the network's own scans.
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.costing.index import CustomsIndex, index_of
from optimizer.costing.layers import Consignment, Item, category_duty, explain
from optimizer.costing.taxes import fee_lines, price_fees, taxes_in_force
from optimizer.network.reader import read_network
from optimizer.network.records import Channel, Network
from optimizer.network.tariff_layers import (
    ANY,
    Layer,
    LayerBasis,
    TariffLayer,
    TradeChannel,
    origin_rank,
)

GLOBAL = Path(__file__).resolve().parents[1] / "networks" / "global"
WORLD = read_network(GLOBAL)


def plain_scan(network: Network, c: Consignment) -> tuple[list[tuple[str, int, float, str]], ...]:
    """The layer lines (id, items, duty, excluded_by) and notes by a scan over every row."""
    territory = network.country_by_code[c.to].territory
    origin_country = network.country_by_code.get(c.origin)
    origin_group = origin_country.territory if origin_country else c.origin
    codes = frozenset(network.country_by_code)

    def convert(amount: float, currency: str, to: str) -> float:
        return network.from_usd(network.to_usd(amount, currency), to)

    candidates: list[tuple[TariffLayer, int]] = []
    for row in network.tariff_layers:
        if row.territory != territory or not row.in_force(c.day):
            continue
        if not row.applies_to_channel(c.channel) or (row.variant and row.variant not in c.variants):
            continue
        ranks = [origin_rank(t, codes) for t in row.origins if t in (ANY, c.origin, origin_group)]
        if not ranks:
            continue
        if row.has_value_window:
            assert row.currency is not None
            if not row.value_window_holds(convert(c.declared, c.currency, row.currency)):
                continue
        candidates.append((row, max(ranks)))
    applied: dict[str, list[int]] = {}
    excluded: dict[str, tuple[str, list[int]]] = {}
    notes: list[str] = []
    for index, item in enumerate(c.items):
        chosen: dict[str, TariffLayer] = {}
        best: dict[str, tuple[int, int, int, str]] = {}
        for row, rank in candidates:
            if not row.matches_hs(item.hs_code):
                continue
            key = (row.prefix_length, rank, 1 if row.variant else 0, row.id)
            if row.stacking_group not in best or key > best[row.stacking_group]:
                best[row.stacking_group] = key
                chosen[row.stacking_group] = row
        off: dict[str, str] = {}
        for group, row in sorted(chosen.items()):
            for target in row.excluded_groups:
                for other in chosen if target == ANY else [target]:
                    if other != group and other in chosen:
                        off.setdefault(other, row.id)
        for group, row in sorted(chosen.items()):
            if group in off:
                excluded.setdefault(row.id, (off[group], []))[1].append(index)
            else:
                applied.setdefault(row.id, []).append(index)
        if not any(r.layer != "additional" for r in chosen.values()):
            notes.append(f"no MFN row for HS {item.hs_code}")
    lines = [(i, len(x), -1.0, "") for i, x in sorted(applied.items())]
    lines += [(i, len(x), 0.0, by) for i, (by, x) in sorted(excluded.items())]
    return sorted(lines), list(dict.fromkeys(notes))  # type: ignore[return-value]


def _dates() -> list[dt.date]:
    """Every date a row starts or ends, the day before and after each, and a few more."""
    rows = [*WORLD.tariff_layers, *RIVALS.tariff_layers]
    edges = {r.valid_from for r in rows}
    edges |= {r.valid_to for r in rows if r.valid_to is not None}
    days = {d + dt.timedelta(days=k) for d in edges for k in (-1, 0, 1)}
    return sorted(days | {dt.date(2010, 1, 1), dt.date(2030, 6, 30)})


def _row(id_: str, origin: str, prefix: str, group: str, **more: object) -> TariffLayer:
    values: dict = dict(  # type: ignore[type-arg]
        territory="US",
        layer=Layer.ADDITIONAL,
        basis=LayerBasis.AD_VALOREM,
        rate=0.01,
        valid_from=dt.date(2025, 1, 1),
    )
    values.update(more)
    return TariffLayer(id_, hs_prefix=prefix, stacking_group=group, origin=origin, **values)


#: ``networks/global`` plus rows of one group that compete on origin rank (country, group,
#: ``*``), prefix length and variant, and a group that switches another off for some codes.
RIVALS = replace(
    WORLD,
    tariff_layers=tuple(
        sorted(
            [
                *WORLD.tariff_layers,
                _row("Z_ANY_61", ANY, "61", "zz"),
                _row("Z_EU_61", "EU", "61", "zz", rate=0.02),
                _row("Z_DE_61", "DE", "61", "zz", rate=0.03, valid_to=dt.date(2026, 1, 31)),
                _row("Z_CN_HK_61", "CN;HK", "61", "zz", rate=0.04, channels="postal"),
                _row("Z_ANY_6109", ANY, "6109", "zz", rate=0.05, valid_from=dt.date(2025, 6, 1)),
                _row("Z_AVAR_61", ANY, "61", "zz", rate=0.06, variant="us_postal_specific"),
                _row("Z_OFF_6109", "EU", "610910", "zy", rate=0.0, excludes="zz"),
                _row(
                    "Z_WINDOW_ALL",
                    ANY,
                    ANY,
                    "zx",
                    rate=0.0,
                    excludes=ANY,
                    currency="USD",
                    value_up_to=100.0,
                    valid_from=dt.date(2025, 3, 1),
                ),
            ],
            key=lambda x: x.id,
        )
    ),
)
NETWORKS = {"global": WORLD, "rivals": RIVALS}

TERRITORY_COUNTRY = {c.territory: c.code for c in sorted(WORLD.countries, key=lambda c: c.code)}
LAYERED = sorted({r.territory for r in WORLD.tariff_layers})
ORIGINS = sorted({c.code for c in WORLD.countries} | {"HK", "VN", "XX"})
PREFIXES = sorted({r.hs_prefix for r in WORLD.tariff_layers if r.hs_prefix != ANY})
HS = st.one_of(
    st.sampled_from(PREFIXES),
    st.tuples(st.sampled_from(PREFIXES), st.text("0123456789", min_size=0, max_size=4)).map(
        lambda p: (p[0] + p[1])[:10]
    ),
    st.text("0123456789", min_size=2, max_size=10),
)
VARIANTS = sorted({r.variant for r in WORLD.tariff_layers if r.variant})


def _consignment(
    territory: str,
    origin: str,
    items: list[tuple[str, float]],
    channel: TradeChannel,
    day: dt.date,
    variants: frozenset[str],
) -> Consignment:
    return Consignment(
        to=TERRITORY_COUNTRY[territory],
        origin=origin,
        items=tuple(Item(hs, value, weight_kg=value / 50.0) for hs, value in items),
        channel=channel,
        day=day,
        variants=variants,
    )


def _lines(result: object) -> tuple[list[tuple[str, int, float, str]], list[str]]:
    lines = sorted(
        (x.layer.id, x.items, -1.0 if x.applied else 0.0, x.excluded_by)
        for x in result.lines  # type: ignore[attr-defined]
    )
    notes = [n.split(" in ")[0] for n in result.notes if n.startswith("no MFN")]  # type: ignore[attr-defined]
    return lines, notes


@settings(max_examples=400)
@given(
    which=st.sampled_from(sorted(NETWORKS)),
    territory=st.sampled_from(LAYERED),
    origin=st.sampled_from(ORIGINS),
    items=st.lists(
        st.tuples(HS, st.sampled_from([0.0, 5.0, 19.99, 120.0, 149.0, 151.0, 800.0, 5000.0])),
        min_size=1,
        max_size=4,
    ),
    channel=st.sampled_from(list(TradeChannel)),
    day=st.sampled_from(_dates()),
    variants=st.sets(st.sampled_from(VARIANTS)).map(frozenset),
)
def test_indexed_layers_equal_a_plain_scan(
    which: str,
    territory: str,
    origin: str,
    items: list[tuple[str, float]],
    channel: TradeChannel,
    day: dt.date,
    variants: frozenset[str],
) -> None:
    c = _consignment(territory, origin, items, channel, day, variants)
    network = NETWORKS[which]
    assert _lines(explain(network, c)) == plain_scan(network, c)


def test_every_layered_territory_origin_channel_and_date() -> None:
    """A table sweep: each category's HS code, every origin, channel, row-edge date and
    variant selection."""
    codes = sorted({cat.tariff_code for cat in WORLD.categories})
    fresh = replace(RIVALS)  # its own, empty index
    for territory in LAYERED:
        for origin in ORIGINS:
            for channel in TradeChannel:
                for day in _dates()[::5]:
                    for variants in (frozenset(), frozenset(VARIANTS)):
                        items = [(code, 120.0) for code in codes]
                        c = _consignment(territory, origin, items, channel, day, variants)
                        assert _lines(explain(fresh, c)) == plain_scan(fresh, c)


def test_category_duty_is_the_explained_duty() -> None:
    """:func:`category_duty` (the optimizer's and the quote's path) against :func:`explain`."""
    day = dt.date(2026, 3, 1)
    duty = category_duty(
        WORLD,
        dest_country="US",
        channel=Channel.PARCEL,
        origin_country="CN",
        hs_code="610910",
        value_usd=120.0,
        customs_value_usd=130.0,
        items=3,
        day=day,
    )
    c = Consignment(
        to="US",
        origin="CN",
        items=tuple(Item("610910", 130.0 / 3) for _ in range(3)),
        channel=TradeChannel.EXPRESS,
        day=day,
        declared_value=120.0,
    )
    result = explain(WORLD, c)
    ids = " + ".join(x.layer.id for x in result.lines if x.applied)
    assert duty == (result.duty, f"HS 6109.10: duty layers {ids}")


def test_memoized_lookups_equal_the_network_scans() -> None:
    index = CustomsIndex(WORLD)
    for day in _dates()[::2]:
        for territory in sorted({c.territory for c in WORLD.countries}):
            for channel in Channel:
                for origin in ORIGINS:
                    got = index.customs_rule(territory, channel, origin, day)
                    assert got is WORLD.customs_rule(territory, channel, origin, day)
            for trade in TradeChannel:
                fees = index.fees_in_force(territory, trade.value, day)
                for value in (1.0, 2500.0, 1e6):
                    assert price_fees(WORLD, fees, value, "EUR") == fee_lines(
                        WORLD, territory=territory, channel=trade.value, value=value,
                        currency="EUR", day=day,
                    )  # fmt: skip
        for country in sorted(WORLD.country_by_code):
            for region in ("", "ON", "QC"):
                assert index.taxes_in_force(country, region, day) == taxes_in_force(
                    WORLD, country, region, day
                )
    for node in WORLD.nodes:
        assert index.region_of(node.id) == WORLD.region_of(node.id)
    for cat in WORLD.categories:
        for territory in LAYERED:
            for origin in ORIGINS:
                assert index.duty_rate(cat.id, territory, origin) == WORLD.duty_rate(
                    cat.id, territory, origin
                )


def test_index_kept_per_network_and_not_pickled() -> None:
    network = replace(WORLD)
    index = index_of(network)
    assert index_of(network) is index
    assert index_of(replace(network)) is not index  # a replaced network builds its own
    clone = pickle.loads(pickle.dumps(network))
    assert clone.customs_index is None
    assert index_of(clone).has_layers("US")


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
