"""The ASGI app of ``xborder serve``: the network loaded once, the routes, the page.

:func:`create_app` reads the network, builds the one
:class:`~optimizer.serve.quotes.QuoteService` and the job store, and wires the
``/v1`` routes (:mod:`optimizer.serve.routes`), the page and its assets, the
offline API docs and the problem-details error handlers. Nothing here reaches
the network: the page, the basemap and Swagger UI's files are served from
installed packages.
"""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer.errors import InputError
from optimizer.serve.guards import API_KEY_HEADER, ApiKey, BodyLimit
from optimizer.serve.jobs import JobStore
from optimizer.serve.problems import SCHEMA as PROBLEM_SCHEMA
from optimizer.serve.problems import input_problems, problem_response, validation_problems
from optimizer.serve.quotes import FIELDS, QuoteService
from optimizer.serve.runner import PlanRunner

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may ask; documented in docs/serve.md and on ``/healthz``."""

    max_body_bytes: int = 1_000_000
    max_batch: int = 1000  # shipments per POST /v1/quotes/batch
    max_plan_seconds: float = 300.0  # a scenario's solver.time_limit_s, at most
    plan_workers: int = 1  # plan jobs solved at once

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise ValueError(f"max_body_bytes must be >= 1024, got {self.max_body_bytes}")
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {self.max_batch}")
        if not self.max_plan_seconds > 0:
            raise ValueError(f"max_plan_seconds must be > 0, got {self.max_plan_seconds}")
        if self.plan_workers < 1:
            raise ValueError(f"plan_workers must be >= 1, got {self.plan_workers}")


def create_app(
    network_path: str | Path,
    *,
    db_path: str | Path,
    api_key: str | None = None,
    limits: Limits | None = None,
) -> FastAPI:
    """The app for the network at ``network_path``, keeping plan jobs in ``db_path``.

    Raises :class:`~optimizer.errors.InputError` if the network is invalid. Plan
    jobs start running when the app starts (its lifespan); jobs a previous
    server left running are marked interrupted then.
    """
    from optimizer.network.reader import load_network
    from optimizer.serve.plans import plans_router
    from optimizer.serve.routes import v1_router

    limits = limits or Limits()
    path = Path(network_path).resolve()
    network, warnings = load_network(path)
    store = JobStore(db_path)
    runner = PlanRunner(
        store, path, workers=limits.plan_workers, max_seconds=limits.max_plan_seconds
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(
        title="xborder",
        version=_version(),
        summary="Landed quotes (P50/P90, CO2e, customs) and optimized plans over HTTP.",
        description=(
            "Quotes return exactly what `xborder quote --json` prints; plans the `plan.json` "
            "of `xborder run`. Errors are RFC 9457 problem details. See docs/serve.md."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.network = network
    app.state.network_path = path
    app.state.network_warnings = len(warnings)
    app.state.quotes = QuoteService(network)
    app.state.store = store
    app.state.runner = runner
    app.state.limits = limits
    app.include_router(v1_router())
    app.include_router(plans_router())
    _document(app, with_key=api_key is not None)
    _add_error_handlers(app)
    _add_page(app)
    # the last added runs first: the key is checked before any body is read
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(ApiKey, key=api_key)
    return app


def _document(app: FastAPI, *, with_key: bool) -> None:
    """Add the problem-details schema (and the API key scheme, if any) to the OpenAPI."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            if with_key:
                components["securitySchemes"] = {
                    "ApiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
                }
                schema["security"] = [{"ApiKey": []}]
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = validation_problems(exc.errors(), FIELDS)
        return problem_response(
            422, input_problems(len(problems)), errors=problems, instance=request.url.path
        )

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return problem_response(
            422, input_problems(len(exc.problems)), errors=exc.problems, instance=request.url.path
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}"
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(_methods(app, request))
        return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        _log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            500, "an internal error; it is logged on the server", instance=request.url.path
        )


def _methods(app: FastAPI, request: Request) -> list[str]:
    from starlette.routing import Match, Route

    found: set[str] = set()
    for route in app.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                found |= route.methods
    return sorted(found)


def _add_page(app: FastAPI) -> None:
    static = importlib.resources.files("optimizer.serve") / "static"
    basemap = importlib.resources.files("optimizer") / "data" / "naturalearth_lowres.geojson"

    @app.get("/", include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"))

    @app.get("/assets/basemap.geojson", include_in_schema=False)
    def basemap_file() -> FileResponse:
        return FileResponse(str(basemap), media_type="application/geo+json")

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    swagger = _swagger_dir()
    if swagger is not None:
        app.mount("/docs/assets", StaticFiles(directory=str(swagger)), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        if swagger is None:
            return problem_response(404, "Swagger UI is not installed (pip install swagger-ui-py)")
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="xborder API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )


def _swagger_dir() -> Any:
    """Swagger UI's files as shipped by the ``swagger-ui-py`` package (None if absent)."""
    try:
        folder = importlib.resources.files("swagger_ui") / "static"
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xborder")
    except PackageNotFoundError:
        return "0"


#: Environment variables through which ``xborder serve --workers N`` configures each process.
ENV = {
    "network": "XBORDER_SERVE_NETWORK",
    "db": "XBORDER_SERVE_DB",
    "api_key": "XBORDER_API_KEY",
    "limits": "XBORDER_SERVE_LIMITS",
}


def create_app_from_env() -> FastAPI:
    """The app as configured in :data:`ENV` (uvicorn's factory for several processes)."""
    import json
    import os

    limits = Limits(**json.loads(os.environ.get(ENV["limits"], "{}")))
    return create_app(
        os.environ[ENV["network"]],
        db_path=os.environ[ENV["db"]],
        api_key=os.environ.get(ENV["api_key"]) or None,
        limits=limits,
    )
