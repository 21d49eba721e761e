"""Speed of ``xborder history calibrate`` (DuckDB) against a straightforward pandas version.

Usage::

    python benchmarks/bench_history.py [--events 10000000] [--skip-pandas] [--quick]

1. draws a synthetic history on ``networks/global`` with about ``--events``
   tracking events (Parquet; ``xborder history generate``, ~10.8 events per
   shipment), once, into a temporary folder;
2. calibrates it with the product's pipeline (DuckDB reading the Parquet in
   place, SQL samples, censored fits, pooling) in a fresh process, and reports
   wall time and the process's peak resident memory;
3. runs the same computation written the straightforward pandas way (read the
   file into a DataFrame, drop bad and duplicate rows, merge departures with
   arrivals, group by lane and node, the same fits) in another fresh process,
   and reports its time, memory, the speed ratio and the largest difference
   between the two sets of lane P50/P90 (they must agree).

``--quick`` (CI) is ``--events 300000``. The machine is shared: compare the
ratio measured in one run, not absolute seconds across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "networks" / "global"
EVENTS_PER_SHIPMENT = 10.8


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds of this process (user + system, all threads): on a loaded machine the
    wall time also counts waiting for a core, the CPU time does not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_duckdb(events: Path) -> dict[str, Any]:
    from optimizer.history.calibrate import CalibrateOptions, calibrate

    t, cpu0 = time.perf_counter(), _cpu_s()
    cal = calibrate((str(events),), NETWORK, CalibrateOptions())
    seconds = time.perf_counter() - t
    lanes = {r.lane.id: [r.result.p50, r.result.p90] for r in cal.lanes if r.source != "default"}
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s() - cpu0,
        "peak_mb": _peak_mb(),
        "rows": cal.load.rows,
        "lanes": lanes,
    }


def run_pandas(events: Path) -> dict[str, Any]:
    """The same calibration, pandas style: everything in DataFrames, merges and groupbys."""
    import numpy as np
    import pandas as pd

    from optimizer.history.calibrate import CalibrateOptions, lane_results, node_results
    from optimizer.history.samples import LaneSample, LogSample, NodeSample
    from optimizer.network.reader import read_network

    t, cpu0 = time.perf_counter(), _cpu_s()
    network = read_network(NETWORK)
    df = pd.read_parquet(events)
    for c in ("shipment_id", "event", "node", "lane", "mode"):
        df[c] = df[c].astype(object)
    df["t"] = df["time"].astype("int64") / 1e6
    # moves (scans of any node, even unknown ones) say a shipment is no longer in transit
    moving = df["event"].isin(["departed", "arrived", "delivered"]) | df["event"].str.startswith(
        "customs"
    )
    last = df[moving & df["shipment_id"].notna()].groupby("shipment_id")["t"].max()
    nodes = {n.id for n in network.nodes}
    df = df[df["node"].isin(nodes) & df["shipment_id"].notna()]
    df = df.drop_duplicates(["shipment_id", "event", "t", "node", "lane"])
    bad = df.loc[df["event"].isin(["returned", "exception"]), "shipment_id"].unique()
    df = df[~df["shipment_id"].isin(bad)]
    as_of = df["t"].max()
    lanes = pd.DataFrame(
        {
            "lane": [x.id for x in network.lanes],
            "tail": [x.origin for x in network.lanes],
            "head": [x.dest for x in network.lanes],
        }
    )
    markets = {n.id for n in network.nodes if n.kind.value == "market"}
    dep = df[df["event"] == "departed"][["shipment_id", "node", "lane", "t"]].merge(
        lanes, on="lane"
    )
    dep = dep[dep["node"] == dep["tail"]].reset_index(drop=True)
    dep["did"] = np.arange(len(dep))
    arr = df[(df["event"] == "arrived") | ((df["event"] == "delivered") & df["node"].isin(markets))]
    arr = arr[["shipment_id", "node", "lane", "t"]].rename(
        columns={"node": "head", "t": "t_arr", "lane": "a_lane"}
    )
    m = dep.merge(arr, on=["shipment_id", "head"], how="inner")
    m = m[m["a_lane"].isna() | (m["a_lane"] == m["lane"])]
    dep["t_arr"] = dep["did"].map(m[m["t_arr"] > m["t"]].groupby("did")["t_arr"].min())
    before = set(m.loc[m["t_arr"] <= m["t"], "did"])
    dep["t_move"] = dep["shipment_id"].map(last)
    obs = dep[dep["t_arr"].notna()].copy()
    obs["ld"] = np.log((obs["t_arr"] - obs["t"]) / 86400.0)
    open_ = dep["t_arr"].isna() & ~dep["did"].isin(before)
    cen = dep[open_ & ~(dep["t_move"] > dep["t"])].copy()
    cen["days"] = (as_of - cen["t"]) / 86400.0
    longest = obs.groupby("lane")["ld"].max().map(np.exp)
    cen = cen[~(cen["days"] > 3.0 * cen["lane"].map(longest))]
    obs["ld2"] = obs["ld"] * obs["ld"]
    stats = obs.groupby("lane").agg(n=("ld", "count"), s1=("ld", "sum"), s2=("ld2", "sum"))
    samples = []
    for lane in sorted(set(stats.index) | set(cen["lane"])):
        row = stats.loc[lane] if lane in stats.index else None
        n, s1, s2 = (row["n"], row["s1"], row["s2"]) if row is not None else (0, 0.0, 0.0)
        days = np.sort(cen.loc[cen["lane"] == lane, "days"].to_numpy(dtype=np.float64))
        samples.append(LaneSample(str(lane), LogSample(int(n), float(s1), float(s2), days), 0))
    results = lane_results(network, samples, CalibrateOptions())
    # clearances: per shipment and node, submitted (else arrived) -> released, held or not
    cus = df[df["event"].str.startswith("customs") | (df["event"] == "arrived")]
    per = cus.pivot_table(
        index=["shipment_id", "node"], columns="event", values="t", aggfunc="min"
    ).reset_index()
    per = per[per["customs_submitted"].notna() | per["customs_released"].notna()]
    per["t0"] = per["customs_submitted"].fillna(per["arrived"])
    per["held"] = per["customs_hold"].notna()
    done = per[per["customs_released"] > per["t0"]].copy()
    done["ld"] = np.log((done["customs_released"] - done["t0"]) / 86400.0)
    node_samples = []
    for node, g in done.groupby("node"):
        parts = {}
        for held in (False, True):
            x = g.loc[g["held"] == held, "ld"].to_numpy()
            parts[held] = LogSample(x.size, float(x.sum()), float((x * x).sum()))
        total = int((per["node"] == node).sum())
        n_held = int(((per["node"] == node) & per["held"]).sum())
        node_samples.append(NodeSample(str(node), parts[False], parts[True], total, n_held))
    node_results(network, node_samples, CalibrateOptions())
    seconds = time.perf_counter() - t
    out = {r.lane.id: [r.result.p50, r.result.p90] for r in results if r.source != "default"}
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s() - cpu0,
        "peak_mb": _peak_mb(),
        "rows": len(df),
        "lanes": out,
    }


def _child(stage: str, events: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--file", str(events)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--quick", action="store_true", help="CI: --events 300000")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument(
        "--keep", type=Path, default=None, help="Write the history here and keep it (reused)."
    )
    ap.add_argument("--stage", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.stage:
        result = (run_duckdb if args.stage == "duckdb" else run_pandas)(args.file)
        print(json.dumps(result))
        return 0
    n_events = 300_000 if args.quick else args.events
    shipments = max(int(n_events / EVENTS_PER_SHIPMENT), 1)
    from optimizer.history.generate import GenerateSpec, generate, write
    from optimizer.network.reader import read_network

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        t = time.perf_counter()
        spec = GenerateSpec(shipments=shipments, seed=1)
        events = folder / "events.parquet"
        truth = folder / "truth.json"
        reuse = (
            args.keep is not None
            and truth.exists()
            and json.loads(truth.read_text())["shipments"] == shipments
        )
        if reuse:  # the same history, drawn before: --keep DIR again
            n_drawn = int(json.loads(truth.read_text())["injected"]["events"])
        else:
            drawn = generate(read_network(NETWORK), spec)
            write(drawn, spec, folder)
            n_drawn = drawn.injected["events"]
        gen_s = time.perf_counter() - t
        size_mb = events.stat().st_size / 1e6
        duck = _child("duckdb", events)
        pand = {} if args.skip_pandas else _child("pandas", events)
    load = os.getloadavg()
    print(f"## history calibrate: {n_drawn:,} events ({shipments:,} shipments)\n")
    print(f"Command: `python benchmarks/bench_history.py --events {n_events}`  ")
    print(
        f"Parquet {size_mb:.0f} MB, {'reused' if reuse else f'generated in {gen_s:.1f} s'}; "
        "load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs\n"
    )
    print("| engine | wall s | CPU s | peak RSS MB | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|")
    if "error" in duck:
        print(f"| DuckDB (xborder) | failed: {duck['error']} | | | | |")
        return 1
    print(
        f"| DuckDB (xborder) | {duck['seconds']:.1f} | {duck['cpu_s']:.1f} | "
        f"{duck['peak_mb']:.0f} | 1.0 | 1.0 |"
    )
    if pand:
        if "error" in pand:
            print(f"| pandas | failed: {pand['error']} | | | | |")
        else:
            ratio = pand["seconds"] / duck["seconds"]
            cpu_ratio = pand["cpu_s"] / duck["cpu_s"]
            print(
                f"| pandas | {pand['seconds']:.1f} | {pand['cpu_s']:.1f} | "
                f"{pand['peak_mb']:.0f} | {ratio:.1f}x | {cpu_ratio:.1f}x |"
            )
            common = set(duck["lanes"]) & set(pand["lanes"])
            diff = max(
                (
                    abs(duck["lanes"][k][i] / pand["lanes"][k][i] - 1)
                    for k in common
                    for i in (0, 1)
                ),
                default=0.0,
            )
            print(
                f"\nSame lanes calibrated: {len(common)} of {len(duck['lanes'])} (DuckDB) / "
                f"{len(pand['lanes'])} (pandas); largest P50/P90 difference {diff * 100:.3f} %"
            )
    target = duck["seconds"] <= 60 and duck["peak_mb"] <= 4096
    print(
        f"\nTarget (<= 60 s, <= 4 GB at 10M events): {'met' if target else 'not met'} at this size"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
