"""A buyer checks a receipt on a phone, in a real browser: the QR link opens the public page
with the verdict and the facts in Chinese; uploading a receipt whose printed amount was edited
shows why it fails; uploading the genuine one shows that it holds and that today's log is
consistent with it. Nothing scrolls sideways; no Content-Security-Policy errors."""

from __future__ import annotations

from ledger.receipts import verify
from ledger.receipts.bundle import link
from ledger.receipts.issue import Issuer, issue
from ledger.services.keys import load_signer
from ledger.services.log import append_batch
from tests.e2e.test_phone import check_layout
from tests.receipts.conftest import SLIP, sale
from tests.receipts.test_verify import edit_visible


def test_a_buyer_opens_the_qr_link_and_uploads_a_tampered_receipt(live_app, page, shot):
    app, base = live_app
    engine = app.extensions["ledger.engine"]
    settings = app.extensions["ledger.settings"]
    signer = load_signer(settings.key_path, settings.log_origin)
    (entry,) = append_batch(engine, [sale("0000042")])
    slip = issue(engine, Issuer(signer, settings.log_origin, base), [entry.seq], SLIP)
    (bundle,) = verify.read(slip).bundles
    qr = link(base, bundle.entry())  # what the printed QR code holds

    page.goto(qr)
    assert page.locator("h1").inner_text() == f"第 {entry.seq} 号条目"
    assert page.get_by_text("已记录在日志中，未被改动。").is_visible()
    assert page.get_by_text("40,845.00 元").first.is_visible()
    assert page.get_by_text("1.500 吨（1,500 千克）").is_visible()
    check_layout(page)
    shot(page, "20-receipt-qr-link-zh")

    tampered = edit_visible(slip, b"(40,845.00", b"(40,845.50")
    page.get_by_label("凭证（PDF 或 receipt.json）").set_input_files(
        {"name": "证书.pdf", "mimeType": "application/pdf", "buffer": tampered}
    )
    page.get_by_role("button", name="核验凭证").click()
    page.wait_for_load_state()
    assert page.get_by_text("这份凭证未通过核验。").is_visible()
    assert page.get_by_text(
        "打印内容被改动过：“金额”印的是“40,845.50元”，但日志记录是“40,845.00元”。"
    ).is_visible()
    check_layout(page)
    shot(page, "21-receipt-tampered-zh")

    page.get_by_label("凭证（PDF 或 receipt.json）").set_input_files(
        {"name": "证书.pdf", "mimeType": "application/pdf", "buffer": slip}
    )
    page.get_by_role("button", name="核验凭证").click()
    page.wait_for_load_state()
    assert page.get_by_text("凭证真实有效：它记录的内容在日志中，未被改动。").is_visible()
    assert page.get_by_text("与凭证所依据的检查点").is_visible()
    check_layout(page)
    shot(page, "22-receipt-genuine-zh")
