"""The reconciliation report as a PDF through the receipts toolkit, on both databases, from
findings of real retirements: pdftotext shows the summary and the findings that ask for
attention in Chinese (matched ones only counted), pdffonts every font embedded, pdfdetach the
receipt.json; the receipt verifies offline against the log's key; a bureau without findings
is told so; another county's finding is not in the county's report."""

from __future__ import annotations

import re

import pytest

from ledger.receipts.verify import verify
from ledger.reconcile.findings import MISSING, Found, record
from ledger.reconcile.matching import match_registry
from ledger.services import keys
from tests.receipts.conftest import tool, write
from tests.reconcile.test_scenarios import FIRST, OLD, match, project, retire, sell, verra_row
from tests.support.web import sign_in
from tests.support.world import USERS, make_app, seed
from tests.units import make_lot


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def bureau(db_url, tmp_path):
    app = make_app(db_url, tmp_path / "instance")
    seed(app)
    client = app.test_client()
    assert sign_in(client, USERS["bureau_county"][0]).status_code == 302
    yield app, app.extensions["ledger.engine"], client
    app.extensions["ledger.engine"].dispose()


def test_the_pdf_report_lists_what_asks_for_attention_and_verifies(bureau, tmp_path):
    app, engine, client = bureau
    # Without findings there is nothing to report: the page says so.
    empty = client.get("/reconcile/report.pdf")
    assert empty.status_code == 303 and empty.location.endswith("/reconcile/")
    project(engine)
    make_lot(engine, "VCS-1529", "V1", count=1_000, first=FIRST, serial_digits=9)
    sold = sell(engine, 100)
    retire(engine, 50, on=OLD)
    ((_, start, end),) = sold.body["serials"]
    assert match(engine, tmp_path, verra_row(start, end, who="华为技术有限公司")) == {
        "matched": 1,
        "missing_in_registry": 1,
    }
    # Another county's finding stays out of this county's report.
    record(
        engine,
        [Found(MISSING, "gs", "B", ((1, 7),), 7, log_seqs=(1,), divisions=("350403",))],
        "t",
    )
    assert match_registry(engine, "verra") == {}
    response = client.get("/reconcile/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = write(tmp_path, "report.pdf", response.data)
    text = compact(tool("pdftotext", "-layout", str(path), "-"))
    assert "林业碳汇登记对账报告" in text and "将乐县林业局" in text
    assert "登记簿中缺失" in text and "100,000,101" in text and "100,000,150" in text
    assert "一致" in text  # counted in the summary, not listed
    assert "100,000,001" not in text
    assert "1–7" not in text  # another county's
    for line in tool("pdffonts", str(path)).splitlines()[2:]:
        assert line.split()[-5:-2] == ["yes", "yes", "yes"], line
    assert "receipt.json" in tool("pdfdetach", "-list", str(path))
    settings = app.extensions["ledger.settings"]
    verifier = keys.load_signer(settings.key_path, settings.log_origin).verifier()
    proven = verify(response.data, [verifier])
    kinds = sorted(v.entry.kind for v in proven)
    assert kinds == ["reconcile.finding", "reconcile.import"]
