"""The community projector: writes the ``community_*`` tables in the append's transaction and
re-derives them for ``log verify``.

Both sides use the same pure operations (:func:`ledger.community.model.operations`): the
projector executes them as SQL; the replay folds them into the rows it expects and compares
them with the stored rows. The projector also refuses an entry whose postings are not what
its body says (:func:`ledger.community.model.expected_postings`); the replay reports one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from ledger.community import model
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
from ledger.core.entry import Entry
from ledger.core.errors import ValidationError
from ledger.core.findings import Finding
from ledger.services.bulk import insert_many
from ledger.services.projections import Replay, compare, stream

TABLES = {
    t.__tablename__: t.__table__
    for t in (
        CommunityRoster,
        CommunityMember,
        CommunityRule,
        CommunityDistribution,
        CommunityObjection,
        CommunityAllocation,
        CommunityBatch,
        CommunityPayment,
    )
}
#: The key columns of each table, in the order of the operations' keys.
KEYS = {
    "community_roster": ("village", "version"),
    "community_member": ("village", "version", "household"),
    "community_rule": ("village", "rule"),
    "community_distribution": ("distribution",),
    "community_objection": ("distribution", "number"),
    "community_allocation": ("distribution", "household"),
    "community_batch": ("batch",),
    "community_payment": ("batch", "line"),
}


def _where(table, key: tuple):
    return and_(*(table.c[c] == v for c, v in zip(KEYS[table.name], key, strict=True)))


_INSERTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _insert(name: str, columns: tuple[str, ...]):
    """The insert of ``columns`` into table ``name`` (one statement per shape, so the bulk
    path compiles it once)."""
    stmt = _INSERTS.get((name, columns))
    if stmt is None:
        table = TABLES[name]
        stmt = _INSERTS[name, columns] = insert(table).values({c: bindparam(c) for c in columns})
    return stmt


def execute(conn: Connection, ops: Sequence[model.Op]) -> None:
    """Carry out ``ops`` on the database; consecutive puts into one table go in bulk."""
    i = 0
    while i < len(ops):
        op, name, key, values = ops[i]
        table = TABLES[name]
        if op == "put":
            j = i
            while j < len(ops) and ops[j][0] == "put" and ops[j][1] == name:
                j += 1
            columns = (*KEYS[name], *values)
            rows = [(*o[2], *o[3].values()) for o in ops[i:j]]
            insert_many(conn, _insert(name, columns), columns, rows)
            i = j
            continue
        if op == "set":
            conn.execute(update(table).where(_where(table, key)).values(**values))
        else:  # add
            conn.execute(
                update(table)
                .where(_where(table, key))
                .values(**{c: table.c[c] + n for c, n in values.items()})
            )
        i += 1


#: The columns of the ``community_allocation`` row that an allocation puts (its key, then the
#: values of :func:`~ledger.community.model.operations`' row, in that order).
ALLOCATION_COLUMNS = (
    *KEYS["community_allocation"],
    "village",
    "vault",
    "position",
    "amount_fen",
    "paid_fen",
    "status",
    "reason",
    "batch",
    "seq",
)
_INSERT_ALLOCATION = _insert("community_allocation", ALLOCATION_COLUMNS)


def allocation_row(entry: Entry, sharing: dict[str, str]) -> tuple | None:
    """For a ``community.allocation`` entry (its body valid) whose postings are what its body
    says: the row :func:`~ledger.community.model.operations` puts, as a tuple in
    :data:`ALLOCATION_COLUMNS` order, without building the operation. None for any other
    postings (the general path then refuses them). ``sharing`` maps the villages seen to
    their sharing account (the caller's, filled here)."""
    body = entry.body
    village, vault, amount = body["village"], body["vault"], body["amount_fen"]
    postings = entry.postings
    if amount:  # model.expected_postings: the two legs of model._move, sharing → pending
        if len(postings) != 2:
            return None
        out, into = postings
        account = sharing.get(village)
        if account is None:
            account = sharing[village] = model.sharing(village)
        if not (
            out.amount == -amount
            and into.amount == amount
            and out.commodity == "CNY"
            and into.commodity == "CNY"
            and out.account == account
            and into.account == model.pending(village, vault)
        ):
            return None
    elif postings:
        return None
    return (
        body["distribution"],
        body["household"],
        village,
        vault,
        body["position"],
        amount,
        0,
        model.UNPAID,
        None,
        None,
        entry.seq,
    )


class CommunityProjector:
    """The ``community_*`` tables (mutable: rebuildable from the log)."""

    name = "community"
    kinds = frozenset(model.KINDS)
    logs = frozenset({"main"})
    rebuildable = True

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        """Check every entry's postings against its body, then write what the entries do, in
        their order. An allocation (a finalisation writes one per household) takes the
        shortcut of :func:`allocation_row`; every other entry, and an allocation the
        shortcut does not take, goes through :func:`~ledger.community.model.operations`."""
        # Runs of allocation rows and of operations, in entry order; nothing is written
        # before every entry is checked.
        steps: list[tuple[bool, list]] = []
        rows: list[tuple] | None = None
        ops: list[model.Op] | None = None
        sharing: dict[str, str] = {}
        for e in entries:
            row = allocation_row(e, sharing) if e.kind == model.ALLOCATION else None
            if row is not None:
                if rows is None:
                    rows, ops = [], None
                    steps.append((True, rows))
                rows.append(row)
                continue
            if not model.check_postings(e.kind, e.body, e.postings):
                raise ValidationError(
                    "community.postings",
                    f"entry {e.seq} ({e.kind}): the postings are not what its body says",
                )
            if ops is None:
                rows, ops = None, []
                steps.append((False, ops))
            ops.extend(model.operations(e.seq, e.kind, e.time, e.body))
        for allocations, items in steps:
            if allocations:
                insert_many(conn, _INSERT_ALLOCATION, ALLOCATION_COLUMNS, items)
            else:
                execute(conn, items)

    def replay(self, log: str) -> Replay:
        return _CommunityReplay(log)

    def clear(self, conn: Connection, log: str) -> None:
        for table in TABLES.values():
            conn.execute(delete(table))


def _fold(rows: dict, orphans: list, op: model.Op) -> None:
    kind, name, key, values = op
    table = rows.setdefault(name, {})
    if kind == "put":
        table[key] = dict(values)
        return
    row = table.get(key)
    if row is None:
        orphans.append(op)
    elif kind == "set":
        row.update(values)
    else:
        for column, n in values.items():
            row[column] += n


class _CommunityReplay:
    """``rows[table][key]`` the rows the log gives; ``orphans`` the changes to rows not put
    (yet, in this part of the log); ``problems`` entries whose body or postings are wrong."""

    kinds = CommunityProjector.kinds

    def __init__(self, log: str):
        self.log = log
        self.rows: dict[str, dict[tuple, dict]] = {}
        self.orphans: list[model.Op] = []
        self.problems: list[tuple[int, str]] = []

    def feed(self, seq, kind, time, actor, body, postings) -> None:
        if model.VALIDATORS[kind](body, f"entry {seq}"):
            self.problems.append((seq, "body"))
            return
        if not model.check_postings(kind, body, postings):
            self.problems.append((seq, "postings"))
        for op in model.operations(seq, kind, time, body):
            _fold(self.rows, self.orphans, op)

    def merge(self, later: _CommunityReplay) -> None:
        orphans = later.orphans
        later_rows = later.rows
        for op in orphans:
            _fold(self.rows, self.orphans, op)
        for name, table in later_rows.items():
            self.rows.setdefault(name, {}).update(table)
        self.problems.extend(later.problems)

    def findings(self, conn: Connection) -> Iterator[Finding]:
        for seq, what in self.problems:
            yield Finding(
                f"community.{what}",
                f"the {what} of this community entry are not valid"
                if what == "postings"
                else "this community entry's body is not valid",
                seq,
                self.log,
            )
        for op in self.orphans:
            yield Finding(
                "projection.community",
                f"{op[1]} {op[2]}: changed by the log before it exists",
                None,
                self.log,
            )
        for name, table in TABLES.items():
            keys = KEYS[name]
            expected = self.rows.get(name, {})
            columns = [c.name for c in table.columns if c.name not in keys]
            stored = (
                (tuple(r[c] for c in keys), {c: _plain(r[c]) for c in columns})
                for r in (row._mapping for row in stream(conn, select(table)))
            )
            want = {k: {c: _plain(v[c]) for c in columns} for k, v in expected.items()}
            for key, have, exp in compare(stored, want):
                how = "differs from" if have and exp else "is missing, by" if exp else "is not in"
                yield Finding(
                    "projection.community",
                    f"{name} {key}: the stored row {how} the log",
                    _seq(have, exp),
                    self.log,
                )


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _seq(have: Mapping | None, want: Mapping | None) -> int | None:
    row = want or have or {}
    for column in ("seq", "draft_seq", "result_seq"):
        if isinstance(row.get(column), int):
            return row[column]
    return None
