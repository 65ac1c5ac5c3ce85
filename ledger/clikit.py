"""What every ``carbon-ledger`` command shares: the invocation :class:`Context` (settings, a
lazily created engine, the signing key) and :func:`command`, which adds ``--db`` and turns
refusals into ``error: <message>`` with exit status 2. Modules build their command groups with
it (:attr:`ledger.platform.Module.cli`)."""

from __future__ import annotations

import functools
import getpass
import json
import sys

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from ledger.accounts.passwords import Hasher
from ledger.config import Settings, load_settings
from ledger.core.errors import LedgerError
from ledger.core.note import NoteError, Verifier
from ledger.services import keys
from ledger.services.keys import public_paths
from ledger.storage.db import make_engine


class Context:
    """Settings and a lazily created engine for one CLI invocation."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def signer(self):
        return keys.load_signer(self.settings.key_path, self.settings.log_origin)

    def verifiers(self, verifier_key: str | None) -> list[Verifier]:
        if verifier_key:
            return [Verifier.from_verifier_key(verifier_key)]
        _, vkey = public_paths(self.settings.key_path)
        if vkey.exists():
            return [Verifier.from_verifier_key(vkey.read_text().strip())]
        return [self.signer().verifier()]


def command(group, *args, **kwargs):
    """A subcommand with ``--db`` and LedgerError → ``error: …`` (exit 2)."""

    def decorate(fn):
        @group.command(*args, **kwargs)
        @click.option("--db", "db_url", metavar="URL", help="SQLAlchemy database URL.")
        @click.pass_context
        @functools.wraps(fn)
        def wrapper(ctx, db_url, **params):
            settings = load_settings(database_url=db_url)
            ctx.obj = Context(settings)
            try:
                return ctx.invoke(fn, ctx.obj, **params)
            except (LedgerError, NoteError) as exc:
                message = getattr(exc, "message", str(exc))
                click.echo(f"error: {message}", err=True)
                sys.exit(2)
            except (OperationalError, ProgrammingError) as exc:
                url = make_url(settings.database_url).render_as_string(hide_password=True)
                if missing_table(exc):
                    message = f"the database {url} is not initialised; run `carbon-ledger init`"
                elif isinstance(exc, OperationalError):
                    message = f"cannot use the database {url}: {str(exc.orig).strip()}"
                else:
                    raise
                click.echo(f"error: {message}", err=True)
                sys.exit(2)
            finally:
                if ctx.obj._engine is not None:
                    ctx.obj._engine.dispose()

        return wrapper

    return decorate


def missing_table(exc: DBAPIError) -> bool:
    """Whether a database error says a table does not exist (an uninitialised database)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "42P01":  # PostgreSQL undefined_table
        return True
    return "no such table" in str(orig)


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def hasher(settings: Settings) -> Hasher:
    return Hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
