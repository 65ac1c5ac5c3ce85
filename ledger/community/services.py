"""The community module's operations and queries.

Every operation writes through :func:`ledger.services.log.write`: it takes the log's head
lock, answers a retry of the same idempotency ``key``, checks against the projections and
appends, in one transaction. The actor is the clerk (``user:<id>``) or the command line.
Operations take the ``village`` they act for; a view has checked that the caller may write
for it. Each returns plain values built from the entries it appended, so a retry gets the
same answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import starmap
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, func, select

from ledger.community import model
from ledger.community.allocation import Allocation, HouseholdBasis, allocate, parse_rule
from ledger.community.tables import (
    CommunityAllocation,
    CommunityBatch,
    CommunityDistribution,
    CommunityMember,
    CommunityObjection,
    CommunityPayment,
    CommunityRoster,
    CommunityRule,
)
from ledger.core.entry import Entry, EntryDraft, Posting
from ledger.core.errors import ConflictError, LedgerError, NotFoundError, ValidationError
from ledger.core.records import stored_through_slots
from ledger.platform import N_
from ledger.platform.memory import without_gc
from ledger.services.anchors import anchor_draft
from ledger.services.clock import utc_now
from ledger.services.log import write
from ledger.storage.db import sqlite_cache_for_entries
from ledger.storage.tables import AccountBalance
from ledger.units.model import beijing_date
from ledger.vault import service as vault_service
from ledger.vault.crypto import Vault
from ledger.vault.model import HOUSEHOLD

ROSTER_T = CommunityRoster.__table__
MEMBER_T = CommunityMember.__table__
RULE_T = CommunityRule.__table__
DIST_T = CommunityDistribution.__table__
OBJ_T = CommunityObjection.__table__
ALLOC_T = CommunityAllocation.__table__
BATCH_T = CommunityBatch.__table__
PAY_T = CommunityPayment.__table__
BALANCE_T = AccountBalance.__table__


def today() -> str:
    """Today's date in Beijing."""
    return beijing_date(utc_now()[:19] + "Z")


class Throttled(LedgerError):
    """Too many look-ups from one address; try later."""

    status = 429


def _need(vault: Vault | None) -> Vault:
    """The vault, refusing (409) where this instance has no vault key."""
    if vault is None:
        raise ConflictError(
            "community.vault_missing", "this server has no vault key: personal data is unavailable"
        )
    return vault


def _refuse(code: str, message: str, **details: Any) -> ValidationError:
    return ValidationError(code, message, details)


def _conflict(code: str, message: str, **details: Any) -> ConflictError:
    return ConflictError(code, message, details)


def _drafts(kind: str, body: dict, actor: str) -> EntryDraft:
    return EntryDraft(
        kind, body, actor, tuple(starmap(Posting, model.expected_postings(kind, body)))
    )


def balance(conn: Connection, account: str) -> int:
    """The CNY balance of ``account`` in fen (debit-positive)."""
    value = conn.execute(
        select(BALANCE_T.c.balance).where(
            BALANCE_T.c.log == "main",
            BALANCE_T.c.account == account,
            BALANCE_T.c.commodity == "CNY",
        )
    ).scalar()
    return int(value or 0)


# --- rosters -----------------------------------------------------------------------------


class RosterLine(Protocol):
    """A line of a roster file as :mod:`ledger.community.rosterfile` reads it."""

    household_code: str
    head_name: str
    id_number: str
    members: int
    forest_area_mu: Decimal
    low_income: bool
    bank_account: str


@stored_through_slots
@dataclass(frozen=True, slots=True)
class Member:
    """A household of a roster version (no personal data)."""

    household: str
    vault: str
    position: int
    members: int
    area_mu: str
    low_income: bool

    def basis(self) -> HouseholdBasis:
        return HouseholdBasis(self.household, self.members, Decimal(self.area_mu), self.low_income)


@dataclass(frozen=True)
class RosterDiff:
    """What a new roster version changes against the latest one: households added, removed
    and changed (with the names of the fields that changed; personal fields by name only)."""

    version: int
    added: list[str]
    removed: list[str]
    changed: list[tuple[str, list[str]]]
    unchanged: int
    digest: str

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "added": self.added,
            "removed": self.removed,
            "changed": [{"household_code": c, "fields": f} for c, f in self.changed],
            "unchanged": self.unchanged,
            "digest": self.digest,
        }


@dataclass(frozen=True)
class RosterVersion:
    village: str
    version: int
    digest: str
    households: int
    time: str
    seq: int


def roster_versions(conn: Connection, village: str) -> list[RosterVersion]:
    rows = conn.execute(
        select(ROSTER_T).where(ROSTER_T.c.village == village).order_by(ROSTER_T.c.version.desc())
    )
    return [RosterVersion(**r._mapping) for r in rows]


def members_of(conn: Connection, village: str, version: int) -> list[Member]:
    """The households of a roster version, in roster order."""
    rows = conn.execute(
        select(
            MEMBER_T.c.household,
            MEMBER_T.c.vault,
            MEMBER_T.c.position,
            MEMBER_T.c.members,
            MEMBER_T.c.area_mu,
            MEMBER_T.c.low_income,
        )
        .where(MEMBER_T.c.village == village, MEMBER_T.c.version == version)
        .order_by(MEMBER_T.c.position)
    ).all()
    return [Member(h, v, p, m, a, bool(low)) for h, v, p, m, a, low in rows]


def _latest_version(conn: Connection, village: str) -> int:
    return int(
        conn.execute(
            select(func.max(ROSTER_T.c.version)).where(ROSTER_T.c.village == village)
        ).scalar()
        or 0
    )


def _area_text(area: Decimal) -> str:
    text = format(area.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _personal(line: RosterLine) -> dict[str, str]:
    return {"name": line.head_name, "id_number": line.id_number, "bank_account": line.bank_account}


def _vault_of_households(conn: Connection, village: str) -> dict[str, str]:
    """The vault code of every household the village's rosters ever named."""
    rows = conn.execute(
        select(MEMBER_T.c.household, MEMBER_T.c.vault)
        .where(MEMBER_T.c.village == village)
        .order_by(MEMBER_T.c.version)
    )
    return {h: v for h, v in rows}


def diff_roster(
    conn: Connection, vault: Vault, village: str, lines: Sequence[RosterLine], digest: str
) -> RosterDiff:
    """What saving ``lines`` as the village's next roster version would change."""
    vault = _need(vault)
    latest = _latest_version(conn, village)
    before = {m.household: m for m in members_of(conn, village, latest)} if latest else {}
    added, changed = [], []
    unchanged = 0
    for line in lines:
        old = before.get(line.household_code)
        if old is None:
            added.append(line.household_code)
            continue
        fields = []
        if old.members != line.members:
            fields.append("members")
        if Decimal(old.area_mu) != line.forest_area_mu:
            fields.append("forest_area_mu")
        if old.low_income != line.low_income:
            fields.append("low_income")
        record = vault_service.get(conn, vault, old.vault)
        for name, value in _personal(line).items():
            if record.fields.get(name) != _normalised(name, value):
                fields.append({"name": "head_name"}.get(name, name))
        if fields:
            changed.append((line.household_code, fields))
        else:
            unchanged += 1
    codes = {line.household_code for line in lines}
    removed = [code for code in before if code not in codes]
    return RosterDiff(latest + 1, added, removed, changed, unchanged, digest)


def _normalised(field_name: str, value: str) -> str:
    from ledger.vault.fields import normalise

    return normalise(field_name, value).display


@dataclass(frozen=True)
class RosterSaved:
    village: str
    version: int
    households: int
    digest: str
    seq: int
    diff: RosterDiff | None = None


def save_roster(
    engine: Engine,
    vault: Vault,
    village: str,
    lines: Sequence[RosterLine],
    digest: str,
    *,
    actor: str,
    key: str,
    expect_version: int | None = None,
) -> RosterSaved:
    """Save ``lines`` (a roster file already checked line by line) as the village's next
    roster version: personal data into the vault (new households get a new vault record,
    known ones keep theirs and get their changed fields), one ``community.roster`` entry with
    household codes, bases and the file's ``digest``. With ``expect_version``, refuse if
    another version was saved since the diff was shown."""
    if not lines:
        raise _refuse("community.roster_empty", "the roster has no households")
    vault = _need(vault)
    found: dict[str, Any] = {}

    def decide(tx) -> None:
        conn = tx.conn
        latest = _latest_version(conn, village)
        if expect_version is not None and latest + 1 != expect_version:
            raise _conflict(
                "community.roster_moved",
                "another roster version was saved meanwhile; look at the changes again",
                version=latest,
            )
        known = _vault_of_households(conn, village)
        new = [line for line in lines if line.household_code not in known]
        codes = vault_service.put_many(
            conn, vault, HOUSEHOLD, village, [_personal(line) for line in new]
        )
        vaults = dict(known)
        vaults.update(zip((line.household_code for line in new), codes, strict=True))
        for line in lines:
            if line.household_code in known:
                code = known[line.household_code]
                record = vault_service.get(conn, vault, code)
                personal = _personal(line)
                if any(record.fields.get(k) != _normalised(k, v) for k, v in personal.items()):
                    vault_service.update(conn, vault, code, personal)
        households = [
            [
                line.household_code,
                vaults[line.household_code],
                line.members,
                _area_text(line.forest_area_mu),
                line.low_income,
            ]
            for line in lines
        ]
        body = {
            "village": village,
            "version": latest + 1,
            "digest": digest,
            "households": households,
        }
        (entry,) = tx.append([EntryDraft(model.ROSTER, body, actor)])
        found["entry"] = entry

    entries = write(
        engine,
        decide,
        idempotency_key=key,
        request={"op": "roster", "village": village, "digest": digest},
    )
    entry = found.get("entry") or entries[0]
    return RosterSaved(
        village, entry.body["version"], len(entry.body["households"]), digest, entry.seq
    )


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRecord:
    village: str
    rule: str
    name: str
    terms: dict
    seq: int


def add_rule(
    engine: Engine,
    village: str,
    rule: str,
    name: str,
    terms: Mapping[str, Any],
    *,
    actor: str,
    key: str,
) -> RuleRecord:
    """Record a sharing rule ``rule`` (an identifier of letters, digits, ``-`` and ``_``)
    for the village; refused if the identifier is taken."""
    canonical = parse_rule(terms).to_json()
    if not model.RULE_ID_RE.fullmatch(rule or ""):
        raise _refuse("community.rule_id", "a rule's identifier is 1 to 40 letters, digits, - or _")
    body = {"village": village, "rule": rule, "name": name, "terms": canonical}
    model_errors = model.VALIDATORS[model.RULE](body, "rule")
    if model_errors:
        raise _refuse("community.rule_name", "give the rule a name of at most 200 characters")

    def decide(tx) -> None:
        taken = tx.conn.execute(
            select(RULE_T.c.seq).where(RULE_T.c.village == village, RULE_T.c.rule == rule)
        ).first()
        if taken is not None:
            raise _conflict(
                "community.rule_exists", "a rule with this identifier exists", rule=rule
            )
        tx.append([EntryDraft(model.RULE, body, actor)])

    (entry,) = write(engine, decide, idempotency_key=key, request={"op": "rule", **body})
    return RuleRecord(village, rule, name, canonical, entry.seq)


def rules_of(conn: Connection, village: str) -> list[RuleRecord]:
    rows = conn.execute(select(RULE_T).where(RULE_T.c.village == village).order_by(RULE_T.c.seq))
    return [RuleRecord(village, r.rule, r.name, json.loads(r.terms), r.seq) for r in rows]


def get_rule(conn: Connection, village: str, rule: str) -> RuleRecord:
    row = conn.execute(
        select(RULE_T).where(RULE_T.c.village == village, RULE_T.c.rule == rule)
    ).one_or_none()
    if row is None:
        raise NotFoundError("community.rule_unknown", "there is no such rule", {"rule": rule})
    return RuleRecord(village, row.rule, row.name, json.loads(row.terms), row.seq)


# --- distributions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """A distribution as the projection holds it (see ``community_distribution``)."""

    distribution: str
    village: str
    title: str
    state: str
    amount_fen: int
    rule: str
    terms: dict
    roster_version: int
    notice_days: int
    resolution: dict | None
    notice_from: str | None
    notice_until: str | None
    notice_place: str | None
    retained_fen: int | None
    low_income_fen: int | None
    households: int | None
    reverses: str | None
    reversed_by: str | None
    drafted_at: str
    draft_seq: int
    approve_seq: int | None
    publish_seq: int | None
    final_seq: int | None

    @property
    def shared_fen(self) -> int:
        return self.amount_fen - (self.retained_fen or 0)

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items()}


def _distribution(row) -> Distribution:
    data = dict(row._mapping)
    data["terms"] = json.loads(data["terms"])
    data["resolution"] = json.loads(data["resolution"]) if data["resolution"] else None
    return Distribution(**data)


def get_distribution(
    conn: Connection, distribution: str, village: str | None = None
) -> Distribution:
    row = conn.execute(select(DIST_T).where(DIST_T.c.distribution == distribution)).one_or_none()
    if row is None or (village is not None and row.village != village):
        raise NotFoundError(
            "community.distribution_unknown",
            "there is no such distribution",
            {"distribution": distribution},
        )
    return _distribution(row)


def distributions_of(
    conn: Connection, *, village: str | None = None, within: str | None = None
) -> list[Distribution]:
    stmt = select(DIST_T).order_by(DIST_T.c.draft_seq.desc())
    if village is not None:
        stmt = stmt.where(DIST_T.c.village == village)
    if within:
        stmt = stmt.where(DIST_T.c.village.startswith(within))
    return [_distribution(r) for r in conn.execute(stmt)]


def available_fen(conn: Connection, village: str) -> int:
    """What the collective holds that no distribution has set aside (fen)."""
    return balance(conn, model.collective(village))


def _next_distribution(conn: Connection, village: str) -> str:
    count = conn.execute(
        select(func.count()).select_from(DIST_T).where(DIST_T.c.village == village)
    ).scalar()
    return f"{village}-{int(count or 0) + 1:03d}"


def draft(
    engine: Engine,
    village: str,
    *,
    title: str,
    amount_fen: int,
    rule: str,
    roster_version: int | None = None,
    notice_days: int | None = None,
    actor: str,
    key: str,
) -> Distribution:
    """Draft a distribution of ``amount_fen`` of the collective's money by ``rule`` over a
    roster version (the latest by default). The amount is set aside from the collective's
    account at once (``…:Collective:Sharing``); inside the lock it is refused when the
    account holds less than that (``community.insufficient``, 409). The notice period is
    ``notice_days``, by default the longer of 7 days and what the rule asks; shorter than
    the rule asks is refused."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise _refuse("community.amount", "the amount to share must be above zero")
    request = {
        "op": "draft",
        "village": village,
        "title": title,
        "amount_fen": amount_fen,
        "rule": rule,
        "roster_version": roster_version,
        "notice_days": notice_days,
    }

    def decide(tx) -> None:
        conn = tx.conn
        found = get_rule(conn, village, rule)
        minimum = found.terms.get("notice_days") or 1
        days = notice_days if notice_days is not None else max(model.DEFAULT_NOTICE_DAYS, minimum)
        if not minimum <= days <= model.MAX_NOTICE_DAYS:
            raise _refuse(
                "community.notice_days",
                f"the public notice lasts {minimum} to {model.MAX_NOTICE_DAYS} days by this rule",
                minimum=minimum,
                maximum=model.MAX_NOTICE_DAYS,
            )
        version = roster_version or _latest_version(conn, village)
        rosters = {r.version: r for r in roster_versions(conn, village)}
        if version not in rosters:
            raise _refuse(
                "community.roster_unknown", "import the village's roster first", version=version
            )
        held = available_fen(conn, village)
        if held < amount_fen:
            raise _conflict(
                "community.insufficient",
                f"the collective's account holds {held} fen, less than {amount_fen} fen",
                available_fen=held,
                amount_fen=amount_fen,
                available=_yuan(held),
                amount=_yuan(amount_fen),
            )
        # The allocation must be computable now (a zero basis is refused at the draft).
        allocate(
            amount_fen,
            parse_rule(found.terms),
            [m.basis() for m in members_of(conn, village, version)],
        )
        body = {
            "village": village,
            "distribution": _next_distribution(conn, village),
            "title": title,
            "amount_fen": amount_fen,
            "rule": rule,
            "terms": found.terms,
            "roster_version": version,
            "roster_digest": rosters[version].digest,
            "notice_days": days,
        }
        if model.VALIDATORS[model.DRAFT](body, "draft"):
            raise _refuse(
                "community.title", "give the distribution a title of at most 200 characters"
            )
        tx.append([_drafts(model.DRAFT, body, actor)])

    (entry,) = write(engine, decide, idempotency_key=key, request=request)
    with engine.connect() as conn:
        return get_distribution(conn, entry.body["distribution"])


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _step(
    engine: Engine,
    village: str,
    distribution: str,
    states: Sequence[str],
    build,
    *,
    key: str,
    request: Mapping[str, Any],
) -> list[Entry]:
    def decide(tx) -> None:
        d = get_distribution(tx.conn, distribution, village)
        if d.state not in states:
            raise _conflict(
                "community.state",
                f"distribution {distribution} is {d.state}; this step needs {'/'.join(states)}",
                state=d.state,
                needs=list(states),
            )
        drafts = build(tx.conn, d)
        with sqlite_cache_for_entries(tx.conn, len(drafts)):
            tx.append(drafts)

    return write(
        engine, decide, idempotency_key=key, request={"distribution": distribution, **request}
    )


@dataclass(frozen=True)
class Resolution:
    """The villagers' assembly resolution: its date, number, how many were present and how
    many voted for; the scan as bytes (anchored by digest, not kept)."""

    date: str
    number: str
    present: int
    voting_for: int
    scan: bytes
    scan_title: str = ""


def approve(
    engine: Engine, village: str, distribution: str, resolution: Resolution, *, actor: str, key: str
) -> Distribution:
    """Record the villagers' assembly resolution approving a drafted distribution (a
    majority of those present voting for, 《村民委员会组织法》), anchoring the scan by its
    SHA-256 in the same transaction."""
    r = resolution
    if not model.valid_date(r.date) or r.date > today():
        raise _refuse("community.resolution_date", "enter the assembly's date (not in the future)")
    if type(r.present) is not int or type(r.voting_for) is not int or not 0 < r.present <= 100000:
        raise _refuse(
            "community.resolution_votes", "enter how many were present and how many voted for"
        )
    if not 0 <= r.voting_for <= r.present:
        raise _refuse("community.resolution_votes", "more voted for than were present")
    if r.voting_for * 2 <= r.present:
        raise _refuse(
            "community.resolution_majority",
            "a resolution needs more than half of those present voting for it",
            present=r.present,
            voting_for=r.voting_for,
        )
    if not r.scan:
        raise _refuse("community.resolution_scan", "attach the scanned resolution")
    scan = {
        "sha256": hashlib.sha256(r.scan).hexdigest(),
        "size": len(r.scan),
        "title": r.scan_title,
    }
    res = {
        "date": r.date,
        "number": r.number,
        "present": r.present,
        "voting_for": r.voting_for,
        "scan": scan,
    }
    body = {"village": village, "distribution": distribution, "resolution": res}
    if model.VALIDATORS[model.APPROVE](body, "approve"):
        raise _refuse(
            "community.resolution_number",
            "enter the resolution's number (at most 100 characters, no personal data)",
        )

    def build(conn, d):
        return [
            anchor_draft(
                scan["sha256"], scan["size"], r.scan_title or f"{d.title} 村民会议决议", actor
            ),
            EntryDraft(model.APPROVE, body, actor),
        ]

    _step(engine, village, distribution, (model.DRAFTED,), build, key=key, request=res)
    with engine.connect() as conn:
        return get_distribution(conn, distribution)


def publish(
    engine: Engine,
    village: str,
    distribution: str,
    *,
    place: str,
    notice_from: str | None = None,
    days: int | None = None,
    actor: str,
    key: str,
) -> Distribution:
    """Put an approved distribution on public notice from ``notice_from`` (today by default)
    for ``days`` (the distribution's notice period by default; never fewer)."""
    start = notice_from or today()
    if not model.valid_date(start):
        raise _refuse("community.notice_from", "enter the first day of the notice as YYYY-MM-DD")

    def build(conn, d):
        length = days if days is not None else d.notice_days
        if type(length) is not int or not d.notice_days <= length <= model.MAX_NOTICE_DAYS:
            raise _refuse(
                "community.notice_days",
                f"the public notice lasts {d.notice_days} to {model.MAX_NOTICE_DAYS} days",
                minimum=d.notice_days,
                maximum=model.MAX_NOTICE_DAYS,
            )
        until = (date.fromisoformat(start) + timedelta(days=length)).isoformat()
        body = {
            "village": village,
            "distribution": distribution,
            "notice_from": start,
            "notice_until": until,
            "place": place,
        }
        if model.VALIDATORS[model.PUBLISH](body, "publish"):
            raise _refuse(
                "community.notice_place", "say where villagers may object (at most 200 characters)"
            )
        return [EntryDraft(model.PUBLISH, body, actor)]

    _step(
        engine,
        village,
        distribution,
        (model.APPROVED,),
        build,
        key=key,
        request={"place": place, "from": start, "days": days},
    )
    with engine.connect() as conn:
        return get_distribution(conn, distribution)


@dataclass(frozen=True)
class Objection:
    distribution: str
    number: int
    household: str | None
    summary: str
    raised_on: str
    seq: int
    answer: str | None
    answer_seq: int | None


def objections_of(conn: Connection, distribution: str) -> list[Objection]:
    rows = conn.execute(
        select(OBJ_T).where(OBJ_T.c.distribution == distribution).order_by(OBJ_T.c.number)
    )
    return [Objection(**r._mapping) for r in rows]


def record_objection(
    engine: Engine,
    village: str,
    distribution: str,
    *,
    summary: str,
    household: str | None = None,
    raised_on: str | None = None,
    actor: str,
    key: str,
) -> Objection:
    """Record an objection raised during the public notice (by a household, or anonymous)."""
    raised = raised_on or today()

    def build(conn, d):
        if not model.valid_date(raised) or not d.notice_from <= raised <= d.notice_until:
            raise _refuse(
                "community.objection_date",
                "an objection is recorded for a day of the public notice",
                notice_from=d.notice_from,
                notice_until=d.notice_until,
            )
        if household is not None:
            codes = {m.household for m in members_of(conn, village, d.roster_version)}
            if household not in codes:
                raise _refuse(
                    "community.household_unknown",
                    "this household is not on the roster",
                    household=household,
                )
        number = len(objections_of(conn, distribution)) + 1
        body = {
            "village": village,
            "distribution": distribution,
            "number": number,
            "household": household,
            "summary": summary,
            "raised_on": raised,
        }
        if model.VALIDATORS[model.OBJECTION](body, "objection"):
            raise _refuse(
                "community.objection_text",
                "write the objection in at most 500 characters, without ID or phone numbers",
            )
        return [EntryDraft(model.OBJECTION, body, actor)]

    (entry,) = _step(
        engine,
        village,
        distribution,
        (model.PUBLISHED,),
        build,
        key=key,
        request={"summary": summary, "household": household, "raised_on": raised},
    )
    return Objection(
        distribution, entry.body["number"], household, summary, raised, entry.seq, None, None
    )


def answer_objection(
    engine: Engine,
    village: str,
    distribution: str,
    number: int,
    answer: str,
    *,
    actor: str,
    key: str,
) -> Objection:
    """Record the village committee's answer to objection ``number``."""

    def build(conn, d):
        found = {o.number: o for o in objections_of(conn, distribution)}
        if number not in found:
            raise NotFoundError(
                "community.objection_unknown", "there is no such objection", {"number": number}
            )
        if found[number].answer is not None:
            raise _conflict(
                "community.objection_answered", "this objection was answered already", number=number
            )
        body = {
            "village": village,
            "distribution": distribution,
            "number": number,
            "answer": answer,
        }
        if model.VALIDATORS[model.ANSWER](body, "answer"):
            raise _refuse(
                "community.answer_text",
                "write the answer in at most 500 characters, without ID or phone numbers",
            )
        return [EntryDraft(model.ANSWER, body, actor)]

    _step(
        engine,
        village,
        distribution,
        (model.PUBLISHED,),
        build,
        key=key,
        request={"number": number, "answer": answer},
    )
    with engine.connect() as conn:
        return next(o for o in objections_of(conn, distribution) if o.number == number)


def allocation_of(
    conn: Connection, d: Distribution, members: Sequence[Member] | None = None
) -> Allocation:
    """The allocation the distribution's rule gives over its roster version (pure
    arithmetic; what finalising posts)."""
    if members is None:
        members = members_of(conn, d.village, d.roster_version)
    return allocate(d.amount_fen, parse_rule(d.terms), [m.basis() for m in members])


def finalise(
    engine: Engine, village: str, distribution: str, *, on: str | None = None, actor: str, key: str
) -> Distribution:
    """Finalise a distribution whose public notice is over (``on`` is after its last day)
    and whose objections are all answered: one ``community.allocation`` entry per household
    and the ``community.finalise`` entry (the retained share), in one transaction."""
    day = on or today()

    def build(conn, d):
        if day <= d.notice_until:
            raise _conflict(
                "community.notice_running",
                f"the public notice runs until {d.notice_until}",
                notice_until=d.notice_until,
            )
        open_objections = [o.number for o in objections_of(conn, distribution) if o.answer is None]
        if open_objections:
            raise _conflict(
                "community.objections_open",
                "answer every objection before finalising",
                numbers=open_objections,
            )
        roster = members_of(conn, village, d.roster_version)
        result = allocation_of(conn, d, roster)
        # The shares follow the roster's order (allocate keeps it), so each share's household
        # is the member beside it; looked up by its code should one not be.
        members: dict[str, Member] | None = None
        drafts = []
        for position, (share, member) in enumerate(zip(result.allocations, roster, strict=True)):
            if member.household != share.household_code:
                members = members or {m.household: m for m in roster}
                member = members[share.household_code]
            body = {
                "village": village,
                "distribution": distribution,
                "household": share.household_code,
                "vault": member.vault,
                "position": position,
                "amount_fen": share.amount_fen,
            }
            drafts.append(_drafts(model.ALLOCATION, body, actor))
        body = {
            "village": village,
            "distribution": distribution,
            "amount_fen": d.amount_fen,
            "retained_fen": result.retained_fen,
            "low_income_fen": result.low_income_fen,
            "households": result.households,
        }
        drafts.append(_drafts(model.FINALISE, body, actor))
        return drafts

    # The collector stays paused until the entries are dropped: resumed while they are held,
    # its first young collection would walk every one of them (0.4-0.7 ms per thousand
    # households) and free nothing.
    with without_gc():
        _step(
            engine, village, distribution, (model.PUBLISHED,), build, key=key, request={"on": day}
        )
    with engine.connect() as conn:
        return get_distribution(conn, distribution)


def reverse(
    engine: Engine, village: str, distribution: str, *, reason: str, actor: str, key: str
) -> Distribution:
    """Correct a finalised distribution by a linked reversing distribution: every unpaid
    allocation and the retained share go back to the collective's account. Refused once any
    household was paid or a batch is at the bank."""

    def build(conn, d):
        allocs = allocations_of(conn, distribution)
        if any(a.paid_fen or a.status == model.IN_BATCH for a in allocs):
            raise _conflict(
                "community.reverse_paid",
                "households were paid or a batch is at the bank: it cannot be reversed",
            )
        body = {
            "village": village,
            "distribution": _next_distribution(conn, village),
            "reverses": distribution,
            "reason": reason,
            "retained_fen": d.retained_fen or 0,
            "lines": [[a.household, a.vault, a.amount_fen] for a in allocs],
        }
        if model.VALIDATORS[model.REVERSE](body, "reverse"):
            raise _refuse("community.reverse_reason", "give the reason in at most 500 characters")
        return [_drafts(model.REVERSE, body, actor)]

    entries = _step(
        engine,
        village,
        distribution,
        (model.FINALISED,),
        build,
        key=key,
        request={"reason": reason},
    )
    with engine.connect() as conn:
        return get_distribution(conn, entries[0].body["distribution"])


# --- allocations and payouts -------------------------------------------------------------


@dataclass(frozen=True)
class AllocationRow:
    distribution: str
    household: str
    village: str
    vault: str
    position: int
    amount_fen: int
    paid_fen: int
    status: str
    reason: str | None
    batch: str | None
    seq: int

    @property
    def unpaid_fen(self) -> int:
        return 0 if self.status == "reversed" else self.amount_fen - self.paid_fen


def allocations_of(conn: Connection, distribution: str) -> list[AllocationRow]:
    rows = conn.execute(
        select(ALLOC_T).where(ALLOC_T.c.distribution == distribution).order_by(ALLOC_T.c.position)
    )
    return [AllocationRow(**r._mapping) for r in rows]


@dataclass(frozen=True)
class BankLine:
    """A line of a payment batch as the bank takes it (personal data: only for the owning
    village's download)."""

    seq: int
    name: str
    account: str
    amount_fen: int
    purpose: str
    household: str


@dataclass(frozen=True)
class Batch:
    batch: str
    distribution: str
    village: str
    lines: int
    amount_fen: int
    state: str
    created_at: str
    seq: int
    results_seq: int | None


def batches_of(conn: Connection, distribution: str) -> list[Batch]:
    rows = conn.execute(
        select(BATCH_T).where(BATCH_T.c.distribution == distribution).order_by(BATCH_T.c.seq)
    )
    return [Batch(**r._mapping) for r in rows]


def get_batch(conn: Connection, village: str, batch: str) -> Batch:
    row = conn.execute(select(BATCH_T).where(BATCH_T.c.batch == batch)).one_or_none()
    if row is None or row.village != village:
        raise NotFoundError(
            "community.batch_unknown", "there is no such payment batch", {"batch": batch}
        )
    return Batch(**row._mapping)


def create_batch(engine: Engine, village: str, distribution: str, *, actor: str, key: str) -> Batch:
    """A payment batch of every allocation of the finalised distribution not yet paid (and
    not at the bank): unpaid ones, and failed ones (after their bank details were
    corrected). Refused while another batch of it awaits the bank's results."""

    def build(conn, d):
        if any(b.state == "open" for b in batches_of(conn, distribution)):
            raise _conflict(
                "community.batch_open",
                "a payment batch of this distribution awaits the bank's results",
            )
        due = [
            a
            for a in allocations_of(conn, distribution)
            if a.status in (model.UNPAID, model.FAILED) and a.unpaid_fen > 0
        ]
        if not due:
            raise _conflict(
                "community.nothing_due", "every household of this distribution was paid"
            )
        number = len(batches_of(conn, distribution)) + 1
        body = {
            "village": village,
            "distribution": distribution,
            "batch": f"{distribution}-B{number}",
            "lines": [[i, a.household, a.unpaid_fen] for i, a in enumerate(due, 1)],
        }
        return [EntryDraft(model.BATCH, body, actor)]

    (entry,) = _step(
        engine, village, distribution, (model.FINALISED,), build, key=key, request={"op": "batch"}
    )
    with engine.connect() as conn:
        return get_batch(conn, village, entry.body["batch"])


@dataclass(frozen=True)
class Payment:
    batch: str
    line: int
    household: str
    amount_fen: int
    status: str
    reason: str | None
    result_seq: int | None


def payments_of(conn: Connection, batch: str) -> list[Payment]:
    rows = conn.execute(select(PAY_T).where(PAY_T.c.batch == batch).order_by(PAY_T.c.line))
    return [Payment(**r._mapping) for r in rows]


def bank_lines(
    conn: Connection, vault: Vault, village: str, batch: str, purpose: str
) -> list[BankLine]:
    """The batch's lines with the households' names and bank accounts from the vault (for the
    owning village's download only; the caller audits it)."""
    b = get_batch(conn, village, batch)
    vault = _need(vault)
    vaults = {a.household: a.vault for a in allocations_of(conn, b.distribution)}
    out = []
    for p in payments_of(conn, batch):
        record = vault_service.get(conn, vault, vaults[p.household])
        out.append(
            BankLine(
                p.line,
                record.fields.get("name", ""),
                record.fields.get("bank_account", ""),
                p.amount_fen,
                purpose,
                p.household,
            )
        )
    return out


@dataclass(frozen=True)
class BankResult:
    """One line of the bank's result file: 序号, the amount, paid or not and why."""

    line: int
    seq: int
    account: str
    amount_fen: int
    paid: bool
    reason: str | None


#: Why a line of the bank's result file does not match its batch (``%(…)s`` from ``params``).
MATCH_REASONS = {
    "seq": N_("序号 %(seq)s is not in this batch"),
    "repeated": N_("序号 %(seq)s is given twice"),
    "amount": N_("金额 is not the amount of 序号 %(seq)s in the batch"),
    "account": N_("账号 is not the account of 序号 %(seq)s in the batch"),
    "missing": N_("the results of 序号 %(seqs)s are missing"),
}


@dataclass
class ResultsOutcome:
    batch: str
    paid: int
    failed: int
    paid_fen: int
    failed_fen: int
    errors: list[dict] = field(default_factory=list)


def import_results(
    engine: Engine,
    vault_: Vault | None,
    village: str,
    batch: str,
    results: Sequence[BankResult],
    file_sha256: str,
    *,
    actor: str,
    key: str,
) -> ResultsOutcome:
    """Post the bank's results of an open batch: one ``community.payment`` entry per line
    (paid: the household's pending amount moves to the household; failed: it stays pending,
    with the bank's reason), then ``community.results``. All or nothing: a result naming a
    line not in the batch, another amount or another account, a line given twice or missing,
    refuses the file (``community.bank_bad_lines``, every bad line named)."""
    outcome: dict[str, ResultsOutcome] = {}

    def decide(tx) -> None:
        conn = tx.conn
        b = get_batch(conn, village, batch)
        vault = _need(vault_)
        if b.state != "open":
            raise _conflict(
                "community.batch_done", "the results of this batch were imported already"
            )
        payments = {p.line: p for p in payments_of(conn, batch)}
        vaults = {a.household: a.vault for a in allocations_of(conn, b.distribution)}
        bad: list[tuple[int, str, dict]] = []
        seen: set[int] = set()
        for r in results:
            p = payments.get(r.seq)
            if p is None:
                bad.append((r.line, "seq", {"seq": r.seq}))
                continue
            if r.seq in seen:
                bad.append((r.line, "repeated", {"seq": r.seq}))
                continue
            seen.add(r.seq)
            if r.amount_fen != p.amount_fen:
                bad.append((r.line, "amount", {"seq": r.seq}))
                continue
            record = vault_service.get(conn, vault, vaults[p.household])
            if r.account.replace(" ", "").replace("-", "") != record.fields.get("bank_account"):
                bad.append((r.line, "account", {"seq": r.seq}))
        missing = sorted(set(payments) - seen)
        if missing:
            bad.append((0, "missing", {"seqs": ", ".join(map(str, missing[:20]))}))
        if bad:
            errors = [
                {"line": line, "code": code, "params": params,
                 "reason": MATCH_REASONS[code] % params}
                for line, code, params in bad
            ]  # fmt: skip
            raise ValidationError(
                "community.bank_mismatch",
                f"the bank's file does not match the batch on {len(errors)} lines; "
                "nothing was posted",
                {"count": len(errors), "line": errors[0]["line"], "reason": errors[0]["reason"],
                 "errors": errors},
            )  # fmt: skip
        drafts = []
        paid = failed = paid_fen = failed_fen = 0
        for r in sorted(results, key=lambda r: r.seq):
            p = payments[r.seq]
            body = {
                "village": village,
                "distribution": b.distribution,
                "batch": batch,
                "line": p.line,
                "household": p.household,
                "vault": vaults[p.household],
                "amount_fen": p.amount_fen,
                "paid": r.paid,
                "reason": None if r.paid else (r.reason or "未说明原因")[: model.MAX_REASON],
            }
            drafts.append(_drafts(model.PAYMENT, body, actor))
            if r.paid:
                paid, paid_fen = paid + 1, paid_fen + p.amount_fen
            else:
                failed, failed_fen = failed + 1, failed_fen + p.amount_fen
        drafts.append(
            EntryDraft(
                model.RESULTS,
                {
                    "village": village,
                    "distribution": b.distribution,
                    "batch": batch,
                    "paid": paid,
                    "failed": failed,
                    "file_sha256": file_sha256,
                },
                actor,
            )
        )
        tx.append(drafts)
        outcome["r"] = ResultsOutcome(batch, paid, failed, paid_fen, failed_fen)

    entries = write(
        engine, decide, idempotency_key=key, request={"batch": batch, "file": file_sha256}
    )
    if "r" in outcome:
        return outcome["r"]
    last = entries[-1].body
    return ResultsOutcome(batch, last["paid"], last["failed"], 0, 0)


def correct_bank_account(
    engine: Engine,
    vault: Vault,
    village: str,
    household: str,
    bank_account: str,
    *,
    actor: str,
    key: str,
) -> None:
    """Correct a household's bank account in the vault (after a failed payment) and record
    that it changed (``community.bank_update``; the account itself stays in the vault)."""
    from ledger.vault.fields import normalise

    normalise("bank_account", bank_account)  # refuses a malformed account

    def decide(tx) -> None:
        code = _vault_of_households(tx.conn, village).get(household)
        if code is not None and vault is None:
            _need(vault)
        if code is None:
            raise NotFoundError(
                "community.household_unknown",
                "this household is not on the village's rosters",
                {"household": household},
            )
        vault_service.update(tx.conn, vault, code, {"bank_account": bank_account})
        tx.append(
            [
                EntryDraft(
                    model.BANK_UPDATE,
                    {"village": village, "household": household, "vault": code},
                    actor,
                )
            ]
        )

    write(
        engine,
        decide,
        idempotency_key=key,
        request={
            "household": household,
            "bank_account": hashlib.sha256(bank_account.encode()).hexdigest(),
        },
    )


# --- the money picture ---------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyPicture:
    """A village's money in fen: ``received`` from carbon sales, ``held`` in the collective's
    account and not set aside, ``sharing`` set aside for distributions not yet finalised,
    ``shared`` to households by finalised distributions, ``retained`` by them, ``paid`` to
    households, ``pending`` not yet paid (sent to the bank, failed or unclaimed)."""

    village: str
    received: int
    held: int
    sharing: int
    shared: int
    retained: int
    paid: int
    pending: int

    def as_json(self) -> dict[str, Any]:
        return dict(vars(self))


def money(conn: Connection, village: str) -> MoneyPicture:
    received = -balance(conn, model.income(village))
    held = balance(conn, model.collective(village))
    sharing_ = balance(conn, model.sharing(village))
    retained_ = balance(conn, model.retained(village))
    paid, pending_ = _household_totals(conn, village)
    return MoneyPicture(
        village, received, held, sharing_, paid + pending_, retained_, paid, pending_
    )


def _household_totals(conn: Connection, village: str) -> tuple[int, int]:
    """What the village's finalised allocations paid, and what they still owe."""
    live = ALLOC_T.c.status != "reversed"
    row = conn.execute(
        select(
            func.sum(ALLOC_T.c.paid_fen), func.sum(ALLOC_T.c.amount_fen - ALLOC_T.c.paid_fen)
        ).where(ALLOC_T.c.village == village, live)
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def days_between(first: str, last: str) -> int:
    return (date.fromisoformat(last) - date.fromisoformat(first)).days


def oldest_unshared_sale(conn: Connection, village: str) -> str | None:
    """Since when the village's collective has held money not set aside for sharing: the
    day of its latest draft, or of its first carbon sale if it never drafted one."""
    from ledger.units.tables import UnitsSale

    last = conn.execute(
        select(func.max(DIST_T.c.drafted_at)).where(DIST_T.c.village == village)
    ).scalar()
    if last:
        return str(last)[:10]
    sale = UnitsSale.__table__
    first = conn.execute(
        select(func.min(sale.c.date)).where(
            sale.c.seller_village == village, sale.c.total_fen.is_not(None)
        )
    ).scalar()
    return str(first) if first else None


@dataclass(frozen=True)
class VillageRef:
    code: str
    name: str


def villages_with_distributions(conn: Connection) -> list[VillageRef]:
    """The villages that have a roster (the villager's look-up offers them)."""
    from ledger.accounts import services as accounts

    codes = set(conn.execute(select(ROSTER_T.c.village).distinct()).scalars())
    return [
        VillageRef(o.code, o.name)
        for o in accounts.list_orgs(conn, kind="village")
        if o.code in codes
    ]


@dataclass(frozen=True)
class Payout:
    """One of a household's allocations as the household sees it."""

    distribution: str
    title: str
    finalised_seq: int | None
    amount_fen: int
    paid_fen: int
    status: str
    seq: int


@dataclass(frozen=True)
class HouseholdView:
    village: str
    household: str
    masked_name: str
    payouts: list[Payout]


def lookup_household(
    conn: Connection, vault: Vault | None, village: str, household: str, id_last4: str
) -> HouseholdView | None:
    """A household's payouts, if ``id_last4`` are the last four characters of its head's
    ID number (None otherwise, and for an unknown village or household: a caller cannot tell
    which was wrong)."""
    from ledger.vault.masking import mask

    code = _vault_of_households(conn, village).get(household)
    if code is None or len(id_last4) != 4 or vault is None:
        return None
    try:
        record = vault_service.get(conn, vault, code)
    except (NotFoundError, ValidationError):
        return None
    number = record.fields.get("id_number", "")
    if not number or not hmac_equal(number[-4:].upper(), id_last4.upper()):
        return None
    rows = conn.execute(
        select(ALLOC_T, DIST_T.c.title, DIST_T.c.final_seq)
        .join(DIST_T, DIST_T.c.distribution == ALLOC_T.c.distribution)
        .where(ALLOC_T.c.village == village, ALLOC_T.c.household == household)
        .order_by(ALLOC_T.c.seq.desc())
    )
    payouts = [
        Payout(r.distribution, r.title, r.final_seq, r.amount_fen, r.paid_fen, r.status, r.seq)
        for r in rows
    ]
    name = record.fields.get("name")
    return HouseholdView(village, household, mask("name", name) if name else "", payouts)


def hmac_equal(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class VillageRow:
    """A village of a bureau's division, as the bureau's page shows it."""

    code: str
    name: str
    picture: MoneyPicture
    distributions: int
    last_shared: str | None
    stale: bool

    @property
    def reconciles(self) -> bool:
        p = self.picture
        return p.received == p.held + p.sharing + p.shared + p.retained


def bureau_rows(conn: Connection, division: str, stale_days: int = 180) -> list[VillageRow]:
    """Every village of ``division``: its money picture, how many distributions it drafted,
    the day of its last, and whether it has held unshared money for over ``stale_days``."""
    from ledger.accounts import services as accounts

    rows = []
    now = today()
    for village in accounts.list_orgs(conn, within=division, kind="village"):
        picture = money(conn, village.code)
        mine = distributions_of(conn, village=village.code)
        last = max((d.drafted_at[:10] for d in mine), default=None)
        since = oldest_unshared_sale(conn, village.code)
        stale = picture.held > 0 and since is not None and days_between(since, now) > stale_days
        rows.append(VillageRow(village.code, village.name, picture, len(mine), last, stale))
    return rows


def import_roster(
    engine: Engine,
    vault: Vault,
    village: str,
    data: bytes,
    *,
    actor: str,
    key: str,
    expect_version: int | None = None,
) -> RosterSaved:
    """Read a roster file (:func:`ledger.community.rosterfile.parse_roster`: all or nothing,
    every bad line named) and save it as the village's next version (:func:`save_roster`)."""
    from ledger.community.rosterfile import parse_roster

    lines = parse_roster(data)
    digest = hashlib.sha256(data).hexdigest()
    return save_roster(
        engine, vault, village, lines, digest, actor=actor, key=key, expect_version=expect_version
    )
