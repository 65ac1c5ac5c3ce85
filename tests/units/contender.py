"""A client in its own OS process for the contention test: ``python -m tests.units.contender
URL LOT FIRST LAST TO`` prints ``ready``, waits for a line on stdin (so all contenders start
together), tries to transfer serials ``FIRST..LAST`` of ``LOT`` from the village to ``TO``
through the locked write path, and prints one JSON line: ``{"seq": …}`` if it won, or the
refusal's ``code`` and ``details``."""

from __future__ import annotations

import json
import sys


def main(url: str, lot: str, first: str, last: str, to: str) -> None:
    from ledger.core.errors import LedgerError
    from ledger.storage.db import make_engine
    from ledger.units import services
    from tests.units import ACTOR, OWNER

    engine = make_engine(url)
    with engine.connect():
        pass  # connected before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        entry = services.transfer(
            engine, project="CT-TEST", from_=OWNER, to=to,
            serials=[[lot, int(first), int(last)]], actor=ACTOR, within=None,
        )  # fmt: skip
        print(json.dumps({"seq": entry.seq}), flush=True)
    except LedgerError as exc:
        print(json.dumps({"code": exc.code, "details": exc.details}), flush=True)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
