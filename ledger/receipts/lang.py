"""Messages in the reader's language outside a web request (the PDF, the command line): the
shell's catalog and every module's, merged, as Flask-Babel merges them for the pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from gettext import NullTranslations

from babel.support import Translations

from ledger.i18n import LANGS, SHELL
from ledger.platform import registry

Gettext = Callable[[str], str]


@functools.cache
def translations(lang: str) -> NullTranslations:
    """Every catalog's messages in ``lang`` (``zh`` or ``en``)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    merged: Translations | None = None
    for folder in (SHELL, *registry().translation_folders()):
        found = Translations.load(str(folder), [lang])
        if not isinstance(found, Translations):
            continue
        if merged is None:
            merged = found
        else:
            merged.merge(found)
    return merged or NullTranslations()


def gettext(lang: str) -> Gettext:
    return translations(lang).gettext
