"""Tests of the community module. Shared here: a village whose collective received money from
a carbon sale (through the units services), roster lines with valid resident ID numbers, and
a sharing rule."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

from ledger.units import services as units
from ledger.units.services import Buyer
from ledger.vault.crypto import Vault
from ledger.vault.fields import id_check_char
from tests.units import HUAWEI, VILLAGE, make_lot, make_project

ACTOR = "test:village:350428102201"
VAULT = Vault.from_key(os.urandom(32))
RULE = {
    "retention_pct": "10",
    "low_income_pct": "5",
    "weights": {"per_capita": "50", "per_household": "30", "by_area": "20"},
}


def fund(engine, tonnes: int = 100, price_fen_per_t: int = 1_500) -> int:
    """Sell ``tonnes`` of the village's carbon at ``price_fen_per_t``: the collective
    receives ``tonnes × price`` fen."""
    make_project(engine)
    make_lot(engine, count=max(tonnes, 1))
    sale = units.sell(
        engine,
        project="CT-TEST",
        seller=f"Assets:Village:{VILLAGE}:Collective",
        buyer=Buyer("company", "华为技术有限公司", HUAWEI),
        price_fen_per_t=price_fen_per_t,
        use="esg",
        kg=tonnes * 1000,
        date="2021-06-01",
        actor="test:bureau:350428",
        within=None,
    )
    return sale.total_fen


def id_number(n: int) -> str:
    first = f"350428198{n % 10}0101{n % 1000:03d}"
    return first + id_check_char(first)


@dataclass(frozen=True)
class Line:
    household_code: str
    head_name: str
    id_number: str
    members: int
    forest_area_mu: Decimal
    low_income: bool
    bank_account: str


def lines(n: int = 3) -> list[Line]:
    """``n`` households: H001 (4 members, 10.5 mu, low-income), then 3 members and 20 mu…"""
    out = []
    for i in range(1, n + 1):
        out.append(
            Line(
                f"CK{i:03d}",
                f"张{'三四五六七八九十'[i % 8]}华",
                id_number(i),
                4 if i == 1 else 3,
                Decimal("10.5") if i == 1 else Decimal(20),
                i == 1,
                f"6222020200112233{i:03d}",
            )
        )
    return out


def finalised(engine, n: int = 3, amount_fen: int = 100_000):
    """A village funded with 1,500 元, a roster of ``n`` households, rule R1, and a
    distribution of ``amount_fen`` taken through approval, notice and finalisation."""
    from ledger.community import services
    from ledger.community.services import Resolution

    fund(engine)
    services.save_roster(engine, VAULT, VILLAGE, lines(n), "ab" * 32, actor=ACTOR, key="r1")
    services.add_rule(engine, VILLAGE, "R1", "标准规则", RULE, actor=ACTOR, key="rule1")
    d = services.draft(
        engine,
        VILLAGE,
        title="2021年碳票收益分配",
        amount_fen=amount_fen,
        rule="R1",
        actor=ACTOR,
        key="d1",
    )
    services.approve(
        engine,
        VILLAGE,
        d.distribution,
        Resolution("2021-07-01", "常村决〔2021〕3号", 40, 31, b"scan"),
        actor=ACTOR,
        key="a1",
    )
    services.publish(
        engine,
        VILLAGE,
        d.distribution,
        place="村委会公示栏",
        notice_from="2021-07-02",
        actor=ACTOR,
        key="p1",
    )
    return services.finalise(
        engine, VILLAGE, d.distribution, on="2021-07-10", actor=ACTOR, key="f1"
    )


def roster_csv(rows: list[Line], *, bom: bool = True) -> bytes:
    """The roster file of ``rows`` as a village would upload it."""
    header = "household_code,head_name,id_number,members,forest_area_mu,low_income,bank_account"
    out = [header] + [
        f"{r.household_code},{r.head_name},{r.id_number},{r.members},{r.forest_area_mu},"
        f"{'是' if r.low_income else '否'},{r.bank_account}"
        for r in rows
    ]
    return ("\ufeff" if bom else "").encode() + ("\n".join(out) + "\n").encode()
