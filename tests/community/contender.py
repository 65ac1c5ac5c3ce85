"""A clerk in its own OS process for the contention test: ``python -m tests.community.contender
URL AMOUNT_FEN KEY`` prints ``ready``, waits for a line on stdin (so all contenders start
together), drafts a distribution of ``AMOUNT_FEN`` of the village's money through the locked
write path, and prints one JSON line: ``{"distribution": …}`` if it was drafted, or the
refusal's ``code`` and ``details``."""

from __future__ import annotations

import json
import sys


def main(url: str, amount: str, key: str) -> None:
    from ledger.community import services
    from ledger.core.errors import LedgerError
    from ledger.storage.db import make_engine
    from tests.community import ACTOR
    from tests.units import VILLAGE

    engine = make_engine(url)
    with engine.connect():
        pass  # connected before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        d = services.draft(
            engine, VILLAGE, title=f"分配 {key}", amount_fen=int(amount), rule="R1",
            actor=ACTOR, key=key,
        )  # fmt: skip
        print(json.dumps({"distribution": d.distribution}), flush=True)
    except LedgerError as exc:
        print(json.dumps({"code": exc.code, "details": exc.details}), flush=True)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
