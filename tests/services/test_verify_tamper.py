"""Tamper evidence: an attacker with database access edits the log, ``verify_log`` notices.

One log of 29 entries (documents, sales with postings, notes; checkpoints signed at 13 and 29)
is built once per database; every example works on a copy of it (a file copy on SQLite, a
``CREATE DATABASE … TEMPLATE`` on PostgreSQL). Hypothesis picks one move of the attacker (who
has dropped the append-only triggers first): change a byte of a leaf, change a posting, swap
two entries, delete an entry, change a column copied from the leaf, a stored tree node or a
balance, or cut the tail off the log and fix up everything inside the database. Each must
yield findings that name the entry concerned; for the careful cut, only a checkpoint that
left the building (or one still stored beyond the new size) shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from ledger.core.entry import EntryDraft
from ledger.core.note import Checkpoint, Signer, sign_note
from ledger.services.checkpoints import SignedCheckpoint
from ledger.services.log import ENTRY, NODE, append_batch
from ledger.services.verify import verify_log
from tests.services import (
    ACCOUNTS,
    BALANCE,
    CHECKPOINT,
    ORIGIN,
    attack,
    build_log,
    database_copies,
    delete_entry,
    draft,
    flip_leaf_byte,
    postings_of,
    set_posting,
    swap_entries,
    truncate,
)

SIZE = 29
MIDDLE = 13
SIGNER = Signer.generate(ORIGIN)
VERIFIERS = [SIGNER.verifier()]
POSTINGS = postings_of(SIZE)
COLUMNS = {
    "kind": "test.tampered",
    "actor": "test:attacker",
    "time": "2020-01-01T00:00:00.000000Z",
    "prev_hash": b"\xff" * 32,
}
NODES = [(lvl, i) for lvl in range(1, SIZE.bit_length()) for i in range(SIZE >> lvl)]


@dataclass
class Prepared:
    """A built log and a way to get throw-away copies of it."""

    backend: str
    copy: Callable[[], AbstractContextManager[Engine]]
    checkpoints: list[SignedCheckpoint]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def prepared(request, tmp_path_factory) -> Iterator[Prepared]:
    def build(engine: Engine) -> list[SignedCheckpoint]:
        return build_log(engine, SIGNER, SIZE, (MIDDLE,))

    with database_copies(request, tmp_path_factory, build) as (copy, signed):
        yield Prepared(request.param, copy, signed)


def verify(engine: Engine, external: str | None = None):
    return verify_log(engine, VERIFIERS, origin=ORIGIN, external_checkpoint=external)


def seqs(findings) -> set[int | None]:
    return {f.seq for f in findings}


# -- the untouched log ---------------------------------------------------------------------


def test_untouched_log_has_no_findings(prepared):
    middle, last = prepared.checkpoints
    assert (middle.checkpoint.size, last.checkpoint.size) == (MIDDLE, SIZE)
    with prepared.copy() as engine:
        assert verify(engine) == []
        assert verify(engine, last.note) == []
        assert verify(engine, middle.note) == []


# -- the property: every move of the attacker is found, at the entry it touched ------------

moves = st.one_of(
    st.tuples(
        st.just("leaf"),
        st.integers(0, SIZE - 1),
        st.integers(0, 10_000),
        st.integers(1, 255),
    ),
    st.tuples(
        st.just("posting"),
        st.integers(0, len(POSTINGS) - 1),
        st.sampled_from(["amount", "account", "commodity"]),
        st.integers(1, 10**6) | st.integers(-(10**6), -1),
    ),
    st.tuples(
        st.just("swap"),
        st.lists(st.integers(0, SIZE - 1), min_size=2, max_size=2, unique=True).map(sorted),
    ),
    st.tuples(st.just("delete"), st.integers(1, SIZE - 2)),
    st.tuples(st.just("node"), st.sampled_from(NODES), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, SIZE - 1), st.booleans()),
    st.tuples(st.just("column"), st.integers(0, SIZE - 1), st.sampled_from(sorted(COLUMNS))),
    st.tuples(st.just("balance"), st.integers(0, 3), st.integers(1, 10**6)),
)


def check_move(prepared: Prepared, move: tuple) -> None:
    final = prepared.checkpoints[-1].note
    with prepared.copy() as engine:
        match move:
            case ("leaf", seq, pos, xor):
                attack(engine, flip_leaf_byte, seq, pos, xor)
                want = {seq}
                codes = {"leaf.hash_mismatch"}
            case ("posting", n, field, delta):
                seq, idx, posting = POSTINGS[n]
                if field == "amount":
                    value = posting.amount + delta
                elif field == "account":
                    others = [a for a in ACCOUNTS if a != posting.account]
                    value = others[delta % len(others)]
                else:
                    value = {"CNY": "CO2E", "CO2E": "CNY"}[posting.commodity]
                attack(engine, set_posting, seq, idx, **{field: value})
                want = {seq}
                codes = {"posting.mismatch"}
            case ("swap", [a, b]):
                attack(engine, swap_entries, a, b)
                want = {a, b}
                codes = {"leaf.seq_mismatch"}
            case ("delete", seq):
                attack(engine, delete_entry, seq)
                want = {seq}
                codes = {"entry.missing"}
            case ("column", seq, column):
                attack(engine, set_column, seq, column, COLUMNS[column])
                want = {seq}
                codes = {"entry.column_mismatch"}
            case ("balance", n, delta):
                want = {attack(engine, _shift_balance, n, delta)}
                codes = {"projection.balance"}
            case ("node", (level, idx), xor):
                attack(engine, _flip_node, level, idx, xor)
                want = {((idx + 1) << level) - 1}
                codes = {"tree.node_mismatch"}
            case ("truncate", size, drop_checkpoints):
                attack(engine, truncate, size, drop_checkpoints=drop_checkpoints)
                inside = verify(engine)
                if drop_checkpoints:
                    # Nothing left inside the database shows the cut ...
                    assert inside == [], inside
                else:
                    # ... unless a stored checkpoint covers more than the log now has.
                    assert ("log.truncated", size) in {(f.code, f.seq) for f in inside}, inside
                findings = verify(engine, final)
                assert findings, move
                assert ("log.truncated", size) in {(f.code, f.seq) for f in findings}, findings
                return
            case _:  # pragma: no cover
                raise AssertionError(move)
        findings = verify(engine)
    assert findings, f"{move}: no findings"
    assert want <= seqs(findings), (move, findings)
    assert codes <= {f.code for f in findings if f.seq in want}, (move, findings)
    assert all(f.log == "main" for f in findings)


def set_column(conn, seq: int, column: str, value) -> None:
    conn.execute(update(ENTRY).where(ENTRY.c.seq == seq).values({column: value}))


def _shift_balance(conn, n: int, delta: int) -> int:
    """Change the n-th stored balance (a mutable projection); return its last seq."""
    row = conn.execute(
        select(BALANCE).order_by(BALANCE.c.account, BALANCE.c.commodity).offset(n).limit(1)
    ).one()
    conn.execute(
        update(BALANCE)
        .where(BALANCE.c.account == row.account, BALANCE.c.commodity == row.commodity)
        .values(balance=row.balance + delta)
    )
    return row.last_seq


def _flip_node(conn, level: int, idx: int, xor: int) -> None:
    where = (NODE.c.log == "main", NODE.c.level == level, NODE.c.idx == idx)
    h = bytearray(conn.execute(select(NODE.c.hash).where(*where)).scalar_one())
    h[idx % len(h)] ^= xor
    conn.execute(update(NODE).where(*where).values(hash=bytes(h)))


def test_every_tampering_is_found_at_its_seq(prepared):
    @settings(max_examples=30 if prepared.backend == "sqlite" else 8, deadline=None, database=None)
    @given(move=moves)
    @example(move=("leaf", 0, 0, 1))
    @example(move=("leaf", SIZE - 1, 9_999, 0x80))
    @example(move=("posting", 0, "amount", 1))
    @example(move=("posting", len(POSTINGS) - 1, "account", 3))
    @example(move=("posting", 5, "commodity", 1))
    @example(move=("swap", [MIDDLE - 1, MIDDLE]))
    @example(move=("delete", MIDDLE))
    @example(move=("node", (4, 0), 7))
    @example(move=("column", 0, "prev_hash"))
    @example(move=("balance", 0, 1))
    @example(move=("truncate", MIDDLE + 1, True))
    @example(move=("truncate", MIDDLE - 1, False))
    def check(move):
        check_move(prepared, move)

    check()


# -- history rewritten consistently: only checkpoints tell ---------------------------------


@pytest.mark.parametrize("keep_checkpoints", [True, False])
def test_consistent_rewrite_is_caught_by_checkpoints(prepared, keep_checkpoints):
    """Cut back to 10 entries, then append different entries beyond the old size: the chain,
    the tree and the head all agree, so only signed roots can tell."""
    middle, final = prepared.checkpoints
    with prepared.copy() as engine:
        attack(engine, truncate, 10, drop_checkpoints=not keep_checkpoints)
        forged = [draft(i) for i in range(10, SIZE + 3)]
        forged[0] = EntryDraft("test.note", {"forged": True}, "test:attacker")
        append_batch(engine, forged)
        inside = verify(engine)
        if keep_checkpoints:
            assert {("log.rewritten", MIDDLE - 1), ("log.rewritten", SIZE - 1)} <= {
                (f.code, f.seq) for f in inside
            }, inside
        else:
            assert inside == [], inside
        for note, size in ((middle.note, MIDDLE), (final.note, SIZE)):
            outside = verify(engine, note)
            assert ("log.rewritten", size - 1) in {(f.code, f.seq) for f in outside}, outside


# -- checkpoints themselves ----------------------------------------------------------------


def test_forged_or_foreign_checkpoints_are_findings(prepared):
    final = prepared.checkpoints[-1]
    stranger = Signer.generate(ORIGIN)
    foreign = sign_note(Checkpoint(ORIGIN, SIZE, final.checkpoint.root).text(), stranger)
    other_origin = sign_note(
        Checkpoint("elsewhere/log", SIZE, final.checkpoint.root).text(), SIGNER
    )
    with prepared.copy() as engine:
        for note in (foreign, other_origin, final.note.replace(f"\n{SIZE}\n", "\n28\n")):
            codes = {f.code for f in verify(engine, note)}
            assert codes == {"checkpoint.external"}, note
        # a stored checkpoint whose note was edited no longer verifies
        edited = final.note.replace(f"\n{SIZE}\n", f"\n{SIZE + 1}\n")
        attack(engine, _set_note, final.number, edited)
        codes = {f.code for f in verify(engine)}
        assert "checkpoint.signature" in codes


def _set_note(conn, number: int, note: str) -> None:
    conn.execute(update(CHECKPOINT).where(CHECKPOINT.c.number == number).values(note=note))
