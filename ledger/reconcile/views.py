"""Reconciliation pages: the findings of a bureau's division (with a summary, each finding
acknowledged with a note, a CSV report for Excel) for bureaus; the registry sources (and what
they imported) for bureaus (their division's) and administrators (all)."""

from __future__ import annotations

import codecs
import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ledger.core.errors import LedgerError
from ledger.formatting import beijing
from ledger.receipts.issue import Issuer
from ledger.reconcile import findings, imports, report, sources
from ledger.services import keys
from ledger.services.clock import utc_now
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings
from ledger.webkit.forms import error_message, form_key, idempotency_field, new_form_key

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile", template_folder="templates")
BUREAU = authz.roles("bureau", users_only=True)
BUREAU_OR_ADMIN = authz.roles("bureau", "admin", users_only=True)
authz.protect(
    bp,
    {
        "findings_page": BUREAU,
        "finding": BUREAU,
        "acknowledge": BUREAU,
        "report_csv": BUREAU,
        "report_pdf": BUREAU,
        "sources_page": BUREAU_OR_ADMIN,
        "add_source": BUREAU_OR_ADMIN,
        "remove_source": BUREAU_OR_ADMIN,
    },
)

CLASS_WORDS = {
    findings.MATCHED: _l("Matched"),
    findings.MISSING: _l("Missing in the registry"),
    findings.QUANTITY: _l("Quantity does not match"),
    findings.BENEFICIARY: _l("Beneficiary or case does not match"),
    findings.DOUBLE: _l("Retired twice"),
    findings.UNKNOWN: _l("Retired in the registry, not in the ledger"),
}
REGISTRY_WORDS = {
    "verra": _l("Verra"),
    "gs": _l("Gold Standard"),
    "car": _l("Climate Action Reserve"),
    "acr": _l("American Carbon Registry"),
}
FORMAT_WORDS = {
    "verra": _l("Verra VCS export"),
    "gs": _l("Gold Standard export"),
    "car": _l("Climate Action Reserve export"),
    "acr": _l("American Carbon Registry export"),
    "mapping": _l("Column mapping (Haixia exchange, CCER registry…)"),
}


def _division() -> str:
    """The division of the signed-in bureau (bureaus only reach the findings pages)."""
    return authz.current_principal().org.code


def _source_division() -> str | None:
    principal = authz.current_principal()
    return principal.org.code if principal.role == "bureau" else None


def class_word(cls: str) -> str:
    return str(CLASS_WORDS.get(cls, cls))


def registry_word(name: str) -> str:
    """A registry by name (a mapping's registry, named by the bureau, as it is)."""
    return str(REGISTRY_WORDS.get(name, name))


@bp.app_context_processor
def _words():
    return {"registry_word": registry_word}


# --- findings -------------------------------------------------------------------------------


@bp.get("/")
def findings_page():
    division = _division()
    cls = request.args.get("class")
    if cls not in CLASS_WORDS:
        cls = None
    return render_template(
        "reconcile/findings.html",
        summary=findings.summary(engine(), division),
        rows=findings.list_findings(engine(), division, cls, limit=200),
        chosen=cls,
        class_word=class_word,
    )


class AckForm(FlaskForm):
    note = TextAreaField(
        _l("Note: what was found out or done"),
        validators=[
            DataRequired(message=_l("Write a note.")),
            Length(max=findings.MAX_NOTE, message=_l("The note is too long.")),
        ],
    )
    idempotency_key = idempotency_field()


def _visible(seq: int) -> findings.ShownFinding:
    found = findings.get_finding(engine(), seq)
    if found is None or not findings.within(_division(), found):
        abort(404)
    return found


@bp.get("/findings/<int:seq>")
def finding(seq: int):
    found = _visible(seq)
    form = AckForm()
    form.idempotency_key.data = new_form_key()
    return render_template(
        "reconcile/finding.html", f=found, form=form, class_word=class_word(found.cls)
    )


@bp.post("/findings/<int:seq>/acknowledge")
def acknowledge(seq: int):
    found = _visible(seq)
    form = AckForm()
    status = 422
    if form.validate_on_submit():
        principal = authz.current_principal()
        try:
            findings.acknowledge(
                engine(),
                seq,
                form.note.data,
                actor=principal.actor,
                division=_division(),
                key=form_key(principal.actor, "reconcile.ack", form.idempotency_key.data),
            )
        except LedgerError as exc:
            form.form_errors.append(error_message(exc))
            status = exc.status
        else:
            flash(_("The finding is acknowledged."), "info")
            return redirect(url_for(".finding", seq=seq), 303)
    form.idempotency_key.data = new_form_key()
    page = render_template(
        "reconcile/finding.html", f=found, form=form, class_word=class_word(found.cls)
    )
    return page, status


@bp.get("/report.csv")
def report_csv():
    """Every finding of the division as CSV, UTF-8 with a byte-order mark (so Excel reads
    the Chinese), headed in the reader's language."""
    division = _division()
    rows = findings.list_findings(engine(), division, limit=None)
    authz.record_export("reconcile.report", authz.current_principal().org, {"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Entry"),
            _("Finding"),
            _("Registry"),
            _("Block"),
            _("First serial"),
            _("Last serial"),
            _("Units"),
            _("Found (Beijing time)"),
            _("Acknowledged by entry"),
        ]
    )
    lang = get_locale().language if get_locale() else "zh"
    for f in rows:
        writer.writerow(
            [
                f.seq,
                class_word(f.cls),
                registry_word(f.registry),
                f.block,
                f.first_serial,
                f.last_serial,
                f.quantity,
                beijing(f.found_at, lang),
                f.acknowledged_seq if f.acknowledged_seq is not None else "",
            ]
        )
    body = codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="reconcile-{division}.csv"'},
    )


@bp.get("/report.pdf")
def report_pdf():
    """The report as a PDF through the receipts toolkit: the summary, the findings that ask
    for attention, and the verification block of the entries it proves."""
    principal = authz.current_principal()
    division = principal.org.code
    lang = get_locale().language if get_locale() else "zh"
    config = settings()
    issuer = Issuer(
        keys.load_signer(config.key_path, config.log_origin), config.log_origin,
        config.public_base,
    )  # fmt: skip
    try:
        data = report.pdf(engine(), issuer, division, principal.org.name, utc_now(), lang)
    except report.NothingToReport:
        flash(_("There are no findings to report yet."), "info")
        return redirect(url_for(".findings_page"), 303)
    authz.record_export("reconcile.report_pdf", principal.org, {"division": division})
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="reconcile-{division}.pdf"'},
    )


# --- sources --------------------------------------------------------------------------------


class SourceForm(FlaskForm):
    name = StringField(_l("Name (letters, digits, '-')"), validators=[DataRequired()])
    format = SelectField(_l("Format"), choices=[])
    mapping = TextAreaField(
        _l("Column mapping (JSON, only for a mapping)"), validators=[Optional()]
    )
    location_kind = SelectField(_l("Where the file comes from"), choices=[])
    location = StringField(_l("Folder path or address"), validators=[DataRequired()])
    cron = StringField(
        _l("When (five fields, Beijing time, e.g. 0 3 * * * for 03:00 every day)"),
        validators=[DataRequired()],
    )
    division = StringField(_l("Bureau (division code)"), validators=[Optional()])
    enabled = BooleanField(_l("Fetch on schedule"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.format.choices = [(k, str(v)) for k, v in FORMAT_WORDS.items()]
        self.location_kind.choices = [
            ("folder", _("A folder on the server")),
            ("http", _("An HTTP(S) address")),
        ]


def _sources_page(form: SourceForm, status: int = 200):
    division = _source_division()
    return (
        render_template(
            "reconcile/sources.html",
            sources=sources.list_sources(engine(), division),
            imports=imports.imports(engine(), 20),
            form=form,
            format_words={k: str(v) for k, v in FORMAT_WORDS.items()},
            admin=division is None,
        ),
        status,
    )


@bp.get("/sources")
def sources_page():
    return _sources_page(SourceForm())


@bp.post("/sources")
def add_source():
    form = SourceForm()
    if not form.validate_on_submit():
        return _sources_page(form, 422)
    division = _source_division() or (form.division.data or "").strip()
    try:
        sources.create_source(
            engine(),
            actor=authz.current_principal().actor,
            enabled=bool(form.enabled.data),
            name=form.name.data.strip(),
            format=form.format.data,
            mapping=form.mapping.data or "",
            location_kind=form.location_kind.data,
            location=form.location.data,
            cron=form.cron.data,
            division=division,
        )
    except LedgerError as exc:
        form.form_errors.append(error_message(exc))
        return _sources_page(form, exc.status)
    flash(_("The source is added; the scheduler picks it up within a minute."), "info")
    return redirect(url_for(".sources_page"), 303)


@bp.post("/sources/<name>/remove")
def remove_source(name: str):
    division = _source_division()
    if not any(s.name == name for s in sources.list_sources(engine(), division)):
        abort(404)
    sources.delete_source(engine(), name)
    flash(_("The source is removed; what it imported stays."), "info")
    return redirect(url_for(".sources_page"), 303)
