"""The units module's demo (``carbon-ledger init --demo``, ``make run``).

- 常口村 (将乐县高唐镇, 350428102201): carbon ticket ``0000001`` (3,197 亩, 12,723 t,
  issued 2021-05-18) and its first sale: 2,723 t at 15 元/t to a company and 10,000 t at
  10 元/t to a carbon company, 140,845 元 in all;
- an FFCER forest-management project of 将乐县's state forest farm, with 300 t sold for the
  carbon neutrality of the 44th session of the World Heritage Committee (2021), and part of
  the farm's units pledged to a bank;
- the one-yuan carbon project ``SC-001`` of a village collective of 顺昌县, with a few hundred
  purchases imported from a mini-programme export, and more than 100,000 kg left.

Companies, banks and buyers marked （示例） are made up; their credit codes are only
well-formed. Every write carries an idempotency key (purchases are idempotent by order id),
so seeding twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib

from ledger.demo import DemoContext
from ledger.units import oneyuan, services
from ledger.units.services import Buyer, Document, IssueSpec, ProjectSpec
from ledger.vault.crypto import Vault, ensure_vault_key

ACTOR = "demo:bureau:350428"
CHANGKOU = "350428102201"
CHANGKOU_ACCOUNT = f"Assets:Village:{CHANGKOU}:Collective"
FARM = "Assets:ForestFarm:350428-GYLC"
SHUNCHANG_VILLAGE = "350721100201"
COMPANY = Buyer("company", "将乐示例环保科技有限公司（示例）", "91350428MA34XKCE00")
CARBON_COMPANY = Buyer("company", "福建示例碳资产管理有限公司（示例）", "91350000MA31Q8K3X1")
BANK = ("将乐示例农村商业银行（示例）", "91350428MA2YB6TC01")
PURCHASES = 300


def _document(title: str) -> Document:
    data = f"demo: {title}".encode()
    return Document(hashlib.sha256(data).hexdigest(), len(data), title)


def _changkou(ctx: DemoContext) -> list[str]:
    engine = ctx.engine
    services.register_project(
        engine,
        ProjectSpec(
            "CT-0000001", "carbon_ticket", "常口村生态公益林林业碳票", CHANGKOU_ACCOUNT,
            CHANGKOU, "3197", ("2016-01-01", "2020-12-31"),
            methodology="林业碳票碳减排量计量方法（三明）",
            monitoring_periods=(("2016-01-01", "2020-12-31"),),
            registry_ids={"ticket": "0000001"},
        ),
        actor=ACTOR, within=None, key="demo-units-project-CT-0000001",
    )  # fmt: skip
    services.issue_lot(
        engine,
        IssueSpec("CT-0000001", "0000001", 2020, ("2016-01-01", "2020-12-31"), 12_723,
                  "2021-05-18", _document("林业碳票 0000001 签发文件（示例）")),
        actor=ACTOR, within=None, key="demo-units-issue-0000001",
    )  # fmt: skip
    first = services.sell(
        engine, project="CT-0000001", seller=CHANGKOU_ACCOUNT, buyer=COMPANY,
        price_fen_per_t=1_500, use="esg", kg=2_723_000, retire_units=True,
        claim="企业年度碳中和（示例）", date="2021-05-18", actor=ACTOR, within=None,
        key="demo-units-sale-0000001-a",
    )  # fmt: skip
    second = services.sell(
        engine, project="CT-0000001", seller=CHANGKOU_ACCOUNT, buyer=CARBON_COMPANY,
        price_fen_per_t=1_000, use="other", kg=10_000_000, date="2021-05-18", actor=ACTOR,
        within=None, key="demo-units-sale-0000001-b",
    )  # fmt: skip
    total = (first.total_fen + second.total_fen) // 100
    return [f"demo units: 常口村 carbon ticket 0000001 sold for {total:,} yuan"]


def _ffcer(ctx: DemoContext) -> list[str]:
    engine = ctx.engine
    services.register_project(
        engine,
        ProjectSpec(
            "FFCER-JL-001", "ffcer", "将乐国有林场森林经营碳汇项目（示例）", FARM, "350428",
            "52000", ("2016-01-01", "2035-12-31"), owner_name="将乐国有林场（示例）",
            methodology="AR-CM-003 森林经营碳汇项目方法学",
            monitoring_periods=(("2016-01-01", "2020-12-31"),),
            registry_ids={"exchange": "HXEE-FFCER-2021-001（示例）"},
        ),
        actor=ACTOR, within=None, key="demo-units-project-FFCER-JL-001",
    )  # fmt: skip
    services.issue_lot(
        engine,
        IssueSpec("FFCER-JL-001", "FFCER-JL-001-M1", 2020, ("2016-01-01", "2020-12-31"),
                  20_000, "2021-06-30", _document("FFCER 减排量签发文件（示例）")),
        actor=ACTOR, within=None, key="demo-units-issue-FFCER-JL-001-M1",
    )  # fmt: skip
    services.sell(
        engine, project="FFCER-JL-001", seller=FARM,
        buyer=Buyer("organisation", "第44届世界遗产大会组委会（示例）"),
        price_fen_per_t=2_000, use="event_neutrality", kg=300_000,
        claim="第44届世界遗产大会（福州，2021）碳中和", date="2021-07-16", actor=ACTOR,
        within=None, key="demo-units-sale-FFCER-whc44",
    )  # fmt: skip
    services.pledge(
        engine, project="FFCER-JL-001", owner=FARM, pledgee_name=BANK[0],
        pledgee_uscc=BANK[1], kg=5_000_000, loan_ref="JLNS-2022-0001（示例）",
        date="2022-03-01", document=_document("碳汇质押合同（示例）"), actor=ACTOR, within=None,
        key="demo-units-pledge-FFCER-JL-001",
    )  # fmt: skip
    return ["demo units: FFCER project with an event-neutrality sale and a pledge"]


def _one_yuan(ctx: DemoContext) -> list[str]:
    engine = ctx.engine
    services.register_project(
        engine,
        ProjectSpec(
            "SC-001", "one_yuan", "顺昌一元碳汇（示例村集体林）",
            f"Assets:Village:{SHUNCHANG_VILLAGE}:Collective", SHUNCHANG_VILLAGE, "1200",
            ("2020-01-01", "2029-12-31"),
        ),
        actor="demo:bureau:350721", within=None, key="demo-units-project-SC-001",
    )  # fmt: skip
    services.issue_lot(
        engine,
        IssueSpec("SC-001", "SC-001-2020", 2020, ("2020-01-01", "2020-12-31"), 100_000,
                  "2021-03-01", _document("一元碳汇 SC-001 核证文件（示例）")),
        actor="demo:bureau:350721", within=None, key="demo-units-issue-SC-001-2020",
    )  # fmt: skip
    settings = ctx.instance_settings
    ensure_vault_key(settings)
    result = oneyuan.import_purchases(
        engine, Vault.from_settings(settings), purchases_csv(), actor="demo:bureau:350721",
        now="2026-01-01T00:00:00.000000Z",
    )  # fmt: skip
    return [
        f"demo units: one-yuan SC-001, {result.imported} purchases imported "
        f"({result.skipped_existing} already there)"
    ]


def purchases_csv() -> bytes:
    """A mini-programme export of :data:`PURCHASES` purchases of 1 to 50 yuan in 2024."""
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    lines = ["order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code"]
    for i in range(PURCHASES):
        yuan = 1 + (i * 7) % 50
        name = surnames[i % len(surnames)] + given[(i * 3) % len(given)]
        lines.append(
            f"WX2024{i:06d},2024-{1 + i % 12:02d}-{1 + i % 28:02d} {8 + i % 12:02d}:"
            f"{i % 60:02d}:00,{name},{yuan},{10 * yuan},YYTH-SC001-{i:06d},SC-001"
        )
    return ("\n".join(lines) + "\n").encode()


def seed(ctx: DemoContext) -> list[str]:
    """The units demo (see the module's docstring)."""
    return [*_changkou(ctx), *_ffcer(ctx), *_one_yuan(ctx)]
