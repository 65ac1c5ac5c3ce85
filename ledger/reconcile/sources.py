"""Registry sources: where a registry's records come from, in which format, and when.

A bureau configures the sources of its division (an administrator any): a watched folder (every
file in it is imported, oldest first; a file imported before adds nothing) or an HTTP(S)
address (downloaded to a temporary file, then imported), on a five-field cron schedule in
Beijing time. The scheduler fetches each enabled source on its schedule
(:data:`FETCH_JOB`).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.config import Settings
from ledger.core.errors import ConflictError, NotFoundError, ValidationError
from ledger.platform import N_, Cron, Plan, ScheduledJob
from ledger.reconcile.formats import LAYOUTS, Layout
from ledger.reconcile.imports import ImportResult, import_file
from ledger.reconcile.mapping import layout_of
from ledger.reconcile.tables import ReconcileSource
from ledger.scheduler.process import cron_trigger
from ledger.scheduler.runs import RunContext
from ledger.services.clock import utc_now
from ledger.storage.db import read_transaction, write_transaction

SOURCE = ReconcileSource.__table__
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
DIVISION_RE = re.compile(r"\d{2}|\d{4}|\d{6}")
FORMATS = ("verra", "gs", "car", "acr", "mapping")
KINDS = ("folder", "http")
#: The largest file an HTTP source may send.
MAX_DOWNLOAD = 4 << 30
HTTP_TIMEOUT = 60


@dataclass(frozen=True)
class Source:
    """A registry source as stored (see :class:`ledger.reconcile.tables.ReconcileSource`)."""

    id: int
    name: str
    format: str
    mapping: str
    location_kind: str
    location: str
    cron: str
    division: str
    enabled: bool
    created_by: str
    created_at: str
    updated_at: str

    def layout(self) -> Layout:
        if self.format == "mapping":
            return layout_of(json.loads(self.mapping))
        return LAYOUTS[self.format]


def _source(row: Any) -> Source:
    return Source(**{k: row._mapping[k] for k in Source.__dataclass_fields__})


def check_source(
    *,
    name: str,
    format: str,
    location_kind: str,
    location: str,
    cron: str,
    division: str,
    mapping: str = "",
) -> dict[str, Any]:
    """The columns of a valid source; ValidationError naming the first field that is not."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ValidationError(
            "source.name", "a source name is 2..40 lower-case letters, digits or '-'"
        )
    if format not in FORMATS:
        raise ValidationError("source.format", f"the format must be one of {', '.join(FORMATS)}")
    mapping_text = ""
    if format == "mapping":
        try:
            spec = json.loads(mapping)
        except (TypeError, ValueError):
            raise ValidationError(
                "reconcile.mapping", "the column mapping: it is not JSON"
            ) from None
        layout_of(spec if isinstance(spec, dict) else {})
        mapping_text = json.dumps(spec, ensure_ascii=False, sort_keys=True)
    if location_kind not in KINDS:
        raise ValidationError("source.location_kind", "a source is a folder or an HTTP address")
    location = (location or "").strip()
    if location_kind == "folder":
        if not location.startswith("/") or len(location) > 500:
            raise ValidationError("source.folder", "give the folder's absolute path")
    else:
        parsed = urllib.parse.urlsplit(location)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(location) > 500:
            raise ValidationError("source.url", "give an http:// or https:// address")
    cron_trigger(cron or "")
    if not isinstance(division, str) or not DIVISION_RE.fullmatch(division):
        raise ValidationError("source.division", "the bureau's division code: 2, 4 or 6 digits")
    return {
        "name": name,
        "format": format,
        "mapping": mapping_text,
        "location_kind": location_kind,
        "location": location,
        "cron": " ".join(cron.split()),
        "division": division,
    }


def create_source(engine: Engine, *, actor: str, enabled: bool = True, **fields: Any) -> Source:
    values = check_source(**fields)
    now = utc_now()
    try:
        with write_transaction(engine) as conn:
            conn.execute(
                insert(SOURCE).values(
                    **values, enabled=enabled, created_by=actor, created_at=now, updated_at=now
                )
            )
    except IntegrityError:
        raise ConflictError("source.exists", "a source with this name exists") from None
    return get_source(engine, values["name"])


def update_source(engine: Engine, name: str, *, enabled: bool = True, **fields: Any) -> Source:
    values = check_source(name=name, **fields)
    with write_transaction(engine) as conn:
        changed = conn.execute(
            update(SOURCE)
            .where(SOURCE.c.name == name)
            .values(**values, enabled=enabled, updated_at=utc_now())
        ).rowcount
    if not changed:
        raise NotFoundError("source.not_found", f"there is no source {name!r}")
    return get_source(engine, name)


def delete_source(engine: Engine, name: str) -> None:
    with write_transaction(engine) as conn:
        if not conn.execute(delete(SOURCE).where(SOURCE.c.name == name)).rowcount:
            raise NotFoundError("source.not_found", f"there is no source {name!r}")


def get_source(engine: Engine, name: str) -> Source:
    with read_transaction(engine) as conn:
        row = conn.execute(select(SOURCE).where(SOURCE.c.name == name)).one_or_none()
    if row is None:
        raise NotFoundError("source.not_found", f"there is no source {name!r}")
    return _source(row)


def list_sources(engine: Engine, division: str | None = None) -> list[Source]:
    """Every source, or those of bureaus within ``division``."""
    with read_transaction(engine) as conn:
        rows = conn.execute(select(SOURCE).order_by(SOURCE.c.name)).all()
    found = [_source(r) for r in rows]
    return [s for s in found if division is None or s.division.startswith(division)]


# --- fetching -------------------------------------------------------------------------------


def _folder_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ValidationError("source.folder", f"the folder {folder} does not exist")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def download(url: str, into: Path) -> Path:
    """Download ``url`` into the folder ``into`` (streamed, at most :data:`MAX_DOWNLOAD`)."""
    target = into / "download"
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValidationError("source.url", "give an http:// or https:// address")
    headers = {"User-Agent": "carbon-ledger reconcile"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (checked above)
    try:
        with (
            urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response,  # noqa: S310
            target.open("wb") as out,
        ):
            copied = 0
            while chunk := response.read(1 << 20):
                copied += len(chunk)
                if copied > MAX_DOWNLOAD:
                    raise ValidationError("source.download", f"{url} sends too much data")
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise ValidationError(
            "source.download", f"{url} answered {exc.code} {exc.reason}", {"status": exc.code}
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ValidationError("source.download", f"cannot download {url}: {reason}") from None
    return target


def fetch(
    engine: Engine, source: Source, *, actor: str, match=None, progress=None
) -> list[ImportResult]:
    """Fetch and import what ``source`` holds now (see the module text)."""
    layout = source.layout()
    if source.location_kind == "folder":
        files = _folder_files(Path(source.location))
        results = []
        for i, path in enumerate(files):
            if progress is not None:
                progress("importing", i, len(files))
            results.append(
                import_file(engine, path, layout, actor=actor, source=source.name, match=match)
            )
        return results
    tmp = Path(tempfile.mkdtemp(prefix="reconcile-"))
    try:
        if progress is not None:
            progress("downloading", 0, 1)
        path = download(source.location, tmp)
        if progress is not None:
            progress("importing", 0, 1)
        return [import_file(engine, path, layout, actor=actor, source=source.name, match=match)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def totals(results: Iterable[ImportResult]) -> dict[str, int]:
    out = {"files": 0, "retirements": 0, "issuance_rows_skipped": 0, "already_imported": 0}
    for r in results:
        out["files"] += 0 if r.repeated else 1
        out["retirements"] += r.retirements
        out["issuance_rows_skipped"] += r.issuance_rows_skipped if not r.repeated else 0
        out["already_imported"] += r.already_imported
        for finding, n in r.findings.items():
            out[f"findings.{finding}"] = out.get(f"findings.{finding}", 0) + n
    return out


# --- the scheduled job ----------------------------------------------------------------------


def plans(engine: Engine, settings: Settings) -> list[Plan]:
    """One plan per enabled source, on its schedule."""
    return [
        Plan(s.name, Cron(s.cron), {"source": s.name}, division=s.division)
        for s in list_sources(engine)
        if s.enabled
    ]


def run_fetch(ctx: RunContext) -> dict[str, int]:
    """The scheduled fetch of one source (safe to repeat: imports are idempotent)."""
    source = get_source(ctx.engine, ctx.params["source"])
    results = fetch(
        ctx.engine,
        source,
        actor=f"scheduler:{source.name}",
        match=lambda engine, registry: _matching(ctx, engine, registry, source.division),
        progress=ctx.progress,
    )
    return totals(results)


def _matching(ctx: RunContext, engine: Engine, registry: str, division: str) -> dict[str, int]:
    from ledger.reconcile.matching import match_registry

    ctx.progress("matching", 0, 1, force=True)
    found = match_registry(
        engine, registry, [division], grace_days=ctx.settings.reconcile_grace_days
    )
    ctx.progress("matching", 1, 1, force=True)
    return found


FETCH_JOB = ScheduledJob(
    name="reconcile.fetch",
    label=N_("Fetch and reconcile registry records"),
    run="ledger.reconcile.sources:run_fetch",
    plans="ledger.reconcile.sources:plans",
    counts={
        "files": N_("files imported"),
        "retirements": N_("registry retirements added"),
        "issuance_rows_skipped": N_("issuance rows skipped"),
        "already_imported": N_("rows already imported"),
    },
)
