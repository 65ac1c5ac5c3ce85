"""Configuration: defaults in code, then ``LEDGER_*`` environment variables, then an instance
file (``<instance>/config.toml``); later sources win.

Secrets (the Flask secret key, the checkpoint signing key, the vault key) live in files under
the instance directory or in environment variables, never in the repository or the database.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_ORIGIN = "carbon-ledger.localhost/log"
#: Environments in which conveniences (generated secret, demo users, plain-HTTP cookies) apply.
DEVELOPMENT_ENVS = frozenset({"development", "test"})
#: Secret keys that are refused outside development: empty, or well-known placeholders.
WEAK_SECRETS = frozenset({"", "dev", "development", "secret", "changeme", "change-me", "default"})
MIN_SECRET_LEN = 32
SECRET_FILE = "secret_key"  # noqa: S105 (a file name)


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    """Settings of one deployment.

    Attributes:
      instance_path: folder for the SQLite database, keys and the instance config file.
      database_url: SQLAlchemy URL; SQLite under ``instance_path`` by default.
      log_origin: the origin line of checkpoints (a schema-less URL naming this log).
      signing_key_path: PKCS8 PEM of the Ed25519 checkpoint key.
      env: ``development``, ``test`` or ``production`` (anything else counts as production).
      secret_key: the web app's session-signing secret (``LEDGER_SECRET_KEY``); when empty it
        is read from ``<instance>/secret_key``.
      session_hours: how long a sign-in session lasts.
      remember_days: how long "remember me" lasts.
      proxy_count: how many reverse proxies (nginx) sit in front of the app and set
        ``X-Forwarded-For``/``-Proto``; 0 when the app is reached directly.
      argon2_time_cost, argon2_memory_kib, argon2_parallelism: password hashing parameters
        (argon2id; the defaults are RFC 9106's second recommendation). Changing them rehashes
        each password at its next sign-in.
    """

    instance_path: Path = Path("instance")
    database_url: str = ""
    log_origin: str = DEFAULT_ORIGIN
    signing_key_path: Path | None = None
    env: str = "development"
    secret_key: str = ""
    session_hours: int = 12
    remember_days: int = 7
    proxy_count: int = 0
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4

    @property
    def keys_dir(self) -> Path:
        return self.instance_path / "keys"

    @property
    def key_path(self) -> Path:
        return self.signing_key_path or self.keys_dir / "checkpoint-ed25519.pem"

    @property
    def secret_path(self) -> Path:
        return self.instance_path / SECRET_FILE

    @property
    def is_development(self) -> bool:
        return self.env in DEVELOPMENT_ENVS


_PATHS = {"instance_path", "signing_key_path"}
_INTS = {
    "session_hours",
    "remember_days",
    "proxy_count",
    "argon2_time_cost",
    "argon2_memory_kib",
    "argon2_parallelism",
}


def _coerce(name: str, value: Any) -> Any:
    if name in _PATHS:
        return Path(value)
    if name in _INTS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be an integer, not {value!r}") from None
    return value


def load_settings(**overrides: Any) -> Settings:
    """Settings from defaults, the environment, the instance file, then ``overrides``."""
    values: dict[str, Any] = {}
    for f in fields(Settings):
        env = os.environ.get(f"LEDGER_{f.name.upper()}")
        if env:
            values[f.name] = _coerce(f.name, env)
    instance = Path(overrides.get("instance_path") or values.get("instance_path") or "instance")
    config_file = instance / "config.toml"
    if config_file.is_file():
        with config_file.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                if key in {f.name for f in fields(Settings)}:
                    values[key] = _coerce(key, value)
    values.update({k: _coerce(k, v) for k, v in overrides.items() if v is not None})
    settings = replace(Settings(), **values)
    if not settings.database_url:
        db = (settings.instance_path / "ledger.db").resolve()
        settings = replace(settings, database_url=f"sqlite:///{db}")
    return settings


def ensure_secret_file(settings: Settings) -> bool:
    """Create ``<instance>/secret_key`` (mode 0600, 32 random bytes as hex) if it is missing.

    Returns whether it was created now. Used by ``carbon-ledger init`` and, in development, by
    the app itself.
    """
    path = settings.secret_path
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first: use theirs
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return True


def resolve_secret_key(settings: Settings) -> str:
    """The session-signing secret: ``LEDGER_SECRET_KEY`` or the instance secret file.

    In development and test a missing file is created. Outside development a missing, weak
    or too short secret is a :class:`ConfigError` naming what to set.
    """
    secret = settings.secret_key.strip()
    source = "LEDGER_SECRET_KEY"
    if not secret:
        if settings.is_development:
            ensure_secret_file(settings)
        if settings.secret_path.is_file():
            secret = settings.secret_path.read_text(encoding="utf-8").strip()
            source = str(settings.secret_path)
    if settings.is_development:
        if not secret:
            raise ConfigError(f"the secret key file {settings.secret_path} is empty")
        return secret
    if secret.lower() in WEAK_SECRETS or len(secret) < MIN_SECRET_LEN:
        where = "is not set" if not secret else f"from {source} is a default or too short"
        raise ConfigError(
            f"refusing to start in {settings.env!r}: the secret key {where}. "
            f"Set LEDGER_SECRET_KEY to at least {MIN_SECRET_LEN} random characters "
            f"(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`) "
            f"or create {settings.secret_path} with `carbon-ledger init`."
        )
    return secret


def check_production(settings: Settings) -> None:
    """Refuse to run outside development without a checkpoint signing key file."""
    if settings.is_development:
        return
    if not settings.key_path.is_file():
        raise ConfigError(
            f"refusing to start in {settings.env!r}: no checkpoint signing key at "
            f"{settings.key_path}. Run `carbon-ledger init` to create it, or set "
            "LEDGER_SIGNING_KEY_PATH to the PKCS8 PEM of the Ed25519 key."
        )
