"""Organisations, users, API tokens and principals as immutable records, and the rules their
identifiers follow. Pure: no I/O.

Organisations are named the way their users already name them:

- a village (村) by its 12-digit 统计用区划代码, e.g. ``350428102201``;
- a court (法院) by its court code as written in case numbers, e.g. ``闽0428`` (the province
  abbreviation and the last digits of its division code), plus the division code of the county
  (or city) it sits in;
- a forestry bureau (林业局) by the division code it covers: 2 digits for a province, 4 for a
  city, 6 for a county.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.core.errors import ValidationError

ORG_KINDS = ("village", "court", "bureau")
ROLES = ("village", "court", "bureau", "admin")
ANONYMOUS = "anonymous"
#: The role a user or token of an organisation of each kind has.
ROLE_OF_KIND = {"village": "village", "court": "court", "bureau": "bureau"}
#: Level of a division code by its length.
LEVEL_OF_LENGTH = {2: "province", 4: "city", 6: "county", 12: "village"}

#: Province abbreviations used in court codes and case numbers, to division code prefixes.
PROVINCE_ABBR = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22",
    "黑": "23", "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36",
    "鲁": "37", "豫": "41", "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46",
    "渝": "50", "川": "51", "黔": "52", "贵": "52", "云": "53", "滇": "53", "藏": "54",
    "陕": "61", "甘": "62", "青": "63", "宁": "64", "新": "65",
}  # fmt: skip
COURT_CODE_RE = re.compile(r"^(?P<abbr>\w)(?P<num>\d{2}|\d{4})$")
VILLAGE_CODE_RE = re.compile(r"^\d{12}$")
DIVISION_RE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
MAX_NAME_LEN = 100
MAX_LABEL_LEN = 100
MIN_PASSWORD_LEN = 10
MAX_PASSWORD_LEN = 256


@dataclass(frozen=True, slots=True)
class Org:
    """An organisation that uses the ledger.

    Attributes:
      id: database id.
      kind: ``village``, ``court`` or ``bureau``.
      code: the identifier its users know (village division code, court code, bureau
        division code).
      name: its name, e.g. ``常口村``, ``将乐县人民法院``, ``将乐县林业局``.
      level: ``village``, or the level of the division it covers (``province``, ``city``,
        ``county``).
      division: the division code it lies in or covers: the village's own 12 digits, the
        court's county (or city), the bureau's code. Bureaus see organisations whose division
        starts with theirs.
    """

    id: int
    kind: str
    code: str
    name: str
    level: str
    division: str

    @property
    def account_key(self) -> str:
        """The ASCII component naming this organisation in ledger account names:
        ``Village:350428102201``, ``Court:350428`` (for 闽0428), ``Bureau:350428``."""
        if self.kind == "court":
            return f"Court:{court_key(self.code)}"
        return f"{self.kind.capitalize()}:{self.code}"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in. Never holds personal data beyond a chosen username.

    Attributes:
      id, username: identity; usernames are lowercase.
      role: one of :data:`ROLES`.
      org: the organisation the user works for (None for admins).
      disabled: a disabled user cannot sign in and their sessions end.
      session_version: bumped on sign-out, password change, role change and disabling; a
        session made under an older version is no longer valid.
      password_hash: the argon2 hash (never shown).
    """

    id: int
    username: str
    role: str
    org: Org | None
    disabled: bool
    session_version: int
    password_hash: str
    created_at: str = ""


@dataclass(frozen=True, slots=True)
class Token:
    """An API bearer token (only its SHA-256 is stored).

    Attributes:
      id, label: identity; ``label`` says what the token is for (no personal data).
      org: the one organisation it acts for; its role is that organisation's kind.
      hint: the first characters of the token, to recognise it in lists.
      created_by: the user id that created it (None from the command line).
      revoked_at: when it was revoked, or None.
    """

    id: int
    label: str
    org: Org
    hint: str
    created_by: int | None
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a signed-in user, an API token, or nobody.

    Attributes:
      kind: ``user``, ``token`` or ``anonymous``.
      id: the user or token id (None when anonymous).
      role: a role of :data:`ROLES`, or ``anonymous``.
      org: the organisation acted for (None for admins and anonymous).
      name: the username or token label, for display.
    """

    kind: str
    id: int | None
    role: str
    org: Org | None
    name: str = ""

    @property
    def is_authenticated(self) -> bool:
        return self.kind != ANONYMOUS

    @property
    def actor(self) -> str:
        """The ``actor`` of log entries this principal causes: ``user:42``, ``token:7``."""
        return ANONYMOUS if self.id is None else f"{self.kind}:{self.id}"


ANONYMOUS_PRINCIPAL = Principal(ANONYMOUS, None, ANONYMOUS, None)


def user_principal(user: User) -> Principal:
    return Principal("user", user.id, user.role, user.org, user.username)


def token_principal(token: Token) -> Principal:
    return Principal("token", token.id, ROLE_OF_KIND[token.org.kind], token.org, token.label)


# --- identifiers --------------------------------------------------------------------------


def court_key(code: str) -> str:
    """ASCII key of a court code: the province's division prefix and the digits
    (``闽0428`` → ``350428``, ``闽04`` → ``3504``)."""
    match = COURT_CODE_RE.match(code)
    if not match or match["abbr"] not in PROVINCE_ABBR:
        raise ValidationError("org.court_code", f"{code!r} is not a court code such as 闽0428")
    return PROVINCE_ABBR[match["abbr"]] + match["num"]


def normalise_code(kind: str, code: object, division: object = None) -> tuple[str, str, str]:
    """Check an organisation's code; return ``(code, level, division)``.

    Raises ValidationError with a message saying what a valid code looks like.
    """
    if kind not in ORG_KINDS:
        raise ValidationError("org.kind", f"kind must be one of {', '.join(ORG_KINDS)}")
    code = str(code or "").strip()
    if kind == "village":
        if not VILLAGE_CODE_RE.match(code) or code.endswith("000"):
            raise ValidationError(
                "org.village_code",
                "a village is named by its 12-digit division code, e.g. 350428102201",
            )
        return code, "village", code
    if kind == "bureau":
        if not DIVISION_RE.match(code) or code.startswith("00"):
            raise ValidationError(
                "org.division_code",
                "a bureau is named by the division code it covers: "
                "2 digits (province), 4 (city) or 6 (county), e.g. 350428",
            )
        return code, LEVEL_OF_LENGTH[len(code)], code
    key = court_key(code)
    division = str(division or "").strip() or key
    if not DIVISION_RE.match(division) or not division.startswith(key[:2]):
        raise ValidationError(
            "org.court_division",
            "a court's division must be the 2-, 4- or 6-digit division code of the "
            "county or city it sits in, in the same province as its code",
        )
    return code, LEVEL_OF_LENGTH[len(division)], division


def kind_of_code(code: str) -> str:
    """Guess an organisation's kind from its code (the formats do not overlap)."""
    code = code.strip()
    if VILLAGE_CODE_RE.match(code):
        return "village"
    if DIVISION_RE.match(code):
        return "bureau"
    return "court"


def check_name(name: object, what: str = "name", limit: int = MAX_NAME_LEN) -> str:
    name = str(name or "").strip()
    if not name or len(name) > limit or not name.isprintable():
        raise ValidationError(f"org.{what}", f"the {what} must be 1..{limit} printable characters")
    return name


def normalise_username(username: object) -> str:
    return str(username or "").strip().lower()


def check_username(username: object) -> str:
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise ValidationError(
            "user.username",
            "a username is 2..40 characters: lowercase letters, digits, '.', '_' or '-'",
        )
    return name


def check_password(password: object, username: str = "") -> str:
    if not isinstance(password, str) or not MIN_PASSWORD_LEN <= len(password) <= MAX_PASSWORD_LEN:
        raise ValidationError(
            "user.password_length",
            f"a password must be {MIN_PASSWORD_LEN}..{MAX_PASSWORD_LEN} characters long",
            {"min": MIN_PASSWORD_LEN, "max": MAX_PASSWORD_LEN},
        )
    if username and password.strip().lower() == username.lower():
        raise ValidationError("user.password_is_username", "the password must not be the username")
    if len(set(password)) < 4:
        raise ValidationError("user.password_weak", "the password is too simple")
    return password


def check_role(role: object, org: Org | None) -> str:
    """A role must match the kind of the user's organisation; admins have none."""
    if role not in ROLES:
        raise ValidationError("user.role", f"role must be one of {', '.join(ROLES)}")
    if role == "admin":
        if org is not None:
            raise ValidationError("user.role_org", "an admin does not belong to an organisation")
    elif org is None or ROLE_OF_KIND[org.kind] != role:
        raise ValidationError(
            "user.role_org", f"a {role} user must belong to a {role} organisation"
        )
    return str(role)
