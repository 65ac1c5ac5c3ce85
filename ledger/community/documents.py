"""The community's printed documents, through the receipts toolkit (``docs/receipts.md`` §10):

- the **household payout slip** (收益分配到户凭证, :func:`slip_document`): one household's
  allocation of one distribution, proving the household's ``community.allocation`` entry;
  the household code and the amount (in figures and in 大写) are printed from the entry, so
  ``carbon-ledger receipt verify`` fails when either is edited;
- the **village public notice** (公示表, :func:`notice_document`): every household's
  allocation, the rule in words, the villagers' assembly resolution, the notice period and
  where to object, proving the distribution's ``community.draft``, ``community.approve`` and
  ``community.publish`` entries (in that order); the total, the roster's digest, the
  resolution's number and votes, the notice dates and the place to object are printed from
  them. A4; the table of households runs over as many pages as it needs, its headings repeated
  on each.

The table of a notice is tied to the log by :func:`allocations_digest`: the SHA-256 of the
lines ``household_code,amount_fen`` in roster order, which the publish entry may record
(``allocations_sha256``); the notice prints it (bound to the entry when it is recorded), and
anyone can recompute it from the printed table.

These functions build :class:`~ledger.receipts.pdf.Document` values from plain records
(:class:`SlipFacts`, :class:`NoticeFacts`); the caller issues them with
:func:`ledger.receipts.issue.issue` over the entries named above. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ledger import formatting
from ledger.community.allocation import Rule
from ledger.community.explain import rule_in_words
from ledger.receipts.pdf import Bound, Document, Field, Rows

#: Where the slip's entry (``community.allocation``) keeps what the slip prints.
SLIP_AMOUNT = "/leaf/body/amount_fen"
SLIP_HOUSEHOLD = "/leaf/body/household"
#: The entries a notice proves, in order, and where each keeps what the notice prints.
DRAFT, APPROVE, PUBLISH = 0, 1, 2
NOTICE_BOUND = {
    "total": (DRAFT, "/leaf/body/amount_fen"),
    "roster_digest": (DRAFT, "/leaf/body/roster_digest"),
    "resolution_number": (APPROVE, "/leaf/body/resolution/number"),
    "resolution_date": (APPROVE, "/leaf/body/resolution/date"),
    "present": (APPROVE, "/leaf/body/resolution/present"),
    "voting_for": (APPROVE, "/leaf/body/resolution/voting_for"),
    "notice_from": (PUBLISH, "/leaf/body/notice_from"),
    "notice_until": (PUBLISH, "/leaf/body/notice_until"),
    "place": (PUBLISH, "/leaf/body/place"),
    "digest": (PUBLISH, "/leaf/body/allocations_sha256"),
}
STATUSES = ("pending", "paid", "failed", "unclaimed")

WORDS = {
    "zh": {
        "slip": "收益分配到户凭证",
        "notice": "收益分配公示表",
        "village": "村（居）",
        "programme": "项目",
        "distribution": "分配",
        "household": "户号",
        "head": "户主",
        "amount": "分配金额",
        "amount_capital": "金额大写",
        "status": "支付状态",
        "how": "计算方法",
        "pending": "待支付",
        "paid": "已支付",
        "paid_on": "已支付（{date}）",
        "failed": "支付失败（{reason}），待更正账户后重新支付",
        "unclaimed": "尚未领取",
        "slip_note": (
            "本凭证所列分配金额已记入账本，见下方核验信息。户号与金额由账本记录直接印出，"
            "如被改动，扫码或用 carbon-ledger receipt verify 核验将不通过。"
        ),
        "total": "分配总额",
        "total_capital": "总额大写",
        "retained": "集体留存",
        "low_income": "低收入户补助",
        "shared": "分配到户合计",
        "households": "户数",
        "households_value": "{count} 户，{members} 人，林地 {area} 亩",
        "rule": "分配方案",
        "roster_digest": "名册摘要",
        "resolution_number": "村民会议决议文号",
        "resolution_date": "决议日期",
        "present": "到会人数",
        "voting_for": "赞成人数",
        "notice_from": "公示开始",
        "notice_until": "公示截止",
        "place": "异议受理",
        "contact": "联系方式",
        "digest": "分配清单摘要",
        "table": "分配明细",
        "columns": ("序号", "户号", "户主", "人口", "林地（亩）", "低收入户", "分配金额（元）"),
        "yes": "是",
        "no": "",
        "sum": "合计",
        "notice_note_1": (
            "依照《中华人民共和国村民委员会组织法》，本次分配经村民会议讨论决定，现予公示。"
            "对分配有异议的，请于公示截止日前到上列“异议受理”处提出，村民委员会应当答复。"
        ),
        "notice_note_2": (
            "分配清单摘要是按上表顺序、每户一行“户号,分配金额（分）”（UTF-8，每行以换行结束）"
            "的 SHA-256 值，可据此核对本表与账本记录一致；名册摘要是分配所用名册文件的 SHA-256 值。"
        ),
    },
    "en": {
        "slip": "Household payout slip",
        "notice": "Public notice of a distribution",
        "village": "Village",
        "programme": "Programme",
        "distribution": "Distribution",
        "household": "Household",
        "head": "Head of household",
        "amount": "Amount allocated",
        "amount_capital": "Amount in capitals",
        "status": "Payment",
        "how": "How it was computed",
        "pending": "to be paid",
        "paid": "paid",
        "paid_on": "paid ({date})",
        "failed": "failed ({reason}); to be paid again once the account is corrected",
        "unclaimed": "not yet claimed",
        "slip_note": (
            "The amount on this slip is recorded in the ledger (see the verification below). "
            "The household and the amount are printed from the record: if either is changed, "
            "scanning the code or carbon-ledger receipt verify fails."
        ),
        "total": "Total distributed",
        "total_capital": "Total in capitals",
        "retained": "Kept by the collective",
        "low_income": "Low-income pool",
        "shared": "Shared among households",
        "households": "Households",
        "households_value": "{count} households, {members} members, {area} mu of forest",
        "rule": "Sharing rule",
        "roster_digest": "Roster digest",
        "resolution_number": "Assembly resolution number",
        "resolution_date": "Resolution date",
        "present": "Members present",
        "voting_for": "Votes for",
        "notice_from": "Notice from",
        "notice_until": "Notice until",
        "place": "Objections to",
        "contact": "Contact",
        "digest": "Allocation digest",
        "table": "Allocations",
        "columns": (
            "No.",
            "Household",
            "Head",
            "Members",
            "Forest (mu)",
            "Low income",
            "Amount (CNY)",
        ),
        "yes": "yes",
        "no": "",
        "sum": "Total",
        "notice_note_1": (
            "Decided by the villagers' assembly and published as the Organic Law of the "
            "Villagers' Committees requires. Objections may be raised at the place above "
            "until the end of the notice period; the villagers' committee answers them."
        ),
        "notice_note_2": (
            "The allocation list digest is the SHA-256 of the lines 'household_code,amount in "
            "fen' (UTF-8, each ending in a newline) in the order of the table above; the roster "
            "digest is the SHA-256 of the roster file the distribution used."
        ),
    },
}


def _words(lang: str) -> dict:
    if lang not in WORDS:
        raise ValueError(f"lang must be one of {tuple(WORDS)}, not {lang!r}")
    return WORDS[lang]


def allocations_digest(pairs: Iterable[tuple[str, int]]) -> str:
    """SHA-256 (hex) of the lines ``household_code,amount_fen\\n`` in the order given (roster
    order): what a publish entry records to tie a notice's table to the log."""
    digest = hashlib.sha256()
    for code, amount in pairs:
        digest.update(f"{code},{amount}\n".encode())
    return digest.hexdigest()


# --- the slip ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlipFacts:
    """What a payout slip says beyond its entry.

    Attributes:
      village_name, village_code: the village (its name and 12-digit code).
      programme: the carbon programme the money came from (in words).
      distribution_title, distribution_id: the distribution.
      head_masked: the head of household's name, masked (张*华).
      status: the payment's state, one of :data:`STATUSES`.
      paid_on: the payment date (``YYYY-MM-DD``, Beijing) when paid.
      failure_reason: the bank's reason when the payment failed.
      explanation: the amount's arithmetic in words (``explain.explain``), or "".
      number: the slip's number, printed at the top of the page.
    """

    village_name: str
    village_code: str
    programme: str
    distribution_title: str
    distribution_id: str
    head_masked: str
    status: str
    paid_on: str | None = None
    failure_reason: str | None = None
    explanation: str = ""
    number: str = ""


def _status_text(facts: SlipFacts, w: dict) -> str:
    if facts.status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {facts.status!r}")
    if facts.status == "paid":
        return w["paid_on"].format(date=facts.paid_on) if facts.paid_on else w["paid"]
    if facts.status == "failed":
        return w["failed"].format(reason=facts.failure_reason or "—")
    return w[facts.status]


def slip_document(facts: SlipFacts, lang: str = "zh") -> Document:
    """The payout slip of one household, proving its ``community.allocation`` entry (the
    document's only entry)."""
    w = _words(lang)
    fields = [
        Field(w["village"], f"{facts.village_name}（{facts.village_code}）"),
        Field(w["programme"], facts.programme),
        Field(w["distribution"], f"{facts.distribution_title}（{facts.distribution_id}）"),
        Field(w["household"], Bound(SLIP_HOUSEHOLD, "text")),
        Field(w["head"], facts.head_masked),
        Field(w["amount"], Bound(SLIP_AMOUNT, "yuan")),
        Field(w["amount_capital"], Bound(SLIP_AMOUNT, "yuan_capital")),
        Field(w["status"], _status_text(facts, w)),
    ]
    if facts.explanation:
        fields.append(Field(w["how"], facts.explanation))
    return Document(
        title=w["slip"],
        subtitle=facts.village_name,
        number=facts.number,
        fields=tuple(f for f in fields if f.value != ""),
        notes=(w["slip_note"],),
    )


# --- the notice --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    """One household's line of a notice."""

    household_code: str
    head_masked: str
    members: int
    forest_area_mu: Decimal
    low_income: bool
    amount_fen: int


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice says beyond its entries.

    Attributes:
      village_name, village_code, programme, distribution_title, distribution_id: as on a slip.
      total_fen, retained_fen, low_income_fen: the distribution's total, the collective's
        share and the low-income pool.
      rule: the sharing rule (said in words).
      rows: every household's allocation, in roster order.
      contact: who to ask or object to, beyond the place the publish entry names ("" if none).
      digest_bound: whether the publish entry records ``allocations_sha256`` (then the notice
        binds it; otherwise it prints the digest as text).
      number: the notice's number, printed at the top of every page.
    """

    village_name: str
    village_code: str
    programme: str
    distribution_title: str
    distribution_id: str
    total_fen: int
    retained_fen: int
    low_income_fen: int
    rule: Rule
    rows: Sequence[NoticeRow]
    contact: str = ""
    digest_bound: bool = False
    number: str = ""


def _bound(name: str, fmt: str) -> Bound:
    entry, pointer = NOTICE_BOUND[name]
    return Bound(pointer, fmt, entry)


def notice_document(facts: NoticeFacts, lang: str = "zh") -> Document:
    """The public notice of a distribution, proving its draft, approve and publish entries
    (the document's entries 0, 1 and 2)."""
    w = _words(lang)
    rows = facts.rows
    members = sum(r.members for r in rows)
    area = sum((r.forest_area_mu for r in rows), Decimal(0))
    shared = sum(r.amount_fen for r in rows)
    digest = allocations_digest((r.household_code, r.amount_fen) for r in rows)
    fields = [
        Field(w["village"], f"{facts.village_name}（{facts.village_code}）"),
        Field(w["programme"], facts.programme),
        Field(w["distribution"], f"{facts.distribution_title}（{facts.distribution_id}）"),
        Field(w["total"], _bound("total", "yuan")),
        Field(w["total_capital"], _bound("total", "yuan_capital")),
        Field(w["retained"], formatting.yuan(facts.retained_fen, lang)),
    ]
    if facts.low_income_fen:
        fields.append(Field(w["low_income"], formatting.yuan(facts.low_income_fen, lang)))
    fields += [
        Field(w["shared"], formatting.yuan(shared, lang)),
        Field(
            w["households"],
            w["households_value"].format(count=len(rows), members=members, area=f"{area:f}"),
        ),
        Field(w["rule"], rule_in_words(facts.rule, lang)),
        Field(w["roster_digest"], _bound("roster_digest", "text")),
        Field(w["resolution_number"], _bound("resolution_number", "text")),
        Field(w["resolution_date"], _bound("resolution_date", "text")),
        Field(w["present"], _bound("present", "integer")),
        Field(w["voting_for"], _bound("voting_for", "integer")),
        Field(w["notice_from"], _bound("notice_from", "text")),
        Field(w["notice_until"], _bound("notice_until", "text")),
        Field(w["place"], _bound("place", "text")),
    ]
    if facts.contact:
        fields.append(Field(w["contact"], facts.contact))
    fields.append(Field(w["digest"], _bound("digest", "text") if facts.digest_bound else digest))
    table = (
        *(
            (
                str(n),
                r.household_code,
                r.head_masked,
                str(r.members),
                f"{r.forest_area_mu:f}",
                w["yes"] if r.low_income else w["no"],
                formatting.yuan_number(r.amount_fen),
            )
            for n, r in enumerate(rows, 1)
        ),
        ("", w["sum"], "", str(members), f"{area:f}", "", formatting.yuan_number(shared)),
    )
    return Document(
        title=w["notice"],
        subtitle=facts.village_name,
        number=facts.number or facts.distribution_id,
        fields=tuple(f for f in fields if f.value != ""),
        tables=(
            Rows(w["columns"], table, title=w["table"], widths=(0.7, 1.6, 1.2, 0.7, 1.1, 0.9, 1.5)),
        ),
        notes=(w["notice_note_1"], w["notice_note_2"]),
    )
