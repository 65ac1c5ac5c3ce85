"""One property every registered projector must have (``log verify`` relies on it when it cuts
a big log into chunks checked in worker processes): feeding its replay the whole log, and
merging the replays of any cut of the log into consecutive chunks, end in the same state — and
that state agrees with the rows the append path wrote (no findings).

The log: every module's demo data (what ``make run`` seeds) plus the verification tests' mixed
log of anchors, sales and notes, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.accounts.passwords import Hasher
from ledger.demo import seed_demo
from ledger.platform import registry
from ledger.services.log import read_head
from ledger.services.verify_scan import check_chunk, read_chunk
from ledger.storage.db import read_transaction
from tests.services import ORIGIN, build_log
from tests.services.test_checkpoints import SIGNER

PROJECTORS = [p.name for p in registry().projectors_for("main")]


@pytest.fixture
def demo_log(engine):
    seed_demo(engine, SIGNER, ORIGIN, hasher=Hasher(1, 8, 1))
    build_log(engine, SIGNER, size=20, checkpoint_at=())
    with read_transaction(engine) as conn:
        size = read_head(conn).size
        rows = read_chunk(conn, "main", -1, size - 1)
    return engine, size, rows


def _fed(projector, rows, lo: int, hi: int):
    """A fresh replay of ``projector`` fed the entries ``lo <= seq < hi``."""
    entries, postings = rows
    replay = projector.replay("main")
    check_chunk(
        "main",
        [e for e in entries if lo <= e[0] < hi],
        [p for p in postings if lo <= p[0] < hi],
        [replay],
        set(),
    )
    return replay


def test_every_projector_is_covered():
    assert {"account_balance", "doc_anchor", "log_entry_party"} <= set(PROJECTORS)


@pytest.mark.parametrize("name", PROJECTORS)
def test_merged_chunks_equal_the_whole_and_the_stored_rows(demo_log, name):
    engine, size, rows = demo_log
    projector = next(p for p in registry().projectors_for("main") if p.name == name)
    whole = _fed(projector, rows, 0, size)
    with read_transaction(engine) as conn:
        assert list(whole.findings(conn)) == []

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(cuts=st.sets(st.integers(min_value=1, max_value=size - 1), max_size=6))
    def check(cuts):
        bounds = [0, *sorted(cuts), size]
        parts = [_fed(projector, rows, lo, hi) for lo, hi in itertools.pairwise(bounds)]
        merged = parts[0]
        for part in parts[1:]:
            merged.merge(part)
        assert vars(merged) == vars(whole)

    check()
