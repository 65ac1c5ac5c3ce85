"""Judicial carbon's assessment and certificate.

``judicial.assess`` — milliseconds to assess a case of 50 damage items (the six species rows,
both volume types, volumes to four decimals) exactly: build the inputs from text as the command
line and the forms do, compute every product as a rational number, round the total once, write
the record, check it back (:func:`~ledger.judicial.assessment.verify_record`, as the log's
validator does) and print its arithmetic. Target ≤ 20 ms. The ceiling, in the same run, is the
same 50 products in floating point with no checks, no record and no rounding rule. The median
of :data:`REPEATS` assessments counts, for each side.

``judicial.certificate.pdf`` — seconds to issue one certificate (林业碳汇认购核销证明): read the
five entries it proves and their inclusion proofs, sign a checkpoint, lay out the fields, the
arithmetic and the units, the five verification blocks with their QR codes, and attach
``receipt.json``. Target ≤ 2 s. The ceiling is reportlab alone on the same document
(``ledger.receipts.pdf.layout`` without QR codes or attachment, bundles built beforehand). Each
round appends five fresh entries (not timed), so each real run signs its own checkpoint; the
best of :data:`ROUNDS` counts.
"""

from __future__ import annotations

import statistics
import time
from types import SimpleNamespace

from bench.common import Result, progress, sqlite_database, timed
from ledger.core.entry import EntryDraft, Posting
from ledger.core.note import Signer
from ledger.judicial import assessment as A
from ledger.judicial.documents import certificate_document
from ledger.judicial.methods import load_method
from ledger.receipts import pdf
from ledger.receipts.bundle import build
from ledger.receipts.issue import Issuer, issue
from ledger.services.log import append_batch

ITEMS = 50
REPEATS = 200
ASSESS_MAX_MS = 20.0
ROUNDS = 3
CERTIFICATE_MAX_S = 2.0
ORIGIN = "bench.carbon-ledger.localhost/log"
PUBLIC_URL = "https://tanhui.example.cn"
SPECIES = ("杉木", "马尾松", "桉树", "其他硬阔", "其他软阔", "阔叶混")
VOLUME_TYPES = ("立木蓄积", "材积")


def item_texts() -> list[tuple[str, str, str]]:
    """50 damage items as a clerk types them: species, volume (m³, up to 4 decimals), type."""
    return [(SPECIES[n % 6], f"{1 + n * 0.3731:.4f}", VOLUME_TYPES[n % 2]) for n in range(ITEMS)]


def _assess(method: A.Method, texts) -> int:
    result = A.assess(method, [A.StockItem.of(s, v, t) for s, v, t in texts])
    record = result.to_json()
    assert not A.verify_record(record)
    A.arithmetic_lines(record)
    return result.loss_kg


def _floats(rows, texts) -> float:
    total = 0.0
    for species, volume, _ in texts:
        svd, bef, r, cf = rows[species]
        total += float(volume) * svd * bef * (1 + r) * cf * 44 / 12
    return total


def _median_ms(fn, *args) -> float:
    samples = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        fn(*args)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def run_assess() -> Result:
    name = "judicial.assess"
    method = load_method()
    texts = item_texts()
    rows = {
        r.name: (float(r.svd.value), float(r.bef.value), float(r.r.value), float(r.cf.value))
        for r in method.species
    }
    kg = _assess(method, texts)
    assert abs(kg - _floats(rows, texts) * 1000) < 1  # the same sum, to the kilogram
    real = _median_ms(_assess, method, texts)
    floor = _median_ms(_floats, rows, texts)
    progress(f"{name}: {real:.3f} ms for {ITEMS} items (ceiling {floor:.3f} ms)")
    return Result(
        name,
        round(real, 3),
        "ms",
        round(floor, 3),
        round(floor / real, 3),
        f"<= {ASSESS_MAX_MS:g} ms",
        real <= ASSESS_MAX_MS,
    )


# --- the certificate --------------------------------------------------------------------------

VILLAGE = "Assets:Village:350627102201:Collective"


def _bodies():
    record = A.assess(load_method(), [A.StockItem.of(s, v, t) for s, v, t in item_texts()[:6]])
    record = record.to_json()
    common = {"case": "2022-XC-123", "court": "350627"}
    case = {
        **common,
        "case_number": "(2022)闽0627刑初123号",
        "court_code": "闽0627",
        "court_name": "南靖县人民法院",
        "offence": "lanfa",
        "defendants": ["D-0123456789AB"],
        "filed_on": "2022-03-01",
    }
    assessment = {
        **common,
        "record": record,
        "loss_kg": record["loss_kg"],
        "assessor": "福建某林业司法鉴定中心",
        "assessed_on": "2022-04-02",
    }
    decision = {
        **common,
        "basis": "loss",
        "multiple": "2",
        "exact_kg": 2 * record["loss_kg"],
        "rounding": "up_to_t",
        "quantity_kg": 96_000,
        "price": {"basis": "programme", "fen_per_t": 10_000, "date": "2022-05-01", "source": "—"},
        "amount_fen": 960_000,
        "decided_on": "2022-05-10",
        "judgment_ref": "",
    }
    purchase = {
        **common,
        "payment_ref": "NJ-20220520-001",
        "restoration_account": {
            "name": "南靖县林业局生态修复专户",
            "bank": "农商银行",
            "last4": "3456",
        },
        "lines": [
            {
                "project": "CT-0000001",
                "programme": "sanming_ticket",
                "seller": VILLAGE,
                "kg": 96_000,
                "price_fen_per_t": 10_000,
                "total_fen": 960_000,
            }
        ],
        "kg": 96_000,
        "amount_fen": 960_000,
        "paid_on": "2022-05-20",
    }
    retirement = {
        **common,
        "retirement_ref": "HX-ZX-2022-0456",
        "kg": 96_000,
        "retired_on": "2022-05-25",
    }
    return case, assessment, decision, purchase, retirement


def _drafts(bodies) -> list[EntryDraft]:
    money = (
        Posting(VILLAGE, "CNY", 960_000),
        Posting("Income:Village:350627102201:CarbonSales", "CNY", -960_000),
    )
    return [
        EntryDraft("bench.payout", body, "user:court", money if n == 3 else ())
        for n, body in enumerate(bodies)
    ]


def _facts(bodies, seqs):
    case, assessment, decision, purchase, retirement = bodies
    return SimpleNamespace(
        number="SFTH-350627-2022-XC-123",
        court_name="南靖县人民法院",
        case_number=case["case_number"],
        defendants_masked=("欧*华",),
        case=case,
        assessment=assessment,
        decision=decision,
        purchase=purchase,
        retirement=retirement,
        entries=tuple(seqs),
        seller_names={VILLAGE: "常口村 集体账户"},
        serials=("0000001–0000096",),
        programme_names={"sanming_ticket": "林业碳票"},
        payer_masked="欧*华",
    )


def _layout(document, bundles) -> None:
    pdf.layout(document, bundles, public_url=PUBLIC_URL, qr=False, embed=False)


def run_certificate() -> Result:
    name = "judicial.certificate.pdf"
    signer = Signer.generate(ORIGIN)
    issuer = Issuer(signer, ORIGIN, PUBLIC_URL)
    pdf.register_fonts()
    bodies = _bodies()
    best = ceiling = float("inf")
    with sqlite_database() as engine:
        for n in range(ROUNDS):
            seqs = [e.seq for e in append_batch(engine, _drafts(bodies))]
            document = certificate_document(_facts(bodies, seqs))
            real = timed(issue, engine, issuer, seqs, document)
            bundles = build(engine, seqs, signer, ORIGIN)
            floor = timed(_layout, document, bundles)
            progress(f"{name} round {n + 1}: {real:.3f} s (ceiling {floor:.3f} s)")
            best, ceiling = min(best, real), min(ceiling, floor)
    return Result(
        name,
        round(best, 3),
        "s",
        round(ceiling, 3),
        round(ceiling / best, 3),
        f"<= {CERTIFICATE_MAX_S:g} s",
        best <= CERTIFICATE_MAX_S,
    )


def run() -> list[Result]:
    return [run_assess(), run_certificate()]
