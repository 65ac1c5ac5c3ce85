"""Configuration of the web app: defaults, ``LEDGER_*`` variables, the instance file, and the
refusals outside development (default secret, missing signing key)."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest

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
