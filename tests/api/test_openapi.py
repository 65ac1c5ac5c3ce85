"""The OpenAPI document is generated from the code, is valid OpenAPI 3.1, documents every
/api/v1 route of the app (and nothing else), and the API page shows it without any script or
outside asset."""

from __future__ import annotations

import re

import pytest
import schemathesis

from ledger.web.api.views import bp as shell_bp
from tests.api.conftest import json_of

PREFIX = "/api/v1"
AUTOMATIC = {"HEAD", "OPTIONS"}
ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture
def doc(client) -> dict:
    response = client.get(f"{PREFIX}/openapi.json")
    return json_of(response)


def routes_of(app) -> set[tuple[str, str]]:
    """``(method, OpenAPI path)`` of every route of the app under /api/v1."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") and rule.rule != PREFIX:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        out |= {(m.lower(), path) for m in rule.methods - AUTOMATIC}
    return out


def operations_of(doc) -> set[tuple[str, str]]:
    return {(method, path) for path, item in doc["paths"].items() for method in item}


def test_document_is_openapi_3_1(doc):
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    schemathesis.openapi.from_dict(doc).validate()  # against the OpenAPI 3.1 meta-schema


def test_every_api_route_is_documented_and_nothing_else(app, doc):
    routes = routes_of(app)
    assert routes, "no /api/v1 routes registered"
    assert operations_of(doc) == routes


def test_operations_are_described(doc):
    ids = []
    for path, item in doc["paths"].items():
        assert path.startswith(PREFIX + "/")
        for method, op in item.items():
            ids.append(op["operationId"])
            assert op.get("summary"), (method, path)
            assert op.get("tags"), (method, path)
            responses = op["responses"]
            assert any(s.startswith("2") for s in responses), (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": ERROR_REF}, (method, path, status)
            assert "422" in responses and "401" in responses
    assert len(ids) == len(set(ids))


def test_signed_in_operations_declare_security(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["sessionCookie"]["in"] == "cookie"
    shell = set(shell_bp.paths)  # the modules' operations have their own tests
    secured = {
        (m, p)
        for p, item in doc["paths"].items()
        if p in shell
        for m, op in item.items()
        if op.get("security")
    }
    assert secured == {
        ("get", f"{PREFIX}/me"),
        ("get", f"{PREFIX}/orgs/{{code}}"),
        ("get", f"{PREFIX}/orgs/{{code}}/balances"),
        ("post", f"{PREFIX}/anchors"),
    }


def test_writes_require_an_idempotency_key(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("post", "put", "patch", "delete"):
                params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
                assert params["Idempotency-Key"]["required"] is True, path
                assert "409" in op["responses"], path


def test_schemas_carry_patterns_integers_and_examples(doc):
    schemas = doc["components"]["schemas"]
    body = schemas["AnchorBody"]["properties"]
    assert body["sha256"]["pattern"] == "^[0-9a-f]{64}$"
    assert body["size"]["type"] == "integer"
    assert schemas["AnchorBody"]["additionalProperties"] is False
    assert schemas["BalanceOut"]["properties"]["balance"]["type"] == "integer"
    for name in ("AnchorBody", "AnchorOut", "PrincipalOut", "ErrorResponse", "CheckpointOut"):
        assert schemas[name]["example"], name
    org_code = next(
        p for p in doc["paths"][f"{PREFIX}/orgs/{{code}}"]["get"]["parameters"] if p["in"] == "path"
    )
    assert re.fullmatch(org_code["schema"]["pattern"], "350428102201")
    assert re.fullmatch(org_code["schema"]["pattern"], "闽0428")
    assert not re.fullmatch(org_code["schema"]["pattern"], "x0428")


def test_document_is_generated_once_and_stable(app, client, doc):
    assert json_of(client.get(f"{PREFIX}/openapi.json")) == doc
    assert app.api_doc == doc


def test_api_page_lists_every_operation_without_scripts(client, doc):
    response = client.get(f"{PREFIX}/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for method, path in operations_of(doc):
        assert f"{method.upper()} {path}" in page
    for schema in doc["components"]["schemas"]:
        assert f'id="schema-{schema}"' in page
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "Content-Security-Policy" in response.headers
