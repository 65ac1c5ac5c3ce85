"""Document anchoring: prove a file (a scanned judgment, an assembly resolution, a bank
statement) existed unchanged at a point of the log, by appending its SHA-256 and size."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, select

from ledger.core.entry import Entry, EntryDraft, raise_first
from ledger.core.errors import ValidationError
from ledger.core.personal import check_free_text
from ledger.services.log import ENTRY, append_batch
from ledger.storage.db import read_transaction
from ledger.storage.tables import DocAnchor

KIND = "doc.anchor"
MAX_TITLE = 500
_HEX = frozenset("0123456789abcdef")


def validate_anchor(body: Mapping[str, Any], where: str) -> list[ValidationError]:
    """A ``doc.anchor`` body is ``{sha256: 64 lowercase hex, size: int >= 0, title: str}``;
    the title follows the free-text rule (:func:`ledger.core.personal.check_free_text`)."""
    errors = []
    sha = body.get("sha256")
    if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= _HEX):
        errors.append(
            ValidationError("anchor.sha256", f"{where}: sha256 must be 64 lowercase hex digits")
        )
    size = body.get("size")
    if type(size) is not int or size < 0:
        errors.append(
            ValidationError("anchor.size", f"{where}: size must be a non-negative integer")
        )
    try:
        check_free_text(body.get("title", ""), "title", MAX_TITLE)
    except ValidationError as exc:
        errors.append(ValidationError(exc.code, f"{where}: {exc.message}", exc.details))
    extra = set(body) - {"sha256", "size", "title"}
    if extra:
        errors.append(ValidationError("anchor.fields", f"{where}: unknown fields {sorted(extra)}"))
    return errors


def stream_digest(stream: IO[bytes]) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of what ``stream`` holds, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def file_digest(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of the file at ``path``."""
    with Path(path).open("rb") as fh:
        return stream_digest(fh)


def anchor_draft(sha256: str, size: int, title: str, actor: str) -> EntryDraft:
    """The ``doc.anchor`` entry for a document digest. The title must not hold personal data.

    Raises ValidationError when the digest, size or title is malformed.
    """
    draft = EntryDraft(KIND, {"sha256": sha256, "size": size, "title": title}, actor)
    raise_first(validate_anchor(draft.body, "anchor"))
    return draft


def anchor_files(
    engine: Engine,
    paths: Sequence[Path],
    *,
    title: str = "",
    actor: str,
    idempotency_key: str | None = None,
) -> list[Entry]:
    """Append one ``doc.anchor`` entry per file, all in one transaction."""
    drafts = []
    for path in paths:
        try:
            sha, size = file_digest(path)
        except OSError as exc:
            raise ValidationError("anchor.file", f"cannot read {path}: {exc.strerror}") from None
        drafts.append(anchor_draft(sha, size, title, actor))
    return append_batch(engine, drafts, idempotency_key=idempotency_key)


@dataclass(frozen=True, slots=True)
class Anchoring:
    """One ``doc.anchor`` of a document: the entry ``seq`` and when, by whom, and under which
    leaf hash it was appended, with the anchored ``sha256``, ``size`` and ``title``."""

    seq: int
    sha256: str
    size: int
    title: str
    time: str
    actor: str
    leaf_hash: bytes


def find_anchors(engine: Engine, sha256: str, log: str = "main") -> list[Anchoring]:
    """Every anchoring of the document with this SHA-256, oldest first."""
    anchor = DocAnchor.__table__
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(
                anchor.c.seq,
                anchor.c.sha256,
                anchor.c.size,
                anchor.c.title,
                ENTRY.c.time,
                ENTRY.c.actor,
                ENTRY.c.leaf_hash,
            )
            .join(ENTRY, (ENTRY.c.log == log) & (ENTRY.c.seq == anchor.c.seq))
            .where(anchor.c.sha256 == sha256.lower())
            .order_by(anchor.c.seq)
        ).all()
    return [Anchoring(*row[:6], bytes(row.leaf_hash)) for row in rows]
