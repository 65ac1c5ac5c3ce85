"""The community module's entries: their kinds, bodies, accounts, and what each does to the
projections. Pure: no I/O.

Money of a village's collective moves through these accounts (CNY, in fen):

- ``Assets:Village:<v>:Collective``: the collective's money (what its carbon sales brought in);
- ``Assets:Village:<v>:Collective:Sharing``: set aside for a drafted distribution, from the
  draft to the finalisation (so it can never be shared twice);
- ``Assets:Village:<v>:Collective:Retained``: the retained shares of finalised distributions;
- ``Assets:Village:<v>:Household:<H>:Pending``: a household's allocation not yet paid
  (unclaimed, or its payment failed);
- ``Assets:Village:<v>:Household:<H>``: what the household was paid.

``<H>`` is the vault's pseudonymous code of the household (``H-`` and 12 characters); bodies
also name the household by the village's own household code (the roster's ``household_code``).
No body holds a name, an ID number or a bank account.

Each kind's effect on the projection tables is a list of *operations*
(:func:`operations`): ``("put", table, key, row)`` stores a row, ``("set", table, key,
values)`` changes columns of a stored row, ``("add", table, key, values)`` adds to integer
columns. They depend on the entry alone, so the projector applies them to the database and
``log verify`` folds them over the log into the rows it expects.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from ledger.core.canonical import MAX_SAFE_INTEGER
from ledger.core.errors import ValidationError
from ledger.core.personal import check_free_text
from ledger.platform import N_
from ledger.platform.facts import Amount, Term

ROSTER = "community.roster"
RULE = "community.rule"
DRAFT = "community.draft"
APPROVE = "community.approve"
PUBLISH = "community.publish"
OBJECTION = "community.objection"
ANSWER = "community.answer"
ALLOCATION = "community.allocation"
FINALISE = "community.finalise"
REVERSE = "community.reverse"
BATCH = "community.batch"
PAYMENT = "community.payment"
RESULTS = "community.results"
BANK_UPDATE = "community.bank_update"

KINDS = (
    ROSTER,
    RULE,
    DRAFT,
    APPROVE,
    PUBLISH,
    OBJECTION,
    ANSWER,
    ALLOCATION,
    FINALISE,
    REVERSE,
    BATCH,
    PAYMENT,
    RESULTS,
    BANK_UPDATE,
)

#: The states of a distribution, in order; ``reversed`` when a reversing distribution undid
#: it; a reversing distribution itself is ``reversal``.
DRAFTED, APPROVED, PUBLISHED, FINALISED, REVERSED, REVERSAL = (
    "drafted",
    "approved",
    "published",
    "finalised",
    "reversed",
    "reversal",
)
STATES = (DRAFTED, APPROVED, PUBLISHED, FINALISED, REVERSED, REVERSAL)
STATE_WORDS = {
    DRAFTED: N_("drafted, awaiting the villagers' assembly"),
    APPROVED: N_("approved, awaiting the public notice"),
    PUBLISHED: N_("on public notice"),
    FINALISED: N_("finalised"),
    REVERSED: N_("reversed"),
    REVERSAL: N_("reversal"),
}
#: Where an allocation's payment stands.
UNPAID, IN_BATCH, PAID, FAILED = "unpaid", "in_batch", "paid", "failed"
PAYMENT_WORDS = {
    UNPAID: N_("not yet paid"),
    IN_BATCH: N_("sent to the bank"),
    PAID: N_("paid"),
    FAILED: N_("payment failed"),
    REVERSED: N_("reversed"),
}
DEFAULT_NOTICE_DAYS = 7
MAX_NOTICE_DAYS = 60
MAX_TEXT = 500
MAX_TITLE = 200
MAX_REASON = 200

VILLAGE_RE = re.compile(r"\d{12}")
VAULT_RE = re.compile(r"H-[0-9A-HJKMNP-TV-Z]{12}")
DISTRIBUTION_RE = re.compile(r"\d{12}-\d{3,6}")
BATCH_RE = re.compile(r"\d{12}-\d{3,6}-B\d{1,4}")
RULE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
HEX64 = re.compile(r"[0-9a-f]{64}")
#: A household code as villages write them: 1 to 40 characters, no spaces or controls.
HOUSEHOLD_RE = re.compile(r"[^\s\x00-\x1f\x7f,\"]{1,40}")
AREA_RE = re.compile(r"(0|[1-9]\d{0,6})(\.\d{1,2})?")


# --- accounts -----------------------------------------------------------------------------


def collective(village: str) -> str:
    return f"Assets:Village:{village}:Collective"


def sharing(village: str) -> str:
    return f"Assets:Village:{village}:Collective:Sharing"


def retained(village: str) -> str:
    return f"Assets:Village:{village}:Collective:Retained"


def pending(village: str, vault: str) -> str:
    return f"Assets:Village:{village}:Household:{vault}:Pending"


def household(village: str, vault: str) -> str:
    return f"Assets:Village:{village}:Household:{vault}"


def income(village: str) -> str:
    return f"Income:Village:{village}:CarbonSales"


def parties(body: Mapping[str, Any], postings: Sequence[Any]) -> list[str]:
    """Every community entry concerns its village (read by it and the bureaus above it)."""
    village = body.get("village")
    if type(village) is str:
        return list(_village_party(village))
    return (
        [f"Village:{village}"] if isinstance(village, str) and VILLAGE_RE.fullmatch(village) else []
    )


@functools.lru_cache(maxsize=4096)
def _village_party(village: str) -> tuple[str, ...]:
    """The party of a village code (a finalisation's entries name the same village)."""
    return (f"Village:{village}",) if VILLAGE_RE.fullmatch(village) else ()


# --- checking bodies ----------------------------------------------------------------------

Check = Callable[[Any], bool]


def _int(low: int = 0, high: int = MAX_SAFE_INTEGER) -> Check:
    return lambda v: type(v) is int and low <= v <= high


_NOTHING = object()


def _re(pattern: re.Pattern) -> Check:
    """A check that ``pattern`` matches a whole string. It remembers the last ``str`` (exactly)
    it accepted and accepts that object again without matching: the bodies of a batch share
    their village and distribution (a finalisation's ten thousand allocations, one each)."""
    last: object = _NOTHING

    def check(v: object) -> bool:
        nonlocal last
        if v is last:
            return True
        if isinstance(v, str) and pattern.fullmatch(v) is not None:
            if type(v) is str:
                last = v
            return True
        return False

    return check


def valid_date(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _text(limit: int, *, empty: bool = False) -> Check:
    def check(value: object) -> bool:
        try:
            check_free_text(value, "text", limit)
        except ValidationError:
            return False
        return empty or bool(value.strip())

    return check


def _optional(check: Check) -> Check:
    return lambda v: v is None or check(v)


def _rule_terms(value: object) -> bool:
    from ledger.community.allocation import parse_rule

    try:
        return parse_rule(value).to_json() == value
    except ValidationError:
        return False


def _document(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() == {"sha256", "size", "title"}
        and _re(HEX64)(value["sha256"])
        and _int()(value["size"])
        and _text(MAX_TITLE, empty=True)(value["title"])
    )


def _resolution(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() == {"date", "number", "present", "voting_for", "scan"}
        and valid_date(value["date"])
        and _text(100)(value["number"])
        and _int(1, 100000)(value["present"])
        and _int(0, 100000)(value["voting_for"])
        and value["voting_for"] <= value["present"]
        and _document(value["scan"])
    )


def _members(value: object) -> bool:
    """A roster's households: ``[household, vault, members, area_mu, low_income]`` each."""
    if not isinstance(value, list) or not value:
        return False
    seen: set[str] = set()
    for row in value:
        if not (
            isinstance(row, list)
            and len(row) == 5
            and _re(HOUSEHOLD_RE)(row[0])
            and _re(VAULT_RE)(row[1])
            and _int(0, 999)(row[2])
            and _re(AREA_RE)(row[3])
            and type(row[4]) is bool
            and row[0] not in seen
        ):
            return False
        seen.add(row[0])
    return True


def _batch_lines(value: object) -> bool:
    """A batch's lines: ``[line, household, amount_fen]`` each, lines numbered from 1."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(row, list)
            and len(row) == 3
            and row[0] == i
            and _re(HOUSEHOLD_RE)(row[1])
            and _int(1)(row[2])
            for i, row in enumerate(value, 1)
        )
    )


def _reversal_lines(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(row, list)
        and len(row) == 3
        and _re(HOUSEHOLD_RE)(row[0])
        and _re(VAULT_RE)(row[1])
        and _int()(row[2])
        for row in value
    )


VILLAGE = _re(VILLAGE_RE)
DIST = _re(DISTRIBUTION_RE)
SCHEMAS: dict[str, dict[str, Check]] = {
    ROSTER: {
        "village": VILLAGE,
        "version": _int(1, 100000),
        "digest": _re(HEX64),
        "households": _members,
    },
    RULE: {
        "village": VILLAGE,
        "rule": _re(RULE_ID_RE),
        "name": _text(MAX_TITLE),
        "terms": _rule_terms,
    },
    DRAFT: {
        "village": VILLAGE,
        "distribution": DIST,
        "title": _text(MAX_TITLE),
        "amount_fen": _int(1),
        "rule": _re(RULE_ID_RE),
        "terms": _rule_terms,
        "roster_version": _int(1, 100000),
        "roster_digest": _re(HEX64),
        "notice_days": _int(1, MAX_NOTICE_DAYS),
    },
    APPROVE: {"village": VILLAGE, "distribution": DIST, "resolution": _resolution},
    PUBLISH: {
        "village": VILLAGE,
        "distribution": DIST,
        "notice_from": valid_date,
        "notice_until": valid_date,
        "place": _text(MAX_TITLE),
    },
    OBJECTION: {
        "village": VILLAGE,
        "distribution": DIST,
        "number": _int(1, 100000),
        "household": _optional(_re(HOUSEHOLD_RE)),
        "summary": _text(MAX_TEXT),
        "raised_on": valid_date,
    },
    ANSWER: {
        "village": VILLAGE,
        "distribution": DIST,
        "number": _int(1, 100000),
        "answer": _text(MAX_TEXT),
    },
    ALLOCATION: {
        "village": VILLAGE,
        "distribution": DIST,
        "household": _re(HOUSEHOLD_RE),
        "vault": _re(VAULT_RE),
        "position": _int(0, 10**6),
        "amount_fen": _int(),
    },
    FINALISE: {
        "village": VILLAGE,
        "distribution": DIST,
        "amount_fen": _int(1),
        "retained_fen": _int(),
        "low_income_fen": _int(),
        "households": _int(1, 10**6),
    },
    REVERSE: {
        "village": VILLAGE,
        "distribution": DIST,
        "reverses": DIST,
        "reason": _text(MAX_TEXT),
        "retained_fen": _int(),
        "lines": _reversal_lines,
    },
    BATCH: {
        "village": VILLAGE,
        "distribution": DIST,
        "batch": _re(BATCH_RE),
        "lines": _batch_lines,
    },
    PAYMENT: {
        "village": VILLAGE,
        "distribution": DIST,
        "batch": _re(BATCH_RE),
        "line": _int(1, 10**6),
        "household": _re(HOUSEHOLD_RE),
        "vault": _re(VAULT_RE),
        "amount_fen": _int(1),
        "paid": lambda v: type(v) is bool,
        "reason": _optional(_text(MAX_REASON)),
    },
    RESULTS: {
        "village": VILLAGE,
        "distribution": DIST,
        "batch": _re(BATCH_RE),
        "paid": _int(),
        "failed": _int(),
        "file_sha256": _re(HEX64),
    },
    BANK_UPDATE: {"village": VILLAGE, "household": _re(HOUSEHOLD_RE), "vault": _re(VAULT_RE)},
}


def _validator(kind: str) -> Callable[[Mapping[str, Any], str], list[ValidationError]]:
    schema = SCHEMAS[kind]
    allowed = set(schema) | {"salt"}
    checks = tuple(schema.items())
    size = len(schema)

    def validate(body: Mapping[str, Any], where: str) -> list[ValidationError]:
        n = len(body)
        if type(body) is dict and (n == size or (n == size + 1 and "salt" in body)):
            # Every field found (a missing one raises KeyError) and the salt at most besides:
            # the fields are right, so the checks alone, without comparing the key sets.
            errors = []
            try:
                for name, check in checks:
                    if not check(body[name]):
                        errors.append(
                            ValidationError("community.body", f"{where}: {name} is not valid")
                        )
            except KeyError:
                pass  # a field is missing (or a check failed so): the general path says which
            else:
                return errors
        errors = []
        keys = body.keys()
        if not schema.keys() <= keys <= allowed:
            missing, extra = sorted(schema.keys() - keys), sorted(keys - allowed)
            return [
                ValidationError("community.fields", f"{where}: missing {missing}, unknown {extra}")
            ]
        for name, check in checks:
            if not check(body[name]):
                errors.append(ValidationError("community.body", f"{where}: {name} is not valid"))
        return errors

    validate.__doc__ = f"``{kind}``: the fields of :data:`SCHEMAS` ``[{kind!r}]``."
    return validate


VALIDATORS = {kind: _validator(kind) for kind in KINDS}


def expected_postings(kind: str, body: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """The postings an entry of ``kind`` with ``body`` carries (CNY, fen; none of amount 0)."""
    v = body["village"]
    if kind == ALLOCATION:
        return _move(sharing(v), pending(v, body["vault"]), body["amount_fen"])
    if kind == DRAFT:
        return _move(collective(v), sharing(v), body["amount_fen"])
    if kind == FINALISE:
        return _move(sharing(v), retained(v), body["retained_fen"])
    if kind == REVERSE:
        legs: list[tuple[str, str, int]] = []
        for _, vault, amount in body["lines"]:
            legs += _move(pending(v, vault), collective(v), amount)
        return legs + _move(retained(v), collective(v), body["retained_fen"])
    if kind == PAYMENT and body["paid"]:
        return _move(pending(v, body["vault"]), household(v, body["vault"]), body["amount_fen"])
    return []


def _move(src: str, dst: str, amount: int) -> list[tuple[str, str, int]]:
    """The two legs moving ``amount`` fen from ``src`` to ``dst`` (none for 0)."""
    return [(src, "CNY", -amount), (dst, "CNY", amount)] if amount else []


def check_postings(kind: str, body: Mapping[str, Any], postings: Sequence[Any]) -> bool:
    have = [
        (p.account, p.commodity, p.amount) if hasattr(p, "account") else tuple(p) for p in postings
    ]
    return have == expected_postings(kind, body)


# --- projections --------------------------------------------------------------------------

Op = tuple[str, str, tuple, dict]


def operations(seq: int, kind: str, time: str, body: Mapping[str, Any]) -> list[Op]:
    """What entry ``seq`` does to the projection tables (see the module docstring)."""
    v = body.get("village")
    d = body.get("distribution")
    if kind == ROSTER:
        version = body["version"]
        ops: list[Op] = [
            (
                "put",
                "community_roster",
                (v, version),
                {
                    "digest": body["digest"],
                    "households": len(body["households"]),
                    "time": time[:19] + "Z",
                    "seq": seq,
                },
            )
        ]
        ops.extend(
            (
                "put",
                "community_member",
                (v, version, code),
                {
                    "vault": vault,
                    "position": i,
                    "members": members,
                    "area_mu": area,
                    "low_income": low,
                },
            )
            for i, (code, vault, members, area, low) in enumerate(body["households"])
        )
        return ops
    if kind == RULE:
        terms = json.dumps(body["terms"], sort_keys=True, ensure_ascii=False)
        row = {"name": body["name"], "terms": terms, "seq": seq}
        return [("put", "community_rule", (v, body["rule"]), row)]
    if kind == DRAFT:
        return [
            (
                "put",
                "community_distribution",
                (d,),
                {
                    "village": v,
                    "title": body["title"],
                    "state": DRAFTED,
                    "amount_fen": body["amount_fen"],
                    "rule": body["rule"],
                    "terms": json.dumps(body["terms"], sort_keys=True, ensure_ascii=False),
                    "roster_version": body["roster_version"],
                    "notice_days": body["notice_days"],
                    "resolution": None,
                    "notice_from": None,
                    "notice_until": None,
                    "notice_place": None,
                    "retained_fen": None,
                    "low_income_fen": None,
                    "households": None,
                    "reverses": None,
                    "reversed_by": None,
                    "drafted_at": time[:19] + "Z",
                    "draft_seq": seq,
                    "approve_seq": None,
                    "publish_seq": None,
                    "final_seq": None,
                },
            )
        ]
    if kind == APPROVE:
        resolution = json.dumps(body["resolution"], sort_keys=True, ensure_ascii=False)
        values = {"state": APPROVED, "resolution": resolution, "approve_seq": seq}
        return [("set", "community_distribution", (d,), values)]
    if kind == PUBLISH:
        values = {
            "state": PUBLISHED,
            "notice_from": body["notice_from"],
            "notice_until": body["notice_until"],
            "notice_place": body["place"],
            "publish_seq": seq,
        }
        return [("set", "community_distribution", (d,), values)]
    if kind == OBJECTION:
        row = {
            "household": body["household"],
            "summary": body["summary"],
            "raised_on": body["raised_on"],
            "seq": seq,
            "answer": None,
            "answer_seq": None,
        }
        return [("put", "community_objection", (d, body["number"]), row)]
    if kind == ANSWER:
        values = {"answer": body["answer"], "answer_seq": seq}
        return [("set", "community_objection", (d, body["number"]), values)]
    if kind == ALLOCATION:
        row = {
            "village": v,
            "vault": body["vault"],
            "position": body["position"],
            "amount_fen": body["amount_fen"],
            "paid_fen": 0,
            "status": UNPAID,
            "reason": None,
            "batch": None,
            "seq": seq,
        }
        return [("put", "community_allocation", (d, body["household"]), row)]
    if kind == FINALISE:
        values = {
            "state": FINALISED,
            "retained_fen": body["retained_fen"],
            "low_income_fen": body["low_income_fen"],
            "households": body["households"],
            "final_seq": seq,
        }
        return [("set", "community_distribution", (d,), values)]
    if kind == REVERSE:
        reverses = body["reverses"]
        amount = sum(a for _, _, a in body["lines"]) + body["retained_fen"]
        ops = [
            (
                "put",
                "community_distribution",
                (d,),
                {
                    "village": v,
                    "title": body["reason"][:MAX_TITLE],
                    "state": REVERSAL,
                    "amount_fen": amount,
                    "rule": "-",
                    "terms": "{}",
                    "roster_version": 0,
                    "notice_days": 0,
                    "resolution": None,
                    "notice_from": None,
                    "notice_until": None,
                    "notice_place": None,
                    "retained_fen": body["retained_fen"],
                    "low_income_fen": None,
                    "households": len(body["lines"]),
                    "reverses": reverses,
                    "reversed_by": None,
                    "drafted_at": time[:19] + "Z",
                    "draft_seq": seq,
                    "approve_seq": None,
                    "publish_seq": None,
                    "final_seq": seq,
                },
            ),
            ("set", "community_distribution", (reverses,), {"state": REVERSED, "reversed_by": d}),
        ]
        ops.extend(
            ("set", "community_allocation", (reverses, code), {"status": "reversed"})
            for code, _, _ in body["lines"]
        )
        return ops
    if kind == BATCH:
        lines = body["lines"]
        ops = [
            (
                "put",
                "community_batch",
                (body["batch"],),
                {
                    "distribution": d,
                    "village": v,
                    "lines": len(lines),
                    "amount_fen": sum(a for _, _, a in lines),
                    "state": "open",
                    "created_at": time[:19] + "Z",
                    "seq": seq,
                    "results_seq": None,
                },
            )
        ]
        for line, code, amount in lines:
            ops.append(
                (
                    "put",
                    "community_payment",
                    (body["batch"], line),
                    {
                        "household": code,
                        "amount_fen": amount,
                        "status": IN_BATCH,
                        "reason": None,
                        "result_seq": None,
                    },
                )
            )
            ops.append(
                (
                    "set",
                    "community_allocation",
                    (d, code),
                    {"status": IN_BATCH, "batch": body["batch"]},
                )
            )
        return ops
    if kind == PAYMENT:
        status = PAID if body["paid"] else FAILED
        reason = None if body["paid"] else body["reason"]
        key = (d, body["household"])
        ops = [
            (
                "set",
                "community_payment",
                (body["batch"], body["line"]),
                {"status": status, "reason": reason, "result_seq": seq},
            ),
            ("set", "community_allocation", key, {"status": status, "reason": reason}),
        ]
        if body["paid"]:
            ops.append(("add", "community_allocation", key, {"paid_fen": body["amount_fen"]}))
        return ops
    if kind == RESULTS:
        values = {"state": "done", "results_seq": seq}
        return [("set", "community_batch", (body["batch"],), values)]
    return []  # BANK_UPDATE: the vault changed; the projections do not


# --- in words -----------------------------------------------------------------------------


def _describe(kind: str) -> Callable[[Mapping[str, Any], Sequence[Any]], list]:
    def describe(body: Mapping[str, Any], postings: Sequence[Any]) -> list:
        facts: list = [(N_("Village"), body["village"])]
        if "distribution" in body:
            facts.append((N_("Distribution"), body["distribution"]))
        if kind == ROSTER:
            facts += [
                (N_("Roster version"), str(body["version"])),
                (N_("Households"), str(len(body["households"]))),
                (N_("Roster digest"), body["digest"]),
            ]
        elif kind == DRAFT:
            facts += [
                (N_("Amount to share"), Amount(body["amount_fen"], "CNY")),
                (N_("Roster version"), str(body["roster_version"])),
            ]
        elif kind == APPROVE:
            r = body["resolution"]
            facts += [
                (N_("Resolution"), r["number"]),
                (N_("Assembly date"), r["date"]),
                (N_("Present / voting for"), f"{r['present']} / {r['voting_for']}"),
            ]
        elif kind == PUBLISH:
            facts.append((N_("Public notice"), f"{body['notice_from']} – {body['notice_until']}"))
        elif kind in (ALLOCATION, PAYMENT, BANK_UPDATE):
            facts.append((N_("Household"), body["household"]))
            if kind != BANK_UPDATE:
                facts.append((N_("Amount"), Amount(body["amount_fen"], "CNY")))
            if kind == PAYMENT:
                facts.append((N_("Payment"), Term(PAYMENT_WORDS[PAID if body["paid"] else FAILED])))
        elif kind == FINALISE:
            facts += [
                (N_("Amount shared"), Amount(body["amount_fen"], "CNY")),
                (N_("Retained by the collective"), Amount(body["retained_fen"], "CNY")),
                (N_("Households"), str(body["households"])),
            ]
        elif kind == REVERSE:
            facts.append((N_("Reverses"), body["reverses"]))
        return facts

    return describe


DESCRIPTIONS = {kind: _describe(kind) for kind in KINDS}

LABELS = {
    ROSTER: N_("Household roster"),
    RULE: N_("Sharing rule"),
    DRAFT: N_("Distribution drafted"),
    APPROVE: N_("Distribution approved by the villagers' assembly"),
    PUBLISH: N_("Distribution on public notice"),
    OBJECTION: N_("Objection to a distribution"),
    ANSWER: N_("Answer to an objection"),
    ALLOCATION: N_("Allocation to a household"),
    FINALISE: N_("Distribution finalised"),
    REVERSE: N_("Distribution reversed"),
    BATCH: N_("Bank payment batch"),
    PAYMENT: N_("Bank payment result"),
    RESULTS: N_("Bank results imported"),
    BANK_UPDATE: N_("Bank details corrected"),
}
