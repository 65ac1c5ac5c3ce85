"""Organisations, users and API tokens: create, change, look up, sign in.

Every function that changes something takes a connection inside the caller's write
transaction (:func:`ledger.storage.db.write_transaction`) and an ``actor`` (``user:1``,
``cli:root``), and records the change in the ``audit`` log in that same transaction.
:func:`authenticate` and :func:`change_password` are the exceptions: they manage their own
transactions, so that each attempt is counted (and committed) before the password is checked,
and the check (deliberately slow) runs outside any database lock. Refusals raise
:class:`~ledger.core.errors.LedgerError` subclasses with a code and a message for a person.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, or_, select, update

from ledger.accounts import addresses, audit, model, throttle, tokens
from ledger.accounts.model import Org, Principal, Token, User
from ledger.accounts.passwords import Hasher
from ledger.accounts.tables import ApiToken, AppUser, Organisation
from ledger.core.errors import ConflictError, NotFoundError, ValidationError
from ledger.services.clock import utc_now
from ledger.storage.db import read_transaction, write_transaction
from ledger.storage.tables import AccountBalance

ORG = Organisation.__table__
USER = AppUser.__table__
TOKEN = ApiToken.__table__
BALANCE = AccountBalance.__table__


# --- organisations ------------------------------------------------------------------------


def _org(row) -> Org:
    return Org(row.id, row.kind, row.code, row.name, row.level, row.division)


def get_org(conn: Connection, org_id: int) -> Org | None:
    row = conn.execute(select(ORG).where(ORG.c.id == org_id)).one_or_none()
    return None if row is None else _org(row)


def _plausible(value: str, limit: int) -> bool:
    """Cheap screen before a look-up: no NUL (PostgreSQL refuses it), not absurdly long."""
    return 0 < len(value) <= limit and "\x00" not in value


def find_org(conn: Connection, kind: str, code: str) -> Org | None:
    code = str(code).strip()
    if not _plausible(code, 16):
        return None
    row = conn.execute(select(ORG).where(ORG.c.kind == kind, ORG.c.code == code)).one_or_none()
    return None if row is None else _org(row)


def find_org_by_code(conn: Connection, code: str) -> Org | None:
    """The organisation named by ``code`` (the kind follows from the code's shape)."""
    return find_org(conn, model.kind_of_code(str(code)), code)


def list_orgs(conn: Connection, *, within: str | None = None, kind: str | None = None) -> list[Org]:
    """Organisations, by division; only those within division ``within`` if given."""
    stmt = select(ORG).order_by(ORG.c.division, ORG.c.kind, ORG.c.code)
    if within is not None:
        stmt = stmt.where(ORG.c.division.startswith(within, autoescape=True))
    if kind is not None:
        stmt = stmt.where(ORG.c.kind == kind)
    return [_org(r) for r in conn.execute(stmt)]


def create_org(
    conn: Connection, kind: str, code: str, name: str, *, division: str | None = None, actor: str
) -> Org:
    """Add an organisation; ConflictError if one of that kind already has the code."""
    code, level, division = model.normalise_code(kind, code, division)
    name = model.check_name(name)
    if find_org(conn, kind, code) is not None:
        raise ConflictError("org.exists", f"a {kind} with code {code} already exists")
    org_id = conn.execute(
        insert(ORG).values(
            kind=kind, code=code, name=name, level=level, division=division, created_at=utc_now()
        )
    ).inserted_primary_key[0]
    audit.record(
        conn,
        audit.ORG_CREATED,
        {"org": org_id, "kind": kind, "code": code, "division": division},
        actor,
    )
    return Org(org_id, kind, code, name, level, division)


@dataclass(frozen=True, slots=True)
class Balance:
    """The balance of one account in one commodity (from the ``account_balance``
    projection), after entry ``last_seq``."""

    account: str
    commodity: str
    balance: int
    last_seq: int


def balances_of(conn: Connection, org: Org, log: str = "main") -> list[Balance]:
    """Balances of every account naming ``org`` (``…:Village:350428102201:…``)."""
    key = ":" + org.account_key
    rows = conn.execute(
        select(BALANCE)
        .where(
            BALANCE.c.log == log,
            or_(
                BALANCE.c.account.contains(key + ":", autoescape=True),
                BALANCE.c.account.endswith(key, autoescape=True),
            ),
        )
        .order_by(BALANCE.c.account, BALANCE.c.commodity)
    )
    return [Balance(r.account, r.commodity, r.balance, r.last_seq) for r in rows]


# --- users --------------------------------------------------------------------------------


def _user(row, org: Org | None) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=row.role,
        org=org,
        disabled=bool(row.disabled),
        session_version=row.session_version,
        password_hash=row.password_hash,
        created_at=row.created_at,
    )


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(USER).where(USER.c.id == user_id)).one_or_none()
    if row is None:
        return None
    return _user(row, None if row.org_id is None else get_org(conn, row.org_id))


def find_user(conn: Connection, username: str) -> User | None:
    name = model.normalise_username(username)
    if not model.USERNAME_RE.match(name):
        return None
    row = conn.execute(select(USER).where(USER.c.username == name)).one_or_none()
    if row is None:
        return None
    return _user(row, None if row.org_id is None else get_org(conn, row.org_id))


def list_users(conn: Connection) -> list[User]:
    orgs = {o.id: o for o in list_orgs(conn)}
    rows = conn.execute(select(USER).order_by(USER.c.username))
    return [_user(r, orgs.get(r.org_id)) for r in rows]


def _require_user(conn: Connection, user_id: int) -> User:
    user = get_user(conn, user_id)
    if user is None:
        raise NotFoundError("user.not_found", f"there is no user {user_id}")
    return user


def _org_or_none(conn: Connection, org_id: int | None) -> Org | None:
    if org_id is None:
        return None
    org = get_org(conn, org_id)
    if org is None:
        raise ValidationError("org.not_found", f"there is no organisation {org_id}")
    return org


def create_user(
    conn: Connection,
    hasher: Hasher,
    username: str,
    password: str,
    role: str,
    org_id: int | None,
    *,
    actor: str,
) -> User:
    """Add a user; ConflictError if the username is taken."""
    username = model.check_username(username)
    model.check_password(password, username)
    org = _org_or_none(conn, org_id)
    model.check_role(role, org)
    if find_user(conn, username) is not None:
        raise ConflictError("user.exists", f"the username {username!r} is taken")
    now = utc_now()
    user_id = conn.execute(
        insert(USER).values(
            username=username,
            password_hash=hasher.hash(password),
            role=role,
            org_id=org_id,
            disabled=False,
            session_version=1,
            created_at=now,
            password_changed_at=now,
        )
    ).inserted_primary_key[0]
    audit.record(conn, audit.USER_CREATED, {"user": user_id, "role": role, "org": org_id}, actor)
    return _require_user(conn, user_id)


def _bump(conn: Connection, user_id: int, **values) -> None:
    conn.execute(
        update(USER)
        .where(USER.c.id == user_id)
        .values(session_version=USER.c.session_version + 1, **values)
    )


def set_role(conn: Connection, user_id: int, role: str, org_id: int | None, *, actor: str) -> User:
    """Change a user's role and organisation; their sessions end."""
    user = _require_user(conn, user_id)
    org = _org_or_none(conn, org_id)
    model.check_role(role, org)
    old_org = user.org.id if user.org else None
    if (user.role, old_org) == (role, org_id):
        return user
    _bump(conn, user_id, role=role, org_id=org_id)
    audit.record(
        conn,
        audit.ROLE_CHANGED,
        {
            "user": user_id,
            "from": {"role": user.role, "org": old_org},
            "to": {"role": role, "org": org_id},
        },
        actor,
    )
    return _require_user(conn, user_id)


def set_disabled(conn: Connection, user_id: int, disabled: bool, *, actor: str) -> User:
    """Disable (sessions end, sign-in refused) or re-enable a user."""
    user = _require_user(conn, user_id)
    if user.disabled == disabled:
        return user
    _bump(conn, user_id, disabled=disabled)
    kind = audit.USER_DISABLED if disabled else audit.USER_ENABLED
    audit.record(conn, kind, {"user": user_id}, actor)
    return _require_user(conn, user_id)


def reset_password(conn: Connection, hasher: Hasher, user_id: int, new: str, *, actor: str) -> User:
    """Set a user's password (by an admin or the command line); their sessions end."""
    user = _require_user(conn, user_id)
    model.check_password(new, user.username)
    _bump(conn, user_id, password_hash=hasher.hash(new), password_changed_at=utc_now())
    audit.record(conn, audit.PASSWORD_RESET, {"user": user_id}, actor)
    return _require_user(conn, user_id)


def sign_out(conn: Connection, user_id: int, *, actor: str) -> None:
    """End every session of the user (sessions are signed cookies, so ending one means
    invalidating the version they carry)."""
    if get_user(conn, user_id) is None:
        return
    _bump(conn, user_id)
    audit.record(conn, audit.SIGNOUT, {"user": user_id}, actor)


def session_user(conn: Connection, user_id: int, version: int) -> User | None:
    """The user of a session, if the session is still valid (enabled, current version)."""
    user = get_user(conn, user_id)
    if user is None or user.disabled or user.session_version != version:
        return None
    return user


# --- password checks: sign-in and the password-change form -------------------------------


@dataclass(frozen=True, slots=True)
class SigninResult:
    """The outcome of a sign-in attempt.

    Attributes:
      user: the user, when ``ok``.
      reason: ``ok``, ``bad_credentials``, ``disabled`` or ``throttled``.
      retry_after: seconds until a throttled attempt may be retried.
    """

    user: User | None
    reason: str
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


@dataclass(frozen=True, slots=True)
class _Attempt:
    """A password check that the throttle let through: the account (None if unknown),
    whether the password matched, and a new hash to store when the parameters changed."""

    user: User | None
    ok: bool
    new_hash: str | None


def _check_password(
    engine: Engine,
    hasher: Hasher,
    name: str,
    password: str,
    address: str,
    now: int,
    limits: throttle.Limits,
) -> _Attempt:
    """Reserve the attempt (committed before anything is hashed), then check the password
    outside any transaction. Raises :class:`~ledger.accounts.throttle.Throttled`, with
    nothing checked, when a limit is reached.

    An unknown username costs the same time as a wrong password."""
    with write_transaction(engine) as conn:
        verdict = throttle.reserve(conn, name, address, now, limits)
        user = find_user(conn, name) if verdict.allowed else None
    if not verdict.allowed:
        raise throttle.Throttled(verdict)
    if user is None:
        hasher.burn(password)
        return _Attempt(None, False, None)
    ok, new_hash = hasher.verify(user.password_hash, password)
    return _Attempt(user, ok, new_hash)


def _record_failure(
    conn: Connection,
    kind: str,
    body: dict,
    name: str,
    address: str,
    now: int,
    limits: throttle.Limits,
    actor: str,
) -> None:
    """Audit a failed password check (``body`` names the user and ``address_id``), and the
    lock it causes if it reached the limit for the account from this address or for the
    address."""
    audit.record(conn, kind, body, actor)
    after = throttle.check(conn, name, address, now, limits)
    if not after.allowed and after.scope != throttle.BACKOFF:
        lock = {
            "user": body["user"],
            "address_id": body["address_id"],
            "scope": after.scope,
            "seconds": after.retry_after,
        }
        audit.record(conn, audit.SIGNIN_LOCKED, lock, actor)


def _client(address: str | None) -> str:
    return (address or "unknown")[: addresses.MAX_ADDRESS_LEN]


def authenticate(
    engine: Engine,
    hasher: Hasher,
    username: str,
    password: str,
    address: str,
    *,
    now: int | None = None,
    limits: throttle.Limits = throttle.DEFAULT_LIMITS,
    retention_days: int = addresses.DEFAULT_RETENTION_DAYS,
) -> SigninResult:
    """Check a username and password from ``address``; throttle, rehash and audit.

    The attempt is counted before the password is checked (:func:`throttle.reserve`), and a
    throttled attempt is refused without checking it. An unknown username is recorded
    without the name that was typed (people type passwords into the name field). The audit
    entries name the client address by its row in ``audit_address``
    (:mod:`ledger.accounts.addresses`), kept ``retention_days``.
    """
    now = int(time.time()) if now is None else now
    name = model.normalise_username(username)[:100]
    address = _client(address)
    try:
        attempt = _check_password(engine, hasher, name, password or "", address, now, limits)
    except throttle.Throttled as exc:
        return SigninResult(None, "throttled", exc.retry_after)
    user = attempt.user
    with write_transaction(engine) as conn:
        address_id = addresses.remember(conn, address, now, retention_days)
        if attempt.ok and not user.disabled:
            if attempt.new_hash is not None:
                conn.execute(
                    update(USER).where(USER.c.id == user.id).values(password_hash=attempt.new_hash)
                )
            throttle.succeeded(conn, name, address)
            body = {"user": user.id, "address_id": address_id}
            audit.record(conn, audit.SIGNIN, body, f"user:{user.id}")
            return SigninResult(user, "ok")
        reason = "unknown_user" if user is None else ("disabled" if attempt.ok else "bad_password")
        body = {
            "user": None if user is None else user.id,
            "address_id": address_id,
            "reason": reason,
        }
        _record_failure(conn, audit.SIGNIN_FAILED, body, name, address, now, limits, "anonymous")
    return SigninResult(None, "disabled" if reason == "disabled" else "bad_credentials")


def change_password(
    engine: Engine,
    hasher: Hasher,
    user_id: int,
    current: str,
    new: str,
    address: str,
    *,
    actor: str,
    now: int | None = None,
    limits: throttle.Limits = throttle.DEFAULT_LIMITS,
    retention_days: int = addresses.DEFAULT_RETENTION_DAYS,
) -> User:
    """Change one's own password; the current one must match. Other sessions end.

    The check of the current password is throttled and audited like a sign-in, on the same
    counters (the account, from ``address``): a stolen session cannot be used to guess the
    password. The new password is checked first, so a refused new password costs no attempt.
    Raises ValidationError (the new password breaks a rule, or the current one is wrong) or
    :class:`~ledger.accounts.throttle.Throttled`.
    """
    now = int(time.time()) if now is None else now
    address = _client(address)
    with read_transaction(engine) as conn:
        user = _require_user(conn, user_id)
    model.check_password(new, user.username)
    if new == current:
        raise ValidationError("user.password_unchanged", "the new password must be different")
    attempt = _check_password(engine, hasher, user.username, current or "", address, now, limits)
    if not attempt.ok:
        with write_transaction(engine) as conn:
            body = {
                "user": user_id,
                "address_id": addresses.remember(conn, address, now, retention_days),
            }
            _record_failure(
                conn, audit.PASSWORD_CHECK_FAILED, body, user.username, address, now, limits, actor
            )
        raise ValidationError("user.current_password", "the current password is not correct")
    new_hash = hasher.hash(new)
    with write_transaction(engine) as conn:
        throttle.succeeded(conn, user.username, address)
        _bump(conn, user_id, password_hash=new_hash, password_changed_at=utc_now())
        audit.record(conn, audit.PASSWORD_CHANGED, {"user": user_id}, actor)
        return _require_user(conn, user_id)


# --- API tokens ---------------------------------------------------------------------------


def _token(row, org: Org) -> Token:
    return Token(
        id=row.id,
        label=row.label,
        org=org,
        hint=row.hint,
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def create_token(
    conn: Connection, org_id: int, label: str, *, created_by: int | None, actor: str
) -> tuple[str, Token]:
    """A new token for one organisation. Returns the token text (shown once) and its record."""
    org = _org_or_none(conn, org_id)
    if org is None:
        raise ValidationError("token.org", "a token must be scoped to an organisation")
    label = model.check_name(label, "label", model.MAX_LABEL_LEN)
    text = tokens.new_token()
    token_id = conn.execute(
        insert(TOKEN).values(
            token_hash=tokens.token_hash(text),
            hint=tokens.hint(text),
            label=label,
            org_id=org.id,
            created_by=created_by,
            created_at=utc_now(),
        )
    ).inserted_primary_key[0]
    audit.record(
        conn, audit.TOKEN_CREATED, {"token": token_id, "org": org.id, "by": created_by}, actor
    )
    row = conn.execute(select(TOKEN).where(TOKEN.c.id == token_id)).one()
    return text, _token(row, org)


def revoke_token(conn: Connection, token_id: int, *, actor: str) -> Token:
    row = conn.execute(select(TOKEN).where(TOKEN.c.id == token_id)).one_or_none()
    if row is None:
        raise NotFoundError("token.not_found", f"there is no token {token_id}")
    if row.revoked_at is None:
        conn.execute(update(TOKEN).where(TOKEN.c.id == token_id).values(revoked_at=utc_now()))
        audit.record(conn, audit.TOKEN_REVOKED, {"token": token_id, "org": row.org_id}, actor)
        row = conn.execute(select(TOKEN).where(TOKEN.c.id == token_id)).one()
    return _token(row, get_org(conn, row.org_id))


def get_token(conn: Connection, token_id: int) -> Token | None:
    row = conn.execute(select(TOKEN).where(TOKEN.c.id == token_id)).one_or_none()
    return None if row is None else _token(row, get_org(conn, row.org_id))


def list_tokens(conn: Connection) -> list[Token]:
    orgs = {o.id: o for o in list_orgs(conn)}
    rows = conn.execute(select(TOKEN).order_by(TOKEN.c.id))
    return [_token(r, orgs[r.org_id]) for r in rows]


def principal_for_token(conn: Connection, text: str) -> Principal | None:
    """The principal a bearer token acts as, or None if it is malformed, unknown or revoked."""
    if not tokens.well_formed(text):
        return None
    row = conn.execute(
        select(TOKEN).where(TOKEN.c.token_hash == tokens.token_hash(text))
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    org = get_org(conn, row.org_id)
    return model.token_principal(_token(row, org))
