"""The judicial purchase through the locked write path: ``judicial.purchase.<db>``
(``python -m bench --only purchase``).

Each purchase reads the case and its decision, takes the seller's lowest serials, appends a
``units.transfer`` (checked by the units projection) and the ``judicial.purchase`` entry that
posts the yuan to the seller, in one write transaction. Its ceiling, measured in the same run
on the same database: as many bare ``units.transfer`` writes of the same quantity (the units
module's own move through the same lock). Cases are filed, assessed and decided beforehand
(not timed).
"""

from __future__ import annotations

import hashlib
import os
import time

from bench.common import postgres_database, progress, rate_result, sqlite_database
from ledger.accounts.model import Org
from ledger.judicial import assessment as A
from ledger.judicial import services
from ledger.units import services as units
from ledger.units.services import Document, IssueSpec, ProjectSpec
from ledger.vault.crypto import Vault

CASES = 100
TARGET = 0.3
ACTOR = "bench:court"
VILLAGE = "350428102201"
SELLER = f"Assets:Village:{VILLAGE}:Collective"
COMPANY = "Assets:Company:914403001922038216"
COURT = Org(1, "court", "闽0428", "将乐县人民法院", "county", "350428")
PRICE = services.Price("programme", 10_000, "2023-06-01", "一元碳汇 100 元/吨")
ACCOUNT = services.RestorationAccount("生态修复专户（基准）", "银行（基准）", "1234567890123456")
DATABASES = {"sqlite": sqlite_database, "postgresql": postgres_database}


def _setup(engine, vault: Vault) -> list[str]:
    """A carbon ticket lot big enough for the cases and the ceiling, the shipped method, and
    ``CASES`` cases decided at 12 t each."""
    units.register_project(
        engine,
        ProjectSpec("CT-BENCH", "carbon_ticket", "林业碳票（基准）", SELLER, VILLAGE, "1000",
                    ("2016-01-01", "2020-12-31")),
        actor=ACTOR, within=None,
    )  # fmt: skip
    doc = Document(hashlib.sha256(b"bench").hexdigest(), 5, "签发文件（基准）")
    units.issue_lot(
        engine,
        IssueSpec("CT-BENCH", "B1", 2020, ("2016-01-01", "2020-12-31"), CASES * 30,
                  "2021-05-18", doc),
        actor=ACTOR, within=None,
    )  # fmt: skip
    services.seed_shipped_methods(engine, actor=ACTOR)
    keys = []
    for i in range(CASES):
        case = services.file_case(
            engine, vault, court=COURT, case_number=f"(2023)闽0428刑初{i + 1}号",
            offence="lanfa", defendants=["欧阳春华"], filed_on="2023-05-10", actor=ACTOR,
        )  # fmt: skip
        services.assess_case(
            engine, court=COURT, case=case.case, method="AR-CM-001 defaults",
            inputs=[A.StockItem.of("杉木", "10", "standing")], assessor="鉴定中心（基准）",
            assessed_on="2023-05-20", actor=ACTOR,
        )  # fmt: skip
        services.decide_case(
            engine, court=COURT, case=case.case, price=PRICE, decided_on="2023-06-01",
            actor=ACTOR,
        )  # fmt: skip
        keys.append(case.case)
    return keys


def run(db: str) -> object:
    name = f"judicial.purchase.{db}"
    vault = Vault.from_key(os.urandom(32))
    with DATABASES[db]() as engine:
        cases = _setup(engine, vault)
        start = time.perf_counter()
        for case in cases:
            services.purchase(
                engine, vault, court=COURT, case=case,
                takes=[services.Take("CT-BENCH", SELLER, kg=12_000)],
                payer=services.Payer("person", "欧阳春华"), payment_ref="BENCH-1",
                restoration_account=ACCOUNT, paid_on="2023-06-05", actor=ACTOR,
            )  # fmt: skip
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        for _ in cases:
            units.transfer(
                engine, project="CT-BENCH", from_=SELLER, to=COMPANY, kg=12_000,
                actor=ACTOR, within=None,
            )  # fmt: skip
        ceiling = time.perf_counter() - start
    progress(f"{name}: {CASES / seconds:,.1f} purchases/s (transfers {CASES / ceiling:,.1f}/s)")
    return rate_result(name, CASES, seconds, ceiling, TARGET, unit="purchases/s")
