"""The community module's Alembic revisions: its own branch, labelled ``community``."""
