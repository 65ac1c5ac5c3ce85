"""Mutable tables of people and access (migration ``0003``).

``organisation``, ``app_user`` and ``api_token`` change (a user is disabled, a token revoked);
every such change is also recorded as an entry in the append-only ``audit`` log.
``signin_failure`` holds recent sign-in attempts for throttling; rows older than the throttle
window are deleted. It stores only SHA-256 digests of the account name and client address.
``audit_address`` (migration ``0005``) holds the client addresses that audit entries refer to,
for a limited time.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel


class Organisation(SQLModel, table=True):
    """A village, court or forestry bureau (see :class:`ledger.accounts.model.Org`)."""

    __tablename__ = "organisation"
    __table_args__ = (
        UniqueConstraint("kind", "code", name="uq_organisation_kind_code"),
        Index("ix_organisation_division", "division"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    code: str = Field(max_length=16)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)
    division: str = Field(max_length=12)
    created_at: str = Field(max_length=40)


class AppUser(SQLModel, table=True):
    """A person who signs in (see :class:`ledger.accounts.model.User`)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    org_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=True)
    )
    disabled: bool = Field(default=False)
    session_version: int = Field(default=1)
    created_at: str = Field(max_length=40)
    password_changed_at: str = Field(max_length=40)


class ApiToken(SQLModel, table=True):
    """An API bearer token, stored as the SHA-256 (hex) of the token."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    hint: str = Field(max_length=12)
    label: str = Field(max_length=100)
    org_id: int = Field(sa_column=Column(Integer, ForeignKey("organisation.id"), nullable=False))
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id"), nullable=True)
    )
    created_at: str = Field(max_length=40)
    revoked_at: str | None = Field(default=None, max_length=40)


class SigninFailure(SQLModel, table=True):
    """One counted password attempt: digests of the account name and of the address, and
    when. Each attempt is counted before the password is checked and stays as a failure
    unless it succeeds (:mod:`ledger.accounts.throttle`)."""

    __tablename__ = "signin_failure"
    __table_args__ = (
        Index("ix_signin_failure_account", "account_key", "at"),
        Index("ix_signin_failure_address", "address_key", "at"),
        Index("ix_signin_failure_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_key: str = Field(max_length=64)
    address_key: str = Field(max_length=64)
    at: int = Field(sa_column=Column(BigInteger, nullable=False))


class AuditAddress(SQLModel, table=True):
    """The client address of one audited sign-in or password check, and when (epoch seconds).

    Audit entries name the row by id (``"address_id"``) instead of holding the address, so
    rows older than the retention period are deleted (:mod:`ledger.accounts.addresses`).
    """

    __tablename__ = "audit_address"
    __table_args__ = (Index("ix_audit_address_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=100)
    at: int = Field(sa_column=Column(BigInteger, nullable=False))
