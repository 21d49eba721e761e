"""What the routes share: JSON answers written as the CLI writes them, OpenAPI snippets."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response

from optimizer.serve import problems as pd

PROBLEM = {"content": {pd.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A body that cannot be parsed at all", **PROBLEM},
    401: {"description": "API key missing or wrong (when the server has one)", **PROBLEM},
    413: {"description": "Request body over the limit", **PROBLEM},
    422: {"description": "Invalid fields, each in `errors`", **PROBLEM},
}
OPEN_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON as the CLI writes it (``json.dumps``), so the API's and the CLI's values match."""
    return Response(
        json.dumps(data, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
