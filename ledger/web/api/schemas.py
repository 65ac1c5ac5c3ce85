"""The JSON API's request and response models (pydantic), from which flask-openapi3 writes the
OpenAPI document.

Conventions, so that the document says what the code accepts and schemathesis can generate
meaningful data from it:

- amounts are integers in the commodity's smallest unit: ``CNY`` in fen, ``CO2E`` in kg;
- hashes are lowercase hex strings with a ``pattern``; leaves are base64 of the exact bytes;
- organisation codes and tree sizes carry the patterns and bounds the ledger enforces
  (``seq`` and sizes stay within ``2**53 - 1``, the ledger's integer range);
- request bodies are strict (JSON types must match, unknown fields are refused);
- every field and model has an example (OpenAPI's ``example``: flask-openapi3's schema
  objects keep ``example`` and drop JSON Schema's ``examples``; parameters' ``examples`` would
  be a map), shown on the API page and used by schemathesis.

Request models are named by where their fields come from (``…Query``, ``…Path``,
``…Header``, ``…Body``): :func:`ledger.web.api.spec.validation_error_response` uses the
suffix to say which part of the request was wrong.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from ledger.accounts.model import PROVINCE_ABBR, Org, Principal
from ledger.core.canonical import MAX_SAFE_INTEGER
from ledger.services.anchors import MAX_TITLE as MAX_ANCHOR_TITLE
from ledger.webkit.api import Out as _Out
from ledger.webkit.api import ex

#: The most entries one page of ``GET /api/v1/log/entries`` returns.
MAX_PAGE = 1000
#: Lowercase hex SHA-256.
HEX64 = r"^[0-9a-f]{64}$"
#: Lower- or uppercase hex SHA-256 (normalised to lowercase).
HEX64_ANY_CASE = r"^[0-9a-fA-F]{64}$"
#: Organisation codes: a village's 12-digit division code, a bureau's 2/4/6-digit division
#: code, or a court code (province abbreviation and 2 or 4 digits, e.g. 闽0428). ``[0-9]``
#: rather than ``\d``, which would also match other scripts' digits.
ORG_CODE = (
    r"^(?:[0-9]{12}|[0-9]{6}|[0-9]{4}|[0-9]{2}|["
    + "".join(sorted(PROVINCE_ABBR))
    + r"][0-9]{2}(?:[0-9]{2})?)$"
)
ORG_CODE_RE = re.compile(ORG_CODE)

SEQ = Field(ge=0, le=MAX_SAFE_INTEGER)
SHA256_EXAMPLE = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
ROOT_EXAMPLE = "5f1b6e2e4a3c9a0d3e7b3f0b8a1d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e"
UNITS = {"CNY": "fen", "CO2E": "kg"}


def _no_default(example: Any):
    """``json_schema_extra`` for an optional parameter whose absence means "not given": an
    example, and no ``default: null`` (null is not a value of the parameter)."""

    def extra(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        schema["example"] = example

    return extra


# --- principals and organisations ---------------------------------------------------------


class OrgOut(_Out):
    """An organisation that uses the ledger."""

    kind: Literal["village", "court", "bureau"] = Field(json_schema_extra=ex("village"))
    code: str = Field(
        pattern=ORG_CODE,
        description="Village: 12-digit division code; bureau: 2/4/6-digit division code it "
        "covers; court: court code as in case numbers.",
        json_schema_extra=ex("350428102201"),
    )
    name: str = Field(json_schema_extra=ex("常口村"))
    level: Literal["village", "county", "city", "province"] = Field(json_schema_extra=ex("village"))
    division: str = Field(
        pattern=r"^[0-9]{2,12}$",
        description="Division code the organisation lies in or covers.",
        json_schema_extra=ex("350428102201"),
    )

    @classmethod
    def of(cls, org: Org) -> OrgOut:
        return cls(
            kind=org.kind, code=org.code, name=org.name, level=org.level, division=org.division
        )


class PrincipalOut(_Out):
    """Who is asking: a signed-in user or an API token."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "kind": "token",
                "id": 7,
                "role": "village",
                "actor": "token:7",
                "name": "village clerk's spreadsheet",
                "org": {
                    "kind": "village",
                    "code": "350428102201",
                    "name": "常口村",
                    "level": "village",
                    "division": "350428102201",
                },
            }
        }
    )

    kind: Literal["user", "token"] = Field(json_schema_extra=ex("token"))
    id: int = Field(ge=1, json_schema_extra=ex(7))
    role: Literal["village", "court", "bureau", "admin"] = Field(json_schema_extra=ex("village"))
    actor: str = Field(
        pattern=r"^(user|token):[0-9]+$",
        description="The `actor` of log entries this principal appends.",
        json_schema_extra=ex("token:7"),
    )
    name: str = Field(description="Username or token label.", json_schema_extra=ex("clerk"))
    org: OrgOut | None = Field(description="The organisation acted for (none for admins).")

    @classmethod
    def of(cls, principal: Principal) -> PrincipalOut:
        return cls(
            kind=principal.kind,
            id=principal.id,
            role=principal.role,
            actor=principal.actor,
            name=principal.name,
            org=None if principal.org is None else OrgOut.of(principal.org),
        )


class OrgPath(BaseModel):
    code: str = Field(
        pattern=ORG_CODE,
        description="Organisation code: 12-digit village code, 2/4/6-digit bureau code or a "
        "court code such as 闽0428.",
        json_schema_extra=ex("350428102201"),
    )


class OrgDetail(OrgOut):
    """An organisation, and for a bureau the organisations within its division."""

    orgs: list[OrgOut] = Field(
        default_factory=list,
        description="For a bureau: the villages, courts and bureaus within its division.",
    )


class BalanceOut(_Out):
    """Balance of one account in one commodity after entry ``last_seq`` (integer units)."""

    account: str = Field(
        max_length=200, json_schema_extra=ex("Assets:Village:350428102201:Collective")
    )
    commodity: str = Field(pattern=r"^[A-Z0-9]{1,8}$", json_schema_extra=ex("CNY"))
    balance: int = Field(
        ge=-MAX_SAFE_INTEGER,
        le=MAX_SAFE_INTEGER,
        description="Integer amount: fen for CNY, kg for CO2E.",
        json_schema_extra=ex(150_001),
    )
    unit: str = Field(description="Unit of `balance`: `fen` or `kg`.", json_schema_extra=ex("fen"))
    last_seq: int = Field(ge=0, le=MAX_SAFE_INTEGER, json_schema_extra=ex(1))


class BalancesOut(_Out):
    """The ``account_balance`` projection rows of every account naming the organisation
    (``…:Village:350428102201:…``)."""

    org: OrgOut
    balances: list[BalanceOut]


# --- the log ------------------------------------------------------------------------------


class CheckpointOut(_Out):
    """The latest signed checkpoint (C2SP tlog-checkpoint signed note) and its fields."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "origin": "carbon-ledger.localhost/log",
                "size": 29,
                "root": ROOT_EXAMPLE,
                "number": 3,
                "created_at": "2025-03-01T08:00:00Z",
                "note": "carbon-ledger.localhost/log\n29\nXxtuLko8mg0+ez8Lih0sTm+AkaKz…=\n"
                "\n— carbon-ledger.localhost/log AAAAAF8b…\n",
            }
        }
    )

    origin: str = Field(
        description="The checkpoint origin line.", json_schema_extra=ex("carbon-ledger")
    )
    size: int = Field(ge=0, le=MAX_SAFE_INTEGER, json_schema_extra=ex(29))
    root: str = Field(
        pattern=HEX64,
        description="RFC 9162 root, hex.",
        json_schema_extra=ex(ROOT_EXAMPLE),
    )
    number: int = Field(ge=0, description="Number of this checkpoint in the log's sequence.")
    created_at: str = Field(description="UTC ISO-8601 time of signing.")
    note: str = Field(description="The signed note, exactly as signed (verify it offline).")


class EntriesQuery(BaseModel):
    start: int = Field(
        0, ge=0, le=MAX_SAFE_INTEGER, description="First seq.", json_schema_extra=ex(0)
    )
    end: int | SkipJsonSchema[None] = Field(
        None,
        ge=0,
        le=MAX_SAFE_INTEGER,
        description=f"Stop before this seq (default: the log's size; at most {MAX_PAGE} "
        "entries per page).",
        json_schema_extra=_no_default(100),
    )


class EntryOut(_Out):
    """An entry as published: its leaf hash, and its kind and exact leaf bytes when the caller
    may read its contents (a public kind, or a scoped entry within the caller's scope)."""

    seq: int = Field(ge=0, le=MAX_SAFE_INTEGER, json_schema_extra=ex(0))
    kind: str | None = Field(
        default=None,
        description="null when the caller may not read the entry's contents.",
        json_schema_extra=ex("doc.anchor"),
    )
    leaf: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        description="Base64 of the leaf: the entry's RFC 8785 canonical JSON, as hashed. "
        "null when the caller may not read the entry's contents.",
        json_schema_extra=ex("eyJhY3RvciI6InRva2VuOjciLCJib2R5Ijp7fX0="),
    )
    leaf_hash: str = Field(pattern=HEX64, json_schema_extra=ex(SHA256_EXAMPLE))


class EntriesOut(_Out):
    """One page of entries ``start <= seq < end``."""

    entries: list[EntryOut]
    start: int = Field(ge=0, json_schema_extra=ex(0))
    end: int = Field(ge=0, json_schema_extra=ex(29))
    size: int = Field(ge=0, description="The log's size now.", json_schema_extra=ex(29))
    next: int | None = Field(
        description="`start` of the next page, or null when this page reached `end`.",
        json_schema_extra=ex(None),
    )


class InclusionQuery(BaseModel):
    seq: int = Field(ge=0, le=MAX_SAFE_INTEGER, description="The entry.", json_schema_extra=ex(3))
    size: int = Field(
        ge=1, le=MAX_SAFE_INTEGER, description="The tree size.", json_schema_extra=ex(29)
    )


class InclusionOut(_Out):
    """RFC 9162 inclusion proof of entry ``leaf_index`` in the tree of ``tree_size``."""

    leaf_index: int = Field(ge=0, json_schema_extra=ex(3))
    tree_size: int = Field(ge=1, json_schema_extra=ex(29))
    leaf_hash: str = Field(pattern=HEX64, json_schema_extra=ex(SHA256_EXAMPLE))
    root: str = Field(pattern=HEX64, json_schema_extra=ex(ROOT_EXAMPLE))
    proof: list[str] = Field(description="Sibling hashes, hex, leaf to root.")


class ConsistencyQuery(BaseModel):
    old: int = Field(
        ge=1, le=MAX_SAFE_INTEGER, description="The older size.", json_schema_extra=ex(13)
    )
    new: int = Field(
        ge=1, le=MAX_SAFE_INTEGER, description="The newer size.", json_schema_extra=ex(29)
    )


class ConsistencyOut(_Out):
    """RFC 9162 consistency proof between two tree sizes."""

    old_size: int = Field(ge=1, json_schema_extra=ex(13))
    new_size: int = Field(ge=1, json_schema_extra=ex(29))
    old_root: str = Field(pattern=HEX64, json_schema_extra=ex(ROOT_EXAMPLE))
    new_root: str = Field(pattern=HEX64, json_schema_extra=ex(ROOT_EXAMPLE))
    proof: list[str] = Field(description="Proof hashes, hex.")


# --- document anchors ---------------------------------------------------------------------


class AnchorBody(BaseModel):
    """A document digest to anchor in the log. The title must not hold personal data."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "example": {"sha256": SHA256_EXAMPLE, "size": 48213, "title": "村民大会决议 2025-03"}
        },
    )

    sha256: str = Field(
        pattern=HEX64,
        description="SHA-256 of the document, lowercase hex.",
        json_schema_extra=ex(SHA256_EXAMPLE),
    )
    size: int = Field(
        ge=0,
        le=MAX_SAFE_INTEGER,
        description="Size of the document in bytes.",
        json_schema_extra=ex(48213),
    )
    title: str = Field(
        "",
        max_length=MAX_ANCHOR_TITLE,
        description="What the document is. Free text that enters the public log: no control "
        "characters, and no personal data (resident ID, mobile or bank card numbers, e-mail "
        "addresses are refused with `text.control` or `text.personal_data`).",
        json_schema_extra=ex("村民大会决议 2025-03"),
    )


class AnchorPath(BaseModel):
    sha256: str = Field(
        pattern=HEX64_ANY_CASE,
        description="SHA-256 of the document, hex.",
        json_schema_extra=ex(SHA256_EXAMPLE),
    )


class AnchorOut(_Out):
    """One anchoring of a document: the ``doc.anchor`` entry at ``seq``."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "seq": 30,
                "time": "2025-03-01T08:00:00Z",
                "actor": "token:7",
                "sha256": SHA256_EXAMPLE,
                "size": 48213,
                "title": "村民大会决议 2025-03",
                "leaf_hash": ROOT_EXAMPLE,
            }
        }
    )

    seq: int = Field(ge=0, le=MAX_SAFE_INTEGER, description="Where: the entry's seq.")
    time: str = Field(description="When: UTC ISO-8601 time of the entry.")
    actor: str = Field(description="Who appended it.")
    sha256: str = Field(pattern=HEX64)
    size: int = Field(ge=0, le=MAX_SAFE_INTEGER)
    title: str
    leaf_hash: str = Field(pattern=HEX64, description="Prove it with /log/proof/inclusion.")


class AnchorsOut(_Out):
    """Every anchoring of one document, oldest first."""

    sha256: str = Field(pattern=HEX64)
    anchors: list[AnchorOut] = Field(min_length=1)
