"""Quote speed on networks/global: in-process latency per shipment and a CLI batch.

    python benchmarks/bench_quote.py [--network networks/global] [--n 2000] [--batch 10000]
                                     [--workers 0]

Prints the median / p99 of in-process quotes (after one warm-up pass over the
same corridors, which builds the cached route tables), once with the Pareto
flags from the label-setting search (``Quoter.quote`` default, single quotes)
and once from the priced route table (what batches use), and the wall time of
``xborder quote --batch`` on ``--batch`` random shipments (cold process, whole
command: start-up, network read, route tables, quoting, CSV written) with
``--workers`` processes (0: the CLI default, every CPU) and with one.
Shipments are random but seeded: origins × markets of the network, 0.2–30 kg,
typical parcel densities, USD 5–800, every category.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def shipments(network, n: int, seed: int = 7) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    origins = sorted(x.id for x in network.nodes if x.kind == "origin_warehouse")
    markets = sorted(x.id for x in network.nodes if x.kind == "market")
    categories = sorted(c.id for c in network.categories)
    rows = []
    for i in range(n):
        kg = round(rng.uniform(0.2, 30.0), 2)
        side = round((kg / rng.uniform(120, 300) * 1e6) ** (1 / 3), 1)  # cm, cube
        day = dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(400))
        rows.append({
            "id": str(i + 1), "from": rng.choice(origins), "to": rng.choice(markets),
            "weight_kg": str(kg), "dims_cm": f"{side}x{side}x{side}",
            "value": str(round(rng.uniform(5, 800), 2)), "currency": "USD",
            "category": rng.choice(categories), "ship_date": day.isoformat(),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--network", default="networks/global")
    parser.add_argument("--n", type=int, default=2000, help="in-process quotes timed")
    parser.add_argument("--batch", type=int, default=10000, help="shipments in the CLI batch")
    parser.add_argument("--workers", type=int, default=0, help="CLI --workers (0: its default)")
    args = parser.parse_args()

    from optimizer.network.reader import read_network
    from optimizer.quote import Quoter, parse_shipment

    network = read_network(args.network)
    rows = shipments(network, args.n)
    parsed = [parse_shipment(network, row)[0] for row in rows]
    quoter = Quoter(network)
    started = time.perf_counter()
    for s in parsed:
        quoter.quote(s)
    warm = time.perf_counter() - started
    print(f"first pass over {len(parsed)} shipments incl. route-table build: {warm:.1f} s")
    for method in ("search", "table"):
        times = []
        for s in parsed:
            t0 = time.perf_counter()
            quoter.quote(s, pareto=method)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
        print(
            f"in-process, {len(times)} shipments on {args.network}, Pareto by {method}: median "
            f"{statistics.median(times):.2f} ms, p99 {p99:.2f} ms, "
            f"mean {statistics.mean(times):.2f} ms"
        )

    if args.batch:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "shipments.csv"
            with src.open("w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(shipments(network, args.batch, seed=11))
            outputs = []
            for workers in dict.fromkeys([args.workers, 1]):
                out = Path(tmp) / f"quotes-{workers}.csv"
                extra = ["--workers", str(workers)] if workers else []
                t0 = time.perf_counter()
                cli = "from optimizer.cli.main import main; main()"
                subprocess.run([sys.executable, "-c", cli, "quote", "--network", args.network,
                                "--batch", str(src), "-o", str(out), "--json", *extra],
                               check=True, stdout=subprocess.DEVNULL)  # fmt: skip
                label = f"{workers} worker(s)" if workers else "default workers"
                print(f"CLI batch of {args.batch} shipments, {label}: "
                      f"{time.perf_counter() - t0:.1f} s wall")  # fmt: skip
                outputs.append(out.read_bytes())
            if len(outputs) > 1:
                same = "identical" if outputs[0] == outputs[1] else "DIFFERENT"
                print(f"batch output with default workers and with 1 worker: {same}")


if __name__ == "__main__":
    main()
