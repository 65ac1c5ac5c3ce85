"""Importing registry exports: idempotent, all or nothing, anchored in the log; the command
line's answers; registry sources from a watched folder and from an HTTP server run in the
test; the scheduled fetch."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

import bench.reconcile as reconcile_bench
from ledger.config import load_settings
from ledger.core.errors import ConflictError, ValidationError
from ledger.reconcile import imports, sources, storing
from ledger.reconcile.formats import LAYOUTS, read_tuples
from ledger.reconcile.imports import IMPORT, IMPORT_KIND, RETIREMENT, import_file
from ledger.reconcile.mapping import load_mapping
from ledger.scheduler import runs
from ledger.services.anchors import file_digest
from ledger.services.log import read_entries, read_head
from ledger.storage.db import make_engine, read_transaction

DATA = Path(__file__).with_name("data")
VERRA = DATA / "verra_current.csv"
VERRA_LAYOUT = LAYOUTS["verra"]


def _count(engine, table=RETIREMENT):
    with read_transaction(engine) as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _entries(engine, kind=IMPORT_KIND):
    with read_transaction(engine) as conn:
        size = read_head(conn).size
        return [e for e in read_entries(conn, "main", 0, size) if e.kind == kind]


def test_an_import_stores_rows_and_anchors_the_file(engine):
    result = import_file(engine, VERRA, LAYOUTS["verra"], actor="test")
    assert (result.retirements, result.issuance_rows_skipped, result.already_imported) == (3, 1, 0)
    assert _count(engine) == 3
    (entry,) = _entries(engine)
    sha, size = file_digest(VERRA)
    assert entry.body["file_sha256"] == sha and entry.body["size"] == size
    assert entry.seq == result.seq
    with read_transaction(engine) as conn:
        stored = conn.execute(select(RETIREMENT).order_by(RETIREMENT.c.line)).all()
        (imported,) = conn.execute(select(IMPORT)).all()
    assert stored[0].beneficiary == "福建顺昌县林业局，碳中和"
    assert stored[0].quantity == 28_571
    assert {row.import_id for row in stored} == {imported.id}
    assert (imported.file_sha256, imported.seq) == (sha, result.seq)


def test_the_same_file_twice_adds_nothing(engine):
    import_file(engine, VERRA, LAYOUTS["verra"], actor="test")
    again = import_file(engine, VERRA, LAYOUTS["verra"], actor="test")
    assert again.as_json() == {
        "retirements": 0,
        "issuance_rows_skipped": 1,
        "already_imported": 3,
        "findings": {},
    }
    assert _count(engine) == 3 and len(_entries(engine)) == 1 and _count(engine, IMPORT) == 1


def test_a_newer_export_adds_only_its_new_rows(engine, tmp_path):
    import_file(engine, VERRA, LAYOUTS["verra"], actor="test")
    raw = VERRA.read_bytes()
    newer = tmp_path / "newer.csv"
    extra = (
        "20/05/2022,,Emission Reduction,01/01/2020,31/12/2020,01/01/2020,31/12/2020,1529,P,"
        'Asia,China,AFOLU,AR-ACM0003,"50,000",9,'
        "9002-200000502-200000510-VCS-VCU-263-VER-CN-14-1529-01012020-31122020-0,,False,"
        "17/01/2024,某公司,,,Retirement,H-5\r\n"
    )
    newer.write_bytes(raw + extra.encode())
    result = import_file(engine, newer, LAYOUTS["verra"], actor="test")
    assert (result.retirements, result.already_imported) == (1, 3)
    assert _count(engine) == 4 and len(_entries(engine)) == 2
    with read_transaction(engine) as conn:
        files = {r.id: r.file_sha256 for r in conn.execute(select(IMPORT))}
        stored = conn.execute(select(RETIREMENT.c.import_id).order_by(RETIREMENT.c.id)).all()
    # The rows read before keep naming the first file; the new row names the newer one.
    assert [files[row.import_id] for row in stored] == [file_digest(VERRA)[0]] * 3 + [
        file_digest(newer)[0]
    ]


def test_a_row_written_twice_in_a_file_is_stored_once(engine, tmp_path):
    raw = VERRA.read_bytes()
    last = raw.splitlines(keepends=True)[-1]
    twice = tmp_path / "twice.csv"
    twice.write_bytes(raw + last)
    result = import_file(engine, twice, LAYOUTS["verra"], actor="test")
    assert (result.retirements, result.already_imported) == (3, 1)
    assert _count(engine) == 3


def test_rows_of_the_same_serials_written_differently_are_each_stored(engine, tmp_path):
    raw = VERRA.read_bytes()
    last = raw.splitlines(keepends=True)[-1]
    other = last.replace(b",H-4", b",H-44")
    assert other != last
    both = tmp_path / "both.csv"
    both.write_bytes(raw + other)
    result = import_file(engine, both, LAYOUTS["verra"], actor="test")
    assert (result.retirements, result.already_imported) == (4, 0)


def _export(path, rows):
    """A Verra export of the benchmark's shape holding the benchmark's rows ``rows``
    (indices, in the order given)."""
    lines = reconcile_bench.export_lines(rows)
    text = reconcile_bench.HEADER + "\r\n" + "".join(lines)
    path.write_text(text, encoding="utf-8-sig", newline="")
    return path


def test_new_stored_and_repeated_rows_are_each_stored_once(engine, tmp_path, monkeypatch):
    """Rows beyond every serial stored (on PostgreSQL written straight in), rows stored by an
    earlier import or earlier in the same file, and a row repeated at once; on PostgreSQL the
    rows set aside are inserted by 5."""
    monkeypatch.setattr(storing, "STAGED_ROWS", 5)
    first = import_file(engine, _export(tmp_path / "a.csv", range(1, 20)), VERRA_LAYOUT, actor="t")
    order = [*range(21, 40), 5, 6, 25, 41, 41, *range(42, 60)]
    second = import_file(engine, _export(tmp_path / "b.csv", order), VERRA_LAYOUT, actor="t")
    new = {i for i in range(21, 60) if i % 20} - {40}
    assert (second.retirements, second.already_imported) == (len(new), len(order) - len(new))
    assert _count(engine) == first.retirements + len(new)


@pytest.mark.parametrize("statement_rows", [7, storing.SQLITE_ROWS])
def test_the_rows_stored_are_the_rows_read(engine, tmp_path, monkeypatch, statement_rows):
    """Every value of every row as the reader reads it, whether the rows of a block of the
    file go into one INSERT statement or into several (and a statement holds rows of several
    blocks)."""
    monkeypatch.setattr(storing, "SQLITE_ROWS", statement_rows)
    path = _export(tmp_path / "a.csv", range(0, 1100))
    result = import_file(engine, path, VERRA_LAYOUT, actor="t")
    with path.open("rb") as fh:
        read = [row for row in read_tuples(fh, VERRA_LAYOUT) if type(row) is tuple]
    columns = [RETIREMENT.c[name] for name in storing.COLUMNS]
    with read_transaction(engine) as conn:
        stored = conn.execute(select(*columns).order_by(RETIREMENT.c.line)).all()
    assert [(*row[:12], bytes(row[12]), row[13]) for row in stored] == read
    assert {row[14] for row in stored} == {_import_id(engine)}
    assert result.retirements == len(read) == 1045


def _import_id(engine):
    with read_transaction(engine) as conn:
        return conn.execute(select(IMPORT.c.id)).scalar_one()


def test_rows_in_falling_serial_order_are_each_stored_once(engine, tmp_path, monkeypatch):
    """An export listed newest serial first (on PostgreSQL, every row but the first is set
    aside) and its repeat: each row stored once, the second import adds nothing."""
    monkeypatch.setattr(storing, "STAGED_ROWS", 7)
    order = [*range(59, 0, -1), 30]
    first = import_file(engine, _export(tmp_path / "a.csv", order), VERRA_LAYOUT, actor="t")
    again = import_file(engine, _export(tmp_path / "b.csv", order[::-1]), VERRA_LAYOUT, actor="t")
    stored = {i for i in range(1, 60) if i % 20}
    assert (first.retirements, first.already_imported) == (len(stored), 1)
    assert (again.retirements, again.already_imported) == (0, len(stored) + 1)
    assert _count(engine) == len(stored)


GS_HEADER = "GSID,Project Name,Vintage,Serial Number,Quantity,Country,Product Type,Retirement Date"


def _gs_export(path, rows):
    """A Gold Standard export of ``rows`` ``(batch, first serial)``, 10 units each: each
    batch is a block of serials of its own."""
    lines = [
        f"2345,P,2016,GS1-1-CN-GS2345-12-2016-{batch}-{first}-{first + 9},10,China,VER,2021-03-12\n"
        for batch, first in rows
    ]
    path.write_text(GS_HEADER + "\n" + "".join(lines), encoding="utf-8")
    return path


def test_rows_of_many_blocks_of_serials_are_each_stored_once(engine, tmp_path, monkeypatch):
    """Batches interleaved, a batch stored before, a batch met for the first time half way,
    and rows repeated: each row stored once, by its block and range."""
    monkeypatch.setattr(storing, "STAGED_ROWS", 4)
    gs = LAYOUTS["gs"]
    import_file(engine, _gs_export(tmp_path / "a.csv", [(7, 1), (7, 11)]), gs, actor="t")
    rows = [(b, f) for f in range(1, 200, 10) for b in (5, 6, 7)]
    rows[30:30] = [(8, 1), (8, 11), (5, 1), (8, 1)]
    second = import_file(engine, _gs_export(tmp_path / "b.csv", rows), gs, actor="t")
    new = set(rows) - {(7, 1), (7, 11)}
    assert (second.retirements, second.already_imported) == (len(new), len(rows) - len(new))
    with read_transaction(engine) as conn:
        stored = conn.execute(select(RETIREMENT.c.block, RETIREMENT.c.serial_start)).all()
    assert sorted(stored) == sorted(
        (f"GS1-1-CN-GS2345-12-2016-{b}", f) for b, f in new | {(7, 1), (7, 11)}
    )


def test_an_import_that_fails_while_writing_stores_nothing(engine, tmp_path, monkeypatch):
    """The database refuses a row half way through the file (on PostgreSQL while a COPY is
    open): the error comes out, nothing is stored, and the next import works."""

    def bad_rows(*args, **kwargs):
        for number, columns in enumerate(original(*args, **kwargs)):
            if number == 5:
                columns = list(columns)
                columns[5] = [None] * len(columns[5])  # no project: the column is NOT NULL
            yield columns

    original = imports._rows
    monkeypatch.setattr(imports, "_rows", bad_rows)
    path = _export(tmp_path / "a.csv", range(1, 200))
    with pytest.raises(Exception) as exc:
        import_file(engine, path, VERRA_LAYOUT, actor="t")
    assert not isinstance(exc.value, ValidationError)
    assert _count(engine) == 0 and _count(engine, IMPORT) == 0 and _entries(engine) == []
    monkeypatch.setattr(imports, "_rows", original)
    assert import_file(engine, path, VERRA_LAYOUT, actor="t").retirements == _count(engine) > 0


def test_imports_of_one_registry_at_once_store_each_row_once(db_url, tmp_path):
    """Two processes' imports of overlapping exports at the same time: one waits for the
    other, and neither fails or stores a row twice."""
    a = _export(tmp_path / "a.csv", range(0, 3000))
    b = _export(tmp_path / "b.csv", range(1500, 4500))
    engines = [make_engine(db_url), make_engine(db_url)]
    barrier = threading.Barrier(2)

    def run(engine, path):
        barrier.wait()
        return import_file(engine, path, VERRA_LAYOUT, actor="t")

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, engines, [a, b]))
    for engine in engines:
        engine.dispose()
    engine = make_engine(db_url)
    retired = {i for i in range(4500) if i % 20}
    assert sum(r.retirements for r in results) == len(retired) == _count(engine)
    engine.dispose()


def test_a_file_with_bad_rows_imports_nothing_and_names_every_line(engine):
    with pytest.raises(ValidationError) as exc:
        import_file(engine, DATA / "verra_bad_rows.csv", LAYOUTS["verra"], actor="test")
    assert exc.value.code == "reconcile.rows"
    assert [e["line"] for e in exc.value.details["errors"]] == [2, 4, 5, 6, 7, 8, 9]
    assert _count(engine) == 0 and _entries(engine) == [] and _count(engine, IMPORT) == 0


def test_each_registry_keeps_its_own_rows(engine):
    for name, layout in [
        ("gold_standard.csv", LAYOUTS["gs"]),
        ("climate_action_reserve.csv", LAYOUTS["car"]),
        ("american_carbon_registry.csv", LAYOUTS["acr"]),
        ("haixia.csv", load_mapping(DATA / "haixia-mapping.json")),
        ("ccer.csv", load_mapping(DATA / "ccer-mapping.csv")),
    ]:
        import_file(engine, DATA / name, layout, actor="test")
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(RETIREMENT.c.registry, func.count()).group_by(RETIREMENT.c.registry)
        ).all()
    assert dict(rows) == {"gs": 2, "car": 2, "acr": 1, "haixia": 2, "ccer": 1}


def _cli(db_url, *args):
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", "reconcile", *args, "--db", db_url],
        capture_output=True,
        text=True,
    )


def test_the_import_command_answers_in_json(db_url):
    first = _cli(db_url, "import", "--format", "verra", str(VERRA), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "retirements": 3,
        "issuance_rows_skipped": 1,
        "already_imported": 0,
        "findings": {},
    }
    again = _cli(db_url, "import", "--format", "verra", str(VERRA), "--json")
    assert json.loads(again.stdout)["already_imported"] == 3
    bad = _cli(db_url, "import", "--format", "verra", str(DATA / "verra_bad_rows.csv"), "--json")
    assert bad.returncode == 1
    errors = json.loads(bad.stdout)["errors"]
    assert [e["line"] for e in errors] == [2, 4, 5, 6, 7, 8, 9]
    assert all(set(e) == {"line", "reason"} for e in errors)
    mapped = _cli(
        db_url,
        "import",
        "--format",
        f"mapping:{DATA / 'haixia-mapping.json'}",
        str(DATA / "haixia.csv"),
        "--json",
    )
    assert json.loads(mapped.stdout)["retirements"] == 2
    neither = _cli(db_url, "import", str(VERRA))
    assert neither.returncode == 2 and "--source" in neither.stderr


# --- sources --------------------------------------------------------------------------------

GOOD = {
    "name": "verra-main",
    "format": "verra",
    "location_kind": "folder",
    "location": "/srv/registry/verra",
    "cron": "0 3 * * *",
    "division": "350428",
}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"name": "Verra Main"}, "source.name"),
        ({"format": "xls"}, "source.format"),
        ({"location_kind": "ftp"}, "source.location_kind"),
        ({"location": "relative/path"}, "source.folder"),
        ({"location_kind": "http", "location": "ftp://example.org/x"}, "source.url"),
        ({"cron": "every day"}, "schedule.cron"),
        ({"cron": "0 24 * * *"}, "schedule.cron"),
        ({"division": "3504281"}, "source.division"),
        ({"format": "mapping", "mapping": "{}"}, "reconcile.mapping"),
    ],
)
def test_bad_sources_are_refused_and_nothing_is_stored(engine, change, code):
    with pytest.raises(ValidationError) as exc:
        sources.create_source(engine, actor="t", **{**GOOD, **change})
    assert exc.value.code == code
    assert sources.list_sources(engine) == []


def test_source_names_are_unique(engine):
    sources.create_source(engine, actor="t", **GOOD)
    with pytest.raises(ConflictError):
        sources.create_source(engine, actor="t", **GOOD)


def test_a_watched_folder_imports_each_new_file_once(engine, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(VERRA, folder / "a.csv")
    source = sources.create_source(engine, actor="t", **{**GOOD, "location": str(folder)})
    first = sources.totals(sources.fetch(engine, source, actor="t"))
    assert (first["files"], first["retirements"]) == (1, 3)
    shutil.copy(DATA / "verra_older.csv", folder / "b.csv")
    second = sources.totals(sources.fetch(engine, source, actor="t"))
    assert (second["files"], second["retirements"], second["already_imported"]) == (1, 1, 3)
    assert len(_entries(engine)) == 2


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server serving ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_http_source_is_downloaded_and_imported(engine, http_server):
    root, base = http_server
    shutil.copy(DATA / "gold_standard.csv", root / "gs.csv")
    source = sources.create_source(
        engine,
        actor="t",
        **{
            **GOOD,
            "name": "gs",
            "format": "gs",
            "location_kind": "http",
            "location": f"{base}/gs.csv",
        },
    )
    (result,) = sources.fetch(engine, source, actor="t")
    assert (result.registry, result.retirements, result.issuance_rows_skipped) == ("gs", 2, 1)
    assert result.file_sha256 == file_digest(DATA / "gold_standard.csv")[0]
    missing = sources.update_source(
        engine,
        "gs",
        format="gs",
        location_kind="http",
        location=f"{base}/nothing.csv",
        cron="0 3 * * *",
        division="350428",
    )
    with pytest.raises(ValidationError) as exc:
        sources.fetch(engine, missing, actor="t")
    assert exc.value.code == "source.download" and exc.value.details["status"] == 404


def test_the_scheduled_fetch_runs_each_source_and_is_keyed_once(engine, db_url, tmp_path):
    from ledger.reconcile.sources import plans, run_fetch

    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(VERRA, folder / "a.csv")
    sources.create_source(engine, actor="t", **{**GOOD, "location": str(folder)})
    settings = load_settings(database_url=db_url, instance_path=tmp_path / "instance")
    (plan,) = plans(engine, settings)
    assert plan.key == "verra-main" and plan.trigger.expression == "0 3 * * *"
    owner = runs.process_owner()
    at = "2026-03-01T19:00:00Z"
    name = "reconcile.fetch:verra-main"
    run = runs.execute(engine, settings, name, at, run_fetch, plan.params, owner)
    assert run.status == runs.DONE
    assert run.counts["retirements"] == 3 and run.counts["files"] == 1
    assert runs.execute(engine, settings, name, at, run_fetch, plan.params, owner) is None


def test_a_file_that_cannot_be_read_is_refused_and_nothing_is_written(engine, tmp_path):
    for path in (tmp_path / "missing.csv", tmp_path):
        with pytest.raises(ValidationError) as refused:
            import_file(engine, path, LAYOUTS["verra"], actor="test")
        assert refused.value.code == "reconcile.file" and str(path) in refused.value.message
    assert _count(engine) == 0 and _count(engine, IMPORT) == 0 and _entries(engine) == []


def test_a_large_file_imported_before_answers_with_the_earlier_import(engine, tmp_path):
    """A file of many chunks, whose digest (taken beside the reading) may be known at any
    chunk or only at the end: the earlier import is the answer, and nothing is written."""
    path = tmp_path / "verra.csv"
    reconcile_bench.write_export(path, 20_000)
    first = import_file(engine, path, LAYOUTS["verra"], actor="test")
    again = import_file(engine, path, LAYOUTS["verra"], actor="test")
    assert again.repeated and (again.seq, again.file_sha256) == (first.seq, first.file_sha256)
    assert again.as_json()["already_imported"] == first.retirements
    assert _count(engine) == first.retirements and len(_entries(engine)) == 1
