"""The JSON API under ``/api/v1``, described by an OpenAPI 3.1 document generated from the
code (flask-openapi3 and the pydantic models of :mod:`.schemas`).

- :mod:`.views` — the operations, on one ``APIBlueprint`` with one access-rule table;
- :mod:`.schemas` — request and response models (integers for amounts, patterns for hashes
  and codes, examples);
- :mod:`.spec` — the :class:`flask_openapi3.OpenAPI` options of the app (document metadata,
  security schemes, request-validation errors in the API's error shape, 422);
- :mod:`.docs` — the reference page at ``/api/v1/docs``, rendered from the document.

The app factory makes the app an ``OpenAPI`` with :func:`openapi_options` and calls
:func:`register_api`. Errors are JSON ``{"error": {"code", "message", "details"}}``
(:mod:`ledger.webkit.errors` answers everything under ``/api/`` in JSON).
"""

from __future__ import annotations

from typing import Any

from ledger.web.api.spec import openapi_options


def register_api(app: Any) -> None:
    """Register the API blueprint on ``app`` (a :class:`flask_openapi3.OpenAPI`), so that its
    operations enter the app's OpenAPI document."""
    from ledger.web.api.views import bp

    app.register_api(bp)


__all__ = ["openapi_options", "register_api"]
