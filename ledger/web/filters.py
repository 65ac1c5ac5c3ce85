"""Jinja filters for what people read on pages: amounts, carbon and times through
:mod:`ledger.formatting`, in the display language (the current Babel locale decides zh or en),
and API descriptions with their `code` spans.

In templates::

    {{ b.balance|amount(b.commodity) }}   40,845.00 元 / 12,723.000 吨（12,723,000 千克）
    {{ fen|yuan }}  {{ fen|yuan_capital }}  {{ kg|tonnes }}  {{ kg|tonnes(3) }}  {{ kg|kg }}
    {{ entry.time|beijing }}              2026年11月30日 19:36 北京时间
    {{ entry.time|beijing(seconds=True) }}
    {{ day|date_text }}                   2021年5月18日
    {{ text|code_spans }}                 `x` and ``x`` as <code>x</code>, the rest escaped
    {{ entry.actor|actor }}               user:3 → the user's name (:mod:`ledger.web.actors`)
    {{ entry.kind|entry_kind }}           doc.anchor → 文件存证 (the label its module declares)
    {{ p.account|account }}               Assets:Village:350428102201:Collective → 常口村 集体账户
    {{ b.balance|shown(b.account) }}      income and amounts owed as positive numbers
"""

from __future__ import annotations

import re
from datetime import date

from markupsafe import Markup, escape

from ledger import formatting
from ledger.platform.accounts import shown_amount
from ledger.web.actors import actor_label
from ledger.webkit.words import account_label, display_lang, kind_label

CODE_SPAN_RE = re.compile(r"``(.+?)``|`([^`]+?)`")


def amount(value: int, commodity: str) -> str:
    return formatting.amount(value, commodity, display_lang())


def yuan(fen: int) -> str:
    return formatting.yuan(fen, display_lang())


def tonnes(kg: int, places: int = 2) -> str:
    return formatting.tonnes(kg, places, display_lang())


def kg(value: int) -> str:
    return formatting.kg(value, display_lang())


def tonnes_exact(kg: int) -> str:
    return formatting.tonnes_exact(kg, display_lang())


def beijing(utc_iso: str, seconds: bool = False) -> str:
    return formatting.beijing(utc_iso, display_lang(), seconds=seconds)


def date_text(day: date) -> str:
    return formatting.date_text(day, display_lang())


def code_spans(text: str) -> Markup:
    """Escape ``text`` and show its Markdown/reST code spans (`x`, ``x``) as ``<code>``."""
    parts = []
    last = 0
    for match in CODE_SPAN_RE.finditer(text or ""):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup("<code>%s</code>") % (match.group(1) or match.group(2)))
        last = match.end()
    parts.append(escape((text or "")[last:]))
    return Markup("").join(parts)


def shown(value: int, account: str) -> int:
    return shown_amount(account, value)


FILTERS = {
    "entry_kind": kind_label,
    "account": account_label,
    "shown": shown,
    "amount": amount,
    "yuan": yuan,
    "yuan_capital": formatting.yuan_capital,
    "tonnes": tonnes,
    "kg": kg,
    "tonnes_exact": tonnes_exact,
    "beijing": beijing,
    "date_text": date_text,
    "code_spans": code_spans,
    "actor": actor_label,
}
