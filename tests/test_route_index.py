"""One route index: the pattern maps, the territory rule and the index the quote shares."""

from optimizer.network.records import Channel, NodeKind
from optimizer.routes.candidates import reenters
from optimizer.scenario.records import Pattern


def test_each_pattern_names_its_customs_channel_and_stock_node_kind():
    cleared = [p for p in Pattern if p.clears_customs]
    assert [(p.channel, p.stock_kind) for p in cleared] == [
        (Channel.PARCEL, None),
        (Channel.BONDED, NodeKind.BONDED_ZONE),
        (Channel.COMMERCIAL, NodeKind.OVERSEAS_WAREHOUSE),
        (Channel.COMMERCIAL, None),  # b2b-direct (9710): a normal import, no stock
    ]
    assert [p for p in Pattern if not p.clears_customs] == [Pattern.DOMESTIC]
    assert Pattern.DOMESTIC.stock_kind is None and not Pattern.DOMESTIC.uses_stock


def test_a_route_may_stay_in_or_enter_a_new_territory_but_never_come_back():
    been = frozenset({"CN", "SG"})
    assert not reenters("CN", "CN", been)  # staying inside
    assert not reenters("SG", "US", been)  # a new territory
    assert reenters("SG", "CN", been)  # back into one it left
