"""Reading a village's roster of eligible households from CSV.

The file is CSV, UTF-8 (a byte-order mark allowed, as Excel writes it). Its first line names
the columns, in any order:

- a **roster** (:func:`parse_roster`) has exactly
  ``household_code,head_name,id_number,members,forest_area_mu,low_income,bank_account``;
- a **preview** (:func:`parse_preview_roster`) needs only
  ``household_code,members,forest_area_mu,low_income``; other columns (``head_name``…) are
  ignored, so the same file serves both.

Each further line is one household:

- ``household_code``: text of 1 to 32 visible characters without spaces, commas or double
  quotes, unique in the file; it names the household in the log, so it must not look like
  personal data;
- ``head_name``: the head of the household's name (for the vault);
- ``id_number``: the head's 18-character resident ID number: 17 digits and a check
  character (``X`` or ``x`` allowed), a real birth date (1900 or later) and a county code
  ``python-stdnum`` knows (:mod:`stdnum.cn.ric`); the same number on two lines is refused;
- ``members``: a whole number from 0 to 999;
- ``forest_area_mu``: mu of forest, a number ≥ 0 with at most two decimals;
- ``low_income``: ``1``, ``0``, ``是``, ``否``, ``true`` or ``false`` (any case);
- ``bank_account``: the account's digits (8 to 30; spaces and hyphens between them allowed).

Values are taken with their surrounding spaces removed; numbers may be typed with full-width
digits. Lines that are entirely empty are skipped. Reading is all or nothing: every line is
checked and any bad line refuses the whole file with :class:`RosterFileError`
(``community.bad_lines``) whose ``details["errors"]`` lists every bad line: its number (the
header is line 1), a reason ``code`` (a key of :data:`REASONS`), ``params`` and ``reason`` in
English. Reasons never repeat a resident ID number, a bank account or a name.

Pure: no I/O beyond the bytes given.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from ledger.community.allocation import MAX_AREA_MU, MAX_MEMBERS, HouseholdBasis
from ledger.core.errors import LedgerError, ValidationError
from ledger.core.personal import check_free_text
from ledger.platform import N_
from ledger.platform.memory import without_gc
from ledger.vault.fields import normalise_bank_account, normalise_id_number, normalise_name

HEADER = (
    "household_code",
    "head_name",
    "id_number",
    "members",
    "forest_area_mu",
    "low_income",
    "bank_account",
)
PREVIEW_HEADER = ("household_code", "members", "forest_area_mu", "low_income")
CODE_MAX_LEN = 32
LOW_INCOME = {"1": True, "0": False, "是": True, "否": False, "true": True, "false": False}

#: The outer refusal, for people (``details``: ``count``, ``line``, ``reason``).
MESSAGES = {
    "community.bad_lines": N_(
        "The roster has %(count)s bad lines and was not read; line %(line)s: %(reason)s"
    ),
}
#: What each bad line's reason says (``%(…)s`` from its ``params``).
REASONS = {
    "encoding": N_("the file is not UTF-8 text from here on"),
    "header": N_(
        "the first line must name the columns %(expected)s (missing: %(missing)s; "
        "unknown: %(extra)s)"
    ),
    "header_repeated": N_("the first line names the column %(column)s twice"),
    "no_rows": N_("the file has no households"),
    "columns": N_("expected %(expected)s values, found %(count)s"),
    "empty_value": N_("%(column)s is empty"),
    "code": N_(
        "household_code must be 1 to 32 visible characters without spaces, commas or quotes, "
        "and not look like personal data"
    ),
    "code_repeated": N_("household %(household)s is already on line %(first)s"),
    "members": N_("members must be a whole number from 0 to 999, not %(value)s"),
    "area": N_(
        "forest_area_mu must be a number of mu from 0 to 9999999.99 with at most two "
        "decimals, not %(value)s"
    ),
    "low_income": N_("low_income must be 1, 0, 是, 否, true or false, not %(value)s"),
    "name": N_("head_name is not a name (empty, too long, or with control characters)"),
    "id_length": N_("id_number must have 18 characters"),
    "id_format": N_("id_number must be 17 digits followed by a digit or X"),
    "id_check": N_("id_number's check character is wrong"),
    "id_birth": N_("id_number's date of birth is not a real date"),
    "id_region": N_("id_number's region code is not a known region"),
    "id_repeated": N_("id_number is the same as on line %(first)s"),
    "bank_account": N_("bank_account must be 8 to 30 digits"),
}

_AREA = re.compile(r"\d{1,7}(?:\.\d{1,2})?")
#: A household code that needs no further check: word characters, ``-``, ``_`` and ``.``
#: (at most 32), with fewer than seven digits (every kind of personal data the log refuses,
#: but an e-mail address, which needs ``@``, has at least seven).
_PLAIN_CODE = re.compile(r"[\w.\-]{1,32}")
_SEVEN_DIGITS = re.compile(r"(?:\d\D*){7}")
_ASCII_AREA = re.compile(r"\d{1,7}(?:\.\d{1,2})?", re.ASCII)
_ASCII_MEMBERS = re.compile(r"\d{1,3}", re.ASCII)
_MEMBERS = re.compile(r"\d{1,3}")


class RosterFileError(ValidationError):
    """A roster file with bad lines; nothing was read. ``details["errors"]`` lists every bad
    line (``line``, ``code``, ``params``, ``reason``) in order."""


@dataclass(frozen=True, slots=True)
class BadLine:
    """A bad line: its number (1 is the header), the reason's ``code`` (a key of
    :data:`REASONS`) and ``params``; ``reason`` says it in English."""

    line: int
    code: str
    params: Mapping[str, Any]

    @property
    def reason(self) -> str:
        return REASONS[self.code] % self.params

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "code": self.code,
            "params": dict(self.params),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One household of a roster file, checked.

    Attributes:
      line: its line in the file (the header is line 1).
      household_code: the household's code (names it in the log).
      head_name: the head's name, normalised as the vault stores it (personal data).
      id_number: the head's resident ID number, upper-case (personal data).
      members, forest_area_mu, low_income: what the sharing rule weighs.
      bank_account: the account's digits (personal data).
    """

    line: int
    household_code: str
    head_name: str
    id_number: str
    members: int
    forest_area_mu: Decimal
    low_income: bool
    bank_account: str

    @property
    def basis(self) -> HouseholdBasis:
        return HouseholdBasis(
            self.household_code, self.members, self.forest_area_mu, self.low_income
        )


def bad_lines_error(bad: Sequence[BadLine]) -> RosterFileError:
    """The refusal naming every bad line (in line order; a line's reasons in column order)."""
    ordered = sorted(bad, key=lambda b: b.line)
    first = ordered[0]
    count = len({b.line for b in ordered})
    details = {
        "count": count,
        "line": first.line,
        "reason": first.reason,
        "errors": [b.as_json() for b in ordered],
    }
    return RosterFileError(
        "community.bad_lines", MESSAGES["community.bad_lines"] % details, details
    )


# --- reading ---------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, BadLine | None]:
    """The text of the file, cut before the line where it stops being UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        good = data[: exc.start].rsplit(b"\n", 1)[0] if b"\n" in data[: exc.start] else b""
        return good.decode("utf-8-sig"), BadLine(line, "encoding", {})


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line the record starts on, values)`` for each record of the file (empty ones too)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    for row in reader:
        start, end = end + 1, reader.line_num
        yield start, row


def _blank(row: list[str]) -> bool:
    return not any(value.strip() for value in row)


def _header(
    row: list[str], required: Sequence[str], exact: bool
) -> tuple[dict[str, int] | None, list[BadLine]]:
    names = [value.strip() for value in row]
    bad: list[BadLine] = []
    positions: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in positions and name in required:
            bad.append(BadLine(1, "header_repeated", {"column": name}))
        positions.setdefault(name, i)
    missing = [name for name in required if name not in positions]
    extra = [name for name in positions if name not in required] if exact else []
    if missing or extra:
        bad.append(
            BadLine(
                1,
                "header",
                {
                    "expected": ",".join(required),
                    "missing": ",".join(missing) or "-",
                    "extra": ",".join(extra) or "-",
                },
            )
        )
    if bad:
        return None, bad
    return {name: positions[name] for name in required}, []


def _shown(value: str) -> str:
    return value if len(value) <= 20 else value[:20] + "…"


def _members(value: str) -> int | None:
    value = unicodedata.normalize("NFKC", value)
    if _MEMBERS.fullmatch(value) and int(value) <= MAX_MEMBERS:
        return int(value)
    return None


def _area(value: str) -> Decimal | None:
    value = unicodedata.normalize("NFKC", value)
    if _AREA.fullmatch(value) and Decimal(value) <= MAX_AREA_MU:
        return Decimal(value)
    return None


def _code(value: str) -> str | None:
    if _PLAIN_CODE.fullmatch(value) and not _SEVEN_DIGITS.search(value):
        return value  # letters, digits, - _ . and fewer than 7 digits: no personal data
    if any(char.isspace() or char in ',"' for char in value) or not value.isprintable():
        return None
    try:
        return check_free_text(value, "household_code", CODE_MAX_LEN) or None
    except LedgerError:
        return None


def _known_region(number: str) -> bool:
    """Whether the first six digits are a county-level code python-stdnum knows, at any time.

    stdnum's own ``ric.validate`` also asks that the county existed in the year of birth,
    which refuses most people born before their county got its present code (将乐县 is
    350428 from 1983, and its villagers born in 1960 carry 350428 too): so the period is not
    checked here."""
    results = numdb.get("cn/loc").info(number[:6])
    return any("county" in props for _, props in results)


def _id_number(value: str) -> tuple[str | None, str | None]:
    """(the ID number upper-case, None), or (None, the reason code)."""
    number = ric.compact(unicodedata.normalize("NFKC", value))
    if len(number) != 18:
        return None, "id_length"
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        return None, "id_format"
    if ric.calc_check_digit(number) != number[17]:
        return None, "id_check"
    try:
        ric.get_birth_date(number)
        number = normalise_id_number(number).display  # the vault also refuses births < 1900
    except (InvalidComponent, LedgerError):
        return None, "id_birth"
    if not _known_region(number):
        return None, "id_region"
    return number, None


#: ``fast(line, values)`` → the item of a plainly written line, or None to check it in full.
Fast = Callable[[int, list[str]], Any]


def _read(
    data: bytes,
    required: Sequence[str],
    exact: bool,
    check_line: Callable[[int, list[str], dict[str, int]], tuple[Any, list[BadLine]]],
    fast: Callable[[dict[str, int]], Fast] | None = None,
) -> list[Any]:
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("a roster file is read from bytes")
    text, encoding_problem = _decode(bytes(data))
    bad: list[BadLine] = []
    good: list[Any] = []
    records = (record for record in _records(text) if not _blank(record[1]))
    first = next(records, None)
    if first is None:
        bad.append(encoding_problem or BadLine(1, "no_rows", {}))
        raise bad_lines_error(bad)
    columns, problems = _header(first[1], required, exact)
    bad.extend(problems)
    width = len(first[1])
    seen = 0
    if columns is not None:
        quick = fast(columns) if fast is not None else None
        append = good.append
        for line, row in _records_after(text, first[0]):
            if quick is not None and len(row) == width:
                item = quick(line, row)
                if item is not None:
                    append(item)
                    seen += 1
                    continue
            if _blank(row):
                continue
            seen += 1
            if len(row) != width:
                bad.append(BadLine(line, "columns", {"expected": width, "count": len(row)}))
                continue
            item, problems = check_line(line, row, columns)
            if problems:
                bad.extend(sorted(problems, key=_column_order))
            else:
                append(item)
    if encoding_problem is not None:
        bad.append(encoding_problem)
    elif columns is not None and not seen:
        bad.append(BadLine(2, "no_rows", {}))
    if bad:
        raise bad_lines_error(bad)
    return good


def _records_after(text: str, header_line: int) -> Iterator[tuple[int, list[str]]]:
    """The records after the header (which starts on ``header_line``)."""
    records = _records(text)
    for line, row in records:
        if line >= header_line and not _blank(row):
            break
    yield from records


class _Checker:
    """Checks lines one by one, remembering codes and ID numbers seen on earlier lines."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.ids: dict[str, int] = {}

    def fast_basis(self, columns: Mapping[str, int]) -> Fast:
        """What a plainly written line of a preview says (ASCII numbers, a plain code seen for
        the first time), without building anything else; None sends the line to
        :meth:`basis`, which names what is wrong."""
        code_at, members_at, area_at, low_at = (columns[name] for name in PREVIEW_HEADER)
        codes = self.codes
        plain, seven, area_ok, low_of = (
            _PLAIN_CODE.fullmatch,
            _SEVEN_DIGITS.search,
            _ASCII_AREA.fullmatch,
            LOW_INCOME.get,
        )

        def fast(line: int, row: list[str]) -> HouseholdBasis | None:
            code = row[code_at].strip()
            members = row[members_at].strip()
            area = row[area_at].strip()
            low = low_of(row[low_at].strip())
            if (
                low is None
                or not members.isdigit()
                or not members.isascii()
                or len(members) > 3
                or not area_ok(area)
                or code in codes
                or not plain(code)
                or seven(code)
            ):
                return None
            codes[code] = line
            return HouseholdBasis(code, int(members), Decimal(area), low)

        return fast

    def basis(
        self, line: int, row: list[str], columns: Mapping[str, int]
    ) -> tuple[HouseholdBasis | None, list[BadLine]]:
        bad: list[BadLine] = []
        values = {name: row[i].strip() for name, i in columns.items()}
        for name, value in values.items():
            if not value:
                bad.append(BadLine(line, "empty_value", {"column": name}))
        raw_code = values["household_code"]
        code = _code(raw_code) if raw_code else None
        if raw_code and code is None:
            bad.append(BadLine(line, "code", {}))
        elif code is not None:
            if code in self.codes:
                bad.append(
                    BadLine(line, "code_repeated", {"household": code, "first": self.codes[code]})
                )
            else:
                self.codes[code] = line
        members = _members(values["members"]) if values["members"] else None
        if values["members"] and members is None:
            bad.append(BadLine(line, "members", {"value": _shown(values["members"])}))
        area = _area(values["forest_area_mu"]) if values["forest_area_mu"] else None
        if values["forest_area_mu"] and area is None:
            bad.append(BadLine(line, "area", {"value": _shown(values["forest_area_mu"])}))
        low = LOW_INCOME.get(values["low_income"].casefold()) if values["low_income"] else None
        if values["low_income"] and low is None:
            bad.append(BadLine(line, "low_income", {"value": _shown(values["low_income"])}))
        if bad:
            return None, bad
        return HouseholdBasis(code, members, area, low), []

    def row(
        self, line: int, row: list[str], columns: Mapping[str, int]
    ) -> tuple[RosterRow | None, list[BadLine]]:
        basis, bad = self.basis(line, row, columns)
        name = row[columns["head_name"]].strip()
        id_raw = row[columns["id_number"]].strip()
        account_raw = row[columns["bank_account"]].strip()
        head = id_number = account = None
        if name:
            try:
                head = normalise_name(name).display
            except LedgerError:
                bad.append(BadLine(line, "name", {}))
        if id_raw:
            id_number, problem = _id_number(id_raw)
            if problem is not None:
                bad.append(BadLine(line, problem, {}))
            elif id_number in self.ids:
                bad.append(BadLine(line, "id_repeated", {"first": self.ids[id_number]}))
            else:
                self.ids[id_number] = line
        if account_raw:
            try:
                account = normalise_bank_account(account_raw).display
            except LedgerError:
                bad.append(BadLine(line, "bank_account", {}))
        if bad:
            return None, bad
        assert basis is not None
        return (
            RosterRow(
                line,
                basis.household_code,
                head,
                id_number,
                basis.members,
                basis.forest_area_mu,
                basis.low_income,
                account,
            ),
            [],
        )


_COLUMN_OF = {
    "code": "household_code",
    "code_repeated": "household_code",
    "members": "members",
    "area": "forest_area_mu",
    "low_income": "low_income",
    "name": "head_name",
    "id_length": "id_number",
    "id_format": "id_number",
    "id_check": "id_number",
    "id_birth": "id_number",
    "id_region": "id_number",
    "id_repeated": "id_number",
    "bank_account": "bank_account",
}


def _column_order(bad: BadLine) -> int:
    """Where the column a reason is about comes in :data:`HEADER` (a line's reasons are
    reported in that order)."""
    column = bad.params.get("column") or _COLUMN_OF.get(bad.code, "")
    return HEADER.index(column) if column in HEADER else len(HEADER)


def parse_roster(data: bytes) -> list[RosterRow]:
    """Every household of a full roster file, in file order; or :class:`RosterFileError`
    naming every bad line (see the module docstring)."""
    with without_gc():
        return _read(data, HEADER, True, _Checker().row)


def parse_preview_roster(data: bytes) -> list[HouseholdBasis]:
    """What a sharing rule weighs of every household of a roster file (columns
    ``household_code,members,forest_area_mu,low_income``; others ignored), in file order;
    or :class:`RosterFileError` naming every bad line."""
    with without_gc():
        plain = _plain_preview(data)
        if plain is not None:
            return plain
        checker = _Checker()
        return _read(data, PREVIEW_HEADER, False, checker.basis, checker.fast_basis)


def _plain_preview(data: bytes) -> list[HouseholdBasis] | None:
    """The households of a preview file written plainly, read column by column; None when
    anything is unusual (quotes, blank or short lines, a value that needs a closer look), and
    then :func:`_read` checks the file line by line and names what is wrong. Both give the
    same households for a plain file."""
    try:
        text = data.decode("utf-8-sig")
    except (UnicodeDecodeError, AttributeError):
        return None
    if '"' in text:
        return None  # a quoted value may span lines: line numbers need the slow path
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) < 2 or not rows[-1]:
        if len(rows) >= 2 and not rows[-1]:
            rows.pop()  # the empty line after the last newline, if csv gave one
        else:
            return None
    header = [name.strip() for name in rows[0]]
    if any(header.count(name) != 1 for name in PREVIEW_HEADER):
        return None
    width = len(header)
    body = rows[1:]
    if not body or not all(len(row) == width for row in body):
        return None
    code_at, members_at, area_at, low_at = (header.index(name) for name in PREVIEW_HEADER)
    strip = str.strip
    codes = list(map(strip, map(itemgetter(code_at), body)))
    members = list(map(strip, map(itemgetter(members_at), body)))
    areas = list(map(strip, map(itemgetter(area_at), body)))
    lows = list(map(LOW_INCOME.get, map(strip, map(itemgetter(low_at), body))))
    if (
        None in lows
        or len(set(codes)) != len(codes)
        or not all(map(_PLAIN_CODE.fullmatch, codes))
        or any(map(_SEVEN_DIGITS.search, codes))
        or not all(map(_ASCII_MEMBERS.fullmatch, members))
        or not all(map(_ASCII_AREA.fullmatch, areas))
    ):
        return None
    new = tuple.__new__
    return [
        new(HouseholdBasis, row)
        for row in zip(codes, map(int, members), map(Decimal, areas), lows, strict=True)
    ]
