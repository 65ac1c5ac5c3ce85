"""The judicial module's demo (``carbon-ledger init --demo``, ``make run``): a case of the
将乐县人民法院 (闽0428) from filing to certificate, paying 常口村 for carbon ticket units.

- the shipped assessment method ``AR-CM-001 defaults`` recorded;
- 常口村's carbon ticket project gets a second lot (``0000001-M2``, 500 t for its second
  monitoring period), since the demo of the units module sold the first one;
- case (2023)闽0428刑初45号: excess logging of Chinese fir (15.6 m³ standing volume) in
  常口村, the defendant's restoration undertaking anchored; assessed by the shipped method;
  decided at the exchange's carbon ticket price, rounded up to whole tonnes; bought from
  常口村 (the yuan posted to the village), retired with the exchange's reference, and
  certified.

Names, references and prices marked （示例） are made up. Every write carries an idempotency
key, so seeding twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from ledger.accounts import services as accounts
from ledger.demo import DemoContext
from ledger.judicial import assessment as A
from ledger.judicial import certificates, model, services
from ledger.judicial.projection import CASE_T
from ledger.storage.db import read_transaction
from ledger.units import services as units
from ledger.units.services import Document, IssueSpec
from ledger.vault.crypto import Vault, ensure_vault_key

ACTOR = "demo:court:闽0428"
CASE_NUMBER = "(2023)闽0428刑初45号"
PROJECT = "CT-0000001"
LOT = "0000001-M2"
CHANGKOU = "Assets:Village:350428102201:Collective"
PRICE_SOURCE = "海峡股权交易中心林业碳票成交价（示例）"
ACCOUNT_NUMBER = "9350 0428 0000 0045"


def _document(title: str) -> tuple[str, int]:
    data = f"demo: {title}".encode()
    return hashlib.sha256(data).hexdigest(), len(data)


def _second_lot(ctx: DemoContext) -> None:
    sha, size = _document("林业碳票 0000001 第二监测期签发文件（示例）")
    units.issue_lot(
        ctx.engine,
        IssueSpec(PROJECT, LOT, 2022, ("2021-01-01", "2022-12-31"), 500, "2023-03-20",
                  Document(sha, size, "林业碳票 0000001 第二监测期签发文件（示例）")),
        actor="demo:bureau:350428", within=None, key="demo-judicial-lot-0000001-M2",
    )  # fmt: skip


def seed(ctx: DemoContext) -> list[str]:
    """The judicial demo (see the module's docstring)."""
    engine = ctx.engine
    settings = ctx.instance_settings
    ensure_vault_key(settings)
    vault = Vault.from_settings(settings)
    services.seed_shipped_methods(engine, actor="demo:admin")
    with read_transaction(engine) as conn:
        court = accounts.find_org(conn, "court", "闽0428")
        lot_exists = bool(units.lots_of(conn, lots=[LOT]))
        done = conn.execute(
            select(CASE_T.c.state).where(CASE_T.c.case_number == CASE_NUMBER)
        ).scalar_one_or_none()
    if court is None:
        return ["demo judicial: no court 闽0428 (the accounts demo makes it)"]
    if done == model.CERTIFIED_STATE:
        return [f"demo judicial: case {CASE_NUMBER} already certified"]
    if not lot_exists:
        _second_lot(ctx)
    case = services.file_case(
        engine, vault, court=court, case_number=CASE_NUMBER, offence="lanfa",
        defendants=["廖文华"],
        damage=[services.DamageItem("杉木", 86, "15.6", "standing", "4.2", "350428102201")],
        replanting=services.Replanting("8", "杉木", "2024-03-31"), filed_on="2023-04-12",
        actor=ACTOR, key="demo-judicial-file",
    )  # fmt: skip
    sha, size = _document("恢复生态环境承诺书（示例）")
    services.anchor_document(
        engine, court=court, case=case.case, doc="undertaking", sha256=sha, size=size,
        title="恢复生态环境承诺书（示例）", actor=ACTOR, key="demo-judicial-undertaking",
    )  # fmt: skip
    services.assess_case(
        engine, court=court, case=case.case, method="AR-CM-001 defaults",
        inputs=[A.StockItem.of("杉木", "15.6", "standing")],
        assessor="将乐县林业局委托的林业司法鉴定机构（示例）", assessed_on="2023-05-08",
        actor=ACTOR, key="demo-judicial-assess",
    )  # fmt: skip
    decision = services.decide_case(
        engine, court=court, case=case.case,
        price=services.Price("exchange", 2_000, "2023-05-31", PRICE_SOURCE),
        rounding="up_to_t", judgment_ref="(2023)闽0428刑初45号刑事判决书",
        decided_on="2023-06-06", actor=ACTOR, key="demo-judicial-decide",
    )  # fmt: skip
    services.purchase(
        engine, vault, court=court, case=case.case,
        takes=[services.Take(PROJECT, CHANGKOU, kg=decision.body["quantity_kg"])],
        payer=services.Payer("person", "廖文华"), payment_ref="JLNS-20230612-0045（示例）",
        restoration_account=services.RestorationAccount(
            "将乐县林业局生态修复专户（示例）", "将乐示例农村商业银行（示例）", ACCOUNT_NUMBER
        ),
        paid_on="2023-06-12", actor=ACTOR, key="demo-judicial-purchase",
    )  # fmt: skip
    services.retire_case(
        engine, court=court, case=case.case, retirement_ref="HXEE-SFTH-2023-0045（示例）",
        retired_on="2023-06-15", actor=ACTOR, key="demo-judicial-retire",
    )  # fmt: skip
    issuer = certificates.Issuer(ctx.signer, ctx.origin, settings.public_base)
    certificates.certify_case(
        engine, issuer, vault, court=court, case=case.case, actor=ACTOR,
        certified_on="2023-06-16", key="demo-judicial-certify",
    )  # fmt: skip
    tonnes = model.tonnes(decision.body["quantity_kg"])
    yuan = decision.body["amount_fen"] / 100
    return [
        f"demo judicial: case {CASE_NUMBER} certified ({tonnes} t bought from 常口村 for "
        f"{yuan:,.2f} yuan)"
    ]
