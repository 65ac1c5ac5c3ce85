"""Storage: SQLModel tables, engines for SQLite and PostgreSQL, and Alembic migrations."""
