"""Receipts on a real log: a small book of entries (a scoped sale moving money and carbon, a
public note, a described payout), the log's key, and receipts issued from it.

The PDF and verification tests do not depend on the database, so they share one SQLite book
per module (:func:`book`); the tests of building bundles and of the page run on both databases.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.core.entry import EntryDraft, Posting
from ledger.core.note import Signer
from ledger.receipts import pdf
from ledger.receipts.bundle import Bundle, build
from ledger.receipts.issue import Issuer
from ledger.receipts.pdf import Bound, Document, Field, Rows
from ledger.services.log import append_batch
from ledger.storage.db import make_engine
from tests.support.module import DESCRIBED, PUBLIC_NOTE

ORIGIN = "test.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"
VILLAGE = "Assets:Village:350428102201:Collective"
BUYER = "Assets:Buyer:Demo"
#: The sale's amounts: 40,845.00 元 and 1.500 吨.
FEN, KG = 4_084_500, 1_500


def sale(ticket: str) -> EntryDraft:
    """A scoped sale: money from the buyer to the village, carbon the other way."""
    return EntryDraft(
        "test.sale",
        {"ticket": ticket},
        "user:7",
        (
            Posting(BUYER, "CNY", -FEN),
            Posting(VILLAGE, "CNY", FEN),
            Posting(VILLAGE, "CO2E", -KG),
            Posting(BUYER, "CO2E", KG),
        ),
    )


def public_note() -> EntryDraft:
    return EntryDraft(PUBLIC_NOTE, {"text": "公开说明"}, "user:7")


def payout() -> EntryDraft:
    return EntryDraft(
        DESCRIBED,
        {"household": "H-3F9A"},
        "user:7",
        (Posting(VILLAGE, "CNY", -12_345), Posting("Assets:Household:H3F9A", "CNY", 12_345)),
    )


#: A payout-slip-like document over a sale: Chinese fields, the amount in figures and in 大写,
#: the carbon, the date and the ticket printed from the entry.
SLIP = Document(
    title="碳汇收益凭证",
    subtitle="将乐县常口村（测试）",
    number="No. 2026-0001",
    fields=(
        Field("买方", "福州某科技有限公司（测试）"),
        Field("金额", Bound("/leaf/postings/1/amount", "yuan")),
        Field("金额大写", Bound("/leaf/postings/1/amount", "yuan_capital")),
        Field("碳量", Bound("/leaf/postings/3/amount", "tonnes")),
        Field("日期", Bound("/leaf/time", "date")),
        Field("票号", Bound("/leaf/body/ticket", "text")),
    ),
    notes=("本凭证仅用于测试。",),
)


@dataclass
class Book:
    """A log with ``sale`` (seq 0), ``note`` (1, public), ``payout`` (2) and ``sale2`` (3)."""

    engine: object
    signer: Signer
    issuer: Issuer
    sale: int = 0
    note: int = 1
    payout: int = 2
    sale2: int = 3

    def bundles(self, *seqs: int) -> list[Bundle]:
        return build(self.engine, list(seqs), self.signer, ORIGIN)

    def pdf(self, document: Document = SLIP, *seqs: int) -> bytes:
        return pdf.render(document, self.bundles(*(seqs or (self.sale,))), public_url=PUBLIC_URL)


def make_book(engine) -> Book:
    signer = Signer.generate(ORIGIN)
    append_batch(engine, [sale("0000001"), public_note(), payout(), sale("0000002")])
    return Book(engine, signer, Issuer(signer, ORIGIN, PUBLIC_URL))


@pytest.fixture(scope="module")
def book(sqlite_template, tmp_path_factory):
    """One SQLite book for a module's tests that do not depend on the database."""
    path = tmp_path_factory.mktemp("book") / "ledger.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield make_book(engine)
    engine.dispose()


@pytest.fixture
def any_book(engine):
    """A fresh book on each database."""
    return make_book(engine)


@pytest.fixture(scope="module")
def slip(book) -> bytes:
    """The slip PDF of the book's sale."""
    return book.pdf()


def tool(*args: str, stdin: bytes | None = None) -> str:
    """Run a poppler tool; its standard output."""
    done = subprocess.run(args, input=stdin, capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def long_table(rows: int) -> Rows:
    return Rows(
        ("户号", "户主（化名）", "分配金额"),
        tuple((f"H-{n:04d}", f"村民{n}", f"{n}.00 元") for n in range(rows)),
        title="分配明细",
        widths=(1, 2, 1),
    )
