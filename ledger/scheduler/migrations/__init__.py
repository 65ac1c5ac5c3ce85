"""The scheduler module's Alembic revisions: its own branch, labelled ``scheduler``."""
