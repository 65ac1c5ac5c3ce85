"""Form helpers for every module's pages: translated messages for domain refusals, and the
per-form idempotency key that makes a double tap or a retried submission append once."""

from __future__ import annotations

import re
import secrets

from flask import g
from flask_babel import gettext
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from ledger.core.errors import LedgerError
from ledger.platform import registry

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def error_message(exc: LedgerError) -> str:
    """The message for a domain refusal in the reader's language: the one a module declares
    for its code (:attr:`ledger.platform.Module.messages`), else the error's own message.

    A refusal whose ``details`` name a ``kind`` (``text.personal_data`` names what was found)
    may have a message of its own under ``"<code>:<kind>"``, used before the code's."""
    messages = g.get("ledger_messages")
    if messages is None:
        messages = g.ledger_messages = registry().messages()
    kind = exc.details.get("kind")
    message = messages.get(f"{exc.code}:{kind}") if isinstance(kind, str) else None
    message = message or messages.get(exc.code)
    if message is None:
        return exc.message
    text = gettext(message)
    try:
        return text % exc.details if "%(" in text else text
    except (KeyError, ValueError, TypeError):
        return text


def idempotency_field() -> HiddenField:
    """The hidden field that carries a form's idempotency key (see :func:`new_form_key`)."""
    return HiddenField(validators=[DataRequired(), Regexp(KEY_RE)])


def new_form_key() -> str:
    """A fresh idempotency key for one rendering of a form."""
    return secrets.token_urlsafe(24)


def form_key(principal_actor: str, form_name: str, key: str) -> str:
    """The log's idempotency key for a form submission: namespaced by form and principal, so
    two people (or two forms) can never collide."""
    return f"web.{form_name}:{principal_actor}:{key}"


def submission_key(form, form_name: str) -> str:
    """:func:`form_key` of ``form`` (which has an ``idempotency_key`` field) submitted by the
    signed-in principal."""
    from ledger.webkit import authz

    return form_key(authz.current_principal().actor, form_name, form.idempotency_key.data)
