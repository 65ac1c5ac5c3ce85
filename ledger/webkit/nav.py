"""The site navigation: the links the modules declare (:attr:`ledger.platform.Module.nav`)
that the current principal's role may follow, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext

from ledger.accounts.model import Principal
from ledger.platform import registry


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str
    endpoint: str


def nav_links(principal: Principal) -> list[NavLink]:
    """The module links for ``principal`` (an item that needs an organisation code the
    principal lacks is left out)."""
    role = principal.role if principal.is_authenticated else "anonymous"
    links = []
    for item in registry().nav(role):
        args = {}
        if item.org_arg is not None:
            if principal.org is None:
                continue
            args[item.org_arg] = principal.org.code
        links.append(NavLink(url_for(item.endpoint, **args), gettext(item.label), item.endpoint))
    return links
