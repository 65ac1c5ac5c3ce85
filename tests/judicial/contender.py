"""A court in its own OS process for the contention test: ``python -m tests.judicial.contender
URL COURT CASE FIRST LAST`` prints ``ready``, waits for a line on stdin (so both courts start
together), tries to buy serials ``FIRST..LAST`` of lot L1 from 常口村 for the case through the
locked write path, and prints one JSON line: ``{"seq": …}`` if it won, or the refusal's
``code`` and ``details``."""

from __future__ import annotations

import json
import sys


def main(url: str, court: str, case: str, first: str, last: str) -> None:
    from ledger.core.errors import LedgerError
    from ledger.storage.db import make_engine
    from tests.judicial import COURT, COURT2, SELLER, Take, buy

    org = {"court": COURT, "court2": COURT2}[court]
    engine = make_engine(url)
    with engine.connect():
        pass  # connected before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        entry = buy(engine, [Take("CT-TEST", SELLER, serials=(("L1", int(first), int(last)),))],
                    case=case, court=org)  # fmt: skip
        print(json.dumps({"seq": entry.seq}), flush=True)
    except LedgerError as exc:
        print(json.dumps({"code": exc.code, "details": exc.details}), flush=True)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
