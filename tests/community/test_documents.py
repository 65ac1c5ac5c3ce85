"""The payout slip and the public notice, issued through the receipts toolkit from entries on
a real log (bodies shaped as the community module writes them), read back with pdftotext,
pdffonts and pdfdetach, and checked with ``carbon-ledger receipt verify``: it passes as
issued, and fails after one byte of the bundle or the visible amount changes."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject

from ledger.cli import main
from ledger.community.allocation import HouseholdBasis, allocate, parse_rule
from ledger.community.documents import (
    NoticeFacts,
    NoticeRow,
    SlipFacts,
    allocations_digest,
    notice_document,
    slip_document,
)
from ledger.community.explain import explain
from ledger.core.entry import EntryDraft, Posting
from ledger.core.note import Signer
from ledger.receipts import pdf
from ledger.receipts.bundle import decode
from ledger.receipts.issue import Issuer, issue
from ledger.services.log import append_batch
from ledger.storage.db import make_engine

ORIGIN = "test.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"
VILLAGE = "350428102201"
COLLECTIVE = f"Assets:Village:{VILLAGE}:Collective"
SHARING = f"{COLLECTIVE}:Sharing"
DIST = "D-2026-0001"
RULE = parse_rule(
    {
        "retention_pct": "10",
        "low_income_pct": "5",
        "weights": {"per_capita": "50", "per_household": "30", "by_area": "20"},
        "notice_days": 7,
    }
)
HOUSEHOLDS = 130  # enough for the notice to run over several pages
TOTAL = 1_234_567_89  # 1,234,567.89 元


def households() -> list[HouseholdBasis]:
    return [
        HouseholdBasis(f"H-{n:03d}", 1 + n % 6, Decimal(n % 40) / 4, n % 9 == 0)
        for n in range(1, HOUSEHOLDS + 1)
    ]


ALLOCATION = allocate(TOTAL, RULE, households())
SHARE = ALLOCATION.allocations[4]  # H-005
ROSTER_DIGEST = hashlib.sha256(b"the roster file").hexdigest()


def allocation_entry(share) -> EntryDraft:
    vault = "H-" + hashlib.sha256(share.household_code.encode()).hexdigest()[:12].upper()
    return EntryDraft(
        "test.x",
        {
            "village": VILLAGE,
            "distribution": DIST,
            "household": share.household_code,
            "vault": vault,
            "position": 4,
            "amount_fen": share.amount_fen,
        },
        "user:7",
        (
            Posting(SHARING, "CNY", -share.amount_fen),
            Posting(f"Assets:Village:{VILLAGE}:Household:{vault}:Pending", "CNY", share.amount_fen),
        ),
    )


def notice_entries() -> list[EntryDraft]:
    draft = EntryDraft(
        "test.x",
        {
            "village": VILLAGE,
            "distribution": DIST,
            "title": "2026年第一次碳汇收益分配",
            "amount_fen": TOTAL,
            "rule": "R-1",
            "terms": RULE.to_json(),
            "roster_version": 3,
            "roster_digest": ROSTER_DIGEST,
            "notice_days": 7,
        },
        "user:7",
        (Posting(COLLECTIVE, "CNY", -TOTAL), Posting(SHARING, "CNY", TOTAL)),
    )
    approve = EntryDraft(
        "test.x",
        {
            "village": VILLAGE,
            "distribution": DIST,
            "resolution": {
                "date": "2026-11-20",
                "number": "常口村民会决〔2026〕3号",
                "present": 212,
                "voting_for": 187,
                "scan": {"sha256": "ab" * 32, "size": 1234, "title": "决议扫描件"},
            },
        },
        "user:7",
    )
    publish = EntryDraft(
        "test.x",
        {
            "village": VILLAGE,
            "distribution": DIST,
            "notice_from": "2026-11-21",
            "notice_until": "2026-11-28",
            "place": "常口村村民委员会办公室（村部二楼）",
            "allocations_sha256": allocations_digest(
                (s.household_code, s.amount_fen) for s in ALLOCATION.allocations
            ),
        },
        "user:7",
    )
    return [draft, approve, publish]


class Book:
    def __init__(self, engine):
        self.engine = engine
        self.signer = Signer.generate(ORIGIN)
        self.issuer = Issuer(self.signer, ORIGIN, PUBLIC_URL)
        entries = append_batch(engine, [allocation_entry(SHARE), *notice_entries()])
        self.slip_seq = entries[0].seq
        self.notice_seqs = [e.seq for e in entries[1:]]


@pytest.fixture(scope="module")
def book(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("community-docs") / "ledger.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Book(engine)
    engine.dispose()


def slip_facts(**changes) -> SlipFacts:
    values = {
        "village_name": "将乐县常口村",
        "village_code": VILLAGE,
        "programme": "福建林业碳汇（FFCER）",
        "distribution_title": "2026年第一次碳汇收益分配",
        "distribution_id": DIST,
        "head_masked": "张*华",
        "status": "paid",
        "paid_on": "2026-12-02",
        "explanation": explain(ALLOCATION, SHARE),
        "number": "No. D-2026-0001-005",
    }
    return SlipFacts(**(values | changes))


def notice_facts(**changes) -> NoticeFacts:
    rows = tuple(
        NoticeRow(
            s.household_code, f"村*{n}", s.members, s.forest_area_mu, s.low_income, s.amount_fen
        )
        for n, s in enumerate(ALLOCATION.allocations, 1)
    )
    values = {
        "village_name": "将乐县常口村",
        "village_code": VILLAGE,
        "programme": "福建林业碳汇（FFCER）",
        "distribution_title": "2026年第一次碳汇收益分配",
        "distribution_id": DIST,
        "total_fen": TOTAL,
        "retained_fen": ALLOCATION.retained_fen,
        "low_income_fen": ALLOCATION.low_income_fen,
        "rule": RULE,
        "rows": rows,
        "contact": "村会计 0598-2345678",
        "digest_bound": True,
    }
    return NoticeFacts(**(values | changes))


@pytest.fixture(scope="module")
def slip(book) -> bytes:
    return issue(book.engine, book.issuer, [book.slip_seq], slip_document(slip_facts()))


@pytest.fixture(scope="module")
def notice(book) -> bytes:
    return issue(book.engine, book.issuer, book.notice_seqs, notice_document(notice_facts()))


def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout.decode()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def verify(path: Path, book):
    return CliRunner().invoke(
        main, ["receipt", "verify", str(path), "--vkey", book.signer.verifier_key()]
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


def reattach(data: bytes, receipt_json: bytes) -> bytes:
    """``data`` with its ``receipt.json`` replaced by ``receipt_json``."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.add_attachment("receipt.json", receipt_json)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the slip ----------------------------------------------------------------------------------


def test_the_slip_shows_the_chinese_fields_and_both_amounts(slip, tmp_path):
    # H-005: 6 members... whatever the arithmetic, the slip prints what the allocation gave.
    amount = SHARE.amount_fen
    yuan = f"{amount // 100:,}.{amount % 100:02d} 元"
    text = compact(tool("pdftotext", "-layout", str(write(tmp_path, "slip.pdf", slip)), "-"))
    for expected in (
        "收益分配到户凭证",
        f"村（居）：将乐县常口村（{VILLAGE}）",
        "项目：福建林业碳汇（FFCER）",
        f"分配：2026年第一次碳汇收益分配（{DIST}）",
        "户号：H-005",
        "户主：张*华",
        f"分配金额：{yuan}",
        "金额大写：人民币",
        "支付状态：已支付（2026-12-02）",
        "计算方法：",
        "核验信息",
        f"记录金额：{yuan}",
        "第 1 页，共 1 页",
    ):
        assert compact(expected) in text, expected
    from ledger.formatting import yuan_capital

    assert compact(f"金额大写：{yuan_capital(amount)}") in text


def test_fonts_are_embedded(slip, notice, tmp_path):
    for name, data in (("slip.pdf", slip), ("notice.pdf", notice)):
        listing = tool("pdffonts", str(write(tmp_path, name, data))).splitlines()
        fonts = [line.split() for line in listing[2:]]
        assert fonts
        for row in fonts:
            assert row[-5] == "yes" and row[-4] == "yes", row  # embedded, subset


def test_the_slip_carries_its_bundle(book, slip, tmp_path):
    path = write(tmp_path, "slip.pdf", slip)
    assert "receipt.json" in tool("pdfdetach", "-list", str(path))
    out = tmp_path / "out"
    out.mkdir()
    tool("pdfdetach", "-saveall", "-o", str(out), str(path))
    (bundle,) = decode((out / "receipt.json").read_bytes())
    assert bundle.leaf_index == book.slip_seq
    printed = {p.label: p.pointer for p in bundle.printed}
    assert printed["分配金额"] == printed["金额大写"] == "/leaf/body/amount_fen"
    assert printed["户号"] == "/leaf/body/household"


def test_the_slip_verifies_and_fails_when_edited(book, slip, tmp_path):
    result = verify(write(tmp_path, "slip.pdf", slip), book)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("核验通过")
    assert "打印内容与日志记录一致" in result.output
    # The visible amount edited by one digit.
    amount = f"{SHARE.amount_fen // 100:,}.{SHARE.amount_fen % 100:02d}"
    changed = amount[:-1] + ("1" if amount[-1] != "1" else "2")
    edited = edit_visible(slip, f"({amount}".encode(), f"({changed}".encode())
    result = verify(write(tmp_path, "edited.pdf", edited), book)
    assert result.exit_code == 1
    assert "打印内容被改动过" in result.output and "分配金额" in result.output
    # The household code edited.
    edited = edit_visible(slip, b"(H-005)", b"(H-006)")
    result = verify(write(tmp_path, "edited2.pdf", edited), book)
    assert result.exit_code == 1 and "户号" in result.output


def test_one_byte_of_the_slips_bundle_changed_fails(book, slip, tmp_path):
    base, good = pdf.layout(
        slip_document(slip_facts()),
        __import__("ledger.receipts.bundle", fromlist=["build"]).build(
            book.engine, [book.slip_seq], book.signer, ORIGIN
        ),
        public_url=PUBLIC_URL,
        embed=False,
    )
    ok = verify(write(tmp_path, "ok.pdf", reattach(base, good)), book)
    assert ok.exit_code == 0, ok.output
    for position in (0, len(good) // 3, len(good) // 2, len(good) - 2):
        bad = bytearray(good)
        bad[position] ^= 0x01
        result = verify(write(tmp_path, f"bad{position}.pdf", reattach(base, bytes(bad))), book)
        assert result.exit_code == 1, position


@pytest.mark.parametrize(
    ("status", "extra", "said"),
    [
        ("pending", {}, "支付状态：待支付"),
        ("unclaimed", {}, "支付状态：尚未领取"),
        ("failed", {"failure_reason": "户名与账号不符"}, "支付失败（户名与账号不符）"),
    ],
)
def test_the_slip_says_the_payment_status(status, extra, said):
    document = slip_document(slip_facts(status=status, paid_on=None, **extra))
    fields = {f.label: f.value for f in document.fields}
    assert said.split("：")[-1] in fields["支付状态"]


def test_a_slip_with_an_unknown_status_is_refused():
    with pytest.raises(ValueError):
        slip_document(slip_facts(status="lost"))


# --- the notice --------------------------------------------------------------------------------


def test_the_notice_runs_over_pages_with_its_headings_repeated(notice, tmp_path):
    path = write(tmp_path, "notice.pdf", notice)
    pages = len(PdfReader(path).pages)
    assert pages >= 4
    table_pages = 0
    for n in range(1, pages + 1):
        text = compact(tool("pdftotext", "-f", str(n), "-l", str(n), "-layout", str(path), "-"))
        assert "收益分配公示表" in text  # the title at the top of every page
        assert compact(f"第 {n} 页，共 {pages} 页") in text
        if "H-0" in text:
            table_pages += 1
            assert "序号户号户主人口林地（亩）低收入户分配金额（元）" in text
    assert table_pages >= 3


def test_the_notice_lists_every_household_and_says_the_rule_resolution_and_objections(
    notice, tmp_path
):
    text = compact(tool("pdftotext", "-layout", str(write(tmp_path, "n.pdf", notice)), "-"))
    for share in ALLOCATION.allocations:
        amount = f"{share.amount_fen // 100:,}.{share.amount_fen % 100:02d}"
        assert compact(share.household_code) in text
        assert amount in text, share
    shared = sum(s.amount_fen for s in ALLOCATION.allocations)
    for expected in (
        "分配总额：1,234,567.89 元",
        "总额大写：人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
        f"集体留存：{ALLOCATION.retained_fen // 100:,}.{ALLOCATION.retained_fen % 100:02d} 元",
        f"分配到户合计：{shared // 100:,}.{shared % 100:02d} 元",
        f"户数：{HOUSEHOLDS} 户",
        "分配方案：集体留存 10%；其余部分的 5% 由低收入户平分；"
        "余下按人口 50%、按户 30%、按林地面积 20% 分配到户",
        "公示期不少于 7 天",
        f"名册摘要：{ROSTER_DIGEST}",
        "村民会议决议文号：常口村民会决〔2026〕3号",
        "决议日期：2026-11-20",
        "到会人数：212",
        "赞成人数：187",
        "公示开始：2026-11-21",
        "公示截止：2026-11-28",
        "异议受理：常口村村民委员会办公室（村部二楼）",
        "联系方式：村会计 0598-2345678",
        "村民委员会组织法",
        "核验信息",
    ):
        assert compact(expected) in text, expected
    digest = allocations_digest((s.household_code, s.amount_fen) for s in ALLOCATION.allocations)
    assert compact(f"分配清单摘要：{digest}") in text


def test_the_notice_verifies_and_fails_when_its_total_is_edited(book, notice, tmp_path):
    result = verify(write(tmp_path, "notice.pdf", notice), book)
    assert result.exit_code == 0, result.output
    assert "证明了 3 条日志记录" in result.output
    edited = edit_visible(notice, b"(1,234,567.89", b"(1,234,568.89")
    result = verify(write(tmp_path, "edited.pdf", edited), book)
    assert result.exit_code == 1
    assert "分配总额" in result.output


def test_the_notice_binds_what_its_entries_record(book, notice, tmp_path):
    path = write(tmp_path, "notice.pdf", notice)
    out = tmp_path / "out"
    out.mkdir()
    tool("pdfdetach", "-saveall", "-o", str(out), str(path))
    bundles = decode((out / "receipt.json").read_bytes())
    assert [b.leaf_index for b in bundles] == book.notice_seqs
    bound = {p.label: p.pointer for b in bundles for p in b.printed}
    assert bound["分配总额"] == "/leaf/body/amount_fen"
    assert bound["村民会议决议文号"] == "/leaf/body/resolution/number"
    assert bound["公示截止"] == "/leaf/body/notice_until"
    assert bound["分配清单摘要"] == "/leaf/body/allocations_sha256"
    # A notice whose publish entry does not record the digest prints it as text.
    document = notice_document(notice_facts(digest_bound=False))
    fields = {f.label: f.value for f in document.fields}
    assert isinstance(fields["分配清单摘要"], str)


def test_allocations_digest_is_the_sha256_of_the_lines():
    assert (
        allocations_digest([("H-1", 100), ("村-2", 5)])
        == hashlib.sha256("H-1,100\n村-2,5\n".encode()).hexdigest()
    )
    assert json.dumps(allocations_digest([])) == json.dumps(hashlib.sha256(b"").hexdigest())


def test_english_documents():
    slip = slip_document(slip_facts(), "en")
    assert slip.title == "Household payout slip"
    notice = notice_document(notice_facts(), "en")
    assert notice.tables[0].columns[0] == "No."
    with pytest.raises(ValueError):
        slip_document(slip_facts(), "fr")
