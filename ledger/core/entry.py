"""Log entries and their postings, as immutable records, and the rules they must obey.

An entry is one fact in the append-only log. Its *leaf* is the RFC 8785 canonical JSON of::

    {"v": 1, "seq": 0, "kind": "doc.anchor", "time": "2026-01-01T00:00:00.000000Z",
     "actor": "bureau:350428", "prev": "<hex leaf hash of seq-1, or 64 zeros>",
     "body": {...}, "postings": [{"account": ..., "commodity": ..., "amount": ...}]}

The leaf bytes are stored exactly as hashed; every other column is derived from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain
from operator import attrgetter, mul
from typing import Any

import orjson

from ledger.core.canonical import (
    MAX_SAFE_INTEGER,
    all_plain,
    astral_free,
    canonical_json,
    check_json,
    is_ledger_value,
)
from ledger.core.errors import ValidationError
from ledger.core.hashing import LEAF_STATE, leaf_hash
from ledger.core.records import stored_through_slots

LEAF_VERSION = 1
GENESIS_PREV = bytes(32)

#: Commodities and the integer unit their amounts are counted in.
COMMODITIES: Mapping[str, str] = {"CNY": "fen", "CO2E": "kg"}

KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
#: Beancount-compatible account names: a root type, then capitalised components (groups that
#: capture nothing: a match of a long name then records no marks, a third faster).
ACCOUNT_RE = re.compile(
    r"^(?:Assets|Liabilities|Equity|Income|Expenses)(?::[A-Z0-9][A-Za-z0-9-]*)+$"
)
MAX_KIND_LEN = 100  # the width of log_entry.kind
MAX_ACTOR_LEN = 200
MAX_ACCOUNT_LEN = 200

#: The keys of a leaf object and of each of its postings (see :func:`leaf_object`).
LEAF_KEYS = frozenset({"v", "seq", "kind", "time", "actor", "prev", "body", "postings"})
POSTING_KEYS = frozenset({"account", "commodity", "amount"})
_HEX64 = re.compile(r"[0-9a-f]{64}")


@stored_through_slots
@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of an entry.

    Attributes:
      account: hierarchical Beancount-style name, e.g. ``Assets:Village:350428102201:Collective``.
      commodity: ``CNY`` (amount in fen) or ``CO2E`` (amount in kg).
      amount: signed integer in the commodity's unit; never zero.
    """

    account: str
    commodity: str
    amount: int

    def as_json(self) -> dict[str, Any]:
        return {"account": self.account, "commodity": self.commodity, "amount": self.amount}


@stored_through_slots
@dataclass(frozen=True, slots=True)
class EntryDraft:
    """What a caller asks to append: everything but the position, time and chain link.

    Attributes:
      kind: dotted entry kind, e.g. ``doc.anchor``.
      body: JSON object, the fact itself (never personal data: use pseudonymous codes).
      actor: who asked, e.g. ``user:42`` or ``cli:root``.
      postings: the movements of money or carbon; per commodity they sum to zero.
    """

    kind: str
    body: Mapping[str, Any]
    actor: str
    postings: tuple[Posting, ...] = ()

    def content(self) -> dict[str, Any]:
        """The caller-chosen content, used to compare idempotent retries."""
        return {
            "kind": self.kind,
            "body": self.body,
            "actor": self.actor,
            "postings": [p.as_json() for p in self.postings],
        }


@stored_through_slots
@dataclass(frozen=True, slots=True)
class Entry:
    """An entry as stored in the log.

    Attributes:
      seq: 0-based position in the log; contiguous.
      kind, body, actor, postings: as in :class:`EntryDraft`.
      time: UTC ISO-8601 with ``Z``.
      prev: leaf hash of entry ``seq - 1`` (32 zero bytes for seq 0).
      leaf: the canonical bytes that were hashed.
      leaf_hash: RFC 9162 leaf hash of ``leaf``.
    """

    seq: int
    kind: str
    body: Mapping[str, Any]
    actor: str
    time: str
    prev: bytes
    postings: tuple[Posting, ...]
    leaf: bytes = field(repr=False)
    leaf_hash: bytes


# --- validation: each rule returns a list of errors (Beancount style) -----------------------

Rule = Callable[[EntryDraft, str], list[ValidationError]]


def check_kind(draft: EntryDraft, where: str) -> list[ValidationError]:
    kind = draft.kind
    if isinstance(kind, str) and len(kind) <= MAX_KIND_LEN and KIND_RE.match(kind):
        return []
    return [
        ValidationError(
            "entry.kind",
            f"{where}: kind {draft.kind!r} is not a dotted name of at most {MAX_KIND_LEN} chars",
        )
    ]


def check_actor(draft: EntryDraft, where: str) -> list[ValidationError]:
    if isinstance(draft.actor, str) and 0 < len(draft.actor) <= MAX_ACTOR_LEN:
        return []
    return [ValidationError("entry.actor", f"{where}: actor must be 1..{MAX_ACTOR_LEN} chars")]


def check_body(draft: EntryDraft, where: str) -> list[ValidationError]:
    body = draft.body
    if type(body) is not dict and not isinstance(body, Mapping):
        return [ValidationError("entry.body", f"{where}: body must be a JSON object")]
    try:
        check_json(body if type(body) is dict else dict(body))
    except ValidationError as exc:
        return [ValidationError(exc.code, f"{where}: body {exc.message}", exc.details)]
    return []


def postings_ok(legs: Iterable[tuple[Any, Any, Any]], accounts: set[str] | None = None) -> bool:
    """True exactly when :func:`check_postings` has nothing to say about postings with these
    ``(account, commodity, amount)`` legs: each account a valid name, each commodity known,
    each amount a non-zero safe ``int`` (not ``bool``), and every commodity summing to zero.

    The fast test for the common case; when it says False, :func:`check_postings` says why.
    ``accounts``, if given, is the caller's set of account names already found valid: names in
    it skip the regular expression, and names found valid are added (the caller owns it).
    """
    totals: dict[str, int] = {}
    for account, commodity, amount in legs:
        if type(account) is not str:
            return False
        if accounts is None or account not in accounts:
            if len(account) > MAX_ACCOUNT_LEN or not ACCOUNT_RE.match(account):
                return False
            if accounts is not None:
                accounts.add(account)
        if type(commodity) is not str or commodity not in COMMODITIES:
            return False
        if (
            type(amount) is not int
            or amount == 0
            or not -MAX_SAFE_INTEGER <= amount <= MAX_SAFE_INTEGER
        ):
            return False
        totals[commodity] = totals.get(commodity, 0) + amount
    return not any(totals.values())


def check_postings(draft: EntryDraft, where: str) -> list[ValidationError]:
    legs = []
    for p in draft.postings:
        if type(p) is not Posting:
            break
        legs.append((p.account, p.commodity, p.amount))
    else:
        if postings_ok(legs):
            return []
    errors: list[ValidationError] = []
    totals: dict[str, int] = {}
    for i, p in enumerate(draft.postings):
        at = f"{where} posting {i}"
        if not isinstance(p, Posting):
            errors.append(ValidationError("posting.type", f"{at}: not a posting"))
            continue
        if not (
            isinstance(p.account, str)
            and len(p.account) <= MAX_ACCOUNT_LEN
            and ACCOUNT_RE.match(p.account)
        ):
            errors.append(
                ValidationError("posting.account", f"{at}: account {p.account!r} is not valid")
            )
        unit = COMMODITIES.get(p.commodity) if isinstance(p.commodity, str) else None
        if unit is None:
            errors.append(
                ValidationError(
                    "posting.commodity",
                    f"{at}: unknown commodity {p.commodity!r}; use one of {sorted(COMMODITIES)}",
                )
            )
        if type(p.amount) is not int:
            errors.append(
                ValidationError(
                    "posting.amount_type",
                    f"{at}: amount {p.amount!r} must be an integer in "
                    f"{unit or 'units'}, not {type(p.amount).__name__}",
                )
            )
            continue
        if p.amount == 0 or abs(p.amount) > MAX_SAFE_INTEGER:
            errors.append(
                ValidationError("posting.amount_range", f"{at}: amount must be non-zero and safe")
            )
            continue
        if unit is not None:
            totals[p.commodity] = totals.get(p.commodity, 0) + p.amount
    for commodity, total in sorted(totals.items()):
        if total != 0:
            errors.append(
                ValidationError(
                    "posting.unbalanced",
                    f"{where}: {commodity} postings sum to {total} {COMMODITIES[commodity]}, not 0",
                    {"commodity": commodity, "sum": total},
                )
            )
    return errors


RULES: tuple[Rule, ...] = (check_kind, check_actor, check_body, check_postings)


def _passes(draft: EntryDraft, kinds: set[str], accounts: set[str]) -> bool:
    """True exactly when no rule of :data:`RULES` has anything to say about ``draft`` (an
    exact :class:`EntryDraft`): the rules' tests in one pass, for the common case. ``kinds``
    and ``accounts`` are the batch's kinds and account names found valid so far (see
    :func:`postings_ok`)."""
    kind = draft.kind
    if type(kind) is not str:
        return False
    if kind not in kinds:
        if len(kind) > MAX_KIND_LEN or not KIND_RE.match(kind):
            return False
        kinds.add(kind)
    actor = draft.actor
    if type(actor) is not str or not 0 < len(actor) <= MAX_ACTOR_LEN:
        return False
    body = draft.body
    if type(body) is not dict:
        return False
    if not is_ledger_value(body):
        return False
    legs = []
    for p in draft.postings:
        if type(p) is not Posting:
            return False
        legs.append((p.account, p.commodity, p.amount))
    return postings_ok(legs, accounts)


_KIND = attrgetter("kind")
_ACTOR = attrgetter("actor")
_BODY = attrgetter("body")
_POSTINGS = attrgetter("postings")
_ACCOUNT = attrgetter("account")
_COMMODITY = attrgetter("commodity")
_AMOUNT = attrgetter("amount")
#: Per commodity, a weight: a draft's postings balance in every commodity exactly when their
#: amounts times these weights sum to zero (a commodity's sum, at most 2**53 times the
#: postings of a draft, stays far below half the ratio between two weights).
_WEIGHTS = {c: 2 ** (128 * i) for i, c in enumerate(sorted(COMMODITIES))}
_MAX_LEGS = 2**64


def _batch_passes(drafts: Sequence[Any]) -> bool:
    """True only when no rule of :data:`RULES` has anything to say about any of ``drafts``:
    the rules' tests a field at a time over the whole batch (the distinct kinds and accounts
    once each, the bodies with :func:`all_plain`, every draft's balance from running sums of
    weighted amounts). False also for what it does not take up (then :func:`_passes` and the
    rules run draft by draft, as before)."""
    if set(map(type, drafts)) != {EntryDraft}:
        return False
    try:
        kinds = set(map(_KIND, drafts))
    except TypeError:  # an unhashable kind
        return False
    for kind in kinds:
        if type(kind) is not str or len(kind) > MAX_KIND_LEN or not KIND_RE.match(kind):
            return False
    actors = list(map(_ACTOR, drafts))
    if set(map(type, actors)) != {str}:
        return False
    lengths = list(map(len, actors))
    if min(lengths) == 0 or max(lengths) > MAX_ACTOR_LEN:
        return False
    bodies = list(map(_BODY, drafts))
    if set(map(type, bodies)) != {dict} or not all_plain(bodies):
        return False
    postings = list(map(_POSTINGS, drafts))
    if not set(map(type, postings)) <= {tuple, list}:
        return False
    legs = list(chain.from_iterable(postings))
    if not legs:
        return True
    if set(map(type, legs)) != {Posting} or len(legs) >= _MAX_LEGS:
        return False
    for account in set(map(_ACCOUNT, legs)):
        if type(account) is not str or len(account) > MAX_ACCOUNT_LEN:
            return False
        if not ACCOUNT_RE.match(account):
            return False
    commodities = list(map(_COMMODITY, legs))
    if set(map(type, commodities)) != {str} or not set(commodities) <= COMMODITIES.keys():
        return False
    amounts = list(map(_AMOUNT, legs))
    if set(map(type, amounts)) != {int} or 0 in amounts:
        return False
    if min(amounts) < -MAX_SAFE_INTEGER or max(amounts) > MAX_SAFE_INTEGER:
        return False
    weighted = map(mul, amounts, map(_WEIGHTS.__getitem__, commodities))
    running = list(accumulate(weighted, initial=0))
    ends = list(accumulate(map(len, postings)))
    at_end = list(map(running.__getitem__, ends))
    return at_end == [0, *at_end[:-1]]


def validate_drafts(drafts: Sequence[EntryDraft]) -> list[ValidationError]:
    """Every rule over every draft; an empty list means the batch may be appended."""
    if not drafts:
        return [ValidationError("batch.empty", "nothing to append")]
    if _batch_passes(drafts):
        return []
    errors: list[ValidationError] = []
    kinds: set[str] = set()
    accounts: set[str] = set()
    for i, draft in enumerate(drafts):
        if type(draft) is EntryDraft and _passes(draft, kinds, accounts):
            continue
        if not isinstance(draft, EntryDraft):
            errors.append(ValidationError("entry.type", f"entry {i}: not an EntryDraft"))
            continue
        where = f"entry {i}"
        for rule in RULES:
            errors.extend(rule(draft, where))
    return errors


def raise_first(errors: list[ValidationError]) -> None:
    """Raise a single ValidationError summarising ``errors`` (no-op when empty): the first
    one's code, message and details, and every error's code and message under ``errors``."""
    if errors:
        first = errors[0]
        raise ValidationError(
            first.code,
            first.message,
            {**first.details, "errors": [{"code": e.code, "message": e.message} for e in errors]},
        )


# --- leaves -------------------------------------------------------------------------------


def leaf_object(seq: int, draft: EntryDraft, time: str, prev: bytes) -> dict[str, Any]:
    """The JSON object whose canonical bytes are the leaf of ``draft`` at ``seq``."""
    return {
        "v": LEAF_VERSION,
        "seq": seq,
        "kind": draft.kind,
        "time": time,
        "actor": draft.actor,
        "prev": prev.hex(),
        "body": draft.body,
        "postings": [p.as_json() for p in draft.postings],
    }


def make_entry(seq: int, draft: EntryDraft, time: str, prev: bytes) -> Entry:
    """Seal a validated draft at position ``seq``, chained to ``prev``."""
    leaf = canonical_json(leaf_object(seq, draft, time, prev))
    return Entry(
        seq=seq,
        kind=draft.kind,
        body=draft.body,
        actor=draft.actor,
        time=time,
        prev=prev,
        postings=draft.postings,
        leaf=leaf,
        leaf_hash=leaf_hash(leaf),
    )


_SORTED = orjson.OPT_SORT_KEYS
_UNSEEN: Any = object()


def _plain_postings(postings: Iterable[Posting]) -> list[dict[str, Any]] | None:
    """The leaf's list of ``postings``, or None unless each field has the exact type."""
    out = []
    for p in postings:
        account, commodity, amount = p.account, p.commodity, p.amount
        if type(account) is not str or type(commodity) is not str or type(amount) is not int:
            return None
        out.append({"account": account, "commodity": commodity, "amount": amount})
    return out


def seal_entries(
    first_seq: int, drafts: Sequence[EntryDraft], time: str, prev: bytes
) -> list[Entry]:
    """:func:`make_entry` for each of ``drafts`` at ``first_seq``, ``first_seq + 1``, ...,
    each chained to the one before (the first to ``prev``); same entries, same errors.

    For drafts that :func:`validate_drafts` accepted, which is what makes the shortcut exact:
    their bodies and postings were walked there, so each leaf is encoded here without a second
    walk. What validation did not see is checked first: ``time`` a ``str`` and ``seq`` a safe
    integer, and, per draft, exact ``dict``/``str``/``int`` types (orjson would also encode
    subclasses, dataclasses or dates that :func:`canonical_json` refuses). orjson itself refuses
    lone surrogates (in the actor or time) and non-string keys. Whenever one of these fails, or
    the leaf holds a character outside the Basic Multilingual Plane (whose keys RFC 8785 orders
    by UTF-16 unit), the draft goes through :func:`make_entry`, which encodes it or raises
    exactly as before.
    """
    entries = []
    leaf_state = LEAF_STATE.copy
    # What holds for the whole batch: a plain time string and safe positions.
    plain = (
        type(time) is str
        and type(first_seq) is int
        and first_seq >= 0
        and first_seq + len(drafts) - 1 <= MAX_SAFE_INTEGER
    )
    # The postings of each tuple of them in the batch, as the leaf writes them (or None when
    # a type is not plain): drafts of an import share their postings.
    legs_of: dict[int, list | None] = {}
    for offset, draft in enumerate(drafts):
        seq = first_seq + offset
        leaf = None
        body, actor = draft.body, draft.actor
        if plain and type(body) is dict and type(actor) is str:
            postings = legs_of.get(id(draft.postings), _UNSEEN)
            if postings is _UNSEEN:
                postings = legs_of[id(draft.postings)] = _plain_postings(draft.postings)
            if postings is not None:
                try:
                    leaf = orjson.dumps(
                        {
                            "v": LEAF_VERSION,
                            "seq": seq,
                            "kind": draft.kind,
                            "time": time,
                            "actor": actor,
                            "prev": prev.hex(),
                            "body": body,
                            "postings": postings,
                        },
                        option=_SORTED,
                    )
                except TypeError:  # orjson.JSONEncodeError: make_entry names the problem
                    leaf = None
                if leaf is not None and not (leaf.isascii() or astral_free(leaf)):
                    leaf = None
        if leaf is None:
            entry = make_entry(seq, draft, time, prev)
            prev = entry.leaf_hash
        else:
            state = leaf_state()  # leaf_hash(leaf), without the call
            state.update(leaf)
            digest = state.digest()
            entry = Entry(seq, draft.kind, body, actor, time, prev, draft.postings, leaf, digest)
            prev = digest
        entries.append(entry)
    return entries


def entry_from_leaf(leaf: bytes, obj: Any) -> Entry:
    """Rebuild an :class:`Entry` from its leaf bytes and their parsed JSON.

    ``obj`` must be exactly what :func:`leaf_object` makes: an object with the eight leaf keys
    and no others, ``v`` the integer 1, ``seq`` an integer, ``kind``, ``time`` and ``actor``
    strings, ``prev`` 64 lowercase hex digits, ``body`` an object and ``postings`` a list of
    objects with exactly ``account``, ``commodity`` and ``amount`` (whose values are
    :func:`check_postings`'s business). Raises ValueError naming the first thing that is not.
    """
    if type(obj) is not dict:
        raise ValueError(f"the leaf is a JSON {type(obj).__name__}, not an object")
    if obj.keys() != LEAF_KEYS:
        raise ValueError(f"the leaf has keys {sorted(obj)}, not {sorted(LEAF_KEYS)}")
    v, seq, prev, body = obj["v"], obj["seq"], obj["prev"], obj["body"]
    if type(v) is not int or v != LEAF_VERSION:
        raise ValueError(f"unknown leaf version {v!r}")
    if type(seq) is not int:
        raise ValueError(f"seq {seq!r} is not an integer")
    for name in ("kind", "time", "actor"):
        if type(obj[name]) is not str:
            raise ValueError(f"{name} {obj[name]!r} is not a string")
    if type(prev) is not str or not _HEX64.fullmatch(prev):
        raise ValueError(f"prev {prev!r} is not 64 lowercase hex digits")
    if type(body) is not dict:
        raise ValueError("body is not an object")
    if type(obj["postings"]) is not list:
        raise ValueError("postings is not a list")
    postings = []
    for i, p in enumerate(obj["postings"]):
        if type(p) is not dict or p.keys() != POSTING_KEYS:
            raise ValueError(f"posting {i} is not an object with keys {sorted(POSTING_KEYS)}")
        postings.append(Posting(p["account"], p["commodity"], p["amount"]))
    return Entry(
        seq=seq,
        kind=obj["kind"],
        body=body,
        actor=obj["actor"],
        time=obj["time"],
        prev=bytes.fromhex(prev),
        postings=tuple(postings),
        leaf=leaf,
        leaf_hash=leaf_hash(leaf),
    )
