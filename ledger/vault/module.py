"""The vault module: the encrypted store of personal data (its tables)."""

from ledger.platform import N_, Module

MODULE = Module(name="vault", label=N_("Personal-data vault"), tables=("ledger.vault.tables",))
