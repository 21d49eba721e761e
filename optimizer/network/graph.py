"""Build the networkx graph of a network — in one place, in sorted order.

Nodes are added sorted by id and edges sorted by lane id, so iteration order
(and everything computed from it) does not depend on hash seeds.

Graph attributes
----------------
``G.graph``: ``name``, ``crs`` ("EPSG:4326").
Node attributes: ``node`` (the :class:`~optimizer.network.records.Node`),
``kind``, ``country``, ``x`` (lon), ``y`` (lat).
Edge key: the lane id. Edge attributes: ``lane`` (the
:class:`~optimizer.network.records.Lane`), ``mode``, ``scope``,
``distance_km``, ``transit_mean_days``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.network.records import Network

if TYPE_CHECKING:
    import networkx as nx


def build_graph(network: Network) -> nx.MultiDiGraph:
    """The network's graph. networkx is imported here, not with this module: reading and
    checking a network uses it, solving one does not (a sweep worker saves its ~0.09 s)."""
    import networkx as nx

    graph = nx.MultiDiGraph(name=network.name, crs="EPSG:4326")
    for node in network.nodes:  # sorted by id in Network
        graph.add_node(
            node.id, node=node, kind=node.kind.value, country=node.country, x=node.lon, y=node.lat
        )
    for lane in network.lanes:  # sorted by id in Network
        graph.add_edge(
            lane.origin,
            lane.dest,
            key=lane.id,
            lane=lane,
            mode=lane.mode.value,
            scope=lane.scope.value,
            distance_km=lane.distance_km,
            transit_mean_days=lane.transit_mean_days,
        )
    return graph


def reachable(graph: nx.MultiDiGraph, node: str) -> set[str]:
    """The nodes a lane path leads to from ``node`` (not ``node`` itself)."""
    import networkx as nx

    return set(nx.descendants(graph, node))
