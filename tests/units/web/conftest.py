"""Fixtures for the units pages and API: the web shell's app, clients and users (on SQLite and
PostgreSQL), a vault key in the app's instance, and a carbon ticket project of 常口村 with a
lot of 1,000 t, a sale and a pledge. Jobs run in the request's thread, so tests need not wait."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.jobs import runner as job_runner
from ledger.units import services
from ledger.units.services import Buyer
from ledger.vault.crypto import ensure_vault_key
from tests.units import ACTOR, HUAWEI, ICBC, OWNER, make_lot, make_project
from tests.web import conftest as web

# The web shell's fixtures, for the tests here.
app, client, engine, login, world = web.app, web.client, web.engine, web.login, web.world

PROJECT = "CT-0000001"


@dataclass
class Units:
    project: str
    lot: str
    sale_seq: int
    pledge_seq: int


@pytest.fixture
def units(app, monkeypatch) -> Units:
    settings = app.extensions["ledger.settings"]
    ensure_vault_key(settings)
    monkeypatch.setattr(
        job_runner,
        "start_in_thread",
        lambda engine, settings, job_id: job_runner.run_job(engine, settings, job_id),
    )
    engine = app.extensions["ledger.engine"]
    make_project(engine, PROJECT)
    make_lot(engine, PROJECT, "0000001", count=1_000)
    sale = services.sell(
        engine, project=PROJECT, seller=OWNER, buyer=Buyer("company", "华为技术有限公司", HUAWEI),
        price_fen_per_t=1_500, use="esg", kg=300_000, date="2021-05-18", actor=ACTOR,
        within=None,
    )  # fmt: skip
    pledge = services.pledge(
        engine, project=PROJECT, owner=OWNER, pledgee_name="中国工商银行", pledgee_uscc=ICBC,
        kg=100_000, date="2022-01-01", actor=ACTOR, within=None,
    )  # fmt: skip
    return Units(PROJECT, "0000001", sale.entry.seq, pledge.seq)
