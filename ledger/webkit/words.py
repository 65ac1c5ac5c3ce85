"""Codes shown as words, in the reader's language: entry kinds by the labels their modules
declare (``doc.anchor`` → 文件存证) and account names by organisation names and the words the
modules declare (``Assets:Village:350428102201:Collective`` → 常口村 集体账户)."""

from __future__ import annotations

from flask import g
from flask_babel import get_locale, gettext

from ledger.accounts import services
from ledger.platform import registry
from ledger.platform.accounts import account_words
from ledger.storage.db import read_transaction
from ledger.webkit.ext import engine


def kind_label(kind: str) -> str:
    """The label a module declares for entry kind ``kind`` (the kind itself if none does)."""
    declared = registry().kind(kind)
    return gettext(declared.label) if declared is not None else kind


def _org_names() -> dict[str, str]:
    names = g.get("ledger_org_names")
    if names is None:
        with read_transaction(engine()) as conn:
            names = {o.account_key: o.name for o in services.list_orgs(conn)}
        g.ledger_org_names = names
    return names


def account_label(account: str) -> str:
    """``account`` in words (see :func:`ledger.platform.accounts.account_words`)."""
    return account_words(account, _org_names().get, registry().account_words(), gettext)


def display_lang() -> str:
    """``zh`` or ``en``: the language of the page being rendered."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"
