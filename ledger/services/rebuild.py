"""``projections rebuild``: clear the mutable projections and apply the whole log again.

For a projection whose rows were lost or damaged (``log verify`` says which). It runs in one
write transaction holding the main log's head lock, so no entry is appended meanwhile; the log
itself is only read. Append-only projections are never cleared: ``log verify`` checks them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from ledger.core.errors import ValidationError
from ledger.platform import registry
from ledger.services.log import read_entries, read_head, write

CHUNK = 5000


def rebuild_projections(
    engine: Engine, names: Sequence[str] | None = None, log: str = "main"
) -> dict[str, int]:
    """Rebuild the named mutable projections of ``log`` (all of them by default); return how
    many entries each was given. Raises ValidationError for an unknown or append-only name."""
    candidates = {p.name: p for p in registry().projectors_for(log)}
    chosen = list(names) if names else [n for n, p in candidates.items() if p.rebuildable]
    for name in chosen:
        if name not in candidates or not candidates[name].rebuildable:
            raise ValidationError(
                "projection.unknown",
                f"{name!r} is not a rebuildable projection; choose from "
                f"{sorted(n for n, p in candidates.items() if p.rebuildable)}",
            )
    projectors = [candidates[name] for name in chosen]
    counts = dict.fromkeys(chosen, 0)

    def redo(tx) -> None:
        for projector in projectors:
            projector.clear(tx.conn, log)
        size = read_head(tx.conn, log).size
        for start in range(0, size, CHUNK):
            entries = list(read_entries(tx.conn, log, start, min(size, start + CHUNK)))
            for projector in projectors:
                kinds = projector.kinds
                mine = entries if kinds is None else [e for e in entries if e.kind in kinds]
                if mine:
                    projector.apply(tx.conn, log, mine)
                    counts[projector.name] += len(mine)

    write(engine, redo, log=log)
    return counts
