"""Schemathesis over the generated OpenAPI document, against the app (WSGI, real database):
every operation, with valid and invalid data (positive and negative modes), sent anonymously
and with the bearer tokens of a village and a county bureau. No request may end in a 5xx,
and every answer must be one the document declares (status, content type, body schema).

Bounded and deterministic: at most :data:`MAX_EXAMPLES` generated requests per operation and
mode, derandomised, no example database. (Driven through ``as_strategy`` and Hypothesis
rather than schemathesis' pytest plugin, whose lazy-fixture loader does not run on pytest 9.)
"""

from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from ledger.services.log import append_batch
from ledger.web import create_app
from tests.api.conftest import note
from tests.support.world import SEEDED

MAX_EXAMPLES = 30
LOG_SIZE = 512
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]
METHODS = ("get", "put", "post", "patch", "delete")


def _documented() -> list[tuple[str, str]]:
    """Every operation of the app's whole OpenAPI document — the shell's and every module's
    API blueprints — as (method, path): new endpoints are fuzzed without editing this file."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"database_url": f"sqlite:///{tmp}/doc.db", "instance_path": tmp, "env": "test"}
        )
        paths = app.api_doc["paths"]
        app.extensions["ledger.engine"].dispose()
    return sorted(
        (method, path) for path, item in paths.items() for method in item if method in METHODS
    )


OPERATIONS = _documented()


@pytest.fixture
def identities(world) -> dict[str, dict[str, str]]:
    """Request headers of each identity every generated request is sent as."""
    tokens = {key: {"Authorization": f"Bearer {world.tokens[key]}"} for key in ("v1", "county")}
    return {"anonymous": {}, **tokens}


@pytest.fixture
def api_schema(app, engine):
    # A log of 512 entries, so that many generated seqs and sizes find proofs too.
    append_batch(engine, [note(i) for i in range(LOG_SIZE - SEEDED)])
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_documented_operation_is_fuzzed(api_schema):
    documented = sorted(
        (method, path) for path, item in api_schema.raw_schema["paths"].items() for method in item
    )
    assert documented == OPERATIONS
    assert {("get", "/api/v1/log/entries"), ("post", "/api/v1/anchors")} <= set(OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS]
)
def test_no_request_breaks_the_api(api_schema, identities, method, path):
    operation = api_schema[path][method.upper()]
    declared = api_schema.raw_schema["paths"][path][method]
    modes = [GenerationMode.POSITIVE]
    if declared.get("parameters") or declared.get("requestBody"):
        modes.append(GenerationMode.NEGATIVE)  # there is something to get wrong
    for mode in modes:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            for headers in identities.values():
                case.call_and_validate(headers=headers, checks=CHECKS)

        run()
