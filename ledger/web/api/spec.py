"""How the app builds the OpenAPI document and answers request-validation errors.

The app is a :class:`flask_openapi3.OpenAPI` (a ``Flask`` subclass): its ``APIBlueprint``
collects each operation's parameters, body and responses from the pydantic models of
:mod:`ledger.web.api.schemas` as the views are declared, and ``app.api_doc`` assembles them
into one OpenAPI 3.1 document. Nothing in the document is written by hand.

flask-openapi3's own pages (``/openapi/…``) are off (``doc_ui=False``): they would sit
outside our access rules and need inline scripts that the Content-Security-Policy forbids.
The document is served at ``/api/v1/openapi.json`` and shown by our own page at
``/api/v1/docs``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify
from flask_openapi3 import Info
from pydantic import ValidationError

from ledger.webkit.api import BEARER, SESSION, ErrorResponse

VALIDATION_STATUS = 422
#: Where each kind of request model reads its fields from (by model name suffix).
LOCATIONS = ("Query", "Path", "Header", "Body")

DESCRIPTION = """\
The JSON API of carbon-ledger: the public, append-only log (checkpoints, entries, proofs),
organisations and their balances, and document anchoring.

**Authentication.** Send an API token as `Authorization: Bearer clt_…` (a token acts for one
organisation), or use the signed-in session from the same site (then writes need the
`X-CSRFToken` header). Public operations need neither.

**Amounts** are integers: `CNY` in fen, `CO2E` in kg. **Hashes** are lowercase hex.

**Writes** need an `Idempotency-Key` header: a retry with the same key and body returns the
original result; the same key with another body is refused with 409.

**Errors** are JSON `{"error": {"code", "message", "details"}}` with the HTTP status.
"""


def openapi_options() -> dict[str, Any]:
    """Keyword arguments of :class:`flask_openapi3.OpenAPI` for the app factory."""
    return {
        "info": Info(title="carbon-ledger API", version="1", description=DESCRIPTION),
        "security_schemes": {
            BEARER: {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token (`clt_…`), scoped to one organisation.",
            },
            SESSION: {
                "type": "apiKey",
                "in": "cookie",
                "name": "ledger_session",
                "description": "The signed-in session of this site (writes need X-CSRFToken).",
            },
        },
        "doc_ui": False,
        "validation_error_status": VALIDATION_STATUS,
        "validation_error_model": ErrorResponse,
        "validation_error_callback": validation_error_response,
    }


def _location(error: ValidationError) -> str:
    title = error.title or ""
    for suffix in LOCATIONS:
        if title.endswith(suffix):
            return suffix.lower()
    return "request"


def validation_error_response(error: ValidationError) -> Response:
    """flask-openapi3's request-validation failures, in the API's error shape (422)."""
    where = _location(error)
    problems = json.loads(error.json(include_url=False, include_input=False))
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    field = ".".join(str(part) for part in first.get("loc", ()))
    message = f"{where} {field}: {first.get('msg')}" if field else f"{where}: {first.get('msg')}"
    response = jsonify(
        error={
            "code": f"request.{where}",
            "message": message,
            "details": {"in": where, "errors": problems},
        }
    )
    response.status_code = VALIDATION_STATUS
    return response
