"""The villager's look-up is throttled: :data:`LIMIT` look-ups per client address in
:data:`WINDOW` seconds, counted in this process (a web worker), so guessing the four
characters of an ID number by trial takes longer than it is worth."""

from __future__ import annotations

import time
from collections import deque
from threading import Lock

LIMIT = 10
WINDOW = 600
_attempts: dict[str, deque] = {}
_lock = Lock()


def throttled(address: str) -> bool:
    """Count a look-up from ``address``; True when it made :data:`LIMIT` already in the
    last :data:`WINDOW` seconds (then it is not counted)."""
    now = time.monotonic()
    with _lock:
        seen = _attempts.setdefault(address, deque())
        while seen and now - seen[0] > WINDOW:
            seen.popleft()
        if len(seen) >= LIMIT:
            return True
        seen.append(now)
        if len(_attempts) > 10_000:
            _attempts.clear()
        return False


def reset() -> None:
    """Forget every count (tests)."""
    with _lock:
        _attempts.clear()
