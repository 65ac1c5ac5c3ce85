"""The public verification page with a court's certificate, on both databases: uploaded, the
certificate is found genuine and its five entries are said in Chinese (the case number, the
arithmetic, the tonnes, the references); edited, it fails naming the edit; the QR link of the
assessment shows its contents to whoever holds the certificate, and a leaf-hash look-up shows
nobody the contents of a court's entry."""

from __future__ import annotations

from ledger.judicial.documents import certificate_document
from ledger.receipts.bundle import build, link
from ledger.receipts.issue import Issuer, issue
from ledger.services import keys
from ledger.vault.crypto import ensure_vault_key
from tests.judicial.test_certificate import facts_of, retired_case
from tests.judicial.test_certificate_plain import edit_amount
from tests.receipts.test_views import upload, visible
from tests.web.conftest import app, client  # noqa: F401

PUBLIC_URL = "https://tanhui.example.cn"
#: What the case's entries say, which the page shows only to the certificate's holder.
CONTENTS = (
    "(2023)闽0428刑初45号",
    "福建某林业司法鉴定中心",
    "HXEE-ZX-2023-0088",
    "NYYH-20230605-001",
)


def test_a_certificate_on_the_public_page(app, client):  # noqa: F811
    settings = app.extensions["ledger.settings"]
    engine = app.extensions["ledger.engine"]
    ensure_vault_key(settings)
    retired_case(engine)
    facts = facts_of(engine)
    signer = keys.load_signer(settings.key_path, settings.log_origin)
    issuer = Issuer(signer, settings.log_origin, PUBLIC_URL)
    pdf = issue(engine, issuer, list(facts.entries), certificate_document(facts))

    response = upload(client, pdf, "certificate.pdf")
    assert response.status_code == 200
    page = "".join(visible(response).split())  # labels and values side by side, no colon
    assert "凭证真实有效" in page
    for fact in (
        "案号(2023)闽0428刑初45号",
        "罪名滥伐林木",
        "计算过程1.杉木立木蓄积10m³×0.307×1.634×(1+0.246)×0.520×44/12≈11.9174t",
        "碳汇损失量11.917吨（11,917千克）",
        "取整方式向上取整到整吨",
        "判定数量12.000吨（12,000千克）",
        "缴款凭证号NYYH-20230605-001",
        "核销凭证号HXEE-ZX-2023-0088",
    ):
        assert fact in page, fact
    assert "欧阳春华" not in page  # the defendant by vault code only

    edited = edit_amount(pdf, b"(1,200.00", b"(1,100.00")
    response = upload(client, edited, "certificate.pdf")
    assert response.status_code == 422
    assert "打印内容被改动过" in visible(response)

    assessment = facts.entries[1]
    (bundle,) = build(engine, [assessment], signer, settings.log_origin)
    response = client.get(link(PUBLIC_URL, bundle.entry()).removeprefix(PUBLIC_URL))
    assert response.status_code == 200
    page = "".join(visible(response).split())
    assert "福建某林业司法鉴定中心" in page and "碳汇损失量11.917吨" in page

    response = client.get(f"/public/receipts?leaf_hash={bundle.leaf_hash.hex()}")
    assert response.status_code == 200
    page = visible(response)
    assert f"这是日志的第 {assessment} 号条目。" in page
    for secret in CONTENTS:
        assert secret not in page, secret
