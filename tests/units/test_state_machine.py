"""The serial invariant, as a Hypothesis state machine against a plain model, on SQLite and
PostgreSQL: issue, transfer, pledge, release, retire and sell random ranges (many of them not
held as the operation says) through the services; every operation must succeed exactly when
the model says every serial is where it claims, a refusal must name exactly the serials that
are not (and the entries holding them), and the stored holdings must always equal the model,
serial by serial. The log verifies at the end."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from ledger.core.errors import ConflictError
from ledger.services.verify import verify_log
from ledger.storage.db import read_transaction
from ledger.units import services
from ledger.units.projection import HOLDING_T
from ledger.units.services import Buyer
from tests.units import COMPANY, HUAWEI, ICBC, OTHER_COMPANY, OWNER, TENCENT, make_lot, make_project

HOLDERS = (OWNER, COMPANY, OTHER_COMPANY, "Assets:Court:350428:Case:2022-XC-7")
SELLERS = (OWNER, COMPANY, OTHER_COMPANY)
BANKS = (ICBC, TENCENT)
BUYERS = {
    COMPANY: Buyer("company", "华为", HUAWEI),
    OTHER_COMPANY: Buyer("company", "腾讯", TENCENT),
}
LOT_SIZE = 40
_examples = itertools.count()


LOTS = Bundle("lots")
#: A range of a lot: it may start before the lot and end after it.
RANGES = {"lot": LOTS, "first": st.integers(-2, LOT_SIZE + 2), "length": st.integers(0, 12)}


class SerialMachine(RuleBasedStateMachine):
    """``model[lot][serial] = (holder, state, pledgee)``, one entry per issued serial."""

    lots = LOTS

    def __init__(self, engine):
        super().__init__()
        self.engine = engine
        self.project = f"SM-{next(_examples)}"
        self.model: dict[str, dict[int, tuple]] = {}
        self.kw = {"actor": "test", "within": None}

    @initialize(target=lots)
    def start(self):
        make_project(self.engine, self.project)
        return self._issue()

    @rule(target=lots)
    def issue(self):
        return self._issue()

    def _issue(self):
        lot = f"{self.project}-L{len(self.model) + 1}"
        make_lot(self.engine, self.project, lot, count=LOT_SIZE)
        self.model[lot] = {n: (OWNER, "held", None) for n in range(1, LOT_SIZE + 1)}
        return lot

    # -- the operations ------------------------------------------------------------------

    def _attempt(self, lot, first, length, holder, state, pledgee, to, to_state, to_pledgee, op):
        last = first + length
        expected_bad = {
            n for n in range(first, last + 1) if self.model[lot].get(n) != (holder, state, pledgee)
        }
        try:
            op([[lot, first, last]])
        except ConflictError as exc:
            assert expected_bad, f"refused although every serial was {holder}/{state}: {exc}"
            named = {n for c in exc.details["conflicts"] for n in range(c["first"], c["last"] + 1)}
            assert named == expected_bad
            retired = any(self.model[lot].get(n, (0, ""))[1] == "retired" for n in named)
            want = (
                "units.double_retirement" if to_state == "retired" and retired else "units.conflict"
            )
            assert exc.code == want
            held_by = {c["seq"] for c in exc.details["conflicts"] if c["seq"] is not None}
            assert exc.details["entries"] == ", ".join(str(s) for s in sorted(held_by))
            return
        assert not expected_bad, f"accepted although serials {sorted(expected_bad)} were not held"
        for n in range(first, last + 1):
            self.model[lot][n] = (to, to_state, to_pledgee)

    @rule(**RANGES, pair=st.permutations(HOLDERS).map(lambda p: p[:2]))
    def transfer(self, lot, first, length, pair):
        source, to = pair
        self._attempt(
            lot, max(first, 0), length, source, "held", None, to, "held", None,
            lambda s: services.transfer(
                self.engine, project=self.project, from_=source, to=to, serials=s, **self.kw
            ),
        )  # fmt: skip

    @rule(**RANGES, owner=st.sampled_from(HOLDERS), bank=st.sampled_from(BANKS))
    def pledge(self, lot, first, length, owner, bank):
        self._attempt(
            lot, max(first, 0), length, owner, "held", None, owner, "pledged", bank,
            lambda s: services.pledge(
                self.engine, project=self.project, owner=owner, pledgee_name="银行",
                pledgee_uscc=bank, serials=s, **self.kw,
            ),
        )  # fmt: skip

    @rule(**RANGES, owner=st.sampled_from(HOLDERS), bank=st.sampled_from(BANKS))
    def release(self, lot, first, length, owner, bank):
        if not any(v == (owner, "pledged", bank) for v in self.model[lot].values()):
            return  # refused before any serial is looked at (units.pledge_unknown)
        self._attempt(
            lot, max(first, 0), length, owner, "pledged", bank, owner, "held", None,
            lambda s: services.release(
                self.engine, project=self.project, owner=owner, pledgee_uscc=bank,
                document=_release_letter(), serials=s, **self.kw,
            ),
        )  # fmt: skip

    @rule(**RANGES, holder=st.sampled_from(HOLDERS))
    def retire(self, lot, first, length, holder):
        self._attempt(
            lot, max(first, 0), length, holder, "held", None, holder, "retired", None,
            lambda s: services.retire(
                self.engine, project=self.project, holder=holder,
                beneficiary=Buyer("organisation", "某会"), use="event_neutrality", serials=s,
                **self.kw,
            ),
        )  # fmt: skip

    @rule(
        **RANGES,
        seller=st.sampled_from(SELLERS),
        buyer=st.sampled_from((COMPANY, OTHER_COMPANY)),
        keep=st.booleans(),
    )
    def sell(self, lot, first, length, seller, buyer, keep):
        if keep and seller == buyer:
            return  # the units would stay where they are (refused as a malformed sale)
        to, to_state = (buyer, "held") if keep else (seller, "retired")
        self._attempt(
            lot, max(first, 0), length, seller, "held", None, to, to_state, None,
            lambda s: services.sell(
                self.engine, project=self.project, seller=seller, buyer=BUYERS[buyer],
                price_fen_per_t=1_234, use="esg" if keep else "compliance_offset",
                retire_units=not keep, serials=s, **self.kw,
            ),
        )  # fmt: skip

    # -- the invariant -------------------------------------------------------------------

    @invariant()
    def stored_holdings_are_the_model(self):
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(HOLDING_T).where(HOLDING_T.c.lot.in_(list(self.model)))
            ).all()
        stored: dict[str, dict[int, tuple]] = {lot: {} for lot in self.model}
        for r in rows:
            for n in range(r.first, r.last + 1):
                assert n not in stored[r.lot], f"serial {n} of {r.lot} is held twice"
                stored[r.lot][n] = (r.holder, r.state, r.pledgee)
        assert stored == self.model


def _release_letter():
    from tests.units import document

    return document("解押通知")


def test_the_serial_invariant_against_a_plain_model(engine):
    run_state_machine_as_test(
        lambda: SerialMachine(engine),
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert verify_log(engine, []) == []


def test_the_machine_starts_from_one_lot(engine):
    machine = SerialMachine(engine)
    lot = machine.start()
    assert machine.model[lot] == {n: (OWNER, "held", None) for n in range(1, LOT_SIZE + 1)}
    machine.stored_holdings_are_the_model()
