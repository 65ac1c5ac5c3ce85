"""The reconciliation module's Alembic revisions: its own branch, labelled ``reconcile``."""
