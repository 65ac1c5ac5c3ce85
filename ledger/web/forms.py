"""Forms (Flask-WTF: each carries a CSRF token) and translated messages for domain errors."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ledger.accounts import model

PASSWORD_LENGTH = _l("A password must be %(min)d to %(max)d characters long.")
ROLE_CHOICES = [
    SelectChoice("village", _l("Village clerk")),
    SelectChoice("court", _l("Court clerk")),
    SelectChoice("bureau", _l("Forestry bureau")),
    SelectChoice("admin", _l("Administrator")),
]
KIND_CHOICES = [
    SelectChoice("village", _l("Village")),
    SelectChoice("court", _l("Court")),
    SelectChoice("bureau", _l("Forestry bureau")),
]
NO_ORG = ""


class SigninForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=model.MAX_PASSWORD_LEN)]
    )
    remember = BooleanField(_l("Keep me signed in on this device for 7 days"))


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=model.MAX_PASSWORD_LEN)],
    )
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=model.MIN_PASSWORD_LEN, max=model.MAX_PASSWORD_LEN, message=PASSWORD_LENGTH),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )


class OrgForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=model.MAX_NAME_LEN)])
    division = StringField(
        _l("Division code (courts: the county it sits in)"),
        validators=[Optional(), Length(max=12)],
    )


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    org = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(),
            Length(min=model.MIN_PASSWORD_LEN, max=model.MAX_PASSWORD_LEN, message=PASSWORD_LENGTH),
        ],
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    org = SelectField(_l("Organisation"), choices=[], validate_choice=False)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=model.MIN_PASSWORD_LEN, max=model.MAX_PASSWORD_LEN, message=PASSWORD_LENGTH),
        ],
    )


class TokenForm(FlaskForm):
    org = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    label = StringField(
        _l("What the token is for"), validators=[DataRequired(), Length(max=model.MAX_LABEL_LEN)]
    )


def org_choices(orgs, *, blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(NO_ORG, blank)] if blank is not None else []
    return choices + [SelectChoice(str(o.id), f"{o.name} ({o.code})") for o in orgs]


def org_id(value: str | None) -> int | None:
    """The organisation id chosen in a select (None for the blank choice or garbage)."""
    if value is None or not value.isdigit() or len(value) > 12:
        return None
    return int(value)
