"""Reference tables must cover every case a route can reach: absence is an error, not zero.

A duty rate or a customs rule is looked up by key (category × territory ×
origin; territory × channel × origin × date). When no row matches, the
costing would fall back to a default — 0 % duty, or a normal import without
fees — and a deleted row would turn into a confident wrong price (issue 11:
deleting ``apparel,US,*`` dropped a quote from 27.80 to 13.16 USD). So:

- every category, for every (origin country, market territory) pair that a
  lane path connects across a border, has a duty rate — an explicit 0 % row
  is fine — unless an ``mfn`` tariff layer of the territory covers its HS code
  (the layers price it; :mod:`optimizer.network.tariff_layers` checks that every
  category has such a row in each territory with layers and markets);
- every market territory has customs rules for each channel its flows use
  (parcel always; bonded where it has a bonded zone; commercial where it has
  an overseas warehouse), and the generic (origin ``*``) rules of each channel
  follow each other without a gap from their first day, the last one
  open-ended;
- a scenario's plan date or a quote's ship date on which a needed channel has
  no rule in force (before the first rule) is refused where it is read.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable

from optimizer.errors import Problem
from optimizer.network.graph import build_graph, reachable
from optimizer.network.records import Channel, CustomsRule, Network, NodeKind
from optimizer.network.tariff_layers import covers, mfn_prefixes


def reachable_pairs(network: Network) -> dict[str, set[str]]:
    """Market territory -> origin countries of the nodes a lane path connects to one of its
    markets from another territory (any node may be a quote's ``--from``, so all are used)."""
    graph = build_graph(network)
    pairs: dict[str, set[str]] = defaultdict(set)
    markets = {n.id for n in network.nodes if n.kind is NodeKind.MARKET}
    for node in network.nodes:
        if node.kind is NodeKind.MARKET:
            continue
        home = network.territory_of(node.id)
        for market in reachable(graph, node.id) & markets:
            there = network.territory_of(market)
            if there != home:
                pairs[there].add(node.country)
    return pairs


def duty_coverage_problems(
    network: Network, file: str, pairs: dict[str, set[str]]
) -> list[Problem]:
    """A problem per (category, territory, origin) a route can reach without a duty rate.

    ``pairs`` is :func:`reachable_pairs` of ``network``. A category whose HS code an
    ``mfn`` tariff layer of the territory covers needs no row: the layers price it
    (:func:`optimizer.costing.customs.assess`), and ``duty_rates.csv`` is not read there.
    """
    rates = {(d.category, d.territory, d.origin) for d in network.duty_rates}
    mfn = mfn_prefixes(
        {"layer": row.layer, "hs_prefix": row.hs_prefix, "territory": row.territory}
        for row in network.tariff_layers
    )
    problems = []
    for territory, origins in sorted(pairs.items()):
        for category in sorted(network.category_by_id):
            if (category, territory, "*") in rates:
                continue
            if covers(mfn.get(territory, ()), network.category_by_id[category].tariff_code):
                continue
            missing = sorted(o for o in origins if (category, territory, o) not in rates)
            if missing:
                problems.append(
                    Problem(
                        file,
                        f"no duty rate for category {category!r} into customs territory "
                        f"{territory} from {', '.join(missing)} (routes reach it)",
                        field="category",
                        value=category,
                        expected=f"a row '{category},{territory},*' or one per origin "
                        "(an explicit 0 rate is fine; a missing row is not read as 0 %)",
                    )
                )
    return problems


def required_channels(network: Network, territory: str) -> tuple[Channel, ...]:
    """Channels that flows into ``territory`` use: parcel, plus bonded / commercial where
    the territory has a bonded zone / an overseas warehouse. Empty: no market there."""
    kinds = {n.kind for n in network.nodes if network.territory_of(n.id) == territory}
    if NodeKind.MARKET not in kinds:
        return ()
    channels = [Channel.PARCEL]
    if NodeKind.BONDED_ZONE in kinds:
        channels.append(Channel.BONDED)
    if NodeKind.OVERSEAS_WAREHOUSE in kinds:
        channels.append(Channel.COMMERCIAL)
    return tuple(channels)


def _generic(network: Network, territory: str, channel: Channel) -> list[CustomsRule]:
    rules = [
        r
        for r in network.customs_rules
        if r.territory == territory and r.channel is channel and r.origin == "*"
    ]
    return sorted(rules, key=lambda r: r.valid_from)


def customs_coverage_problems(
    network: Network, file: str, territories: Iterable[str]
) -> list[Problem]:
    """Missing channels, gaps between generic rules and a last rule that ends, for the
    market ``territories`` that routes reach from another territory."""
    problems = []
    for territory in sorted(territories):
        for channel in required_channels(network, territory):
            rules = _generic(network, territory, channel)
            where = f"customs territory {territory}, channel {channel.value}"
            if not rules:
                problems.append(
                    Problem(
                        file,
                        f"no customs rule for {where} (markets there are reached)",
                        field="channel",
                        value=channel.value,
                        expected=f"rules with territory {territory}, channel {channel.value}, "
                        "origin * (a normal import is a rule with threshold_value 0)",
                    )
                )
                continue
            for before, after in itertools.pairwise(rules):
                end = before.valid_to
                if end is not None and after.valid_from > end + dt.timedelta(days=1):
                    problems.append(
                        Problem(
                            file,
                            f"no customs rule for {where} from "
                            f"{(end + dt.timedelta(days=1)).isoformat()} to "
                            f"{(after.valid_from - dt.timedelta(days=1)).isoformat()} "
                            f"(between {before.id!r} and {after.id!r})",
                            field="valid_from",
                            value=after.valid_from.isoformat(),
                            expected="rules that follow each other without a gap",
                        )
                    )
            last = rules[-1]
            if last.valid_to is not None:
                problems.append(
                    Problem(
                        file,
                        f"no customs rule for {where} after {last.valid_to.isoformat()} "
                        f"(rule {last.id!r} ends then)",
                        field="valid_to",
                        value=last.valid_to.isoformat(),
                        expected="an open-ended last rule (empty valid_to)",
                    )
                )
    return problems


def missing_rules_on(network: Network, territory: str, day: dt.date) -> list[str]:
    """Why ``day`` has no rule in force for a channel of ``territory`` ("" list: none missing)."""
    out = []
    for channel in required_channels(network, territory):
        rules = _generic(network, territory, channel)
        if rules and not any(r.in_force(day) for r in rules):
            out.append(
                f"no customs rule for customs territory {territory}, channel "
                f"{channel.value} on {day.isoformat()}: the network's rules start on "
                f"{rules[0].valid_from.isoformat()}"
            )
    return out
