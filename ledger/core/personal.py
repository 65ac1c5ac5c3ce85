"""Free text that enters a log entry: refuse personal data and control characters.

Log entries are public and permanent, so a title or remark must never carry a resident ID
number, a mobile number, a bank card number or an e-mail address: those belong in the vault
(:mod:`ledger.vault`), named in entries by a pseudonymous code. :func:`looks_personal` finds
them in text; :func:`check_free_text` is the one rule every free-text field of an entry calls.

Numbers are found the way people write them: full-width digits count (the text is
NFKC-normalised first), and the usual groupings with single spaces or dashes are joined
(``138 1234 5678``, ``6222-0202-0011-2233-445``). Digits inside a longer run of digits are not
a match on their own, so a 12-digit village code, a 7-digit ticket number, a case number such
as ``(2022)闽0627刑初123号`` or a date is not taken for personal data.

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as NumberError

from ledger.core.errors import ValidationError

RESIDENT_ID = "resident_id"
MOBILE = "mobile"
BANK_CARD = "bank_card"
EMAIL = "email"
#: What :func:`looks_personal` can find, in the order it looks.
KINDS = (RESIDENT_ID, BANK_CARD, MOBILE, EMAIL)
DESCRIPTIONS = {
    RESIDENT_ID: "a resident ID number",
    BANK_CARD: "a bank card number",
    MOBILE: "a mobile phone number",
    EMAIL: "an e-mail address",
}

_NOT_BEFORE = r"(?<!\d)"
_NOT_AFTER = r"(?!\d)"
#: 18 characters (6 region, 8 birth date, 3 sequence, 1 check), contiguous or 6-8-4 with one
#: kind of separator.
_RESIDENT_ID_RE = re.compile(
    rf"{_NOT_BEFORE}(?:\d{{17}}|\d{{6}}(?P<s>[ -])\d{{8}}(?P=s)\d{{3}})[0-9Xx]{_NOT_AFTER}"
)
#: 16 to 19 digits, contiguous or in groups of four (a last group of 1..3) with one kind of
#: separator.
_CARD_RE = re.compile(
    rf"{_NOT_BEFORE}(?:\d{{16,19}}"
    rf"|\d{{4}}(?P<s>[ -])\d{{4}}(?P=s)\d{{4}}(?P=s)\d{{4}}(?:(?P=s)\d{{1,3}})?){_NOT_AFTER}"
)
#: Mainland mobile numbers 1[3-9]x xxxx xxxx (contiguous or 3-4-4), optionally after +86.
_MOBILE_RE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:\d{8}|(?P<s>[ -])\d{4}(?P=s)\d{4})(?!\d)"
)
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
#: Bidirectional embedding, override and isolate controls (they make text display in an
#: order other than the one stored, and so hide what a title says).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Unicode categories refused in free text: controls (NUL, tabs, newlines, escapes), lone
#: surrogates, and line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _digits(match: re.Match[str]) -> str:
    return re.sub(r"[ \-]", "", match.group())


def _is_resident_id(number: str) -> bool:
    """A check character that matches and a real birth date (the region is not checked:
    region codes change, and an ID with a retired one is still personal data)."""
    try:
        ric.get_birth_date(number)
        return ric.calc_check_digit(number) == number[-1].upper()
    except NumberError:
        return False


def looks_personal(text: str) -> str | None:
    """The kind of personal data ``text`` seems to hold (one of :data:`KINDS`), or None.

    Finds 18-character resident ID numbers with a valid check character and birth date,
    Luhn-valid bank card numbers of 16 to 19 digits, mainland mobile numbers and e-mail
    addresses, written contiguously or grouped by single spaces or dashes.
    """
    text = unicodedata.normalize("NFKC", text)
    for match in _RESIDENT_ID_RE.finditer(text):
        if _is_resident_id(_digits(match)):
            return RESIDENT_ID
    for match in _CARD_RE.finditer(text):
        if luhn.is_valid(_digits(match)):
            return BANK_CARD
    if _MOBILE_RE.search(text):
        return MOBILE
    if _EMAIL_RE.search(text):
        return EMAIL
    return None


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (NUL, tab, newline, a lone surrogate, a line
    separator, a bidirectional override…), or None."""
    for char in text:
        if unicodedata.category(char) in _REFUSED_CATEGORIES or char in _BIDI_CONTROLS:
            return char
    return None


def check_free_text(text: object, field: str, max_len: int) -> str:
    """Return ``text`` if it may enter a log entry as the free-text ``field``.

    Raises :class:`~ledger.core.errors.ValidationError` when it is not a string of at most
    ``max_len`` characters (``text.invalid``), holds a control character (``text.control``)
    or seems to hold personal data (``text.personal_data``, ``details["kind"]`` says which).
    """
    if not isinstance(text, str) or len(text) > max_len:
        raise ValidationError(
            "text.invalid",
            f"{field} must be text of at most {max_len} characters",
            {"field": field, "max": max_len},
        )
    char = control_character(text)
    if char is not None:
        raise ValidationError(
            "text.control",
            f"{field} must not contain control characters (found U+{ord(char):04X})",
            {"field": field, "char": f"U+{ord(char):04X}"},
        )
    kind = looks_personal(text)
    if kind is not None:
        raise ValidationError(
            "text.personal_data",
            f"{field} seems to contain {DESCRIPTIONS[kind]}: personal data never enters the "
            "log (keep it in the vault and name the person by their code)",
            {"field": field, "kind": kind},
        )
    return text
