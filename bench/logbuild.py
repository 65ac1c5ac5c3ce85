"""Grow a log through the real append path, reporting progress."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine

from bench.common import progress
from ledger.core.entry import EntryDraft
from ledger.services.log import append_batch, read_head
from ledger.storage.db import read_transaction


def log_size(engine: Engine) -> int:
    with read_transaction(engine) as conn:
        return read_head(conn).size


def grow(
    engine: Engine,
    size: int,
    drafts: Callable[[int, int], list[EntryDraft]],
    batch: int,
    what: str,
) -> None:
    """Append ``drafts(start, count)`` in batches of ``batch`` until the log has ``size``
    entries."""
    start = log_size(engine)
    began = time.perf_counter()
    last_report = began
    at = start
    while at < size:
        count = min(batch, size - at)
        append_batch(engine, drafts(at, count))
        at += count
        now = time.perf_counter()
        if now - last_report >= 5 or at == size:
            last_report = now
            rate = (at - start) / (now - began)
            progress(f"building {what}: {at:,}/{size:,} entries ({rate:,.0f} entries/s)")
