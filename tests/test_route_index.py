"""One route index: the pattern maps, the territory rule and the index the quote shares."""

from optimizer.network.records import Channel, NodeKind
from optimizer.routes.candidates import reenters
from optimizer.scenario.records import Pattern


def test_each_pattern_names_its_customs_channel_and_stock_node_kind():
    assert [(p.channel, p.stock_kind) for p in Pattern] == [
        (Channel.PARCEL, None),
        (Channel.BONDED, NodeKind.BONDED_ZONE),
        (Channel.COMMERCIAL, NodeKind.OVERSEAS_WAREHOUSE),
    ]


def test_a_route_may_stay_in_or_enter_a_new_territory_but_never_come_back():
    been = frozenset({"CN", "SG"})
    assert not reenters("CN", "CN", been)  # staying inside
    assert not reenters("SG", "US", been)  # a new territory
    assert reenters("SG", "CN", been)  # back into one it left
