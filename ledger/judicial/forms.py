"""The judicial pages' forms (Flask-WTF: each carries a CSRF token and a per-form idempotency
key). Numbers are typed as people write them and parsed exactly at the edge (tonnes with up to
three decimals, yuan with up to two, volumes with up to four); the services get integers and
decimal text."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ledger.judicial import model
from ledger.webkit.forms import idempotency_field

DATE = {"format": "%Y-%m-%d"}
VOLUME_RE = r"^\s*\d{1,9}(\.\d{1,4})?\s*$"
AREA_RE = r"^\s*\d{1,7}(\.\d{1,2})?\s*$"
TONNES_RE = r"^\s*\d{1,9}(\.\d{1,3})?\s*$"
YUAN_RE = r"^\s*\d{1,12}(\.\d{1,2})?\s*$"
#: Rows of damage items and of assessment items a form offers.
ITEM_ROWS = 3


def _choices(table) -> list[SelectChoice]:
    return [SelectChoice(k, _l(v)) for k, v in table.items()]


def offence_choices() -> list[SelectChoice]:
    return _choices(model.OFFENCES)


def volume_type_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("(no volume)")), *_choices(model.VOLUME_TYPES)]


def _volume(label):
    return StringField(
        label,
        validators=[
            Optional(),
            Regexp(VOLUME_RE, message=_l("Enter cubic metres with at most four decimals.")),
        ],
    )


def _area(label):
    return StringField(
        label,
        validators=[
            Optional(),
            Regexp(AREA_RE, message=_l("Enter mu with at most two decimals.")),
        ],
    )


class CaseForm(FlaskForm):
    """Filing a case: number, offence, defendants, damage found, replanting ordered."""

    case_number = StringField(
        _l("Case number"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("For example (2023)闽0428刑初45号"),
    )
    offence = SelectField(_l("Offence"), choices=offence_choices)
    offence_text = StringField(_l("The offence, if other"), validators=[Length(max=200)])
    defendants = TextAreaField(
        _l("Defendants (one name a line)"), validators=[DataRequired(), Length(max=1000)]
    )
    filed_on = DateField(_l("Filed on"), validators=[DataRequired()], **DATE)
    replant_area = _area(_l("Replanting area (mu)"))
    replant_species = StringField(_l("Replanting species"), validators=[Length(max=100)])
    replant_deadline = DateField(_l("Replanting deadline"), validators=[Optional()], **DATE)
    idempotency_key = idempotency_field()


for _i in range(ITEM_ROWS):
    setattr(CaseForm, f"species_{_i}", StringField(_l("Species"), validators=[Length(max=40)]))
    setattr(
        CaseForm,
        f"trees_{_i}",
        IntegerField(_l("Trees"), validators=[Optional(), NumberRange(min=0, max=10_000_000)]),
    )
    setattr(CaseForm, f"volume_{_i}", _volume(_l("Volume (m³)")))
    setattr(
        CaseForm,
        f"volume_type_{_i}",
        SelectField(_l("Volume type"), choices=volume_type_choices, validate_choice=False),
    )
    setattr(CaseForm, f"area_{_i}", _area(_l("Area (mu)")))
    setattr(
        CaseForm,
        f"place_{_i}",
        StringField(
            _l("Place (division code)"),
            validators=[
                Optional(),
                Regexp(r"^\s*(\d{6}|\d{9}|\d{12})\s*$", message=_l("6, 9 or 12 digits")),
            ],
        ),
    )


class AssessForm(FlaskForm):
    """The assessment calculator: a method, items (species × volume × volume type, or a
    bamboo loss the assessor found), or a loss from a report, or a loss valued in yuan."""

    method = SelectField(_l("Assessment method"))
    assessor = StringField(_l("Assessor"), validators=[DataRequired(), Length(max=200)])
    assessed_on = DateField(_l("Assessed on"), validators=[DataRequired()], **DATE)
    report_t = StringField(
        _l("Loss from an assessment report (t)"),
        validators=[Optional(), Regexp(TONNES_RE, message=_l("Enter tonnes, e.g. 47.07"))],
    )
    report_ref = StringField(_l("The report's reference"), validators=[Length(max=200)])
    valued_yuan = StringField(
        _l("Loss valued in yuan"),
        validators=[Optional(), Regexp(YUAN_RE, message=_l("Enter yuan, e.g. 5000.00"))],
    )
    valued_price = StringField(
        _l("At a price of (yuan/t)"),
        validators=[Optional(), Regexp(YUAN_RE, message=_l("Enter yuan per tonne"))],
    )
    valued_basis = StringField(_l("Basis of the valuation"), validators=[Length(max=200)])
    idempotency_key = idempotency_field()


for _i in range(ITEM_ROWS):
    setattr(AssessForm, f"species_{_i}", SelectField(_l("Species"), validate_choice=False))
    setattr(AssessForm, f"volume_{_i}", _volume(_l("Volume (m³)")))
    setattr(
        AssessForm,
        f"volume_type_{_i}",
        SelectField(_l("Volume type"), choices=volume_type_choices, validate_choice=False),
    )
    setattr(
        AssessForm,
        f"bamboo_t_{_i}",
        StringField(
            _l("Assessed loss for bamboo (t)"),
            validators=[Optional(), Regexp(TONNES_RE, message=_l("Enter tonnes"))],
        ),
    )


class DecisionForm(FlaskForm):
    """The compensation ordered and its price."""

    basis = SelectField(_l("The quantity follows"), choices=lambda: _choices(model.BASES))
    multiple = StringField(
        _l("Multiple of the loss"),
        default="1",
        validators=[Optional(), Regexp(r"^\s*\d{1,2}(\.\d{1,2})?\s*$", message=_l("e.g. 2"))],
    )
    rounding = SelectField(_l("Rounding"), choices=lambda: _choices(model.ROUNDINGS))
    quantity_t = StringField(
        _l("Quantity set by the court (t)"),
        validators=[Optional(), Regexp(TONNES_RE, message=_l("Enter tonnes"))],
    )
    amount_yuan = StringField(
        _l("Amount ordered (yuan)"),
        validators=[Optional(), Regexp(YUAN_RE, message=_l("Enter yuan, e.g. 5000.00"))],
    )
    price_basis = SelectField(_l("Price basis"), choices=lambda: _choices(model.PRICE_BASES))
    price_yuan = StringField(
        _l("Price (yuan/t)"),
        validators=[DataRequired(), Regexp(YUAN_RE, message=_l("Enter yuan per tonne"))],
    )
    price_date = DateField(_l("Price date"), validators=[DataRequired()], **DATE)
    price_source = StringField(_l("Price source"), validators=[DataRequired(), Length(max=200)])
    judgment_ref = StringField(_l("Judgment or ruling"), validators=[Length(max=100)])
    decided_on = DateField(_l("Decided on"), validators=[DataRequired()], **DATE)
    idempotency_key = idempotency_field()


class PurchaseForm(FlaskForm):
    """The purchase: which sellers' units, who paid, into which restoration account."""

    payer_type = SelectField(
        _l("Who paid"),
        choices=lambda: [
            SelectChoice("person", _l("The defendant (a person)")),
            SelectChoice("organisation", _l("An organisation")),
        ],
    )
    payer_name = StringField(_l("Payer's name"), validators=[DataRequired(), Length(max=200)])
    payment_ref = StringField(_l("Payment reference"), validators=[DataRequired(), Length(max=100)])
    account_name = StringField(
        _l("Restoration account holder"), validators=[DataRequired(), Length(max=200)]
    )
    account_bank = StringField(_l("Bank"), validators=[DataRequired(), Length(max=200)])
    account_number = StringField(
        _l("Account number"),
        validators=[DataRequired(), Regexp(r"^[\d\s-]{4,40}$", message=_l("Digits only"))],
    )
    paid_on = DateField(_l("Paid on"), validators=[DataRequired()], **DATE)
    idempotency_key = idempotency_field()


for _i in range(ITEM_ROWS):
    setattr(PurchaseForm, f"lot_{_i}", SelectField(_l("Units from"), validate_choice=False))
    setattr(
        PurchaseForm,
        f"tonnes_{_i}",
        StringField(
            _l("Tonnes"),
            validators=[Optional(), Regexp(TONNES_RE, message=_l("Enter tonnes"))],
        ),
    )


class RetireForm(FlaskForm):
    retirement_ref = StringField(
        _l("The exchange's retirement reference"), validators=[DataRequired(), Length(max=100)]
    )
    retired_on = DateField(_l("Retired on"), validators=[DataRequired()], **DATE)
    idempotency_key = idempotency_field()


class DocumentForm(FlaskForm):
    doc = SelectField(_l("Document"), choices=lambda: _choices(model.DOCUMENTS))
    file = FileField(_l("The file"), validators=[FileRequired()])
    title = StringField(
        _l("Title (no personal data)"), validators=[DataRequired(), Length(max=200)]
    )
    idempotency_key = idempotency_field()


class ReplantingForm(FlaskForm):
    """Replanting (补种复绿) ordered, or its acceptance."""

    area_mu = StringField(
        _l("Replanting area (mu)"),
        validators=[
            DataRequired(),
            Regexp(AREA_RE, message=_l("Enter mu with at most two decimals.")),
        ],
    )
    species = StringField(_l("Replanting species"), validators=[DataRequired(), Length(max=100)])
    deadline = DateField(_l("Replanting deadline"), validators=[DataRequired()], **DATE)
    accepted_on = DateField(_l("Accepted on (if accepted)"), validators=[Optional()], **DATE)
    note = StringField(_l("Note"), validators=[Length(max=500)])
    idempotency_key = idempotency_field()


class CertifyForm(FlaskForm):
    idempotency_key = idempotency_field()
