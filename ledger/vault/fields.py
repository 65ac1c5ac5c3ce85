"""The vault's fields: which personal data it holds, how each value is validated, how it is
written for display and how it is normalised for the keyed-hash look-up. Pure: no I/O.

Fields:
  ``name``: a person's (or a company's) name. Stored NFC-normalised with surrounding spaces
    removed and inner runs of spaces collapsed; looked up NFC-normalised with *all* spaces
    removed (``欧阳 修`` finds ``欧阳修``).
  ``id_number``: an 18-character resident identity number (居民身份证号码, GB 11643): 17 digits
    and an ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``; lowercase ``x`` accepted),
    with a real date of birth in positions 7-14. Stored and looked up upper-case, no spaces.
  ``phone``: a mainland mobile number (11 digits, ``1[3-9]…``) or a landline with its area code
    (``0591-87654321``, ``010 12345678``). ``+86``/``0086`` is dropped. Stored as the digits
    (landlines as ``area-local``); looked up by the digits alone.
  ``bank_account``: a bank card or account number, 8 to 30 digits. Stored and looked up as the
    digits alone (spaces and hyphens dropped).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from ledger.core.errors import ValidationError

NAME = "name"
ID_NUMBER = "id_number"
PHONE = "phone"
BANK_ACCOUNT = "bank_account"
FIELDS = (NAME, ID_NUMBER, PHONE, BANK_ACCOUNT)

NAME_MAX_LEN = 100

#: ISO 7064 MOD 11-2 weights of the first 17 characters (2^(17-i) mod 11).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character for each value of (weighted sum mod 11).
_ID_CHECK = "10X98765432"

_SPACES = re.compile(r"\s+")
_PHONE_JUNK = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_3 = re.compile(r"(010|02\d)(\d{8})")  # Beijing, and the 02x big cities
_LANDLINE_4 = re.compile(r"(0[3-9]\d{2})(\d{7,8})")
_BANK_JUNK = re.compile(r"[\s\-]")
_BANK = re.compile(r"\d{8,30}")


class Normalised(NamedTuple):
    """A validated field value.

    Attributes:
      display: the value as stored (encrypted) and shown.
      key: the normalised form whose keyed hash is the look-up index.
    """

    display: str
    key: str


def _invalid(field: str, value: str, message: str) -> ValidationError:
    # The offending value is personal data: never echo it in the error.
    return ValidationError(f"vault.invalid_{field}", message, {"field": field})


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_name(value: str) -> Normalised:
    text = unicodedata.normalize("NFC", value)
    display = _SPACES.sub(" ", text).strip()
    if not display:
        raise _invalid(NAME, value, "the name is empty")
    if len(display) > NAME_MAX_LEN:
        raise _invalid(NAME, value, f"the name is longer than {NAME_MAX_LEN} characters")
    # str.isprintable is False for every character of a "C" category (and for some spaces).
    if not display.isprintable() and any(unicodedata.category(c).startswith("C") for c in display):
        raise _invalid(NAME, value, "the name contains control characters")
    return Normalised(display, _SPACES.sub("", display))


def normalise_id_number(value: str) -> Normalised:
    text = _SPACES.sub("", unicodedata.normalize("NFKC", value)).upper()
    if len(text) != 18:
        raise _invalid(ID_NUMBER, value, "an ID number has 18 characters")
    body, check = text[:17], text[17]
    if not (body.isascii() and body.isdigit()) or check not in "0123456789X":
        raise _invalid(ID_NUMBER, value, "an ID number is 17 digits followed by a digit or X")
    if id_check_char(body) != check:
        raise _invalid(ID_NUMBER, value, "the ID number's check character is wrong")
    try:
        date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise _invalid(ID_NUMBER, value, "the ID number's date of birth is not a date") from None
    if int(body[6:10]) < 1900:
        raise _invalid(ID_NUMBER, value, "the ID number's year of birth is before 1900")
    return Normalised(text, text)


def normalise_phone(value: str) -> Normalised:
    text = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", value))
    international = False
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text, international = text[len(prefix) :], True
            break
    if not international and len(text) == 13 and text.startswith("86") and text[2] == "1":
        text, international = text[2:], True  # 86 13812345678 without the plus
    if not (text.isascii() and text.isdigit()):
        raise _invalid(PHONE, value, "a phone number has only digits (and +86)")
    if international and not text.startswith("1"):
        text = "0" + text  # +86 591 87654321 is 0591-87654321 at home
    if _MOBILE.fullmatch(text):
        return Normalised(text, text)
    landline = _LANDLINE_3.fullmatch(text) or _LANDLINE_4.fullmatch(text)
    if landline:
        return Normalised(f"{landline[1]}-{landline[2]}", text)
    raise _invalid(
        PHONE, value, "not a mainland mobile number (11 digits) or a landline with area code"
    )


def normalise_bank_account(value: str) -> Normalised:
    text = _BANK_JUNK.sub("", unicodedata.normalize("NFKC", value))
    if not (text.isascii() and _BANK.fullmatch(text)):
        raise _invalid(BANK_ACCOUNT, value, "a bank account number has 8 to 30 digits")
    return Normalised(text, text)


NORMALISERS: dict[str, Callable[[str], Normalised]] = {
    NAME: normalise_name,
    ID_NUMBER: normalise_id_number,
    PHONE: normalise_phone,
    BANK_ACCOUNT: normalise_bank_account,
}


def check_field(field: str) -> str:
    if field not in NORMALISERS:
        raise ValidationError(
            "vault.unknown_field",
            f"unknown personal-data field {field!r}; known: {', '.join(FIELDS)}",
            {"field": field, "known": list(FIELDS)},
        )
    return field


def normalise(field: str, value: str) -> Normalised:
    """Validate ``value`` as ``field``; raise :class:`ValidationError` if it is not one."""
    check_field(field)
    if not isinstance(value, str):
        raise ValidationError(
            f"vault.invalid_{field}", f"the {field} must be text", {"field": field}
        )
    return NORMALISERS[field](value)
