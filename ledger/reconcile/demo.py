"""The reconciliation demo (``carbon-ledger init --demo``, ``make run``).

将乐国有林场's Verra project ``1529`` (recorded in the ledger as ``VCS-JL-1529``, its lot
holding Verra serials 100,000,001–100,030,000) with three retirements in the log: 2,000 t
retired for a carbon company's compliance offset, 1,000 t for a conference's carbon
neutrality, and 500 t for a company's ESG claim. A watched folder in the instance
(``registry/verra/``) holds a small Verra export that shows the first two — and not the third,
so the findings page has a retirement *missing in the registry* to show next to two
*matched* ones. The registry source ``verra-demo`` (the county bureau's, every day at 03:00)
watches that folder; the demo imports it once, so the findings are there at once.

Everything is idempotent: seeding twice adds nothing the second time.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from ledger.core.errors import ConflictError
from ledger.demo import DemoContext
from ledger.reconcile import sources
from ledger.reconcile.matching import match_registry
from ledger.units import services
from ledger.units.services import Buyer, Document, IssueSpec, ProjectSpec

ACTOR = "demo:bureau:350428"
FARM = "Assets:ForestFarm:350428-GYLC"
PROJECT = "VCS-JL-1529"
FIRST = 100_000_001
HEADER = (
    "Issuance Date,Sustainable Development Goals,Credit Type,Vintage Start,Vintage End,"
    "Reporting Period Start,Reporting Period End,ID,Name,Region,Country,Project Type,Methodology,"
    "Total Vintage Quantity,Quantity Issued,Serial Number,Additional Certifications,Is Cancelled,"
    "Retirement/Cancellation Date,Retirement Beneficiary,Retirement Reason,Retirement Details,"
    "Input Type,Holding ID"
)
#: The log's retirements: (key, tonnes, buyer, use, date, shown by the registry).
RETIREMENTS = (
    ("a", 2_000, Buyer("company", "福建示例碳资产管理有限公司（示例）", "91350000MA31Q8K3X1"),
     "compliance_offset", "2023-06-02", True),
    ("b", 1_000, Buyer("organisation", "2024 海峡林业碳汇论坛组委会（示例）"),
     "event_neutrality", "2024-03-15", True),
    ("c", 500, Buyer("company", "将乐示例环保科技有限公司（示例）", "91350428MA34XKCE00"),
     "esg", "2024-09-01", False),
)  # fmt: skip


def _row(start: int, end: int, on: str, who: str, i: int) -> str:
    serial = f"9201-{start}-{end}-VCS-VCU-263-VER-CN-14-1529-01012019-31122019-0"
    day = f"{on[8:10]}/{on[5:7]}/{on[:4]}"
    return (
        f"14/03/2022,,Emission Reduction,01/01/2019,31/12/2019,01/01/2019,31/12/2019,1529,"
        f'"Jiangle State Forest Farm Forest Management (demo)",Asia,China,AFOLU,VM0010,'
        f'"30,000","{end - start + 1:,}",{serial},,False,{day},"{who}",Voluntary,'
        f'"Demo export, 示例",Retirement,H-DEMO-{i}'
    )


def _export(folder: Path, shown: list[tuple[int, int, str, str]]) -> Path:
    """The Verra export of the retirements the registry shows (and the lot's issuance)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "verra-vcs-1529-demo.csv"
    issuance = (
        "14/03/2022,,Emission Reduction,01/01/2019,31/12/2019,01/01/2019,31/12/2019,1529,"
        '"Jiangle State Forest Farm Forest Management (demo)",Asia,China,AFOLU,VM0010,'
        f'"30,000","30,000",9200-{FIRST}-{FIRST + 29_999}-VCS-VCU-263-VER-CN-14-1529-01012019-'
        "31122019-0,,False,,,,,Issuance,H-DEMO-0"
    )
    rows = [issuance, *(_row(*r, i) for i, r in enumerate(shown, 1))]
    text = "\ufeff" + HEADER + "\r\n" + "".join(line + "\r\n" for line in rows)
    if not path.exists() or path.read_text("utf-8") != text:
        path.write_text(text, "utf-8", newline="")
    return path


def seed(ctx: DemoContext) -> list[str]:
    """The reconciliation demo (see the module's docstring)."""
    engine = ctx.engine
    services.register_project(
        engine,
        ProjectSpec(
            PROJECT, "vcs", "将乐国有林场森林经营碳汇项目（Verra，示例）", FARM, "350428", "30000",
            ("2019-01-01", "2028-12-31"), owner_name="将乐国有林场（示例）",
            methodology="VM0010", registry_ids={"verra": "1529"},
        ),
        actor=ACTOR, within=None, key="demo-reconcile-project",
    )  # fmt: skip
    doc = b"demo: Verra issuance 1529 (2019)"
    services.issue_lot(
        engine,
        IssueSpec(PROJECT, "VCS-1529-2019", 2019, ("2019-01-01", "2019-12-31"), 30_000,
                  "2022-03-14", Document(hashlib.sha256(doc).hexdigest(), len(doc),
                                         "Verra 签发记录（示例）"),
                  first=FIRST, serial_prefix="", serial_digits=9),
        actor=ACTOR, within=None, key="demo-reconcile-issue",
    )  # fmt: skip
    shown = []
    for key, tonnes, buyer, use, on, in_registry in RETIREMENTS:
        sale = services.sell(
            engine, project=PROJECT, seller=FARM, buyer=buyer, price_fen_per_t=6_000,
            use=use, kg=tonnes * 1000, retire_units=True, date=on, actor=ACTOR, within=None,
            key=f"demo-reconcile-sale-{key}",
        )  # fmt: skip
        ((_lot, first, last),) = sale.entry.body["serials"]
        if in_registry:
            shown.append((first, last, on, buyer.name))
    settings = ctx.instance_settings
    folder = Path(settings.instance_path).resolve() / "registry" / "verra"
    _export(folder, shown)
    with contextlib.suppress(ConflictError):  # seeded before
        sources.create_source(
            engine, actor=ACTOR, name="verra-demo", format="verra", location_kind="folder",
            location=str(folder), cron="0 3 * * *", division="350428",
        )  # fmt: skip
    source = sources.get_source(engine, "verra-demo")
    results = sources.fetch(
        engine,
        source,
        actor="demo:reconcile",
        match=lambda e, registry: match_registry(
            e, registry, [source.division], grace_days=settings.reconcile_grace_days
        ),
    )
    found = {}
    for r in results:
        for cls, n in r.findings.items():
            found[cls] = found.get(cls, 0) + n
    words = ", ".join(f"{n} {cls}" for cls, n in sorted(found.items())) or "none new"
    return [f"demo reconcile: Verra source verra-demo watching {folder}; findings: {words}"]
