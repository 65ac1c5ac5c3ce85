"""The certificate of a retired case on both databases: issuing it records the certified
step; its text (pdftotext) shows the court, the case number, the masked defendant, the tonnes,
the amount, the seller and the retirement reference; ``carbon-ledger receipt verify`` accepts
it; a case not yet retired gets none and nothing is written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ledger.core.errors import ConflictError
from ledger.judicial import certificates, services
from ledger.receipts.issue import Issuer
from ledger.services.keys import create_signing_key
from ledger.storage.db import read_transaction
from tests.conftest import REPO
from tests.judicial import ACTOR, COURT, SELLER, Take, buy, to_decision, vault, world
from tests.storage.writer import table_state

ORIGIN = "test.carbon-ledger.localhost/log"


@pytest.fixture
def issuer(tmp_path) -> Issuer:
    signer, _ = create_signing_key(tmp_path / "keys", ORIGIN)
    return Issuer(signer, ORIGIN, "https://ledger.example.cn")


def test_the_certificate_states_the_case_and_verifies(engine, issuer, tmp_path):
    world(engine)
    case = to_decision(engine)
    buy(engine, [Take("CT-TEST", SELLER, kg=12_000)])
    before_refused = table_state(engine)
    with pytest.raises(ConflictError):
        certificates.certify_case(engine, issuer, vault(), court=COURT, case=case.case, actor=ACTOR)
    assert table_state(engine) == before_refused
    services.retire_case(
        engine, court=COURT, case=case.case, retirement_ref="HXEE-ZX-2023-0088", actor=ACTOR
    )
    entry, pdf = certificates.certify_case(
        engine, issuer, vault(), court=COURT, case=case.case, actor=ACTOR
    )
    assert entry.body["certificate"] == "SFTH-350428-2023-XC-45"
    with read_transaction(engine) as conn:
        row = services.get_case(conn, "350428", case.case)
    assert row.state == "certified"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "林业碳汇认购核销证明",
        "将乐县人民法院",
        "(2023)闽0428刑初45号",
        "欧**华",
        "12.00",
        "1,200.00",
        "HXEE-ZX-2023-0088",
        "L1-001–L1-012",
    ):
        assert expected in text, expected
    assert "欧阳春华" not in text
    verified = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "receipt", "verify", str(path), "--vkey",
         issuer.signer.verifier_key()],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = certificates.certificate_pdf(engine, issuer, vault(), row)
    assert again[:5] == b"%PDF-"
