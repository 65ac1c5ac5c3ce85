"""Projections: query tables written in the same transaction as the entries they derive from.

A projector turns appended entries into rows (:meth:`Projector.apply`) and, for verification,
replays the log to say whether the stored rows still match it (:meth:`Projector.replay`).
Domain modules register their own projectors with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ledger.core.entry import Entry, EntryDraft
from ledger.core.errors import ValidationError
from ledger.core.findings import Finding
from ledger.storage.tables import AccountBalance, DocAnchor

BALANCE = AccountBalance.__table__
ANCHOR = DocAnchor.__table__


class Replay(Protocol):
    def feed(self, entry: Entry) -> None: ...
    def findings(self, conn: Connection) -> list[Finding]: ...


class Projector(Protocol):
    """Writes and checks one projection. ``check`` validates the body of the entry kinds it
    projects before anything is written (so a malformed body is a ValidationError, never a
    database error); ``apply`` writes the rows; ``replay`` re-derives them for ``log verify``."""

    name: str

    def check(self, draft: EntryDraft, where: str) -> list[ValidationError]: ...
    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None: ...
    def replay(self, log: str) -> Replay: ...


def _upsert(conn: Connection):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


class BalanceProjector:
    """Running balance per (account, commodity) in ``account_balance``."""

    name = "account_balance"

    def check(self, draft: EntryDraft, where: str) -> list[ValidationError]:
        return []  # postings are checked by ledger.core.entry for every entry

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        deltas: dict[tuple[str, str], list[int]] = {}
        for entry in entries:
            for p in entry.postings:
                slot = deltas.setdefault((p.account, p.commodity), [0, entry.seq])
                slot[0] += p.amount
                slot[1] = entry.seq
        if not deltas:
            return
        stmt = _upsert(conn)(BALANCE)
        stmt = stmt.on_conflict_do_update(
            index_elements=["log", "account", "commodity"],
            set_={
                "balance": BALANCE.c.balance + stmt.excluded.balance,
                "last_seq": stmt.excluded.last_seq,
            },
        )
        conn.execute(
            stmt,
            [
                {"log": log, "account": a, "commodity": c, "balance": d, "last_seq": s}
                for (a, c), (d, s) in sorted(deltas.items())
            ],
        )

    def replay(self, log: str) -> Replay:
        return _BalanceReplay(log)


class _BalanceReplay:
    def __init__(self, log: str):
        self.log = log
        self.expected: dict[tuple[str, str], list[int]] = {}

    def feed(self, entry: Entry) -> None:
        for p in entry.postings:
            slot = self.expected.setdefault((p.account, p.commodity), [0, entry.seq])
            slot[0] += p.amount
            slot[1] = entry.seq

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
        rows = [self._row(e) for e in entries if e.kind == self.kind]
        if rows and log == "main":
            conn.execute(insert(ANCHOR), rows)

    @staticmethod
    def _row(entry: Entry) -> dict:
        body = entry.body
        return {
            "seq": entry.seq,
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
        self.expected: dict[int, dict] = {}

    def feed(self, entry: Entry) -> None:
        if entry.kind == self.projector.kind and self.log == "main":
            try:
                self.expected[entry.seq] = self.projector._row(entry)
            except (KeyError, TypeError, AttributeError):
                self.expected[entry.seq] = {"seq": entry.seq, "malformed": True}

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
