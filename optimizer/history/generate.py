"""A synthetic shipment history with known truth: for tests, demos and the benchmark.

Each shipment is booked uniformly over ``days`` from ``start``, follows one of a
few shortest paths from an origin warehouse to a market (popularity falls off
like Zipf's law, so some lanes are busy and some nearly empty), waits for its
lane's next departure (fixed weekdays, else a regular headway), and takes a
lognormal transit whose parameters are the lane default's scaled by a random
factor (the truth). At the first node inside the market's customs territory it
is submitted, held for inspection with the node's true rate, and released
after a lognormal clearance. Events after the cut-off (``start + days``) are
not written, so shipments still at sea are right-censored exactly as in a real
extract. A little mess is injected and counted (returns, exceptions, duplicated
events, unknown nodes, arrivals stamped before departure).

Drift (for ``xborder history watch``, issue 13) is part of the spec: a lane's
transit times × ``factor`` for departures from a date (:class:`LaneDrift`), a
node's hold rate × ``factor`` for one category from a date (:class:`HoldDrift`).

Deterministic: one ``numpy.random.Generator`` from the seed, paths and lanes in
sorted order, no per-row Python loops (work is vectorised per path and leg).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from optimizer.history.events import EVENTS
from optimizer.history.fit import LogNormal
from optimizer.history.formats import FORMAT_VERSION
from optimizer.io.atomic import atomic_path, write_text
from optimizer.network.records import Lane, Network, NodeKind

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DAY = 86400.0
#: Paths kept per origin–market pair, and the most lanes one path may have.
PATHS_PER_PAIR = 3
MAX_LEGS = 6
#: Clearance spread (lognormal sigma) without and with an inspection.
CLEAR_SIGMA, HELD_SIGMA = 0.3, 0.35
#: Mess injected at these rates (× ``GenerateSpec.mess``).
MESS = {
    "returned": 0.003,  # of delivered shipments
    "exception": 0.002,  # of shipments
    "duplicate": 0.002,  # of events
    "unknown_node": 0.0005,  # of events (the node id loses its last letter)
    "out_of_order": 0.0005,  # of arrivals (stamped one hour before the departure)
}


@dataclass(frozen=True, slots=True)
class LaneDrift:
    """From ``start``, transit times of ``lane`` are multiplied by ``factor``."""

    lane: str
    start: dt.date
    factor: float

    def __post_init__(self) -> None:
        if not self.factor > 0:
            raise ValueError(f"drift factor must be > 0, got {self.factor}")


@dataclass(frozen=True, slots=True)
class HoldDrift:
    """From ``start``, the hold rate at ``node`` for ``category`` is multiplied by ``factor``."""

    node: str
    category: str
    start: dt.date
    factor: float

    def __post_init__(self) -> None:
        if not self.factor >= 0:
            raise ValueError(f"drift factor must be >= 0, got {self.factor}")


@dataclass(frozen=True, slots=True)
class GenerateSpec:
    """What to generate; validates itself."""

    shipments: int
    seed: int = 0
    start: dt.date = dt.date(2026, 1, 1)
    days: float = 270.0  # booking window; the data is cut off at its end
    spread: float = 0.10  # sd of ln(true scale / default scale) across lanes
    sigma_spread: float = 0.10  # sd of ln(true sigma / default sigma)
    mess: float = 1.0  # multiplier on MESS (0 = clean data)
    fmt: str = "parquet"  # or "csv"
    write_lane: bool = True  # False: leave lane inference to the reader
    lane_drifts: tuple[LaneDrift, ...] = ()
    hold_drifts: tuple[HoldDrift, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.shipments < 1:
            raise ValueError("shipments must be >= 1")
        if not self.days > 0:
            raise ValueError("days must be > 0")
        if self.fmt not in ("parquet", "csv"):
            raise ValueError("fmt must be parquet or csv")
        if self.spread < 0 or self.sigma_spread < 0 or self.mess < 0:
            raise ValueError("spread, sigma_spread and mess must be >= 0")

    @property
    def t0(self) -> float:
        """Start of the window, UTC epoch seconds."""
        return _epoch(self.start)

    @property
    def cutoff(self) -> float:
        return self.t0 + self.days * DAY


@dataclass(frozen=True, slots=True)
class Truth:
    """The parameters the history was drawn with."""

    lanes: dict[str, LogNormal]
    customs_days: dict[str, float]
    inspection_rate: dict[str, float]
    inspection_delay_days: dict[str, float]


@dataclass(frozen=True)
class Generated:
    """Arrays of the events (indices into the name tables) and what was injected."""

    truth: Truth
    shipment: IntArray
    event: IntArray
    t: FloatArray
    node: IntArray
    lane: IntArray  # -1: none
    node_names: tuple[str, ...]
    lane_names: tuple[str, ...]
    lane_modes: tuple[str, ...]
    orders: dict[str, Any]
    injected: dict[str, int]


def paths(network: Network) -> list[tuple[tuple[str, str], ...]]:
    """Up to PATHS_PER_PAIR fastest node paths per (origin warehouse, market), sorted."""
    graph = nx.DiGraph()
    for lane in network.lanes:
        if network.node_by_id[lane.origin].kind is NodeKind.MARKET:
            continue
        w = lane.transit_mean_days
        if not graph.has_edge(lane.origin, lane.dest) or graph[lane.origin][lane.dest]["w"] > w:
            graph.add_edge(lane.origin, lane.dest, w=w)
    origins = [n.id for n in network.nodes if n.kind is NodeKind.ORIGIN_WAREHOUSE]
    markets = [n.id for n in network.nodes if n.kind is NodeKind.MARKET]
    out = []
    for o in origins:
        for m in markets:
            if o not in graph or m not in graph or not nx.has_path(graph, o, m):
                continue
            for k, p in enumerate(nx.shortest_simple_paths(graph, o, m, weight="w")):
                if k >= PATHS_PER_PAIR:
                    break
                if len(p) - 1 <= MAX_LEGS:
                    out.append(tuple(itertools.pairwise(p)))
    return sorted(out)


def draw_truth(network: Network, spec: GenerateSpec, rng: np.random.Generator) -> Truth:
    lanes = {}
    for lane in network.lanes:
        d = LogNormal.from_mean_p90(lane.transit_mean_days, lane.transit_p90_days)
        mu = d.mu + spec.spread * float(rng.standard_normal())
        sigma = max(d.sigma, 0.05) * math.exp(spec.sigma_spread * float(rng.standard_normal()))
        lanes[lane.id] = LogNormal(mu, sigma)
    days, rate, delay = {}, {}, {}
    for node in network.nodes:
        days[node.id] = max(node.customs_days, 0.2) * math.exp(0.2 * float(rng.standard_normal()))
        base = node.inspection_rate if node.inspection_rate > 0 else 0.03
        rate[node.id] = min(base * math.exp(0.3 * float(rng.standard_normal())), 0.5)
        base_delay = node.inspection_delay_days if node.inspection_delay_days > 0 else 2.0
        delay[node.id] = base_delay * math.exp(0.2 * float(rng.standard_normal()))
    return Truth(lanes, days, rate, delay)


def generate(network: Network, spec: GenerateSpec) -> Generated:
    """Draw the history (see the module docstring)."""
    rng = np.random.default_rng(spec.seed)
    truth = draw_truth(network, spec, rng)
    node_names = tuple(n.id for n in network.nodes)
    node_ix = {n: i for i, n in enumerate(node_names)}
    lane_names = tuple(lane.id for lane in network.lanes)
    lane_ix = {x: i for i, x in enumerate(lane_names)}
    by_pair: dict[tuple[str, str], list[Lane]] = {}
    for lane in network.lanes:
        by_pair.setdefault((lane.origin, lane.dest), []).append(lane)
    all_paths = paths(network)
    if not all_paths:
        raise ValueError(f"network {network.name} has no path from an origin to a market")
    popularity = 1.0 / np.arange(1, len(all_paths) + 1) ** 1.1
    popularity = popularity[rng.permutation(len(all_paths))]
    path_of = rng.choice(len(all_paths), size=spec.shipments, p=popularity / popularity.sum())
    booked = spec.t0 + rng.uniform(0.0, spec.days * DAY, spec.shipments)
    cats = [c.id for c in network.categories]
    category = rng.integers(0, len(cats), spec.shipments)
    phase = {lane.id: float(rng.uniform(0, 7 * DAY)) for lane in network.lanes}
    pair_weights = {
        pair: rng.dirichlet(np.ones(len(lanes)) * 2.0) for pair, lanes in sorted(by_pair.items())
    }
    ev: dict[str, list[Any]] = {"s": [], "e": [], "t": [], "n": [], "l": []}
    code = {e: i for i, e in enumerate(EVENTS)}

    def emit(s: IntArray, e: str, t: FloatArray, node: str, lane: IntArray | int = -1) -> None:
        ev["s"].append(s)
        ev["e"].append(np.full(s.size, code[e], dtype=np.int64))
        ev["t"].append(t)
        ev["n"].append(np.full(s.size, node_ix[node], dtype=np.int64))
        ev["l"].append(np.broadcast_to(np.asarray(lane, dtype=np.int64), s.shape).copy())

    for p, path in enumerate(all_paths):
        s = np.flatnonzero(path_of == p)
        if s.size == 0:
            continue
        origin, market = path[0][0], path[-1][1]
        territory = network.territory_of(market)
        entry = next(v for _, v in path if network.territory_of(v) == territory)
        t = booked[s]
        emit(s, "booked", t, origin)
        t = t + rng.uniform(0.1, 1.0, s.size) * DAY
        emit(s, "picked_up", t, origin)
        ready = t + network.node_by_id[origin].handling_days * DAY
        for u, v in path:
            lanes = by_pair[(u, v)]
            pick = rng.choice(len(lanes), size=s.size, p=pair_weights[(u, v)])
            dep = np.empty(s.size)
            arr = np.empty(s.size)
            lane_col = np.empty(s.size, dtype=np.int64)
            for k, lane in enumerate(lanes):
                m = pick == k
                dep[m] = _next_departure(lane, ready[m], phase[lane.id])
                d = truth.lanes[lane.id]
                transit = np.exp(d.mu + d.sigma * rng.standard_normal(int(m.sum()))) * DAY
                for drift in spec.lane_drifts:
                    if drift.lane == lane.id:
                        after = dep[m] >= _epoch(drift.start)
                        transit = np.where(after, transit * drift.factor, transit)
                arr[m] = dep[m] + transit
                lane_col[m] = lane_ix[lane.id]
            emit(s, "departed", dep, u, lane_col)
            at_market = network.node_by_id[v].kind is NodeKind.MARKET
            if at_market and v != entry:
                emit(s, "out_for_delivery", dep, u, lane_col)
                emit(s, "delivered", arr, v, lane_col)
                continue
            emit(s, "arrived", arr, v, lane_col)
            ready = arr + network.node_by_id[v].handling_days * DAY
            if v == entry:
                ready = _clear(rng, spec, truth, v, s, arr, category, cats, emit)
            if at_market:
                emit(s, "delivered", ready, v)
    gen = Generated(
        truth,
        np.concatenate(ev["s"]),
        np.concatenate(ev["e"]),
        np.concatenate(ev["t"]),
        np.concatenate(ev["n"]),
        np.concatenate(ev["l"]),
        node_names,
        lane_names,
        tuple(lane.mode.value for lane in network.lanes),
        _orders(rng, network, booked, path_of, all_paths, category),
        {},
    )
    return _mess_and_cut(gen, spec, rng)


def _epoch(day: dt.date) -> float:
    return (day - dt.date(1970, 1, 1)).days * DAY


def _next_departure(lane: Lane, ready: FloatArray, phase: float) -> FloatArray:
    """Next departure at or after ``ready``: on the lane's weekdays at a fixed hour, else on a
    regular headway of 7 / departures_per_week days from the lane's phase."""
    if lane.weekdays:
        hour = phase % DAY
        day0 = np.floor((ready - hour) / DAY)
        best = np.full(ready.size, np.inf)
        for k in range(8):
            day = day0 + k
            cand = day * DAY + hour
            ok = np.isin((day.astype(np.int64) + 3) % 7, lane.weekdays) & (cand >= ready)
            best = np.where(ok & (cand < best), cand, best)
        return best
    headway = 7.0 / lane.departures_per_week * DAY
    return phase + np.ceil((ready - phase) / headway) * headway


def _clear(
    rng: np.random.Generator,
    spec: GenerateSpec,
    truth: Truth,
    node: str,
    s: IntArray,
    arrived: FloatArray,
    category: IntArray,
    cats: list[str],
    emit: Any,
) -> FloatArray:
    """Submit, maybe hold, release at ``node``; return when the shipment can move on."""
    submitted = arrived + rng.uniform(0.0, 0.1, s.size) * DAY
    rate = np.full(s.size, truth.inspection_rate[node])
    for drift in spec.hold_drifts:
        if drift.node == node and drift.category in cats:
            hit = (category[s] == cats.index(drift.category)) & (submitted >= _epoch(drift.start))
            rate = np.where(hit, np.minimum(rate * drift.factor, 1.0), rate)
    held = rng.random(s.size) < rate
    days = truth.customs_days[node]
    clear_mean = np.where(held, days + truth.inspection_delay_days[node], days)
    sig = np.where(held, HELD_SIGMA, CLEAR_SIGMA)
    clearance = clear_mean * np.exp(sig * rng.standard_normal(s.size) - sig**2 / 2) * DAY
    released = submitted + clearance
    emit(s, "customs_submitted", submitted, node)
    emit(s[held], "customs_hold", submitted[held] + 0.3 * clearance[held], node)
    emit(s, "customs_released", released, node)
    return released


def _orders(
    rng: np.random.Generator,
    network: Network,
    booked: FloatArray,
    path_of: IntArray,
    all_paths: list[tuple[tuple[str, str], ...]],
    category: IntArray,
) -> dict[str, Any]:
    n = booked.size
    origin = np.array([p[0][0] for p in all_paths])[path_of]
    market = np.array([p[-1][1] for p in all_paths])[path_of]
    return {
        "order_id": _ids(np.arange(n)),
        "created_at": booked,
        "origin": origin,
        "market": market,
        "category": np.array([c.id for c in network.categories])[category],
        "weight_kg": np.round(np.exp(rng.normal(-0.5, 0.6, n)), 3),
        "length_cm": np.round(rng.uniform(15, 45, n), 1),
        "width_cm": np.round(rng.uniform(10, 30, n), 1),
        "height_cm": np.round(rng.uniform(3, 20, n), 1),
        "value": np.round(np.exp(rng.normal(3.3, 0.7, n)), 2),
        "currency": np.full(n, "USD"),
    }


def _ids(ix: IntArray) -> npt.NDArray[np.str_]:
    return np.char.add("S", np.char.zfill(ix.astype(str), 8))


def _mess_and_cut(gen: Generated, spec: GenerateSpec, rng: np.random.Generator) -> Generated:
    """Inject the counted mess, cut off at the end of the window, sort by time."""
    s, e, t, n, ln = gen.shipment, gen.event, gen.t, gen.node, gen.lane
    code = {x: i for i, x in enumerate(EVENTS)}
    rate = {k: v * spec.mess for k, v in MESS.items()}
    injected = {}
    # out of order: an arrival stamped an hour before its departure (row order: dep, arr)
    arrivals = np.flatnonzero((e == code["arrived"]) & (t <= spec.cutoff))
    bad = arrivals[rng.random(arrivals.size) < rate["out_of_order"]]
    dep_rows = _matching_departures(s, e, ln, bad, code["departed"])
    ok = dep_rows >= 0
    t = t.copy()
    t[bad[ok]] = t[dep_rows[ok]] - 3600.0
    injected["out_of_order"] = int(ok.sum())
    keep = t <= spec.cutoff
    s, e, t, n, ln = s[keep], e[keep], t[keep], n[keep], ln[keep]
    # returns after delivery, exceptions at the first departure
    delivered = np.flatnonzero(e == code["delivered"])
    ret = delivered[rng.random(delivered.size) < rate["returned"]]
    ret_t = t[ret] + 5 * DAY
    ret = ret[ret_t <= spec.cutoff]
    first_dep = np.flatnonzero(e == code["departed"])
    _, first = np.unique(s[first_dep], return_index=True)
    first_dep = first_dep[first]
    exc = first_dep[rng.random(first_dep.size) < rate["exception"]]
    add_s = np.concatenate([s[ret], s[exc]])
    add_e = np.concatenate(
        [np.full(ret.size, code["returned"]), np.full(exc.size, code["exception"])]
    )
    add_t = np.concatenate([t[ret] + 5 * DAY, t[exc] + 3600.0])
    add_n = np.concatenate([n[ret], n[exc]])
    add_t = np.minimum(add_t, spec.cutoff)
    injected["returned_shipments"] = int(np.unique(s[ret]).size)
    injected["exception_shipments"] = int(np.unique(s[exc]).size)
    s, e, t, n = (np.concatenate(x) for x in ((s, add_s), (e, add_e), (t, add_t), (n, add_n)))
    ln = np.concatenate([ln, np.full(add_s.size, -1)])
    excluded = np.isin(s, add_s)
    # duplicates and node typos on events of shipments that are not set aside
    dup = np.flatnonzero(~excluded & (rng.random(s.size) < rate["duplicate"]))
    injected["duplicate"] = int(dup.size)
    typo = np.flatnonzero(~excluded & (rng.random(s.size) < rate["unknown_node"]))
    typo = np.setdiff1d(typo, dup)
    injected["unknown_node"] = int(typo.size)
    node_names = list(gen.node_names)
    typo_names = [name[:-1] for name in node_names]
    n_text_ix = n.copy()
    n_text_ix[typo] += len(node_names)  # index into names + typo names
    order = np.concatenate([np.arange(s.size), dup])
    s, e, t, n_text_ix, ln = s[order], e[order], t[order], n_text_ix[order], ln[order]
    sort = np.lexsort((e, s, t))
    injected["events"] = int(sort.size)
    return Generated(
        gen.truth,
        s[sort],
        e[sort],
        t[sort],
        n_text_ix[sort],
        ln[sort],
        tuple(node_names + typo_names),
        gen.lane_names,
        gen.lane_modes,
        gen.orders,
        injected,
    )


def _matching_departures(
    s: IntArray, e: IntArray, lane: IntArray, rows: IntArray, dep_code: int
) -> IntArray:
    """For each arrival row, the row of the same shipment's departure on the same lane (-1)."""
    deps = np.flatnonzero(e == dep_code)
    if deps.size == 0:
        return np.full(rows.size, -1, dtype=np.int64)
    key = s[deps] * (lane.max() + 2) + lane[deps]
    order = np.argsort(key, kind="stable")
    keys = key[order]
    want = s[rows] * (lane.max() + 2) + lane[rows]
    pos = np.searchsorted(keys, want)
    pos = np.minimum(pos, keys.size - 1)
    return np.where(keys[pos] == want, deps[order][pos], -1)


def write(gen: Generated, spec: GenerateSpec, out: Path) -> list[Path]:
    """Write events, orders and the truth into ``out``; return the files written."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    lane_ix = np.where(gen.lane >= 0, gen.lane, 0)
    mode_names = sorted(set(gen.lane_modes))
    mode_of_lane = np.array([mode_names.index(m) for m in gen.lane_modes])
    columns: dict[str, Any] = {
        "shipment_id": pa.DictionaryArray.from_arrays(
            pa.array(gen.shipment.astype(np.int32)),
            pa.array(_ids(np.arange(int(gen.shipment.max()) + 1))),
        ),
        "event": pa.DictionaryArray.from_arrays(
            pa.array(gen.event.astype(np.int32)), pa.array(list(EVENTS))
        ),
        "time": pa.array((gen.t * 1e6).round().astype(np.int64), type=pa.timestamp("us", "UTC")),
        "node": pa.DictionaryArray.from_arrays(
            pa.array(gen.node.astype(np.int32)), pa.array(list(gen.node_names))
        ),
    }
    if spec.write_lane:
        columns["lane"] = pa.DictionaryArray.from_arrays(
            pa.array(lane_ix.astype(np.int32), mask=gen.lane < 0), pa.array(list(gen.lane_names))
        )
    columns["mode"] = pa.DictionaryArray.from_arrays(
        pa.array(mode_of_lane[lane_ix].astype(np.int32), mask=gen.lane < 0),
        pa.array(mode_names),
    )
    table = pa.table(columns)
    files = []
    target = out / f"events.{spec.fmt}"
    with atomic_path(target) as tmp:
        if spec.fmt == "parquet":
            pq.write_table(table, tmp, compression="zstd")
        else:
            con = duckdb.connect()
            con.register("events_arrow", table)
            con.execute(
                "COPY (SELECT * EXCLUDE (time), strftime(time AT TIME ZONE 'UTC', "
                "'%Y-%m-%dT%H:%M:%S.%gZ') AS time FROM events_arrow) "
                f"TO '{tmp}' (FORMAT csv, HEADER true)"
            )
            con.close()
    files.append(target)
    orders = dict(gen.orders)
    orders["created_at"] = pa.array(
        (orders["created_at"] * 1e6).round().astype(np.int64), type=pa.timestamp("us", "UTC")
    )
    orders_table = pa.table(orders)
    target = out / "orders.csv"
    with atomic_path(target) as tmp:
        con = duckdb.connect()
        con.register("orders_arrow", orders_table)
        con.execute(
            "COPY (SELECT * EXCLUDE (created_at), strftime(created_at AT TIME ZONE 'UTC', "
            "'%Y-%m-%dT%H:%M:%SZ') AS created_at FROM orders_arrow) "
            f"TO '{tmp}' (FORMAT csv, HEADER true)"
        )
        con.close()
    files.append(target)
    files += _write_truth(gen, spec, out)
    return files


def summary(gen: Generated, spec: GenerateSpec, files: list[Path], out: Path) -> dict[str, Any]:
    """The JSON summary (``--json``): what was written and what mess was injected."""
    return {
        "format_version": FORMAT_VERSION,
        "out": str(out),
        "files": [str(f) for f in files],
        "shipments": spec.shipments,
        "injected": dict(gen.injected),
    }


def _write_truth(gen: Generated, spec: GenerateSpec, out: Path) -> list[Path]:
    lines = ["lane,mode,mu,sigma,mean_days,p50_days,p90_days"]
    for lane, mode in zip(gen.lane_names, gen.lane_modes, strict=True):
        d = gen.truth.lanes[lane]
        lines.append(f"{lane},{mode},{d.mu!r},{d.sigma!r},{d.mean!r},{d.p50!r},{d.p90!r}")
    write_text(out / "truth_lanes.csv", "\n".join(lines) + "\n")
    lines = ["node,customs_days,inspection_rate,inspection_delay_days"]
    for node in sorted(gen.truth.customs_days):
        lines.append(
            f"{node},{gen.truth.customs_days[node]!r},{gen.truth.inspection_rate[node]!r},"
            f"{gen.truth.inspection_delay_days[node]!r}"
        )
    write_text(out / "truth_nodes.csv", "\n".join(lines) + "\n")
    meta = {k: v for k, v in asdict(spec).items() if k != "extra"}
    meta["start"] = spec.start.isoformat()
    meta["cutoff"] = dt.datetime.fromtimestamp(spec.cutoff, dt.UTC).isoformat()
    meta["lane_drifts"] = [{**asdict(d), "start": d.start.isoformat()} for d in spec.lane_drifts]
    meta["hold_drifts"] = [{**asdict(d), "start": d.start.isoformat()} for d in spec.hold_drifts]
    meta["injected"] = gen.injected
    write_text(out / "truth.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return [out / "truth_lanes.csv", out / "truth_nodes.csv", out / "truth.json"]
