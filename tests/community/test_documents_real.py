"""The slip and the notice over the entries the community services really write (both
databases): a distribution taken through roster, rule, draft, approval, notice and
finalisation; the slip proves one household's ``community.allocation`` entry, the notice the
distribution's draft, approval and publication; ``receipt verify`` passes, and fails once the
printed amount is edited."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject

from ledger.cli import main
from ledger.community import services
from ledger.community.allocation import parse_rule
from ledger.community.documents import (
    NoticeFacts,
    NoticeRow,
    SlipFacts,
    notice_document,
    slip_document,
)
from ledger.community.explain import explain
from ledger.core.note import Signer
from ledger.receipts.issue import Issuer, issue
from ledger.storage.db import read_transaction
from tests.community import finalised, lines
from tests.units import VILLAGE

ORIGIN = "test.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdftotext(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return compact(done.stdout.decode())


def verify(data: bytes, signer: Signer, tmp_path, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    return CliRunner().invoke(
        main, ["receipt", "verify", str(path), "--vkey", signer.verifier_key()]
    )


def edit_visible(data: bytes, old: bytes, new: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    page = writer.pages[0]
    stream = page.get_contents().get_data()
    assert old in stream
    edited = DecodedStreamObject()
    edited.set_data(stream.replace(old, new, 1))
    page.replace_contents(edited)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@pytest.fixture
def world(engine):
    d = finalised(engine, n=5, amount_fen=123_457)
    with read_transaction(engine) as conn:
        d = services.get_distribution(conn, d.distribution)
        rows = services.allocations_of(conn, d.distribution)
        result = services.allocation_of(conn, d)
    signer = Signer.generate(ORIGIN)
    return engine, d, rows, result, signer, Issuer(signer, ORIGIN, PUBLIC_URL)


def test_the_slip_of_a_real_allocation_verifies(world, tmp_path):
    engine, d, rows, result, signer, issuer = world
    row = rows[1]
    share = result.by_code()[row.household]
    facts = SlipFacts(
        village_name="将乐县常口村",
        village_code=VILLAGE,
        programme="福建林业碳汇",
        distribution_title=d.title,
        distribution_id=d.distribution,
        head_masked="张*华",
        status="pending",
        explanation=explain(result, share),
    )
    data = issue(engine, issuer, [row.seq], slip_document(facts))
    text = pdftotext(data, tmp_path)
    for expected in (
        "收益分配到户凭证",
        f"户号：{row.household}",
        f"分配金额：{yuan(row.amount_fen)}元",
        "支付状态：待支付",
        f"记录金额：{yuan(row.amount_fen)}元",
    ):
        assert compact(expected) in text, expected
    result_ok = verify(data, signer, tmp_path, "slip.pdf")
    assert result_ok.exit_code == 0, result_ok.output
    assert "打印内容与日志记录一致" in result_ok.output
    edited = edit_visible(data, f"({yuan(row.amount_fen)}".encode(), b"(9,999.99")
    refused = verify(edited, signer, tmp_path, "edited.pdf")
    assert refused.exit_code == 1 and "分配金额" in refused.output


def test_the_notice_of_a_real_distribution_verifies(world, tmp_path):
    engine, d, rows, _, signer, issuer = world
    roster = {line.household_code: line for line in lines(5)}
    notice_rows = [
        NoticeRow(
            r.household,
            "张*华",
            roster[r.household].members,
            roster[r.household].forest_area_mu,
            roster[r.household].low_income,
            r.amount_fen,
        )
        for r in rows
    ]
    facts = NoticeFacts(
        village_name="将乐县常口村",
        village_code=VILLAGE,
        programme="福建林业碳汇",
        distribution_title=d.title,
        distribution_id=d.distribution,
        total_fen=d.amount_fen,
        retained_fen=d.retained_fen,
        low_income_fen=d.low_income_fen,
        rule=parse_rule(d.terms),
        rows=notice_rows,
    )
    seqs = [d.draft_seq, d.approve_seq, d.publish_seq]
    data = issue(engine, issuer, seqs, notice_document(facts))
    text = pdftotext(data, tmp_path)
    for expected in (
        "收益分配公示表",
        f"分配总额：{yuan(d.amount_fen)}元",
        f"村民会议决议文号：{d.resolution['number']}",
        f"到会人数：{d.resolution['present']}",
        f"公示开始：{d.notice_from}",
        f"公示截止：{d.notice_until}",
        f"异议受理：{d.notice_place}",
        *(f"{r.household}" for r in rows),
    ):
        assert compact(expected) in text, expected
    assert sum(r.amount_fen for r in rows) + d.retained_fen == d.amount_fen
    ok = verify(data, signer, tmp_path, "notice.pdf")
    assert ok.exit_code == 0, ok.output
    assert "证明了 3 条日志记录" in ok.output
    edited = edit_visible(data, f"({yuan(d.amount_fen)}".encode(), b"(1,234.58")
    refused = verify(edited, signer, tmp_path, "edited.pdf")
    assert refused.exit_code == 1 and "分配总额" in refused.output
