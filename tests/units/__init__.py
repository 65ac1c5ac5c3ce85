"""Tests of the units module. Shared here: real unified social credit codes, and a small world
(a village's project with one lot) made through the services on any engine."""

from __future__ import annotations

import hashlib

from ledger.units import services
from ledger.units.model import village_account
from ledger.units.services import Document, IssueSpec, ProjectSpec

ACTOR = "test:bureau:350428"
VILLAGE = "350428102201"
OWNER = village_account(VILLAGE)
#: Real, valid codes (python-stdnum agrees): 华为技术有限公司, 腾讯科技（深圳）有限公司, and a bank
#: (中国工商银行股份有限公司).
HUAWEI = "914403001922038216"
TENCENT = "9144030071526726XG"
ICBC = "91100000100003962T"
COMPANY = f"Assets:Company:{HUAWEI}"
OTHER_COMPANY = f"Assets:Company:{TENCENT}"


def document(title: str = "签发文件") -> Document:
    data = title.encode()
    return Document(hashlib.sha256(data).hexdigest(), len(data), title)


def make_project(
    engine,
    project: str = "CT-TEST",
    *,
    programme: str = "carbon_ticket",
    owner: str = OWNER,
    division: str = VILLAGE,
):
    return services.register_project(
        engine,
        ProjectSpec(project, programme, f"测试项目 {project}", owner, division, "100",
                    ("2016-01-01", "2020-12-31")),
        actor=ACTOR,
        within=None,
    )  # fmt: skip


def make_lot(engine, project: str = "CT-TEST", lot: str = "L1", count: int = 100, **kwargs):
    return services.issue_lot(
        engine,
        IssueSpec(project, lot, 2020, ("2016-01-01", "2020-12-31"), count, "2021-05-18",
                  document(f"签发 {lot}"), **kwargs),
        actor=ACTOR,
        within=None,
    )  # fmt: skip
