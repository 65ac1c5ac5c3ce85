"""Domain errors as data: a machine-readable code, a human message and optional details.

Views translate these into HTTP responses; the CLI prints them. Nothing here knows about either.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every refusal the ledger makes on purpose.

    Attributes:
      code: a stable, dotted machine-readable code, e.g. ``posting.unbalanced``.
      message: one sentence for a person.
      details: extra facts (which entry, which line), JSON-serialisable.
    """

    status = 400

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationError(LedgerError):
    """The input is malformed or breaks a rule; nothing was written."""

    status = 422


class ConflictError(LedgerError):
    """The input contradicts what the ledger already holds (e.g. a reused idempotency key)."""

    status = 409


class NotFoundError(LedgerError):
    """The thing asked for does not exist (or not at the tree size asked for)."""

    status = 404
