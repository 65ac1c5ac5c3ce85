"""The one seeded data set of the web and API tests, and the app they run against.

:data:`ORGS`: Fujian province, Sanming city, two counties (将乐县 350428 and 三元区 350403)
with their bureaus, villages and courts; :data:`USERS`: one user per role (and a spare);
:func:`seed` adds them, optionally one API token per organisation, two entries (a sale to
常口村, a purchase into the 将乐 court's escrow) and a signed checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ledger.accounts import services
from ledger.accounts.model import Org, User
from ledger.accounts.passwords import Hasher
from ledger.core.entry import EntryDraft, Posting
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import create_signing_key
from ledger.services.log import append_batch
from ledger.storage.db import write_transaction
from ledger.web import create_app

PASSWORD = "correct horse battery"
ORIGIN = "test.carbon-ledger.localhost/log"
#: Cheap argon2 parameters, so the suite signs in hundreds of times quickly.
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}

#: key → (kind, code, name, division)
ORGS = {
    "province": ("bureau", "35", "福建省林业局", None),
    "city": ("bureau", "3504", "三明市林业局", None),
    "county": ("bureau", "350428", "将乐县林业局", None),
    "other_county": ("bureau", "350403", "三元区林业局", None),
    "v1": ("village", "350428102201", "常口村", None),
    "v2": ("village", "350428102202", "余坊村", None),
    "v3": ("village", "350403100201", "三元区示例村", None),
    "court": ("court", "闽0428", "将乐县人民法院", "350428"),
    "court2": ("court", "闽0403", "三元区人民法院", "350403"),
}
#: role key → (username, role, organisation key)
USERS = {
    "village": ("v1clerk", "village", "v1"),
    "village_other": ("v2clerk", "village", "v2"),
    "court": ("courtclerk", "court", "court"),
    "bureau_county": ("countybureau", "bureau", "county"),
    "bureau_province": ("provincebureau", "bureau", "province"),
    "bureau_other": ("otherbureau", "bureau", "other_county"),
    "admin": ("admin1", "admin", None),
    "victim": ("victim", "village", "v2"),  # for disable / role-change tests
}


#: The main log after seeding: 0 a sale to 常口村, 1 a purchase into the 将乐 court's escrow.
V1_ACCOUNT = "Assets:Village:350428102201:Collective"
COURT_ACCOUNT = "Assets:Court:350428:Escrow"
SEEDED = 2


@dataclass
class World:
    """What :func:`seed` made: organisations and users by key, and (with ``tokens``) one API
    token per organisation (``tokens[key]`` the secret, ``token_ids[key]`` its id)."""

    orgs: dict[str, Org]
    users: dict[str, User]
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)


def seed(app, *, tokens: bool = False) -> World:
    """Create the test organisations, users (and API tokens), the two seeded entries and a
    signed checkpoint: the one data set every web and API test starts from."""
    engine = app.extensions["ledger.engine"]
    hasher: Hasher = app.extensions["ledger.hasher"]
    world = World({}, {})
    orgs, users = world.orgs, world.users
    with write_transaction(engine) as conn:
        for key, (kind, code, name, division) in ORGS.items():
            orgs[key] = services.create_org(conn, kind, code, name, division=division, actor="test")
            if tokens:
                text, token = services.create_token(
                    conn, orgs[key].id, f"{key} script", created_by=None, actor="test"
                )
                world.tokens[key], world.token_ids[key] = text, token.id
        for key, (username, role, org_key) in USERS.items():
            org_id = orgs[org_key].id if org_key else None
            users[key] = services.create_user(
                conn, hasher, username, PASSWORD, role, org_id, actor="test"
            )
    append_batch(
        engine,
        [
            EntryDraft(
                "test.sale",
                {"ticket": "0000001"},
                "test",
                (
                    Posting("Assets:Buyer:Demo", "CNY", -4_084_500),
                    Posting(V1_ACCOUNT, "CNY", 4_084_500),
                    Posting("Assets:Buyer:Demo", "CO2E", 1_000),
                    Posting(V1_ACCOUNT, "CO2E", -1_000),
                ),
            ),
            EntryDraft(
                "test.purchase",
                {"case": "(2022)闽0428刑初1号"},
                "test",
                (
                    Posting(COURT_ACCOUNT, "CNY", 150_000),
                    Posting("Assets:Buyer:Demo", "CNY", -150_000),
                ),
            ),
        ],
    )
    settings = app.extensions["ledger.settings"]
    signer, _ = create_signing_key(settings.key_path, ORIGIN)
    sign_checkpoint(engine, signer, ORIGIN)
    return world


def make_app(db_url: str, instance: Path, **extra):
    config = {
        "database_url": db_url,
        "instance_path": instance,
        "log_origin": ORIGIN,
        "env": "test",
        "TESTING": True,
        **FAST_ARGON2,
        **extra,
    }
    return create_app(config)
