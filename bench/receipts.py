"""receipts.oneyuan.pdf: one-yuan buyers' certificates (一元碳汇认购证书) per second, making the
certificates of an import of 1,000 purchases with their proof bundles into files (one
checkpoint signed for the batch), against reportlab rendering the same pages without the bundle
and the QR code, in the same run.

The real side is ``ledger.units.certificates.import_certificates``, as ``carbon-ledger receipt
oneyuan --import SEQ -d DIR`` runs it: find the import's purchases, read their entries and the
buyers' names from the vault, read the leaves and inclusion proofs, sign one checkpoint, then
per certificate lay out the page with its QR code and ``receipt.json`` and write the file. The
ceiling is ``ledger.receipts.pdf.layout`` with ``qr=False, embed=False`` for the same
documents (made beforehand, names included) and bundles (read after the real run, against its
checkpoint), each written to a file: reportlab alone. Each round imports 1,000 fresh purchases
first (not timed), so each real run signs its own checkpoint; the best round of each side
counts.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.common import Result, progress, rate_result, sqlite_database, timed
from bench.units import purchases_csv, setup_project
from ledger.core.note import Signer
from ledger.receipts import pdf
from ledger.receipts.bundle import build
from ledger.receipts.issue import Issuer
from ledger.storage.db import read_transaction
from ledger.units import certificates, oneyuan
from ledger.vault.crypto import Vault

COUNT = 1_000
ROUNDS = 2
TARGET = 0.5
ORIGIN = "bench.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"


def _real(engine, issuer: Issuer, vault: Vault, anchor: int, out: Path) -> int:
    made = 0
    for cert in certificates.import_certificates(engine, issuer, vault, anchor):
        (out / cert.filename).write_bytes(cert.pdf)
        made += 1
    return made


def _ceiling(pages, out: Path) -> None:
    for name, document, bundle in pages:
        data, _ = pdf.layout(document, [bundle], public_url=PUBLIC_URL, qr=False, embed=False)
        (out / name).write_bytes(data)


def _pages(engine, vault: Vault, seqs: list[int], signer: Signer):
    """The ceiling's input: each certificate's document and bundle (the real run's checkpoint)."""
    bundles = build(engine, seqs, signer, ORIGIN)
    entries = [b.entry() for b in bundles]
    with read_transaction(engine) as conn:
        names = certificates.read_names(conn, vault, entries)
    return [
        (
            certificates.file_name(e.body["certificate_no"], e.seq),
            certificates.certificate_document(e, names),
            b,
        )
        for e, b in zip(entries, bundles, strict=True)
    ]


def run() -> Result:
    name = "receipts.oneyuan.pdf"
    signer = Signer.generate(ORIGIN)
    issuer = Issuer(signer, ORIGIN, PUBLIC_URL)
    vault = Vault.from_key(os.urandom(32))
    pdf.register_fonts()  # once per process, for both sides
    best_real = best_ceiling = float("inf")
    with sqlite_database() as engine, tempfile.TemporaryDirectory() as workdir:
        setup_project(engine, "SC-001", COUNT * 50 * ROUNDS)
        for n in range(ROUNDS):
            data = purchases_csv(COUNT, start=n * COUNT)
            result = oneyuan.import_purchases(engine, vault, data, actor="bench")
            anchor = result.first_seq
            seqs = list(range(anchor + 1, result.last_seq + 1))
            real_dir, ceiling_dir = Path(workdir, f"real{n}"), Path(workdir, f"ceiling{n}")
            real_dir.mkdir()
            ceiling_dir.mkdir()
            real = timed(_real, engine, issuer, vault, anchor, real_dir)
            if len(os.listdir(real_dir)) != COUNT:
                raise RuntimeError(f"{name}: {len(os.listdir(real_dir))} certificates written")
            pages = _pages(engine, vault, seqs, signer)
            ceiling = timed(_ceiling, pages, ceiling_dir)
            progress(
                f"{name} round {n + 1}: {COUNT / real:,.1f} certificates/s "
                f"(ceiling {COUNT / ceiling:,.1f})"
            )
            best_real, best_ceiling = min(best_real, real), min(best_ceiling, ceiling)
    return rate_result(name, COUNT, best_real, best_ceiling, TARGET, unit="certificates/s")
