"""``/v1/plans``: scenarios queued as jobs, their status and their plan.json.

A scenario is checked in the request (every problem as one 422), stored with
the job in the SQLite store and solved by :class:`~optimizer.serve.runner.PlanRunner`
in a worker process; the answers are the job document and, once finished, the
``plan.json`` of ``xborder run``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from optimizer.errors import InputError, Problem
from optimizer.serve import problems as pd
from optimizer.serve.jobs import Job, JobStatus
from optimizer.serve.quotes import FILE
from optimizer.serve.responses import ERRORS, OPEN_OBJECT, PROBLEM, json_response

#: Version of the job document (GET /v1/plans/{id}); its `plan` carries plan.json's own.
JOB_FORMAT_VERSION = 1
_JOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format_version", "id", "status", "scenario", "submitted_at", "links"],
    "properties": {
        "format_version": {"type": "integer", "const": JOB_FORMAT_VERSION},
        "id": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in JobStatus]},
        "scenario": {"type": "string"},
        "submitted_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"]},
        "plan": {"type": ["object", "null"], "description": "plan.json, once finished"},
        "links": OPEN_OBJECT,
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


def plans_router() -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/plans",
        tags=["plans"],
        status_code=202,
        openapi_extra={"requestBody": _SCENARIO_BODY},
        responses={
            **ERRORS,
            202: {"content": {"application/json": {"schema": _JOB_SCHEMA}}},
            415: {"description": "Not JSON or YAML", **PROBLEM},
        },
    )
    async def submit_plan(request: Request) -> Response:
        """Queue a scenario for planning; answer 202 with the job (poll its `links.self`)."""
        state = request.app.state
        text, from_json = await _scenario_text(request)
        try:  # parsing and checking take milliseconds of CPU: off the event loop
            scenario, _ = await run_in_threadpool(_checked_scenario, request, text)
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
        return json_response(_jobjson_response(job), status=202, headers={"Location": url})

    @router.get(
        "/v1/plans",
        tags=["plans"],
        responses={**ERRORS, 200: {"content": {"application/json": {"schema": OPEN_OBJECT}}}},
    )
    def list_plans(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 20,
    ) -> Response:
        """The latest plan jobs, newest first (without their plans)."""
        jobs = request.app.state.store.recent(limit)
        return json_response({"jobs": [_jobjson_response(j, with_plan=False) for j in jobs]})

    @router.get(
        "/v1/plans/{job_id}",
        tags=["plans"],
        responses={
            **ERRORS,
            200: {"content": {"application/json": {"schema": _JOB_SCHEMA}}},
            404: {"description": "No such job", **PROBLEM},
        },
    )
    def get_plan(request: Request, job_id: str) -> Response:
        """A job's status; once `finished`, its `plan` (the plan.json of `xborder run`)."""
        return json_response(_jobjson_response(_job(request, job_id)))

    @router.get(
        "/v1/plans/{job_id}/plan.json",
        tags=["plans"],
        responses={
            **ERRORS,
            200: {"content": {"application/json": {"schema": OPEN_OBJECT}}},
            404: {"description": "No such job", **PROBLEM},
            409: {"description": "The job has no plan (yet)", **PROBLEM},
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


def _job(request: Request, job_id: str) -> Job:
    from fastapi import HTTPException

    job = request.app.state.store.get(job_id)
    if job is None:
        raise HTTPException(404, f"no plan job {job_id!r}")
    return job


def _jobjson_response(job: Job, *, with_plan: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format_version": JOB_FORMAT_VERSION,
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
