"""The judicial projections: ``judicial_case``, ``judicial_step``, ``judicial_method`` and
``judicial_unit``, written in the append's transaction and re-derived by ``log verify``.

One pure function says what an entry does to its case's row (:func:`advance`); the projector
applies it to the stored row, the replay to the rows it folds from the log, so the two cannot
disagree about the rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ledger.core.entry import Entry
from ledger.core.errors import ConflictError
from ledger.core.findings import Finding
from ledger.judicial import model
from ledger.judicial.tables import JudicialCase, JudicialMethod, JudicialStep, JudicialUnit
from ledger.services.projections import Replay, compare, stream
from ledger.units.model import parse_holder

CASE_T = JudicialCase.__table__
STEP_T = JudicialStep.__table__
METHOD_T = JudicialMethod.__table__
UNIT_T = JudicialUnit.__table__
TABLES = (CASE_T, STEP_T, METHOD_T, UNIT_T)
_CASE_COLS = tuple(c.name for c in CASE_T.c)


def advance(row: dict[str, Any] | None, seq: int, kind: str, body: Mapping[str, Any]) -> dict:
    """The case's row after entry ``seq`` of ``kind`` (``row`` None before its filing)."""
    if kind == model.CASE:
        return {
            "court": body["court"],
            "case": body["case"],
            "case_number": body["case_number"],
            "court_code": body["court_code"],
            "court_name": body["court_name"],
            "division": body["division"],
            "offence": body["offence"],
            "state": model.FILED,
            "year": int(body["case"].split("-", 1)[0]),
            "filed_on": body["filed_on"],
            "loss_kg": None,
            "quantity_kg": None,
            "amount_fen": None,
            "decided_on": None,
            "purchased_on": None,
            "retired_on": None,
            "certified_on": None,
            "seq": seq,
            "last_seq": seq,
        }
    if row is None:
        raise KeyError("no such case")
    row = {**row, "last_seq": seq}
    if kind in model.STATE_OF_KIND:
        row["state"] = model.STATE_OF_KIND[kind]
    if kind == model.ASSESSMENT:
        row["loss_kg"] = body["loss_kg"]
    elif kind == model.DECISION:
        row.update(
            quantity_kg=body["quantity_kg"],
            amount_fen=body["amount_fen"],
            decided_on=body["decided_on"],
        )
    elif kind == model.PURCHASE:
        row["purchased_on"] = body["paid_on"]
    elif kind == model.RETIREMENT:
        row["retired_on"] = body["retired_on"]
    elif kind == model.CERTIFIED:
        row["certified_on"] = body["certified_on"]
    return row


def unit_rows(seq: int, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per line (a serial range of one lot) a purchase took, in order."""
    rows = []
    for i, line in enumerate(body["lines"]):
        seller = parse_holder(line["seller"])
        rows.append(
            {
                "seq": seq,
                "line": i,
                "court": body["court"],
                "case": body["case"],
                "project": line["project"],
                "programme": line["programme"],
                "lot": line["lot"],
                "first": line["first"],
                "last": line["last"],
                "kg": line["kg"],
                "seller": line["seller"],
                "seller_village": seller.village if seller is not None else None,
                "price_fen_per_t": line["price_fen_per_t"],
                "total_fen": line["total_fen"],
                "date": body["paid_on"],
                "retired_seq": None,
            }
        )
    return rows


class JudicialProjector:
    """Writes the judicial tables (mutable: a case's row changes with its steps)."""

    name = "judicial"
    kinds = frozenset(model.ALL_KINDS)
    logs = frozenset({"main"})
    rebuildable = True

    def apply(self, conn: Connection, log: str, entries: Sequence[Entry]) -> None:
        for e in entries:
            if e.kind == model.METHOD:
                found = conn.execute(
                    select(METHOD_T.c.seq).where(
                        METHOD_T.c.name == e.body["name"], METHOD_T.c.version == e.body["version"]
                    )
                ).first()
                if found is not None:
                    raise ConflictError(
                        "judicial.method_exists",
                        f"method {e.body['name']} {e.body['version']} is recorded already "
                        f"(entry {found.seq})",
                        {"seq": found.seq},
                    )
                conn.execute(
                    insert(METHOD_T).values(
                        name=e.body["name"], version=e.body["version"], seq=e.seq
                    )
                )
                continue
            key = (e.body["court"], e.body["case"])
            where = (CASE_T.c.court == key[0], CASE_T.c.case == key[1])
            stored = conn.execute(select(CASE_T).where(*where)).first()
            if e.kind == model.CASE:
                if stored is not None:
                    raise ConflictError(
                        "judicial.case_exists",
                        f"case {e.body['case_number']} is filed already (entry {stored.seq})",
                        {"seq": stored.seq, "case_number": e.body["case_number"]},
                    )
                conn.execute(insert(CASE_T).values(**advance(None, e.seq, e.kind, e.body)))
            else:
                if stored is None:
                    raise ConflictError(
                        "judicial.case_unknown", f"there is no case {key[1]} at court {key[0]}"
                    )
                row = advance(dict(stored._mapping), e.seq, e.kind, e.body)
                conn.execute(update(CASE_T).where(*where).values(**row))
            conn.execute(insert(STEP_T).values(seq=e.seq, court=key[0], case=key[1], kind=e.kind))
            if e.kind == model.PURCHASE:
                conn.execute(insert(UNIT_T), unit_rows(e.seq, e.body))
            elif e.kind == model.RETIREMENT:
                conn.execute(
                    update(UNIT_T)
                    .where(UNIT_T.c.seq == e.body["purchase_seq"])
                    .values(retired_seq=e.seq)
                )

    def replay(self, log: str) -> Replay:
        return _JudicialReplay(log)

    def clear(self, conn: Connection, log: str) -> None:
        for table in TABLES:
            conn.execute(delete(table))


class _JudicialReplay:
    """Keeps the judicial entries' facts in order; folds them into rows when checking."""

    kinds = JudicialProjector.kinds

    def __init__(self, log: str):
        self.log = log
        self.events: list[tuple[int, str, dict]] = []

    def feed(self, seq, kind, time, actor, body, postings) -> None:
        self.events.append((seq, kind, dict(body)))

    def merge(self, later: _JudicialReplay) -> None:
        self.events.extend(later.events)

    def findings(self, conn: Connection) -> Iterator[Finding]:
        cases: dict[tuple, dict] = {}
        steps: dict[int, dict] = {}
        methods: dict[tuple, dict] = {}
        units: dict[tuple, dict] = {}
        bad: list[int] = []
        for seq, kind, body in self.events:
            try:
                if kind == model.METHOD:
                    methods.setdefault(
                        (body["name"], body["version"]),
                        {"name": body["name"], "version": body["version"], "seq": seq},
                    )
                    continue
                key = (body["court"], body["case"])
                if kind == model.CASE and key in cases:
                    bad.append(seq)
                    continue
                cases[key] = advance(cases.get(key), seq, kind, body)
                steps[seq] = {"seq": seq, "court": key[0], "case": key[1], "kind": kind}
                if kind == model.PURCHASE:
                    for r in unit_rows(seq, body):
                        units[r["seq"], r["line"]] = r
                elif kind == model.RETIREMENT:
                    for k, r in units.items():
                        if k[0] == body["purchase_seq"]:
                            r["retired_seq"] = seq
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                bad.append(seq)
        for seq in bad:
            yield Finding("judicial.body", "a judicial entry does not fit its case", seq, self.log)
        checks = (
            (CASE_T, cases, lambda r: (r.court, r.case), "judicial_case"),
            (STEP_T, steps, lambda r: r.seq, "judicial_step"),
            (METHOD_T, methods, lambda r: (r.name, r.version), "judicial_method"),
            (UNIT_T, units, lambda r: (r.seq, r.line), "judicial_unit"),
        )
        for table, expected, key_of, name in checks:
            stored = ((key_of(r), dict(r._mapping)) for r in stream(conn, select(table)))
            for key, have, want in compare(stored, expected):
                seq = (want or have or {}).get("seq")
                yield Finding(
                    f"projection.{name}", f"{name} row {key} does not match the log", seq, self.log
                )
