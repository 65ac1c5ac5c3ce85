"""The vault's operations. Each takes an open SQLAlchemy ``Connection`` (the caller owns the
transaction, so a vault write can share one with a log append) and, where values are
encrypted, decrypted or looked up, a :class:`~ledger.vault.crypto.Vault` holding the keys.

Personal data never appears in an error message or a repr: errors name the code and field.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy import update as sql_update

from ledger.core.errors import ConflictError, LedgerError, NotFoundError, ValidationError
from ledger.services.bulk import blob_type, insert_many
from ledger.services.clock import utc_now
from ledger.storage.db import among
from ledger.vault.crypto import Vault
from ledger.vault.fields import NAME, check_field, normalise
from ledger.vault.masking import mask_name
from ledger.vault.model import (
    CODE_ALPHABET,
    CODE_CHARS,
    CODE_PREFIX,
    VaultRecord,
    check_kind,
    check_owner_org,
)
from ledger.vault.tables import VaultFieldRow, VaultRecordRow

RECORD = VaultRecordRow.__table__
FIELD = VaultFieldRow.__table__
_RECORD_COLUMNS = ("code", "kind", "owner_org", "created_at", "updated_at")
_FIELD_COLUMNS = ("code", "field", "key_id", "nonce", "ciphertext", "lookup")
_INSERT_RECORD = insert(RECORD).values({c: bindparam(c) for c in _RECORD_COLUMNS})
_INSERT_FIELD = insert(FIELD)


def new_code(kind: str) -> str:
    """A fresh random pseudonymous code: ``H-`` or ``D-`` and 12 Crockford base32 characters
    (60 random bits)."""
    return new_codes(kind, 1)[0]


#: A random byte → the Crockford digit of its low 5 bits (256 is a multiple of 32, so each
#: digit stays uniform).
_DIGIT_OF_BYTE = bytes(CODE_ALPHABET[b & 31].encode()[0] for b in range(256))


def new_codes(kind: str, n: int) -> list[str]:
    """``n`` fresh random codes of ``kind`` (see :func:`new_code`): 12 digits of 5 random
    bits each."""
    prefix = CODE_PREFIX[check_kind(kind)] + "-"
    digits = secrets.token_bytes(CODE_CHARS * n).translate(_DIGIT_OF_BYTE).decode()
    return [prefix + digits[i : i + CODE_CHARS] for i in range(0, CODE_CHARS * n, CODE_CHARS)]


def _fields_arg(fields: Mapping[str, str | None]) -> dict[str, str | None]:
    if not isinstance(fields, Mapping):
        raise ValidationError("vault.invalid_fields", "fields must be a mapping")
    for name in fields:
        check_field(name)
    return dict(fields)


def _field_rows(
    vault: Vault, owner_org: str, values: Sequence[tuple[str, str, str]]
) -> list[tuple]:
    """The ``vault_field`` rows (in :data:`_FIELD_COLUMNS` order) of ``(code, field, value)``
    of records owned by ``owner_org``: each value validated, sealed under a fresh nonce and
    hashed for look-up."""
    lookup_hash = vault.lookup_hash
    # A value given again (two buyers of one name) is validated and hashed once.
    known: dict[tuple[str, str], tuple[str, bytes]] = {}
    normalised = []
    for code, name, value in values:
        found = known.get((name, value)) if type(value) is str else None
        if found is None:
            n = normalise(name, value)
            found = (n.display, lookup_hash(name, n.key))
            if type(value) is str:
                known[name, value] = found
        normalised.append((code, name, found))
    sealed = vault.seal_many(owner_org, [(code, name, d) for code, name, (d, _) in normalised])
    key_id = vault.key_id
    return [
        (code, name, key_id, nonce, ciphertext, lookup)
        for (code, name, (_, lookup)), (nonce, ciphertext) in zip(normalised, sealed, strict=True)
    ]


def _record_row(conn: Connection, code: str, *, for_update: bool = False):
    query = select(RECORD).where(RECORD.c.code == code)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError("vault.not_found", f"no vault record {code!r}", {"code": code})
    return row


def put(
    conn: Connection,
    vault: Vault,
    kind: str,
    owner_org: str,
    fields: Mapping[str, str | None],
    *,
    now: str | None = None,
) -> str:
    """Store a new record of ``kind`` owned by ``owner_org``; returns its new code.

    ``fields`` maps field names (``name``, ``id_number``, ``phone``, ``bank_account``) to
    values; ``None`` values are skipped. Every value is validated before anything is written.
    """
    check_kind(kind)
    check_owner_org(kind, owner_org)
    given = {k: v for k, v in _fields_arg(fields).items() if v is not None}
    if not given:
        raise ValidationError("vault.no_fields", "a vault record needs at least one field")
    now = now or utc_now()
    for _ in range(8):
        code = new_code(kind)
        if conn.execute(select(RECORD.c.code).where(RECORD.c.code == code)).first() is None:
            break
    else:  # pragma: no cover - 60 random bits do not collide eight times
        raise ConflictError("vault.code_exhausted", "could not draw a fresh vault code")
    rows = _field_rows(vault, owner_org, [(code, name, value) for name, value in given.items()])
    conn.execute(
        insert(RECORD).values(
            code=code, kind=kind, owner_org=owner_org, created_at=now, updated_at=now
        )
    )
    insert_many(conn, _INSERT_FIELD, _FIELD_COLUMNS, rows)
    return code


def put_many(
    conn: Connection,
    vault: Vault,
    kind: str,
    owner_org: str,
    records: Sequence[Mapping[str, str]],
    *,
    now: str | None = None,
) -> list[str]:
    """Store many new records of one ``kind`` and ``owner_org`` in bulk (an import); returns
    their new codes, in order. Every value is validated and sealed before anything is
    written; codes are drawn afresh until none is taken."""
    check_kind(kind)
    check_owner_org(kind, owner_org)
    if not records:
        return []
    fields = [{k: v for k, v in _fields_arg(r).items() if v is not None} for r in records]
    if not all(fields):
        raise ValidationError("vault.no_fields", "a vault record needs at least one field")
    codes = new_codes(kind, len(fields))
    for _ in range(8):
        taken = set()
        for start in range(0, len(codes), 5000):
            chunk = codes[start : start + 5000]
            taken.update(
                conn.execute(select(RECORD.c.code).where(among(RECORD.c.code, chunk))).scalars()
            )
        seen: set[str] = set()
        clashes = 0
        for i, code in enumerate(codes):
            if code in taken or code in seen:
                codes[i] = new_code(kind)
                clashes += 1
            seen.add(codes[i])
        if not clashes:
            break
    else:  # pragma: no cover - 60 random bits do not collide eight times
        raise ConflictError("vault.code_exhausted", "could not draw fresh vault codes")
    now = now or utc_now()
    field_rows = _field_rows(
        vault,
        owner_org,
        [
            (code, name, value)
            for code, given in zip(codes, fields, strict=True)
            for name, value in given.items()
        ],
    )
    # In key order: the database fills its index pages in turn instead of all over.
    field_rows.sort()
    blob = blob_type(conn)
    field_rows = [(c, f, k, blob(n), blob(s), blob(h)) for c, f, k, n, s, h in field_rows]
    records = sorted((code, kind, owner_org, now, now) for code in codes)
    insert_many(conn, _INSERT_RECORD, _RECORD_COLUMNS, records)
    insert_many(conn, _INSERT_FIELD, _FIELD_COLUMNS, field_rows)
    return codes


def masked_names(conn: Connection, vault: Vault, codes: Iterable[str]) -> dict[str, str | None]:
    """The masked name (张*华) of each record of ``codes`` that can be read, None for an erased
    one; unknown and unreadable records are left out (the caller says what stands in their
    place)."""
    out: dict[str, str | None] = {}
    for code in codes:
        try:
            name = get(conn, vault, code).fields.get(NAME)
        except LedgerError:
            continue
        out[code] = mask_name(name) if name else None
    return out


def get(conn: Connection, vault: Vault, code: str) -> VaultRecord:
    """The record ``code``, decrypted (no fields if erased). Raises ``NotFoundError``."""
    row = _record_row(conn, code)
    fields: dict[str, str] = {}
    for f in conn.execute(select(FIELD).where(FIELD.c.code == code).order_by(FIELD.c.field)):
        fields[f.field] = vault.open(
            code, row["owner_org"], f.field, f.nonce, f.ciphertext, f.key_id
        )
    return VaultRecord(
        code=row["code"],
        kind=row["kind"],
        owner_org=row["owner_org"],
        fields=fields,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        erased_at=row["erased_at"],
    )


def find_by(
    conn: Connection,
    vault: Vault,
    field: str,
    value: str,
    *,
    kind: str | None = None,
    owner_org: str | None = None,
) -> list[str]:
    """Codes of the live records whose ``field`` equals ``value`` once normalised (sorted),
    optionally only of one ``kind`` and/or ``owner_org``. Erased records are never found.
    Raises ``ValidationError`` if ``value`` is not a valid ``field``."""
    norm = normalise(field, value)
    query = (
        select(FIELD.c.code)
        .where(FIELD.c.field == field, FIELD.c.lookup == vault.lookup_hash(field, norm.key))
        .order_by(FIELD.c.code)
    )
    if kind is not None or owner_org is not None:
        query = query.join(RECORD, RECORD.c.code == FIELD.c.code)
        if kind is not None:
            query = query.where(RECORD.c.kind == check_kind(kind))
        if owner_org is not None:
            query = query.where(RECORD.c.owner_org == owner_org)
    return list(conn.execute(query).scalars())


def codes_of(conn: Connection, owner_org: str, kind: str | None = None) -> list[str]:
    """Codes of the live records owned by ``owner_org`` (sorted)."""
    query = (
        select(RECORD.c.code)
        .where(RECORD.c.owner_org == owner_org, RECORD.c.erased_at.is_(None))
        .order_by(RECORD.c.code)
    )
    if kind is not None:
        query = query.where(RECORD.c.kind == check_kind(kind))
    return list(conn.execute(query).scalars())


def update(
    conn: Connection,
    vault: Vault,
    code: str,
    fields: Mapping[str, str | None],
    *,
    now: str | None = None,
) -> VaultRecord:
    """Set the given fields of ``code`` (a ``None`` value removes that field); returns the
    record as it now is. An erased record cannot be updated (``ConflictError``)."""
    given = _fields_arg(fields)
    row = _record_row(conn, code, for_update=True)
    if row["erased_at"] is not None:
        raise ConflictError(
            "vault.erased", f"vault record {code} was erased; store a new record", {"code": code}
        )
    rows = _field_rows(
        vault, row["owner_org"], [(code, k, v) for k, v in given.items() if v is not None]
    )
    present = set(conn.execute(select(FIELD.c.field).where(FIELD.c.code == code)).scalars())
    if not (present - set(given)) and not rows:
        raise ValidationError("vault.no_fields", "a vault record needs at least one field")
    if given:
        conn.execute(delete(FIELD).where(FIELD.c.code == code, FIELD.c.field.in_(list(given))))
    insert_many(conn, _INSERT_FIELD, _FIELD_COLUMNS, rows)
    conn.execute(
        sql_update(RECORD).where(RECORD.c.code == code).values(updated_at=now or utc_now())
    )
    return get(conn, vault, code)


def erase(conn: Connection, code: str, *, now: str | None = None) -> str:
    """Erase the personal data of ``code``: delete its ciphertexts and look-up hashes, keep
    the code with ``erased_at``. Returns ``erased_at`` (the first one, if already erased).

    On SQLite ``secure_delete`` is switched on for the connection so freed pages are zeroed;
    old copies may still sit in the WAL until the next checkpoint, and on PostgreSQL in dead
    tuples until VACUUM (all of it ciphertext and keyed hashes, never clear text).
    """
    row = _record_row(conn, code, for_update=True)
    if row["erased_at"] is not None:
        return row["erased_at"]
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    now = now or utc_now()
    conn.execute(delete(FIELD).where(FIELD.c.code == code))
    conn.execute(
        sql_update(RECORD).where(RECORD.c.code == code).values(erased_at=now, updated_at=now)
    )
    return now
