"""Receipt PDFs: a document a person reads (A4 portrait, Chinese, printable on an office
printer) that proves itself.

A module describes its document (:class:`Document`: a title, fields as label/value pairs,
tables, notes) and :func:`render` lays it out, then adds for each entry it proves a
verification block (the entry number, time and amounts, the leaf hash, the checkpoint size and
a QR code to the public verification page) and attaches the proof bundles as ``receipt.json``.
Values a field takes from the entry (:class:`Bound`) are printed from the leaf and listed in
the bundle's ``printed`` items, so ``receipt verify`` can tell when the visible text was edited.

The text is set in WenQuanYi Micro Hei (``fonts/``), embedded as a subset, so a receipt prints
on a machine with no Chinese fonts. reportlab runs with ``invariant=1`` and writes the
attachment itself (no dates): the same document and bundles give the same bytes.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFDocument,
    PDFName,
    PDFStream,
    PDFString,
    PDFZCompress,
)
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ledger.core.entry import Entry
from ledger.receipts import bundle as bundles_
from ledger.receipts.bundle import Bundle, Printed, receipt_view
from ledger.receipts.lang import gettext as catalog
from ledger.receipts.printed import COLON, value_text

ATTACHMENT = "receipt.json"
FONT_FILE = Path(__file__).with_name("fonts") / "wqy-microhei.ttc"
FONT = "WenQuanYiMicroHei"
MONO = "WenQuanYiMicroHeiMono"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 34 * mm
LABEL_WIDTH = 44 * mm
INK = colors.HexColor("#1a1a1a")
FAINT = colors.HexColor("#666666")
RULE = colors.HexColor("#999999")
SHADE = colors.HexColor("#eeeeee")


# --- the document a module describes ---------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """A value printed from an entry rather than typed by the module: the value at ``pointer``
    (RFC 6901, into the receipt view: ``/leaf/body/…``, ``/leaf/postings/1/amount``,
    ``/leaf/time``…) of the document's ``entry``-th entry, in ``format`` (see
    :data:`ledger.receipts.printed.FORMATS`). The verifier checks it against the leaf."""

    pointer: str
    format: str
    entry: int = 0


@dataclass(frozen=True)
class Field:
    """One line of the document: ``label`` (text, no colon) and its value: text, or a
    :class:`Bound` value. Labels of bound values must be unique in the document."""

    label: str
    value: str | Bound


@dataclass(frozen=True)
class Rows:
    """A table: ``columns`` headings (repeated at the top of every page the table runs onto),
    ``rows`` of text, an optional ``title`` and relative column ``widths``."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    widths: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Document:
    """What a module wants printed: a ``title`` (and ``subtitle``, e.g. the issuer), a
    ``number`` printed at the top right of every page (a certificate number), ``fields``,
    ``tables`` and ``notes`` (paragraphs), in that order. All text is final (translated)."""

    title: str
    fields: tuple[Field, ...] = ()
    tables: tuple[Rows, ...] = ()
    notes: tuple[str, ...] = ()
    subtitle: str = ""
    number: str = ""


@dataclass(frozen=True)
class Proof:
    """One entry a document proves: its bundle, its entry, and its QR link."""

    bundle: Bundle
    entry: Entry
    link: str
    printed: list[Printed] = field(default_factory=list)


# --- fonts and styles -------------------------------------------------------------------------


@functools.cache
def register_fonts() -> None:
    """Register the two faces of the bundled font with reportlab (once per process)."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    pdfmetrics.registerFont(TTFont(MONO, str(FONT_FILE), subfontIndex=1))


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=10.5, leading=16, textColor=INK, wordWrap="CJK"
    )
    return {
        "body": base,
        "title": ParagraphStyle(
            "title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=2 * mm
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=11, alignment=TA_CENTER, textColor=FAINT
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            fontSize=12.5,
            leading=18,
            spaceBefore=5 * mm,
            spaceAfter=2 * mm,
        ),
        "label": ParagraphStyle("label", parent=base, textColor=FAINT),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13.5),
        "head": ParagraphStyle("head", parent=base, fontSize=9.5, leading=13.5),
        "note": ParagraphStyle("note", parent=base, fontSize=9.5, leading=14.5, textColor=FAINT),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=8.5, leading=12),
        "small": ParagraphStyle(
            "small", parent=base, fontName=MONO, fontSize=6.5, leading=9, alignment=TA_CENTER
        ),
        "caption": ParagraphStyle("caption", parent=base, fontSize=9, alignment=TA_CENTER),
    }


def _p(text: str, style: str) -> Paragraph:
    return Paragraph(escape(text), styles()[style])


# --- flowables and the page -------------------------------------------------------------------


class QRCode(Flowable):
    """A QR code of ``url`` (error correction M, 4-module quiet zone) drawn as vector squares,
    ``size`` points wide."""

    def __init__(self, url: str, size: float = QR_SIZE):
        super().__init__()
        self.matrix = segno.make(url, error="m", micro=False).matrix
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        n = len(self.matrix)
        module = self.size / (n + 8)
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        # In module units (one unit = one module, origin at the bottom left of the quiet
        # zone), each run of dark modules of a row is one rectangle with integer corners,
        # written as PDF path operators and filled at once.
        canvas.scale(module, module)
        runs = []
        for y, row in enumerate(self.matrix):
            bottom = n + 8 - (y + 4 + 1)
            x = 0
            while x < n:
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append(f"{start + 4} {bottom} {x - start} 1 re")
        canvas.addLiteral("\n".join(runs) + "\nf")
        canvas.restoreState()


def _embed(document: PDFDocument, name: str, data: bytes) -> None:
    """Attach ``data`` to the PDF being written as the embedded file ``name`` (PDF 32000-1
    §7.11.4: the catalog's ``/Names /EmbeddedFiles`` tree, one file specification)."""
    stream = PDFStream(
        PDFDictionary(
            {"Type": PDFName("EmbeddedFile"), "Params": PDFDictionary({"Size": len(data)})}
        ),
        content=data,
        filters=[PDFZCompress],
    )
    spec = PDFDictionary(
        {
            "Type": PDFName("Filespec"),
            "F": PDFString(name),
            "UF": PDFString(name),
            "EF": PDFDictionary({"F": document.Reference(stream)}),
        }
    )
    names = PDFArray([PDFString(name), document.Reference(spec)])
    document.Catalog.Names = PDFDictionary({"EmbeddedFiles": PDFDictionary({"Names": names})})


def _page_canvas(title: str, number: str, footer: str, page_label: str, attachment: bytes | None):
    """A canvas class that writes, on every page, the title and number at the top and the
    footer and ``page_label`` (``第 %(page)d 页，共 %(pages)d 页``) at the bottom, and attaches
    ``attachment`` (if any) as ``receipt.json``."""

    class PageCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict] = []

        def showPage(self):
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            pages = len(self._saved_pages)
            for n, state in enumerate(self._saved_pages, 1):
                self.__dict__.update(state)
                self._decorate(n, pages)
                Canvas.showPage(self)
            if attachment is not None:
                _embed(self._doc, ATTACHMENT, attachment)
            Canvas.save(self)

        def _decorate(self, page: int, pages: int) -> None:
            self.saveState()
            self.setFillColor(FAINT)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            top = PAGE_HEIGHT - 11 * mm
            self.setFont(FONT, 8.5)
            self.drawString(MARGIN, top, title)
            if number:
                self.drawRightString(PAGE_WIDTH - MARGIN, top, number)
            self.line(MARGIN, top - 2 * mm, PAGE_WIDTH - MARGIN, top - 2 * mm)
            bottom = 10 * mm
            self.line(MARGIN, bottom + 4 * mm, PAGE_WIDTH - MARGIN, bottom + 4 * mm)
            self.drawString(MARGIN, bottom, footer)
            self.drawRightString(
                PAGE_WIDTH - MARGIN, bottom, page_label % {"page": page, "pages": pages}
            )
            self.restoreState()

    return PageCanvas


def _field_table(rows: list[tuple[str, str, str]]) -> Table:
    """A two-column table of ``label：`` and value (the value's style named per row)."""
    data = [[_p(label + COLON, "label"), _p(value, style)] for label, value, style in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, TEXT_WIDTH - LABEL_WIDTH], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, SHADE),
            ]
        )
    )
    return table


def _rows_table(rows: Rows) -> Table:
    count = len(rows.columns)
    weights = rows.widths or (1,) * count
    widths = [TEXT_WIDTH * w / sum(weights) for w in weights]
    data = [[_p(c, "head") for c in rows.columns]]
    data.extend([_p(cell, "cell") for cell in row] for row in rows.rows)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.6, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


# --- the verification block -------------------------------------------------------------------


def _first_leg(entry: Entry, commodity: str) -> int | None:
    for i, posting in enumerate(entry.postings):
        if posting.commodity == commodity and posting.amount > 0:
            return i
    return None


def _proof_fields(proof: Proof, n: int, many: bool, _) -> list[tuple[str, Printed]]:
    """The bound lines of an entry's verification block: number, time, amounts, leaf hash,
    checkpoint size (labels numbered when the document proves several entries)."""
    lines = [
        (_("Entry number"), "/leaf/seq", "integer"),
        (_("Recorded at"), "/leaf/time", "datetime"),
    ]
    for commodity, label, fmt in (
        ("CNY", _("Recorded amount"), "yuan"),
        ("CO2E", _("Recorded carbon"), "tonnes"),
    ):
        leg = _first_leg(proof.entry, commodity)
        if leg is not None:
            lines.append((label, f"/leaf/postings/{leg}/amount", fmt))
    lines += [
        (_("Leaf hash"), "/leaf_hash", "text"),
        (_("Checkpoint size"), "/tree_size", "integer"),
    ]
    prefix = f"({n}) " if many else ""
    return [(pointer, Printed(prefix + label, pointer, fmt)) for label, pointer, fmt in lines]


def _proof_block(proof: Proof, n: int, many: bool, _, qr: bool) -> Table:
    """The boxed verification block of one entry: its bound facts beside its QR code."""
    view = receipt_view(proof.bundle, proof.entry)
    rows = []
    for pointer, item in _proof_fields(proof, n, many, _):
        proof.printed.append(item)
        style = "mono" if pointer == "/leaf_hash" else "body"
        rows.append((item.label, value_text(view, item), style))
    data = [[_p(label + COLON, "label"), _p(value, style)] for label, value, style in rows]
    inner = TEXT_WIDTH - QR_SIZE - 12 * mm
    facts = Table(data, colWidths=[LABEL_WIDTH, inner - LABEL_WIDTH])
    facts.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    code = [
        QRCode(proof.link) if qr else Spacer(QR_SIZE, QR_SIZE),
        _p(_("Scan to verify"), "caption"),
        _p(proof.link, "small"),
    ]
    block = Table([[facts, code]], colWidths=[TEXT_WIDTH - QR_SIZE - 6 * mm, QR_SIZE + 6 * mm])
    block.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    return block


# --- rendering --------------------------------------------------------------------------------


def _story(document: Document, proofs: list[Proof], lang: str, qr: bool) -> list[Flowable]:
    _ = catalog(lang)
    story: list[Flowable] = [_p(document.title, "title")]
    if document.subtitle:
        story.append(_p(document.subtitle, "subtitle"))
    story.append(Spacer(1, 6 * mm))
    if document.fields:
        rows = []
        for f in document.fields:
            if isinstance(f.value, Bound):
                proof = proofs[f.value.entry]
                item = Printed(f.label, f.value.pointer, f.value.format)
                proof.printed.append(item)
                text = value_text(receipt_view(proof.bundle, proof.entry), item)
            else:
                text = f.value
            rows.append((f.label, text, "body"))
        story.append(_field_table(rows))
    for rows in document.tables:
        if rows.title:
            story.append(_p(rows.title, "heading"))
        story.append(_rows_table(rows))
    for note in document.notes:
        story += [Spacer(1, 2 * mm), _p(note, "note")]
    many = len(proofs) > 1
    for n, proof in enumerate(proofs, 1):
        block = [_proof_block(proof, n, many, _, qr), Spacer(1, 3 * mm)]
        story.append(KeepTogether([_p(_("Verification"), "heading"), *block] if n == 1 else block))
    url = proofs[0].link.split(bundles_.LINK_PATH, 1)[0] + bundles_.LINK_PATH
    story.append(
        _p(
            _(
                "This document carries its proof (the attached file receipt.json): the recorded "
                "entry, the hashes that lead from it to the root of the log, and the log's "
                "signed checkpoint. Check it without trusting anyone: scan the code, or upload "
                "this PDF at %(url)s, or run carbon-ledger receipt verify on it with the log's "
                "published key. If anything printed above or recorded in the file was changed, "
                "the check fails."
            )
            % {"url": url},
            "note",
        )
    )
    return story


def render(
    document: Document, bundles: Sequence[Bundle], *, public_url: str, lang: str = "zh"
) -> bytes:
    """The PDF of ``document`` proving the entries of ``bundles`` (in the order its
    :class:`Bound` fields count them), with ``receipt.json`` attached. Raises ValueError when a
    bound field names an entry the document does not prove or a value its format cannot
    print, or when two bound fields share a label."""
    return layout(document, bundles, public_url=public_url, lang=lang)[0]


def layout(
    document: Document,
    bundles: Sequence[Bundle],
    *,
    public_url: str,
    lang: str = "zh",
    qr: bool = True,
    embed: bool = True,
) -> tuple[bytes, bytes]:
    """:func:`render`'s PDF and the ``receipt.json`` it carries (the bundles with their
    ``printed`` items). ``embed=False`` leaves the file out of the PDF and ``qr=False`` the QR
    codes (tests attach files of their own; the benchmark's ceiling is reportlab alone)."""
    if not bundles:
        raise ValueError("a receipt proves at least one entry")
    proofs = []
    for b in bundles:
        entry = b.entry()
        proofs.append(Proof(b, entry, bundles_.link(public_url, entry)))
    bound = [f.label for f in document.fields if isinstance(f.value, Bound)]
    if len(bound) != len(set(bound)):
        raise ValueError("two bound fields share a label")
    for f in document.fields:
        if isinstance(f.value, Bound) and not 0 <= f.value.entry < len(proofs):
            raise ValueError(f"field {f.label!r} is bound to entry {f.value.entry}, not proven")
    _ = catalog(lang)
    story = _story(document, proofs, lang, qr)  # fills each proof's printed items
    receipt_json = bundles_.encode([p.bundle.with_printed(p.printed) for p in proofs])
    origin = proofs[0].bundle.checkpoint.split("\n", 1)[0]
    canvas = _page_canvas(
        document.title,
        document.number,
        _("%(origin)s · verifiable offline") % {"origin": origin},
        _("Page %(page)d of %(pages)d"),
        receipt_json if embed else None,
    )
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN + 2 * mm,
        title=document.title,
        author=origin,
        creator="carbon-ledger",
        invariant=1,
        lang="zh-CN" if lang == "zh" else "en",
        initialFontName=FONT,
    )
    template.build(story, canvasmaker=canvas)
    return out.getvalue(), receipt_json
