"""The community module's finalisation benchmark.

``distribution.finalise.<db>``: allocations/s finalising a distribution over a roster of
10,000 households (``ledger.community.services.finalise``: the head lock, the roster read
from the projection, the exact allocation, one ``community.allocation`` entry per household
with its two CNY postings, the ``community.finalise`` entry, the balances, the party index and
the community projections, in one transaction), against the append benchmark's ceiling of the
same run (bare inserts of entry and posting rows of payouts of the same shape; target ratio
≥ 0.5). The village's revenue, the roster (vault records included), the rule, the draft, the
approval and the notice are made before timing, then the database is analysed (as autovacuum
would have done); each round uses a fresh database.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

from bench.common import DATABASES, Result, progress
from ledger.community import services
from ledger.community.services import Resolution
from ledger.units import services as units
from ledger.units.services import Buyer, Document, IssueSpec, ProjectSpec
from ledger.vault.crypto import Vault
from ledger.vault.fields import id_check_char

HOUSEHOLDS = 10_000
ROUNDS = 2
TARGET = 0.5
VILLAGE = "350428102201"
COLLECTIVE = f"Assets:Village:{VILLAGE}:Collective"
ACTOR = "bench"


class _Line:
    __slots__ = (
        "bank_account",
        "forest_area_mu",
        "head_name",
        "household_code",
        "id_number",
        "low_income",
        "members",
    )  # fmt: skip

    def __init__(self, i: int):
        first = f"3504281980{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        self.household_code = f"CK{i:05d}"
        self.head_name = f"村民{i}"
        self.id_number = first + id_check_char(first)
        self.members = 1 + i % 7
        self.forest_area_mu = Decimal(i % 400) / 4
        self.low_income = i % 23 == 0
        self.bank_account = f"62220202{i:011d}"


def setup(engine, vault: Vault) -> str:
    """A funded village with a 10,000-household roster and a distribution on notice."""
    units.register_project(
        engine,
        ProjectSpec("CT-BENCH", "carbon_ticket", "基准项目", COLLECTIVE, VILLAGE, "100000",
                    ("2016-01-01", "2020-12-31")),
        actor=ACTOR, within=None,
    )  # fmt: skip
    units.issue_lot(
        engine,
        IssueSpec("CT-BENCH", "LB", 2020, ("2016-01-01", "2020-12-31"), 100_000, "2021-05-18",
                  Document("0" * 64, 1, "签发")),
        actor=ACTOR, within=None,
    )  # fmt: skip
    units.sell(
        engine, project="CT-BENCH", seller=COLLECTIVE,
        buyer=Buyer("company", "华为技术有限公司", "914403001922038216"),
        price_fen_per_t=1_500, use="esg", kg=100_000_000, date="2021-06-01", actor=ACTOR,
        within=None,
    )  # fmt: skip
    lines = [_Line(i) for i in range(HOUSEHOLDS)]
    services.save_roster(engine, vault, VILLAGE, lines, "ab" * 32, actor=ACTOR, key="roster")
    rule = {"retention_pct": "10", "low_income_pct": "5",
            "weights": {"per_capita": "50", "per_household": "30", "by_area": "20"}}  # fmt: skip
    services.add_rule(engine, VILLAGE, "R1", "基准规则", rule, actor=ACTOR, key="rule")
    d = services.draft(engine, VILLAGE, title="基准分配", amount_fen=123_456_789, rule="R1",
                       actor=ACTOR, key="draft")  # fmt: skip
    services.approve(engine, VILLAGE, d.distribution,
                     Resolution("2021-07-01", "基准决议", 100, 80, b"scan"), actor=ACTOR,
                     key="approve")  # fmt: skip
    services.publish(engine, VILLAGE, d.distribution, place="公示栏",
                     notice_from="2021-07-02", actor=ACTOR, key="publish")  # fmt: skip
    if engine.dialect.name == "postgresql":
        # What autovacuum does on a live server: without statistics PostgreSQL plans the
        # posting rows' foreign-key check on a nearly empty log as a sequential scan, and
        # keeps that plan for the connection (quadratic in the batch).
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return d.distribution


def run_finalise(db: str, append_ceiling: float) -> Result:
    """``distribution.finalise.<db>``: the best of :data:`ROUNDS`, against the ceiling."""
    name = f"distribution.finalise.{db}"
    vault = Vault.from_key(os.urandom(32))
    best = float("inf")
    for n in range(ROUNDS):
        with DATABASES[db]() as engine:
            distribution = setup(engine, vault)
            start = time.perf_counter()
            d = services.finalise(engine, VILLAGE, distribution, on="2021-07-10", actor=ACTOR,
                                  key="finalise")  # fmt: skip
            seconds = time.perf_counter() - start
        if d.households != HOUSEHOLDS:
            raise RuntimeError(f"{name}: finalised {d.households} of {HOUSEHOLDS}")
        progress(f"{name} round {n + 1}: {HOUSEHOLDS / seconds:,.0f} allocations/s")
        best = min(best, seconds)
    value = HOUSEHOLDS / best
    ratio = value / append_ceiling
    progress(f"{name}: {value:,.0f} allocations/s (append ceiling {append_ceiling:,.0f})")
    return Result(
        name, round(value, 1), "allocations/s", round(append_ceiling, 1), round(ratio, 3),
        f">= {TARGET} ratio", ratio >= TARGET,
    )  # fmt: skip
