"""Projections: query tables written in the same transaction as the entries they derive from.

A projector turns appended entries into rows (:meth:`Projector.apply`) and, for verification,
replays the log to say whether the stored rows still match it (:meth:`Projector.replay`).
Domain modules register their own projectors with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ledger.core.entry import Entry, EntryDraft
from ledger.core.errors import ValidationError
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
    plain values taken from the leaf: ``body`` the parsed JSON object, ``postings`` a tuple of
    :data:`Leg` (account and commodity ``str``, amount ``int``). The values may break the
    entry rules (the scan reports that separately); they are what the leaf says.

    The scan may cut the log into consecutive ranges and check them in other processes: then
    every range gets a fresh replay from :meth:`Projector.replay`, fed that range's entries,
    and the parts come back (pickled, so a replay must pickle) to be merged in ``seq`` order:
    ``merge(later)`` folds in the part that follows everything fed or merged so far. Feeding
    one replay everything and merging the parts of any cut must end in the same state.
    ``findings`` then compares that state with the stored rows.

    ``kinds`` names the entry kinds ``feed`` wants to see, or is None for every entry; the
    scan does not call ``feed`` for the others.
    """

    kinds: frozenset[str] | None

    def feed(
        self, seq: int, kind: str, body: Mapping[str, Any], postings: tuple[Leg, ...]
    ) -> None: ...
    def merge(self, later: Any) -> None: ...
    def findings(self, conn: Connection) -> list[Finding]: ...


class Projector(Protocol):
    """Writes and checks one projection. ``check`` validates the body of the entry kinds it
    projects before anything is written (so a malformed body is a ValidationError, never a
    database error); ``apply`` writes the rows; ``replay`` re-derives them for ``log verify``."""

    name: str

    def check(self, draft: EntryDraft, where: str) -> list[ValidationError]: ...
    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None: ...
    def replay(self, log: str) -> Replay: ...


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
_BALANCE_UPSERT = {"postgresql": _balance_upsert(postgresql), "sqlite": _balance_upsert(sqlite)}


class BalanceProjector:
    """Running balance per (account, commodity) in ``account_balance``."""

    name = "account_balance"

    def check(self, draft: EntryDraft, where: str) -> list[ValidationError]:
        return []  # postings are checked by ledger.core.entry for every entry

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
        insert_many(
            conn,
            _BALANCE_UPSERT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"],
            _BALANCE_ROW,
            [(log, a, c, d, s) for (a, c), (d, s) in sorted(deltas.items())],
        )

    def replay(self, log: str) -> Replay:
        return _BalanceReplay(log)


class _BalanceReplay:
    """``expected[(account, commodity)] = [balance, last seq that moved it]``."""

    kinds = None  # every entry may have postings

    def __init__(self, log: str):
        self.log = log
        self.expected: dict[tuple[str, str], list[int]] = {}

    def feed(self, seq: int, kind: str, body: Mapping[str, Any], postings: tuple[Leg, ...]) -> None:
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

    def findings(self, conn: Connection) -> list[Finding]:
        stored = {
            (r.account, r.commodity): (r.balance, r.last_seq)
            for r in conn.execute(select(BALANCE).where(BALANCE.c.log == self.log))
        }
        out = []
        for key in sorted(set(stored) | set(self.expected)):
            want = tuple(self.expected.get(key, (0, None)))
            have = stored.get(key)
            if have != want:
                out.append(
                    Finding(
                        "projection.balance",
                        f"balance of {key[0]} in {key[1]} is {have and have[0]}, "
                        f"the log gives {want[0]}",
                        want[1],
                        self.log,
                    )
                )
        return out


class AnchorProjector:
    """``doc_anchor`` rows for ``doc.anchor`` entries of the main log."""

    name = "doc_anchor"
    kind = "doc.anchor"
    max_title = 500

    def check(self, draft: EntryDraft, where: str) -> list[ValidationError]:
        """A ``doc.anchor`` body is ``{sha256: 64 lowercase hex, size: int >= 0, title: str}``."""
        if draft.kind != self.kind:
            return []
        body = draft.body
        errors = []
        sha = body.get("sha256")
        if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= set("0123456789abcdef")):
            errors.append(
                ValidationError("anchor.sha256", f"{where}: sha256 must be 64 lowercase hex digits")
            )
        size = body.get("size")
        if type(size) is not int or size < 0:
            errors.append(
                ValidationError("anchor.size", f"{where}: size must be a non-negative integer")
            )
        title = body.get("title", "")
        if not isinstance(title, str) or len(title) > self.max_title:
            errors.append(
                ValidationError(
                    "anchor.title", f"{where}: title must be text of at most {self.max_title} chars"
                )
            )
        extra = set(body) - {"sha256", "size", "title"}
        if extra:
            errors.append(
                ValidationError("anchor.fields", f"{where}: unknown fields {sorted(extra)}")
            )
        return errors

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        rows = [self._row(e.seq, e.body) for e in entries if e.kind == self.kind]
        if rows and log == "main":
            conn.execute(insert(ANCHOR), rows)

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


class _AnchorReplay:
    def __init__(self, projector: AnchorProjector, log: str):
        self.projector = projector
        self.log = log
        self.kinds = frozenset({projector.kind} if log == "main" else ())
        self.expected: dict[int, dict] = {}

    def feed(self, seq: int, kind: str, body: Mapping[str, Any], postings: tuple[Leg, ...]) -> None:
        if kind == self.projector.kind and self.log == "main":
            try:
                self.expected[seq] = self.projector._row(seq, body)
            except (KeyError, TypeError, AttributeError):
                self.expected[seq] = {"seq": seq, "malformed": True}

    def merge(self, later: _AnchorReplay) -> None:
        self.expected.update(later.expected)

    def findings(self, conn: Connection) -> list[Finding]:
        if self.log != "main":
            return []
        stored = {r["seq"]: dict(r) for r in conn.execute(select(ANCHOR)).mappings()}
        out = []
        for seq in sorted(set(stored) | set(self.expected)):
            if stored.get(seq) != self.expected.get(seq):
                out.append(
                    Finding(
                        "projection.doc_anchor",
                        "doc_anchor row does not match the log",
                        seq,
                        self.log,
                    )
                )
        return out


_REGISTRY: list[Projector] = [BalanceProjector(), AnchorProjector()]


def register(projector: Projector) -> None:
    """Add a domain projector; it runs on every append and every verification."""
    if all(p.name != projector.name for p in _REGISTRY):
        _REGISTRY.append(projector)


def projectors() -> tuple[Projector, ...]:
    return tuple(_REGISTRY)
