"""Accessors for what the app factory puts in ``app.extensions``."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Engine

from ledger.accounts.passwords import Hasher
from ledger.config import Settings


def engine() -> Engine:
    return current_app.extensions["ledger.engine"]


def settings() -> Settings:
    return current_app.extensions["ledger.settings"]


def hasher() -> Hasher:
    return current_app.extensions["ledger.hasher"]
