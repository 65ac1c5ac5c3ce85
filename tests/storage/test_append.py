"""The append path on SQLite and PostgreSQL: positions, chain links, exact leaf bytes, postings,
projections, the head, one transaction per batch, idempotent retries, and the Merkle tree that
the stored hashes describe (roots and proofs checked against the RFC 9162 reference)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re

import pytest
from sqlalchemy import event, func, insert, select

from ledger.core.canonical import canonical_json
from ledger.core.entry import GENESIS_PREV, EntryDraft, Posting
from ledger.core.errors import ConflictError
from ledger.core.hashing import EMPTY_ROOT
from ledger.core.proof import verify_consistency, verify_inclusion
from ledger.services.log import (
    ENTRY,
    NODE,
    POSTING,
    append,
    append_batch,
    read_entries,
    read_head,
    write,
)
from ledger.services.tree import consistency_proof, inclusion_proof, root_at
from ledger.storage.db import read_transaction, write_transaction
from ledger.storage.tables import AccountBalance, DocAnchor
from tests.core.reference import ReferenceTree
from tests.storage.writer import (
    ACTOR,
    BUYER,
    COLLECTIVE,
    FOREST,
    SALES,
    anchor,
    note,
    table_state,
    transfer,
)

BALANCE = AccountBalance.__table__
ANCHOR = DocAnchor.__table__


def _batches() -> list[list[EntryDraft]]:
    """Thirteen entries in batches of 1, 4, 3 and 5 (so batches end inside perfect subtrees)."""
    return [
        [anchor(0)],
        [transfer(1, fen=1234), note(2), transfer(3, fen=66, kg=1500), anchor(4)],
        [note(5, text="村集体 收益分配"), transfer(6, fen=-34), note(7)],
        [transfer(8 + i, fen=10 * (i + 1), kg=i) for i in range(5)],
    ]


def _build(engine) -> tuple[list[EntryDraft], list]:
    drafts, entries = [], []
    for batch in _batches():
        drafts += batch
        entries += append_batch(engine, batch)
    return drafts, entries


def _leaf_object(draft: EntryDraft, seq: int, time: str, prev: bytes, salt: str | None) -> dict:
    """The leaf as README.md defines it, written out here independently of the code: the
    draft's body, plus the log's salt for an entry of a scoped kind."""
    return {
        "v": 1,
        "seq": seq,
        "kind": draft.kind,
        "time": time,
        "actor": draft.actor,
        "prev": prev.hex(),
        "body": dict(draft.body) if salt is None else {**draft.body, "salt": salt},
        "postings": [
            {"account": p.account, "commodity": p.commodity, "amount": p.amount}
            for p in draft.postings
        ],
    }


def test_entries_are_contiguous_chained_and_stored_exactly(engine):
    drafts, entries = _build(engine)

    assert [e.seq for e in entries] == list(range(13))
    assert entries[0].prev == GENESIS_PREV == bytes(32)
    for before, after in itertools.pairwise(entries):
        assert after.prev == before.leaf_hash, f"seq {after.seq} does not link to its parent"

    with read_transaction(engine) as conn:
        rows = conn.execute(select(ENTRY).order_by(ENTRY.c.seq)).all()
        stored_postings = conn.execute(
            select(POSTING.c.seq, POSTING.c.idx, POSTING.c.account)
            .add_columns(POSTING.c.commodity, POSTING.c.amount)
            .order_by(POSTING.c.seq, POSTING.c.idx)
        ).all()
    assert [r.seq for r in rows] == list(range(13))
    salts = set()
    for draft, entry, row in zip(drafts, entries, rows, strict=True):
        # doc.anchor is public; every other kind here is scoped and gets 128 random bits.
        salt = None if draft.kind == "doc.anchor" else entry.body["salt"]
        if salt is not None:
            assert re.fullmatch(r"[0-9a-f]{32}", salt), salt
            salts.add(salt)
        expected = canonical_json(_leaf_object(draft, entry.seq, entry.time, entry.prev, salt))
        assert entry.leaf == expected
        assert bytes(row.leaf) == entry.leaf, f"seq {entry.seq}: stored leaf differs"
        assert json.loads(entry.leaf)["prev"] == entry.prev.hex()
        assert entry.leaf_hash == hashlib.sha256(b"\x00" + entry.leaf).digest()
        assert bytes(row.leaf_hash) == entry.leaf_hash
        assert bytes(row.prev_hash) == entry.prev
        assert (row.log, row.kind, row.actor, row.time) == ("main", draft.kind, ACTOR, entry.time)
        assert entry.time.endswith("Z")
    assert len(salts) == sum(d.kind != "doc.anchor" for d in drafts), "salts must differ"

    assert [tuple(p) for p in stored_postings] == [
        (seq, idx, p.account, p.commodity, p.amount)
        for seq, draft in enumerate(drafts)
        for idx, p in enumerate(draft.postings)
    ]


def test_projections_and_head_follow_the_entries(engine):
    drafts, entries = _build(engine)

    expected: dict[tuple[str, str], list[int]] = {}
    for seq, draft in enumerate(drafts):
        for p in draft.postings:
            slot = expected.setdefault((p.account, p.commodity), [0, seq])
            slot[0] += p.amount
            slot[1] = seq
    with read_transaction(engine) as conn:
        balances = {
            (r.account, r.commodity): [r.balance, r.last_seq]
            for r in conn.execute(select(BALANCE).where(BALANCE.c.log == "main"))
        }
        anchors = conn.execute(select(ANCHOR.c.seq, ANCHOR.c.sha256).order_by(ANCHOR.c.seq)).all()
        head = read_head(conn)
        audit = read_head(conn, "audit")
    assert balances == expected
    assert balances[(COLLECTIVE, "CNY")][0] == 1234 + 66 - 34 + 10 + 20 + 30 + 40 + 50
    assert balances[(SALES, "CNY")][0] == -balances[(COLLECTIVE, "CNY")][0]
    assert balances[(BUYER, "CO2E")] == [1500 + 1 + 2 + 3 + 4, 12]
    assert balances[(FOREST, "CO2E")][0] == -balances[(BUYER, "CO2E")][0]
    assert [tuple(a) for a in anchors] == [
        (0, drafts[0].body["sha256"]),
        (4, drafts[4].body["sha256"]),
    ]

    reference = ReferenceTree([e.leaf for e in entries])
    assert head.size == 13
    assert head.last_leaf_hash == entries[-1].leaf_hash
    assert head.root == reference.root(13)
    assert (audit.size, audit.root, audit.last_leaf_hash) == (0, EMPTY_ROOT, GENESIS_PREV)


def test_roots_and_proofs_from_the_store_verify(engine):
    _, entries = _build(engine)
    n = len(entries)
    reference = ReferenceTree([e.leaf for e in entries])

    with read_transaction(engine) as conn:
        nodes = conn.execute(select(func.count()).select_from(NODE)).scalar_one()
        roots = {size: root_at(conn, "main", size) for size in range(n + 1)}
        assert roots[0] == EMPTY_ROOT
        for size in range(1, n + 1):
            assert roots[size] == reference.root(size), f"root at size {size}"
            for index in range(size):
                proof = inclusion_proof(conn, "main", index, size)
                assert proof == reference.inclusion(index, size)
                verify_inclusion(entries[index].leaf_hash, index, size, proof, roots[size])
            for old in range(1, size + 1):
                proof = consistency_proof(conn, "main", old, size)
                assert proof == reference.consistency(old, size)
                verify_consistency(old, size, proof, roots[old], roots[size])
    # every perfect subtree of level >= 1 is stored once: 6 + 3 + 1 for 13 leaves
    assert nodes == sum(n >> level for level in range(1, n.bit_length())) == 10


def test_a_batch_is_one_transaction(engine):
    append_batch(engine, [note(0)])
    events: list[str] = []
    event.listen(engine, "begin", lambda conn: events.append("begin"))
    event.listen(engine, "commit", lambda conn: events.append("commit"))
    event.listen(engine, "rollback", lambda conn: events.append("rollback"))
    entries = append_batch(engine, [transfer(1, fen=5, kg=6), anchor(2), note(3), note(4)])
    assert events == ["begin", "commit"]
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert len({e.time for e in entries}) == 1  # one transaction, one time

    # A failure after the entries, postings and nodes were inserted (the doc_anchor projection
    # collides with a row planted at seq 7) rolls all of them back.
    with write_transaction(engine) as conn:
        conn.execute(insert(ANCHOR), {"seq": 7, "sha256": "0" * 64, "size": 0, "title": "x"})
    before = table_state(engine)
    events.clear()
    with pytest.raises(Exception, match="doc_anchor"):
        append_batch(engine, [transfer(5, fen=9), note(6), anchor(7), note(8)])
    assert events == ["begin", "rollback"]
    assert table_state(engine) == before

    # append() joins the caller's transaction: if the caller fails afterwards, nothing stays.
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        append(conn, [transfer(5, fen=9), note(6)])
        raise RuntimeError("the caller's own write failed")
    assert table_state(engine) == before


def test_idempotent_retry_returns_the_original_entries(engine):
    drafts = [transfer(0, fen=250, kg=3), note(1)]
    first = append_batch(engine, drafts, idempotency_key="sale-2026-0001")
    append_batch(engine, [note(2)])
    state = table_state(engine)

    def same_drafts():  # equal content, new objects
        return [transfer(0, fen=250, kg=3), note(1)]

    again = append_batch(engine, same_drafts(), idempotency_key="sale-2026-0001")
    assert again == first
    assert [(e.seq, bytes(e.leaf), e.leaf_hash) for e in again] == [
        (e.seq, e.leaf, e.leaf_hash) for e in first
    ]
    assert table_state(engine) == state, "an idempotent retry wrote something"

    # through the write path with the same request, too: decide is not even called
    def decide(tx):
        raise AssertionError("a retry must be answered before any domain check")

    request = [d.content() for d in same_drafts()]
    assert write(engine, decide, idempotency_key="sale-2026-0001", request=request) == first
    assert table_state(engine) == state

    # the key belongs to its log: the audit log has not seen it
    signin = EntryDraft("audit.signin", {"user": 1}, ACTOR)
    audit = append_batch(engine, [signin], log="audit", idempotency_key="sale-2026-0001")
    assert [e.seq for e in audit] == [0]


def test_idempotency_key_with_other_content_is_refused(engine):
    sent = transfer(0, fen=250)
    append_batch(engine, [sent], idempotency_key="k-1")
    state = table_state(engine)
    others = [
        [transfer(0, fen=251)],  # another amount
        [transfer(0, fen=250), note(1)],  # one more entry
        [EntryDraft("test.sale", sent.body, "user:7", sent.postings)],  # other actor
        [EntryDraft("test.sale", sent.body, ACTOR, sent.postings[::-1])],  # order
        [EntryDraft("test.sale", {**sent.body, "memo": "other"}, ACTOR, sent.postings)],
    ]
    for drafts in others:
        with pytest.raises(ConflictError) as caught:
            append_batch(engine, drafts, idempotency_key="k-1")
        assert caught.value.code == "idempotency.conflict"
        assert "'k-1'" in caught.value.message
        assert "already used with other content" in caught.value.message
        assert caught.value.details == {"first_seq": 0, "count": 1}
        assert table_state(engine) == state


def test_read_entries_returns_what_was_appended(engine):
    _, entries = _build(engine)
    with read_transaction(engine) as conn:
        assert list(read_entries(conn, "main", 0, 13)) == entries
        assert list(read_entries(conn, "main", 3, 6)) == entries[3:6]
    assert entries[1].postings == (Posting(COLLECTIVE, "CNY", 1234), Posting(SALES, "CNY", -1234))
