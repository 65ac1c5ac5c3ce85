"""The jobs module's Alembic revisions: its own branch, labelled ``jobs``."""
