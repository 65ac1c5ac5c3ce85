"""The units pages.

- the public register (``/carbon/register``): retirements and sales to organisations, without
  prices; individual buyers masked;
- a village's carbon income (``/villages/<code>/carbon``): what its forests earned by programme,
  project and year, as a table and a chart (an SVG drawn here), and the serials it still holds;
- a bureau's carbon units (``/bureaus/<code>/carbon``): the projects, pledges, retirements and
  sales in its division; a project's page with its lots and holdings; forms to register a
  project, issue a lot (with its document), transfer, record a sale, pledge, release and
  retire; the
  one-yuan upload, run as a background job with a page that follows its progress.

Reading follows the organisation rules (``authz.org_scoped``): a bureau reads its division; a
village its own. Writing is for the bureau's own users (``scopes.can_write``), within its own
division. Forms carry a CSRF token and an idempotency key; refusals are shown as translated
messages (:attr:`ledger.units.module.MESSAGES`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from ledger.accounts import scopes
from ledger.accounts import services as accounts
from ledger.core.errors import LedgerError, ValidationError
from ledger.core.units import parse_amount
from ledger.jobs import runner
from ledger.services.anchors import stream_digest
from ledger.storage.db import read_transaction
from ledger.units import certificates, model, services
from ledger.units.book import Project
from ledger.units.forms import (
    ActionForm,
    IssueForm,
    OneYuanForm,
    PledgeForm,
    ProjectForm,
    ReleaseForm,
    RetireForm,
    SaleForm,
    TransferForm,
)
from ledger.units.module import MESSAGES as UNIT_MESSAGES
from ledger.units.oneyuan import IMPORT_JOB
from ledger.units.oneyuan import MESSAGES as LINE_MESSAGES
from ledger.units.services import Buyer, Document, IssueSpec, ProjectSpec
from ledger.units.words import Words
from ledger.units.words import decimal_text as words_decimal
from ledger.vault.service import masked_names
from ledger.webkit import authz
from ledger.webkit.ext import engine, settings, vault_or_none
from ledger.webkit.forms import error_message, new_form_key, submission_key
from ledger.webkit.words import display_lang

bp = Blueprint(
    "units",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/units/static",
)
BUREAU = authz.org_scoped("bureau")
authz.protect(
    bp,
    {
        "static": authz.PUBLIC,
        "register": authz.PUBLIC,
        "village": authz.org_scoped("village"),
        "bureau": BUREAU,
        "project": BUREAU,
        "new_project": BUREAU,
        "issue": BUREAU,
        "transfer": BUREAU,
        "sale": BUREAU,
        "sale_done": BUREAU,
        "pledge": BUREAU,
        "release": BUREAU,
        "retire": BUREAU,
        "oneyuan": BUREAU,
        "order": BUREAU,
        "certificate": BUREAU,
        "job": BUREAU,
        "job_certificates": BUREAU,
        "certificates_zip": BUREAU,
    },
)
PAGE = 50
#: Seconds between refreshes of a running job's page.
REFRESH = 2


# --- helpers -----------------------------------------------------------------------------


def _words(conn=None, accounts_shown: Iterable[str] = ()) -> Words:
    """Words for the reader, with the names of the organisations and of the holders the
    page shows (``conn`` None: numbers and terms only)."""
    if conn is None:
        return Words(_, display_lang())
    orgs = {o.account_key: o.name for o in accounts.list_orgs(conn)}
    holders = services.holder_names(conn, sorted(set(accounts_shown)))
    return Words(_, display_lang(), orgs, holders)


def _writer():
    """The bureau of the URL, if the principal may write for it (its own users and tokens)."""
    return authz.writable_org(_("Only the bureau's own staff can record this."))


def _masked(codes: Iterable[str]) -> dict[str, str]:
    """Masked names of the persons with these vault codes (张*华); unknown codes are left out."""
    codes = sorted(set(codes))
    vault = vault_or_none() if codes else None
    if vault is None:
        return {}
    with read_transaction(engine()) as conn:
        names = masked_names(conn, vault, codes)
    return {code: name or _("erased") for code, name in names.items()}


def _tonnes_kg(text: str) -> int:
    return parse_amount(text.strip(), "CO2E")


def _document(upload, title: str) -> Document:
    sha256, size = stream_digest(upload.stream)
    return Document(sha256, size, title)


def _render(template: str, status: int = 200, **context):
    for form in (v for v in context.values() if hasattr(v, "idempotency_key")):
        form.idempotency_key.data = new_form_key()
    return render_template(template, **context), status


def _refused(form, exc: LedgerError) -> int:
    form.form_errors.append(error_message(exc))
    return exc.status if exc.status in (404, 409, 422) else 422


# --- the public register -----------------------------------------------------------------


@bp.get("/carbon/register")
def register():
    before = request.args.get("before", type=int)
    programme = request.args.get("programme")
    if programme is not None and programme not in model.PROGRAMMES:
        abort(404)
    with read_transaction(engine()) as conn:
        rows = services.public_register(conn, before=before, limit=PAGE, programme=programme)
    masked = _masked(r.buyer_code for r in rows if r.buyer_code)
    more = rows[-1].seq if len(rows) == PAGE else None
    return render_template(
        "units/register.html",
        rows=rows,
        masked=masked,
        words=_words(),
        more=more,
        programme=programme,
        programmes=list(model.PROGRAMMES),
    )


# --- a village ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar segment of the earnings chart (coordinates in the SVG's units)."""

    x: int
    y: int
    width: int
    height: int
    css: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    base: int  # the y of the axis
    bars: list[Bar]
    labels: list[tuple[int, int, str]]  # x, y, text
    values: list[tuple[int, int, str]]
    legend: list[tuple[str, str]]  # css class, text
    title: str


def earnings_chart(earnings: list[services.Earning], words: Words) -> Chart | None:
    """A bar per year of what sales earned, stacked by programme (server-side SVG)."""
    if not earnings:
        return None
    years = sorted({e.year for e in earnings})
    programmes = sorted({e.programme for e in earnings}, key=list(model.PROGRAMMES).index)
    totals = {y: sum(e.total_fen for e in earnings if e.year == y) for y in years}
    top = max(totals.values()) or 1
    width, height, base, plot = 320, 200, 170, 140
    step = width // max(len(years), 1)
    bar_width = min(60, step - 12)
    bars, labels, values = [], [], []
    for i, year in enumerate(years):
        x = i * step + (step - bar_width) // 2
        y = base
        for programme in programmes:
            fen = sum(e.total_fen for e in earnings if e.year == year and e.programme == programme)
            if not fen:
                continue
            h = max(1, fen * plot // top)
            y -= h
            css = f"p-{list(model.PROGRAMMES).index(programme)}"
            title = f"{year} {words.programme(programme)}: {words.yuan(fen)}"
            bars.append(Bar(x, y, bar_width, h, css, title))
        labels.append((x + bar_width // 2, base + 18, year))
        values.append((x + bar_width // 2, y - 6, words.yuan(totals[year])))
    legend = [(f"p-{list(model.PROGRAMMES).index(p)}", words.programme(p)) for p in programmes]
    return Chart(width, height, base, bars, labels, values, legend, _("Income by year"))


@bp.get("/villages/<code>/carbon")
def village(code: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        earnings = services.earnings(conn, org.code)
        held = services.held_ranges(conn, village=org.code)
        recent = services.sales(conn, village=org.code, kinds=("sale", "oneyuan"), limit=20)
        projects = {p.project: p for p in services.list_projects(conn, village=org.code)}
        names = {p.project: p.name for p in services.list_projects(conn)}
        words = _words(conn, [h.holder for h in held] + [r.seller for r in recent])
    masked = _masked(r.buyer_code for r in recent if r.buyer_code)
    total_fen = sum(e.total_fen for e in earnings)
    total_kg = sum(e.kg for e in earnings)
    return render_template(
        "units/village.html",
        org=org,
        earnings=earnings,
        chart=earnings_chart(earnings, words),
        held=held,
        recent=recent,
        masked=masked,
        projects=projects,
        names=names,
        words=words,
        total_fen=total_fen,
        total_kg=total_kg,
    )


# --- a bureau ----------------------------------------------------------------------------


@bp.get("/bureaus/<code>/carbon")
def bureau(code: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        projects = services.list_projects(conn, within=org.division)
        held = {p.project: services.remaining_kg(conn, p) for p in projects}
        pledges = services.holdings(conn, within=org.division, states=(model.PLEDGED_STATE,))
        recent = services.sales(conn, within=org.division, limit=20)
        words = _words(
            conn,
            [p.owner for p in projects]
            + [h.holder for h in pledges]
            + [f"Assets:Company:{h.pledgee}" for h in pledges]
            + [r.seller for r in recent],
        )
    masked = _masked(r.buyer_code for r in recent if r.buyer_code)
    return render_template(
        "units/bureau.html",
        org=org,
        projects=projects,
        held=held,
        pledges=pledges,
        recent=recent,
        masked=masked,
        words=words,
        can_write=scopes.can_write(authz.current_principal(), org),
    )


def _project(conn, org, project: str) -> Project:
    try:
        return services.get_project(conn, project, org.division)
    except LedgerError:
        abort(404)


@bp.get("/bureaus/<code>/carbon/projects/<project>")
def project(code: str, project: str):
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        p = _project(conn, org, project)
        lots = services.lots_of(conn, p.project)
        holdings = services.holdings(conn, project=p.project)
        recent = services.sales(conn, within=org.division, project=p.project, limit=20)
        words = _words(
            conn,
            [p.owner]
            + [h.holder for h in holdings]
            + [f"Assets:Company:{h.pledgee}" for h in holdings if h.pledgee],
        )
    masked = _masked(r.buyer_code for r in recent if r.buyer_code)
    return render_template(
        "units/project.html",
        org=org,
        project=p,
        lots=lots,
        holdings=holdings,
        recent=recent,
        masked=masked,
        words=words,
        can_write=scopes.can_write(authz.current_principal(), org),
    )


@bp.route("/bureaus/<code>/carbon/projects/new", methods=["GET", "POST"])
def new_project(code: str):
    org = _writer()
    form = ProjectForm()
    status = 200
    if form.validate_on_submit():
        try:
            owner = _owner_account(form)
            spec = ProjectSpec(
                project=form.project.data.strip(),
                programme=form.programme.data,
                name=form.name.data,
                owner=owner,
                division=form.division.data.strip(),
                area_mu=form.area_mu.data.strip(),
                crediting_period=(
                    form.crediting_start.data.isoformat(),
                    form.crediting_end.data.isoformat(),
                ),
                owner_name=form.owner_name.data or "",
                methodology=form.methodology.data or "",
                registry_ids={form.registry.data: form.registry_id.data.strip()}
                if form.registry.data
                else {},
            )
            services.register_project(
                engine(),
                spec,
                actor=authz.current_principal().actor,
                within=org.division,
                key=submission_key(form, "units.project"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("The project is registered."), "info")
            return redirect(url_for(".project", code=org.code, project=spec.project), 303)
    elif request.method == "POST":
        status = 422
    return _render("units/form_project.html", status, form=form, org=org)


def _owner_account(form: ProjectForm) -> str:
    return _holder_account(form.owner_kind.data, form.village.data, form.owner_code.data)


def _holder_account(kind: str, village: str | None, code: str | None) -> str:
    """The account of a holder as a form names it: a kind, a village's division code (for a
    village collective or a household) and a code (household, forest farm or company)."""
    village = (village or "").strip()
    code = (code or "").strip().upper()
    if kind in (model.VILLAGE, model.HOUSEHOLD) and not village:
        raise _invalid("units.village")
    if kind == model.VILLAGE:
        return model.village_account(village)
    if kind == model.HOUSEHOLD:
        holder = model.parse_holder(f"Assets:Village:{village}:Household:{code}")
        if holder is None:
            raise _invalid("units.household")
        return holder.account
    if kind == model.COMPANY:
        return f"Assets:Company:{model.normalise_uscc(code)}"
    if not model.FARM_CODE_RE.fullmatch(code):
        raise _invalid("units.farm")
    return f"Assets:ForestFarm:{code}"


def _invalid(code: str) -> LedgerError:
    """A refusal of the project form whose message the module declares for ``code``."""
    return ValidationError(code, code)


@bp.route("/bureaus/<code>/carbon/projects/<project>/issue", methods=["GET", "POST"])
def issue(code: str, project: str):
    org = _writer()
    with read_transaction(engine()) as conn:
        p = _project(conn, org, project)
    form = IssueForm()
    status = 200
    unit = model.PROGRAMMES[p.programme].unit_kg
    if form.validate_on_submit():
        try:
            kg = _tonnes_kg(form.quantity.data)
            if kg % unit:
                raise _quantity_unit(unit)
            spec = IssueSpec(
                project=p.project,
                lot=form.lot.data.strip(),
                vintage=form.vintage.data,
                period=(form.period_start.data.isoformat(), form.period_end.data.isoformat()),
                count=kg // unit,
                issued_on=form.issued_on.data.isoformat(),
                document=_document(form.document.data, form.document_title.data.strip()),
                first=form.first.data if form.first.data is not None else 1,
            )
            entry = services.issue_lot(
                engine(),
                spec,
                actor=authz.current_principal().actor,
                within=org.division,
                key=submission_key(form, "units.issue"),
            )
        except LedgerError as exc:
            status = _refused(form, exc)
        else:
            flash(_("Lot %(lot)s is issued as entry %(seq)d.", lot=spec.lot, seq=entry.seq), "info")
            return redirect(url_for(".project", code=org.code, project=p.project), 303)
    elif request.method == "POST":
        status = 422
    return _render(
        "units/form_issue.html", status, form=form, org=org, project=p,
        unit_text=_words().tonnes(unit),
    )  # fmt: skip


def _quantity_unit(unit: int) -> LedgerError:
    return ValidationError("units.quantity_unit", "not a whole number of units", {"unit_kg": unit})


def _holder_choices(conn, p: Project, state: str) -> tuple[list[tuple[str, str]], Words]:
    """The holders with units of the project in ``state``, in words, the owner first."""
    summaries = services.holdings(conn, project=p.project, states=(state,))
    holders = sorted({h.holder for h in summaries}, key=lambda a: (a != p.owner, a))
    kg = {a: sum(h.kg for h in summaries if h.holder == a) for a in holders}
    words = _words(conn, holders + [f"Assets:Company:{h.pledgee}" for h in summaries if h.pledgee])
    return [(a, f"{words.account(a)} · {words.tonnes(kg[a])}") for a in holders], words


def _move_page(name: str, form_class, template: str, state: str, do):
    """The shape of every move form: choose the holder, the quantity, the rest; ``do`` makes
    the move and returns where to go."""

    def view(code: str, project: str):
        org = _writer()
        with read_transaction(engine()) as conn:
            p = _project(conn, org, project)
            choices, words = _holder_choices(conn, p, state)
            pledges = services.holdings(conn, project=p.project, states=(model.PLEDGED_STATE,))
        form = form_class()
        form.holder.choices = choices
        if hasattr(form, "bank_uscc") and form_class is ReleaseForm:
            banks = sorted({h.pledgee for h in pledges if h.pledgee})
            form.bank_uscc.choices = [(b, words.account(f"Assets:Company:{b}")) for b in banks]
        status = 200
        if request.method == "GET" and form.date.data is None:
            form.date.data = date.fromisoformat(services.today())
        if form.validate_on_submit():
            if form.holder.data not in {c[0] for c in choices}:
                form.holder.errors = [_("Choose whose units.")]
                status = 422
            else:
                try:
                    target = do(org, p, form)
                except LedgerError as exc:
                    status = _refused(form, exc)
                else:
                    return redirect(target, 303)
        elif request.method == "POST":
            status = 422
        return _render(template, status, form=form, org=org, project=p, action=name)

    view.__name__ = name
    return view


def _buyer(form) -> Buyer:
    return Buyer(form.buyer_type.data, form.buyer_name.data or "", form.buyer_uscc.data or None)


def _do_sale(org, p: Project, form: SaleForm) -> str:
    result = services.sell(
        engine(),
        project=p.project,
        seller=form.holder.data,
        buyer=_buyer(form),
        price_fen_per_t=parse_amount(form.price.data.strip(), "CNY"),
        use=form.use.data,
        kg=_tonnes_kg(form.quantity.data),
        retire_units=True if form.use.data in model.RETIRING_USES else form.retire.data,
        trade_ref=form.trade_ref.data or "",
        claim=form.claim.data or "",
        date=form.date.data.isoformat(),
        vault=vault_or_none(),
        actor=authz.current_principal().actor,
        within=org.division,
        key=submission_key(form, "units.sale"),
    )
    return url_for(".sale_done", code=org.code, seq=result.entry.seq)


_SERIAL_LINE = re.compile(r"\s*(\S+?)[\s:：]+(\d{1,15})\s*(?:[-–—~～至]\s*(\d{1,15}))?\s*")


def parse_serials(text: str) -> list[list] | None:
    """Serial ranges typed one a line, ``lot first-last`` (or ``lot serial``); None for no
    text. Raises ValidationError ``units.serials`` for a line that is not a range."""
    ranges = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _SERIAL_LINE.fullmatch(line)
        if match is None:
            raise ValidationError(
                "units.serials", f"not a serial range: {line.strip()[:40]}", {"line": line[:40]}
            )
        lot, first, last = match.group(1), int(match.group(2)), match.group(3)
        ranges.append([lot, first, int(last) if last is not None else first])
    return ranges or None


def _do_transfer(org, p: Project, form: TransferForm) -> str:
    serials = parse_serials(form.serials.data or "")
    quantity = (form.quantity.data or "").strip()
    if (serials is None) == (not quantity):
        raise ValidationError("units.transfer_which", "give a quantity or serials, not both")
    to = _holder_account(form.to_kind.data, form.to_village.data, form.to_code.data)
    entry = services.transfer(
        engine(),
        project=p.project,
        from_=form.holder.data,
        to=to,
        kg=_tonnes_kg(quantity) if quantity else None,
        serials=serials,
        to_name=form.to_name.data or "",
        ref=form.ref.data or "",
        date=form.date.data.isoformat(),
        actor=authz.current_principal().actor,
        within=org.division,
        key=submission_key(form, "units.transfer"),
    )
    flash(_("The units are transferred (entry %(seq)d).", seq=entry.seq), "info")
    return url_for(".project", code=org.code, project=p.project)


def _do_pledge(org, p: Project, form: PledgeForm) -> str:
    upload = form.document.data
    document = (
        _document(upload, _("Pledge contract"))
        if upload is not None and getattr(upload, "filename", "")
        else None
    )
    entry = services.pledge(
        engine(),
        project=p.project,
        owner=form.holder.data,
        pledgee_name=form.bank_name.data,
        pledgee_uscc=form.bank_uscc.data,
        kg=_tonnes_kg(form.quantity.data),
        loan_ref=form.loan_ref.data or "",
        date=form.date.data.isoformat(),
        document=document,
        actor=authz.current_principal().actor,
        within=org.division,
        key=submission_key(form, "units.pledge"),
    )
    flash(_("The units are pledged (entry %(seq)d).", seq=entry.seq), "info")
    return url_for(".project", code=org.code, project=p.project)


def _do_release(org, p: Project, form: ReleaseForm) -> str:
    entry = services.release(
        engine(),
        project=p.project,
        owner=form.holder.data,
        pledgee_uscc=form.bank_uscc.data or "",
        document=_document(form.document.data, _("Release letter")),
        kg=_tonnes_kg(form.quantity.data),
        date=form.date.data.isoformat(),
        actor=authz.current_principal().actor,
        within=org.division,
        key=submission_key(form, "units.release"),
    )
    flash(_("The units are released (entry %(seq)d).", seq=entry.seq), "info")
    return url_for(".project", code=org.code, project=p.project)


def _do_retire(org, p: Project, form: RetireForm) -> str:
    entry = services.retire(
        engine(),
        project=p.project,
        holder=form.holder.data,
        beneficiary=_buyer(form),
        use=form.use.data,
        claim=form.claim.data or "",
        kg=_tonnes_kg(form.quantity.data),
        date=form.date.data.isoformat(),
        vault=vault_or_none(),
        actor=authz.current_principal().actor,
        within=org.division,
        key=submission_key(form, "units.retire"),
    )
    flash(_("The units are retired (entry %(seq)d).", seq=entry.seq), "info")
    return url_for(".project", code=org.code, project=p.project)


_MOVES = {
    "transfer": (TransferForm, "units/form_transfer.html", model.HELD, _do_transfer),
    "sale": (SaleForm, "units/form_sale.html", model.HELD, _do_sale),
    "pledge": (PledgeForm, "units/form_pledge.html", model.HELD, _do_pledge),
    "release": (ReleaseForm, "units/form_release.html", model.PLEDGED_STATE, _do_release),
    "retire": (RetireForm, "units/form_retire.html", model.HELD, _do_retire),
}
for _name, (_form, _template, _state, _do) in _MOVES.items():
    bp.add_url_rule(
        f"/bureaus/<code>/carbon/projects/<project>/{_name}",
        _name,
        _move_page(_name, _form, _template, _state, _do),
        methods=["GET", "POST"],
    )


@bp.get("/bureaus/<code>/carbon/sales/<int:seq>")
def sale_done(code: str, seq: int):
    """A sale's page: who bought what, and the arithmetic: price × quantity = total."""
    org = authz.current_org()
    with read_transaction(engine()) as conn:
        rows = services.sales(conn, within=org.division, before=seq + 1, limit=1)
        if not rows or rows[0].seq != seq:
            abort(404)
        sale = rows[0]
        words = _words(conn, [sale.seller])
    masked = _masked([sale.buyer_code] if sale.buyer_code else [])
    exact = None
    if sale.price_fen_per_t is not None:  # yuan, before rounding: price × kg / 1000 / 100
        exact = words_decimal(Decimal(sale.price_fen_per_t * sale.kg) / 100_000)
    can_write = scopes.can_write(authz.current_principal(), org)
    form = ActionForm() if can_write and sale.kind == "oneyuan" else None
    return render_template(
        "units/sale.html",
        org=org,
        sale=sale,
        words=words,
        masked=masked,
        exact=exact,
        form=form,
    )


# --- one-yuan carbon ---------------------------------------------------------------------


@bp.route("/bureaus/<code>/carbon/oneyuan", methods=["GET", "POST"])
def oneyuan(code: str):
    org = _writer()
    form = OneYuanForm()
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read()
        job_id = runner.create_job(
            engine(),
            IMPORT_JOB.name,
            params={"within": org.division, "file": form.file.data.filename or ""},
            owner=org.code,
            actor=authz.current_principal().actor,
            input=data,
        )
        runner.start_in_thread(engine(), settings(), job_id)
        return redirect(url_for(".job", code=org.code, job_id=job_id), 303)
    if request.method == "POST":
        status = 422
    return _render("units/form_oneyuan.html", status, form=form, org=org)


@bp.get("/bureaus/<code>/carbon/oneyuan/orders")
def order(code: str):
    """Find a one-yuan purchase by its order number: its page, or a page saying there is none."""
    org = authz.current_org()
    order_id = (request.args.get("order_id") or "").strip()
    if order_id:
        with read_transaction(engine()) as conn:
            try:
                seq = certificates.order_seq(conn, order_id, org.division)
            except LedgerError:
                seq = None
        if seq is not None:
            return redirect(url_for(".sale_done", code=org.code, seq=seq), 303)
    status = 404 if order_id else 200
    return render_template("units/order.html", org=org, order_id=order_id), status


def _issuer():
    try:
        return certificates.issuer_of(settings())
    except LedgerError:
        return None


@bp.post("/bureaus/<code>/carbon/sales/<int:seq>/certificate")
def certificate(code: str, seq: int):
    """The buyer's certificate of a one-yuan purchase, as a PDF to download and print (it
    prints the buyer's name in full: the bureau's own staff only)."""
    org = _writer()
    # The CSRF token is checked before any view (ledger.web.security's gate), as for every form.
    with read_transaction(engine()) as conn:
        rows = services.sales(
            conn, within=org.division, kinds=("oneyuan",), before=seq + 1, limit=1
        )
    if not rows or rows[0].seq != seq:
        abort(404)
    vault, issuer = vault_or_none(), _issuer()
    if vault is None or issuer is None:
        abort(503)
    (made,) = certificates.certificates(engine(), issuer, vault, [seq], lang=display_lang())
    return _download(made.pdf, made.filename, "application/pdf")


def _download(data, name: str, mimetype: str):
    response = send_file(
        io.BytesIO(data) if isinstance(data, bytes) else data,
        mimetype=mimetype,
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_job(org, job_id: int):
    found = runner.get_job(engine(), job_id)
    if found is None or found.owner != org.code:
        abort(404)
    return found


@bp.post("/bureaus/<code>/carbon/jobs/<int:job_id>/certificates")
def job_certificates(code: str, job_id: int):
    """Make every certificate of a finished import: a job, whose page follows its progress."""
    org = _writer()
    # The CSRF token is checked before any view (ledger.web.security's gate), as for every form.
    found = _own_job(org, job_id)
    if found.kind != IMPORT_JOB.name or found.status != runner.DONE:
        abort(404)
    if not found.result.get("imported"):
        abort(404)
    made = runner.create_job(
        engine(),
        certificates.JOB_NAME,
        params={
            "import": found.result["first_seq"],
            "within": org.division,
            "lang": display_lang(),
            "file": found.params.get("file", ""),
            "count": found.result["imported"],
        },
        owner=org.code,
        actor=authz.current_principal().actor,
    )
    runner.start_in_thread(engine(), settings(), made)
    return redirect(url_for(".job", code=org.code, job_id=made), 303)


@bp.get("/bureaus/<code>/carbon/jobs/<int:job_id>/certificates.zip")
def certificates_zip(code: str, job_id: int):
    """The ZIP file of an import's certificates, once its job is done (own staff only)."""
    org = _writer()
    found = _own_job(org, job_id)
    path = certificates.output_path(settings(), job_id)
    if found.kind != certificates.JOB_NAME or found.status != runner.DONE or not path.exists():
        abort(404)
    name = f"oneyuan-certificates-{found.params.get('import')}.zip"
    return _download(str(path), name, "application/zip")


def _job_error(error: dict) -> str:
    """A job's error in the reader's words: a bad line's reason, or a refusal the module
    declares a message for; anything else as a failure that was logged."""
    code, params = error.get("code"), error.get("params", {})
    for messages in (LINE_MESSAGES, UNIT_MESSAGES):
        if code in messages:
            try:
                return _(messages[code]) % params
            except (KeyError, TypeError, ValueError):
                return _(messages[code])
    return _("The job failed; the error has been logged.")


@bp.get("/bureaus/<code>/carbon/jobs/<int:job_id>")
def job(code: str, job_id: int):
    org = authz.current_org()
    found = _own_job(org, job_id)
    errors = [(e.get("line"), _job_error(e)) for e in found.errors]
    can_write = scopes.can_write(authz.current_principal(), org)
    return render_template(
        "units/job.html",
        org=org,
        job=found,
        errors=errors,
        refresh=REFRESH,
        import_kind=IMPORT_JOB.name,
        form=ActionForm() if can_write else None,
    )
