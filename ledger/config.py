"""Configuration: defaults in code, then ``LEDGER_*`` environment variables, then an instance
file (``<instance>/config.toml``); later sources win.

Secrets (the Flask secret key, the checkpoint signing key, the vault key) live in files under
the instance directory or in environment variables, never in the repository or the database.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_ORIGIN = "carbon-ledger.localhost/log"


@dataclass(frozen=True)
class Settings:
    """Settings of one deployment.

    Attributes:
      instance_path: folder for the SQLite database, keys and the instance config file.
      database_url: SQLAlchemy URL; SQLite under ``instance_path`` by default.
      log_origin: the origin line of checkpoints (a schema-less URL naming this log).
      signing_key_path: PKCS8 PEM of the Ed25519 checkpoint key.
      env: ``development``, ``test`` or ``production``.
    """

    instance_path: Path = Path("instance")
    database_url: str = ""
    log_origin: str = DEFAULT_ORIGIN
    signing_key_path: Path | None = None
    env: str = "development"

    @property
    def keys_dir(self) -> Path:
        return self.instance_path / "keys"

    @property
    def key_path(self) -> Path:
        return self.signing_key_path or self.keys_dir / "checkpoint-ed25519.pem"


def _coerce(name: str, value: Any) -> Any:
    return Path(value) if name in {"instance_path", "signing_key_path"} else value


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
