"""The public landing page, the signed-in home page of each role, display preferences
(language, larger text) as plain links that set a cookie, and what printed pages need: the
print time and this site's address for the print stylesheet."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ledger.accounts import services
from ledger.accounts.scopes import visible_division
from ledger.services.clock import utc_now
from ledger.storage.db import read_transaction
from ledger.web.auth import safe_next
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings

bp = Blueprint("home", __name__)
authz.protect(
    bp,
    {
        "index": authz.PUBLIC,
        "home": authz.USER,
        "language": authz.PUBLIC,
        "text_size": authz.PUBLIC,
        "print_base": authz.PUBLIC,
    },
)

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"
TEXT_SIZES = ("normal", "large")
PREF_MAX_AGE = 365 * 24 * 3600


@bp.get("/")
def index():
    return render_template("home/index.html")


@bp.get("/home")
def home():
    principal = authz.current_principal()
    with read_transaction(engine()) as conn:
        if principal.role == "admin":
            counts = {
                "users": len(services.list_users(conn)),
                "orgs": len(services.list_orgs(conn)),
                "tokens": len(services.list_tokens(conn)),
            }
            return render_template("home/admin.html", counts=counts)
        org = principal.org
        balances = services.balances_of(conn, org)
        division = visible_division(principal)
        orgs = services.list_orgs(conn, within=division) if division else []
    return render_template(f"home/{principal.role}.html", org=org, balances=balances, orgs=orgs)


def _preference(name: str, value: str):
    target = safe_next(request.args.get("next")) or url_for("home.index")
    response = make_response(redirect(target, 303))
    response.set_cookie(
        name,
        value,
        max_age=PREF_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=not settings().is_development,
    )
    return response


@bp.get("/prefs/language/<lang>")
def language(lang: str):
    if lang not in LANGUAGES:
        abort(404)
    return _preference("lang", lang)


@bp.get("/prefs/text/<size>")
def text_size(size: str):
    if size not in TEXT_SIZES:
        abort(404)
    return _preference("text_size", size)


# --- printing -------------------------------------------------------------------------------

#: Characters kept as they are in a CSS string; any other is written as a CSS escape.
CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/.-_[]@%~")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that nothing in it can end early."""
    return '"' + "".join(c if c in CSS_PLAIN else f"\\{ord(c):x} " for c in text) + '"'


@bp.app_template_global()
def printed_at() -> str:
    """Now, as a stored UTC time: when a page was made for printing."""
    return utc_now()


@bp.get("/print-base.css")
def print_base():
    """``--site``: this site's address (scheme and host, as the request reached it), so the
    print stylesheet prints every link as a full address (``var(--site) attr(href)``)."""
    css = f":root {{ --site: {css_string(request.host_url.rstrip('/'))}; }}\n"
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Host")
    return response
