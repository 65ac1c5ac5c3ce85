"""Files for the bank: the payment batch a village's collective sends for 代发 (paying many
households at once), and the result file the bank sends back.

**The batch** (:func:`export_csv`, :func:`export_xlsx`) has the five columns banks' 代发
templates take, in this order::

    序号,户名,账号,金额,用途
    1,张三丰,6222020200112233445,1234.56,2026年碳汇收益分配

``序号`` counts from 1 in the batch; ``户名`` is the account holder's name; ``账号`` the
account's digits; ``金额`` yuan with two decimals, no grouping; ``用途`` the purpose. The CSV is
UTF-8 with a byte-order mark (so Excel reads the Chinese) and CRLF line ends. The XLSX has the
rows on its first sheet, ``代发明细`` (account numbers as text, so Excel does not turn a
19-digit account into ``6.22202E+18``; amounts as exact two-decimal numbers), and the count and
total on a second sheet, ``汇总``. Open the XLSX, not the CSV, in Excel: Excel rounds long
digit strings it reads from a CSV. The files hold personal data (names, accounts).

**The result file** (:func:`parse_results`) is the batch as the bank returns it: the five
columns and ``状态`` (``成功`` or ``失败``; ``success``/``paid`` and ``failed``/``fail`` are
read too) and, for a failure, ``失败原因`` (the bank's reason, required when the payment
failed). Columns may come in any order; other columns (a bank's serial number…) are ignored.
CSV in UTF-8 (a byte-order mark allowed) or, as many banks' systems write it, GB18030/GBK; or
XLSX (its first sheet). Reading is all or nothing: any bad line refuses the whole file with a
:class:`BankFileError` (``community.bank_bad_lines``) naming every bad line with its number (the
header is line 1) and reason. Matching the results to the batch (unknown 序号, another amount)
is the caller's.

Pure functions on plain records: no database, no vault.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from ledger.core.errors import ValidationError
from ledger.platform import N_

COLUMNS = ("序号", "户名", "账号", "金额", "用途")
STATUS = "状态"
REASON = "失败原因"
PAID_WORDS = {
    "成功": True,
    "失败": False,
    "success": True,
    "paid": True,
    "failed": False,
    "fail": False,
}
#: A purpose longer than this is refused (banks cut or refuse long ones).
PURPOSE_MAX_LEN = 40
NAME_MAX_LEN = 100
REASON_MAX_LEN = 200
#: Text that spreadsheet programs would run as a formula if it started a cell.
FORMULA_START = ("=", "+", "-", "@")

#: The outer refusal of a result file (``details``: ``count``, ``line``, ``reason``).
MESSAGES = {
    "community.bank_bad_lines": N_(
        "The bank's result file has %(count)s bad lines and was not read; line %(line)s: %(reason)s"
    ),
}
#: What each bad line's reason says (``%(…)s`` from its ``params``).
REASONS = {
    "encoding": N_("the file is neither UTF-8 nor GB18030 text"),
    "xlsx": N_("the file is not a readable XLSX workbook"),
    "header": N_("the first line must name the columns %(expected)s (missing: %(missing)s)"),
    "header_repeated": N_("the first line names the column %(column)s twice"),
    "no_rows": N_("the file has no payments"),
    "columns": N_("expected %(expected)s values, found %(count)s"),
    "empty_value": N_("%(column)s is empty"),
    "seq": N_("序号 must be a whole number from 1, not %(value)s"),
    "seq_repeated": N_("序号 %(seq)s is already on line %(first)s"),
    "name": N_("户名 is not a name (too long, or with control characters)"),
    "account": N_("账号 must be 8 to 30 digits"),
    "amount": N_(
        "金额 must be a number of yuan above zero with at most two decimals, not %(value)s"
    ),
    "status": N_("状态 must be 成功 or 失败, not %(value)s"),
    "reason_missing": N_("a failed payment needs its 失败原因"),
    "reason_text": N_("失败原因 is too long or has control characters"),
}

_SEQ = re.compile(r"[1-9]\d{0,8}")
_ACCOUNT = re.compile(r"\d{8,30}")
_AMOUNT = re.compile(r"\d{1,13}(?:\.\d{1,2})?")
_ACCOUNT_JUNK = re.compile(r"[\s\-]")


class BankFileError(ValidationError):
    """A result file with bad lines; nothing was read. ``details["errors"]`` lists every bad
    line (``line``, ``code``, ``params``, ``reason``)."""


@dataclass(frozen=True, slots=True)
class BankLine:
    """One payment of a batch.

    Attributes:
      seq: its number in the batch (序号), from 1.
      name: the account holder's name (户名).
      account: the account's digits (账号), 8 to 30.
      amount_fen: the amount in fen (金额), above zero.
      purpose: what the payment is for (用途), at most :data:`PURPOSE_MAX_LEN` characters.
    """

    seq: int
    name: str
    account: str
    amount_fen: int
    purpose: str


@dataclass(frozen=True, slots=True)
class BankResult:
    """One line of the bank's result file.

    Attributes:
      line: its line (or row) in the file; the header is 1.
      seq, name, account, amount_fen: as the bank returned them.
      paid: True when the bank paid it (成功), False when it failed (失败).
      reason: the bank's reason for a failure ("" when paid).
    """

    line: int
    seq: int
    name: str
    account: str
    amount_fen: int
    paid: bool
    reason: str


@dataclass(frozen=True, slots=True)
class BadLine:
    """A bad line of a result file: its number, the reason's ``code`` (a key of
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


# --- the batch -------------------------------------------------------------------------------


def yuan_text(fen: int) -> str:
    """Fen as the plain yuan a bank's file takes: ``123456`` → ``1234.56``."""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}"


def _control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in text)


def check_lines(lines: Sequence[BankLine]) -> None:
    """Refuse (``ValueError``) a batch a bank would refuse or that would mislead: no lines,
    序号 not 1..n in order, an empty or formula-like name or purpose, an account that is not
    8 to 30 digits, an amount of zero or less."""
    if not lines:
        raise ValueError("a payment batch has at least one payment")
    for expected, line in enumerate(lines, start=1):
        if line.seq != expected:
            raise ValueError(f"序号 must run 1, 2, 3…: payment {expected} has {line.seq}")
        for what, text, limit in (
            ("户名", line.name, NAME_MAX_LEN),
            ("用途", line.purpose, PURPOSE_MAX_LEN),
        ):
            if not isinstance(text, str) or not text.strip() or len(text) > limit:
                raise ValueError(f"payment {line.seq}: {what} must be 1 to {limit} characters")
            if _control(text) or text.startswith(FORMULA_START):
                raise ValueError(
                    f"payment {line.seq}: {what} must not start with = + - @ or hold control "
                    "characters"
                )
        if not isinstance(line.account, str) or not _ACCOUNT.fullmatch(line.account):
            raise ValueError(f"payment {line.seq}: 账号 must be 8 to 30 digits")
        if type(line.amount_fen) is not int or line.amount_fen <= 0:
            raise ValueError(f"payment {line.seq}: 金额 must be above zero")


def export_csv(lines: Sequence[BankLine]) -> bytes:
    """The batch as CSV: UTF-8 with a byte-order mark, CRLF, the header :data:`COLUMNS`."""
    check_lines(lines)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(
            (line.seq, line.name, line.account, yuan_text(line.amount_fen), line.purpose)
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def export_xlsx(lines: Sequence[BankLine]) -> bytes:
    """The batch as an XLSX workbook: sheet ``代发明细`` with the header :data:`COLUMNS` and
    one row per payment (account as text, amount as an exact two-decimal number), and sheet
    ``汇总`` with the number of payments and their total."""
    check_lines(lines)
    book = Workbook()
    sheet = book.active
    sheet.title = "代发明细"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row, line in enumerate(lines, start=2):
        sheet.cell(row, 1, line.seq)
        for column, text in ((2, line.name), (3, line.account), (5, line.purpose)):
            cell = sheet.cell(row, column)
            cell.value = text
            cell.data_type = "s"  # never a formula, whatever the text
            cell.number_format = "@"
        amount = sheet.cell(row, 4, Decimal(line.amount_fen).scaleb(-2))
        amount.number_format = "0.00"
    for column, width in zip("ABCDE", (8, 16, 26, 14, 30), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    summary = book.create_sheet("汇总")
    summary.append(("笔数", len(lines)))
    total = summary.cell(2, 1, "合计金额")
    total.alignment = Alignment(horizontal="left")
    summary.cell(
        2, 2, Decimal(sum(line.amount_fen for line in lines)).scaleb(-2)
    ).number_format = "0.00"
    summary.column_dimensions["A"].width = 12
    summary.column_dimensions["B"].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the bank's result file --------------------------------------------------------------------


def _bad_lines_error(bad: Sequence[BadLine]) -> BankFileError:
    ordered = sorted(bad, key=lambda b: b.line)
    first = ordered[0]
    details = {
        "count": len({b.line for b in ordered}),
        "line": first.line,
        "reason": first.reason,
        "errors": [b.as_json() for b in ordered],
    }
    return BankFileError(
        "community.bank_bad_lines", MESSAGES["community.bank_bad_lines"] % details, details
    )


def _cell_text(value: object) -> str:
    """An XLSX cell as text. A number is written as the shortest decimal that gives it back,
    so an account Excel had already turned into ``6.22202E+18`` reads as such (and is
    refused), never as made-up digits."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in row]
    finally:
        book.close()


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    for row in reader:
        start, end = end + 1, reader.line_num
        yield start, row


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _rows(data: bytes) -> tuple[Iterable[tuple[int, list[str]]] | None, BadLine | None]:
    if data[:4] == b"PK\x03\x04":
        try:
            return list(_xlsx_rows(data)), None
        except Exception:  # whatever an untrusted workbook makes openpyxl raise
            return None, BadLine(1, "xlsx", {})
    text = _decode(data)
    if text is None:
        return None, BadLine(1, "encoding", {})
    return _csv_rows(text), None


def _header(row: list[str]) -> tuple[dict[str, int] | None, list[BadLine]]:
    names = [(value or "").strip() for value in row]
    positions: dict[str, int] = {}
    bad: list[BadLine] = []
    wanted = (*COLUMNS, STATUS, REASON)
    for i, name in enumerate(names):
        if name in positions and name in wanted:
            bad.append(BadLine(1, "header_repeated", {"column": name}))
        positions.setdefault(name, i)
    missing = [name for name in (*COLUMNS, STATUS) if name not in positions]
    if missing:
        bad.append(
            BadLine(
                1,
                "header",
                {"expected": ",".join((*COLUMNS, STATUS, REASON)), "missing": ",".join(missing)},
            )
        )
    if bad:
        return None, bad
    return {name: positions[name] for name in wanted if name in positions}, []


def _check(
    line: int, values: dict[str, str], first_seq: dict[int, int]
) -> tuple[BankResult | None, list[BadLine]]:
    bad: list[BadLine] = []
    for name in (*COLUMNS[:4], STATUS):
        if not values.get(name):
            bad.append(BadLine(line, "empty_value", {"column": name}))
    seq_text = unicodedata.normalize("NFKC", values.get("序号", ""))
    seq = None
    if seq_text:
        if _SEQ.fullmatch(seq_text):
            seq = int(seq_text)
            if seq in first_seq:
                bad.append(BadLine(line, "seq_repeated", {"seq": seq, "first": first_seq[seq]}))
            else:
                first_seq[seq] = line
        else:
            bad.append(BadLine(line, "seq", {"value": seq_text[:20]}))
    name = unicodedata.normalize("NFC", values.get("户名", ""))
    if name and (len(name) > NAME_MAX_LEN or _control(name)):
        bad.append(BadLine(line, "name", {}))
    account = _ACCOUNT_JUNK.sub("", unicodedata.normalize("NFKC", values.get("账号", "")))
    if values.get("账号") and not _ACCOUNT.fullmatch(account):
        bad.append(BadLine(line, "account", {}))
    amount_text = unicodedata.normalize("NFKC", values.get("金额", "")).replace(",", "")
    amount = None
    if amount_text:
        if _AMOUNT.fullmatch(amount_text) and Decimal(amount_text) > 0:
            amount = int(Decimal(amount_text).scaleb(2))
        else:
            bad.append(BadLine(line, "amount", {"value": amount_text[:20]}))
    status_text = values.get(STATUS, "")
    paid = PAID_WORDS.get(status_text.casefold()) if status_text else None
    if status_text and paid is None:
        bad.append(BadLine(line, "status", {"value": status_text[:20]}))
    reason = values.get(REASON, "")
    if len(reason) > REASON_MAX_LEN or _control(reason):
        bad.append(BadLine(line, "reason_text", {}))
    elif paid is False and not reason:
        bad.append(BadLine(line, "reason_missing", {}))
    if bad:
        return None, bad
    assert seq is not None and amount is not None and paid is not None
    return BankResult(line, seq, name, account, amount, paid, "" if paid else reason), []


def parse_results(data: bytes) -> list[BankResult]:
    """Every line of the bank's result file (CSV or XLSX, told apart by its first bytes), in
    file order; or :class:`BankFileError` naming every bad line (see the module docstring)."""
    rows, problem = _rows(bytes(data))
    if rows is None:
        raise _bad_lines_error([problem])
    records = ((line, row) for line, row in rows if any((value or "").strip() for value in row))
    first = next(records, None)
    if first is None:
        raise _bad_lines_error([BadLine(1, "no_rows", {})])
    columns, bad = _header(first[1])
    if columns is None:
        raise _bad_lines_error(bad)
    width = len(first[1])
    results: list[BankResult] = []
    first_seq: dict[int, int] = {}
    for line, row in records:
        if len(row) != width:
            # An XLSX row is as wide as the sheet; a CSV line must match its header.
            bad.append(BadLine(line, "columns", {"expected": width, "count": len(row)}))
            continue
        values = {name: (row[i] or "").strip() for name, i in columns.items()}
        result, problems = _check(line, values, first_seq)
        if problems:
            bad.extend(problems)
        else:
            results.append(result)
    if not bad and not results:
        bad.append(BadLine(2, "no_rows", {}))
    if bad:
        raise _bad_lines_error(bad)
    return results
