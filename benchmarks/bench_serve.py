"""Load test of ``xborder serve`` on 127.0.0.1: single quotes at a fixed rate, then batches.

    python benchmarks/bench_serve.py               # 200 requests/s for 60 s (12,000 quotes)
    python benchmarks/bench_serve.py --quick       # 50 requests/s for 5 s

The server runs in its own process (``xborder serve``, one uvicorn worker, a
temporary job database), so the client's event loop does not share an
interpreter with it. The load is open-loop: request *i* is sent at
``start + i / rate`` whether or not earlier ones have answered (a closed loop
would hide queueing by slowing down with the server). Latency is measured from
the moment each request is sent to its full answer; an error is any status other
than 200 or any transport failure. Eight shipments on different corridors
rotate, each quoted once before the clock starts (the first quote of a corridor
builds its route table, as a server that has run for a while has). Then
``/v1/quotes/batch`` is timed with the server's batch limit of shipments.

Figures go to stdout as a markdown table (and ``--json FILE``); the bounded
request count keeps the run at about ``seconds`` + 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHIPMENTS = [
    {"from": "CN_SZX_ORIGIN", "to": "M_US_WEST", "weight": 1.2, "dims": "30x20x10",
     "value": 45, "currency": "USD", "category": "apparel"},
    {"from": "CN_SZX_ORIGIN", "to": "M_US_EAST", "weight": 2.5, "dims": "40x30x20",
     "value": 120, "currency": "USD", "hs_code": "8517.62"},
    {"from": "CN_YIW_ORIGIN", "to": "M_US_WEST", "weight": 0.8, "dims": "30x25x12",
     "value": 18, "currency": "USD", "category": "toys"},
    {"from": "CN_HGH_ORIGIN", "to": "M_DE", "weight": 3.0, "dims": "40x30x25",
     "value": 45, "currency": "EUR", "category": "home_goods"},
    {"from": "CN_CAN_ORIGIN", "to": "M_GB", "weight": 1.1, "dims": "35x25x13",
     "value": 55, "currency": "GBP", "category": "footwear"},
    {"from": "CN_SHA_ORIGIN", "to": "M_FR", "weight": 0.3, "dims": "15x10x8",
     "value": 40, "currency": "EUR", "category": "cosmetics"},
    {"from": "CN_SZX_ORIGIN", "to": "M_JP", "weight": 0.6, "dims": "25x20x5",
     "value": 3000, "currency": "JPY", "category": "apparel"},
    {"from": "CN_SZX_ORIGIN", "to": "M_AU", "weight": 1.5, "dims": "30x30x15",
     "value": 80, "currency": "AUD", "category": "electronics"},
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int, db: Path, max_batch: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("xborder")
    cmd = [str(exe), "serve", "--network", str(ROOT / "networks" / "global"), "--port",
           str(port), "--db", str(db), "--max-batch", str(max_batch)]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start within 60 s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _singles(url: str, rate: float, seconds: float) -> dict[str, float]:
    count = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    late = 0.0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        for s in SHIPMENTS:  # warm every corridor once
            (await client.post("/v1/quotes", json=s)).raise_for_status()

        async def one(i: int, at: float) -> None:
            nonlocal errors, late
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            late = max(late, time.perf_counter() - at)
            sent = time.perf_counter()
            try:
                r = await client.post("/v1/quotes", json=SHIPMENTS[i % len(SHIPMENTS)])
                ok = r.status_code == 200 and r.json()["options"]
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - sent)
            errors += not ok

        start = time.perf_counter() + 0.5
        await asyncio.gather(*(one(i, start + i / rate) for i in range(count)))
        wall = time.perf_counter() - start
    return {
        "requests": count,
        "errors": errors,
        "achieved_rps": count / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p90_ms": 1000 * _pct(latencies, 0.90),
        "p99_ms": 1000 * _pct(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "max_send_lag_ms": 1000 * late,
    }


def _batch(url: str, size: int, runs: int) -> dict[str, float]:
    shipments = [{**SHIPMENTS[i % len(SHIPMENTS)], "id": f"s{i}"} for i in range(size)]
    times = []
    with httpx.Client(base_url=url, timeout=300) as client:
        for _ in range(runs):
            started = time.perf_counter()
            r = client.post("/v1/quotes/batch", json={"shipments": shipments})
            lines = r.text.splitlines()
            times.append(time.perf_counter() - started)
            if r.status_code != 200 or len(lines) != size:
                raise RuntimeError(f"batch failed: {r.status_code} {r.text[:300]}")
    best = min(times)
    return {"shipments": size, "runs": runs, "best_s": best, "shipments_per_s": size / best}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--batch", type=int, default=1000, help="shipments per batch request")
    ap.add_argument("--quick", action="store_true", help="50 requests/s for 5 s, batch of 200")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.quick:
        args.rate, args.seconds, args.batch = 50.0, 5.0, 200
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = _start_server(port, Path(tmp) / "jobs.sqlite", args.batch)
        try:
            url = f"http://127.0.0.1:{port}"
            cpu0 = _cpu_seconds(server.pid)
            single = asyncio.run(_singles(url, args.rate, args.seconds))
            cpu1 = _cpu_seconds(server.pid)
            batch = _batch(url, args.batch, runs=3)
            cpu2 = _cpu_seconds(server.pid)
            warm = len(SHIPMENTS)
            single["server_cpu_ms_per_request"] = 1000 * (cpu1 - cpu0) / (single["requests"] + warm)
            batch["server_cpu_ms_per_shipment"] = 1000 * (cpu2 - cpu1) / (batch["shipments"] * 3)
        finally:
            server.terminate()
            server.wait(timeout=30)
    load = os.getloadavg()
    print(f"# xborder serve on 127.0.0.1 ({os.cpu_count()} CPUs, load {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f} at the end)\n")  # fmt: skip
    print("| single quotes | rate | requests | errors | p50 ms | p90 ms | p99 ms | max ms "
          "| server CPU ms/request |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| POST /v1/quotes | {single['achieved_rps']:.0f}/s | {single['requests']} | "
        f"{single['errors']} | {single['p50_ms']:.1f} | {single['p90_ms']:.1f} | "
        f"{single['p99_ms']:.1f} | {single['max_ms']:.0f} | "
        f"{single['server_cpu_ms_per_request']:.2f} |"
    )
    print(f"\nbatch: {batch['shipments']} shipments in {batch['best_s']:.2f} s "
          f"(best of {batch['runs']}) = {batch['shipments_per_s']:.0f} shipments/s; "
          f"server CPU {batch['server_cpu_ms_per_shipment']:.2f} ms/shipment")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"single": single, "batch": batch, "load": load}, indent=2))
    return 0 if single["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
