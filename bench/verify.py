"""verify.sqlite: entries/s of ``verify_log`` on a 200,000-entry log (payouts with two
postings each, plus a signed checkpoint), against reading the same leaf bytes in the same
chunks through SQLAlchemy Core and hashing each with :mod:`hashlib` (RFC 9162 leaf hash).

The two alternate, twice each; the best run of each counts.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine, select

from bench.common import Result, payout_drafts, progress, rate_result, timed
from bench.logbuild import grow
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import ENTRY
from ledger.services.verify import CHUNK, verify_log

ENTRIES = 200_000
BUILD_BATCH = 10_000
ORIGIN = "bench.carbon-ledger.example/log"
ROUNDS = 2
TARGET = 0.25


def read_and_hash(engine: Engine, log: str = "main") -> int:
    """The ceiling: every leaf of ``log`` read once, in ``seq`` order, and hashed."""
    count = 0
    last = -1
    with engine.connect() as conn, conn.begin():
        while True:
            rows = conn.execute(
                select(ENTRY.c.seq, ENTRY.c.leaf)
                .where(ENTRY.c.log == log, ENTRY.c.seq > last)
                .order_by(ENTRY.c.seq)
                .limit(CHUNK)
            ).all()
            if not rows:
                return count
            for _seq, leaf in rows:
                hashlib.sha256(b"\x00" + leaf).digest()
            count += len(rows)
            last = rows[-1][0]


def run(engine: Engine, name: str, workdir: Path) -> Result:
    grow(engine, ENTRIES, payout_drafts, BUILD_BATCH, "the verify log")
    signer, _created = create_signing_key(workdir / "bench-key.pem", ORIGIN)
    sign_checkpoint(engine, signer, ORIGIN)
    verifiers = [signer.verifier()]

    def real():
        findings = verify_log(engine, verifiers, origin=ORIGIN)
        if findings:
            raise RuntimeError(f"log verify found problems: {findings[:3]}")

    def ceiling():
        if read_and_hash(engine) != ENTRIES:
            raise RuntimeError("the ceiling did not read every leaf")

    real_times, ceiling_times = [], []
    for n in range(ROUNDS):
        ceiling_times.append(timed(ceiling))
        real_times.append(timed(real))
        progress(
            f"{name} round {n + 1}: verify {real_times[-1]:.2f} s, "
            f"read+hash {ceiling_times[-1]:.2f} s"
        )
    return rate_result(name, ENTRIES, min(real_times), min(ceiling_times), TARGET)
