"""The community module's demo (``carbon-ledger init --demo``, ``make run``): 常口村 shares
the 140,845 元 its carbon ticket ``0000001`` brought in (the units demo's sale) with its 40
households, from the roster to a finalised and partly paid distribution.

- the roster (version 1): 40 households （示例）, made-up names, well-formed resident ID
  numbers and bank accounts, in the vault;
- the rule 「常口村2021年碳票收益分配办法（示例）」: the collective retains 10 %, 5 % of the
  rest goes to the low-income households, then 50 % by members, 30 % per household, 20 % by
  forest area; at least 7 days of public notice;
- the distribution: drafted, approved by the villagers' assembly (2021-06-20, 52 present, 47
  for), on notice 2021-06-21 to 2021-06-28 with one objection answered, finalised;
- the bank: one batch, every payment made but one (the bank's reason: 户名与账号不符), which
  stays pending, visible to the village and the bureau.

Every write carries an idempotency key, so seeding twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from ledger.community import services
from ledger.community.services import BankResult, Resolution
from ledger.demo import DemoContext
from ledger.vault.crypto import Vault, ensure_vault_key
from ledger.vault.fields import id_check_char

VILLAGE = "350428102201"
ACTOR = "demo:village:350428102201"
AMOUNT_FEN = 14_084_500
HOUSEHOLDS = 40
SURNAMES = "张王李刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "建国秀英志强丽华明辉春梅国平海燕德福玉兰金生"
RULE = {
    "retention_pct": "10",
    "low_income_pct": "5",
    "weights": {"per_capita": "50", "per_household": "30", "by_area": "20"},
    "notice_days": 7,
}
FAILED = 7  # the household whose payment the bank refuses


@dataclass(frozen=True)
class _Line:
    household_code: str
    head_name: str
    id_number: str
    members: int
    forest_area_mu: Decimal
    low_income: bool
    bank_account: str


def roster() -> list[_Line]:
    """The demo's 40 households (made up)."""
    out = []
    for i in range(1, HOUSEHOLDS + 1):
        first17 = f"350428{1960 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        out.append(
            _Line(
                f"CK{i:03d}",
                SURNAMES[i % len(SURNAMES)] + GIVEN[(3 * i) % len(GIVEN)] + GIVEN[i % len(GIVEN)],
                first17 + id_check_char(first17),
                1 + (i * 7) % 6,
                Decimal(20 + (i * 37) % 180) + Decimal(i % 4) / 4,
                i % 9 == 0,
                f"62215818{i:011d}",
            )
        )
    return out


def seed(ctx: DemoContext) -> list[str]:
    engine = ctx.engine
    settings = ctx.instance_settings
    ensure_vault_key(settings)
    vault = Vault.from_settings(settings)
    lines = roster()
    digest = hashlib.sha256(repr(lines).encode()).hexdigest()
    services.save_roster(
        engine, vault, VILLAGE, lines, digest, actor=ACTOR, key="demo-community-roster-1"
    )
    services.add_rule(
        engine,
        VILLAGE,
        "R2021",
        "常口村2021年碳票收益分配办法（示例）",
        RULE,
        actor=ACTOR,
        key="demo-community-rule",
    )
    d = services.draft(
        engine,
        VILLAGE,
        title="2021年林业碳票收益分配（示例）",
        amount_fen=AMOUNT_FEN,
        rule="R2021",
        actor=ACTOR,
        key="demo-community-draft",
    )
    dist = d.distribution
    services.approve(
        engine,
        VILLAGE,
        dist,
        Resolution(
            "2021-06-20",
            "常村民决〔2021〕2号（示例）",
            52,
            47,
            b"demo: the assembly's resolution",
            "村民会议决议扫描件（示例）",
        ),
        actor=ACTOR,
        key="demo-community-approve",
    )
    services.publish(
        engine,
        VILLAGE,
        dist,
        place="常口村村委会公示栏、村务微信群（示例）",
        notice_from="2021-06-21",
        actor=ACTOR,
        key="demo-community-publish",
    )
    services.record_objection(
        engine,
        VILLAGE,
        dist,
        household="CK012",
        summary="我家林地面积应为 95.5 亩（示例）",
        raised_on="2021-06-23",
        actor=ACTOR,
        key="demo-community-objection",
    )
    services.answer_objection(
        engine,
        VILLAGE,
        dist,
        1,
        "经核对林权证，面积以花名册为准，维持原方案（示例）",
        actor=ACTOR,
        key="demo-community-answer",
    )
    d = services.finalise(
        engine, VILLAGE, dist, on="2021-06-29", actor=ACTOR, key="demo-community-finalise"
    )
    batch = services.create_batch(engine, VILLAGE, dist, actor=ACTOR, key="demo-community-batch")
    with engine.connect() as conn:
        payments = services.payments_of(conn, batch.batch)
    accounts = {line.household_code: line.bank_account for line in lines}
    results = [
        BankResult(
            p.line + 1,
            p.line,
            accounts[p.household],
            p.amount_fen,
            p.line != FAILED,
            "户名与账号不符" if p.line == FAILED else None,
        )
        for p in payments
    ]
    services.import_results(
        engine,
        vault,
        VILLAGE,
        batch.batch,
        results,
        hashlib.sha256(b"demo: bank results").hexdigest(),
        actor=ACTOR,
        key="demo-community-results",
    )
    with engine.connect() as conn:
        picture = services.money(conn, VILLAGE)
    return [
        f"demo community: 常口村 shared {AMOUNT_FEN // 100:,} yuan with {d.households} "
        f"households ({picture.paid / 100:,.2f} paid, {picture.pending / 100:,.2f} pending)"
    ]
