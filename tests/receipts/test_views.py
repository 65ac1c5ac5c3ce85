"""The public verification page, on both databases: an uploaded receipt (PDF or JSON) gets the
verdict and the facts in Chinese, and whether today's checkpoint is consistent with the
receipt's; a tampered one says why it fails; a bare leaf hash shows only where the entry is,
never a scoped entry's contents; the QR link shows them only with the secret, to anyone who
has it, signed in or not."""

from __future__ import annotations

import io
import re
import secrets
import shutil

import pytest

from ledger.core.note import Signer
from ledger.receipts import verify
from ledger.receipts.bundle import build, encode, link
from ledger.receipts.issue import Issuer, issue
from ledger.services import keys
from ledger.services.log import append_batch
from ledger.storage.db import make_engine
from tests.receipts.conftest import ORIGIN, PUBLIC_URL, SLIP, public_note, sale
from tests.receipts.test_verify import edit_visible
from tests.web.conftest import USERS, app, client, csrf_token, sign_in, world  # noqa: F401

#: What the scoped sale says, which no one without its receipt may read on the page.
CONTENTS = ("40,845.00", "0000009", "Test record", "买方", "付款方", "1.500 吨")


@pytest.fixture
def web(app):  # noqa: F811
    engine = app.extensions["ledger.engine"]
    settings = app.extensions["ledger.settings"]
    signer = keys.load_signer(settings.key_path, ORIGIN)
    sale_seq, note_seq = (e.seq for e in append_batch(engine, [sale("0000009"), public_note()]))
    issuer = Issuer(signer, ORIGIN, PUBLIC_URL)
    return engine, issuer, sale_seq, note_seq


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def upload(client, data: bytes, name: str = "receipt.pdf"):  # noqa: F811
    token = csrf_token(client, "/public/receipts")
    return client.post(
        "/public/receipts",
        data={"csrf_token": token, "receipt": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_uploaded_receipt_gets_the_verdict_the_facts_and_todays_consistency(client, web):  # noqa: F811
    engine, issuer, sale_seq, _ = web
    slip = issue(engine, issuer, [sale_seq], SLIP)
    printed_at = verify.read(slip).bundles[0].tree_size
    append_batch(engine, [sale("0000010")])  # the log grows after the receipt was printed
    from ledger.services.checkpoints import sign_checkpoint

    today = sign_checkpoint(engine, issuer.signer, ORIGIN)
    response = upload(client, slip)
    assert response.status_code == 200
    page = visible(response)
    assert "凭证真实有效：它记录的内容在日志中，未被改动。" in page
    assert "打印内容与日志记录一致（核对了 11 项）" in page
    assert (
        f"今天的日志（{today.checkpoint.size} 条）与凭证所依据的检查点（{printed_at} 条）一致"
        in page
    )
    for fact in (
        "40,845.00 元",
        "常口村 集体账户",
        "1.500 吨（1,500 千克）",
        "北京时间",
    ):
        assert fact in page, fact

    receipt_json = encode(build(engine, [sale_seq], issuer.signer, ORIGIN))
    response = upload(client, receipt_json, "receipt.json")
    assert response.status_code == 200 and "凭证真实有效" in visible(response)
    assert "打印内容与日志记录一致" not in visible(response)


def test_a_tampered_receipt_says_why_it_fails(client, web, tmp_path):  # noqa: F811
    engine, issuer, sale_seq, _ = web
    slip = issue(engine, issuer, [sale_seq], SLIP)
    edited = edit_visible(slip, b"(40,845.00", b"(40,845.50")
    response = upload(client, edited)
    assert response.status_code == 422
    page = visible(response)
    assert "这份凭证未通过核验。" in page
    assert "打印内容被改动过：“金额”印的是“40,845.50元”，但日志记录是“40,845.00元”。" in page
    assert "凭证真实有效" not in page

    for junk in (b"%PDF-1.4 not really", b"hello", b"{}"):
        response = upload(client, junk, "x.pdf")
        assert response.status_code == 422, junk
        assert "这份凭证未通过核验。" in visible(response)
    assert "这个文件既不是凭证 PDF，也不是 receipt.json 证明文件。" in visible(
        upload(client, b"hello", "x.txt")
    )
    assert "凭证附带的证明已损坏或被改动过" in visible(upload(client, b"{}", "x.json"))


def _other_log(sqlite_template, path, signer) -> bytes:
    """A slip for entry 1 of another history of three sales, signed by ``signer``."""
    shutil.copyfile(sqlite_template, path)
    other = make_engine(f"sqlite:///{path}")
    append_batch(other, [sale("0000001"), sale("0000002"), sale("0000003")])
    data = issue(other, Issuer(signer, ORIGIN, PUBLIC_URL), [1], SLIP)
    other.dispose()
    return data


def test_a_receipt_of_another_log_fails(client, web, sqlite_template, tmp_path):  # noqa: F811
    _, issuer, _, _ = web
    foreign = _other_log(sqlite_template, tmp_path / "a.db", Signer.generate(ORIGIN))
    response = upload(client, foreign)
    assert response.status_code == 422
    assert "凭证中的检查点不是用本账本的密钥签名的" in visible(response)

    # The same key over another history: the receipt holds, but today's log does not extend it.
    rewritten = _other_log(sqlite_template, tmp_path / "b.db", issuer.signer)
    response = upload(client, rewritten)
    page = visible(response)
    assert response.status_code == 200
    assert "警告：凭证开具之后，日志被改动过。" in page
    assert "今天的日志与凭证中的检查点不一致" in page


def test_a_leaf_hash_look_up_shows_where_but_never_the_contents(client, web):  # noqa: F811
    engine, issuer, sale_seq, _ = web
    (bundle,) = build(engine, [sale_seq], issuer.signer, ORIGIN)
    response = client.get(f"/public/receipts?leaf_hash={bundle.leaf_hash.hex().upper()}")
    assert response.status_code == 200
    page = visible(response)
    assert f"这是日志的第 {sale_seq} 号条目。" in page
    assert f"今天签名的检查点（共 {bundle.tree_size} 条）包含它。" in page
    for secret in CONTENTS:
        assert secret not in page, secret
    assert link(PUBLIC_URL, bundle.entry()).rsplit("/", 1)[1] not in text(response)

    response = client.get(f"/public/receipts?leaf_hash={'ab' * 32}")
    assert response.status_code == 200 and "日志中没有叶哈希为此值的条目。" in visible(response)
    response = client.get("/public/receipts?leaf_hash=xyz")
    assert response.status_code == 422 and "叶哈希是 64 位十六进制数字" in visible(response)


ROLES = (None, "village_other", "admin", "bureau_other")


@pytest.mark.parametrize("role", ROLES)
def test_the_qr_link_shows_the_entry_to_whoever_holds_the_secret(app, client, web, role):  # noqa: F811
    engine, issuer, sale_seq, note_seq = web
    if role is not None:
        assert sign_in(client, USERS[role][0]).status_code == 302
    (bundle,) = build(engine, [sale_seq], issuer.signer, ORIGIN)
    path = link(PUBLIC_URL, bundle.entry()).removeprefix(PUBLIC_URL)
    response = client.get(path)
    assert response.status_code == 200
    page = visible(response)
    assert f"第 {sale_seq} 号条目" in page and "已记录在日志中，未被改动。" in page
    for fact in ("40,845.00 元", "Buyer Demo", "1.500 吨（1,500 千克）"):
        assert fact in page, fact

    secret = path.rsplit("/", 1)[1]
    guesses = [
        f"/public/receipts/{sale_seq}",
        f"/public/receipts/{sale_seq}/{secrets.token_urlsafe(16)}",
        f"/public/receipts/{sale_seq}/{secret[:-1]}",
        f"/public/receipts/{sale_seq + 100}/{secret}",
        f"/public/receipts/{note_seq}/{secret}",
    ]
    for guess in guesses:
        response = client.get(guess)
        assert response.status_code == 404, guess
        page = visible(response)
        assert "没有这个凭证链接" in page
        for fact in CONTENTS:
            assert fact not in page, (guess, fact)

    response = client.get(f"/public/receipts/{note_seq}")  # a public entry needs no secret
    assert response.status_code == 200
    assert f"第 {note_seq} 号条目" in visible(response) and "记录内容" in visible(response)
