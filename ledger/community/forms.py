"""The community pages' forms (Flask-WTF: each carries a CSRF token and a per-form idempotency
key). Amounts are typed in 元 with at most two decimals and parsed exactly at the edge."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ledger.webkit.forms import idempotency_field

DATE = {"format": "%Y-%m-%d"}
YUAN_RE = r"^\s*\d{1,12}(\.\d{1,2})?\s*$"
PCT_RE = r"^\s*\d{1,3}(\.\d{1,4})?\s*$"


def _pct(label):
    return StringField(
        label,
        validators=[
            DataRequired(),
            Regexp(PCT_RE, message=_l("Enter a percentage from 0 to 100, e.g. 10 or 12.5")),
        ],
    )


class RosterForm(FlaskForm):
    file = FileField(_l("Roster file (CSV)"), validators=[FileRequired()])
    idempotency_key = idempotency_field()


class PreviewForm(FlaskForm):
    """The clerk's preview: a roster (a file, or a saved version), an amount and a rule (a
    saved one, or its terms typed in). Nothing is written, so no idempotency key."""

    file = FileField(_l("Roster file (CSV)"))
    roster_version = SelectField(_l("Or a saved roster version"), validators=[Optional()])
    amount = StringField(
        _l("Amount to share (yuan)"),
        validators=[
            DataRequired(),
            Regexp(YUAN_RE, message=_l("Enter yuan with at most two decimals, e.g. 140845")),
        ],
    )
    rule = SelectField(_l("Sharing rule"), validators=[Optional()])
    retention_pct = StringField(_l("Retained by the collective (%)"), validators=[Optional()])
    low_income_pct = StringField(
        _l("Set aside for low-income households (%)"), validators=[Optional()]
    )
    per_capita = StringField(_l("Weight by members (%)"), validators=[Optional()])
    per_household = StringField(_l("Weight per household (%)"), validators=[Optional()])
    by_area = StringField(_l("Weight by forest area (%)"), validators=[Optional()])


class RosterSaveForm(FlaskForm):
    data = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,6}$")])
    idempotency_key = idempotency_field()


class RuleForm(FlaskForm):
    rule = StringField(
        _l("Short name"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", message=_l("Letters, digits, - or _")),
        ],
    )
    name = StringField(_l("Rule name"), validators=[DataRequired(), Length(max=200)])
    retention_pct = _pct(_l("Retained by the collective (%)"))
    low_income_pct = _pct(_l("Set aside for low-income households (%)"))
    per_capita = _pct(_l("Weight by members (%)"))
    per_household = _pct(_l("Weight per household (%)"))
    by_area = _pct(_l("Weight by forest area (%)"))
    notice_days = IntegerField(
        _l("Shortest public notice (days)"), validators=[Optional(), NumberRange(1, 60)]
    )
    idempotency_key = idempotency_field()


class DraftForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    amount = StringField(
        _l("Amount to share (yuan)"),
        validators=[
            DataRequired(),
            Regexp(YUAN_RE, message=_l("Enter yuan with at most two decimals, e.g. 140845")),
        ],
    )
    rule = SelectField(_l("Sharing rule"), validators=[DataRequired()])
    notice_days = IntegerField(
        _l("Public notice (days)"), validators=[Optional(), NumberRange(1, 60)]
    )
    idempotency_key = idempotency_field()


class ApproveForm(FlaskForm):
    date = DateField(_l("Date of the villagers' assembly"), validators=[DataRequired()], **DATE)
    number = StringField(_l("Resolution number"), validators=[DataRequired(), Length(max=100)])
    present = IntegerField(_l("Present"), validators=[DataRequired(), NumberRange(1, 100000)])
    voting_for = IntegerField(_l("Voting for"), validators=[DataRequired(), NumberRange(0, 100000)])
    scan = FileField(_l("Scanned resolution"), validators=[FileRequired()])
    idempotency_key = idempotency_field()


class PublishForm(FlaskForm):
    notice_from = DateField(_l("First day of the notice"), validators=[DataRequired()], **DATE)
    days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(1, 60)])
    place = StringField(
        _l("Where villagers may object"), validators=[DataRequired(), Length(max=200)]
    )
    idempotency_key = idempotency_field()


class ObjectionForm(FlaskForm):
    household = StringField(_l("Household code (if given)"), validators=[Length(max=40)])
    raised_on = DateField(_l("Raised on"), validators=[DataRequired()], **DATE)
    summary = TextAreaField(_l("Objection"), validators=[DataRequired(), Length(max=500)])
    idempotency_key = idempotency_field()


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=500)])
    idempotency_key = idempotency_field()


class FinaliseForm(FlaskForm):
    idempotency_key = idempotency_field()


class ReverseForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    idempotency_key = idempotency_field()


class BatchForm(FlaskForm):
    idempotency_key = idempotency_field()


class ResultsForm(FlaskForm):
    file = FileField(_l("The bank's result file (CSV or XLSX)"), validators=[FileRequired()])
    idempotency_key = idempotency_field()


class BankForm(FlaskForm):
    bank_account = StringField(
        _l("Corrected bank account"),
        validators=[DataRequired(), Regexp(r"^[\d\s-]{8,40}$", message=_l("Digits only"))],
    )
    idempotency_key = idempotency_field()


class LookupForm(FlaskForm):
    village = SelectField(_l("Village"), validators=[DataRequired()])
    household = StringField(_l("Household code"), validators=[DataRequired(), Length(max=40)])
    id_last4 = StringField(
        _l("Last four characters of the head's ID number"),
        validators=[
            DataRequired(),
            Regexp(r"^\s*\d{3}[\dXx]\s*$", message=_l("Four characters, e.g. 123X")),
        ],
    )
