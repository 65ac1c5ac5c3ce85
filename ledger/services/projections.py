"""Projections: query tables written in the same transaction as the entries they derive from.

A projector turns appended entries into rows (:meth:`Projector.apply`) and, for verification,
replays the log to say whether the stored rows still match it (:meth:`Projector.replay`).
Modules declare their projectors (:class:`ledger.platform.Module`); the append path and
``log verify`` take them from the registry. :func:`rebuild` clears the mutable projections and
applies the whole log again.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ledger.core.entry import Entry
from ledger.core.findings import Finding
from ledger.services.bulk import insert_many
from ledger.storage.tables import AccountBalance, DocAnchor

BALANCE = AccountBalance.__table__
ANCHOR = DocAnchor.__table__


#: One leg of an entry as a replay sees it: ``(account, commodity, amount)``.
Leg = tuple[str, str, int]


class Replay(Protocol):
    """Re-derives one projection from the log, for ``log verify``.

    ``feed`` is called in ``seq`` order for every entry whose leaf has the entry shape (see
    :func:`ledger.core.entry.entry_from_leaf`) and whose postings have the right types, with
    plain values taken from the leaf: ``time`` and ``actor`` strings, ``body`` the parsed JSON
    object, ``postings`` a tuple of :data:`Leg` (account and commodity ``str``, amount
    ``int``). The values may break the entry rules (the scan reports that separately); they
    are what the leaf says.

    The scan may cut the log into consecutive ranges and check them in other processes: then
    every range gets a fresh replay from :meth:`Projector.replay`, fed that range's entries,
    and the parts come back (pickled, so a replay must pickle) to be merged in ``seq`` order:
    ``merge(later)`` folds in the part that follows everything fed or merged so far. Feeding
    one replay everything and merging the parts of any cut must end in the same state (the
    same ``vars()``; a shared property test checks it for every registered projector).
    ``findings`` then compares that state with the stored rows, streaming them.

    ``kinds`` names the entry kinds ``feed`` wants to see, or is None for every entry; the
    scan does not call ``feed`` for the others.
    """

    kinds: frozenset[str] | None

    def feed(
        self,
        seq: int,
        kind: str,
        time: str,
        actor: str,
        body: Mapping[str, Any],
        postings: tuple[Leg, ...],
    ) -> None: ...
    def merge(self, later: Any) -> None: ...
    def findings(self, conn: Connection) -> Iterator[Finding]: ...


class Projector(Protocol):
    """Writes and checks one projection.

    Attributes:
      name: unique across modules.
      kinds: the entry kinds it projects (None: every entry); ``apply`` sees only those.
      logs: the logs it projects.
      rebuildable: whether its rows are mutable and ``projections rebuild`` may clear them
        (with :meth:`clear`) and apply the log again; append-only projections are only
        checked.

    ``apply`` writes the rows of appended entries, in the append's transaction (their bodies
    were validated by their kinds' modules); ``replay`` re-derives the rows for
    ``log verify``.
    """

    name: str
    kinds: frozenset[str] | None
    logs: frozenset[str]
    rebuildable: bool

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None: ...
    def replay(self, log: str) -> Replay: ...
    def clear(self, conn: Connection, log: str) -> None: ...


def stream(conn: Connection, stmt, chunk: int = 5000) -> Iterator[Any]:
    """The rows of ``stmt``, fetched ``chunk`` at a time (a server-side cursor on
    PostgreSQL), so a check never holds a whole table."""
    result = conn.execution_options(yield_per=chunk).execute(stmt)
    yield from result


def compare(
    stored: Iterator[tuple[Any, Any]], expected: Mapping[Any, Any]
) -> Iterator[tuple[Any, Any, Any]]:
    """``(key, have, want)`` for every key where the stored rows (``(key, value)`` pairs, in
    any order, each key once) and ``expected`` disagree; a missing side is None. Streams the
    stored rows; remembers only which expected keys it has seen."""
    seen = set()
    for key, have in stored:
        seen.add(key)
        want = expected.get(key)
        if have != want:
            yield key, have, want
    for key in sorted(expected.keys() - seen):
        yield key, None, expected[key]


def _balance_upsert(dialect):
    """Add a row's balance to the stored one (or store it) and take its last seq."""
    stmt = dialect.insert(BALANCE)
    return stmt.on_conflict_do_update(
        index_elements=["log", "account", "commodity"],
        set_={
            "balance": BALANCE.c.balance + stmt.excluded.balance,
            "last_seq": stmt.excluded.last_seq,
        },
    )


_BALANCE_ROW = ("log", "account", "commodity", "balance", "last_seq")
_ACCOUNT, _COMMODITY = operator.itemgetter(1), operator.itemgetter(2)
_BALANCE_UPSERT = {"postgresql": _balance_upsert(postgresql), "sqlite": _balance_upsert(sqlite)}


class BalanceProjector:
    """Running balance per (account, commodity) of the main log in ``account_balance``."""

    name = "account_balance"
    kinds = None  # every entry may have postings
    logs = frozenset({"main"})
    rebuildable = True

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        deltas: dict[tuple[str, str], list[int]] = {}
        for entry in entries:
            seq = entry.seq
            for p in entry.postings:
                slot = deltas.get((p.account, p.commodity))
                if slot is None:
                    deltas[p.account, p.commodity] = [p.amount, seq]
                else:
                    slot[0] += p.amount
                    slot[1] = seq
        # In (account, commodity) order, as sorted rows would be (each row's pair is its own,
        # its log the same): by commodity, then stably by account, which compares strings
        # rather than tuples.
        rows = [(log, a, c, d, s) for (a, c), (d, s) in deltas.items()]
        rows.sort(key=_COMMODITY)
        rows.sort(key=_ACCOUNT)
        insert_many(
            conn,
            _BALANCE_UPSERT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"],
            _BALANCE_ROW,
            rows,
            distinct=True,
        )

    def replay(self, log: str) -> Replay:
        return _BalanceReplay(log)

    def clear(self, conn: Connection, log: str) -> None:
        conn.execute(delete(BALANCE).where(BALANCE.c.log == log))


class _BalanceReplay:
    """``expected[(account, commodity)] = [balance, last seq that moved it]``."""

    kinds = None

    def __init__(self, log: str):
        self.log = log
        self.expected: dict[tuple[str, str], list[int]] = {}

    def feed(self, seq, kind, time, actor, body, postings: tuple[Leg, ...]) -> None:
        expected = self.expected
        for account, commodity, amount in postings:
            slot = expected.get((account, commodity))
            if slot is None:
                expected[account, commodity] = [amount, seq]
            else:
                slot[0] += amount
                slot[1] = seq

    def merge(self, later: _BalanceReplay) -> None:
        """Balances add up; the last seq is the later part's wherever it moved the account."""
        expected = self.expected
        for key, (amount, seq) in later.expected.items():
            slot = expected.get(key)
            if slot is None:
                expected[key] = [amount, seq]
            else:
                slot[0] += amount
                slot[1] = seq

    def findings(self, conn: Connection) -> Iterator[Finding]:
        rows = stream(
            conn,
            select(BALANCE.c.account, BALANCE.c.commodity, BALANCE.c.balance, BALANCE.c.last_seq)
            .where(BALANCE.c.log == self.log)
            .order_by(BALANCE.c.account, BALANCE.c.commodity),
        )
        stored = (((a, c), [b, s]) for a, c, b, s in rows)
        for (account, commodity), have, want in compare(stored, self.expected):
            yield Finding(
                "projection.balance",
                f"balance of {account} in {commodity} is {have and have[0]}, "
                f"the log gives {want[0] if want else 0}",
                want[1] if want else None,
                self.log,
            )


class AnchorProjector:
    """``doc_anchor`` rows for ``doc.anchor`` entries of the main log (append-only)."""

    name = "doc_anchor"
    kind = "doc.anchor"
    kinds = frozenset({kind})
    logs = frozenset({"main"})
    rebuildable = False

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        conn.execute(insert(ANCHOR), [self._row(e.seq, e.body) for e in entries])

    @staticmethod
    def _row(seq: int, body: Mapping[str, Any]) -> dict:
        return {
            "seq": seq,
            "sha256": body["sha256"],
            "size": body["size"],
            "title": body.get("title", ""),
        }

    def replay(self, log: str) -> Replay:
        return _AnchorReplay(self, log)

    def clear(self, conn: Connection, log: str) -> None:
        raise NotImplementedError("doc_anchor is append-only")


class _AnchorReplay:
    def __init__(self, projector: AnchorProjector, log: str):
        self.projector = projector
        self.log = log
        self.kinds = projector.kinds
        self.expected: dict[int, dict] = {}

    def feed(self, seq, kind, time, actor, body, postings) -> None:
        try:
            self.expected[seq] = self.projector._row(seq, body)
        except (KeyError, TypeError, AttributeError):
            self.expected[seq] = {"seq": seq, "malformed": True}

    def merge(self, later: _AnchorReplay) -> None:
        self.expected.update(later.expected)

    def findings(self, conn: Connection) -> Iterator[Finding]:
        rows = stream(conn, select(ANCHOR).order_by(ANCHOR.c.seq))
        stored = ((r.seq, dict(r._mapping)) for r in rows)
        for seq, _, _ in compare(stored, self.expected):
            yield Finding(
                "projection.doc_anchor", "doc_anchor row does not match the log", seq, self.log
            )
