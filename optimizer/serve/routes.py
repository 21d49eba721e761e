"""``/healthz``, ``/v1/network*`` and ``/v1/quotes*``: thin — check, call the library, answer.

Quotes answer with the CLI's ``--json`` document, the network summary with
``xborder network show --json`` (plans: :mod:`optimizer.serve.plans`). Every
error is problem+json (:mod:`optimizer.serve.problems`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from optimizer.errors import InputError, Problem
from optimizer.serve.quotes import FILE, BatchIn, ShipmentIn, check
from optimizer.serve.responses import ERRORS, OPEN_OBJECT, json_response

_QUOTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Exactly what `xborder quote --json` prints.",
    "required": ["shipment", "options", "rejections"],
    "properties": {
        "shipment": OPEN_OBJECT,
        "value_of_day_usd": {"type": "number"},
        "options": {"type": "array", "items": OPEN_OBJECT},
        "rejections": {"type": "array", "items": OPEN_OBJECT},
    },
    "additionalProperties": True,
}


def v1_router() -> APIRouter:
    router = APIRouter()
    ok_json = {"content": {"application/json": {"schema": OPEN_OBJECT}}}

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

    @router.get("/v1/network", tags=["network"], responses={**ERRORS, 200: ok_json})
    def network_summary(request: Request) -> dict[str, Any]:
        """The served network's summary: what `xborder network show --json` prints."""
        from optimizer.cli.network_cmds import summarize

        summary = summarize(request.app.state.network)
        summary["warnings"] = request.app.state.network_warnings
        return summary

    @router.get("/v1/network/catalog", tags=["network"], responses={**ERRORS, 200: ok_json})
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

    @router.get("/v1/network/lanes", tags=["network"], responses={**ERRORS, 200: ok_json})
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
        responses={**ERRORS, 200: {"content": {"application/json": {"schema": _QUOTE_SCHEMA}}}},
    )
    def quote(request: Request, body: ShipmentIn) -> Response:
        """Every route option for one shipment: what `xborder quote --json` prints.

        No option fits: 200 with an empty `options` list and the `rejections`.
        """
        service = request.app.state.quotes
        checked, problems = check(service.network, body)
        if checked is None:
            raise InputError(problems)
        return json_response(service.quote(checked))

    @router.post(
        "/v1/quotes/batch",
        tags=["quotes"],
        responses={
            **ERRORS,
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

    return router
