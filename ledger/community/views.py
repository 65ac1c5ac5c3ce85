"""The community pages.

- the village clerk (``/villages/<code>/sharing``): the money picture (received, shared,
  retained, paid, pending), rosters (upload, the changes shown before saving), sharing rules,
  distributions from draft to payment (``/villages/<code>/sharing/<distribution>``: where it
  stands and the form of the next step), payment batches for the bank (downloads audited, the
  owning village only), the bank's results, corrected bank accounts;
- the bureau (``/bureaus/<code>/sharing``): every distribution in its division, each village's
  revenue reconciled with what it shared, retained and still holds, and villages holding
  unshared money for long;
- the villager (``/sharing/lookup``, no account): a household's payouts found by its code and
  the last four characters of the head's ID number, throttled.

Reading follows the organisation rules (``authz.org_scoped``); writing is for the village's
own users (``scopes.can_write``). Forms carry a CSRF token and an idempotency key; refusals
are shown as translated messages (:attr:`ledger.community.module.MESSAGES`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ledger import formatting
from ledger.accounts import scopes
from ledger.community import bankfiles, jobs, model, services, throttle
from ledger.community.allocation import allocate, parse_rule
from ledger.community.documents import (
    NoticeFacts,
    NoticeRow,
    SlipFacts,
    notice_document,
    slip_document,
)
from ledger.community.explain import explain, rule_in_words
from ledger.community.forms import (
    AnswerForm,
    ApproveForm,
    BankForm,
    BatchForm,
    DraftForm,
    FinaliseForm,
    LookupForm,
    ObjectionForm,
    PreviewForm,
    PublishForm,
    ResultsForm,
    ReverseForm,
    RosterForm,
    RosterSaveForm,
    RuleForm,
)
from ledger.community.rosterfile import parse_preview_roster
from ledger.community.services import Resolution
from ledger.core.errors import LedgerError, ValidationError
from ledger.core.units import parse_amount
from ledger.receipts.issue import Issuer, issue
from ledger.services import keys
from ledger.storage.db import read_transaction
from ledger.vault.service import masked_names
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings, vault_or_none
from ledger.webkit.forms import error_message, new_form_key, submission_key
from ledger.webkit.words import display_lang

bp = Blueprint(
    "community",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/community/static",
)
VILLAGE = authz.org_scoped("village")
authz.protect(
    bp,
    {
        "static": authz.PUBLIC,
        "village": VILLAGE,
        "roster": VILLAGE,
        "roster_save": VILLAGE,
        "new_rule": VILLAGE,
        "new_distribution": VILLAGE,
        "preview": VILLAGE,
        "distribution": VILLAGE,
        "approve": VILLAGE,
        "publish": VILLAGE,
        "objection": VILLAGE,
        "answer": VILLAGE,
        "finalise": VILLAGE,
        "reverse": VILLAGE,
        "batch": VILLAGE,
        "download": VILLAGE,
        "results": VILLAGE,
        "bank": VILLAGE,
        "notice_pdf": VILLAGE,
        "slip_pdf": VILLAGE,
        "bureau": authz.org_scoped("bureau"),
        "lookup": authz.PUBLIC,
    },
)
PAGE = 100
#: Days after which money a village received and has not shared is pointed out to the bureau.
STALE_DAYS = 180


# --- helpers -----------------------------------------------------------------------------


def yuan(fen: int | None) -> str:
    return formatting.yuan(fen or 0, display_lang())


def _writer():
    """The village of the URL, if the principal may write for it (its own users)."""
    return authz.writable_org(_("Only the village's own clerk can record this."))


def _fresh(*forms) -> None:
    for form in forms:
        form.idempotency_key.data = new_form_key()


def _refused(form, exc: LedgerError) -> int:
    form.form_errors.append(error_message(exc))
    return exc.status if exc.status in (404, 409, 422) else 422


def _masked_names(conn, codes) -> dict[str, str]:
    """Masked names by vault code; a record erased, unknown or unreadable shows as erased."""
    vault = vault_or_none()
    if vault is None:
        return {}
    codes = list(codes)
    names = masked_names(conn, vault, codes)
    return {code: names.get(code) or _("erased") for code in codes}


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    current: bool
    detail: str


def _steps(d: services.Distribution) -> list[Step]:
    order = [model.DRAFTED, model.APPROVED, model.PUBLISHED, model.FINALISED]
    labels = [_("Drafted"), _("Approved by the villagers' assembly"), _("Public notice"),
              _("Finalised")]  # fmt: skip
    details = [
        formatting.beijing(d.drafted_at, display_lang()),
        (f"{d.resolution['date']} {d.resolution['number']}" if d.resolution else ""),
        (f"{d.notice_from} – {d.notice_until}" if d.notice_from else ""),
        "",
    ]
    reached = order.index(d.state) if d.state in order else len(order)
    return [
        Step(label, i <= reached, i == reached + 1 and d.state in order, detail)
        for i, (label, detail) in enumerate(zip(labels, details, strict=True))
    ]


# --- the village -------------------------------------------------------------------------


@bp.get("/villages/<code>/sharing")
def village(code: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        picture = services.money(conn, org.code)
        distributions = services.distributions_of(conn, village=org.code)
        rosters = services.roster_versions(conn, org.code)
        rules = services.rules_of(conn, org.code)
        reminders = jobs.reminders(conn, org.code)
    return render_template(
        "community/village.html",
        reminders=reminders,
        org=org,
        picture=picture,
        distributions=distributions,
        rosters=rosters,
        rules=rules,
        yuan=yuan,
        states=model.STATE_WORDS,
        can_write=scopes.can_write(authz.current_principal(), org),
    )


def _roster_lines(data: bytes):
    from ledger.community.rosterfile import parse_roster

    return parse_roster(data)


def _bad_lines(exc: LedgerError) -> list[dict]:
    from ledger.community.rosterfile import REASONS

    out = []
    for e in exc.details.get("errors", []):
        reason = REASONS.get(e.get("code"))
        text = _(reason) % e.get("params", {}) if reason else e.get("reason", "")
        out.append({"line": e.get("line"), "reason": text})
    return out


def _roster_refused(form, exc: LedgerError) -> tuple[list[dict], int]:
    """A refused roster file on a form: its bad lines (reasons in the reader's language) and
    the page's status; the summary names the first bad line in the same language."""
    if exc.code != "community.bad_lines":
        return [], _refused(form, exc)
    bad = _bad_lines(exc)
    first = bad[0] if bad else {"line": exc.details.get("line"), "reason": ""}
    form.form_errors.append(
        _("The roster has %(count)s bad lines and was not read; line %(line)s: %(reason)s",
          count=exc.details.get("count", len(bad)), line=first["line"], reason=first["reason"])
    )  # fmt: skip
    return bad, 422


@bp.route("/villages/<code>/sharing/roster", methods=["GET", "POST"])
def roster(code: str):
    org = _writer()
    form = RosterForm()
    status, diff, bad, save = 200, None, [], None
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            lines = _roster_lines(data)
            digest = hashlib.sha256(data).hexdigest()
            with read_transaction(engine()) as conn:
                diff = services.diff_roster(conn, vault_or_none(), org.code, lines, digest)
            save = RosterSaveForm(formdata=None)
            save.data.data = base64.b64encode(data).decode()
            save.version.data = str(diff.version)
            _fresh(save)
        except ValidationError as exc:
            bad, status = _roster_refused(form, exc)
    elif request.method == "POST":
        status = 422
    _fresh(form)
    return render_template(
        "community/roster.html", org=org, form=form, diff=diff, bad=bad, save=save
    ), status


@bp.post("/villages/<code>/sharing/roster/save")
def roster_save(code: str):
    org = _writer()
    form = RosterSaveForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Reload the page and fill it in again."), "error")
        return redirect(url_for(".roster", code=org.code))
    try:
        data = base64.b64decode(form.data.data, validate=True)
        lines = _roster_lines(data)
        saved = services.save_roster(
            engine(), vault_or_none(), org.code, lines, hashlib.sha256(data).hexdigest(),
            actor=authz.current_principal().actor, key=submission_key(form, "roster"),
            expect_version=int(form.version.data),
        )  # fmt: skip
    except (LedgerError, binascii.Error) as exc:
        message = error_message(exc) if isinstance(exc, LedgerError) else _("The file is damaged.")
        flash(message, "error")
        return redirect(url_for(".roster", code=org.code))
    flash(_("Roster version %(version)s saved: %(count)s households.", version=saved.version,
            count=saved.households), "success")  # fmt: skip
    return redirect(url_for(".village", code=org.code))


@bp.route("/villages/<code>/sharing/rules/new", methods=["GET", "POST"])
def new_rule(code: str):
    org = _writer()
    form = RuleForm()
    status = 200
    if form.validate_on_submit():
        terms = _typed_terms(form)
        if form.notice_days.data:
            terms["notice_days"] = form.notice_days.data
        try:
            services.add_rule(
                engine(), org.code, form.rule.data, form.name.data.strip(), terms,
                actor=authz.current_principal().actor, key=submission_key(form, "rule"),
            )  # fmt: skip
            flash(_("The sharing rule was recorded."), "success")
            return redirect(url_for(".village", code=org.code))
        except LedgerError as exc:
            status = _refused(form, exc)
    elif request.method == "POST":
        status = 422
    _fresh(form)
    return render_template("community/rule.html", org=org, form=form), status


@bp.route("/villages/<code>/sharing/new", methods=["GET", "POST"])
def new_distribution(code: str):
    org = _writer()
    form = DraftForm()
    with read_transaction(engine()) as conn:
        rules = services.rules_of(conn, org.code)
        picture = services.money(conn, org.code)
    form.rule.choices = [(r.rule, r.name) for r in rules]
    status = 200
    if form.validate_on_submit():
        try:
            d = services.draft(
                engine(), org.code, title=form.title.data.strip(),
                amount_fen=parse_amount(form.amount.data, "CNY"), rule=form.rule.data,
                notice_days=form.notice_days.data or None,
                actor=authz.current_principal().actor, key=submission_key(form, "draft"),
            )  # fmt: skip
            return redirect(url_for(".distribution", code=org.code, distribution=d.distribution))
        except LedgerError as exc:
            status = _refused(form, exc)
    elif request.method == "POST":
        status = 422
    _fresh(form)
    return render_template(
        "community/draft.html", org=org, form=form, picture=picture, yuan=yuan, rules=rules
    ), status


#: How many households the preview page lists (the totals always cover the whole roster).
PREVIEW_ROWS = 500


def _preview_terms(form: PreviewForm, rules) -> dict | None:
    """The rule the preview form names: a saved rule's terms, or the typed-in terms (None,
    with the form's error set, when neither is given)."""
    if form.rule.data:
        for r in rules:
            if r.rule == form.rule.data:
                return r.terms
        form.rule.errors = [*form.rule.errors, _("Choose a sharing rule.")]
        return None
    typed = [form.retention_pct, form.low_income_pct, form.per_capita, form.per_household,
             form.by_area]  # fmt: skip
    missing = [f for f in typed if not (f.data or "").strip()]
    if missing:
        for f in missing:
            f.errors = [*f.errors, _("Choose a saved rule or fill in every percentage.")]
        return None
    return _typed_terms(form)


def _typed_terms(form) -> dict:
    """A rule's terms as the clerk typed them (percentages as text, checked by the service)."""
    return {
        "retention_pct": form.retention_pct.data.strip(),
        "low_income_pct": form.low_income_pct.data.strip(),
        "weights": {
            "per_capita": form.per_capita.data.strip(),
            "per_household": form.per_household.data.strip(),
            "by_area": form.by_area.data.strip(),
        },
    }


@bp.route("/villages/<code>/sharing/preview", methods=["GET", "POST"])
def preview(code: str):
    """The clerk's preview: how an amount would be shared among a roster's households by a
    rule, each household's amount in words, and the bad lines of a roster file. Reads only:
    nothing is written to the log or the tables."""
    org = _writer()
    form = PreviewForm()
    with read_transaction(engine()) as conn:
        rules = services.rules_of(conn, org.code)
        versions = services.roster_versions(conn, org.code)
    form.rule.choices = [("", _("Type the rule's percentages below"))] + [
        (r.rule, r.name) for r in rules
    ]
    form.roster_version.choices = [("", _("Use the uploaded file"))] + [
        (str(v.version), _("Version %(version)s (%(count)s households)", version=v.version,
                           count=v.households))
        for v in versions
    ]  # fmt: skip
    status, result, bad, rule_words = 200, None, [], ""
    if form.validate_on_submit():
        terms = _preview_terms(form, rules)
        upload = form.file.data
        data = upload.read() if upload and getattr(upload, "filename", "") else b""
        if not data and not form.roster_version.data:
            missing = _("Upload a roster file or choose a saved version.")
            form.file.errors = [*form.file.errors, missing]
        if terms is not None and (data or form.roster_version.data):
            try:
                rule = parse_rule(terms)
                if data:
                    households = parse_preview_roster(data)
                else:
                    version = int(form.roster_version.data)
                    with read_transaction(engine()) as conn:
                        members = services.members_of(conn, org.code, version)
                    households = [m.basis() for m in members]
                result = allocate(parse_amount(form.amount.data, "CNY"), rule, households)
                rule_words = rule_in_words(rule, display_lang())
            except LedgerError as exc:
                bad, status = _roster_refused(form, exc)
        else:
            status = 422
    elif request.method == "POST":
        status = 422
    rows = []
    if result is not None:
        rows = [(s, explain(result, s, display_lang())) for s in result.allocations[:PREVIEW_ROWS]]
    return render_template(
        "community/preview.html", org=org, form=form, result=result, rows=rows, bad=bad,
        rule_words=rule_words, yuan=yuan, limit=PREVIEW_ROWS,
    ), status  # fmt: skip


# --- a distribution ----------------------------------------------------------------------


def _distribution_page(org, distribution: str, status: int = 200, **forms):
    principal = authz.current_principal()
    page = max(request.args.get("page", 1, type=int), 1)
    with read_transaction(engine()) as conn:
        try:
            d = services.get_distribution(conn, distribution, org.code)
        except LedgerError:
            abort(404)
        objections = services.objections_of(conn, distribution)
        batches = services.batches_of(conn, distribution)
        allocations = services.allocations_of(conn, distribution)
        preview = None
        if d.state in (model.DRAFTED, model.APPROVED, model.PUBLISHED):
            try:
                preview = services.allocation_of(conn, d)
            except LedgerError:
                preview = None
        members = {m.household: m for m in services.members_of(conn, org.code, d.roster_version)}
        if preview is not None:
            rows = [(s.household_code, s.amount_fen, s) for s in preview.allocations]
        else:
            rows = [(a.household, a.amount_fen, a) for a in allocations]
        shown = rows[(page - 1) * PAGE : page * PAGE]
        explained = (
            {h: explain(preview, s, display_lang()) for h, _amount, s in shown}
            if preview is not None
            else {}
        )
        vaults = [members[h].vault for h, _, _ in shown if h in members]
        names = _masked_names(conn, vaults) if scopes.can_write(principal, org) else {}
        payments = {b.batch: services.payments_of(conn, b.batch) for b in batches}
    can_write = scopes.can_write(principal, org)
    defaults = {
        "approve": ApproveForm(formdata=None),
        "publish": PublishForm(formdata=None, notice_from=None),
        "objection": ObjectionForm(formdata=None),
        "finalise": FinaliseForm(formdata=None),
        "reverse": ReverseForm(formdata=None),
        "batch": BatchForm(formdata=None),
        "results": ResultsForm(formdata=None),
    }
    defaults.update(forms)
    answers = {o.number: AnswerForm(formdata=None, prefix=f"a{o.number}") for o in objections}
    _fresh(*defaults.values(), *answers.values())
    pages = (len(rows) + PAGE - 1) // PAGE
    failed = [a for a in allocations if a.status == model.FAILED]
    return render_template(
        "community/distribution.html",
        org=org,
        d=d,
        steps=_steps(d),
        objections=objections,
        batches=batches,
        payments=payments,
        preview=preview,
        rows=shown,
        explained=explained,
        members=members,
        names=names,
        page=page,
        pages=pages,
        failed=failed,
        bank_forms={a.household: _bank_form(a.household) for a in failed},
        forms=defaults,
        answers=answers,
        can_write=can_write,
        yuan=yuan,
        states=model.STATE_WORDS,
        payment_words=model.PAYMENT_WORDS,
        today=services.today(),
    ), status


def _purpose(d: services.Distribution) -> str:
    """What the bank prints as the payment's purpose (用途)."""
    return d.title[: bankfiles.PURPOSE_MAX_LEN]


def _bank_form(household: str) -> BankForm:
    form = BankForm(formdata=None, prefix=f"b-{household}")
    _fresh(form)
    return form


@bp.get("/villages/<code>/sharing/<distribution>")
def distribution(code: str, distribution: str):
    return _distribution_page(authz.current_org(), distribution)


def _do(distribution: str, name: str, form, action):
    """Run ``action(form)`` for a valid ``form`` posted to a distribution; on a refusal,
    show the distribution's page again with the form's errors."""
    org = _writer()
    if form.validate_on_submit():
        try:
            message = action(org, form)
        except LedgerError as exc:
            status = _refused(form, exc)
            return _distribution_page(org, distribution, status, **{name: form})
        flash(message, "success")
        return redirect(url_for(".distribution", code=org.code, distribution=distribution))
    return _distribution_page(org, distribution, 422, **{name: form})


def _actor() -> str:
    return authz.current_principal().actor


@bp.post("/villages/<code>/sharing/<distribution>/approve")
def approve(code: str, distribution: str):
    def action(org, form):
        scan = form.scan.data.read()
        services.approve(
            engine(), org.code, distribution,
            Resolution(form.date.data.isoformat(), form.number.data.strip(), form.present.data,
                       form.voting_for.data, scan, _("Resolution of the villagers' assembly")),
            actor=_actor(), key=submission_key(form, "approve"),
        )  # fmt: skip
        return _("The resolution was recorded.")

    return _do(distribution, "approve", ApproveForm(), action)


@bp.post("/villages/<code>/sharing/<distribution>/publish")
def publish(code: str, distribution: str):
    def action(org, form):
        services.publish(
            engine(), org.code, distribution, place=form.place.data.strip(),
            notice_from=form.notice_from.data.isoformat(), days=form.days.data or None,
            actor=_actor(), key=submission_key(form, "publish"),
        )  # fmt: skip
        return _("The distribution is on public notice.")

    return _do(distribution, "publish", PublishForm(), action)


@bp.post("/villages/<code>/sharing/<distribution>/objections")
def objection(code: str, distribution: str):
    def action(org, form):
        services.record_objection(
            engine(), org.code, distribution, summary=form.summary.data.strip(),
            household=form.household.data.strip() or None,
            raised_on=form.raised_on.data.isoformat(), actor=_actor(),
            key=submission_key(form, "objection"),
        )  # fmt: skip
        return _("The objection was recorded.")

    return _do(distribution, "objection", ObjectionForm(), action)


@bp.post("/villages/<code>/sharing/<distribution>/objections/<int:number>/answer")
def answer(code: str, distribution: str, number: int):
    def action(org, form):
        services.answer_objection(
            engine(), org.code, distribution, number, form.answer.data.strip(), actor=_actor(),
            key=submission_key(form, "answer"),
        )  # fmt: skip
        return _("The answer was recorded.")

    org = _writer()
    form = AnswerForm(prefix=f"a{number}")
    if form.validate_on_submit():
        try:
            flash(action(org, form), "success")
        except LedgerError as exc:
            flash(error_message(exc), "error")
    else:
        flash(_("Write the answer (at most 500 characters)."), "error")
    return redirect(url_for(".distribution", code=org.code, distribution=distribution))


@bp.post("/villages/<code>/sharing/<distribution>/finalise")
def finalise(code: str, distribution: str):
    def action(org, form):
        services.finalise(engine(), org.code, distribution, actor=_actor(),
                          key=submission_key(form, "finalise"))  # fmt: skip
        return _("The distribution was finalised: every household's allocation is recorded.")

    return _do(distribution, "finalise", FinaliseForm(), action)


@bp.post("/villages/<code>/sharing/<distribution>/reverse")
def reverse(code: str, distribution: str):
    def action(org, form):
        services.reverse(engine(), org.code, distribution, reason=form.reason.data.strip(),
                         actor=_actor(), key=submission_key(form, "reverse"))  # fmt: skip
        return _("The distribution was reversed; the money is back in the collective's account.")

    return _do(distribution, "reverse", ReverseForm(), action)


@bp.post("/villages/<code>/sharing/<distribution>/batches")
def batch(code: str, distribution: str):
    def action(org, form):
        b = services.create_batch(engine(), org.code, distribution, actor=_actor(),
                                  key=submission_key(form, "batch"))  # fmt: skip
        return _("Payment batch %(batch)s is ready to download: %(lines)s payments.",
                 batch=b.batch, lines=b.lines)  # fmt: skip

    return _do(distribution, "batch", BatchForm(), action)


@bp.get("/villages/<code>/sharing/<distribution>/batches/<batch>.<fmt>")
def download(code: str, distribution: str, batch: str, fmt: str):
    """The batch for the bank, with names and accounts: only the village's own users, and
    every download is recorded in the audit log."""
    org = _writer()
    if fmt not in ("csv", "xlsx"):
        abort(404)
    with read_transaction(engine()) as conn:
        try:
            b = services.get_batch(conn, org.code, batch)
            d = services.get_distribution(conn, distribution, org.code)
        except LedgerError:
            abort(404)
        if b.distribution != distribution:
            abort(404)
        try:
            lines = [
                bankfiles.BankLine(x.seq, x.name, x.account, x.amount_fen, x.purpose)
                for x in services.bank_lines(conn, vault_or_none(), org.code, batch, _purpose(d))
            ]
        except LedgerError as exc:
            flash(error_message(exc), "error")
            return redirect(url_for(".distribution", code=org.code, distribution=distribution))
    authz.record_export(
        f"community.batch.{fmt}", org,
        {"batch": batch, "lines": len(lines), "amount_fen": b.amount_fen},
    )  # fmt: skip
    if fmt == "csv":
        body, mime = bankfiles.export_csv(lines), "text/csv; charset=utf-8"
    else:
        body = bankfiles.export_xlsx(lines)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mime)
    response.headers["Content-Disposition"] = f'attachment; filename="{batch}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/villages/<code>/sharing/<distribution>/batches/<batch>/results")
def results(code: str, distribution: str, batch: str):
    def action(org, form):
        data = form.file.data.read()
        try:
            parsed = bankfiles.parse_results(data)
            out = services.import_results(
                engine(), vault_or_none(), org.code, batch, parsed,
                hashlib.sha256(data).hexdigest(), actor=_actor(),
                key=submission_key(form, "results"),
            )  # fmt: skip
        except ValidationError as exc:
            reasons = bankfiles.REASONS if exc.code == "community.bank_bad_lines" else None
            reasons = reasons or services.MATCH_REASONS
            for e in exc.details.get("errors", [])[:50]:
                text = _(reasons[e["code"]]) % e["params"] if e.get("code") in reasons else ""
                where = _("line %(line)s", line=e["line"]) if e.get("line") else ""
                form.form_errors.append(f"{where}：{text}" if where else text)
            raise
        return _("The bank's results were posted: %(paid)s paid, %(failed)s failed.",
                 paid=out.paid, failed=out.failed)  # fmt: skip

    return _do(distribution, "results", ResultsForm(), action)


def _issuer() -> Issuer:
    config = settings()
    return Issuer(
        keys.load_signer(config.key_path, config.log_origin), config.log_origin,
        config.public_base,
    )  # fmt: skip


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _village_words(conn, org) -> tuple[str, str]:
    """The village's name as printed (with its county's where known) and the programmes its
    money came from, in words."""
    from ledger.units import services as units
    from ledger.units.model import PROGRAMMES

    programmes = sorted({e.programme for e in units.earnings(conn, org.code)})
    words = "、".join(_(PROGRAMMES[p].label) for p in programmes if p in PROGRAMMES)
    return org.name, words or _("Forestry carbon")


@bp.get("/villages/<code>/sharing/<distribution>/notice.pdf")
def notice_pdf(code: str, distribution: str):
    """The public notice (公示表) for the notice board, proving the distribution's draft,
    approval and publication; every household's amount (head names masked)."""
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        try:
            d = services.get_distribution(conn, distribution, org.code)
        except LedgerError:
            abort(404)
        if d.publish_seq is None:
            abort(404)
        members = services.members_of(conn, org.code, d.roster_version)
        result = services.allocation_of(conn, d, members)
        names = _masked_names(conn, [m.vault for m in members])
        village_name, programme = _village_words(conn, org)
    by_code = {m.household: m for m in members}
    rows = [
        NoticeRow(s.household_code, names.get(by_code[s.household_code].vault, ""), s.members,
                  s.forest_area_mu, s.low_income, s.amount_fen)
        for s in result.allocations
    ]  # fmt: skip
    facts = NoticeFacts(
        village_name=village_name, village_code=org.code, programme=programme,
        distribution_title=d.title, distribution_id=d.distribution, total_fen=d.amount_fen,
        retained_fen=result.retained_fen, low_income_fen=result.low_income_fen,
        rule=parse_rule(d.terms), rows=rows,
    )  # fmt: skip
    seqs = [d.draft_seq, d.approve_seq, d.publish_seq]
    data = issue(engine(), _issuer(), seqs, notice_document(facts))
    return _pdf(data, f"notice-{d.distribution}.pdf")


SLIP_STATUS = {model.UNPAID: "pending", model.IN_BATCH: "pending", model.PAID: "paid",
               model.FAILED: "failed"}  # fmt: skip


@bp.get("/villages/<code>/sharing/<distribution>/slips/<household>.pdf")
def slip_pdf(code: str, distribution: str, household: str):
    """A household's payout slip (收益分配到户凭证), proving its allocation entry."""
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        try:
            d = services.get_distribution(conn, distribution, org.code)
        except LedgerError:
            abort(404)
        rows = {a.household: a for a in services.allocations_of(conn, distribution)}
        row = rows.get(household)
        if row is None or row.status == "reversed":
            abort(404)
        members = services.members_of(conn, org.code, d.roster_version)
        result = services.allocation_of(conn, d, members)
        name = _masked_names(conn, [row.vault]).get(row.vault, "")
        village_name, programme = _village_words(conn, org)
    share = result.by_code()[household]
    facts = SlipFacts(
        village_name=village_name, village_code=org.code, programme=programme,
        distribution_title=d.title, distribution_id=d.distribution, head_masked=name,
        status=SLIP_STATUS.get(row.status, "pending"),
        failure_reason=row.reason if row.status == model.FAILED else None,
        explanation=explain(result, share),
    )  # fmt: skip
    data = issue(engine(), _issuer(), [row.seq], slip_document(facts))
    return _pdf(data, f"slip-{d.distribution}-{household}.pdf")


@bp.post("/villages/<code>/sharing/households/<household>/bank")
def bank(code: str, household: str):
    org = _writer()
    form = BankForm(prefix=f"b-{household}")
    back = request.args.get("back", "")
    if form.validate_on_submit():
        try:
            services.correct_bank_account(
                engine(), vault_or_none(), org.code, household, form.bank_account.data,
                actor=_actor(), key=submission_key(form, "bank"),
            )  # fmt: skip
            flash(_("The bank account of household %(household)s was corrected; it will be in "
                    "the next payment batch.", household=household), "success")  # fmt: skip
        except LedgerError as exc:
            flash(error_message(exc), "error")
    else:
        flash(_("Enter the bank account's digits."), "error")
    if model.DISTRIBUTION_RE.fullmatch(back):
        return redirect(url_for(".distribution", code=org.code, distribution=back))
    return redirect(url_for(".village", code=org.code))


# --- the bureau --------------------------------------------------------------------------


@bp.get("/bureaus/<code>/sharing")
def bureau(code: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        rows = services.bureau_rows(conn, org.division, STALE_DAYS)
        distributions = services.distributions_of(conn, within=org.division)
    names = {r.code: r.name for r in rows}
    return render_template(
        "community/bureau.html",
        org=org,
        rows=rows,
        distributions=distributions,
        names=names,
        yuan=yuan,
        states=model.STATE_WORDS,
        stale_days=STALE_DAYS,
        totals={
            k: sum(getattr(r.picture, k) for r in rows)
            for k in ("received", "held", "sharing", "shared", "retained", "paid", "pending")
        },
    )


# --- the villager ------------------------------------------------------------------------


@bp.route("/sharing/lookup", methods=["GET", "POST"])
def lookup():
    form = LookupForm()
    with read_transaction(engine()) as conn:
        villages = services.villages_with_distributions(conn)
    form.village.choices = [(v.code, v.name) for v in villages]
    found, status = None, 200
    if form.validate_on_submit():
        if throttle.throttled(engine(), request.remote_addr or "-"):
            form.form_errors.append(error_message(LedgerError("community.throttled", "")))
            status = 429
        else:
            with read_transaction(engine()) as conn:
                found = services.lookup_household(
                    conn, vault_or_none(), form.village.data, form.household.data.strip(),
                    form.id_last4.data.strip().upper(),
                )  # fmt: skip
            if found is None:
                form.form_errors.append(error_message(LedgerError("community.lookup", "")))
                status = 404
    elif request.method == "POST":
        status = 422
    return render_template(
        "community/lookup.html", form=form, found=found, yuan=yuan,
        payment_words=model.PAYMENT_WORDS,
    ), status  # fmt: skip
