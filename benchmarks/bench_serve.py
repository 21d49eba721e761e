"""Load test of ``xborder serve`` on 127.0.0.1: single quotes at a fixed rate, then batches.

    python benchmarks/bench_serve.py               # 200 requests/s for 60 s (12,000 quotes)
    python benchmarks/bench_serve.py --quick       # 50 requests/s for 5 s

The server runs in its own process (``xborder serve``, one uvicorn worker, a
temporary job database), so the client's event loop does not share an
interpreter with it. The load is open-loop: request *i* is due at
``start + i / rate`` whether or not earlier ones have answered (a closed loop
would hide queueing by slowing down with the server). Latency runs from the
moment a request is due to its full answer (waiting for a free connection
included); an error is any status other than 200, an answer without options,
or a transport failure. Eight shipments on different corridors
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


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a kept-alive connection; the status and the body."""
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _singles(port: int, rate: float, seconds: float, connections: int) -> dict[str, float]:
    """Open loop: request *i* is due at ``start + i / rate``; its latency runs from then.

    A minimal HTTP/1.1 client on ``connections`` kept-alive sockets (a general client
    such as httpx spends more CPU per request than the server on this machine). A due
    request waits for a free connection, and that wait counts in its latency, so a
    server that falls behind shows it (no coordinated omission).
    """
    count = int(rate * seconds)
    bodies = [json.dumps(s).encode() for s in SHIPMENTS]
    requests = [
        b"POST /v1/quotes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        for body in bodies
    ]
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    service: list[float] = []
    errors = 0

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in requests:  # warm every corridor once, off the clock
            await _exchange(reader, writer, request)
        ready.release()
        while (item := await queue.get()) is not None:
            i, due = item
            sent = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(
                    _exchange(reader, writer, requests[i % len(requests)]), timeout=30
                )
                ok = status == 200 and b'"options": [{' in body
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            done = time.perf_counter()
            latencies.append(done - due)
            service.append(done - sent)
            errors += not ok
        writer.close()

    ready = asyncio.Semaphore(0)
    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    for _ in workers:
        await ready.acquire()
    start = time.perf_counter() + 0.2
    lag = 0.0
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, time.perf_counter() - due)
        queue.put_nowait((i, due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    wall = time.perf_counter() - start
    return {
        "requests": count,
        "errors": errors,
        "achieved_rps": count / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p90_ms": 1000 * _pct(latencies, 0.90),
        "p99_ms": 1000 * _pct(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "service_p50_ms": 1000 * statistics.median(service),
        "service_p99_ms": 1000 * _pct(service, 0.99),
        "max_send_lag_ms": 1000 * lag,
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
    ap.add_argument("--connections", type=int, default=16, help="kept-alive client sockets")
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
            single = asyncio.run(_singles(port, args.rate, args.seconds, args.connections))
            cpu1 = _cpu_seconds(server.pid)
            batch = _batch(url, args.batch, runs=3)
            cpu2 = _cpu_seconds(server.pid)
            warm = len(SHIPMENTS) * args.connections
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
    print(f"\nservice time (sent to answered, without waiting for a connection): "
          f"p50 {single['service_p50_ms']:.1f} ms, p99 {single['service_p99_ms']:.1f} ms; "
          f"largest send lag of the client {single['max_send_lag_ms']:.1f} ms")  # fmt: skip
    print(f"\nbatch: {batch['shipments']} shipments in {batch['best_s']:.2f} s "
          f"(best of {batch['runs']}) = {batch['shipments_per_s']:.0f} shipments/s; "
          f"server CPU {batch['server_cpu_ms_per_shipment']:.2f} ms/shipment")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"single": single, "batch": batch, "load": load}, indent=2))
    return 0 if single["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
