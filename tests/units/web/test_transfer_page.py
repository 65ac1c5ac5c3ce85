"""The bureau's transfer form, on both databases: a quantity moves the holder's lowest serials
(常口村 holds 0000001's serials 401–1000: 1–300 were sold, 301–400 are pledged), typed serial
ranges move exactly those; pledged serials are refused in Chinese, naming the serials and the
pledge's entry, and nothing is written; a quantity and serials together, or a malformed range,
are refused; only the county bureau's own staff transfer, and only within its division."""

from __future__ import annotations

from sqlalchemy import select

from ledger.storage.db import read_transaction
from ledger.units.model import village_account
from ledger.units.projection import HOLDING_T
from tests.storage.writer import table_state
from tests.units import HUAWEI, OWNER
from tests.units.web.conftest import PROJECT
from tests.units.web.test_pages import form_keys

PATH = f"/bureaus/350428/carbon/projects/{PROJECT}/transfer"
YUFANG = "350428102202"


def post(client, **fields):
    data = {
        **form_keys(client, PATH),
        "holder": OWNER,
        "date": "2024-06-01",
        "to_kind": "village",
        "to_village": YUFANG,
        **fields,
    }
    return client.post(PATH, data=data)


def pieces(engine, holder: str) -> list[list]:
    """The serial ranges ``holder`` holds (not pledged, not retired), from the projection."""
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(HOLDING_T.c.first, HOLDING_T.c.last)
            .where(HOLDING_T.c.holder == holder, HOLDING_T.c.state == "held")
            .order_by(HOLDING_T.c.first)
        )
        return [list(r) for r in rows]


def test_a_quantity_moves_the_lowest_serials(client, login, units, engine):
    login("bureau_county")
    page = client.get(PATH)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "转让碳汇" in text and 'name="csrf_token"' in text and "常口村 集体账户" in text
    done = post(client, quantity="50", ref="HT-2024-01")
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    project_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "碳汇已转让（条目" in project_page
    assert pieces(engine, village_account(YUFANG)) == [[401, 450]]


def test_typed_serials_move_exactly_those(client, login, units, engine):
    login("bureau_county")
    done = post(
        client,
        serials=f"{units.lot} 900-909\n{units.lot}：950",
        to_kind="company",
        to_village="",
        to_code=HUAWEI,
        to_name="华为技术有限公司",
    )
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    assert [900, 909] in pieces(engine, f"Assets:Company:{HUAWEI}")
    assert [950, 950] in pieces(engine, f"Assets:Company:{HUAWEI}")


def test_pledged_serials_are_refused_naming_them(client, login, units, engine):
    login("bureau_county")
    before = table_state(engine)
    refused = post(client, serials=f"{units.lot} 350-360")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "这些序号不可用：" in text and f"请查看条目 {units.pledge_seq}。" in text
    assert "350" in text and "360" in text
    assert table_state(engine) == before


def test_bad_requests_are_refused_in_chinese(client, login, units, engine):
    login("bureau_county")
    before = table_state(engine)
    both = post(client, quantity="5", serials=f"{units.lot} 900-909")
    assert both.status_code == 422
    assert "请填写转让数量或序号，二者只填其一。" in both.get_data(as_text=True)
    neither = post(client)
    assert neither.status_code == 422
    malformed = post(client, serials="900 to 909 please")
    assert malformed.status_code == 422
    assert "请按批次、起始序号和终止序号填写序号区间。" in malformed.get_data(as_text=True)
    too_many = post(client, quantity="5000")
    assert too_many.status_code in (409, 422)
    assert "可用" in too_many.get_data(as_text=True)
    nowhere = post(client, quantity="5", to_village="")
    assert nowhere.status_code == 422
    assert table_state(engine) == before


def test_only_the_countys_own_staff_transfer_within_its_division(client, login, units):
    login("bureau_province")
    assert client.get(PATH).status_code == 403
    other = client.application.test_client()
    from tests.web.conftest import USERS, sign_in

    assert sign_in(other, USERS["bureau_other"][0]).status_code == 302
    assert other.get(PATH).status_code == 403
    assert other.get(f"/bureaus/350403/carbon/projects/{PROJECT}/transfer").status_code == 404
