"""Memory management for work that builds many objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects that form no
    cycles (a roster's households, their shares, the entries and rows of a large append):
    its collections would walk every object the process holds, cost a fifth to a third of
    the time, and free nothing. Restores the collector's state on the way out (nesting is
    harmless)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
