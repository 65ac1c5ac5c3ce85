"""Reading the log under the read rule (:mod:`ledger.platform.reading`): which entries' contents
a :class:`~ledger.platform.ReadScope` may see, as a SQL condition for listings and as a check
for single entries. Leaf hashes, sizes and proofs are public and need neither."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, exists, false, or_, select

from ledger.platform import ReadScope, registry
from ledger.platform.reading import party_division
from ledger.services.log import ENTRY
from ledger.storage.tables import LogEntryParty

PARTY = LogEntryParty.__table__


def readable_clause(scope: ReadScope, log: str = "main"):
    """A condition on ``log_entry`` rows: the entry's contents are readable under ``scope``
    (its kind is public, or one of its parties is in the scope)."""
    if log != "main":
        return false()
    public = sorted(name for name, kind in registry().kinds.items() if kind.public)
    clauses = [ENTRY.c.kind.in_(public)] if public else [false()]
    if scope.party is not None:
        # the division first: it is what the index is on (ix_log_entry_party_division)
        match = (PARTY.c.division == party_division(scope.party)) & (PARTY.c.party == scope.party)
    elif scope.division:
        match = PARTY.c.division.startswith(scope.division, autoescape=True)
    else:
        match = None
    if match is not None:
        clauses.append(
            exists().where(PARTY.c.log == ENTRY.c.log, PARTY.c.seq == ENTRY.c.seq, match)
        )
    return or_(*clauses)


def readable_seqs(conn: Connection, scope: ReadScope, seqs: Iterable[int], log: str = "main"):
    """The subset of ``seqs`` whose contents ``scope`` may read."""
    wanted = list(seqs)
    if not wanted:
        return set()
    rows = conn.execute(
        select(ENTRY.c.seq).where(
            ENTRY.c.log == log, ENTRY.c.seq.in_(wanted), readable_clause(scope, log)
        )
    )
    return {seq for (seq,) in rows}
