"""The receipts module's addition to the schema: an index on ``log_entry`` by leaf hash, so the
public page finds an entry from its leaf hash alone (``ix_log_entry_leaf_hash``, created by
this module's migration). The module has no tables of its own."""

from sqlalchemy import Index

from ledger.storage.tables import LogEntry

ENTRY_BY_LEAF_HASH = Index(
    "ix_log_entry_leaf_hash", LogEntry.__table__.c.log, LogEntry.__table__.c.leaf_hash
)
