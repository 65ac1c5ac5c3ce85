"""The composition root and its registry: one list of modules, loaded by every process; names
declared twice refused at start; undeclared kinds, kinds of another log, bodies a kind's
validator refuses and a caller-set salt refused before anything is written; and a fresh
``carbon-ledger log verify`` process checks the projections the modules register."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete

from ledger.core.entry import EntryDraft, Posting
from ledger.core.errors import ValidationError
from ledger.modules import MODULES
from ledger.platform import N_, EntryKind, Module, NavItem, Registry, RegistryError, registry
from ledger.platform.registry import load, resolve
from ledger.services.anchors import anchor_draft
from ledger.services.log import append_batch, read_head
from ledger.storage.db import read_transaction, write_transaction
from ledger.storage.tables import LogEntryParty
from tests.storage.writer import table_state

PARTY = LogEntryParty.__table__
VILLAGE = "Assets:Village:350428102201:Collective"
CLI = Path(sys.executable).with_name("carbon-ledger")


def test_every_process_loads_the_composition_root_and_the_suites_module():
    names = [m.name for m in registry().modules]
    assert names[: len(MODULES)] == [resolve(p).name for p in MODULES]
    assert names[-1] == "testing"  # LEDGER_EXTRA_MODULES, set by tests/conftest.py
    assert {"log", "vault", "accounts"} <= set(names)


def _module(name, **fields):
    return Module(name=name, label=N_("x"), **fields)


class _P:
    def __init__(self, name):
        self.name = name


def _twice(what: str, **fields):
    return pytest.param(_module("a", **fields), _module("b", **fields), what, id=what)


@pytest.mark.parametrize(
    ("a", "b", "what"),
    [
        pytest.param(_module("a"), _module("a"), "module 'a'", id="module"),
        _twice("entry kind 'x.y'", kinds=(EntryKind("x.y", "x"),)),
        _twice("projector 'p'", projectors=(_P("p"),)),
        _twice("message 'c.d'", messages={"c.d": "m"}),
        _twice("append-only table 't'", append_only=("t",)),
        _twice("navigation item 'e.f'", nav=(NavItem("e.f", "l", ("admin",)),)),
    ],
)
def test_a_name_declared_twice_stops_the_process(a, b, what):
    with pytest.raises(RegistryError) as caught:
        Registry((a, b))
    assert what in str(caught.value) and "'a'" in str(caught.value)


def test_a_path_that_is_not_a_module_is_refused():
    with pytest.raises(RegistryError, match=r"not a ledger\.platform\.Module"):
        load(["ledger.modules:MODULES"])


def _refused(engine, drafts, code, log="main"):
    before = table_state(engine)
    with pytest.raises(ValidationError) as caught:
        append_batch(engine, drafts, log=log)
    assert caught.value.code == code, caught.value.message
    assert table_state(engine) == before
    return caught.value


def test_the_modules_rules_refuse_before_anything_is_written(engine):
    error = _refused(engine, [EntryDraft("nobody.declares", {}, "t")], "entry.kind_unknown")
    assert "'nobody.declares'" in error.message
    _refused(engine, [EntryDraft("audit.signin", {"user": 1}, "t")], "entry.kind_log")
    _refused(engine, [EntryDraft("test.note", {}, "t")], "entry.kind_log", log="audit")
    _refused(engine, [EntryDraft("test.note", {"salt": "00" * 16}, "t")], "entry.salt_reserved")
    bad_anchor = EntryDraft("doc.anchor", {"sha256": "x", "size": 1, "title": ""}, "t")
    _refused(engine, [EntryDraft("test.note", {}, "t"), bad_anchor], "anchor.sha256")


def _cli(instance, *args):
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_fresh_verify_process_checks_what_a_module_projects(instance, engine):
    """The entry index (``log_entry_party``) is projected by the log module's
    ``EntryIndexProjector``, which no command imports by name: the CLI process finds it
    through the composition root, and reports the row an attacker removed."""
    append_batch(engine, [anchor_draft("ab" * 32, 1, "t", "t")])
    sale = append_batch(
        engine,
        [EntryDraft("test.note", {"n": 1}, "t", ())],
    )
    village = "Assets:Village:350428102201:Collective"

    (paid,) = append_batch(
        engine,
        [
            EntryDraft(
                "test.sale", {}, "t", (Posting(village, "CNY", 5), Posting("Income:X", "CNY", -5))
            )
        ],
    )
    assert sale and paid.seq == 2
    clean = _cli(instance, "log", "verify", "--json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with write_transaction(engine) as conn:
        conn.execute(delete(PARTY).where(PARTY.c.seq == paid.seq))
    found = _cli(instance, "log", "verify", "--json")
    assert found.returncode == 1
    findings = json.loads(found.stdout)["findings"]
    assert [(f["code"], f["seq"]) for f in findings] == [("projection.entry_party", 2)]

    rebuilt = _cli(instance, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["rebuilt"]["log_entry_party"] == 3
    assert _cli(instance, "log", "verify").returncode == 0
    with read_transaction(engine) as conn:
        assert read_head(conn).size == 3
