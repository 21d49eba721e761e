"""The ``/v1`` routes and ``/healthz``: thin — check, call the library, answer.

Quotes answer with the CLI's ``--json`` document; plans with the ``plan.json``
of ``xborder run`` (:func:`~optimizer.plan.writers.plan_json`); the network
summary with ``xborder network show --json``. Every error is problem+json
(:mod:`optimizer.serve.problems`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from optimizer.errors import InputError, Problem
from optimizer.serve import problems as pd
from optimizer.serve.jobs import Job, JobStatus
from optimizer.serve.quotes import FILE, BatchIn, ShipmentIn, check

_PROBLEM = {"content": {pd.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A body that cannot be parsed at all", **_PROBLEM},
    401: {"description": "API key missing or wrong (when the server has one)", **_PROBLEM},
    413: {"description": "Request body over the limit", **_PROBLEM},
    422: {"description": "Invalid fields, each in `errors`", **_PROBLEM},
}
_OPEN_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
_QUOTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Exactly what `xborder quote --json` prints.",
    "required": ["shipment", "options", "rejections"],
    "properties": {
        "shipment": _OPEN_OBJECT,
        "value_of_day_usd": {"type": "number"},
        "options": {"type": "array", "items": _OPEN_OBJECT},
        "rejections": {"type": "array", "items": _OPEN_OBJECT},
    },
    "additionalProperties": True,
}
_JOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "scenario", "submitted_at", "links"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in JobStatus]},
        "scenario": {"type": "string"},
        "submitted_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"]},
        "plan": {"type": ["object", "null"], "description": "plan.json, once finished"},
        "links": _OPEN_OBJECT,
    },
}
_SCENARIO_BODY = {
    "required": True,
    "description": "A scenario (docs/scenario.md) without `network` and without file paths: "
    "it is planned on the served network.",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/yaml": {"schema": {"type": "string"}},
    },
}
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


def v1_router() -> APIRouter:
    router = APIRouter()
    ok_json = {"content": {"application/json": {"schema": _OPEN_OBJECT}}}

    @router.get("/healthz", tags=["service"], responses={200: ok_json})
    def healthz(request: Request) -> dict[str, Any]:
        """Liveness, the network served and the limits in force."""
        state = request.app.state
        limits = state.limits
        return {
            "status": "ok",
            "network": state.network.name,
            "limits": {
                "max_body_bytes": limits.max_body_bytes,
                "max_batch": limits.max_batch,
                "max_plan_seconds": limits.max_plan_seconds,
                "plan_workers": limits.plan_workers,
            },
            "jobs": state.store.counts(),
        }

    @router.get("/v1/network", tags=["network"], responses={**_ERRORS, 200: ok_json})
    def network_summary(request: Request) -> dict[str, Any]:
        """The served network's summary: what `xborder network show --json` prints."""
        from optimizer.cli.network_cmds import summarize

        summary = summarize(request.app.state.network)
        summary["warnings"] = request.app.state.network_warnings
        return summary

    @router.get("/v1/network/catalog", tags=["network"], responses={**_ERRORS, 200: ok_json})
    def catalog(request: Request) -> dict[str, Any]:
        """Nodes (with coordinates), categories, currencies, modes and carriers, for forms."""
        net = request.app.state.network
        return {
            "nodes": [
                {
                    "id": n.id,
                    "name": n.name,
                    "kind": n.kind.value,
                    "country": n.country,
                    "lat": n.lat,
                    "lon": n.lon,
                }
                for n in net.nodes
            ],
            "categories": [
                {"id": c.id, "name": c.name, "hs_chapter": c.hs_chapter} for c in net.categories
            ],
            "currencies": sorted(code for code, _ in net.fx_per_usd),
            "modes": sorted({lane.mode.value for lane in net.lanes}),
            "carriers": sorted({lane.carrier for lane in net.lanes}),
        }

    @router.get("/v1/network/lanes", tags=["network"], responses={**_ERRORS, 200: ok_json})
    def lanes(
        request: Request,
        id: Annotated[list[str], Query(max_length=30, description="Lane ids (repeat `id=`).")],
    ) -> dict[str, Any]:
        """Where lanes run on the globe (GeoJSON, EPSG:4326, unwrapped longitudes)."""
        import difflib

        from shapely.geometry import mapping

        from optimizer.network.geometry import lane_geometry

        net = request.app.state.network
        bad = []
        for i, lane_id in enumerate(id):
            if lane_id not in net.lane_by_id:
                hint = difflib.get_close_matches(lane_id, sorted(net.lane_by_id), n=1)
                bad.append(
                    Problem(
                        "query",
                        "unknown lane",
                        field=f"id[{i}]",
                        value=lane_id,
                        expected=f"did you mean {hint[0]!r}?" if hint else "a lane id",
                    )
                )
        if bad:
            raise InputError(bad)
        features = []
        for lane_id in dict.fromkeys(id):
            lane = net.lane_by_id[lane_id]
            features.append(
                {
                    "type": "Feature",
                    "geometry": mapping(lane_geometry(net, lane)),
                    "properties": {
                        "lane": lane.id,
                        "mode": lane.mode.value,
                        "origin": lane.origin,
                        "dest": lane.dest,
                    },
                }
            )
        return {"type": "FeatureCollection", "features": features}

    @router.post(
        "/v1/quotes",
        tags=["quotes"],
        responses={**_ERRORS, 200: {"content": {"application/json": {"schema": _QUOTE_SCHEMA}}}},
    )
    def quote(request: Request, body: ShipmentIn) -> Response:
        """Every route option for one shipment: what `xborder quote --json` prints.

        No option fits: 200 with an empty `options` list and the `rejections`.
        """
        service = request.app.state.quotes
        checked, problems = check(service.network, body)
        if checked is None:
            raise InputError(problems)
        return _json(service.quote(checked))

    @router.post(
        "/v1/quotes/batch",
        tags=["quotes"],
        responses={
            **_ERRORS,
            200: {
                "description": "One JSON object per line, in input order: `{index, id, quote}` "
                "(`quote`: what `xborder quote --json` prints). A bad shipment refuses the whole "
                "batch with 422, every problem named `shipments[i].field`.",
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            },
        },
    )
    def quote_batch(request: Request, body: BatchIn) -> Response:
        """Many shipments, answered as NDJSON lines in input order (at most the batch limit)."""
        service = request.app.state.quotes
        limit = request.app.state.limits.max_batch
        if len(body.shipments) > limit:
            raise InputError(
                [
                    Problem(
                        FILE,
                        "too many shipments",
                        field="shipments",
                        value=str(len(body.shipments)),
                        expected=f"at most {limit}",
                    )
                ]
            )
        requests, problems = service.check_batch(body.shipments)
        if problems:
            raise InputError(problems)
        return StreamingResponse(service.batch_lines(requests), media_type="application/x-ndjson")

    @router.post(
        "/v1/plans",
        tags=["plans"],
        status_code=202,
        openapi_extra={"requestBody": _SCENARIO_BODY},
        responses={
            **_ERRORS,
            202: {"content": {"application/json": {"schema": _JOB_SCHEMA}}},
            415: {"description": "Not JSON or YAML", **_PROBLEM},
        },
    )
    async def submit_plan(request: Request) -> Response:
        """Queue a scenario for planning; answer 202 with the job (poll its `links.self`)."""
        state = request.app.state
        text, from_json = await _scenario_text(request)
        try:
            scenario, _ = _checked_scenario(request, text)
        except InputError as exc:
            if not from_json:
                raise
            raise InputError([replace(p, row=None) for p in exc.problems]) from None
        limit = state.limits.max_plan_seconds
        if scenario.solver.time_limit_s > limit:
            raise InputError(
                [
                    Problem(
                        FILE,
                        "above this server's limit",
                        field="solver.time_limit_s",
                        value=f"{scenario.solver.time_limit_s:g}",
                        expected=f"at most {limit:g} s",
                    )
                ]
            )
        job = state.store.submit(scenario.name, text)
        state.runner.wake()
        url = f"/v1/plans/{job.id}"
        return _json(_job_json(job), status=202, headers={"Location": url})

    @router.get(
        "/v1/plans",
        tags=["plans"],
        responses={**_ERRORS, 200: {"content": {"application/json": {"schema": _OPEN_OBJECT}}}},
    )
    def list_plans(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 20,
    ) -> Response:
        """The latest plan jobs, newest first (without their plans)."""
        jobs = request.app.state.store.recent(limit)
        return _json({"jobs": [_job_json(j, with_plan=False) for j in jobs]})

    @router.get(
        "/v1/plans/{job_id}",
        tags=["plans"],
        responses={
            **_ERRORS,
            200: {"content": {"application/json": {"schema": _JOB_SCHEMA}}},
            404: {"description": "No such job", **_PROBLEM},
        },
    )
    def get_plan(request: Request, job_id: str) -> Response:
        """A job's status; once `finished`, its `plan` (the plan.json of `xborder run`)."""
        return _json(_job_json(_job(request, job_id)))

    @router.get(
        "/v1/plans/{job_id}/plan.json",
        tags=["plans"],
        responses={
            **_ERRORS,
            200: {"content": {"application/json": {"schema": _OPEN_OBJECT}}},
            404: {"description": "No such job", **_PROBLEM},
            409: {"description": "The job has no plan (yet)", **_PROBLEM},
        },
    )
    def plan_file(request: Request, job_id: str) -> Response:
        """A finished job's plan.json, byte for byte as `xborder run -o` writes it."""
        job = _job(request, job_id)
        if job.plan_json is None:
            return pd.problem_response(
                409,
                f"job {job_id} is {job.status.value}: it has no plan"
                + (f" ({job.message})" if job.message else ""),
                instance=request.url.path,
            )
        return Response(job.plan_json, media_type="application/json")

    return router


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON as the CLI writes it (``json.dumps``), so the API's and the CLI's values match."""
    return Response(
        json.dumps(data, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _job(request: Request, job_id: str) -> Job:
    from fastapi import HTTPException

    job = request.app.state.store.get(job_id)
    if job is None:
        raise HTTPException(404, f"no plan job {job_id!r}")
    return job


def _job_json(job: Job, *, with_plan: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": job.id,
        "status": job.status.value,
        "scenario": job.scenario_name,
        "submitted_at": job.submitted_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "message": job.message,
        "links": {"self": f"/v1/plans/{job.id}"},
    }
    if with_plan:
        data["plan"] = None if job.plan_json is None else json.loads(job.plan_json)
        if job.plan_json is not None:
            data["links"]["plan.json"] = f"/v1/plans/{job.id}/plan.json"
    return data


async def _scenario_text(request: Request) -> tuple[str, bool]:
    from fastapi import HTTPException

    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and kind not in _YAML_TYPES:
        raise HTTPException(
            415,
            "send the scenario as application/json or application/yaml"
            + (f", not {kind}" if kind else ""),
        )
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(FILE, f"not UTF-8 ({exc.reason})")]) from None
    if kind == "application/json":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise InputError([Problem(FILE, "is not valid JSON")]) from None
        if not isinstance(data, dict):
            raise InputError(
                [
                    Problem(
                        FILE,
                        "expected a JSON object",
                        expected="a scenario: name, plan_date, demands, ...",
                    )
                ]
            )
        # One reader for both: the object as YAML (lines then refer to that text, so the
        # problems of a JSON body name fields only).
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return text, kind == "application/json"


def _checked_scenario(request: Request, text: str) -> Any:
    from optimizer.serve.runner import scenario_from_text

    state = request.app.state
    return scenario_from_text(text, state.network, state.network_path)
