"""The certificate for the case file, 林业碳汇认购核销证明, as a receipts-toolkit document
(``docs/receipts.md`` §10).

It states the court, the case number, the defendants (masked), the assessment (method, inputs
and the whole arithmetic), the decision, the units bought (programme, seller, serials,
quantity), price and amount, the retirement reference, and carries the proof of the five
entries it rests on (filing, assessment, decision, purchase, retirement, in that order). Every
value that matters — the case number, the loss, the quantities, the price, the amounts, the
payment and retirement references — is printed *from* those entries (a
:class:`~ledger.receipts.pdf.Bound` field), so ``carbon-ledger receipt verify`` fails when any
of them is edited on the PDF.

:func:`certificate_document` is pure: it takes the facts the judicial services gathered
(:class:`ledger.judicial.certificates.CertificateFacts`, or anything with the same attributes)
and returns the document; :func:`ledger.receipts.issue.issue` renders it with the proofs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ledger import formatting
from ledger.judicial import model
from ledger.judicial.assessment import arithmetic_lines, product_line
from ledger.receipts.lang import gettext as catalog
from ledger.receipts.pdf import Bound, Document, Field, Rows

TITLE = "林业碳汇认购核销证明"
#: The order of the entries a certificate proves (``Bound(..., entry=i)``).
CASE, ASSESSMENT, DECISION, PURCHASE, RETIREMENT = range(5)


class Facts(Protocol):
    """What the certificate needs (see ``CertificateFacts`` in ``certificates.py``)."""

    number: str
    court_name: str
    case_number: str
    defendants_masked: Sequence[str]
    case: Mapping[str, Any]
    assessment: Mapping[str, Any]
    decision: Mapping[str, Any]
    purchase: Mapping[str, Any]
    retirement: Mapping[str, Any]
    entries: Sequence[int]
    seller_names: Mapping[str, str]
    serials: Sequence[str]
    programme_names: Mapping[str, str]
    payer_masked: str


def _t(kg: int) -> str:
    """Tonnes with two decimals, no unit: ``47070`` → ``47.07``."""
    return formatting.tonnes(kg, 2).removesuffix(" 吨")


def _arithmetic_rows(record: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """One row per input (its formula with every factor), a row of the intermediate products
    under each stock item, and the total."""
    lines = arithmetic_lines(record)
    rows = []
    for line, step in zip(lines[:-1], record["steps"], strict=True):
        number, _, text = line.partition(". ")
        rows.append((number, text))
        products = product_line(step)
        if products:
            rows.append(("", products))
    rows.append(("合计", lines[-1].removeprefix("合计 ")))
    return tuple(rows)


def _unit_rows(facts: Facts) -> tuple[tuple[str, ...], ...]:
    rows = []
    for line, serials in zip(facts.purchase["lines"], facts.serials, strict=True):
        rows.append(
            (
                facts.programme_names.get(line["programme"], line["programme"]),
                line["project"],
                facts.seller_names.get(line["seller"], line["seller"]),
                serials,
                _t(line["kg"]),
                formatting.yuan_number(line["price_fen_per_t"]),
                formatting.yuan_number(line["total_fen"]),
            )
        )
    return tuple(rows)


def certificate_document(facts: Facts) -> Document:
    """The certificate of a retired case (Chinese: it goes into a Chinese case file)."""
    _ = catalog("zh")
    case, assessment, decision = facts.case, facts.assessment, facts.decision
    purchase, retirement = facts.purchase, facts.retirement
    record = assessment["record"]
    method = record["method"]
    price = decision["price"]
    account = purchase["restoration_account"]
    offence = (
        case["offence_text"]
        if case["offence"] == "other" and case.get("offence_text")
        else _(model.OFFENCES[case["offence"]])
    )
    fields = [
        Field("证明编号", facts.number),
        Field("审理法院", facts.court_name),
        Field("案号", Bound("/leaf/body/case_number", "text", CASE)),
        Field("被告人", "、".join(facts.defendants_masked)),
        Field("案由", offence),
        Field("立案日期", Bound("/leaf/body/filed_on", "text", CASE)),
        # the assessment
        Field("计量方法", f"{method['name']} {method['version']}（{method['title']}）"),
        Field("鉴定机构", Bound("/leaf/body/assessor", "text", ASSESSMENT)),
        Field("鉴定日期", Bound("/leaf/body/assessed_on", "text", ASSESSMENT)),
        Field("碳汇损失量", Bound("/leaf/body/loss_kg", "tonnes", ASSESSMENT)),
        # the decision
        Field("认购依据", _(model.BASES[decision["basis"]])),
    ]
    if decision["basis"] == "loss":
        fields.append(Field("损失量倍数", Bound("/leaf/body/multiple", "text", DECISION)))
    fields += [
        Field("应认购量", Bound("/leaf/body/exact_kg", "tonnes", DECISION)),
        Field("取整方式", _(model.ROUNDINGS[decision["rounding"]])),
        Field("判定认购量", Bound("/leaf/body/quantity_kg", "tonnes", DECISION)),
        Field(
            "价格依据",
            f"{_(model.PRICE_BASES[price['basis']])}（{price['source']}，{price['date']}）",
        ),
        Field("每吨价格", Bound("/leaf/body/price/fen_per_t", "yuan", DECISION)),
        Field("应付金额", Bound("/leaf/body/amount_fen", "yuan", DECISION)),
        Field("裁判日期", Bound("/leaf/body/decided_on", "text", DECISION)),
    ]
    if decision.get("judgment_ref"):
        fields.append(Field("判决书", decision["judgment_ref"]))
    fields += [
        # the purchase
        Field("缴款人", facts.payer_masked),
        Field("缴款凭证号", Bound("/leaf/body/payment_ref", "text", PURCHASE)),
        Field(
            "生态修复专户",
            f"{account['name']}，{account['bank']}，账号尾号 {account['last4']}",
        ),
        Field("认购碳汇量", Bound("/leaf/body/kg", "tonnes", PURCHASE)),
        Field("认购金额", Bound("/leaf/body/amount_fen", "yuan", PURCHASE)),
        Field("认购金额大写", Bound("/leaf/body/amount_fen", "yuan_capital", PURCHASE)),
        Field("缴款日期", Bound("/leaf/body/paid_on", "text", PURCHASE)),
        # the retirement
        Field("核销凭证号", Bound("/leaf/body/retirement_ref", "text", RETIREMENT)),
        Field("核销碳汇量", Bound("/leaf/body/kg", "tonnes", RETIREMENT)),
        Field("核销日期", Bound("/leaf/body/retired_on", "text", RETIREMENT)),
    ]
    approval = (
        f"经{method['approved_by']}于{method['approved_on']}批准"
        if method.get("approved_by")
        else "随软件提供的缺省参数，未经法院或林业主管部门批准"
    )
    entries = "、".join(str(seq) for seq in facts.entries)
    notes = (
        f"碳汇损失量按计量方法“{method['name']}”第 {method['version']} 版计算（{approval}）；"
        f"方法参数的 SHA-256 摘要为 {method['digest']}。每项乘积均按精确值计算，合计后四舍五入至"
        "千克；吨数为千克数保留两位小数。",
        f"本证明所载的案号、损失量、认购量、价格、金额、缴款与核销凭证号均取自碳账本第 {entries} "
        "号记录，并附有这些记录的证明文件；上述数值如被改动，核验即告失败。",
        f"认购的碳汇已为本案核销（{retirement['retirement_ref']}），同一序列号不得再用于其他案件或交易。",
    )
    return Document(
        title=TITLE,
        subtitle=facts.court_name,
        number=facts.number,
        fields=tuple(fields),
        tables=(
            Rows(
                ("项", "计算过程"), _arithmetic_rows(record), title="碳汇损失量计算", widths=(1, 11)
            ),
            Rows(
                (
                    "碳汇类型",
                    "项目",
                    "出售方",
                    "序列号",
                    "数量（吨）",
                    "单价（元/吨）",
                    "金额（元）",
                ),
                _unit_rows(facts),
                title="认购并核销的碳汇",
                widths=(2, 2.2, 2.6, 3.6, 1.6, 1.8, 1.8),
            ),
        ),
        notes=notes,
    )
