"""The one-yuan buyer's certificate (一元碳汇认购证书), on both databases: pdftotext shows the
Chinese fields and both amounts (hand-worked: 12 元 is 人民币壹拾贰元整 and buys 120 千克, the
serials 1 to 12 of the project's lot); pdffonts shows every font embedded; pdfdetach extracts
receipt.json, whose leaf does not hold the buyer's name; ``receipt verify`` passes, and fails
once the printed amount is edited; the same inputs give the same bytes; an import's
certificates are made with one checkpoint for the batch; the command line, single and bulk."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ledger.core.note import Signer
from ledger.receipts.bundle import decode
from ledger.receipts.issue import Issuer
from ledger.services.checkpoints import CHECKPOINT
from ledger.storage.db import read_transaction
from ledger.units import certificates
from ledger.units.certificates import import_certificates, order_certificate
from tests.receipts.conftest import tool, write
from tests.receipts.test_verify import edit_visible
from tests.units.test_oneyuan import VAULT, csv, project, run  # noqa: F401 (fixture)

ORIGIN = "test.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"
SIGNER = Signer.generate(ORIGIN)
ISSUER = Issuer(SIGNER, ORIGIN, PUBLIC_URL)
LINES = (
    "WX001,2024-05-01 10:00:00,张三华,12,120,C-2024-001,SC-001",
    "WX002,2024-05-01T02:00:00Z,欧阳春华,1,10,C-2024-002,SC-001",
    "WX003,2024-05-02 09:30:00,李四,3,30,C-2024-003,SC-001",
)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def checkpoints(engine) -> int:
    with read_transaction(engine) as conn:
        return conn.execute(select(func.count()).select_from(CHECKPOINT)).scalar_one()


@pytest.fixture
def imported(engine, project):  # noqa: F811
    return run(engine, csv(*LINES))


@pytest.fixture
def certificate(engine, imported):
    return order_certificate(engine, ISSUER, VAULT, "WX001")


def test_pdftotext_shows_the_chinese_fields_and_both_amounts(certificate, tmp_path):
    text = compact(
        tool("pdftotext", "-layout", str(write(tmp_path, "c.pdf", certificate.pdf)), "-")
    )
    for expected in (
        "一元碳汇认购证书",
        "证书编号：C-2024-001",
        "认购人：张三华",  # as the buyer entered it, on their own certificate
        "订单号：WX001",
        "碳汇项目：测试项目SC-001",
        "项目编号：SC-001",
        "认购碳汇量（CO2e）：120千克",
        "认购金额：12.00元",
        "金额大写：人民币壹拾贰元整",
        "认购日期：2024年5月1日",  # 10:00 Beijing
        "注销批次：SC-001-2020",
        "起始注销序号：1",
        "终止注销序号：12",
        "记录金额：12.00元",
        "记录碳量：0.120吨",
        "扫码核验",
    ):
        assert compact(expected) in text, expected
    assert certificate.filename == f"C-2024-001-{certificate.seq}.pdf"


def test_fonts_embedded_and_the_bundle_attached_without_the_buyers_name(certificate, tmp_path):
    path = write(tmp_path, "c.pdf", certificate.pdf)
    fonts = [line.split() for line in tool("pdffonts", str(path)).splitlines()[2:]]
    assert fonts and all(row[-5:-2] == ["yes", "yes", "yes"] for row in fonts), fonts
    out = tmp_path / "out"
    out.mkdir()
    tool("pdfdetach", "-saveall", "-o", str(out), str(path))
    (bundle,) = decode((out / "receipt.json").read_bytes())
    entry = bundle.entry()
    assert entry.seq == certificate.seq and entry.body["order_id"] == "WX001"
    assert "张三华".encode() not in bundle.leaf
    labels = {p.label for p in bundle.printed}
    assert {"认购金额", "金额大写", "认购碳汇量（CO2e）", "认购日期"} <= labels


def test_receipt_verify_passes_and_fails_once_the_amount_is_edited(certificate, tmp_path):
    from ledger.cli import main

    def verify(data: bytes):
        path = write(tmp_path, "c.pdf", data)
        return CliRunner().invoke(
            main, ["receipt", "verify", str(path), "--vkey", SIGNER.verifier_key()]
        )

    good = verify(certificate.pdf)
    assert good.exit_code == 0, good.output
    assert "有效" in good.output
    edited = edit_visible(certificate.pdf, b"(12.00", b"(13.00")
    bad = verify(edited)
    assert bad.exit_code == 1
    assert "“认购金额”印的是“13.00元”，但日志记录是“12.00元”" in bad.output


def test_the_same_inputs_give_the_same_bytes(engine, certificate):
    again = order_certificate(engine, ISSUER, VAULT, "WX001")
    assert again.pdf == certificate.pdf


def test_an_imports_certificates_share_one_checkpoint(engine, imported):
    before = checkpoints(engine)
    made = list(import_certificates(engine, ISSUER, VAULT, imported.first_seq))
    assert checkpoints(engine) == before + 1
    assert [c.order_id for c in made] == ["WX001", "WX002", "WX003"]
    assert [c.seq for c in made] == list(range(imported.first_seq + 1, imported.last_seq + 1))
    sizes = {decode_pdf_bundle(c.pdf).tree_size for c in made}
    assert len(sizes) == 1


def test_certificates_come_in_batches_with_progress(engine, project, monkeypatch):  # noqa: F811
    lines = [f"B{n},2024-05-01 10:00:00,买家{n},1,10,C{n},SC-001" for n in range(25)]
    result = run(engine, csv(*lines))
    monkeypatch.setattr(certificates, "BATCH", 10)
    before = checkpoints(engine)
    seen = []
    made = list(
        import_certificates(
            engine, ISSUER, VAULT, result.first_seq,
            progress=lambda stage, done, total, force=False: seen.append((stage, done, total)),
        )
    )  # fmt: skip
    assert len(made) == 25
    assert checkpoints(engine) == before + 1  # the first batch's covers the later ones
    assert seen[0] == ("certificates", 0, 25) and seen[-1] == ("certificates", 25, 25)


def test_unknown_orders_and_imports_are_refused(engine, imported):
    from ledger.core.errors import NotFoundError

    with pytest.raises(NotFoundError) as err:
        order_certificate(engine, ISSUER, VAULT, "NO-SUCH")
    assert err.value.code == "units.order_unknown"
    with pytest.raises(NotFoundError):
        order_certificate(engine, ISSUER, VAULT, "WX001", within="350403")
    for seq in (imported.first_seq + 1, imported.last_seq + 5):
        with pytest.raises(NotFoundError) as err:
            list(import_certificates(engine, ISSUER, VAULT, seq))
        assert err.value.code == "units.import_unknown"


def decode_pdf_bundle(data: bytes):
    from ledger.receipts.verify import read

    (bundle,) = read(data).bundles
    return bundle


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli(instance, engine, project):  # noqa: F811
    from ledger.cli import main
    from ledger.config import load_settings
    from ledger.vault.crypto import ensure_vault_key

    ensure_vault_key(load_settings())
    return lambda *args: CliRunner().invoke(main, list(args))


def test_the_command_writes_one_certificate_or_an_imports(cli, tmp_path):
    orders = write(tmp_path, "orders.csv", csv(*LINES))
    done = cli("oneyuan", "import", str(orders), "--json")
    assert done.exit_code == 0, done.output
    first_seq = json.loads(done.output)["first_seq"]
    out = tmp_path / "WX002.pdf"
    one = cli("receipt", "oneyuan", "WX002", "-o", str(out))
    assert one.exit_code == 0, one.output
    text = compact(tool("pdftotext", str(out), "-"))
    assert "认购人：欧阳春华" in text and "金额大写：人民币壹元整" in text
    assert cli("receipt", "verify", str(out)).exit_code == 0  # the instance's own key
    folder = tmp_path / "certs"
    bulk = cli("receipt", "oneyuan", "--import", str(first_seq), "-d", str(folder))
    assert bulk.exit_code == 0, bulk.output
    assert "3 certificates" in bulk.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"C-2024-00{n}-{first_seq + n}.pdf" for n in (1, 2, 3)]
    assert (folder / names[1]).read_bytes() == out.read_bytes()  # one checkpoint covers both
    refused = cli("receipt", "oneyuan", "NO-SUCH", "-o", str(tmp_path / "x.pdf"))
    assert refused.exit_code == 2 and "no one-yuan order NO-SUCH" in refused.output
    assert not (tmp_path / "x.pdf").exists()
    usage = cli("receipt", "oneyuan", "WX002")
    assert usage.exit_code == 2 and "ORDER_ID -o FILE.pdf" in usage.output
