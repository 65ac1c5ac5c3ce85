"""Who recorded something, in words. Log entries and audit records name their ``actor`` as a
code (:mod:`ledger.webkit.authz`, :mod:`ledger.clikit`, :mod:`ledger.demo`); pages show:

- ``user:3`` → the user's name and organisation, e.g. ``linye（将乐县林业局）``;
- ``token:7`` → the API token's purpose and organisation;
- ``cli:root`` → 命令行（root）;
- ``demo`` and ``demo:…`` → 演示数据;
- anything else as it is.

Users and tokens are looked up once per request and actor.
"""

from __future__ import annotations

import re

from flask import g
from flask_babel import gettext as _

from ledger.accounts import services
from ledger.storage.db import read_transaction
from ledger.webkit.ext import engine

ACCOUNT_RE = re.compile(r"^(user|token):([0-9]{1,12})$")
CLI_PREFIX = "cli:"
DEMO = "demo"


def _account(kind: str, number: int) -> str:
    with read_transaction(engine()) as conn:
        if kind == "user":
            user = services.get_user(conn, number)
            if user is None:
                return _("User %(id)d", id=number)
            if user.org is None:
                return _("%(name)s (administrator)", name=user.username)
            return _("%(name)s (%(org)s)", name=user.username, org=user.org.name)
        token = services.get_token(conn, number)
        if token is None:
            return _("API token %(id)d", id=number)
        return _("API token “%(label)s” (%(org)s)", label=token.label, org=token.org.name)


def actor_label(actor: str) -> str:
    """The actor code ``actor`` in words, in the display language."""
    if actor == DEMO or actor.startswith(DEMO + ":"):
        return _("Demo data")
    if actor.startswith(CLI_PREFIX):
        return _("Command line (%(user)s)", user=actor.removeprefix(CLI_PREFIX))
    match = ACCOUNT_RE.match(actor)
    if match is None:
        return actor
    cache = g.setdefault("actor_labels", {})
    if actor not in cache:
        cache[actor] = _account(match.group(1), int(match.group(2)))
    return cache[actor]
