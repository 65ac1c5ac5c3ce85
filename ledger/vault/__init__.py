"""The personal-data vault: names, resident ID numbers, phone numbers and bank accounts of
households and defendants, encrypted (AES-256-GCM) with a keyed-hash (HMAC-SHA256) look-up
index, shown masked to everyone but the owner, and erasable.

Log entries never carry personal data: they name a household or defendant by the vault's
pseudonymous code (``H-…``, ``D-…``), so erasing a record breaks no hash.

Pure parts (no I/O): :mod:`.fields` (validation, normalisation), :mod:`.masking` (masks,
``visible``, ``view``), :mod:`.model` (records). Keys: :mod:`.crypto`. Storage:
:mod:`.tables`, :mod:`.service`.
"""

from ledger.vault.crypto import (
    Vault,
    VaultIntegrityError,
    VaultKeyError,
    ensure_vault_key,
    vault_key_path,
)
from ledger.vault.fields import BANK_ACCOUNT, FIELDS, ID_NUMBER, NAME, PHONE, id_check_char
from ledger.vault.masking import mask, view, visible
from ledger.vault.model import DEFENDANT, ERASED, HOUSEHOLD, OWNER_ROLE, VaultRecord, Viewer
from ledger.vault.service import codes_of, erase, find_by, get, put, update

__all__ = [
    "BANK_ACCOUNT",
    "DEFENDANT",
    "ERASED",
    "FIELDS",
    "HOUSEHOLD",
    "ID_NUMBER",
    "NAME",
    "OWNER_ROLE",
    "PHONE",
    "Vault",
    "VaultIntegrityError",
    "VaultKeyError",
    "VaultRecord",
    "Viewer",
    "codes_of",
    "ensure_vault_key",
    "erase",
    "find_by",
    "get",
    "id_check_char",
    "mask",
    "put",
    "update",
    "vault_key_path",
    "view",
    "visible",
]
