"""The community JSON API on both databases, with API tokens: the village's token takes a
distribution from the roster to a payment batch (idempotent retries answer the same, another
body under the same key is refused), the bureau's token reads but cannot write, too large a
draft is refused with what the account holds, the bank lines are only for the village and
audited, and the public look-up answers only with the right four characters."""

from __future__ import annotations

import io

import pytest

from ledger.accounts import services as accounts
from ledger.community import throttle
from ledger.storage.db import write_transaction
from tests.community import RULE, lines, roster_csv
from tests.web.conftest import audit_entries

V1 = "350428102201"
API = f"/api/v1/community/villages/{V1}"


@pytest.fixture
def tokens(app, world) -> dict[str, dict[str, str]]:
    engine = app.extensions["ledger.engine"]
    found = {}
    with write_transaction(engine) as conn:
        for key in ("v1", "v2", "county"):
            secret, _ = accounts.create_token(
                conn, world.orgs[key].id, f"{key} api", created_by=None, actor="test"
            )
            found[key] = {"Authorization": f"Bearer {secret}"}
    return found


def post(client, headers, path, key, **kwargs):
    return client.post(path, headers={**headers, "Idempotency-Key": key}, **kwargs)


def test_a_distribution_through_the_api(client, funded, tokens, engine):
    v1, county = tokens["v1"], tokens["county"]
    data = roster_csv(lines(3))
    changes = post(
        client, v1, f"{API}/rosters/changes", "c1", data={"file": (io.BytesIO(data), "r.csv")}
    )
    assert changes.status_code == 200, changes.get_json()
    assert changes.get_json()["result"]["added"] == ["CK001", "CK002", "CK003"]
    saved = post(
        client,
        v1,
        f"{API}/rosters",
        "s1",
        data={"file": (io.BytesIO(data), "r.csv"), "version": "1"},
    )
    assert saved.status_code == 201 and saved.get_json()["result"]["households"] == 3
    assert (
        post(
            client, county, f"{API}/rules", "x", json={"rule": "R1", "name": "规则", "terms": RULE}
        ).status_code
        == 403
    )
    body = {"rule": "R1", "name": "标准规则", "terms": RULE}
    assert post(client, v1, f"{API}/rules", "r1", json=body).status_code == 201
    draft = {"title": "2021年分配", "amount_fen": 100_000, "rule": "R1"}
    first = post(client, v1, f"{API}/distributions", "d1", json=draft)
    again = post(client, v1, f"{API}/distributions", "d1", json=draft)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    d = first.get_json()["result"]["distribution"]
    other = post(client, v1, f"{API}/distributions", "d1", json={**draft, "amount_fen": 5})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency.conflict"
    too_much = post(client, v1, f"{API}/distributions", "d2", json={**draft, "amount_fen": 10**12})
    assert too_much.status_code == 409
    error = too_much.get_json()["error"]
    assert error["code"] == "community.insufficient" and error["details"]["available_fen"] > 0
    base = f"{API}/distributions/{d}"
    approval = {
        "date": "2021-07-01",
        "number": "决1",
        "present": "10",
        "voting_for": "6",
        "scan": (io.BytesIO(b"scan"), "scan.pdf"),
    }
    assert post(client, v1, f"{base}/approval", "a1", data=approval).status_code == 201
    notice = {"place": "公示栏", "notice_from": "2021-07-02"}
    assert post(client, v1, f"{base}/notice", "n1", json=notice).status_code == 201
    assert post(client, v1, f"{base}/finalisation", "f1").status_code == 201
    batch = post(client, v1, f"{base}/batches", "b1")
    assert batch.status_code == 201
    b = batch.get_json()["result"]["batch"]
    read = client.get(f"{base}", headers=county)
    assert read.status_code == 200
    assert [a["household"] for a in read.get_json()["allocations"]] == ["CK001", "CK002", "CK003"]
    assert "6222" not in read.get_data(as_text=True)  # no bank account outside the batch
    assert client.get(f"{base}/batches/{b}", headers=county).status_code == 403
    before = len(audit_entries(engine, "audit.export"))
    bank = client.get(f"{base}/batches/{b}", headers=v1)
    assert bank.status_code == 200
    assert [x["account"] for x in bank.get_json()["lines"]] == [x.bank_account for x in lines(3)]
    assert len(audit_entries(engine, "audit.export")) == before + 1
    division = client.get("/api/v1/community/bureaus/350428", headers=county).get_json()
    (village,) = [v for v in division["villages"] if v["village"] == V1]
    assert (village["shared"], village["retained"], village["pending"]) == (90_000, 10_000, 90_000)


def test_the_public_look_up(client, funded, tokens, engine):
    throttle.reset(engine)
    data = roster_csv(lines(3))
    post(
        client,
        tokens["v1"],
        f"{API}/rosters",
        "s1",
        data={"file": (io.BytesIO(data), "r.csv"), "version": "1"},
    )
    body = {"village": V1, "household": "CK001", "id_last4": lines(3)[0].id_number[-4:]}
    found = post(client, {}, "/api/v1/community/lookup", "l1", json=body)
    assert found.status_code == 200 and found.get_json()["head"].startswith("张")
    assert "*" in found.get_json()["head"]
    wrong = post(client, {}, "/api/v1/community/lookup", "l2", json={**body, "id_last4": "0000"})
    assert wrong.status_code == 404
    statuses = [
        post(client, {}, "/api/v1/community/lookup", f"k{i}", json=body).status_code
        for i in range(10)
    ]
    assert statuses[-1] == 429
    throttle.reset(engine)
