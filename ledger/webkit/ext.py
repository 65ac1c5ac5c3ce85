"""Accessors for what the app factory puts in ``app.extensions``."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Engine

from ledger.accounts.passwords import Hasher
from ledger.config import Settings
from ledger.vault.crypto import Vault, VaultKeyError


def engine() -> Engine:
    return current_app.extensions["ledger.engine"]


def settings() -> Settings:
    return current_app.extensions["ledger.settings"]


def hasher() -> Hasher:
    return current_app.extensions["ledger.hasher"]


def vault_or_none() -> Vault | None:
    """The vault opened with the app's key, or None where no usable key is configured: pages
    then show no names and look-ups find nobody; what must write personal data refuses."""
    try:
        return Vault.from_settings(settings())
    except VaultKeyError:
        return None
