"""A small demo for ``carbon-ledger init --demo``: a few anchored documents and balanced
movements of money and carbon, followed by a signed checkpoint; and, in development only,
demo organisations (Fujian province and 将乐县) with one demo user per role."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine

from ledger.accounts import services as accounts
from ledger.accounts.passwords import Hasher
from ledger.config import DEVELOPMENT_ENVS
from ledger.core.entry import EntryDraft, Posting
from ledger.core.note import Signer
from ledger.services.anchors import anchor_draft
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.log import append_batch, read_head
from ledger.storage.db import read_transaction, write_transaction

VILLAGE = "350428102201"
DEMO_ACTOR = "demo"

#: (kind, code, name, division) of the demo organisations.
DEMO_ORGS = (
    ("bureau", "35", "福建省林业局", None),
    ("bureau", "350428", "将乐县林业局", None),
    ("village", VILLAGE, "常口村", None),
    ("village", "350428102202", "余坊村（示例）", None),
    ("court", "闽0428", "将乐县人民法院", "350428"),
)
#: (role, username, password, organisation kind and code) of the demo users: development only.
DEMO_USERS = (
    ("village", "cunmin", "cunmin-demo-2026", ("village", VILLAGE)),
    ("court", "fayuan", "fayuan-demo-2026", ("court", "闽0428")),
    ("bureau", "linye", "linye-demo-2026", ("bureau", "350428")),
    ("admin", "admin", "admin-demo-2026", None),
)


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


def seed_accounts(engine: Engine, hasher: Hasher) -> list[str]:
    """Create the demo organisations and users, or put them back as the demo expects (role,
    organisation, enabled, demo password). Returns one ``demo sign-in:`` line per role."""
    lines = []
    with write_transaction(engine) as conn:
        orgs = {}
        for kind, code, name, division in DEMO_ORGS:
            org = accounts.find_org(conn, kind, code)
            if org is None:
                org = accounts.create_org(
                    conn, kind, code, name, division=division, actor=DEMO_ACTOR
                )
            orgs[(kind, code)] = org
        for role, username, password, org_key in DEMO_USERS:
            org_id = orgs[org_key].id if org_key else None
            user = accounts.find_user(conn, username)
            if user is None:
                user = accounts.create_user(
                    conn, hasher, username, password, role, org_id, actor=DEMO_ACTOR
                )
            if (user.role, user.org.id if user.org else None) != (role, org_id):
                user = accounts.set_role(conn, user.id, role, org_id, actor=DEMO_ACTOR)
            if user.disabled:
                user = accounts.set_disabled(conn, user.id, False, actor=DEMO_ACTOR)
            if not hasher.verify(user.password_hash, password)[0]:
                accounts.reset_password(conn, hasher, user.id, password, actor=DEMO_ACTOR)
            lines.append(f"demo sign-in: {role:<8} {username} / {password}")
    return lines


def seed_demo(
    engine: Engine,
    signer: Signer,
    origin: str,
    *,
    env: str = "development",
    hasher: Hasher | None = None,
) -> list[str]:
    """Append the demo entries if the main log is empty; sign a checkpoint; in development,
    create the demo organisations and users. Returns messages, including one
    ``demo sign-in: <role> <username> / <password>`` line per role."""
    with read_transaction(engine) as conn:
        empty = read_head(conn).size == 0
    lines = []
    if empty:
        entries = append_batch(engine, demo_drafts(), idempotency_key="demo-seed-v1")
        lines.append(f"demo log: appended {len(entries)} entries")
    signed = sign_checkpoint(engine, signer, origin)
    lines.append(f"checkpoint: size {signed.checkpoint.size}")
    if env in DEVELOPMENT_ENVS:
        lines.extend(seed_accounts(engine, hasher or Hasher()))
    else:
        lines.append(f"demo users: not created (LEDGER_ENV={env}; only in development)")
    return lines
