"""Schemathesis against the ASGI app in-process: every operation, generated inputs.

No response may be a 5xx, and every response must conform to the OpenAPI document
(status codes, media types, bodies). Examples are few per operation (CI time) and
derandomized (the same cases every run).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from serve_fixtures import NETWORK

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from optimizer.serve.app import Limits, create_app  # noqa: E402

pytestmark = pytest.mark.slow


_DB = tempfile.TemporaryDirectory(prefix="xborder-schema-")  # removed when the run ends
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(NETWORK, db_path=Path(_DB.name) / "jobs.sqlite", limits=Limits(max_batch=5)),
)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_and_never_fails(case):
    # Every other check runs (no 5xx, status codes, media types, bodies and headers as
    # documented, schema-invalid input refused). Not "schema-valid input accepted": ids
    # (nodes, lanes, categories) are checked against the served network, so a well-typed
    # request may still be a 422 naming the unknown id.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
