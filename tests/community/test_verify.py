"""``log verify`` re-derives the community projections from the log: a changed, missing or
extra row is a finding at its entry; ``projections rebuild`` puts them back; an entry whose
postings are not what its body says is refused by the append path."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from ledger.community import model
from ledger.community.services import ALLOC_T, DIST_T
from ledger.core.entry import EntryDraft, Posting
from ledger.core.errors import ValidationError
from ledger.services.log import append_batch
from ledger.services.rebuild import rebuild_projections
from ledger.services.verify import verify_log
from ledger.storage.db import write_transaction
from tests.community import ACTOR, finalised
from tests.units import VILLAGE


def _codes(engine):
    return sorted({f.code for f in verify_log(engine, [])})


def test_changed_and_missing_rows_are_found_and_rebuilt(engine):
    d = finalised(engine)
    assert verify_log(engine, []) == []
    with write_transaction(engine) as conn:
        conn.execute(update(ALLOC_T).where(ALLOC_T.c.household == "CK001").values(amount_fen=1))
        conn.execute(delete(DIST_T).where(DIST_T.c.distribution == d.distribution))
    findings = verify_log(engine, [])
    assert {f.code for f in findings} == {"projection.community"}
    seqs = {f.seq for f in findings}
    assert d.draft_seq in seqs and len(findings) == 2
    rebuild_projections(engine, ["community"])
    assert verify_log(engine, []) == []


def test_postings_that_do_not_match_the_body_are_refused(engine):
    finalised(engine)
    body = {"village": VILLAGE, "distribution": f"{VILLAGE}-001", "household": "CK001",
            "vault": "H-0123456789AB", "position": 9, "amount_fen": 5}  # fmt: skip
    wrong = (
        Posting(model.collective(VILLAGE), "CNY", -5),
        Posting(model.pending(VILLAGE, "H-0123456789AB"), "CNY", 5),
    )
    with pytest.raises(ValidationError) as err:
        append_batch(engine, [EntryDraft(model.ALLOCATION, body, ACTOR, wrong)])
    assert err.value.code == "community.postings"
    assert verify_log(engine, []) == []
