"""A small demo log for ``carbon-ledger init --demo``: a few anchored documents and balanced
movements of money and carbon, followed by a signed checkpoint."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine

from ledger.core.entry import EntryDraft, Posting
from ledger.core.note import Signer
from ledger.services.anchors import anchor_draft
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.log import append_batch, read_head
from ledger.storage.db import read_transaction

VILLAGE = "350428102201"


def demo_drafts() -> list[EntryDraft]:
    actor = "demo:bureau:350428"
    documents = [
        ("常口村村民会议决议（示例）", b"demo assembly resolution"),
        ("林业碳票 0000001 签发文件（示例）", b"demo carbon ticket issuance"),
    ]
    drafts = [
        anchor_draft(hashlib.sha256(data).hexdigest(), len(data), title, actor)
        for title, data in documents
    ]
    drafts.append(
        EntryDraft(
            "demo.sale",
            {"programme": "carbon_ticket", "ticket": "0000001", "price_fen_per_t": 1500},
            actor,
            (
                Posting("Assets:Buyer:Demo", "CO2E", 2_723_000),
                Posting(f"Assets:Village:{VILLAGE}:Collective", "CO2E", -2_723_000),
                Posting(f"Assets:Village:{VILLAGE}:Collective", "CNY", 4_084_500),
                Posting("Assets:Buyer:Demo", "CNY", -4_084_500),
            ),
        )
    )
    return drafts


def seed_demo(engine: Engine, signer: Signer, origin: str) -> list[str]:
    """Append the demo entries if the main log is empty; sign a checkpoint. Returns messages."""
    with read_transaction(engine) as conn:
        empty = read_head(conn).size == 0
    lines = []
    if empty:
        entries = append_batch(engine, demo_drafts(), idempotency_key="demo-seed-v1")
        lines.append(f"demo log: appended {len(entries)} entries")
    signed = sign_checkpoint(engine, signer, origin)
    lines.append(f"checkpoint: size {signed.checkpoint.size}")
    return lines
