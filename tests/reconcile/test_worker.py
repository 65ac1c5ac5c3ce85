"""Reading an export in a child process (:mod:`ledger.reconcile.worker`): the same blocks as
reading it here, the same import, and a child that is always ended and whose failures come out."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

import bench.reconcile as reconcile_bench
from ledger.core.errors import ValidationError
from ledger.reconcile import worker
from ledger.reconcile.formats import LAYOUTS, read_blocks, read_tuples
from ledger.reconcile.imports import IMPORT, RETIREMENT, import_file
from ledger.reconcile.mapping import load_mapping
from ledger.storage.db import read_transaction
from tests.reconcile.samples import DATA, LAYOUT_OF, layout_for

FILES = [
    *((name, layout_for(name)) for name in LAYOUT_OF),
    ("gold_standard.csv", LAYOUTS["verra"]),  # the wrong format: one error for the header
]


def _here(path: Path, layout) -> list:
    with path.open("rb") as fh:
        return list(read_blocks(fh, layout))


@pytest.fixture
def children(monkeypatch) -> list[subprocess.Popen]:
    """The child processes started, as started (real processes, only remembered)."""
    started: list[subprocess.Popen] = []

    class Remembered(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(worker.subprocess, "Popen", Remembered)
    return started


@pytest.mark.parametrize(
    ("name", "layout"), FILES, ids=[f"{name}-{layout.key}" for name, layout in FILES]
)
def test_a_child_reads_every_format_as_it_is_read_here(name, layout, children):
    path = DATA / name
    assert worker.can_read(layout)
    assert list(worker.read_blocks_beside(path, layout)) == _here(path, layout)
    (child,) = children
    assert child.returncode == 0


def test_a_child_reads_a_large_export_with_issuance_rows_as_it_is_read_here(tmp_path):
    path = tmp_path / "verra.csv"
    reconcile_bench.write_export(path, 5_000)
    beside = list(worker.read_blocks_beside(path, LAYOUTS["verra"]))
    assert beside == _here(path, LAYOUTS["verra"])
    assert sum(len(columns[0]) for columns, _ in beside) == 4_750


def test_only_layouts_a_child_can_build_again_are_read_by_one():
    assert all(worker.can_read(layout) for layout in LAYOUTS.values())
    assert worker.can_read(load_mapping(DATA / "ccer-mapping.csv"))
    assert not worker.can_read(dataclasses.replace(LAYOUTS["verra"], batch=None))


def test_a_child_stopped_early_is_ended(tmp_path, children):
    path = tmp_path / "verra.csv"
    reconcile_bench.write_export(path, 20_000)
    blocks = worker.read_blocks_beside(path, LAYOUTS["verra"])
    next(blocks)
    blocks.close()
    (child,) = children
    assert child.returncode is not None


def test_a_child_killed_while_reading_raises_instead_of_ending_the_file_early(tmp_path, children):
    path = tmp_path / "verra.csv"
    reconcile_bench.write_export(path, 50_000)
    blocks = worker.read_blocks_beside(path, LAYOUTS["verra"])
    next(blocks)
    children[0].kill()
    with pytest.raises(RuntimeError) as failed:
        for _ in blocks:
            pass
    assert "exit status -9" in str(failed.value)


def test_a_file_the_child_cannot_read_is_an_os_error(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(FileNotFoundError) as failed:
        list(worker.read_blocks_beside(missing, LAYOUTS["verra"]))
    assert failed.value.filename == str(missing)


def test_a_child_that_fails_raises_with_its_reason():
    broken = dataclasses.replace(LAYOUTS["verra"], key="mapping:x", spec={"registry": "x"})
    with pytest.raises(RuntimeError) as failed:
        list(worker.read_blocks_beside(DATA / "verra_current.csv", broken))
    assert "ValidationError" in str(failed.value)


def test_an_import_read_by_a_child_stores_the_rows_read_here(
    engine, tmp_path, monkeypatch, children
):
    path = tmp_path / "verra.csv"
    reconcile_bench.write_export(path, 3_000)
    monkeypatch.setattr(worker, "MIN_BYTES", 0)
    first = import_file(engine, path, LAYOUTS["verra"], actor="test")
    with read_transaction(engine) as conn:
        stored = conn.execute(select(RETIREMENT).order_by(RETIREMENT.c.line)).all()
    with path.open("rb") as fh:
        read_here = [row for row in read_tuples(fh, LAYOUTS["verra"]) if type(row) is tuple]
    assert [tuple(row)[1:-1] for row in stored] == read_here  # all but id and import_id
    assert (first.retirements, first.issuance_rows_skipped) == (2_850, 150)
    again = import_file(engine, path, LAYOUTS["verra"], actor="test")
    assert again.repeated and again.seq == first.seq
    assert len(children) == 2 and all(child.returncode is not None for child in children)


def test_a_small_file_is_read_here(engine, children):
    import_file(engine, DATA / "verra_current.csv", LAYOUTS["verra"], actor="test")
    assert children == []


def test_a_file_with_bad_rows_read_by_a_child_is_refused_line_by_line(engine, monkeypatch):
    monkeypatch.setattr(worker, "MIN_BYTES", 0)
    with pytest.raises(ValidationError) as exc:
        import_file(engine, DATA / "verra_bad_rows.csv", LAYOUTS["verra"], actor="test")
    assert exc.value.code == "reconcile.rows"
    assert [e["line"] for e in exc.value.details["errors"]] == [2, 4, 5, 6, 7, 8, 9]
    with read_transaction(engine) as conn:
        assert conn.execute(select(IMPORT)).all() == []
