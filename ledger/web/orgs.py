"""One page per organisation: a village, a court, a bureau. Each shows the organisation and
its balances from the ``account_balance`` projection; a bureau's page also lists the
organisations within its division. The community and judicial modules add their sections
later. Who may see which page is decided by :func:`ledger.accounts.scopes.can_read`, through
the ``org_scoped`` rules below."""

from __future__ import annotations

from flask import Blueprint, render_template

from ledger.accounts import services
from ledger.storage.db import read_transaction
from ledger.webkit import authz
from ledger.webkit.ext import engine

bp = Blueprint("orgs", __name__)
authz.protect(
    bp,
    {
        "village": authz.org_scoped("village"),
        "court": authz.org_scoped("court"),
        "bureau": authz.org_scoped("bureau"),
    },
)


def _overview(template: str, *, with_orgs: bool = False):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        balances = services.balances_of(conn, org)
        orgs = services.list_orgs(conn, within=org.division) if with_orgs else []
    orgs = [o for o in orgs if o.id != org.id]
    return render_template(template, org=org, balances=balances, orgs=orgs)


@bp.get("/villages/<code>")
def village(code: str):
    return _overview("home/org.html")


@bp.get("/courts/<code>")
def court(code: str):
    return _overview("home/org.html")


@bp.get("/bureaus/<code>")
def bureau(code: str):
    return _overview("home/org.html", with_orgs=True)
