"""The clerk's commands on both databases: ``community roster`` prints what a file changes
and saves it only with ``--save``; bad lines are listed with exit status 1 and nothing is
written; ``community status`` prints the money picture."""

from __future__ import annotations

import base64
import json
import os

from click.testing import CliRunner

from ledger.cli import main
from ledger.community import services
from ledger.storage.db import read_transaction
from tests.community import fund, lines, roster_csv
from tests.units import VILLAGE

KEY = base64.b64encode(os.urandom(32)).decode()


def run(db_url, *args):
    return CliRunner().invoke(
        main, ["community", *args, "--db", db_url], env={"LEDGER_VAULT_KEY": KEY}
    )


def test_roster_changes_then_saved_and_the_status(engine, db_url, tmp_path):
    fund(engine)
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(lines(3)))
    shown = run(db_url, "roster", str(path), "--village", VILLAGE)
    assert shown.exit_code == 0, shown.output
    out = json.loads(shown.output)
    assert out["changes"]["added"] == ["CK001", "CK002", "CK003"] and "saved" not in out
    with read_transaction(engine) as conn:
        assert services.roster_versions(conn, VILLAGE) == []
    saved = run(db_url, "roster", str(path), "--village", VILLAGE, "--save")
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.output)["saved"]["households"] == 3
    status = run(db_url, "status", "--village", VILLAGE)
    assert json.loads(status.output)["money"]["received"] == 150_000


def test_bad_lines_are_listed_and_nothing_is_saved(engine, db_url, tmp_path):
    path = tmp_path / "roster.csv"
    text = roster_csv(lines(2)).decode().replace(",4,", ",四,")
    path.write_text(text)
    result = run(db_url, "roster", str(path), "--village", VILLAGE, "--save")
    assert result.exit_code == 1
    assert [e["line"] for e in json.loads(result.output)["errors"]] == [2]
    with read_transaction(engine) as conn:
        assert services.roster_versions(conn, VILLAGE) == []
