"""The certificate on real entries, on both databases: a 将乐县 case filed, assessed (杉木 10 m³
standing: 11,917 kg), decided (up to 12 t at 100 元/t: 1,200.00 元), bought from 常口村's lot and
retired through the judicial services; its PDF shows the case number, the tonnes and the
amount, embeds its fonts and its proof, and ``carbon-ledger receipt verify`` (a separate
process) passes and says what each entry states in Chinese — and fails once the printed amount
is edited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.core.note import Signer
from ledger.judicial import model, services
from ledger.judicial.documents import certificate_document
from ledger.platform import registry
from ledger.receipts.facts import accounts_in_words
from ledger.receipts.issue import Issuer, issue
from ledger.receipts.lang import gettext
from ledger.storage.db import read_transaction
from ledger.units.model import PROGRAMMES
from tests.judicial import CASE, COURT, SELLER, Take, buy, to_decision, vault, world
from tests.judicial.test_certificate_plain import edit_amount

CLI = Path(sys.executable).with_name("carbon-ledger")
ORIGIN = "test.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"
PROVED = (model.CASE, model.ASSESSMENT, model.DECISION, model.PURCHASE, model.RETIREMENT)


def retired_case(engine) -> None:
    world(engine)
    to_decision(engine)
    buy(engine, [Take("CT-TEST", SELLER, kg=12_000)])
    services.retire_case(
        engine, court=COURT, case=CASE, retirement_ref="HXEE-ZX-2023-0088",
        retired_on="2023-06-10", actor="test:court:闽0428",
    )  # fmt: skip


def facts_of(engine):
    """The certificate's facts, read from the case's entries as a court's clerk would."""
    from types import SimpleNamespace

    with read_transaction(engine) as conn:
        row = services.get_case(conn, "350428", CASE)
        steps = {e.kind: e for e in services.timeline(conn, "350428", CASE)}
        units = services.units_of(conn, case=CASE)
        case = steps[model.CASE].body
        purchase = steps[model.PURCHASE].body
        codes = [*case["defendants"], purchase["payer"]["code"]]
        masked = services.defendant_names(conn, vault(), codes)
    _ = gettext("zh")
    account = accounts_in_words(registry(), _, {})
    return SimpleNamespace(
        number=f"SFTH-{row.court}-{row.case}",
        court_name=row.court_name,
        case_number=row.case_number,
        defendants_masked=tuple(masked[c] for c in case["defendants"]),
        case=case,
        assessment=steps[model.ASSESSMENT].body,
        decision=steps[model.DECISION].body,
        purchase=purchase,
        retirement=steps[model.RETIREMENT].body,
        entries=tuple(steps[k].seq for k in PROVED),
        seller_names={line["seller"]: account(line["seller"]) for line in purchase["lines"]},
        serials=tuple(u.serials for u in units),
        programme_names={
            line["programme"]: _(PROGRAMMES[line["programme"]].label) for line in purchase["lines"]
        },
        payer_masked=masked[purchase["payer"]["code"]],
    )


@pytest.fixture
def certificate(engine, tmp_path):
    retired_case(engine)
    facts = facts_of(engine)
    signer = Signer.generate(ORIGIN)
    pdf = issue(
        engine, Issuer(signer, ORIGIN, PUBLIC_URL), list(facts.entries), certificate_document(facts)
    )
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return path, signer, facts


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*args], capture_output=True, text=True, check=False, env=dict(os.environ), timeout=120
    )


def test_the_certificate_of_a_real_case(certificate, tmp_path):
    path, signer, facts = certificate
    text = run("pdftotext", "-layout", str(path), "-").stdout
    flat = "".join(text.split())
    for shown in (
        "案号：(2023)闽0428刑初45号",
        "审理法院：将乐县人民法院",
        "被告人：欧**华",  # 欧阳春华 masked
        "案由：滥伐林木",
        "碳汇损失量：11.917吨",
        "1杉木立木蓄积10m³×0.307×1.634×(1+0.246)×0.520×44/12≈11.9174t",
        "四舍五入至千克：11917kg（11.92吨）",
        "树干生物量V×SVD=3.07t→地上生物量×BEF≈5.0164t→全株生物量×(1+R)≈6.2504t→碳×CF≈3.2502t",
        "判定认购量：12.000吨",
        "认购金额：1,200.00元",
        "认购金额大写：人民币壹仟贰佰元整",
        "核销凭证号：HXEE-ZX-2023-0088",
        "L1-001–L1-012",
    ):
        assert shown in flat, shown
    assert "欧阳春华" not in flat

    fonts = run("pdffonts", str(path)).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    out = tmp_path / "detached"
    out.mkdir()
    run("pdfdetach", "-saveall", "-o", str(out), str(path))
    bundles = json.loads((out / "receipt.json").read_text())
    assert [b["leaf_index"] for b in bundles] == list(facts.entries)

    checked = run(str(CLI), "receipt", "verify", str(path), "--vkey", signer.verifier_key())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    said = "".join(checked.stdout.split())
    for fact in (
        "证明了5条日志记录",
        "案号：(2023)闽0428刑初45号",  # the filing, in words
        "计算过程：1.杉木立木蓄积10m³×0.307×1.634×(1+0.246)×0.520×44/12≈11.9174t",
        "碳汇损失量：11.917吨（11,917千克）",
        "判定数量：12.000吨（12,000千克）",
        "缴款凭证号：NYYH-20230605-001",
        "核销凭证号：HXEE-ZX-2023-0088",
    ):
        assert fact in said, fact
    assert "欧阳春华" not in checked.stdout

    edited = tmp_path / "edited.pdf"
    edited.write_bytes(edit_amount(path.read_bytes(), b"(1,200.00", b"(1,100.00"))
    refused = run(str(CLI), "receipt", "verify", str(edited), "--vkey", signer.verifier_key())
    assert refused.returncode == 1
    assert "打印内容被改动过" in refused.stdout + refused.stderr
