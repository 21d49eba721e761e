"""Helpers for the serve tests: an app on the shipped network, a live uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

NETWORK = Path(__file__).resolve().parent.parent / "networks" / "global"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

SHIPMENT = {
    "from": "CN_SZX_ORIGIN",
    "to": "M_US_WEST",
    "weight": 1.2,
    "dims": "30x20x10",
    "value": 45,
    "currency": "USD",
    "category": "apparel",
    "ship_date": "2026-03-01",
}

#: A scenario planned on the served network (no `network:` line), solved in about a second.
SCENARIO = """\
version: 1
name: one US demand
plan_date: 2026-03-01
currency: USD
demands:
  - {id: SZX-USW-apparel, origin: CN_SZX_ORIGIN, market: M_US_WEST, category: apparel,
     orders_per_week: 6000, weight_kg: 0.5, length_cm: 30, width_cm: 20, height_cm: 5,
     value: 28, sla_days: 12}
solver:
  time_limit_s: 30
  seed: 0
"""


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Run ``app`` on uvicorn at 127.0.0.1 on a free port; yield its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def wait_for_job(get: Any, job_id: str, *, until: tuple[str, ...], timeout: float = 120) -> dict:
    """Poll ``get(path)`` (returning a response) until the job's status is in ``until``."""
    deadline = time.monotonic() + timeout
    while True:
        body = get(f"/v1/plans/{job_id}").json()
        if body["status"] in until:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {body['status']} after {timeout} s")
        time.sleep(0.05)
