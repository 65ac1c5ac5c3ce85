"""The community pages on both databases: the clerk's path from the roster to a finalised
distribution (CSRF, idempotency keys, refusals as translated messages, nothing written on a
bad file), what another village, the bureau and a villager see."""

from __future__ import annotations

import io
import re
import subprocess

from sqlalchemy import func, select

from ledger.community.services import ALLOC_T, DIST_T, MEMBER_T
from ledger.storage.db import read_transaction
from tests.community import lines, roster_csv
from tests.support.world import USERS
from tests.web.conftest import csrf_token, sign_in

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


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", done.stdout.decode())


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


def test_a_villager_looks_up_with_the_last_four_characters(client, login, funded, engine, app):
    from ledger.community import throttle

    throttle.reset(engine)
    login("village")
    save_roster(client, roster_csv(lines(3)))
    client = app.test_client()
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


def results_csv(rows: list[tuple[int, str, str, int, str]], failed: dict[int, str]) -> bytes:
    """The bank's result file for batch ``rows`` (序号, 户名, 账号, 金额 fen, 用途)."""
    out = ["序号,户名,账号,金额,用途,状态,失败原因"]
    for seq, name, account, fen, purpose in rows:
        status, reason = ("失败", failed[seq]) if seq in failed else ("成功", "")
        out.append(
            f"{seq},{name},{account},{fen // 100}.{fen % 100:02d},{purpose},{status},{reason}"
        )
    return ("\n".join(out) + "\n").encode()


def test_payments_through_the_bank_with_one_failure_retried(
    client, login, funded, engine, app, tmp_path
):
    from openpyxl import load_workbook

    from ledger.community import services
    from ledger.vault.crypto import Vault
    from tests.community import ACTOR, RULE
    from tests.web.conftest import audit_entries

    vault = Vault.from_settings(app.extensions["ledger.settings"])
    services.save_roster(engine, vault, V1, lines(3), "ab" * 32, actor=ACTOR, key="r")
    services.add_rule(engine, V1, "R1", "标准规则", RULE, actor=ACTOR, key="rule")
    d = services.draft(
        engine, V1, title="2021年分配", amount_fen=100_000, rule="R1", actor=ACTOR, key="d"
    )
    services.approve(
        engine,
        V1,
        d.distribution,
        services.Resolution("2021-07-01", "决1", 10, 6, b"s"),
        actor=ACTOR,
        key="a",
    )
    services.publish(
        engine, V1, d.distribution, place="公示栏", notice_from="2021-07-02", actor=ACTOR, key="p"
    )
    services.finalise(engine, V1, d.distribution, on="2021-07-10", actor=ACTOR, key="f")
    login("village")
    path = f"{BASE}/{d.distribution}"
    assert client.post(f"{path}/batches", data=form_keys(client, path)).status_code == 302
    batch = f"{d.distribution}-B1"
    before = len(audit_entries(engine, "audit.export"))
    xlsx = client.get(f"{path}/batches/{batch}.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Cache-Control"] == "no-store"
    assert len(audit_entries(engine, "audit.export")) == before + 1
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    rows = [tuple(c.value for c in r) for r in sheet.iter_rows(min_row=2)]
    assert [r[1] for r in rows] == [x.head_name for x in lines(3)]
    assert [r[2] for r in rows] == [x.bank_account for x in lines(3)]
    with read_transaction(engine) as conn:
        amounts = [a.amount_fen for a in services.allocations_of(conn, d.distribution)]
    batch_rows = [
        (i, x.head_name, x.bank_account, amounts[i - 1], "2021年分配")
        for i, x in enumerate(lines(3), 1)
    ]
    # A file that names a line not in the batch is refused whole.
    wrong = results_csv([*batch_rows, (4, "某人", "6222020200112233999", 100, "2021年分配")], {})
    refused = client.post(
        f"{path}/batches/{batch}/results",
        data={**form_keys(client, path), "file": (io.BytesIO(wrong), "r.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "序号 4" in refused.get_data(as_text=True)
    good = results_csv(batch_rows, {2: "户名与账号不符"})
    posted = client.post(
        f"{path}/batches/{batch}/results",
        data={**form_keys(client, path), "file": (io.BytesIO(good), "r.csv")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:600]
    page = client.get(path).get_data(as_text=True)
    assert "户名与账号不符" in page and "支付失败" in page
    key = re.search(r'name="b-CK002-idempotency_key"[^>]*value="([^"]+)"', page).group(1)
    fixed = client.post(
        f"{BASE}/households/CK002/bank?back={d.distribution}",
        data={
            "csrf_token": csrf_token(client, path),
            "b-CK002-idempotency_key": key,
            "b-CK002-bank_account": "6222 0202 0011 2299 002",
        },
    )
    assert fixed.status_code == 302
    assert client.post(f"{path}/batches", data=form_keys(client, path)).status_code == 302
    second = f"{d.distribution}-B2"
    retry = results_csv(
        [(1, lines(3)[1].head_name, "6222020200112299002", amounts[1], "2021年分配")], {}
    )
    assert (
        client.post(
            f"{path}/batches/{second}/results",
            data={**form_keys(client, path), "file": (io.BytesIO(retry), "r.csv")},
            content_type="multipart/form-data",
        ).status_code
        == 302
    )
    with read_transaction(engine) as conn:
        picture = services.money(conn, V1)
    assert (picture.paid, picture.pending) == (90_000, 0)
    # The paid household's slip and the distribution's notice, verified on the public page.
    slip = client.get(f"{path}/slips/CK002.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    text = pdf_text(slip.data, tmp_path)
    assert "收益分配到户凭证" in text and "CK002" in text and "已支付" in text
    assert f"{amounts[1] // 100:,}.{amounts[1] % 100:02d}" in text
    assert lines(3)[1].head_name not in text and lines(3)[1].id_number not in text
    notice = client.get(f"{path}/notice.pdf")
    assert notice.status_code == 200
    text = pdf_text(notice.data, tmp_path)
    assert "收益分配公示表" in text and all(f"CK00{i}" in text for i in (1, 2, 3))
    public = app.test_client()
    token = csrf_token(public, "/public/receipts")
    checked = public.post(
        "/public/receipts",
        data={"csrf_token": token, "receipt": (io.BytesIO(slip.data), "slip.pdf")},
        content_type="multipart/form-data",
    )
    assert checked.status_code == 200, checked.get_data(as_text=True)[:800]
    # Another village's clerk, or its county's bureau, cannot download the batch.
    for who in ("village_other", "bureau_county"):
        other = app.test_client()
        assert sign_in(other, USERS[who][0]).status_code == 302
        assert other.get(f"{path}/batches/{batch}.csv").status_code == 403
