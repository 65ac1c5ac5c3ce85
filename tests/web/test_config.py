"""Configuration of the web app: defaults, ``LEDGER_*`` variables, the instance file, and the
refusals outside development (default secret, missing signing key)."""

from __future__ import annotations

import base64
import os
import stat
from datetime import timedelta

import pytest

from ledger.accounts.passwords import Hasher
from ledger.config import ConfigError, Settings, load_settings
from ledger.services.keys import create_signing_key
from ledger.vault import ensure_vault_key
from ledger.web import create_app
from tests.web.conftest import (
    FAST_ARGON2,
    ORIGIN,
    audit_entries,
    make_app,
    seed,
    sign_in,
    stored_address,
)

GOOD_SECRET = "8f1c2d3e4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"
#: The cheapest password hashing production accepts.
LEAST_ARGON2 = {"argon2_time_cost": 2, "argon2_memory_kib": 19 * 1024, "argon2_parallelism": 1}


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("LEDGER_"):
            monkeypatch.delenv(name)
    return monkeypatch


def production(tmp_path, **extra):
    instance = tmp_path / "instance"
    config = {
        "env": "production",
        "instance_path": instance,
        "database_url": f"sqlite:///{tmp_path / 'ledger.db'}",
        **extra,
    }
    return instance, config


def with_key(instance):
    """The signing key and the vault key that ``carbon-ledger init`` makes."""
    create_signing_key(instance / "keys" / "checkpoint-ed25519.pem", ORIGIN)
    ensure_vault_key(Settings(instance_path=instance))


@pytest.mark.parametrize("secret", [None, "", "change-me", "dev", "short-but-random-9f8e"])
def test_production_refuses_a_default_or_weak_secret(tmp_path, clean_env, secret):
    instance, config = production(tmp_path)
    with_key(instance)
    if secret is not None:
        config["secret_key"] = secret
    with pytest.raises(ConfigError) as info:
        create_app(config)
    message = str(info.value)
    assert "LEDGER_SECRET_KEY" in message and "carbon-ledger init" in message
    assert not (instance / "secret_key").exists()  # nothing is generated outside development


def test_production_refuses_a_default_secret_from_the_environment(tmp_path, clean_env):
    instance, config = production(tmp_path)
    with_key(instance)
    clean_env.setenv("LEDGER_SECRET_KEY", "change-me")  # as in deploy/env.example
    with pytest.raises(ConfigError, match="LEDGER_SECRET_KEY"):
        create_app(config)


def test_production_refuses_a_missing_signing_key(tmp_path, clean_env):
    _, config = production(tmp_path, secret_key=GOOD_SECRET)
    with pytest.raises(ConfigError) as info:
        create_app(config)
    assert "LEDGER_SIGNING_KEY_PATH" in str(info.value)
    assert "carbon-ledger init" in str(info.value)


def test_any_unknown_env_counts_as_production(tmp_path, clean_env):
    _, config = production(tmp_path, env="staging")
    with pytest.raises(ConfigError):
        create_app(config)


def test_production_starts_with_a_real_secret_and_key(tmp_path, clean_env):
    instance, config = production(tmp_path, secret_key=GOOD_SECRET)
    with_key(instance)
    app = create_app(config)
    assert app.config["SECRET_KEY"] == GOOD_SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_accepts_the_secret_file_made_by_init(tmp_path, clean_env):
    from click.testing import CliRunner

    from ledger.cli import main

    instance, config = production(tmp_path)
    clean_env.setenv("LEDGER_INSTANCE_PATH", str(instance))
    clean_env.setenv("LEDGER_ENV", "production")
    result = CliRunner().invoke(main, ["init", "--db", config["database_url"]])
    assert result.exit_code == 0, result.output
    assert f"secret key: {instance / 'secret_key'} (created)" in result.output
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
    app = create_app(config)
    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text().strip()


def test_production_sets_secure_cookies(db_url, tmp_path, clean_env):
    instance = tmp_path / "instance"
    with_key(instance)
    app = make_app(db_url, instance, env="production", secret_key=GOOD_SECRET, **LEAST_ARGON2)
    seed(app)
    response = sign_in(app.test_client(), "v1clerk", remember=True)
    assert response.status_code == 302
    for cookie in response.headers.getlist("Set-Cookie"):
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["ledger.engine"].dispose()


def test_development_generates_and_keeps_a_secret_in_the_instance(tmp_path, clean_env):
    instance = tmp_path / "instance"
    config = {"instance_path": instance, "database_url": f"sqlite:///{tmp_path / 'x.db'}"}
    first = create_app(dict(config))
    second = create_app(dict(config))
    path = instance / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == path.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SESSION_COOKIE_SECURE"] is False


def test_environment_then_instance_file(tmp_path, clean_env):
    instance = tmp_path / "instance"
    instance.mkdir()
    clean_env.setenv("LEDGER_INSTANCE_PATH", str(instance))
    clean_env.setenv("LEDGER_SESSION_HOURS", "2")
    clean_env.setenv("LEDGER_REMEMBER_DAYS", "3")
    clean_env.setenv("LEDGER_SECRET_KEY", GOOD_SECRET)
    (instance / "config.toml").write_text('remember_days = 5\nlog_origin = "x.example/log"\n')
    settings = load_settings()
    assert (settings.session_hours, settings.remember_days) == (2, 5)
    assert settings.log_origin == "x.example/log"
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=5)
    assert app.config["SECRET_KEY"] == GOOD_SECRET


def test_a_bad_number_is_a_clear_error(clean_env):
    clean_env.setenv("LEDGER_PROXY_COUNT", "one")
    with pytest.raises(ConfigError, match="proxy_count must be an integer"):
        load_settings()


def test_behind_a_proxy_the_forwarded_address_is_throttled(db_url, tmp_path, clean_env):
    app = make_app(db_url, tmp_path / "instance", proxy_count=1)
    seed(app)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"  # nginx
    headers = {"X-Forwarded-For": "198.51.100.7"}
    token = client.get("/signin", headers=headers)
    assert token.status_code == 200
    sign_in(client, "v1clerk", "wrong password!", headers=headers)
    engine = app.extensions["ledger.engine"]
    (entry,) = audit_entries(engine, "audit.signin_failed")
    assert stored_address(engine, entry.body["address_id"]) == "198.51.100.7"
    app.extensions["ledger.engine"].dispose()


def test_babel_defaults_to_chinese_and_finds_a_zh_catalog(db_url, tmp_path, clean_env):
    """zh_CN parses as zh_Hans_CN, which gettext resolves to a catalog in ``zh/`` (or
    ``zh_Hans_CN/``), not ``zh_CN/``: the pages' catalog belongs in translations/zh/."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from flask import render_template_string
    from flask_babel import get_locale

    translations = tmp_path / "translations"
    (translations / "zh" / "LC_MESSAGES").mkdir(parents=True)
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Sign in", "登录")
    with (translations / "zh" / "LC_MESSAGES" / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    app = make_app(db_url, tmp_path / "instance", BABEL_TRANSLATION_DIRECTORIES=str(translations))
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    with app.test_request_context("/"):
        assert str(get_locale()) == "zh_Hans_CN"
        assert render_template_string("{{ _('Sign in') }}") == "登录"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert str(get_locale()) == "en"
        assert render_template_string("{{ _('Sign in') }}") == "Sign in"
    page = app.test_client().get("/signin").get_data(as_text=True)
    assert '<html lang="zh-CN"' in page and "登录" in page
    app.extensions["ledger.engine"].dispose()


def test_every_endpoint_needs_an_access_rule(app):
    from flask import Blueprint

    from ledger.webkit import authz

    rogue = Blueprint("rogue", __name__)
    rogue.add_url_rule("/rogue", "page", lambda: "hi")
    app.register_blueprint(rogue)
    with pytest.raises(RuntimeError, match=r"rogue\.page"):
        authz.check_coverage(app)


def test_fast_argon2_is_only_a_test_setting():
    from ledger.config import Settings

    defaults = Settings()
    assert (defaults.argon2_time_cost, defaults.argon2_memory_kib) == (3, 65536)
    assert FAST_ARGON2["argon2_memory_kib"] < defaults.argon2_memory_kib


# --- demo accounts ----------------------------------------------------------------------------


def test_production_refuses_to_start_while_a_demo_account_is_enabled(db_url, tmp_path, clean_env):
    """The demo users' passwords are in the README: a production app over a database where
    one is enabled does not start, and says how to disable them; once disabled, it starts."""
    from click.testing import CliRunner

    from ledger.cli import main
    from ledger.demo import DEMO_USERS, DemoContext, seed_accounts
    from ledger.storage.db import make_engine

    engine = make_engine(db_url)
    signer, _ = create_signing_key(tmp_path / "dev-key.pem", ORIGIN)
    # as `carbon-ledger init --demo` in development, before the instance went to production
    seed_accounts(DemoContext(engine, signer, ORIGIN, "development", Hasher(1, 8, 1)))
    engine.dispose()
    instance, config = production(tmp_path, secret_key=GOOD_SECRET, database_url=db_url)
    with_key(instance)
    names = [username for _, username, _, _ in DEMO_USERS]
    for n, name in enumerate(names):
        with pytest.raises(ConfigError) as info:
            create_app(dict(config))
        message = str(info.value)
        assert "demo accounts" in message
        for enabled in names[n:]:
            assert f"`carbon-ledger users disable {enabled}`" in message
        for disabled in names[:n]:
            assert f"`carbon-ledger users disable {disabled}`" not in message
        result = CliRunner().invoke(main, ["users", "disable", name, "--db", db_url])
        assert result.exit_code == 0, result.output
    app = create_app(dict(config))
    assert app.test_client().get("/").status_code == 200
    app.extensions["ledger.engine"].dispose()
    # development keeps its demo accounts
    dev = create_app({**config, "env": "development"})
    dev.extensions["ledger.engine"].dispose()


# --- production refusals, each saying what to set -----------------------------------------------


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("a" * 40, "fewer than 10 different characters"),
        ("ab" * 20, "fewer than 10 different characters"),
        ("1234567890" * 4, "only one kind of character"),
        ("abcdefghijklmnopqrstuvwxyzabcdefghij", "only one kind of character"),
    ],
)
def test_production_refuses_a_low_variety_secret(tmp_path, clean_env, secret, reason):
    instance, config = production(tmp_path, secret_key=secret)
    with_key(instance)
    with pytest.raises(ConfigError) as info:
        create_app(config)
    assert reason in str(info.value) and "LEDGER_SECRET_KEY" in str(info.value)


@pytest.mark.parametrize("value", ["", "  "])
def test_a_set_but_empty_ledger_env_is_refused(tmp_path, clean_env, value):
    clean_env.setenv("LEDGER_ENV", value)
    with pytest.raises(ConfigError, match=r"LEDGER_ENV is set but empty.*production"):
        create_app({"database_url": f"sqlite:///{tmp_path / 'x.db'}"})
    clean_env.delenv("LEDGER_ENV")
    assert load_settings().env == "development"  # unset is development


def test_production_refuses_a_missing_vault_key(tmp_path, clean_env):
    instance, config = production(tmp_path, secret_key=GOOD_SECRET)
    create_signing_key(instance / "keys" / "checkpoint-ed25519.pem", ORIGIN)
    with pytest.raises(ConfigError) as info:
        create_app(config)
    message = str(info.value)
    assert "no vault key" in message and "LEDGER_VAULT_KEY" in message
    assert "carbon-ledger init" in message


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("not base64 at all!", "not valid base64"),
        (base64.b64encode(bytes(16)).decode(), "must be 32 bytes, not 16"),
    ],
)
def test_production_refuses_a_malformed_vault_key(tmp_path, clean_env, key, words):
    instance, config = production(tmp_path, secret_key=GOOD_SECRET)
    create_signing_key(instance / "keys" / "checkpoint-ed25519.pem", ORIGIN)
    clean_env.setenv("LEDGER_VAULT_KEY", key)
    with pytest.raises(ConfigError) as info:
        create_app(dict(config))
    assert words in str(info.value) and "LEDGER_VAULT_KEY" in str(info.value)
    clean_env.delenv("LEDGER_VAULT_KEY")
    path = instance / "keys" / "vault.key"
    path.write_text(key + "\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=words):
        create_app(dict(config))
    clean_env.setenv("LEDGER_VAULT_KEY", base64.b64encode(os.urandom(32)).decode())
    create_app(dict(config)).extensions["ledger.engine"].dispose()  # a good key in the env


@pytest.mark.parametrize(
    ("path_of", "what"),
    [
        (lambda i: i / "keys" / "checkpoint-ed25519.pem", "checkpoint signing key"),
        (lambda i: i / "keys" / "vault.key", "vault key"),
        (lambda i: i / "secret_key", "secret key file"),
    ],
)
def test_production_refuses_key_files_readable_by_others(tmp_path, clean_env, path_of, what):
    from ledger.config import ensure_secret_file

    instance, config = production(tmp_path)
    with_key(instance)
    ensure_secret_file(Settings(instance_path=instance))
    create_app(dict(config)).extensions["ledger.engine"].dispose()  # all 0600: fine
    path = path_of(instance)
    for mode in (0o640, 0o604):
        path.chmod(mode)
        with pytest.raises(ConfigError) as info:
            create_app(dict(config))
        assert what in str(info.value) and "chmod 600" in str(info.value)
    path.chmod(0o600)
    create_app(dict(config)).extensions["ledger.engine"].dispose()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("session_hours", 0),
        ("session_hours", 73),
        ("remember_days", -1),
        ("remember_days", 31),
        ("argon2_parallelism", 0),
        ("argon2_parallelism", 17),
        ("address_retention_days", 0),
        ("address_retention_days", 366),
    ],
)
def test_absurd_session_and_hashing_settings_are_refused_everywhere(
    tmp_path, clean_env, name, value
):
    config = {"instance_path": tmp_path / "instance", "database_url": f"sqlite:///{tmp_path}/x"}
    with pytest.raises(ConfigError) as info:
        create_app({**config, name: value})
    assert f"{name} is {value}" in str(info.value)
    assert f"LEDGER_{name.upper()}" in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "least"),
    [("argon2_memory_kib", 19 * 1024 - 1, 19 * 1024), ("argon2_time_cost", 1, 2)],
)
def test_production_refuses_cheap_password_hashing(tmp_path, clean_env, name, value, least):
    instance, config = production(tmp_path, secret_key=GOOD_SECRET, **{name: value})
    with_key(instance)
    with pytest.raises(ConfigError) as info:
        create_app(config)
    assert f"set LEDGER_{name.upper()} to at least {least}" in str(info.value)
    development = {**config, "env": "development", name: value}
    create_app(development).extensions["ledger.engine"].dispose()  # cheap is fine in dev


def test_the_instance_folder_is_created_private(tmp_path, clean_env):
    from click.testing import CliRunner

    from ledger.cli import main

    app_instance = tmp_path / "by-app" / "instance"
    create_app({"instance_path": app_instance}).extensions["ledger.engine"].dispose()
    assert stat.S_IMODE(app_instance.stat().st_mode) == 0o700
    cli_instance = tmp_path / "by-init" / "instance"
    clean_env.setenv("LEDGER_INSTANCE_PATH", str(cli_instance))
    result = CliRunner().invoke(main, ["init"])  # the database goes into the instance too
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(cli_instance.stat().st_mode) == 0o700
    assert (cli_instance / "ledger.db").is_file()
