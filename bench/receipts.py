"""receipts.generic.pdf: receipts per second, issuing 1,000 single-entry receipt PDFs with their
proof bundles into files (one checkpoint signed for the batch), against reportlab rendering the
same pages without the bundle and the QR code, in the same run.

The real side is ``ledger.receipts.issue.issue_each``: read the leaves and inclusion proofs of
the batch, sign one checkpoint, then per receipt lay out the page with its QR code and
``receipt.json`` and write the file. The ceiling is ``ledger.receipts.pdf.layout`` with
``qr=False, embed=False`` for the same documents and bundles (computed beforehand), each
written to a file: reportlab alone. Each round appends 1,000 fresh payouts first (not timed),
so each real run signs its own checkpoint (the ceiling's bundles are read after it, against
that checkpoint); the best round of each side counts.

The issue names the one-yuan buyer's certificate (``receipts.oneyuan.pdf``); until the carbon
units module has landed, this measures the generic receipt of one payout the same way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import Result, payout_drafts, progress, rate_result, sqlite_database, timed
from ledger.core.note import Signer
from ledger.receipts import pdf
from ledger.receipts.bundle import build
from ledger.receipts.issue import Issuer, issue_each
from ledger.receipts.pdf import Bound, Document, Field
from ledger.services.log import append_batch

COUNT = 1_000
ROUNDS = 2
TARGET = 0.5
ORIGIN = "bench.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"
CERTIFICATE = Document(
    title="碳汇收益分配凭证",
    subtitle="将乐县林业局（基准测试）",
    fields=(
        Field("农户", Bound("/leaf/body/household", "text")),
        Field("金额", Bound("/leaf/postings/1/amount", "yuan")),
        Field("金额大写", Bound("/leaf/postings/1/amount", "yuan_capital")),
        Field("日期", Bound("/leaf/time", "date")),
        Field("分配批次", Bound("/leaf/body/distribution", "text")),
    ),
    notes=("本凭证由基准测试生成。",),
)


def _real(engine, issuer: Issuer, seqs: list[int], out: Path) -> None:
    pdfs = issue_each(engine, issuer, [([seq], CERTIFICATE) for seq in seqs])
    for seq, data in zip(seqs, pdfs, strict=True):
        (out / f"{seq}.pdf").write_bytes(data)


def _ceiling(bundles, out: Path) -> None:
    for b in bundles:
        data, _ = pdf.layout(CERTIFICATE, [b], public_url=PUBLIC_URL, qr=False, embed=False)
        (out / f"{b.leaf_index}.pdf").write_bytes(data)


def run() -> Result:
    name = "receipts.generic.pdf"
    signer = Signer.generate(ORIGIN)
    issuer = Issuer(signer, ORIGIN, PUBLIC_URL)
    pdf.register_fonts()  # once per process, for both sides
    best_real = best_ceiling = float("inf")
    with sqlite_database() as engine, tempfile.TemporaryDirectory() as workdir:
        for n in range(ROUNDS):
            first = n * COUNT
            append_batch(engine, payout_drafts(first, COUNT))
            seqs = list(range(first, first + COUNT))
            real_dir, ceiling_dir = Path(workdir, f"real{n}"), Path(workdir, f"ceiling{n}")
            real_dir.mkdir()
            ceiling_dir.mkdir()
            real = timed(_real, engine, issuer, seqs, real_dir)
            bundles = build(engine, seqs, signer, ORIGIN)  # the checkpoint the real run signed
            ceiling = timed(_ceiling, bundles, ceiling_dir)
            progress(
                f"{name} round {n + 1}: {COUNT / real:,.1f} receipts/s "
                f"(ceiling {COUNT / ceiling:,.1f})"
            )
            best_real, best_ceiling = min(best_real, real), min(best_ceiling, ceiling)
    return rate_result(name, COUNT, best_real, best_ceiling, TARGET, unit="receipts/s")
