"""The runs page: what the scheduler process did and is doing, for bureaus and admins. While a
run is going the page reloads itself every few seconds (a meta refresh: no script)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _

from ledger.platform import registry
from ledger.scheduler import process, runs
from ledger.webkit import authz
from ledger.webkit.ext import engine

bp = Blueprint("scheduler", __name__, url_prefix="/scheduler", template_folder="templates")
authz.protect(bp, {}, default=authz.roles("bureau", "admin", users_only=True))

REFRESH_SECONDS = 5


@dataclass(frozen=True)
class ShownRun:
    """A run as the page shows it: the job in words, its counts in words, its errors as
    sentences."""

    run: runs.Run
    label: str
    counts: list[tuple[str, object]]
    errors: list[str]


def _label(name: str) -> tuple[str, dict[str, str]]:
    job_name, _sep, key = name.partition(":")
    job = process.scheduled_jobs().get(job_name)
    if job is None:
        return name, {}
    label = _(job.label)
    return (f"{label}（{key}）" if key else label), dict(job.counts)


def _error(error: dict) -> str:
    code = error.get("code")
    messages = registry().messages()
    text = _(messages[code]) if isinstance(code, str) and code in messages else None
    text = text or _("The run failed.")
    with contextlib.suppress(KeyError, TypeError, ValueError):
        text = text % error if "%(" in text else text
    line = error.get("line")
    return _("Line %(line)d: %(text)s", line=line, text=text) if type(line) is int else text


def shown(run: runs.Run) -> ShownRun:
    label, words = _label(run.job)
    counts = [(_(words[k]), v) for k, v in run.counts.items() if k in words]
    return ShownRun(run, label, counts, [_error(e) for e in run.errors])


def _division() -> str | None:
    """A bureau's division (the runs of its division and the ledger's own); None for an
    administrator (every run)."""
    principal = authz.current_principal()
    return principal.org.code if principal.role == "bureau" else None


@bp.get("/runs")
def runs_page():
    recent = [shown(r) for r in runs.recent_runs(engine(), 50, division=_division())]
    going = any(not r.run.finished for r in recent)
    return render_template(
        "scheduler/runs.html", runs=recent, refresh=REFRESH_SECONDS if going else None
    )


@bp.get("/runs/<int:run_id>")
def run_page(run_id: int):
    run = runs.get_run(engine(), run_id)
    if run is None or not runs.visible(run, _division()):
        abort(404)
    item = shown(run)
    return render_template(
        "scheduler/run.html", item=item, refresh=None if run.finished else REFRESH_SECONDS
    )
