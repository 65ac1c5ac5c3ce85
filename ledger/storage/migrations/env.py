"""Alembic environment: migrations run on the connection or URL the caller configures."""

from alembic import context
from sqlmodel import SQLModel

from ledger.platform import registry
from ledger.storage.db import make_engine

# Every module's tables, on the metadata that autogenerate and `alembic check` compare with.
registry().import_tables()
target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported; pass a database URL")
run_migrations_online()
