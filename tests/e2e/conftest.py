"""Browser tests: the app in a real server (a thread on a free 127.0.0.1 port) over a
temporary SQLite instance seeded with ``ledger.demo``'s demo data and users, driven by
Playwright with Debian's Chromium at a phone-sized viewport (390×844, touch, a WeChat-like
user agent).

One browser per session (the CI machine has two cores); one context (cookies) per test. Under
``CI=true`` a missing Playwright or Chromium fails the run instead of skipping it.
Screenshots go to ``$LEDGER_E2E_SHOTS`` (default ``/tmp/carbon-ledger-e2e``); they are for
looking at, never committed.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ledger.demo import DEMO_USERS, seed_demo
from ledger.services.keys import create_signing_key
from ledger.storage.migrate import upgrade
from ledger.web import create_app

CHROMIUM = Path(os.environ.get("LEDGER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("LEDGER_E2E_SHOTS", "/tmp/carbon-ledger-e2e"))
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
        "MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin "
        "NetType/WIFI Language/zh_CN ABI/arm64"
    ),
}
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}
#: role → (username, password) of the demo users.
DEMO = {role: (username, password) for role, username, password, _ in DEMO_USERS}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests are required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app, served from a thread on a free port, and its base URL."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    app = create_app(
        {
            "instance_path": str(instance),
            "database_url": f"sqlite:///{instance / 'ledger.db'}",
            "env": "test",
            **FAST_ARGON2,
        }
    )
    engine = app.extensions["ledger.engine"]
    upgrade(engine)
    settings = app.extensions["ledger.settings"]
    signer, _ = create_signing_key(settings.key_path, settings.log_origin)
    seed_demo(
        engine,
        signer,
        settings.log_origin,
        env="test",
        hasher=app.extensions["ledger.hasher"],
        settings=settings,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """The base URL of the app."""
    return live_app[1]


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright is not installed: {exc}")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (set LEDGER_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized page (no cookies). Console errors, such as a Content-Security-Policy
    violation, fail the test."""
    context = browser.new_context(base_url=live_server, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    # A 403/404 page logs "Failed to load resource" for itself: that is the point, not an error.
    errors = [e for e in errors if "the server responded with a status of" not in e]
    assert not errors, errors


@pytest.fixture
def shot():
    """``shot(page, "name")`` saves a full-page screenshot to SHOTS/name.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
