"""The community pages on both databases: the clerk's path from the roster to a finalised
distribution (CSRF, idempotency keys, refusals as translated messages, nothing written on a
bad file), what another village, the bureau and a villager see."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from ledger.community.services import ALLOC_T, DIST_T, MEMBER_T
from ledger.storage.db import read_transaction
from tests.community import lines, roster_csv
from tests.web.conftest import csrf_token

V1 = "350428102201"
BASE = f"/villages/{V1}/sharing"
KEY_RE = re.compile(
    r'name="idempotency_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="idempotency_key"'
)
HIDDEN_RE = re.compile(r'<input[^>]*name="(data|version)"[^>]*value="([^"]*)"')


def form_keys(client, path: str) -> dict[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    key = KEY_RE.search(page.get_data(as_text=True))
    return {"csrf_token": csrf_token(client, path), "idempotency_key": key.group(1) or key.group(2)}


def count(engine, table) -> int:
    with read_transaction(engine) as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def upload_roster(client, data: bytes):
    path = f"{BASE}/roster"
    return client.post(
        path,
        data={**form_keys(client, path), "file": (io.BytesIO(data), "roster.csv")},
        content_type="multipart/form-data",
    )


def save_roster(client, data: bytes):
    page = upload_roster(client, data)
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text[:800]
    hidden = dict(HIDDEN_RE.findall(text))
    key = KEY_RE.findall(text)[-1]
    return client.post(
        f"{BASE}/roster/save",
        data={
            "csrf_token": csrf_token(client, f"{BASE}/roster"),
            "idempotency_key": key[0] or key[1],
            **hidden,
        },
    )


def test_a_bad_roster_names_every_line_and_writes_nothing(client, login, funded, engine):
    login("village")
    rows = roster_csv(lines(3)).decode().splitlines()
    rows[2] = rows[2].replace(",3,", ",三,")  # members not a number (line 3)
    rows[3] = rows[3].replace("是", "也许").replace("否", "也许")  # low_income (line 4)
    page = upload_roster(client, ("\n".join(rows) + "\n").encode())
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert (
        '<td class="num" data-label="行号">3</td>' in text.replace("Line", "行号") or ">3<" in text
    )
    assert ">4<" in text
    assert count(engine, MEMBER_T) == 0


def test_the_clerk_takes_a_distribution_to_finalised(client, login, funded, engine):
    login("village")
    saved = save_roster(client, roster_csv(lines(3)))
    assert saved.status_code == 302
    assert count(engine, MEMBER_T) == 3
    # A second version shows what changed before saving.
    changed = lines(4)
    page = upload_roster(client, roster_csv(changed[1:]))
    text = page.get_data(as_text=True)
    assert "CK004" in text and "CK001" in text and "版本 2" in text

    rule = f"{BASE}/rules/new"
    data = {
        **form_keys(client, rule),
        "rule": "R1",
        "name": "标准规则",
        "retention_pct": "10",
        "low_income_pct": "5",
        "per_capita": "50",
        "per_household": "30",
        "by_area": "20",
    }
    assert client.post(rule, data=data).status_code == 302

    new = f"{BASE}/new"
    too_much = {**form_keys(client, new), "title": "2021年分配", "amount": "99999999", "rule": "R1"}
    refused = client.post(new, data=too_much)
    assert refused.status_code == 409
    assert "少于" in refused.get_data(as_text=True) or "less than" in refused.get_data(as_text=True)
    data = {**form_keys(client, new), "title": "2021年分配", "amount": "1000", "rule": "R1"}
    drafted = client.post(new, data=data)
    assert drafted.status_code == 302
    path = drafted.headers["Location"]
    d = path.rsplit("/", 1)[1]
    page = client.get(path).get_data(as_text=True)
    assert "CK001" in page and "张" in page and "*" in page  # masked head names
    assert "Assets:" not in page and "<script" not in page

    approve = {
        **form_keys(client, path),
        "date": "2021-07-01",
        "number": "常村决〔2021〕3号",
        "present": "40",
        "voting_for": "15",
        "scan": (io.BytesIO(b"scan"), "r.pdf"),
    }
    minority = client.post(f"{path}/approve", data=approve, content_type="multipart/form-data")
    assert minority.status_code == 422
    approve.update(form_keys(client, path), voting_for="31", scan=(io.BytesIO(b"scan"), "r.pdf"))
    assert (
        client.post(f"{path}/approve", data=approve, content_type="multipart/form-data").status_code
        == 302
    )
    publish = {**form_keys(client, path), "notice_from": "2021-07-02", "place": "村委会公示栏"}
    assert client.post(f"{path}/publish", data=publish).status_code == 302
    objection = {
        **form_keys(client, path),
        "household": "CK002",
        "raised_on": "2021-07-03",
        "summary": "面积有误",
    }
    assert client.post(f"{path}/objections", data=objection).status_code == 302
    page = client.get(path).get_data(as_text=True)
    key = re.search(r'name="a1-idempotency_key"[^>]*value="([^"]+)"', page).group(1)
    answer = {
        "csrf_token": csrf_token(client, path),
        "a1-idempotency_key": key,
        "a1-answer": "已核实，面积无误",
    }
    assert client.post(f"{path}/objections/1/answer", data=answer).status_code == 302
    assert client.post(f"{path}/finalise", data=form_keys(client, path)).status_code == 302
    with read_transaction(engine) as conn:
        state = conn.execute(select(DIST_T.c.state).where(DIST_T.c.distribution == d)).scalar()
        total = conn.execute(select(func.sum(ALLOC_T.c.amount_fen))).scalar()
    assert state == "finalised" and total == 90_000
    assert "已定案" in client.get(path).get_data(as_text=True) or "finalised" in client.get(
        path
    ).get_data(as_text=True)


def test_another_village_cannot_see(client, login, funded):
    login("village_other")
    assert client.get(BASE).status_code == 403


def test_the_bureau_reads_but_cannot_write(client, login, funded):
    login("bureau_county")
    assert client.get(BASE).status_code == 200
    assert client.get(f"{BASE}/roster").status_code == 403
    assert client.get("/bureaus/350428/sharing").status_code == 200


def test_a_villager_looks_up_with_the_last_four_characters(client, login, funded, engine):
    login("village")
    save_roster(client, roster_csv(lines(3)))
    client.delete_cookie("session")
    page = client.get("/sharing/lookup")
    assert page.status_code == 200 and "常口村" in page.get_data(as_text=True)
    last4 = lines(3)[0].id_number[-4:]
    data = {
        "csrf_token": csrf_token(client, "/sharing/lookup"),
        "village": V1,
        "household": "CK001",
        "id_last4": last4,
    }
    found = client.post("/sharing/lookup", data=data)
    assert found.status_code == 200, found.get_data(as_text=True)[:600]
    assert "CK001" in found.get_data(as_text=True)
    wrong = client.post("/sharing/lookup", data={**data, "id_last4": "0000"})
    assert wrong.status_code == 404
