"""Browsing a log by ``seq``: keyset pages, newest first, optionally of one family of kinds."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Row, select

from ledger.services.log import ENTRY

#: The columns a listing shows: ``seq, kind, time, actor, leaf``.
_COLUMNS = (ENTRY.c.seq, ENTRY.c.kind, ENTRY.c.time, ENTRY.c.actor, ENTRY.c.leaf)


def _filtered(stmt, log: str, kind: str | None, visible=None):
    stmt = stmt.where(ENTRY.c.log == log)
    if visible is not None:
        stmt = stmt.where(visible)
    if kind:  # ``doc`` matches ``doc`` and ``doc.anchor``, not ``docx``
        stmt = stmt.where(
            (ENTRY.c.kind == kind) | ENTRY.c.kind.startswith(kind + ".", autoescape=True)
        )
    return stmt


def page(
    conn: Connection,
    log: str,
    size: int,
    *,
    kind: str | None = None,
    before: int | None = None,
    after: int | None = None,
    visible=None,
) -> tuple[list[Row], bool, bool]:
    """Up to ``size`` entries, newest first: just below ``before``, just above ``after``, or
    the newest; and whether newer and older entries exist beyond the page. ``visible`` is a
    condition the entries must meet (e.g. :func:`ledger.services.reading.readable_clause`)."""
    stmt = _filtered(select(*_COLUMNS), log, kind, visible)
    if after is not None:
        stmt = stmt.where(ENTRY.c.seq > after).order_by(ENTRY.c.seq.asc())
        rows = list(reversed(conn.execute(stmt.limit(size)).all()))
    else:
        if before is not None:
            stmt = stmt.where(ENTRY.c.seq < before)
        rows = conn.execute(stmt.order_by(ENTRY.c.seq.desc()).limit(size)).all()
    newer = older = False
    if rows:
        probe = _filtered(select(ENTRY.c.seq), log, kind, visible).limit(1)
        newer = conn.execute(probe.where(ENTRY.c.seq > rows[0].seq)).first() is not None
        older = conn.execute(probe.where(ENTRY.c.seq < rows[-1].seq)).first() is not None
    return rows, newer, older


def rows_at(conn: Connection, log: str, seqs: Sequence[int], visible=None) -> list[Row]:
    """The listing rows of the entries ``seqs`` (those meeting ``visible``), newest first."""
    if not seqs:
        return []
    stmt = _filtered(select(*_COLUMNS), log, None, visible)
    return conn.execute(stmt.where(ENTRY.c.seq.in_(list(seqs))).order_by(ENTRY.c.seq.desc())).all()
