"""Demo data for ``carbon-ledger init --demo``: each module of the composition root seeds its
own (:attr:`ledger.platform.Module.demo`), then a checkpoint is signed. The accounts module
adds the demo organisations (Fujian province and 将乐县) and, in development only, one demo
user per role."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from ledger.accounts import services as accounts
from ledger.accounts.passwords import Hasher
from ledger.config import DEVELOPMENT_ENVS, Settings, load_settings
from ledger.core.note import Signer
from ledger.platform import registry
from ledger.platform.registry import resolve
from ledger.services.anchors import anchor_draft
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.log import append_batch
from ledger.storage.db import write_transaction

VILLAGE = "350428102201"
DEMO_ACTOR = "demo"

#: (kind, code, name, division) of the demo organisations.
DEMO_ORGS = (
    ("bureau", "35", "福建省林业局", None),
    ("bureau", "350428", "将乐县林业局", None),
    ("village", VILLAGE, "常口村", None),
    ("village", "350428102202", "余坊村（示例）", None),
    ("bureau", "350721", "顺昌县林业局", None),
    ("village", "350721100201", "一元碳汇示范村（示例）", None),
    ("court", "闽0428", "将乐县人民法院", "350428"),
)
#: (role, username, password, organisation kind and code) of the demo users: development only.
DEMO_USERS = (
    ("village", "cunmin", "cunmin-demo-2026", ("village", VILLAGE)),
    ("court", "fayuan", "fayuan-demo-2026", ("court", "闽0428")),
    ("bureau", "linye", "linye-demo-2026", ("bureau", "350428")),
    ("admin", "admin", "admin-demo-2026", None),
)


def active_demo_users(conn: Connection) -> list[str]:
    """Usernames of the demo users (:data:`DEMO_USERS`) that exist and are enabled: their
    passwords are published in the README, so no real deployment may have one."""
    names = []
    for _, username, _, _ in DEMO_USERS:
        user = accounts.find_user(conn, username)
        if user is not None and not user.disabled:
            names.append(username)
    return names


@dataclass(frozen=True)
class DemoContext:
    """What a module's demo seeder gets: the database, the signing key and origin, the
    environment, the password hasher and the settings (for the vault's key). A seeder appends
    its demo facts (idempotently: running ``init --demo`` twice adds nothing the second time)
    and returns lines to print."""

    engine: Engine
    signer: Signer
    origin: str
    env: str
    hasher: Hasher
    settings: Settings | None = None

    @property
    def instance_settings(self) -> Settings:
        """The settings given, or those of the environment (``LEDGER_*``, the instance)."""
        return self.settings or load_settings(env=self.env)

    @property
    def development(self) -> bool:
        return self.env in DEVELOPMENT_ENVS


def seed_log(ctx: DemoContext) -> list[str]:
    """The log module's demo: two anchored documents."""
    actor = "demo:bureau:350428"
    documents = [
        ("常口村村民会议决议（示例）", b"demo assembly resolution"),
        ("林业碳票 0000001 签发文件（示例）", b"demo carbon ticket issuance"),
    ]
    drafts = [
        anchor_draft(hashlib.sha256(data).hexdigest(), len(data), title, actor)
        for title, data in documents
    ]
    entries = append_batch(ctx.engine, drafts, idempotency_key="demo-seed-log-v2")
    return [f"demo log: {len(entries)} documents anchored"]


def seed_accounts(ctx: DemoContext) -> list[str]:
    """Create the demo organisations and, in development only, the demo users, or put them
    back as the demo expects (role, organisation, enabled, demo password). Returns one
    ``demo sign-in:`` line per role."""
    lines = []
    hasher = ctx.hasher
    with write_transaction(ctx.engine) as conn:
        orgs = {}
        for kind, code, name, division in DEMO_ORGS:
            org = accounts.find_org(conn, kind, code)
            if org is None:
                org = accounts.create_org(
                    conn, kind, code, name, division=division, actor=DEMO_ACTOR
                )
            orgs[(kind, code)] = org
        if not ctx.development:
            return [f"demo users: not created (LEDGER_ENV={ctx.env}; only in development)"]
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
    settings: Settings | None = None,
) -> list[str]:
    """Run every module's demo seeder in the composition root's order, then sign a
    checkpoint. Returns messages, including (in development) one
    ``demo sign-in: <role> <username> / <password>`` line per role."""
    ctx = DemoContext(engine, signer, origin, env, hasher or Hasher(), settings)
    lines = []
    for module in registry().modules:
        if module.demo:
            lines.extend(resolve(module.demo)(ctx))
    signed = sign_checkpoint(engine, signer, origin)
    lines.append(f"checkpoint: size {signed.checkpoint.size}")
    return lines
