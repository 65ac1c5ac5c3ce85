"""Receipt PDFs read with the standard tools: pdftotext shows the Chinese fields, the amount in
figures and in 大写, the Beijing date, the leaf hash and the checkpoint size; pdffonts shows
every font embedded (as a subset); pdfdetach extracts receipt.json, which is the bundle; the
same inputs give the same bytes; a long table runs over several A4 pages with its headings
repeated; the font covers GB 2312."""

from __future__ import annotations

import json
import re

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFontFile

from ledger import formatting
from ledger.receipts import pdf
from ledger.receipts.bundle import decode, link, link_secret
from ledger.receipts.pdf import Bound, Document, Field
from tests.receipts.conftest import FEN, KG, PUBLIC_URL, SLIP, long_table, tool, write


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdftotext_shows_the_chinese_fields_and_both_amounts(book, slip, tmp_path):
    text = compact(tool("pdftotext", "-layout", str(write(tmp_path, "slip.pdf", slip)), "-"))
    (bundle,) = book.bundles(book.sale)
    entry = bundle.entry()
    day = formatting.parse_utc(entry.time).astimezone(formatting.BEIJING).date()
    for expected in (
        "碳汇收益凭证",
        "将乐县常口村（测试）",
        "买方：福州某科技有限公司（测试）",
        "金额：40,845.00 元",
        "金额大写：人民币肆万零捌佰肆拾伍元整",
        "碳量：1.500 吨",
        f"日期：{day.year}年{day.month}月{day.day}日",
        "票号：0000001",
        "核验信息",
        f"条目序号：{entry.seq}",
        "记录金额：40,845.00 元",
        "记录碳量：1.500 吨",
        f"叶哈希：{entry.leaf_hash.hex()}",
        f"检查点大小：{bundle.tree_size}",
        "扫码核验",
        link(PUBLIC_URL, entry),
        "第 1 页，共 1 页",
    ):
        assert compact(expected) in text, expected
    assert formatting.yuan(FEN) == "40,845.00 元" and formatting.tonnes(KG, 3) == "1.500 吨"


def test_pdffonts_shows_every_font_embedded_as_a_subset(slip, tmp_path):
    listing = tool("pdffonts", str(write(tmp_path, "slip.pdf", slip))).splitlines()
    fonts = [line.split() for line in listing[2:]]
    assert fonts, listing
    for row in fonts:
        name, emb, sub, uni = row[0], row[-5], row[-4], row[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert re.fullmatch(r"[A-Z]{6}\+WenQuanYiMicroHei(Mono)?-\d+", name), row


def test_pdfdetach_extracts_receipt_json_which_is_the_bundle(book, slip, tmp_path):
    path = write(tmp_path, "slip.pdf", slip)
    assert "receipt.json" in tool("pdfdetach", "-list", str(path))
    out = tmp_path / "out"
    out.mkdir()
    tool("pdfdetach", "-saveall", "-o", str(out), str(path))
    data = (out / "receipt.json").read_bytes()
    (bundle,) = decode(data)
    (issued,) = book.bundles(book.sale)
    assert (bundle.leaf, bundle.leaf_index, bundle.tree_size) == (
        issued.leaf,
        issued.leaf_index,
        issued.tree_size,
    )
    assert bundle.inclusion == issued.inclusion and bundle.checkpoint == issued.checkpoint
    obj = json.loads(data)
    assert obj["format"] == "carbon-ledger-receipt/1"
    labels = {p["label"]: (p["pointer"], p["format"]) for p in obj["printed"]}
    assert labels["金额"] == ("/leaf/postings/1/amount", "yuan")
    assert labels["金额大写"] == ("/leaf/postings/1/amount", "yuan_capital")
    assert labels["条目序号"] == ("/leaf/seq", "integer")
    assert labels["叶哈希"] == ("/leaf_hash", "text")


def test_the_same_inputs_give_the_same_bytes(book, slip):
    again = book.pdf()
    assert again == slip
    other = book.pdf(SLIP, book.sale2)
    assert other != slip


def test_the_qr_link_carries_the_secret_of_the_entrys_salt(book, slip):
    (bundle,) = book.bundles(book.sale)
    entry = bundle.entry()
    secret = link_secret(entry)
    assert secret is not None and len(secret) == 22
    assert link(PUBLIC_URL, entry) == f"{PUBLIC_URL}/public/receipts/{entry.seq}/{secret}"
    (public,) = book.bundles(book.note)
    assert link(PUBLIC_URL, public.entry()) == f"{PUBLIC_URL}/public/receipts/{book.note}"


def test_a_long_table_runs_over_pages_with_its_headings_repeated(book, tmp_path):
    document = Document(
        title="常口村 2026 年碳汇收益分配公示",
        number="公示 2026-01",
        fields=(Field("分配总额", Bound("/leaf/postings/1/amount", "yuan")),),
        tables=(long_table(160),),
    )
    data = book.pdf(document, book.sale)
    pages = PdfReader(write(tmp_path, "notice.pdf", data)).pages
    assert len(pages) >= 4
    for n in range(1, len(pages) + 1):
        text = tool(
            "pdftotext", "-f", str(n), "-l", str(n), "-layout", str(tmp_path / "notice.pdf"), "-"
        )
        assert "常口村 2026 年碳汇收益分配公示" in text  # the page header
        assert f"第 {n} 页，共 {len(pages)} 页" in text
        if n < len(pages):  # the table runs on every page but the last (the verification block)
            assert re.search(r"户号\s+户主（化名）\s+分配金额", text), n
    rows = compact(tool("pdftotext", "-layout", str(tmp_path / "notice.pdf"), "-"))
    assert all(f"H-{n:04d}村民{n}{n}.00元" in rows for n in range(160))


def test_a_document_proving_several_entries_numbers_their_blocks(book, tmp_path):
    document = Document(
        title="凭证汇总",
        fields=(
            Field("第一笔", Bound("/leaf/postings/1/amount", "yuan", entry=0)),
            Field("第二笔", Bound("/leaf/body/household", "text", entry=1)),
        ),
    )
    data = book.pdf(document, book.sale, book.payout)
    text = compact(tool("pdftotext", str(write(tmp_path, "two.pdf", data)), "-"))
    assert "(1)条目序号：0" in text and "(2)条目序号：2" in text
    assert "第二笔：H-3F9A" in text
    reader = PdfReader(tmp_path / "two.pdf")
    assert [b.leaf_index for b in decode(reader.attachments["receipt.json"][0])] == [0, 2]


def test_a_field_bound_to_an_entry_the_document_does_not_prove_is_refused(book):
    bundles = book.bundles(book.sale)
    document = Document(title="x", fields=(Field("金额", Bound("/leaf/seq", "integer", entry=1)),))
    with pytest.raises(ValueError, match="bound to entry 1"):
        pdf.render(document, bundles, public_url=PUBLIC_URL)
    twice = Document(
        title="x",
        fields=(Field("a", Bound("/leaf/seq", "integer")), Field("a", Bound("/leaf/time", "date"))),
    )
    with pytest.raises(ValueError, match="share a label"):
        pdf.render(twice, bundles, public_url=PUBLIC_URL)
    missing = Document(title="x", fields=(Field("a", Bound("/leaf/body/nothing", "text")),))
    with pytest.raises(ValueError, match="no value at /leaf/body/nothing"):
        pdf.render(missing, bundles, public_url=PUBLIC_URL)


def test_the_font_covers_gb2312_and_ascii_and_ships_with_its_licence():
    face = TTFontFile(str(pdf.FONT_FILE), subfontIndex=0)
    covered = face.charToGlyph
    gb2312 = []
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                gb2312.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    assert len(gb2312) == 7445  # 6,763 hanzi and 682 symbols
    assert [c for c in gb2312 if ord(c) not in covered] == []
    assert [chr(c) for c in range(0x20, 0x7F) if c not in covered] == []
    assert all(ord(c) in covered for c in "—·（）：，。￥−")
    folder = pdf.FONT_FILE.parent
    assert "Apache License" in (folder / "LICENSE-Apache-2.0.txt").read_text()
    assert "Apache License 2.0" in (folder / "README.md").read_text()


def test_the_qr_code_draws_every_module_of_its_symbol(tmp_path):
    """Rasterised by poppler, the drawn code has a dark pixel at the centre of exactly the
    modules segno's symbol has dark, and a 4-module light quiet zone."""
    import segno
    from PIL import Image
    from reportlab.pdfgen.canvas import Canvas

    url = f"{PUBLIC_URL}/public/receipts/123456/HCq9cgrBFOO0Hdg6sVaGag"
    code = pdf.QRCode(url)
    n = len(code.matrix) + 8
    code.size = n * 3.0  # 3 pt per module
    path = tmp_path / "qr.pdf"
    canvas = Canvas(str(path), pagesize=(code.size, code.size), invariant=1)
    code.drawOn(canvas, 0, 0)
    canvas.save()
    tool("pdftoppm", "-r", "240", "-png", "-singlefile", str(path), str(tmp_path / "qr"))
    image = Image.open(tmp_path / "qr.png").convert("L")
    step = image.width / n  # pixels per module (10)
    drawn = [
        [image.getpixel((int((x + 0.5) * step), int((y + 0.5) * step))) < 128 for x in range(n)]
        for y in range(n)
    ]
    expected = [[False] * n for _ in range(n)]
    for y, row in enumerate(segno.make(url, error="m", micro=False).matrix):
        for x, dark in enumerate(row):
            expected[y + 4][x + 4] = bool(dark)
    assert drawn == expected
