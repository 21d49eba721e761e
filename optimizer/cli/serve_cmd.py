"""``xborder serve``: the HTTP API and page for quotes and plans (docs/serve.md)."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict
from pathlib import Path

import click

from optimizer.errors import InputError, Problem


@click.command()
@click.option(
    "--network",
    "network_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Network folder served (loaded once at start), e.g. networks/global.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="HTTP server processes (each loads the network; one of them runs plan jobs).",
)
@click.option(
    "--db",
    "db_path",
    default="xborder-jobs.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file keeping plan jobs (finished plans survive restarts).",
)
@click.option(
    "--api-key",
    envvar="XBORDER_API_KEY",
    help="Require this key in the X-API-Key header of /v1/ requests (or $XBORDER_API_KEY).",
)
@click.option(
    "--no-api-key-ok",
    is_flag=True,
    help="Allow listening on a non-loopback address without an API key.",
)
@click.option(
    "--max-body",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Largest request body, bytes (413 above).",
)
@click.option(
    "--max-batch",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most shipments in one POST /v1/quotes/batch.",
)
@click.option(
    "--max-plan-seconds",
    default=300.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Largest solver time limit a submitted scenario may ask for.",
)
@click.option(
    "--plan-workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Plan jobs solved at once (one process each).",
)
def serve(
    network_path: Path,
    host: str,
    port: int,
    workers: int,
    db_path: Path,
    api_key: str | None,
    no_api_key_ok: bool,
    max_body: int,
    max_batch: int,
    max_plan_seconds: float,
    plan_workers: int,
) -> None:
    """Serve quotes and plans over HTTP (FastAPI on uvicorn), with a page at /.

    \b
    Examples:
      xborder serve --network networks/global
      xborder serve --network networks/global --port 8080 --db jobs.sqlite
      XBORDER_API_KEY=secret xborder serve --network networks/global --host 0.0.0.0

    API: POST /v1/quotes, POST /v1/quotes/batch, POST /v1/plans, GET /v1/plans/{id},
    GET /v1/network, GET /healthz; OpenAPI at /openapi.json, docs at /docs.
    """
    try:
        import uvicorn

        from optimizer.serve.app import ENV, Limits, create_app
    except ModuleNotFoundError as exc:
        raise click.ClickException(
            f"{exc.name} is missing: install the serve extra (pip install 'xborder[serve]')"
        ) from None
    if not _loopback(host) and not api_key and not no_api_key_ok:
        raise InputError(
            [
                Problem(
                    "serve",
                    "listening beyond this machine without an API key",
                    field="--host",
                    value=host,
                    expected="--api-key KEY (or $XBORDER_API_KEY), or --no-api-key-ok",
                )
            ]
        )
    limits = Limits(
        max_body_bytes=max_body,
        max_batch=max_batch,
        max_plan_seconds=max_plan_seconds,
        plan_workers=plan_workers,
    )
    app = create_app(network_path, db_path=db_path, api_key=api_key, limits=limits)
    click.echo(
        f"serving {app.state.network.name} on http://{host}:{port}/ "
        f"(jobs in {db_path}; API key {'required' if api_key else 'off'})",
        err=True,
    )
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    os.environ[ENV["network"]] = str(network_path.resolve())
    os.environ[ENV["db"]] = str(db_path.resolve())
    os.environ[ENV["limits"]] = json.dumps(asdict(limits))
    if api_key:
        os.environ[ENV["api_key"]] = api_key
    uvicorn.run(
        "optimizer.serve.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
