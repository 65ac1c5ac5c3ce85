"""The reconciliation demo on both databases: a Verra source watching a folder in the instance,
whose export shows two of the demo's three retirements: two matched findings and one missing in
the registry for 将乐县's bureau; seeding again adds nothing; the log verifies."""

from __future__ import annotations

from ledger.accounts.passwords import Hasher
from ledger.config import load_settings
from ledger.demo import seed_demo
from ledger.reconcile import findings, sources
from ledger.reconcile.findings import MATCHED, MISSING
from ledger.services.verify import verify_log
from tests.services import ORIGIN
from tests.services.test_checkpoints import SIGNER


def test_the_demo_has_a_watched_verra_folder_and_findings_to_show(engine, instance):
    settings = load_settings()
    lines = seed_demo(engine, SIGNER, ORIGIN, hasher=Hasher(1, 8, 1), settings=settings)
    assert any("verra-demo" in line and "1 missing_in_registry" in line for line in lines)
    (source,) = sources.list_sources(engine, "350428")
    folder = instance / "registry" / "verra"
    assert source.location == str(folder.resolve()) and source.location_kind == "folder"
    assert [p.name for p in folder.iterdir()] == ["verra-vcs-1529-demo.csv"]
    shown = findings.list_findings(engine, "350428")
    assert sorted(f.cls for f in shown) == [MATCHED, MATCHED, MISSING]
    (missing,) = [f for f in shown if f.cls == MISSING]
    assert missing.quantity == 500 and missing.first_serial == 100_003_001
    again = seed_demo(engine, SIGNER, ORIGIN, hasher=Hasher(1, 8, 1), settings=settings)
    assert any("verra-demo" in line and "none new" in line for line in again)
    assert len(findings.list_findings(engine, "350428")) == 3
    assert verify_log(engine, [SIGNER.verifier()]) == []
