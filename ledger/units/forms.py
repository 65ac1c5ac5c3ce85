"""The units pages' forms (Flask-WTF: each carries a CSRF token and a per-form idempotency
key). Amounts are typed as people write them (吨 with up to three decimals, 元 per 吨 with up
to two) and parsed exactly at the edge; the services get integers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ledger.units import model
from ledger.webkit.forms import idempotency_field

DATE = {"format": "%Y-%m-%d"}
TONNES_RE = r"^\s*\d{1,12}(\.\d{1,3})?\s*$"
PRICE_RE = r"^\s*\d{1,9}(\.\d{1,2})?\s*$"
USCC_MESSAGE = _l("A unified social credit code has 18 characters.")


def programme_choices() -> list[SelectChoice]:
    return [SelectChoice(k, _l(p.label)) for k, p in model.PROGRAMMES.items()]


def registry_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Not held at a registry"))] + [
        SelectChoice(k, _l(label)) for k, label in model.REGISTRIES.items()
    ]


def use_choices() -> list[SelectChoice]:
    return [SelectChoice(k, _l(label)) for k, label in model.USES.items() if k != "personal"]


def buyer_type_choices() -> list[SelectChoice]:
    return [
        SelectChoice("company", _l("Company")),
        SelectChoice("organisation", _l("Other organisation")),
        SelectChoice("person", _l("Individual")),
    ]


def owner_kind_choices() -> list[SelectChoice]:
    return [
        SelectChoice(model.VILLAGE, _l("Village collective")),
        SelectChoice(model.HOUSEHOLD, _l("Household")),
        SelectChoice(model.FARM, _l("State forest farm")),
        SelectChoice(model.COMPANY, _l("Company")),
    ]


def _tonnes(label):
    return StringField(
        label,
        validators=[
            DataRequired(),
            Regexp(TONNES_RE, message=_l("Enter tonnes with at most three decimals, e.g. 2723.5")),
        ],
    )


class ProjectForm(FlaskForm):
    project = StringField(
        _l("Project code"),
        validators=[
            DataRequired(),
            Regexp(
                r"^[A-Z0-9][A-Z0-9-]{1,31}$", message=_l("2 to 32 capital letters, digits, '-'")
            ),
        ],
    )
    programme = SelectField(_l("Programme"), choices=programme_choices)
    name = StringField(_l("Project name"), validators=[DataRequired(), Length(max=200)])
    owner_kind = SelectField(_l("Owner"), choices=owner_kind_choices)
    village = StringField(
        _l("Village division code (12 digits)"),
        validators=[Optional(), Regexp(r"^\d{12}$", message=_l("12 digits"))],
    )
    owner_code = StringField(
        _l("Household code, forest farm code or company credit code"),
        validators=[Optional(), Length(max=32)],
    )
    owner_name = StringField(
        _l("Owner's name (forest farm or company)"), validators=[Length(max=200)]
    )
    division = StringField(
        _l("Location: division code (6 or 12 digits)"),
        validators=[DataRequired(), Regexp(r"^(\d{6}|\d{12})$", message=_l("6 or 12 digits"))],
    )
    area_mu = StringField(
        _l("Area (mu)"),
        validators=[DataRequired(), Regexp(r"^\d{1,9}(\.\d{1,2})?$", message=_l("e.g. 3197.5"))],
    )
    methodology = StringField(_l("Methodology"), validators=[Length(max=200)])
    crediting_start = DateField(_l("Crediting period from"), validators=[DataRequired()], **DATE)
    crediting_end = DateField(_l("Crediting period to"), validators=[DataRequired()], **DATE)
    registry = SelectField(_l("Registry or exchange"), choices=registry_choices, default="")
    registry_id = StringField(
        _l("Identifier at the registry or exchange"), validators=[Length(max=64)]
    )
    idempotency_key = idempotency_field()

    def validate_registry_id(self, field) -> None:
        """An identifier belongs to a registry, and a registry needs the identifier: registry
        reconciliation finds the project's lots by both."""
        given = bool(field.data and field.data.strip())
        if given and not self.registry.data:
            raise ValidationError(_l("Choose the registry or exchange this identifier is from."))
        if self.registry.data and not given:
            raise ValidationError(_l("Enter the project's identifier at that registry."))


class IssueForm(FlaskForm):
    lot = StringField(
        _l("Lot (ticket) number"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", message=_l("letters, digits, . _ -")),
        ],
    )
    vintage = IntegerField(
        _l("Vintage (year)"), validators=[DataRequired(), NumberRange(1990, 2100)]
    )
    period_start = DateField(_l("Monitoring period from"), validators=[DataRequired()], **DATE)
    period_end = DateField(_l("Monitoring period to"), validators=[DataRequired()], **DATE)
    quantity = _tonnes(_l("Quantity issued (t)"))
    first = IntegerField(
        _l("First serial number"), default=1, validators=[Optional(), NumberRange(0, 10**15)]
    )
    issued_on = DateField(_l("Issued on"), validators=[DataRequired()], **DATE)
    document = FileField(
        _l("Issuance document"), validators=[FileRequired(message=_l("Attach the document."))]
    )
    document_title = StringField(
        _l("Document title (no personal data)"), validators=[DataRequired(), Length(max=200)]
    )
    idempotency_key = idempotency_field()


class MoveForm(FlaskForm):
    """What every move asks: whose units, how many, when."""

    holder = SelectField(_l("Whose units"), choices=[], validate_choice=False)
    quantity = _tonnes(_l("Quantity (t)"))
    date = DateField(_l("Date"), validators=[DataRequired()], **DATE)
    idempotency_key = idempotency_field()


class BuyerFields:
    buyer_type = SelectField(_l("Buyer"), choices=buyer_type_choices)
    buyer_name = StringField(_l("Buyer's name"), validators=[DataRequired(), Length(max=100)])
    buyer_uscc = StringField(
        _l("Unified social credit code (companies)"),
        validators=[Optional(), Length(min=18, max=22, message=USCC_MESSAGE)],
    )
    use = SelectField(_l("Declared use"), choices=use_choices)


class SaleForm(MoveForm, BuyerFields):
    price = StringField(
        _l("Price (yuan per t)"),
        validators=[
            DataRequired(),
            Regexp(PRICE_RE, message=_l("Enter yuan with at most two decimals, e.g. 15.00")),
        ],
    )
    retire = BooleanField(_l("Retire the units for the buyer"))
    trade_ref = StringField(_l("Exchange trade reference"), validators=[Length(max=64)])
    claim = StringField(_l("Claim (what the carbon offsets)"), validators=[Length(max=500)])


class RetireForm(MoveForm, BuyerFields):
    claim = StringField(_l("Claim (what the carbon offsets)"), validators=[Length(max=500)])


class PledgeForm(MoveForm):
    bank_name = StringField(_l("Bank (pledgee)"), validators=[DataRequired(), Length(max=200)])
    bank_uscc = StringField(
        _l("Bank's unified social credit code"),
        validators=[DataRequired(), Length(min=18, max=22, message=USCC_MESSAGE)],
    )
    loan_ref = StringField(_l("Loan contract number"), validators=[Length(max=64)])
    document = FileField(_l("Pledge contract (optional)"))


class ReleaseForm(MoveForm):
    bank_uscc = SelectField(_l("Bank (pledgee)"), choices=[], validate_choice=False)
    document = FileField(
        _l("The bank's release letter"), validators=[FileRequired(message=_l("Attach the letter."))]
    )


class TransferForm(MoveForm):
    """A transfer: whose units, to whom (a village collective, a household, a company or a
    forest farm, as on the project form), and either a quantity (the holder's lowest serials)
    or the serial ranges themselves."""

    quantity = StringField(
        _l("Quantity (t)"),
        validators=[
            Optional(),
            Regexp(TONNES_RE, message=_l("Enter tonnes with at most three decimals, e.g. 2723.5")),
        ],
    )
    serials = TextAreaField(
        _l("Or these serials (one range a line: lot, first-last)"),
        validators=[Length(max=20_000)],
    )
    to_kind = SelectField(_l("To"), choices=owner_kind_choices)
    to_village = StringField(
        _l("Village division code (12 digits)"),
        validators=[Optional(), Regexp(r"^\d{12}$", message=_l("12 digits"))],
    )
    to_code = StringField(
        _l("Household code, forest farm code or company credit code"),
        validators=[Optional(), Length(max=32)],
    )
    to_name = StringField(
        _l("Recipient's name (forest farm or company)"), validators=[Length(max=200)]
    )
    ref = StringField(_l("Contract or reference number"), validators=[Length(max=64)])


class OneYuanForm(FlaskForm):
    file = FileField(
        _l("Export of the mini-programme (CSV)"),
        validators=[FileRequired(message=_l("Choose the CSV file."))],
    )
    idempotency_key = idempotency_field()


class ActionForm(FlaskForm):
    """A button that does one thing (make a certificate, start a job): the CSRF token only."""
