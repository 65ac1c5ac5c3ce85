"""``carbon-ledger receipt verify``, with no database: it passes a receipt as issued and says
what the entry states; it fails (exit 1, with the reason) after any single byte of the
embedded bundle changes, after the visible amount is edited, with another log's key, with a
checkpoint that does not cover the entry, and when the printed fields are no longer bound."""

from __future__ import annotations

import base64
import io
import json
import shutil

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject

from ledger.cli import main
from ledger.core.canonical import canonical_json
from ledger.core.note import Signer
from ledger.receipts import pdf, verify
from ledger.receipts.bundle import Bundle, ReceiptError, decode, encode
from ledger.services.checkpoints import latest_checkpoint, sign_checkpoint
from ledger.services.log import append_batch
from ledger.storage.db import make_engine
from tests.receipts.conftest import ORIGIN, PUBLIC_URL, SLIP, sale, write


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["receipt", "verify", *args], env=env)


def vkey(book) -> str:
    return book.signer.verifier_key()


@pytest.fixture(scope="module")
def parts(book):
    """The slip without its attachment, and its receipt.json."""
    return pdf.layout(SLIP, book.bundles(book.sale), public_url=PUBLIC_URL, embed=False)


def attach(data: bytes, receipt_json: bytes) -> bytes:
    """``data`` with ``receipt_json`` attached as ``receipt.json`` (by pypdf, another writer
    than the one receipts use)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.add_attachment("receipt.json", receipt_json)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def edit_visible(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with the first ``old`` in its first page's content stream replaced by ``new``."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    page = writer.pages[0]
    stream = page.get_contents().get_data()
    assert old in stream
    edited = DecodedStreamObject()
    edited.set_data(stream.replace(old, new, 1))
    page.replace_contents(edited)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- it passes --------------------------------------------------------------------------------


def test_a_receipt_as_issued_verifies_and_says_what_it_proves(book, slip, tmp_path):
    path = write(tmp_path, "slip.pdf", slip)
    result = run(str(path), "--vkey", vkey(book))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("核验通过：凭证真实有效，证明了 1 条日志记录。")
    for fact in (
        "条目序号：0",
        "记录类型：Test record",
        "记录人：user:7",
        "金额：40,845.00 元",
        "付款方：Buyer Demo",
        "收款方：村 350428102201 集体账户",
        "碳量：1.500 吨（1,500 千克）",
        "北京时间",
        "打印内容与日志记录一致（核对了 11 项）",
    ):
        assert fact in out, fact
    english = run(str(path), "--vkey", vkey(book), "--lang", "en")
    assert english.exit_code == 0 and "Paid to: village 350428102201 collective account" in (
        english.output
    )


def test_receipt_json_alone_verifies_and_the_kinds_description_is_used(book, tmp_path):
    path = write(tmp_path, "receipt.json", encode(book.bundles(book.payout)))
    result = run(str(path), "--vkey", vkey(book))
    assert result.exit_code == 0, result.output
    assert "农户：H-3F9A" in result.output and "支付金额：123.45 元" in result.output
    assert "打印内容" not in result.output  # no page text to check


def test_the_key_comes_from_a_file_a_pem_or_the_instance(book, slip, tmp_path):
    path = write(tmp_path, "slip.pdf", slip)
    key_file = write(tmp_path, "log.vkey", (vkey(book) + "\n").encode())
    assert run(str(path), "--vkey", str(key_file)).exit_code == 0
    pem = write(tmp_path, "pub.pem", book.signer.verifier().pem())
    assert run(str(path), "--vkey", str(pem)).exit_code == 0
    instance = tmp_path / "instance"
    (instance / "keys").mkdir(parents=True)
    (instance / "keys" / "checkpoint-ed25519.pem").write_bytes(
        book.signer.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    env = {"LEDGER_INSTANCE_PATH": str(instance), "LEDGER_LOG_ORIGIN": ORIGIN}
    result = run(str(path), env=env)
    assert result.exit_code == 0, result.output
    nowhere = {"LEDGER_INSTANCE_PATH": str(tmp_path / "none")}
    result = run(str(path), env=nowhere)
    assert result.exit_code == 1 and "no trusted key: give --vkey" in result.output


# --- it fails ---------------------------------------------------------------------------------


def test_another_logs_key_fails(slip, tmp_path):
    path = write(tmp_path, "slip.pdf", slip)
    for other in (Signer.generate(ORIGIN), Signer.generate("another.example.cn/log")):
        result = run(str(path), "--vkey", other.verifier_key())
        assert result.exit_code == 1
        assert "核验未通过：凭证中的检查点不是用本账本的密钥签名的" in result.output


def test_a_receipt_signed_by_another_log_fails_with_our_key(book, tmp_path):
    forger = Signer.generate(ORIGIN)  # same name, another key
    (bundle,) = book.bundles(book.sale)
    text = bundle.checkpoint.split("\n\n")[0] + "\n"
    from ledger.core.note import sign_note

    forged = Bundle(
        bundle.leaf, bundle.leaf_index, bundle.tree_size, bundle.inclusion, sign_note(text, forger)
    )
    path = write(tmp_path, "forged.json", encode([forged]))
    result = run(str(path), "--vkey", vkey(book))
    assert result.exit_code == 1 and "不是用本账本的密钥签名的" in result.output


def test_a_checkpoint_that_does_not_cover_the_entry_fails(book, tmp_path):
    (bundle,) = book.bundles(book.sale2)
    old_note = latest_checkpoint(book.engine).note
    small = ORIGIN + "\n2\n" + base64.b64encode(bytes(32)).decode() + "\n"
    from ledger.core.note import sign_note

    short = sign_note(small, book.signer)  # a genuine signature over a tree of 2 entries
    for bad in (
        Bundle(bundle.leaf, bundle.leaf_index, 2, bundle.inclusion, short),
        Bundle(bundle.leaf, bundle.leaf_index, bundle.tree_size, bundle.inclusion, short),
    ):
        result = run(str(write(tmp_path, "short.json", encode([bad]))), "--vkey", vkey(book))
        assert result.exit_code == 1, result.output
        assert "凭证中的检查点（共 2 条）不包含第 3 号条目" in result.output
    assert old_note == bundle.checkpoint


def test_an_edited_visible_amount_fails(book, slip, tmp_path):
    edited = edit_visible(slip, b"(40,845.00", b"(40,845.50")
    path = write(tmp_path, "edited.pdf", edited)
    assert "40,845.50" in PdfReader(path).pages[0].extract_text()  # the edit took
    result = run(str(path), "--vkey", vkey(book))
    assert result.exit_code == 1
    assert "打印内容被改动过：“金额”印的是“40,845.50元”，但日志记录是“40,845.00元”" in result.output


def test_an_edited_ticket_number_fails(book, slip, tmp_path):
    path = write(tmp_path, "edited.pdf", edit_visible(slip, b"(0000001)", b"(0000002)"))
    result = run(str(path), "--vkey", vkey(book))
    assert result.exit_code == 1 and "“票号”印的是“0000002”" in result.output


def test_a_cut_down_printed_list_fails(book, parts, tmp_path):
    base, data = parts
    obj = json.loads(data)
    obj["printed"] = [p for p in obj["printed"] if p["pointer"] != "/leaf/postings/3/amount"]
    result = run(
        str(write(tmp_path, "cut.pdf", attach(base, canonical_json(obj)))), "--vkey", vkey(book)
    )
    assert result.exit_code == 1 and "没有注明条目的全部关键信息" in result.output
    assert "nothing binds the CO2E amount" in result.output


def test_a_pdf_without_receipt_json_or_not_a_receipt_fails(book, parts, tmp_path):
    base, _ = parts
    result = run(str(write(tmp_path, "bare.pdf", base)), "--vkey", vkey(book))
    assert result.exit_code == 1 and "没有附带证明" in result.output
    result = run(str(write(tmp_path, "notes.txt", b"hello")), "--vkey", vkey(book))
    assert result.exit_code == 1 and "既不是凭证 PDF" in result.output
    result = run(str(tmp_path / "missing.pdf"), "--vkey", vkey(book))
    assert result.exit_code == 1 and "核验未通过" in result.output


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_changed_in_the_embedded_bundle_fails(book, parts, data):
    base, good = parts
    keys = [book.signer.verifier()]
    position = data.draw(st.integers(0, len(good) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != good[position]), label="byte")
    bad = good[:position] + bytes([value]) + good[position + 1 :]
    with pytest.raises(ReceiptError):
        verify.verify(attach(base, bad), keys)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_changed_in_receipt_json_fails(book, data):
    good = encode(book.bundles(book.sale))
    keys = [book.signer.verifier()]
    position = data.draw(st.integers(0, len(good) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != good[position]), label="byte")
    with pytest.raises(ReceiptError):
        verify.verify(good[:position] + bytes([value]) + good[position + 1 :], keys)


def test_the_unchanged_parts_verify(book, parts):
    base, good = parts
    (item,) = verify.verify(attach(base, good), [book.signer.verifier()])
    assert item.entry.seq == book.sale
    assert decode(good)[0].leaf_index == book.sale


# --- online: today's log must extend the receipt's checkpoint ---------------------------------


@pytest.fixture
def serve(tmp_path):
    """``serve(engine)``: the app over ``engine``'s database, in a thread; its base URL."""
    import threading

    from werkzeug.serving import make_server

    from tests.web.conftest import make_app

    servers = []

    def start(url: str) -> str:
        app = make_app(url, tmp_path / f"instance{len(servers)}")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((server, app))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, app in servers:
        server.shutdown()
        app.extensions["ledger.engine"].dispose()


def test_online_the_log_must_still_extend_the_receipt(book, slip, serve, sqlite_template, tmp_path):
    path = write(tmp_path, "slip.pdf", slip)
    url = serve(str(book.engine.url))
    append_batch(book.engine, [sale("0000003")])
    sign_checkpoint(book.engine, book.signer, ORIGIN)
    result = run(str(path), "--vkey", vkey(book), "--online", url)
    assert result.exit_code == 0, result.output
    size = latest_checkpoint(book.engine).checkpoint.size
    assert f"在线核验：今天的日志（{size} 条）与凭证所依据的检查点（4 条）一致。" in result.output

    # Another history signed with the same key: the receipt alone still verifies, online not.
    shutil.copyfile(sqlite_template, tmp_path / "rewritten.db")
    rewritten = make_engine(f"sqlite:///{tmp_path / 'rewritten.db'}")
    append_batch(rewritten, [sale(f"{n:07d}") for n in range(6)])
    sign_checkpoint(rewritten, book.signer, ORIGIN)
    result = run(str(path), "--vkey", vkey(book), "--online", serve(str(rewritten.url)))
    assert result.exit_code == 1
    assert "今天的日志与凭证中的检查点不一致：凭证开具之后，日志被改写过。" in result.output
    rewritten.dispose()

    result = run(str(path), "--vkey", vkey(book), "--online", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "无法连接服务器核验" in result.output
    result = run(str(path), "--vkey", vkey(book), "--online", "file:///etc/passwd")
    assert result.exit_code == 1 and "is not an http(s) address" in result.output
    book.engine.dispose()


# --- receipt issue ----------------------------------------------------------------------------


def test_receipt_issue_writes_a_pdf_or_a_bundle_that_verifies_with_the_instance_key(
    instance, engine, tmp_path
):
    append_batch(engine, [sale("0000005"), sale("0000006")])
    runner = CliRunner()
    out = tmp_path / "r.pdf"
    result = runner.invoke(main, ["receipt", "issue", "0", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert latest_checkpoint(engine).checkpoint.size == 2  # signed for the receipt
    checked = run(str(out))  # the instance's own key
    assert checked.exit_code == 0, checked.output
    assert "证明了 2 条日志记录" in checked.output and "(2) 条目序号" not in checked.output
    bundle = tmp_path / "r.json"
    assert runner.invoke(main, ["receipt", "issue", "1", "-o", str(bundle)]).exit_code == 0
    assert run(str(bundle)).exit_code == 0
    refused = runner.invoke(main, ["receipt", "issue", "7", "-o", str(tmp_path / "x.pdf")])
    assert refused.exit_code == 2 and "the log has no entry 7 yet" in refused.output
    assert not (tmp_path / "x.pdf").exists()
