"""Four clerks' processes draft distributions at once from an account that holds enough for
only two of them, on SQLite and PostgreSQL: the check runs inside the log's lock, so exactly
two are drafted, the others are refused with what the account still holds, and the account
never goes below zero."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledger.community import services
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from tests.community import ACTOR, RULE, VAULT, fund, lines
from tests.conftest import REPO
from tests.units import VILLAGE


@pytest.mark.slow
def test_no_more_is_shared_than_the_account_holds(db_url, engine):
    assert fund(engine) == 150_000
    services.save_roster(engine, VAULT, VILLAGE, lines(3), "ab" * 32, actor=ACTOR, key="r")
    services.add_rule(engine, VILLAGE, "R1", "标准规则", RULE, actor=ACTOR, key="rule")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.community.contender", db_url, "60000", f"k{i}"],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
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
    drafted = sorted(r["distribution"] for r in results if "distribution" in r)
    assert drafted == [f"{VILLAGE}-001", f"{VILLAGE}-002"], results
    refused = [r for r in results if "code" in r]
    assert [r["code"] for r in refused] == ["community.insufficient"] * 2
    assert {r["details"]["available_fen"] for r in refused} == {30_000}
    with read_transaction(engine) as conn:
        assert services.available_fen(conn, VILLAGE) == 30_000
    assert verify_log(engine, []) == []
