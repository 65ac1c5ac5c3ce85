"""Court case numbers (案号), checked part by part against the real pattern.

Since 1 January 2016 (the Supreme People's Court's rules on case numbers, 《最高人民法院关于
人民法院案件案号的若干规定》, and its table of case types and their words, revised 2018) a case
number is::

    (2022)闽0627刑初123号
     year  court   type  sequence 号

- **year**: the year the case was filed, four digits in parentheses; written with half-width
  ``()`` or full-width ``（）`` in the wild; stored half-width.
- **court**: the province's one-character abbreviation (闽 Fujian, 京, 黔, 赣, 川…) alone for a
  high court; plus 2 digits for an intermediate court (闽04: 三明市中级人民法院); plus 4 digits for
  a basic court (闽0428: 将乐县人民法院). The digits follow the administrative division code
  (35 + 0428 = 350428 将乐县), except codes starting with 7, which name special courts (闽71
  railway transport, 沪72 maritime, 京73 intellectual property). 最高法 is the Supreme People's
  Court; 兵 the courts of the Xinjiang Production and Construction Corps.
- **type**: the case-type word (刑初 criminal first instance, 刑终 criminal appeal, 民初, 民终,
  行初, 行终, 刑更 commutation and parole, 执 enforcement, 刑监…).
- **sequence**: the case's number within the court, year and type, from 1, no leading zeros.
- **号** ends it.

:func:`parse` returns a :class:`CaseNumber` or raises :class:`CaseNumberError` naming the
part that is wrong and why. Pure: no database, no clock (pass ``this_year`` to refuse future
years).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.core.errors import ValidationError
from ledger.platform import N_

#: Province abbreviations (简称) → the first two digits of the division code (GB/T 2260).
PROVINCES = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "内": "15",
    "辽": "21", "吉": "22", "黑": "23",
    "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36", "鲁": "37",
    "豫": "41", "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46",
    "渝": "50", "川": "51", "黔": "52", "滇": "53", "藏": "54",
    "陕": "61", "甘": "62", "青": "63", "宁": "64", "新": "65",
}  # fmt: skip
SUPREME = "最高法"
CORPS = "兵"  # 新疆生产建设兵团 courts

#: Case-type words (类型代字) and what they mean, after the Supreme People's Court's table
#: 《人民法院案件类型及其代字标准》 (2018): the common ones, and all the criminal ones judicial
#: carbon meets.
TYPE_WORDS = {
    # criminal
    "刑初": "刑事一审",
    "刑终": "刑事二审",
    "刑核": "刑事复核",
    "刑监": "刑事审判监督",
    "刑申": "刑事申诉审查",
    "刑抗": "刑事抗诉",
    "刑再": "刑事再审",
    "刑更": "刑罚与执行变更（减刑、假释）",
    "刑医": "强制医疗",
    "刑没": "没收违法所得",
    "刑他": "其他刑事",
    "刑辖": "刑事管辖",
    # civil
    "民初": "民事一审",
    "民终": "民事二审",
    "民监": "民事审判监督",
    "民申": "民事申请再审审查",
    "民抗": "民事抗诉",
    "民再": "民事再审",
    "民撤": "第三人撤销之诉",
    "民特": "民事特别程序",
    "民催": "公示催告",
    "民督": "督促程序",
    "民他": "其他民事",
    "民辖": "民事管辖",
    "民辖终": "民事管辖上诉",
    "民辖监": "民事管辖监督",
    # administrative
    "行初": "行政一审",
    "行终": "行政二审",
    "行监": "行政审判监督",
    "行申": "行政申请再审审查",
    "行抗": "行政抗诉",
    "行再": "行政再审",
    "行审": "非诉行政行为申请执行审查",
    "行审复": "非诉行政行为申请执行审查复议",
    "行他": "其他行政",
    "行辖": "行政管辖",
    "行辖终": "行政管辖上诉",
    "行赔初": "行政赔偿一审",
    "行赔终": "行政赔偿二审",
    # state compensation
    "法赔": "法院作为赔偿义务机关的国家赔偿",
    "委赔": "赔偿委员会审理的国家赔偿",
    "委赔监": "国家赔偿监督",
    # enforcement
    "执": "首次执行",
    "执恢": "恢复执行",
    "执保": "财产保全执行",
    "执异": "执行异议",
    "执复": "执行复议",
    "执监": "执行监督",
    "执协": "执行协调",
    "执他": "其他执行",
    # preservation, bankruptcy, sanctions, assistance
    "财保": "非诉财产保全审查",
    "行保": "非诉行为保全审查",
    "证保": "非诉证据保全审查",
    "破申": "破产申请审查",
    "破": "破产",
    "破终": "破产上诉",
    "破监": "破产监督",
    "强清": "强制清算",
    "司惩": "司法制裁审查",
    "司惩复": "司法制裁复议",
    "司救刑": "刑事司法救助",
    "司救民": "民事司法救助",
    "司救行": "行政司法救助",
    "司救执": "执行司法救助",
}

#: Refusals a person can cause: one message per problem (the error's ``kind``), each naming
#: the part and saying why, with the text found (``%(found)s``) where it helps.
MESSAGES = {
    "judicial.case_number": N_("This is not a case number like (2022)闽0627刑初123号."),
    "judicial.case_number:empty": N_("Enter the case number, like (2022)闽0627刑初123号."),
    "judicial.case_number:old_form": N_(
        "This number is in the form used before 2016 (…字第…号); enter the case's current "
        "number, like (2022)闽0627刑初123号."
    ),
    "judicial.case_number:year_start": N_(
        "A case number starts with the year in parentheses, like (2022); this one starts "
        "with %(found)s."
    ),
    "judicial.case_number:year_brackets": N_(
        "Put the year in parentheses ( ) or （ ）, not %(found)s: brackets like 〔〕 are for "
        "document numbers."
    ),
    "judicial.case_number:year_close": N_(
        "The year must be four digits followed by a closing parenthesis, like (2022)."
    ),
    "judicial.case_number:year_digits": N_("The year %(found)s is not four digits."),
    "judicial.case_number:year_early": N_(
        "The year %(found)s is before 2016, when case numbers in this form began."
    ),
    "judicial.case_number:year_future": N_("The year %(found)s has not come yet."),
    "judicial.case_number:court_missing": N_(
        "The court's designation is missing after the year, like 闽0627."
    ),
    "judicial.case_number:court_province": N_(
        "%(found)s is not a province abbreviation (such as 闽, 京, 黔, 赣, 川) or 最高法."
    ),
    "judicial.case_number:court_digits": N_(
        "The court's designation %(found)s has %(count)s digits: a high court has none, an "
        "intermediate court 2 and a basic court 4, like 闽04 or 闽0627."
    ),
    "judicial.case_number:court_supreme": N_("最高法 takes no digits."),
    "judicial.case_number:court_city": N_(
        "In the court's designation %(found)s the city digits cannot be 00."
    ),
    "judicial.case_number:court_county": N_(
        "In the court's designation %(found)s the county digits cannot be 00; an intermediate "
        "court is written with 2 digits, like %(intermediate)s."
    ),
    "judicial.case_number:type_missing": N_(
        "The case type is missing after the court, like 刑初, 刑终, 民初 or 刑更."
    ),
    "judicial.case_number:type_unknown": N_(
        "%(found)s is not a case type; the case type comes after the court, like 刑初, 刑终, "
        "民初 or 刑更."
    ),
    "judicial.case_number:sequence_missing": N_(
        "The sequence number is missing after the case type, like 123."
    ),
    "judicial.case_number:sequence_zero": N_(
        "The sequence number %(found)s starts with 0: it runs from 1, with no leading zeros."
    ),
    "judicial.case_number:sequence_long": N_(
        "The sequence number %(found)s has more than 6 digits."
    ),
    "judicial.case_number:suffix_missing": N_("A case number ends with 号."),
    "judicial.case_number:suffix_other": N_("%(found)s follows the sequence number; only 号 may."),
    "judicial.case_number:suffix_document": N_(
        "%(found)s numbers a further document of the case; the case number ends at 号."
    ),
    "judicial.case_number:suffix_extra": N_("Nothing may follow 号 (found %(found)s)."),
}

FIRST_YEAR = 2016  # the rules on case numbers took effect on 1 January 2016
MAX_SEQUENCE_DIGITS = 6

_WIDE = str.maketrans(
    "（）０１２３４５６７８９",
    "()0123456789",
)
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d*")
_WORD = re.compile(r"[^\d()号]*")


class CaseNumberError(ValidationError):
    """A case number that does not fit the pattern. ``details``: ``part`` (``empty``,
    ``old_form``, ``year``, ``court``, ``type``, ``sequence`` or ``suffix``), ``kind`` (the
    problem, which names its message in :data:`MESSAGES`: ``year_digits``, ``court_province``…),
    ``reason`` (a sentence in English), ``text`` (as given) and the problem's own values
    (``found``…)."""

    def __init__(self, part: str, kind: str, reason: str, text: str, **params: str):
        super().__init__(
            "judicial.case_number",
            f"not a case number like (2022)闽0627刑初123号: {reason}",
            {"part": part, "kind": kind, "reason": reason, "text": text, **params},
        )
        self.part = part
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class CaseNumber:
    """A checked case number.

    Attributes:
      year: the year the case was filed.
      province: the court's province abbreviation (闽), or 最高法, or 兵.
      court_digits: the court's digits after it ("", 2 or 4 digits).
      type_word: the case-type word (刑初).
      sequence: the case's number (123).
    """

    year: int
    province: str
    court_digits: str
    type_word: str
    sequence: int

    @property
    def text(self) -> str:
        """The stored form, half-width parentheses: ``(2022)闽0627刑初123号``."""
        return f"({self.year}){self.court_code}{self.type_word}{self.sequence}号"

    def __str__(self) -> str:
        return self.text

    @property
    def court_code(self) -> str:
        """The court's designation: ``闽0627``."""
        return self.province + self.court_digits

    @property
    def level(self) -> str:
        """``supreme``, ``high``, ``intermediate``, ``basic`` or ``special`` (a railway
        transport, maritime, intellectual-property or financial court: digits from 7)."""
        if self.province == SUPREME:
            return "supreme"
        if not self.court_digits:
            return "high"
        if self.court_digits.startswith("7"):
            return "special"
        return "intermediate" if len(self.court_digits) == 2 else "basic"

    @property
    def division(self) -> str | None:
        """The 6-digit division code the court serves (``350627`` for 闽0627, ``350400`` for
        闽04, ``350000`` for 闽), or None for the Supreme People's Court, the Corps' courts and
        special courts."""
        if self.province not in PROVINCES or self.level == "special":
            return None
        return (PROVINCES[self.province] + self.court_digits).ljust(6, "0")

    @property
    def type_meaning(self) -> str:
        """The case type in words (刑事一审)."""
        return TYPE_WORDS[self.type_word]


def normalise(text: str) -> str:
    """Whitespace removed, full-width parentheses and digits made half-width."""
    return _SPACE.sub("", text).translate(_WIDE)


def parse(text: str, *, this_year: int | None = None) -> CaseNumber:
    """The case number in ``text``, or :class:`CaseNumberError` naming the first wrong part.
    Years after ``this_year`` (when given) are refused."""
    original = text if isinstance(text, str) else ""
    s = normalise(original)

    def fail(part: str, kind: str, reason: str, **params: str) -> CaseNumberError:
        return CaseNumberError(part, kind, reason, original, **params)

    if not s:
        raise fail("empty", "empty", "the case number is empty")
    if "字第" in s:
        raise fail(
            "old_form",
            "old_form",
            "…字第…号 is the form used before 2016; since 2016 a case number has no 字第",
        )
    # year
    if s[0] in "〔[【〈<{":
        raise fail(
            "year",
            "year_brackets",
            f"the year is in parentheses ( ) or （ ）, not {s[0]}… (brackets like 〔〕 are for "
            "document numbers, 文号)",
            found=s[0],
        )
    if s[0] != "(":
        raise fail(
            "year",
            "year_start",
            f"it starts with {s[0]!r}; it must start with the year in parentheses",
            found=s[:6],
        )
    digits = _DIGITS.match(s, 1).group()
    pos = 1 + len(digits)
    if pos >= len(s) or s[pos] != ")":
        raise fail(
            "year",
            "year_close",
            "the year must be four digits followed by a closing parenthesis"
            + (f" (found {s[pos]!r} after {digits!r})" if pos < len(s) else ""),
        )
    if len(digits) != 4:
        raise fail("year", "year_digits", f"the year {digits!r} is not four digits", found=digits)
    year = int(digits)
    if year < FIRST_YEAR:
        raise fail(
            "year",
            "year_early",
            f"{year} is before {FIRST_YEAR}, when case numbers in this form began "
            "(the Supreme People's Court's rules on case numbers)",
            found=digits,
        )
    if this_year is not None and year > this_year:
        raise fail("year", "year_future", f"{year} is after this year ({this_year})", found=digits)
    pos += 1
    # court
    rest = s[pos:]
    if rest.startswith(SUPREME):
        province = SUPREME
    elif rest[:1] in PROVINCES or rest[:1] == CORPS:
        province = rest[0]
    elif not rest:
        raise fail("court", "court_missing", "the court's designation is missing after the year")
    else:
        raise fail(
            "court",
            "court_province",
            f"{rest[0]!r} is not a province abbreviation (such as 闽, 京, 黔, 赣, 川) or 最高法",
            found=rest[0],
        )
    pos += len(province)
    court_digits = _DIGITS.match(s, pos).group()
    pos += len(court_digits)
    code = province + court_digits
    if province == SUPREME and court_digits:
        raise fail("court", "court_supreme", "最高法 takes no digits", found=code)
    if len(court_digits) > 4 and s[pos : pos + 1] in ("号", ""):
        raise fail(
            "type",
            "type_missing",
            f"the case type (刑初, 民初…) is missing: {court_digits} runs from the court's "
            "digits into the sequence number",
        )
    if len(court_digits) not in (0, 2, 4):
        raise fail(
            "court",
            "court_digits",
            f"{code} has {len(court_digits)} digits: a court's designation "
            "has none (high court), 2 (intermediate court) or 4 (basic court)",
            found=code,
            count=str(len(court_digits)),
        )
    if court_digits and court_digits[:2] == "00":
        raise fail("court", "court_city", f"{code}: the city digits cannot be 00", found=code)
    if len(court_digits) == 4 and court_digits[2:] == "00":
        intermediate = province + court_digits[:2]
        raise fail(
            "court",
            "court_county",
            f"{code}: the county digits cannot be 00 (an intermediate court is written "
            f"{intermediate})",
            found=code,
            intermediate=intermediate,
        )
    # type
    word = _WORD.match(s, pos).group()
    pos += len(word)
    if not word:
        raise fail("type", "type_missing", "the case type is missing")
    if word not in TYPE_WORDS:
        near = [w for w in TYPE_WORDS if w[0] == word[0]][:8]
        hint = f"; known types beginning with {word[0]}: {'、'.join(near)}" if near else ""
        raise fail("type", "type_unknown", f"{word!r} is not a case type{hint}", found=word)
    # sequence
    sequence = _DIGITS.match(s, pos).group()
    pos += len(sequence)
    if not sequence:
        raise fail("sequence", "sequence_missing", "the sequence number is missing")
    if sequence.startswith("0"):
        raise fail(
            "sequence",
            "sequence_zero",
            f"{sequence} starts with 0: a sequence number runs from 1, no leading zeros",
            found=sequence,
        )
    if len(sequence) > MAX_SEQUENCE_DIGITS:
        raise fail(
            "sequence",
            "sequence_long",
            f"{sequence} has more than {MAX_SEQUENCE_DIGITS} digits (no court numbers a million "
            "cases of one type in a year)",
            found=sequence,
        )
    # 号
    tail = s[pos:]
    if not tail:
        raise fail("suffix", "suffix_missing", "号 is missing at the end")
    if tail[0] != "号":
        raise fail(
            "suffix",
            "suffix_other",
            f"{tail!r} follows the sequence number; only 号 may",
            found=tail,
        )
    if len(tail) > 1:
        extra = tail[1:]
        if extra.startswith("之"):
            raise fail(
                "suffix",
                "suffix_document",
                f"{extra!r} follows 号: 之一, 之二… number a further document of the case, "
                "not the case",
                found=extra,
            )
        raise fail(
            "suffix", "suffix_extra", f"{extra!r} follows 号: nothing may follow 号", found=extra
        )
    return CaseNumber(year, province, court_digits, word, int(sequence))


def is_valid(text: str, *, this_year: int | None = None) -> bool:
    try:
        parse(text, this_year=this_year)
    except CaseNumberError:
        return False
    return True
