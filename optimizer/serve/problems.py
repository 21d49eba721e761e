"""Errors over HTTP as RFC 9457 problem details, in the CLI's wording.

Every error response is ``application/problem+json`` with a ``type``, a
``title``, the HTTP ``status``, a ``detail`` and, for bad input, one entry per
:class:`~optimizer.errors.Problem` in ``errors`` (file, row, field, a JSON
pointer, message, value, expected) — the records the CLI prints as
``file, line, field: message (got value); expected ...``. Request-shape errors
found by FastAPI's validation (a missing field, text where a number belongs)
are translated into the same records and the same messages as the CLI's own
checks, so a client sees one vocabulary whichever layer found the problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.responses import Response

from optimizer.errors import Problem

MEDIA_TYPE = "application/problem+json"
#: Problem type URIs (documented in docs/serve.md), by HTTP status.
TYPES = {
    400: ("urn:xborder:problem:bad-request", "Bad request"),
    401: ("urn:xborder:problem:unauthorized", "Missing or wrong API key"),
    404: ("urn:xborder:problem:not-found", "Not found"),
    405: ("urn:xborder:problem:method-not-allowed", "Method not allowed"),
    409: ("urn:xborder:problem:not-ready", "Not ready"),
    413: ("urn:xborder:problem:too-large", "Request body too large"),
    415: ("urn:xborder:problem:unsupported-media-type", "Unsupported media type"),
    422: ("urn:xborder:problem:invalid-input", "Invalid input"),
    500: ("urn:xborder:problem:internal", "Internal error"),
}
#: The JSON Schema of a problem document (components/schemas/Problem in the OpenAPI).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message", "detail"],
                "properties": {
                    "file": {"type": "string"},
                    "row": {"type": ["integer", "null"]},
                    "field": {"type": ["string", "null"]},
                    "pointer": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                    "value": {"type": ["string", "null"]},
                    "expected": {"type": ["string", "null"]},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}
#: Maximum characters of a bad value echoed back.
VALUE_CHARS = 200


def problem_response(
    status: int,
    detail: str,
    *,
    errors: Sequence[Problem] = (),
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """One problem document; ``errors`` become its per-field ``errors`` list."""
    kind, title = TYPES.get(status, TYPES[500] if status >= 500 else TYPES[400])
    body: dict[str, Any] = {"type": kind, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [problem_entry(p) for p in errors]
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def problem_entry(problem: Problem) -> dict[str, Any]:
    """A :class:`Problem` as one entry of ``errors`` (``detail``: the CLI's one-line text)."""
    field = problem.field
    return {
        "file": problem.file,
        "row": problem.row,
        "field": field,
        "pointer": pointer(field) if field and problem.file == "request body" else None,
        "message": problem.message,
        "value": problem.value,
        "expected": problem.expected,
        "detail": str(problem),
    }


def pointer(field: str) -> str:
    """A JSON pointer (RFC 6901) for a dotted field such as ``shipments[2].weight``."""
    parts = field.replace("[", ".").replace("]", "").split(".")
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts if p)


def input_problems(count: int) -> str:
    return f"{count} problem{'s' if count != 1 else ''} found"


# --------------------------------------------------------------------- validation errors
#: FastAPI/pydantic error types, as the CLI words them: type -> (message, expected).
_WORDING: dict[str, tuple[str, str]] = {
    "missing": ("is required", ""),
    "float_parsing": ("is not a number", ""),
    "float_type": ("is not a number", ""),
    "finite_number": ("must be finite", ""),
    "int_parsing": ("is not a whole number", ""),
    "int_type": ("is not a whole number", ""),
    "int_from_float": ("is not a whole number", ""),
    "string_type": ("is not text", ""),
    "bool_parsing": ("is not true or false", ""),
    "bool_type": ("is not true or false", ""),
    "date_parsing": ("is not a date", "YYYY-MM-DD"),
    "date_from_datetime_parsing": ("is not a date", "YYYY-MM-DD"),
    "date_from_datetime_inexact": ("is not a date", "YYYY-MM-DD"),
    "date_type": ("is not a date", "YYYY-MM-DD"),
    "list_type": ("expected a list", ""),
    "model_type": ("expected a mapping", ""),
    "model_attributes_type": ("expected a mapping", ""),
    "dict_type": ("expected a mapping", ""),
    "json_invalid": ("is not valid JSON", ""),
    "json_type": ("is not valid JSON", ""),
    "extra_forbidden": ("unknown field", ""),
    "string_too_short": ("is required", ""),
    "value_error": ("is invalid", ""),
}


def validation_problems(
    errors: Iterable[dict[str, Any]], known: Sequence[str] = ()
) -> list[Problem]:
    """Translate FastAPI's validation errors into :class:`Problem` records.

    ``known`` lists the body's field names, for "did you mean" on unknown fields.
    """
    import difflib

    problems = []
    for err in errors:
        loc = [str(x) if not isinstance(x, int) else f"[{x}]" for x in err.get("loc", ())]
        where = loc[0] if loc else "body"
        file = {"body": "request body", "query": "query", "path": "path", "header": "header"}.get(
            where, "request"
        )
        field = ".".join(loc[1:]).replace(".[", "[") or None
        kind = str(err.get("type", ""))
        ctx = err.get("ctx") or {}
        message, expected = _WORDING.get(kind, (str(err.get("msg", "is invalid")), ""))
        if kind in ("greater_than", "greater_than_equal"):
            bound = ctx.get("gt", ctx.get("ge"))
            strict = kind == "greater_than"
            if bound == 0:
                message = "must be positive" if strict else "must not be negative"
            else:
                message = f"must be {'above' if strict else 'at least'} {bound}"
        elif kind in ("less_than", "less_than_equal"):
            bound = ctx.get("lt", ctx.get("le"))
            message = f"must be {'below' if kind == 'less_than' else 'at most'} {bound}"
        elif kind in ("literal_error", "enum"):
            message, expected = "unknown value", f"one of {ctx.get('expected', '')}"
        elif kind == "too_long":
            message = "too many items"
            expected = f"at most {ctx.get('max_length')}"
        elif kind == "string_too_long":
            message = "is too long"
            expected = f"at most {ctx.get('max_length')} characters"
        elif kind == "string_pattern_mismatch":
            message, expected = "has the wrong form", f"text matching {ctx.get('pattern')}"
        elif kind == "extra_forbidden" and known:
            name = loc[-1] if loc else ""
            hint = difflib.get_close_matches(name, list(known), n=1)
            expected = f"did you mean {hint[0]!r}?" if hint else "one of " + ", ".join(known)
        problems.append(
            Problem(
                file,
                message,
                field=field,
                value=None if kind == "missing" else _text(err.get("input")),
                expected=expected or None,
            )
        )
    return problems


def _text(value: Any) -> str | None:
    """A bad value as short text (None for objects and lists: the pointer says where)."""
    if value is None or isinstance(value, dict | list):
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"
