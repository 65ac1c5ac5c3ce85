"""The entry index: for every entry of the main log, that a module declares its kind, that a
scoped entry carries its salt, and which organisations (parties) a scoped entry concerns, in
``log_entry_party``. The parties decide who may read the entry (:mod:`ledger.platform.reading`);
``log verify`` re-derives them and reports an undeclared kind or a missing salt."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from ledger.core.entry import Entry
from ledger.core.findings import Finding
from ledger.platform.reading import entry_parties, party_division
from ledger.platform.registry import SALT_KEY, registry
from ledger.services.bulk import insert_many
from ledger.services.projections import Replay, compare, stream
from ledger.storage.tables import LogEntryParty

PARTY = LogEntryParty.__table__
_PARTY_ROW = ("log", "seq", "party", "division")
_INSERT_PARTY = insert(PARTY)
SALT_RE = re.compile(r"[0-9a-f]{32,}")


class EntryIndexProjector:
    """Writes ``log_entry_party`` rows for the scoped entries of the main log."""

    name = "log_entry_party"
    kinds = None
    logs = frozenset({"main"})
    rebuildable = True

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        kinds = registry().kinds
        rows = []
        divisions: dict[str, str] = {}
        known: set[str] = set()  # declared parties found well formed (see entry_parties)
        for e in entries:
            declared = kinds.get(e.kind)
            if declared is not None and declared.public:
                continue
            parties = entry_parties(declared, e.body, e.postings, known)
            for party in sorted(parties) if len(parties) > 1 else parties:
                division = divisions.get(party)
                if division is None:
                    division = divisions[party] = party_division(party)
                rows.append((log, e.seq, party, division))
        insert_many(conn, _INSERT_PARTY, _PARTY_ROW, rows)

    def replay(self, log: str) -> Replay:
        return _EntryIndexReplay(log)

    def clear(self, conn: Connection, log: str) -> None:
        conn.execute(delete(PARTY).where(PARTY.c.log == log))


class _EntryIndexReplay:
    """``expected[seq] = sorted parties`` of each scoped entry, and the findings of the feed
    (an undeclared kind, a scoped leaf without a salt)."""

    kinds = None

    def __init__(self, log: str):
        self.log = log
        self.expected: dict[int, str | tuple[str, ...]] = {}
        self.problems: list[tuple[str, str, int]] = []

    def feed(
        self, seq: int, kind: str, time: str, actor: str, body: Mapping[str, Any], postings
    ) -> None:
        declared = registry().kinds.get(kind)
        if declared is None:
            self.problems.append(
                ("entry.kind_unknown", f"no module declares the entry kind {kind!r}", seq)
            )
        elif declared.public:
            return
        salt = body.get(SALT_KEY)
        if type(salt) is not str or not SALT_RE.fullmatch(salt):
            self.problems.append(
                ("entry.salt_missing", "a scoped entry has no salt of 128 bits or more", seq)
            )
        parties = entry_parties(declared, body, postings)
        if parties:
            self.expected[seq] = parties.pop() if len(parties) == 1 else tuple(sorted(parties))

    def merge(self, later: _EntryIndexReplay) -> None:
        self.expected.update(later.expected)
        self.problems.extend(later.problems)

    def findings(self, conn: Connection) -> Iterator[Finding]:
        """The feed's problems, then every entry whose stored parties differ from the log's
        (the stored rows streamed in seq order, grouped per entry as the feed stores them:
        one party as a string, several as a sorted tuple)."""
        for code, message, seq in self.problems:
            yield Finding(code, message, seq, self.log)
        rows = stream(
            conn,
            select(PARTY.c.seq, PARTY.c.party, PARTY.c.division)
            .where(PARTY.c.log == self.log)
            .order_by(PARTY.c.seq, PARTY.c.party),
        )
        for seq, parties, _ in compare(_grouped(rows), self.expected):
            yield Finding(
                "projection.entry_party",
                f"the stored readers of this entry ({parties}) are not those of the log",
                seq,
                self.log,
            )


def _grouped(rows: Iterator[Any]) -> Iterator[tuple[int, str | tuple]]:
    """``(seq, parties)`` per seq from rows ordered by seq, shaped as the feed stores them; a
    row whose division does not match its party makes a value that equals no expected one."""
    seq, parties = None, []
    for row_seq, party, division in rows:
        if row_seq != seq:
            if seq is not None:
                yield seq, parties[0] if len(parties) == 1 else tuple(parties)
            seq, parties = row_seq, []
        parties.append(party if division == party_division(party) else ("bad", party))
    if seq is not None:
        yield seq, parties[0] if len(parties) == 1 else tuple(parties)
