"""What every module's JSON API shares (``flask_openapi3.APIBlueprint``s under ``/api/v1``):
the error shape, the ``Idempotency-Key`` header of writes, the security schemes' names, and
how an answer is made from a response model.

Conventions (see ``ledger.web.api.schemas``): amounts are integers (``CNY`` in fen, ``CO2E``
in kg); request bodies are strict; every field and model has an example (OpenAPI's
``example``), used by the API page and schemathesis.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from pydantic import BaseModel, ConfigDict, Field

#: Client-chosen idempotency keys: 1..100 visible ASCII characters (a UUID, a file name…).
IDEMPOTENCY_KEY = r"^[!-~]{1,100}$"
#: The names of the security schemes in the OpenAPI document.
BEARER = "bearerAuth"
SESSION = "sessionCookie"
#: ``security`` of an operation for signed-in callers (a token, or the site's session).
SIGNED_IN = [{BEARER: []}, {SESSION: []}]


def ex(value: Any) -> dict[str, Any]:
    """``json_schema_extra`` giving a field or model its example."""
    return {"example": value}


class Out(BaseModel):
    """Base of response models."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Out):
    """What went wrong: a stable dotted ``code``, a sentence for a person, and facts."""

    code: str = Field(
        description="Stable machine-readable code, e.g. `idempotency.conflict`.",
        json_schema_extra=ex("tree.size_too_large"),
    )
    message: str = Field(
        description="One sentence for a person.",
        json_schema_extra=ex("size 40 is larger than the log (29 entries)"),
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra facts (which field, which seq), JSON.",
        json_schema_extra=ex({"size": 29}),
    )


class ErrorResponse(Out):
    """Every error of the API (4xx, 5xx) has this shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "error": {
                    "code": "auth.required",
                    "message": "sign in to see this page",
                    "details": {},
                }
            }
        }
    )

    error: ErrorDetail


class IdempotencyHeader(BaseModel):
    """Every write carries a client-chosen idempotency key. The same key with the same body
    returns the original result (same status); with another body it is refused (409). Keys
    are per principal: two clients cannot collide."""

    idempotency_key: str = Field(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY,
        description="1..100 visible ASCII characters, e.g. a UUID.",
        json_schema_extra=ex("3b7c6a52-4f0e-4d0b-9a53-5f8f8a1c2d10"),
    )


def json_response(value: BaseModel, status: int = 200, headers: dict[str, str] | None = None):
    """A view's answer: the model as JSON, with a status and headers."""
    return jsonify(value.model_dump(mode="json")), status, headers or {}


def api_key(module: str, idempotency_key: str, operation: str) -> str:
    """The log's idempotency key for an API call: namespaced by module, operation and the
    signed-in principal, so two callers (or two operations) can never collide."""
    from ledger.webkit import authz

    return f"api.{module}.{operation}:{authz.current_principal().actor}:{idempotency_key}"
