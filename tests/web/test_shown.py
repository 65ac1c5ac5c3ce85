"""What people see, held to one standard, through the Flask test client on both databases:
times in Beijing time and labelled so (never a raw ``…T…Z`` in the text), money in 元 and
carbon in 吨 with the kilograms, who recorded an entry in words, verification findings as
sentences in the page's language, proofs readable (the JSON stays for programs), an error
summary at the top of a form that was not accepted, API descriptions with code spans, what
every printed page carries, and each role's home page saying what is not there yet."""

from __future__ import annotations

import hashlib
import html
import io
import re

import pytest

from ledger.accounts import services
from ledger.core.entry import EntryDraft, Posting
from ledger.core.proof import verify_inclusion
from ledger.services.checkpoints import latest_checkpoint, sign_checkpoint
from ledger.services.keys import load_signer
from ledger.services.log import append_batch, read_entries
from ledger.storage.db import read_transaction, write_transaction
from ledger.web.home import css_string
from tests.support.module import PUBLIC_NOTE
from tests.web.conftest import ORIGIN, USERS, csrf_token, sign_in

RAW_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
BEIJING = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d(:\d\d)? 北京时间")


def text(response) -> str:
    return response.get_data(as_text=True)


def shown(page: str) -> str:
    """The text on screen: no head, no folded <details>, no print-only header and footer, no
    tags (attributes go with them)."""
    page = re.sub(r"<(head|details)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'<div class="print-only[^"]*">.*?</div>', " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def signed_in(app, role: str):
    client = app.test_client()
    assert sign_in(client, USERS[role][0]).status_code == 302
    return client


def carbon_sale(engine) -> int:
    """Append a sale moving carbon (kg) and money (fen), sign a checkpoint; its seq."""
    (entry,) = append_batch(
        engine,
        [
            EntryDraft(
                "test.sale",
                {"ticket": "0000001", "price_fen_per_t": 1500},
                "cli:root",
                (
                    Posting("Assets:Buyer:Demo", "CO2E", 12_723_000),
                    Posting("Assets:Village:350428102201:Collective", "CO2E", -12_723_000),
                ),
            )
        ],
    )
    return entry.seq


def sign(app, engine):
    settings = app.extensions["ledger.settings"]
    sign_checkpoint(engine, load_signer(settings.key_path, ORIGIN), ORIGIN)


# --- times ------------------------------------------------------------------------------------


PAGES_WITH_TIMES = {
    None: ["/public/checkpoint", "/public/proof/0"],
    "bureau_county": ["/explorer/", "/explorer/entries/0", "/explorer/verify"],
    "admin": ["/admin/tokens"],
}


@pytest.mark.parametrize("role", list(PAGES_WITH_TIMES))
def test_times_are_shown_in_beijing_time_and_never_raw(app, world, role):
    with write_transaction(app.extensions["ledger.engine"]) as conn:
        services.create_token(conn, world.orgs["county"].id, "对账", created_by=None, actor="t")
    client = signed_in(app, role) if role else app.test_client()
    for path in PAGES_WITH_TIMES[role]:
        page = text(client.get(path))
        assert BEIJING.search(shown(page)), path
        assert not RAW_TIME.search(shown(page)), (path, RAW_TIME.findall(shown(page)))
        assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">', page), path


def test_an_entry_shows_one_time_with_its_seconds(app, engine):
    client = signed_in(app, "bureau_county")
    page = shown(text(client.get("/explorer/entries/0")))
    with read_transaction(engine) as conn:
        (entry,) = read_entries(conn, "main", 0, 1)
    assert len(BEIJING.findall(page)) == 2  # when it was recorded; when the checkpoint was signed
    assert re.search(r"\d\d:\d\d:\d\d 北京时间", page)
    assert entry.time not in page


def test_english_pages_say_beijing_time(app):
    client = signed_in(app, "bureau_county")
    client.get("/prefs/language/en")
    page = shown(text(client.get("/explorer/")))
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d Beijing time", page)
    assert not RAW_TIME.search(page)


# --- amounts ----------------------------------------------------------------------------------


def test_money_in_yuan_and_carbon_in_tonnes_with_kilograms(app, engine):
    seq = carbon_sale(engine)
    village = signed_in(app, "village")
    page = shown(text(village.get("/home")))
    assert "40,845.00 元" in page  # 4,084,500 fen
    # the seeded sale moved 1,000 kg out too: 12,724,000 kg in all
    assert "−12,724.000 吨（−12,724,000 千克）" in page
    assert "¥" not in page and "kg CO2e" not in page

    bureau = signed_in(app, "bureau_county")
    page = shown(text(bureau.get(f"/explorer/entries/{seq}")))
    assert "12,723.000 吨（12,723,000 千克）" in page
    page = shown(text(bureau.get("/explorer/entries/0")))
    assert "−40,845.00 元" in page and "40,845.00 元" in page

    bureau.get("/prefs/language/en")
    page = shown(text(bureau.get(f"/explorer/entries/{seq}")))
    assert "12,723.000 t CO2e (12,723,000 kg)" in page


# --- who recorded an entry --------------------------------------------------------------------


def test_actors_are_shown_in_words(app, engine, world):
    seq = carbon_sale(engine)
    append_batch(engine, [EntryDraft(PUBLIC_NOTE, {"n": 1}, "demo:bureau:350428")])
    client = signed_in(app, "bureau_county")
    page = text(client.get("/explorer/anchor"))
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page)
    key = key or re.search(r'value="([^"]+)"[^>]*name="idempotency_key"', page)
    token = csrf_token(client, "/explorer/anchor")
    anchored = client.post(
        "/explorer/anchor",
        data={
            "csrf_token": token,
            "idempotency_key": key.group(1),
            "title": "决议",
            "document": (io.BytesIO(b"resolution"), "r.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert anchored.status_code == 303
    page = shown(text(client.get("/explorer/")))
    assert "countybureau（将乐县林业局）" in page
    assert "命令行（root）" in page and "演示数据" in page
    assert f"user:{world.users['bureau_county'].id}" not in page
    assert "cli:root" not in page and "demo:bureau" not in page
    assert "命令行（root）" in shown(text(client.get(f"/explorer/entries/{seq}")))


# --- proofs, leaves and findings --------------------------------------------------------------


def test_the_entry_page_shows_no_raw_json_and_links_a_readable_proof(app, engine):
    client = signed_in(app, "bureau_county")
    page = text(client.get("/explorer/entries/0"))
    assert not re.search(r'\{\s*"', shown(page))  # the leaf is folded away in <details>
    assert re.search(r"<details>\s*<summary>显示叶的原文</summary>\s*<pre class=\"leaf\">", page)
    assert "ticket" in shown(page) and "0000001" in shown(page)  # the body, as fields
    assert "salt" not in shown(page)  # the scoped entry's salt means nothing to a person
    assert 'href="/public/proof/0"' in page
    assert 'href="/log/proof/inclusion?seq=0&amp;size=2"' in page  # for programs, said so
    assert "供程序读取（JSON 格式）" in shown(page)


def test_the_public_proof_page_explains_a_proof_that_checks_out(app, engine):
    client = app.test_client()
    response = client.get("/public/proof/1")
    assert response.status_code == 200
    page = text(response)
    assert "第 1 号条目的包含证明" in page and "已核验" in page
    signed = latest_checkpoint(engine)
    with read_transaction(engine) as conn:
        (entry,) = read_entries(conn, "main", 1, 2)
    path = [bytes.fromhex(h) for h in re.findall(r'<li><code class="hash">([0-9a-f]{64})', page)]
    verify_inclusion(entry.leaf_hash, 1, signed.checkpoint.size, path, signed.checkpoint.root)
    assert not re.search(r'\{\s*"', shown(page))
    # A scoped entry (test.purchase): the proof, not its kind or time.
    assert "此条目的内容不公开" in shown(page) and "记录时间" not in shown(page)
    assert client.get("/public/proof/99").status_code == 404

    append_batch(engine, [EntryDraft("test.note", {"n": 1}, "test")])
    page = shown(text(client.get("/public/proof/2")))
    assert "此条目晚于最新的签名检查点（共 2 条），下一个检查点将覆盖它。" in page


def test_document_lookup_links_the_readable_proof(app, engine):
    client = signed_in(app, "bureau_county")
    page = text(client.get("/explorer/anchor"))
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page)
    key = key or re.search(r'value="([^"]+)"[^>]*name="idempotency_key"', page)
    client.post(
        "/explorer/anchor",
        data={
            "csrf_token": csrf_token(client, "/explorer/anchor"),
            "idempotency_key": key.group(1),
            "document": (io.BytesIO(b"minutes"), "m.pdf"),
        },
        content_type="multipart/form-data",
    )
    sign(app, engine)
    sha = hashlib.sha256(b"minutes").hexdigest()
    page = text(app.test_client().get(f"/public/documents?sha256={sha}"))
    seq = re.search(r'href="/public/proof/(\d+)"', page).group(1)
    proof = shown(text(app.test_client().get(f"/public/proof/{seq}")))
    assert "文件存证" in proof and "记录时间" in proof  # a public kind: what and when
    assert "此条目的内容不公开" not in proof
    assert "/log/proof/inclusion" not in page and "/log/entries" not in page
    assert BEIJING.search(shown(page)) and not RAW_TIME.search(shown(page))


def test_verification_findings_are_sentences_in_the_page_language(app):
    client = signed_in(app, "bureau_province")
    token = csrf_token(client, "/explorer/verify")
    bogus = "some.other/log\n3\nAAAA\n\n— nobody AAAA\n"
    page = text(client.post("/explorer/verify", data={"csrf_token": token, "external": bogus}))
    assert "您提供的检查点验证未通过" in shown(page)
    # The code and the technical note stay, folded away and marked as code.
    assert re.search(r"<details><summary>技术细节</summary><p><code>checkpoint\.external: ", page)
    assert "checkpoint.external" not in shown(page)
    assert "does not verify" not in shown(page)

    client.get("/prefs/language/en")
    page = shown(
        text(client.post("/explorer/verify", data={"csrf_token": token, "external": bogus}))
    )
    assert "The checkpoint you gave does not verify" in page


# --- forms ------------------------------------------------------------------------------------


def test_a_refused_form_has_an_error_summary_at_its_top_that_takes_the_focus(app):
    client = signed_in(app, "admin")
    token = csrf_token(client, "/admin/users")
    data = {"csrf_token": token, "username": "", "role": "admin", "org": "", "password": "x"}
    response = client.post("/admin/users", data=data)
    assert response.status_code == 422
    page = text(response)
    form = re.search(
        r'<form method="post" action="/admin/users" class="form"[^>]*>(.*?)</form>', page, re.S
    )
    assert form, "the create-user form"
    inner = form.group(1)
    summary = re.search(
        r'<div class="error-summary" role="alert" tabindex="-1" autofocus>(.*?)</div>', inner, re.S
    )
    assert summary and inner.index("error-summary") < inner.index('name="username"')
    assert 'href="#username"' in summary.group(1) and 'href="#password"' in summary.group(1)
    assert page.count("autofocus") == 1

    page = text(client.get("/admin/users"))
    assert "error-summary" not in page  # nothing wrong, nothing shown


def test_sign_in_refusal_is_in_the_summary(app):
    client = app.test_client()
    response = sign_in(client, "nobody", "wrong password")
    assert response.status_code == 401
    assert re.search(
        r'class="error-summary"[^>]*autofocus>.*用户名或密码错误', text(response), re.S
    )


# --- landing, home pages, API docs, printing --------------------------------------------------


def test_the_landing_page_links_the_checkpoint_page_not_the_raw_note(client):
    page = text(client.get("/"))
    assert 'href="/public/checkpoint"' in page
    assert 'href="/log/checkpoint"' not in page


@pytest.mark.parametrize(
    "role, planned",
    [
        ("village", ["收益分配", "碳汇资产与销售", "凭证"]),
        ("court", ["司法碳汇", "碳汇损失计量", "证明"]),
        ("bureau_county", ["碳汇资产与销售", "审核"]),
        ("admin", ["碳汇资产与销售、收益分配、司法碳汇"]),
    ],
)
def test_each_home_page_says_what_is_not_there_yet(app, role, planned):
    page = shown(text(signed_in(app, role).get("/home")))
    assert "尚未开通的功能" in page and "目前还不能使用" in page
    for name in planned:
        assert name in page, name


def test_api_docs_show_code_spans_as_code(client):
    page = text(client.get("/api/v1/docs"))
    assert "<code>start &lt;= seq &lt; end</code>" in page
    assert "`" not in shown(page)


def test_every_page_carries_a_print_header_and_the_site_address_for_links(client):
    page = text(client.get("/public/receipts?x=1"))
    header = re.search(r'<div class="print-only print-header">(.*?)</div>', page, re.S).group(1)
    assert "碳汇账本" in header
    assert BEIJING.search(shown(header))
    assert "http://localhost/public/receipts?x=1" in html.unescape(header)
    assert '<link rel="stylesheet" href="/print-base.css" media="print">' in page
    css = client.get("/print-base.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert text(css) == ':root { --site: "http://localhost"; }\n'


def test_the_site_address_cannot_break_out_of_its_css_string():
    assert css_string("http://a.example:8080") == '"http://a.example:8080"'
    assert css_string('http://x"}body{display:none') == (
        '"http://x\\22 \\7d body\\7b display:none"'
    )
    assert css_string("http://x\\\n") == '"http://x\\5c \\a "'


def test_accounts_are_shown_in_words_with_the_sign_a_clerk_expects(app, engine):
    legs = (
        Posting("Assets:Village:350428102201:Collective", "CNY", 150_000),
        Posting("Income:Village:350428102201:Grant", "CNY", -150_000),
    )
    append_batch(engine, [EntryDraft("test.sale", {}, "test", legs)])
    client = signed_in(app, "village")
    page = shown(text(client.get("/villages/350428102201")))
    assert "常口村 集体账户" in page
    assert "收入 常口村 Grant" in page  # a component no module names stays as it is
    assert "Assets:Village" not in page and "Income:Village" not in page
    # the income received reads positive, like the money that came in
    assert "−1,500.00 元" not in page and "-1,500.00 元" not in page
    assert page.count("1,500.00 元") >= 1
