"""The units module's Alembic revisions: its own branch, labelled ``units``."""
