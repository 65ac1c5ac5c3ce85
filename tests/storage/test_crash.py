"""A writer process killed with SIGKILL in the middle of one large batch leaves the log intact:
it verifies (against the checkpoint signed before the crash too), the batch is entirely present
or entirely absent, and the log takes new entries and checkpoints afterwards."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import ENTRY, NODE, POSTING, append_batch, read_head
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from tests.conftest import REPO
from tests.storage.writer import anchor, note, table_state, transfer

ORIGIN = "test/log"
#: Entries in the killed batch. The "insert" kill lands while the postings of all of them are
#: being inserted (seconds of work left); the "commit" kill races the COMMIT itself.
BATCH = {"insert": 30_000, "commit": 5_000}


def _counts(engine) -> tuple[int, int, int, int]:
    with read_transaction(engine) as conn:
        entries, postings, nodes = (
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (ENTRY, POSTING, NODE)
        )
        return read_head(conn).size, entries, postings, nodes


def _nodes(size: int) -> int:
    """Stored tree nodes of a log of ``size`` entries: every perfect subtree above the leaves."""
    return size - size.bit_count()


def _kill_on_announcement(db_url: str, announce: str) -> tuple[bool, str]:
    """Run the crash writer, SIGKILL it when it announces ``announce``; return (committed,
    everything it printed)."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.storage.writer", "crash", db_url),
            *("--entries", str(BATCH[announce]), "--announce", announce),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        printed = []
        while (line := proc.stdout.readline()) and line != f"@{announce}\n":
            printed.append(line)
        assert line == f"@{announce}\n", f"writer ended early: {printed} {proc.stderr.read()}"
        assert proc.poll() is None, "the writer exited before it could be killed"
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    printed.append(out)
    return "committed" in out, "".join(printed)


@pytest.mark.slow
@pytest.mark.parametrize("announce", ["insert", "commit"])
def test_killed_writer_leaves_the_batch_all_or_nothing(db_url, engine, tmp_path, announce):
    signer, _ = create_signing_key(tmp_path / "keys" / "log.pem", ORIGIN)
    verifiers = [signer.verifier()]
    append_batch(engine, [transfer(0, fen=10, kg=1), anchor(1), note(2)])
    kept_outside = sign_checkpoint(engine, signer, ORIGIN).note
    before = table_state(engine)
    n = BATCH[announce]

    committed, printed = _kill_on_announcement(db_url, announce)

    size, entries, postings, nodes = _counts(engine)
    absent = (3, 3, 4, _nodes(3))
    present = (3 + n, 3 + n, 4 + 4 * n, _nodes(3 + n))  # four postings per entry
    assert (size, entries, postings, nodes) in (absent, present), "a partial batch is visible"
    if announce == "insert":  # killed mid-transaction, long before its COMMIT
        assert not committed, printed
        assert (size, entries, postings, nodes) == absent
    if committed:
        assert (size, entries, postings, nodes) == present
    if size == 3:
        assert table_state(engine) == before
    print(f"killed at {announce}: the batch is {'present' if size > 3 else 'absent'}")

    findings = verify_log(engine, verifiers, origin=ORIGIN, external_checkpoint=kept_outside)
    assert findings == [], findings

    # The log carries on: the next entry takes the next seq and a new checkpoint is consistent.
    [entry] = append_batch(engine, [note(3)])
    assert entry.seq == size
    assert sign_checkpoint(engine, signer, ORIGIN).checkpoint.size == size + 1
    assert verify_log(engine, verifiers, origin=ORIGIN, external_checkpoint=kept_outside) == []
