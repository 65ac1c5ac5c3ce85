"""Configuration: defaults in code, then ``LEDGER_*`` environment variables, then an instance
file (``<instance>/config.toml``); later sources win.

Secrets (the Flask secret key, the checkpoint signing key, the vault key) live in files under
the instance directory or in environment variables, never in the repository or the database.
"""

from __future__ import annotations

import os
import secrets
import stat
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
#: A secret needs this many different characters, of at least two kinds (digits, lowercase,
#: uppercase, others): ``"a" * 40`` or forty digits are long but guessable.
MIN_SECRET_DISTINCT = 10
SECRET_FILE = "secret_key"  # noqa: S105 (a file name)
#: Allowed ranges (low, high) of numeric settings, in every environment.
RANGES = {
    "session_hours": (1, 72),
    "remember_days": (0, 30),
    "argon2_parallelism": (1, 16),
    "address_retention_days": (1, 365),
    "checkpoint_minutes": (1, 1440),
    "reconcile_grace_days": (0, 365),
}
#: The least password-hashing cost accepted outside development (OWASP's argon2id minimum:
#: 19 MiB of memory, 2 passes).
MIN_PRODUCTION_ARGON2 = {"argon2_memory_kib": 19 * 1024, "argon2_time_cost": 2}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    """Settings of one deployment.

    Attributes:
      instance_path: folder for the SQLite database, keys and the instance config file.
      database_url: SQLAlchemy URL; SQLite under ``instance_path`` by default.
      log_origin: the origin line of checkpoints (a schema-less URL naming this log).
      public_url: the address people reach the public pages at (``https://…``, no trailing
        path), which receipts print in their QR codes; empty: ``https://`` and the host part
        of ``log_origin`` (see :attr:`public_base`).
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
      address_retention_days: how long the client addresses of sign-ins are kept
        (:mod:`ledger.accounts.addresses`).
      checkpoint_minutes: how often the scheduler signs a checkpoint when the log has grown.
      reconcile_grace_days: how long after a retirement in the log the registry may take to
        show it before reconciliation reports it missing.
    """

    instance_path: Path = Path("instance")
    database_url: str = ""
    log_origin: str = DEFAULT_ORIGIN
    public_url: str = ""
    signing_key_path: Path | None = None
    env: str = "development"
    secret_key: str = ""
    session_hours: int = 12
    remember_days: int = 7
    proxy_count: int = 0
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    address_retention_days: int = 90
    checkpoint_minutes: int = 60
    reconcile_grace_days: int = 14

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
    def public_base(self) -> str:
        """Where the public pages are: ``public_url``, else ``https://<host of log_origin>``."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return "https://" + self.log_origin.split("/", 1)[0]

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
    "address_retention_days",
    "checkpoint_minutes",
    "reconcile_grace_days",
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
    if os.environ.get("LEDGER_ENV", "unset").strip() == "":
        raise ConfigError(
            "LEDGER_ENV is set but empty: set it to production (or development on a "
            "developer's machine), or unset it for development"
        )
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


def ensure_instance_dir(settings: Settings) -> None:
    """Create the instance folder, readable by its owner only (mode 0700), if it is missing.

    Called by ``carbon-ledger init`` and at app start, before anything is written there.
    """
    settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)


def ensure_secret_file(settings: Settings) -> bool:
    """Create ``<instance>/secret_key`` (mode 0600, 32 random bytes as hex) if it is missing.

    Returns whether it was created now. Used by ``carbon-ledger init`` and, in development, by
    the app itself.
    """
    path = settings.secret_path
    if path.exists():
        return False
    ensure_instance_dir(settings)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first: use theirs
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return True


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` is too weak to sign sessions with, or None if it is strong enough."""
    if not secret:
        return "is not set"
    if secret.lower() in WEAK_SECRETS:
        return "is a well-known default"
    if len(secret) < MIN_SECRET_LEN:
        return f"is shorter than {MIN_SECRET_LEN} characters"
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        return f"has fewer than {MIN_SECRET_DISTINCT} different characters"
    kinds = {
        "digit" if c.isdigit() else "lower" if c.islower() else "upper" if c.isupper() else "other"
        for c in secret
    }
    if len(kinds) < 2:
        return "uses only one kind of character"
    return None


def resolve_secret_key(settings: Settings) -> str:
    """The session-signing secret: ``LEDGER_SECRET_KEY`` or the instance secret file.

    In development and test a missing file is created. Outside development a missing or weak
    secret (:func:`secret_weakness`) is a :class:`ConfigError` naming what to set.
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
    weakness = secret_weakness(secret)
    if weakness is not None:
        where = weakness if not secret else f"from {source} {weakness}"
        raise ConfigError(
            f"refusing to start in {settings.env!r}: the secret key {where}. "
            f"Set LEDGER_SECRET_KEY to at least {MIN_SECRET_LEN} random characters "
            f"(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`) "
            f"or create {settings.secret_path} with `carbon-ledger init`."
        )
    return secret


def check_settings(settings: Settings) -> None:
    """Refuse numeric settings outside their sane ranges (:data:`RANGES`), in any
    environment; outside development also password hashing below
    :data:`MIN_PRODUCTION_ARGON2`."""
    for name, (low, high) in RANGES.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise ConfigError(
                f"{name} is {value}; set LEDGER_{name.upper()} to a number from {low} to {high}"
            )
    if settings.is_development:
        return
    for name, least in MIN_PRODUCTION_ARGON2.items():
        value = getattr(settings, name)
        if value < least:
            raise ConfigError(
                f"refusing to start in {settings.env!r}: {name} is {value}, too cheap to "
                f"protect passwords; set LEDGER_{name.upper()} to at least {least}"
            )


def _check_private(settings: Settings, path: Path, what: str) -> None:
    """Refuse a key file that the file's group or other users may read or change."""
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise ConfigError(
            f"refusing to start in {settings.env!r}: the {what} {path} is open to other "
            f"users; run `chmod 600 {path}`"
        )


def check_production(settings: Settings) -> None:
    """Refuse unsafe settings: out-of-range numbers (:func:`check_settings`) anywhere; outside
    development also a missing checkpoint signing key, a missing or malformed vault key, and
    key files readable by other users. Each refusal says what to set."""
    from ledger.vault.crypto import ENV_VAR, VaultKeyError, load_master_key, vault_key_path

    check_settings(settings)
    if settings.is_development:
        return
    if not settings.key_path.is_file():
        raise ConfigError(
            f"refusing to start in {settings.env!r}: no checkpoint signing key at "
            f"{settings.key_path}. Run `carbon-ledger init` to create it, or set "
            "LEDGER_SIGNING_KEY_PATH to the PKCS8 PEM of the Ed25519 key."
        )
    _check_private(settings, settings.key_path, "checkpoint signing key")
    try:
        load_master_key(settings)
    except VaultKeyError as exc:
        raise ConfigError(
            f"refusing to start in {settings.env!r}: {exc.message}. The vault key is "
            f"{ENV_VAR} (the base64 of 32 random bytes) or the file "
            f"{vault_key_path(settings)} made by `carbon-ledger init`."
        ) from None
    if not settings.secret_key and settings.secret_path.is_file():
        _check_private(settings, settings.secret_path, "secret key file")
