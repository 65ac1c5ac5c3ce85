"""Tests of the judicial module. Shared here: the courts of the test world (将乐县 闽0428 and
三元区 闽0403, as :class:`Org` records), 常口村's carbon ticket project with one lot, and a
case taken from filing to a decision through the services on any engine."""

from __future__ import annotations

import hashlib

from ledger.accounts.model import Org
from ledger.judicial import assessment as A
from ledger.judicial import services
from ledger.judicial.services import (
    DamageItem,
    Payer,
    Price,
    Replanting,
    RestorationAccount,
    Take,
)
from ledger.units.model import village_account
from ledger.vault.crypto import Vault
from tests.units import make_lot, make_project

ACTOR = "test:court:闽0428"
VILLAGE = "350428102201"
SELLER = village_account(VILLAGE)
COURT = Org(1, "court", "闽0428", "将乐县人民法院", "county", "350428")
COURT2 = Org(2, "court", "闽0403", "三元区人民法院", "county", "350403")
CASE_NUMBER = "(2023)闽0428刑初45号"
CASE = "2023-XC-45"
VAULT_KEY = bytes(range(32))
ONE_YUAN = Price("programme", 10_000, "2023-06-01", "一元碳汇 100 元/吨")
ACCOUNT = RestorationAccount(
    "将乐县林业局生态修复专户", "中国农业银行将乐县支行", "1234 5678 9012 3456"
)
KW = {"actor": ACTOR}


def vault() -> Vault:
    return Vault.from_key(VAULT_KEY)


def world(engine, count: int = 100) -> None:
    """常口村's carbon ticket project CT-TEST with lot L1 of ``count`` t, and the shipped
    assessment method recorded."""
    make_project(engine)
    make_lot(engine, count=count)
    services.seed_shipped_methods(engine, actor="test:admin")


def file_case(engine, number: str = CASE_NUMBER, court: Org = COURT, **kw):
    return services.file_case(
        engine, vault(), court=court, case_number=number, offence="lanfa",
        defendants=["欧阳春华"],
        damage=[DamageItem("杉木", 120, "10", "standing", "3.5", "350428102201")],
        replanting=Replanting("5", "杉木", "2024-03-31"), filed_on="2023-05-10",
        actor=ACTOR, **kw,
    )  # fmt: skip


def assess(engine, case: str = CASE, court: Org = COURT, volume: str = "10"):
    return services.assess_case(
        engine, court=court, case=case, method="AR-CM-001 defaults",
        inputs=[A.StockItem.of("杉木", volume, "standing")], assessor="福建某林业司法鉴定中心",
        assessed_on="2023-05-20", **KW,
    )  # fmt: skip


def decide(engine, case: str = CASE, court: Org = COURT, **kw):
    return services.decide_case(
        engine, court=court, case=case, price=ONE_YUAN, decided_on="2023-06-01",
        judgment_ref="(2023)闽0428刑初45号判决", **kw, **KW,
    )  # fmt: skip


def buy(engine, takes, case: str = CASE, court: Org = COURT, key=None):
    return services.purchase(
        engine, vault(), court=court, case=case, takes=takes,
        payer=Payer("person", "欧阳春华"), payment_ref="NYYH-20230605-001",
        restoration_account=ACCOUNT, paid_on="2023-06-05", key=key, **KW,
    )  # fmt: skip


def to_decision(engine, number: str = CASE_NUMBER, court: Org = COURT, **kw):
    """File, assess (杉木 10 m³ standing: 11,917 kg) and decide (up to 12 t at 100 元/t)."""
    case = file_case(engine, number, court)
    assess(engine, case.case, court)
    decide(engine, case.case, court, **kw)
    return case


def document_digest(text: str) -> tuple[str, int]:
    data = text.encode()
    return hashlib.sha256(data).hexdigest(), len(data)


__all__ = ["Take", "to_decision"]
