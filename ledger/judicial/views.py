"""The judicial pages.

Court (``/courts/<code>/judicial``): its cases; filing a case; a case's timeline on one page
(facts, defendants masked, damage, the steps with their arithmetic, the documents anchored, the
units bought and who sold them); the assessment calculator (calculate, then record); the
decision; the purchase form that lists the lots sellers hold; the retirement; anchoring a
document; the certificate. Bureau (``/bureaus/<code>/judicial``): the cases and purchases in
its division — totals by year and court, the villages the units came from, and cases decided
but not retired after N days.

Reading follows the organisation rules (``authz.org_scoped``): a court reads its own cases, a
bureau the courts in its division; nothing of a case is public (a certificate is verified
through its receipt). Writing is for the court's own users and tokens (``scopes.can_write``).
Forms carry a CSRF token and an idempotency key; refusals are shown as translated messages.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ledger import formatting
from ledger.accounts import scopes
from ledger.accounts import services as accounts
from ledger.accounts.model import court_key
from ledger.core.errors import LedgerError, ValidationError
from ledger.judicial import model, services
from ledger.judicial.forms import (
    ITEM_ROWS,
    AssessForm,
    CaseForm,
    CertifyForm,
    DecisionForm,
    DocumentForm,
    PurchaseForm,
    ReplantingForm,
    RetireForm,
)
from ledger.services.anchors import stream_digest
from ledger.storage.db import read_transaction
from ledger.units.words import Words
from ledger.vault.crypto import Vault
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings, vault_or_none
from ledger.webkit.forms import error_message, new_form_key, submission_key
from ledger.webkit.words import display_lang

bp = Blueprint(
    "judicial",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/judicial/static",
)
COURT = authz.org_scoped("court")
authz.protect(
    bp,
    {
        "static": authz.PUBLIC,
        "cases": COURT,
        "new_case": COURT,
        "case": COURT,
        "assess": COURT,
        "decide": COURT,
        "purchase": COURT,
        "retire": COURT,
        "document": COURT,
        "replanting": COURT,
        "certify": COURT,
        "certificate": COURT,
        "bureau": authz.org_scoped("bureau"),
    },
)
#: Days after its decision a case not yet retired is listed as overdue (``?days=``).
OVERDUE_DAYS = 30


# --- helpers -----------------------------------------------------------------------------


def _words(conn, accounts_shown=()) -> Words:
    orgs = {o.account_key: o.name for o in accounts.list_orgs(conn)}
    from ledger.units import services as units

    holders = units.holder_names(conn, sorted(set(accounts_shown)))
    return Words(_, display_lang(), orgs, holders)


def _writer():
    """The court of the URL, if the principal may write for it (its own users and tokens)."""
    return authz.writable_org(_("Only the court's own staff can record this."))


def _vault() -> Vault:
    """The vault, for what records personal data; 503 without a usable key."""
    return vault_or_none() or abort(503)


def _render(template: str, status: int = 200, **context):
    for form in (v for v in context.values() if hasattr(v, "idempotency_key")):
        form.idempotency_key.data = new_form_key()
    return render_template(template, **context), status


def _refused(form, exc: LedgerError) -> int:
    form.form_errors.append(error_message(exc))
    return exc.status if exc.status in (404, 409, 422) else 422


def _case(conn, org, case: str) -> services.Case:
    try:
        return services.get_case(conn, court_key(org.code), case)
    except LedgerError:
        abort(404)


def _kg(text: str) -> int:
    """Tonnes as typed (up to three decimals) in kg, exactly."""
    return int(Decimal(text.strip()) * 1000)


def _fen(text: str) -> int:
    return int(Decimal(text.strip()) * 100)


def _date(value) -> str:
    return value.isoformat()


def time_text(utc: str) -> str:
    return formatting.beijing(utc, display_lang())


# --- the court's cases --------------------------------------------------------------------


@bp.get("/courts/<code>/judicial")
def cases(code: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        rows = services.list_cases(conn, court=court_key(org.code))
        words = _words(conn)
    return render_template(
        "judicial/cases.html",
        org=org,
        cases=rows,
        words=words,
        states=model.STATES,
        state_labels=model.STATE_LABELS,
        offences=model.OFFENCES,
        can_write=scopes.can_write(authz.current_principal(), org),
    )


def _damage(form: CaseForm) -> list[services.DamageItem]:
    items = []
    for i in range(ITEM_ROWS):
        species = (getattr(form, f"species_{i}").data or "").strip()
        if not species:
            continue
        volume = (getattr(form, f"volume_{i}").data or "").strip() or None
        volume_type = getattr(form, f"volume_type_{i}").data or None
        if volume_type not in (None, *model.VOLUME_TYPES):
            raise ValidationError("judicial.damage", "volume type")
        if (volume is None) != (volume_type is None):
            raise ValidationError("judicial.damage", "volume and type")
        place = (getattr(form, f"place_{i}").data or "").strip()
        if not place:
            raise ValidationError("judicial.place", "place")
        items.append(
            services.DamageItem(
                species,
                getattr(form, f"trees_{i}").data,
                volume,
                volume_type,
                (getattr(form, f"area_{i}").data or "").strip() or None,
                place,
            )
        )
    return items


@bp.route("/courts/<code>/judicial/new", methods=["GET", "POST"])
def new_case(code: str):
    org = _writer()
    form = CaseForm()
    status = 200
    if form.validate_on_submit():
        try:
            replanting = None
            if (form.replant_area.data or "").strip():
                if not form.replant_deadline.data or not (form.replant_species.data or "").strip():
                    raise ValidationError("judicial.replanting", "replanting")
                replanting = services.Replanting(
                    form.replant_area.data.strip(),
                    form.replant_species.data,
                    _date(form.replant_deadline.data),
                )
            case = services.file_case(
                engine(),
                _vault(),
                court=org,
                case_number=form.case_number.data,
                offence=form.offence.data,
                offence_text=form.offence_text.data or "",
                defendants=form.defendants.data.splitlines(),
                damage=_damage(form),
                replanting=replanting,
                filed_on=_date(form.filed_on.data),
                actor=authz.current_principal().actor,
                key=submission_key(form, "judicial.case"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("Case %(number)s is filed.", number=case.case_number), "info")
            return redirect(url_for(".case", code=org.code, case=case.case), 303)
    elif request.method == "POST":
        status = 422
    return _render("judicial/form_case.html", status, form=form, org=org, rows=range(ITEM_ROWS))


# --- a case's timeline ---------------------------------------------------------------------


def _step_facts(entry, words: Words, names: dict[str, str]) -> list[tuple[str, str]]:
    """What a step states, in words, for the timeline."""
    b = entry.body
    if entry.kind == model.CASE:
        return [(_("Offence"), _(model.OFFENCES[b["offence"]]))]
    if entry.kind == model.ASSESSMENT:
        return [
            (_("Method"), f"{b['method']['name']} {b['method']['version']}"),
            (_("Assessor"), b["assessor"]),
            (_("Carbon loss"), words.tonnes(b["loss_kg"])),
        ]
    if entry.kind == model.DECISION:
        price = b["price"]
        return [
            (_("The quantity follows"), _(model.BASES[b["basis"]])),
            (_("Quantity"), words.tonnes(b["quantity_kg"])),
            (
                _("Price"),
                f"{words.price(price['fen_per_t'])} · {_(model.PRICE_BASES[price['basis']])} · "
                f"{price['date']} · {price['source']}",
            ),
            (_("Amount"), words.yuan(b["amount_fen"])),
        ]
    if entry.kind == model.PURCHASE:
        payer = b["payer"]
        who = names.get(payer.get("code", ""), "") if payer["type"] == "person" else payer["name"]
        acct = b["restoration_account"]
        return [
            (_("Payer"), who),
            (_("Payment reference"), b["payment_ref"]),
            (
                _("Restoration account"),
                _("%(name)s, %(bank)s, ending %(last4)s", **acct),
            ),
            (_("Quantity"), words.tonnes(b["kg"])),
            (_("Amount"), words.yuan(b["amount_fen"])),
        ]
    if entry.kind == model.RETIREMENT:
        return [
            (_("Retirement reference"), b["retirement_ref"]),
            (_("Quantity"), words.tonnes(b["kg"])),
        ]
    if entry.kind == model.CERTIFIED:
        return [(_("Certificate"), b["certificate"])]
    if entry.kind == model.DOCUMENT:
        return [
            (_("Document"), _(model.DOCUMENTS[b["doc"]])),
            (_("Title"), b["title"]),
            (_("SHA-256"), b["sha256"]),
        ]
    if entry.kind == model.OVERDUE:
        return [(_("Days since the decision"), str(b["days"]))]
    if entry.kind == model.REPLANTING:
        facts = [
            (_("Area"), _("%(mu)s mu", mu=b["area_mu"])),
            (_("Species"), b["species"]),
            (_("Deadline"), b["deadline"]),
        ]
        if b.get("accepted_on"):
            facts.append((_("Accepted on"), b["accepted_on"]))
        if b.get("note"):
            facts.append((_("Note"), b["note"]))
        return facts
    return []


def decision_arithmetic(body, words: Words) -> list[str]:
    """The decision's arithmetic as people check it."""
    price = body["price"]["fen_per_t"]
    lines = []
    if body["basis"] == "loss":
        lines.append(
            _(
                "%(loss)s × %(multiple)s = %(exact)s",
                loss=words.tonnes(body["loss_kg"]),
                multiple=body["multiple"],
                exact=words.tonnes(body["exact_kg"]),
            )
        )
        lines.append(
            _(
                "%(rounding)s: %(quantity)s",
                rounding=_(model.ROUNDINGS[body["rounding"]]),
                quantity=words.tonnes(body["quantity_kg"]),
            )
        )
        lines.append(
            f"{words.tonnes(body['quantity_kg'])} × {words.price(price)} = "
            f"{words.yuan(body['amount_fen'])}"
        )
    else:
        lines.append(
            _(
                "%(amount)s ÷ %(price)s = %(exact)s",
                amount=words.yuan(body["amount_fen"]),
                price=words.price(price),
                exact=words.tonnes(body["exact_kg"]),
            )
        )
        lines.append(
            _(
                "%(rounding)s: %(quantity)s",
                rounding=_(model.ROUNDINGS[body["rounding"]]),
                quantity=words.tonnes(body["quantity_kg"]),
            )
        )
    return lines


@bp.get("/courts/<code>/judicial/<case>")
def case(code: str, case: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
        steps = services.timeline(conn, row.court, row.case)
        units_bought = services.units_of(conn, court=row.court, case=row.case)
        words = _words(conn, [u.seller for u in units_bought])
        codes = list(steps[0].body["defendants"]) if steps else []
        codes += [
            e.body["payer"]["code"]
            for e in steps
            if e.kind == model.PURCHASE and e.body["payer"]["type"] == "person"
        ]
        vault = vault_or_none()
        names = services.defendant_names(conn, vault, codes) if vault else {}
    filing = steps[0].body
    assessment = next((e for e in reversed(steps) if e.kind == model.ASSESSMENT), None)
    decision = next((e for e in reversed(steps) if e.kind == model.DECISION), None)
    return render_template(
        "judicial/case.html",
        org=org,
        row=row,
        filing=filing,
        steps=steps,
        facts={e.seq: _step_facts(e, words, names) for e in steps},
        labels=_labels(),
        names=names,
        assessment=assessment,
        arithmetic=_arithmetic_lines(assessment),
        decision=decision,
        decision_lines=decision_arithmetic(decision.body, words) if decision else [],
        units_bought=units_bought,
        words=words,
        states=model.STATES,
        state_labels=model.STATE_LABELS,
        offences=model.OFFENCES,
        volume_types=model.VOLUME_TYPES,
        time_text=time_text,
        can_write=scopes.can_write(authz.current_principal(), org),
        next_step=_next_step(row.state),
    )


def _labels() -> dict[str, str]:
    from ledger.judicial.module import LABELS

    return {k: _(v) for k, v in LABELS.items()}


def _arithmetic_lines(entry) -> list[str]:
    if entry is None:
        return []
    from ledger.judicial.assessment import Assessment

    return Assessment.from_json(entry.body["record"]).arithmetic_lines()


def _next_step(state: str) -> tuple[str, str] | None:
    """The endpoint and label of the case's next step."""
    return {
        model.FILED: (".assess", _("Assess the carbon loss")),
        model.ASSESSED: (".decide", _("Record the decision")),
        model.DECIDED: (".purchase", _("Record the purchase")),
        model.PURCHASED: (".retire", _("Record the retirement")),
        model.RETIRED: (".certify", _("Issue the certificate")),
    }.get(state)


# --- the assessment calculator ---------------------------------------------------------------


def _method_choices(conn) -> list[tuple[str, str]]:
    return [(f"{n}@{v}", f"{n} {v}") for n, v, _seq in services.list_methods(conn)]


def _inputs(form: AssessForm) -> list:
    from ledger.judicial import assessment as A

    inputs: list = []
    for i in range(ITEM_ROWS):
        species = getattr(form, f"species_{i}").data or ""
        volume = (getattr(form, f"volume_{i}").data or "").strip()
        bamboo = (getattr(form, f"bamboo_t_{i}").data or "").strip()
        if not species:
            continue
        if bamboo:
            inputs.append(A.AssessedItem.of(species, bamboo, ""))
        elif volume or getattr(form, f"volume_type_{i}").data:
            inputs.append(
                A.StockItem.of(species, volume, getattr(form, f"volume_type_{i}").data or "")
            )
        else:
            inputs.append(A.StockItem.of(species, "", "standing"))
    if (form.report_t.data or "").strip():
        inputs.append(A.ReportedLoss.of(form.report_t.data.strip(), form.report_ref.data or ""))
    if (form.valued_yuan.data or "").strip():
        inputs.append(
            A.ValuedLoss.of(
                form.valued_yuan.data.strip(),
                (form.valued_price.data or "").strip(),
                form.valued_basis.data or "",
            )
        )
    return inputs


@bp.route("/courts/<code>/judicial/<case>/assess", methods=["GET", "POST"])
def assess(code: str, case: str):
    org = _writer()
    from ledger.judicial import assessment as A

    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
        choices = _method_choices(conn)
        methods = {
            f"{n}@{v}": services.method_entry(conn, n, v)[0]
            for n, v, _s in services.list_methods(conn)
        }
    form = AssessForm()
    form.method.choices = choices
    chosen = methods.get(form.method.data) if form.method.data else None
    chosen = chosen or (next(iter(methods.values())) if methods else None)
    species = [("", _("(none)"))]
    if chosen is not None:
        species += [(s, s) for s in chosen.species_names()]
    for i in range(ITEM_ROWS):
        getattr(form, f"species_{i}").choices = species
    status, result = 200, None
    if form.validate_on_submit():
        try:
            inputs = _inputs(form)
            if chosen is None:
                raise ValidationError("judicial.method_unknown", "no method")
            result = A.assess(chosen, inputs)
            if "record" in request.form:
                services.assess_case(
                    engine(),
                    court=org,
                    case=row.case,
                    method=chosen.name,
                    version=chosen.version,
                    inputs=inputs,
                    assessor=form.assessor.data,
                    assessed_on=_date(form.assessed_on.data),
                    actor=authz.current_principal().actor,
                    key=submission_key(form, "judicial.assess"),
                )
                flash(_("The assessment is recorded: %(t)s t.", t=result.loss_t), "info")
                return redirect(url_for(".case", code=org.code, case=row.case), 303)
        except LedgerError as exc:
            status, result = _refused(form, exc), None
    elif request.method == "POST":
        status = 422
    return _render(
        "judicial/form_assess.html", status, form=form, org=org, row=row, result=result,
        rows=range(ITEM_ROWS), method=chosen,
    )  # fmt: skip


# --- the decision -------------------------------------------------------------------------------


@bp.route("/courts/<code>/judicial/<case>/decide", methods=["GET", "POST"])
def decide(code: str, case: str):
    org = _writer()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
        words = _words(conn)
    form = DecisionForm()
    status = 200
    if form.validate_on_submit():
        try:
            quantity = _kg(form.quantity_t.data) if (form.quantity_t.data or "").strip() else None
            if form.rounding.data == "ordered" and quantity is None:
                raise ValidationError("judicial.quantity_below", "quantity", {"t": "—"})
            amount = _fen(form.amount_yuan.data) if (form.amount_yuan.data or "").strip() else None
            services.decide_case(
                engine(),
                court=org,
                case=row.case,
                price=services.Price(
                    form.price_basis.data,
                    _fen(form.price_yuan.data),
                    _date(form.price_date.data),
                    form.price_source.data,
                ),
                basis=form.basis.data,
                multiple=(form.multiple.data or "1").strip() or "1",
                rounding=form.rounding.data,
                amount_fen=amount,
                quantity_kg=quantity if form.rounding.data == "ordered" else None,
                judgment_ref=form.judgment_ref.data or "",
                decided_on=_date(form.decided_on.data),
                actor=authz.current_principal().actor,
                key=submission_key(form, "judicial.decide"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("The decision is recorded."), "info")
            return redirect(url_for(".case", code=org.code, case=row.case), 303)
    elif request.method == "POST":
        status = 422
    return _render("judicial/form_decide.html", status, form=form, org=org, row=row, words=words)


# --- the purchase ---------------------------------------------------------------------------


def _seller(x: services.AvailableLot, words: Words) -> str:
    return x.seller_name if x.seller_name != x.seller else words.account(x.seller)


@bp.route("/courts/<code>/judicial/<case>/purchase", methods=["GET", "POST"])
def purchase(code: str, case: str):
    org = _writer()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
        lots = services.available_lots(conn, within=org.division[:2])
        words = _words(conn, [x.seller for x in lots])
        decision = (
            services._latest(conn, row, model.DECISION) if row.state == model.DECIDED else None
        )
    form = PurchaseForm()
    offers: dict[str, services.AvailableLot] = {}
    for x in lots:
        offers.setdefault(f"{x.project}|{x.seller}", x)
    held: dict[str, int] = {}
    for x in lots:
        held[f"{x.project}|{x.seller}"] = held.get(f"{x.project}|{x.seller}", 0) + x.kg
    choices = [("", _("(none)"))] + [
        (k, f"{x.project_name} · {_seller(x, words)} · {words.tonnes(held[k])}")
        for k, x in offers.items()
    ]
    for i in range(ITEM_ROWS):
        getattr(form, f"lot_{i}").choices = choices
    status = 200
    if form.validate_on_submit():
        try:
            takes = []
            for i in range(ITEM_ROWS):
                choice = getattr(form, f"lot_{i}").data or ""
                tonnes = (getattr(form, f"tonnes_{i}").data or "").strip()
                if not choice and not tonnes:
                    continue
                if choice not in offers or not tonnes:
                    raise ValidationError("judicial.lines", "choose")
                project, seller = choice.split("|", 1)
                takes.append(services.Take(project, seller, kg=_kg(tonnes)))
            services.purchase(
                engine(),
                _vault(),
                court=org,
                case=row.case,
                takes=takes,
                payer=services.Payer(form.payer_type.data, form.payer_name.data),
                payment_ref=form.payment_ref.data,
                restoration_account=services.RestorationAccount(
                    form.account_name.data, form.account_bank.data, form.account_number.data
                ),
                paid_on=_date(form.paid_on.data),
                actor=authz.current_principal().actor,
                key=submission_key(form, "judicial.purchase"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("The purchase is recorded."), "info")
            return redirect(url_for(".case", code=org.code, case=row.case), 303)
    elif request.method == "POST":
        status = 422
    return _render(
        "judicial/form_purchase.html", status, form=form, org=org, row=row, lots=lots,
        words=words, decision=decision, rows=range(ITEM_ROWS), seller=_seller,
    )  # fmt: skip


# --- retirement, documents, certificate ---------------------------------------------------


@bp.route("/courts/<code>/judicial/<case>/retire", methods=["GET", "POST"])
def retire(code: str, case: str):
    org = _writer()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
        words = _words(conn)
    form = RetireForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.retire_case(
                engine(),
                court=org,
                case=row.case,
                retirement_ref=form.retirement_ref.data,
                retired_on=_date(form.retired_on.data),
                actor=authz.current_principal().actor,
                key=submission_key(form, "judicial.retire"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("The units are retired for the case."), "info")
            return redirect(url_for(".case", code=org.code, case=row.case), 303)
    elif request.method == "POST":
        status = 422
    return _render("judicial/form_retire.html", status, form=form, org=org, row=row, words=words)


@bp.route("/courts/<code>/judicial/<case>/documents", methods=["GET", "POST"])
def document(code: str, case: str):
    org = _writer()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
    form = DocumentForm()
    status = 200
    if form.validate_on_submit():
        try:
            sha256, size = stream_digest(form.file.data.stream)
            services.anchor_document(
                engine(),
                court=org,
                case=row.case,
                doc=form.doc.data,
                sha256=sha256,
                size=size,
                title=form.title.data,
                actor=authz.current_principal().actor,
                key=submission_key(form, "judicial.document"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("The document is anchored."), "info")
            return redirect(url_for(".case", code=org.code, case=row.case), 303)
    elif request.method == "POST":
        status = 422
    return _render("judicial/form_document.html", status, form=form, org=org, row=row)


@bp.route("/courts/<code>/judicial/<case>/replanting", methods=["GET", "POST"])
def replanting(code: str, case: str):
    org = _writer()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
    form = ReplantingForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.record_replanting(
                engine(),
                court=org,
                case=row.case,
                plan=services.Replanting(
                    form.area_mu.data.strip(),
                    form.species.data,
                    _date(form.deadline.data),
                    _date(form.accepted_on.data) if form.accepted_on.data else None,
                    form.note.data or "",
                ),
                actor=authz.current_principal().actor,
                key=submission_key(form, "judicial.replanting"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("The replanting is recorded."), "info")
            return redirect(url_for(".case", code=org.code, case=row.case), 303)
    elif request.method == "POST":
        status = 422
    return _render("judicial/form_replanting.html", status, form=form, org=org, row=row)


@bp.route("/courts/<code>/judicial/<case>/certify", methods=["GET", "POST"])
def certify(code: str, case: str):
    org = _writer()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
    form = CertifyForm()
    status = 200
    if form.validate_on_submit():
        try:
            from ledger.judicial import certificates

            certificates.certify_case(
                engine(),
                certificates.issuer_from_settings(settings()),
                _vault(),
                court=org,
                case=row.case,
                actor=authz.current_principal().actor,
                key=submission_key(form, "judicial.certify"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("The certificate is issued."), "info")
            return redirect(url_for(".case", code=org.code, case=row.case), 303)
    elif request.method == "POST":
        status = 422
    return _render("judicial/form_certify.html", status, form=form, org=org, row=row)


@bp.get("/courts/<code>/judicial/<case>/certificate.pdf")
def certificate(code: str, case: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        row = _case(conn, org, case)
    if row.state != model.CERTIFIED_STATE:
        abort(404)
    from ledger.judicial import certificates

    pdf = certificates.certificate_pdf(
        engine(), certificates.issuer_from_settings(settings()), _vault(), row
    )
    authz.record_export("judicial.certificate", org, {"case": row.case_number})
    filename = f"certificate-{row.case}.pdf"
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{filename}"',
        },
    )


# --- the bureau ------------------------------------------------------------------------------


@bp.get("/bureaus/<code>/judicial")
def bureau(code: str):
    org = authz.current_org()
    days = request.args.get("days", OVERDUE_DAYS, type=int)
    if days is None or not 0 <= days <= 3650:
        abort(404)
    with read_transaction(engine()) as conn:
        rows = services.list_cases(conn, within=org.division)
        totals = services.totals(conn, within=org.division)
        villages = services.by_village(conn, within=org.division)
        late = services.overdue(conn, days=days, within=org.division)
        bought = services.units_of(conn, within=org.division)
        words = _words(conn, [u.seller for u in bought])
        village_names = {o.code: o.name for o in accounts.list_orgs(conn, kind="village")}
    return render_template(
        "judicial/bureau.html",
        org=org,
        cases=rows,
        totals=totals,
        villages=villages,
        village_names=village_names,
        late=late,
        days=days,
        bought=bought,
        words=words,
        state_labels=model.STATE_LABELS,
    )
