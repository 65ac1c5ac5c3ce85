"""Masked display of personal data, and who may see it in clear. Pure: no I/O.

Masks (the convention of Chinese public notices):

==============  ======================  ======================
field           clear                   masked
==============  ======================  ======================
name, 2 chars   张华                    张*
name, 3 chars   张三华                  张*华
name, 4+ chars  欧阳春华                欧**华
id_number       350424199001011234      3504**********1234
phone (mobile)  13812345678             138****5678
phone (fixed)   0591-87654321           0591-****4321
bank_account    6222020200112233445     ****3445
==============  ======================  ======================

Only the owner sees clear values: a ``village`` viewer of the village that owns a household,
a ``court`` viewer of the court that owns a defendant. Everyone else (bureaus, other villages,
other courts, the public) sees masks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.vault.fields import BANK_ACCOUNT, FIELDS, ID_NUMBER, NAME, PHONE
from ledger.vault.model import ERASED, OWNER_ROLE, VaultRecord, Viewer

STAR = "*"


def mask_name(name: str) -> str:
    """张* (2 characters), 张*华 (3), 欧**华 (4 or more: first and last kept), * (1)."""
    chars = list(name)
    n = len(chars)
    if n <= 1:
        return STAR * n
    if n == 2:
        return chars[0] + STAR
    return chars[0] + STAR * (n - 2) + chars[-1]


def mask_id_number(id_number: str) -> str:
    """First 4 and last 4 kept: 3504**********1234."""
    if len(id_number) <= 8:
        return STAR * len(id_number)
    return id_number[:4] + STAR * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """Mobile 138****5678; landline keeps its area code and last 4: 0591-****4321."""
    if "-" in phone:
        area, local = phone.split("-", 1)
        return f"{area}-{_keep_last(local, 4)}"
    if len(phone) == 11:
        return phone[:3] + STAR * 4 + phone[-4:]
    return _keep_last(phone, 4)


def mask_bank_account(account: str) -> str:
    """Last 4 kept behind a fixed mask (the length is not revealed): ****3445."""
    return STAR * 4 + account[-4:] if len(account) > 4 else STAR * 4


def _keep_last(text: str, keep: int) -> str:
    if len(text) <= keep:
        return STAR * len(text)
    return STAR * (len(text) - keep) + text[-keep:]


MASKS: dict[str, Callable[[str], str]] = {
    NAME: mask_name,
    ID_NUMBER: mask_id_number,
    PHONE: mask_phone,
    BANK_ACCOUNT: mask_bank_account,
}


def mask(field: str, value: str) -> str:
    return MASKS[field](value)


def visible(
    record_kind: str, record_owner_org: str, viewer_role: str, viewer_org: str | None
) -> bool:
    """Whether a viewer may see a record's personal data in clear: only the owning role
    (``village`` for households, ``court`` for defendants) of the owning organisation."""
    return (
        viewer_org is not None
        and viewer_org == record_owner_org
        and OWNER_ROLE.get(record_kind) == viewer_role
    )


def view(record: VaultRecord, viewer: Viewer) -> dict[str, Any]:
    """A record as ``viewer`` may see it.

    Returns ``code``, ``kind``, ``owner_org``, ``erased`` (bool), ``masked`` (bool: whether
    values are masked for this viewer) and one key per field of :data:`FIELDS`: the clear
    or masked value, ``None`` if the record has no such field, or :data:`ERASED`.
    """
    clear = visible(record.kind, record.owner_org, viewer.role, viewer.org)
    shown: dict[str, Any] = {
        "code": record.code,
        "kind": record.kind,
        "owner_org": record.owner_org,
        "erased": record.erased,
        "masked": not clear,
    }
    for name in FIELDS:
        if record.erased:
            shown[name] = ERASED
        elif name not in record.fields:
            shown[name] = None
        else:
            value = record.fields[name]
            shown[name] = value if clear else mask(name, value)
    return shown
