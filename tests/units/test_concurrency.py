"""Several OS processes contend for overlapping serial ranges at once, on SQLite and
PostgreSQL: exactly one wins; every other is refused with the serials it wanted that the
winner now holds and the winner's entry; the log verifies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledger.services.verify import verify_log
from tests.conftest import REPO
from tests.units import HUAWEI, ICBC, TENCENT, make_lot, make_project

#: Each contender's range; every two of them overlap (all share serials 28..30).
RANGES = [(10, 30), (25, 45), (20, 35), (28, 60)]
BUYERS = [HUAWEI, TENCENT, ICBC, "91110000710926094P"]


@pytest.mark.slow
def test_exactly_one_of_the_contenders_wins(db_url, engine):
    make_project(engine)
    make_lot(engine, count=100)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.units.contender", db_url, "L1", str(first), str(last),
             f"Assets:Company:{buyer}"],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for (first, last), buyer in zip(RANGES, BUYERS, strict=True)
    ]  # fmt: skip
    try:
        for proc in procs:
            line = proc.stdout.readline()
            assert line == "ready\n", f"contender failed to start: {line!r} {proc.stderr.read()}"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    results = [json.loads(out) for out, _ in outputs]
    winners = [i for i, r in enumerate(results) if "seq" in r]
    assert len(winners) == 1, results
    (w,) = winners
    seq = results[w]["seq"]
    won = set(range(RANGES[w][0], RANGES[w][1] + 1))
    for i, result in enumerate(results):
        if i == w:
            continue
        assert result["code"] == "units.conflict", result
        wanted = set(range(RANGES[i][0], RANGES[i][1] + 1))
        named = {
            n for c in result["details"]["conflicts"] for n in range(c["first"], c["last"] + 1)
        }
        assert named == wanted & won
        assert result["details"]["entries"] == str(seq)
        assert {c["holder"] for c in result["details"]["conflicts"]} == {
            f"Assets:Company:{BUYERS[w]}"
        }
    assert verify_log(engine, []) == []
