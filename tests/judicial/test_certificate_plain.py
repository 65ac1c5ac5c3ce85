"""The certificate (林业碳汇认购核销证明) on plain records: five entries shaped like a case's
filing, assessment, decision, purchase and retirement (南靖 2022: a report's 47.07 t, twice
that ordered, 96 t bought at 100 元/t from 常口村), the PDF issued through the receipts
toolkit, read back with poppler (text, fonts, the attachment) and checked with
``carbon-ledger receipt verify`` as a separate process: it passes, and fails once the printed
amount is edited."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject

from ledger.core.entry import EntryDraft, Posting
from ledger.core.note import Signer
from ledger.judicial import assessment as A
from ledger.judicial.documents import TITLE, certificate_document
from ledger.judicial.methods import load_method
from ledger.receipts.issue import Issuer, issue
from ledger.services.log import append_batch
from ledger.storage.db import make_engine

CLI = Path(sys.executable).with_name("carbon-ledger")
ORIGIN = "test.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"
VILLAGE = "Assets:Village:350627102201:Collective"
COURT, CASE = "350627", "2022-XC-123"
CASE_NUMBER = "(2022)闽0627刑初123号"

RECORD = A.assess(load_method(), [A.ReportedLoss.of("47.07", "南靖林鉴〔2022〕8号")]).to_json()

CASE_BODY = {
    "case": CASE,
    "court": COURT,
    "case_number": CASE_NUMBER,
    "court_code": "闽0627",
    "court_name": "南靖县人民法院",
    "division": "350627",
    "offence": "lanfa",
    "defendants": ["D-0123456789AB"],
    "damage": [
        {
            "species": "阔叶混",
            "trees": None,
            "volume_m3": "18.6493",
            "volume_type": "standing",
            "area_mu": None,
            "place": "350627",
        }
    ],
    "replanting": None,
    "filed_on": "2022-03-01",
}
ASSESSMENT = {
    "case": CASE,
    "court": COURT,
    "method": {"name": "AR-CM-001 defaults", "version": "2022.1", "seq": 0},
    "record": RECORD,
    "loss_kg": 47_070,
    "assessor": "福建某林业司法鉴定中心",
    "assessed_on": "2022-04-02",
}
DECISION = {
    "case": CASE,
    "court": COURT,
    "basis": "loss",
    "multiple": "2",
    "loss_kg": 47_070,
    "exact_kg": 94_140,  # 47,070 kg × 2
    "rounding": "ordered",
    "quantity_kg": 96_000,  # what the seller could deliver: 96 t
    "price": {
        "basis": "programme",
        "fen_per_t": 10_000,
        "date": "2022-05-01",
        "source": "100 元/吨",
    },
    "amount_fen": 960_000,  # 96 t × 100 元/t = 9,600.00 元
    "decided_on": "2022-05-10",
    "judgment_ref": "(2022)闽0627刑初123号刑事判决书",
}
PURCHASE = {
    "case": CASE,
    "court": COURT,
    "decision_seq": 2,
    "payer": {"type": "person", "code": "D-0123456789AB"},
    "payment_ref": "NJ-20220520-001",
    "restoration_account": {
        "name": "南靖县林业局生态修复专户",
        "bank": "农商银行",
        "last4": "3456",
    },
    "lines": [
        {
            "transfer_seq": 9,
            "project": "CT-0000001",
            "programme": "sanming_ticket",
            "seller": VILLAGE,
            "lot": "0000001",
            "first": 1,
            "last": 96,
            "kg": 96_000,
            "price_fen_per_t": 10_000,
            "total_fen": 960_000,
        }
    ],
    "kg": 96_000,
    "amount_fen": 960_000,
    "paid_on": "2022-05-20",
}
RETIREMENT = {
    "case": CASE,
    "court": COURT,
    "purchase_seq": 3,
    "retirement_ref": "HX-ZX-2022-0456",
    "kg": 96_000,
    "retire_seqs": [10],
    "retired_on": "2022-05-25",
}


@dataclass(frozen=True)
class Facts:
    number: str
    court_name: str
    case_number: str
    defendants_masked: tuple[str, ...]
    case: dict[str, Any]
    assessment: dict[str, Any]
    decision: dict[str, Any]
    purchase: dict[str, Any]
    retirement: dict[str, Any]
    entries: tuple[int, ...]
    seller_names: dict[str, str]
    serials: tuple[str, ...]
    programme_names: dict[str, str]
    payer_masked: str


def drafts() -> list[EntryDraft]:
    actor = "user:court"
    return [
        EntryDraft("test.x", CASE_BODY, actor),
        EntryDraft("test.x", ASSESSMENT, actor),
        EntryDraft("test.x", DECISION, actor),
        EntryDraft(
            "test.x",
            PURCHASE,
            actor,
            (
                Posting(VILLAGE, "CNY", 960_000),
                Posting("Income:Village:350627102201:CarbonSales", "CNY", -960_000),
            ),
        ),
        EntryDraft("test.x", RETIREMENT, actor),
    ]


@pytest.fixture(scope="module")
def issued(sqlite_template, tmp_path_factory):
    """The certificate PDF of the five plain records, the signer and a folder."""
    folder = tmp_path_factory.mktemp("certificate")
    path = folder / "ledger.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        entries = append_batch(engine, drafts())
        seqs = tuple(e.seq for e in entries)
        facts = Facts(
            number="SFTH-350627-2022-XC-123",
            court_name="南靖县人民法院",
            case_number=CASE_NUMBER,
            defendants_masked=("欧*华",),
            case=CASE_BODY,
            assessment=ASSESSMENT,
            decision=DECISION,
            purchase=PURCHASE,
            retirement=RETIREMENT,
            entries=seqs,
            seller_names={VILLAGE: "常口村 集体账户"},
            serials=("0000001–0000096",),
            programme_names={"sanming_ticket": "林业碳票"},
            payer_masked="欧*华",
        )
        signer = Signer.generate(ORIGIN)
        pdf = issue(
            engine, Issuer(signer, ORIGIN, PUBLIC_URL), list(seqs), certificate_document(facts)
        )
    finally:
        engine.dispose()
    target = folder / "certificate.pdf"
    target.write_bytes(pdf)
    return target, signer, folder


def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout.decode()


def verify(path: Path, signer: Signer) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "receipt", "verify", str(path), "--vkey", signer.verifier_key()],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )


def test_the_text_shows_the_case_the_tonnes_the_amount_and_the_arithmetic(issued):
    path, _, _ = issued
    text = tool("pdftotext", "-layout", str(path), "-")
    flat = "".join(text.split())
    assert TITLE in flat
    for shown in (
        "案号：(2022)闽0627刑初123号",
        "审理法院：南靖县人民法院",
        "被告人：欧*华",
        "案由：",
        "碳汇损失量：47.070吨",
        "损失量倍数：2",
        "应认购量：94.140吨",
        "判定认购量：96.000吨",
        "每吨价格：100.00元",
        "认购金额：9,600.00元",
        "认购金额大写：人民币玖仟陆佰元整",
        "核销凭证号：HX-ZX-2022-0456",
        "核销碳汇量：96.000吨",
        "鉴定报告（南靖林鉴〔2022〕8号）所载损失量47.07t",
        "四舍五入至千克：47070kg（47.07吨）",
        "常口村集体账户",
        "0000001–0000096",
        "林业碳票",
        "南靖县林业局生态修复专户",
        "AR-CM-001defaults2022.1",
    ):
        assert shown in flat, shown
    assert "D-0123456789AB" not in flat  # the defendant only masked
    # no English leaks into what the court reads (codes and the method's name aside)
    stated = text.split("核验信息")[0].replace(ORIGIN, "")  # the page footer names the log
    words = {w for w in re.findall(r"[A-Za-z]{3,}", stated) if not re.fullmatch(r"[0-9a-f]+", w)}
    words -= {"defaults", "SFTH", "SHA"}  # the method's name, the certificate number, SHA-256
    assert not words, words


def test_fonts_are_embedded_and_the_proof_is_attached(issued):
    path, _, folder = issued
    fonts = tool("pdffonts", str(path)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column
    assert "receipt.json" in tool("pdfdetach", "-list", str(path))
    out = folder / "out"
    out.mkdir()
    tool("pdfdetach", "-saveall", "-o", str(out), str(path))
    bundles = json.loads((out / "receipt.json").read_text())
    assert len(bundles) == 5  # filing, assessment, decision, purchase, retirement
    pointers = {p["pointer"] for p in bundles[3]["printed"]}
    assert {"/leaf/body/amount_fen", "/leaf/body/kg", "/leaf/body/payment_ref"} <= pointers


def test_receipt_verify_passes(issued):
    path, signer, _ = issued
    result = verify(path, signer)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "核验通过" in result.stdout and "证明了 5 条日志记录" in result.stdout


def edit_amount(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with the first ``old`` on the first page that has it replaced by ``new``."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        stream = page.get_contents().get_data()
        if old in stream:
            edited = DecodedStreamObject()
            edited.set_data(stream.replace(old, new, 1))
            page.replace_contents(edited)
            break
    else:
        raise AssertionError(f"{old!r} is on no page")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_receipt_verify_fails_when_the_visible_amount_is_edited(issued, tmp_path):
    path, signer, _ = issued
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(edit_amount(path.read_bytes(), b"(9,600.00", b"(6,900.00"))
    assert "6,900.00" in "".join(p.extract_text() for p in PdfReader(edited).pages)
    result = verify(edited, signer)
    assert result.returncode == 1
    assert "打印内容被改动过" in result.stdout + result.stderr
    assert "6,900.00" in result.stdout + result.stderr


def test_a_decision_from_an_amount_and_an_organisation_paying():
    """The document for another kind of case (no render): a valuation in yuan assessed, the
    quantity from an amount, a company paying, no judgment reference — no multiple is printed,
    the valuation's arithmetic is, and every bound field names one of the five entries."""
    record = A.assess(
        load_method(), [A.ValuedLoss.of("5000.00", "100", "生态服务价值评估")]
    ).to_json()
    decision = {
        **DECISION,
        "basis": "amount",
        "multiple": "1",
        "rounding": "down_to_t",
        "exact_kg": 50_000,
        "quantity_kg": 50_000,
        "amount_fen": 500_000,
        "judgment_ref": "",
    }
    del decision["loss_kg"]
    facts = Facts(
        number="SFTH-350627-2022-XC-124",
        court_name="南靖县人民法院",
        case_number="(2022)闽0627刑初124号",
        defendants_masked=("欧*华", "李*"),
        case={**CASE_BODY, "offence": "other", "offence_text": "非法收购滥伐的林木"},
        assessment={**ASSESSMENT, "record": record, "loss_kg": 50_000},
        decision=decision,
        purchase={**PURCHASE, "payer": {"type": "organisation", "name": "南靖某木业有限公司"}},
        retirement=RETIREMENT,
        entries=(1, 2, 3, 4, 5),
        seller_names={VILLAGE: "常口村 集体账户"},
        serials=("0000001–0000096",),
        programme_names={"sanming_ticket": "林业碳票"},
        payer_masked="南靖某木业有限公司",
    )
    document = certificate_document(facts)
    fields = {f.label: f.value for f in document.fields}
    assert "损失量倍数" not in fields and "判决书" not in fields
    assert fields["案由"] == "非法收购滥伐的林木"
    assert fields["被告人"] == "欧*华、李*"
    assert fields["缴款人"] == "南靖某木业有限公司"
    assert fields["认购依据"] == "按判定金额"
    bound = [f.value for f in document.fields if not isinstance(f.value, str)]
    assert all(0 <= b.entry < 5 for b in bound)
    (arithmetic, units) = document.tables
    assert arithmetic.rows[0] == (
        "1",
        "价值损失 5000.00 元 ÷ 100 元/t = 50 t（生态服务价值评估）",
    )
    assert units.rows == (
        (
            "林业碳票",
            "CT-0000001",
            "常口村 集体账户",
            "0000001–0000096",
            "96.00",
            "100.00",
            "9,600.00",
        ),
    )
