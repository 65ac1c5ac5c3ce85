"""The production server: `carbon-ledger serve` (gunicorn with deploy/gunicorn.conf.py) against
a real PostgreSQL database, used over HTTP like a client behind nginx would."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ledger.core.note import Verifier, open_note, parse_checkpoint

BIN = Path(sys.executable).parent
CLI = str(BIN / "carbon-ledger")
ORIGIN = "gunicorn.test.carbon-ledger.localhost/log"
PASSWORD = "a long production password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production(tmp_path, pg_server):
    """A production instance on a fresh PostgreSQL database, initialised with the CLI."""
    name = pg_server.create()
    instance = tmp_path / "instance"
    env = {
        **os.environ,
        "LEDGER_ENV": "production",
        "LEDGER_INSTANCE_PATH": str(instance),
        "LEDGER_DATABASE_URL": pg_server.url(name),
        "LEDGER_SECRET_KEY": secrets.token_hex(32),
        "LEDGER_LOG_ORIGIN": ORIGIN,
        "LEDGER_WORKERS": "2",
        "LEDGER_PROXY_COUNT": "1",
    }

    def cli(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [CLI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("init")
    cli("orgs", "create", "--kind", "village", "--code", "350428102201", "--name", "常口村")
    cli(
        "users",
        "create",
        "clerk",
        "--role",
        "village",
        "--org",
        "350428102201",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    document = tmp_path / "resolution.pdf"
    document.write_bytes(b"%PDF-1.4 assembly resolution")
    cli("log", "anchor", str(document), "--title", "村民会议决议")
    note = cli("log", "checkpoint", "--sign")
    verifier_key = cli("keys", "show").strip()
    yield env, cli, note, verifier_key
    pg_server.drop(name)


@pytest.fixture
def server(production):
    env, _cli, note, verifier_key = production
    port = _free_port()
    env = {**env, "LEDGER_BIND": f"127.0.0.1:{port}"}
    proc = subprocess.Popen(  # `serve` execs gunicorn in place
        [CLI, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{proc.stdout.read()}")
        try:
            requests.get(f"{base}/log/checkpoint", timeout=2)
            break
        except requests.RequestException:  # not listening yet, or workers still booting
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("gunicorn did not start listening within 60 s")
    yield base, note, verifier_key, proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


HTTPS = {"X-Forwarded-Proto": "https"}  # as nginx sets it in front of gunicorn


def test_gunicorn_serves_the_log_and_the_app_over_http(server):
    base, note, verifier_key, proc = server

    # The public checkpoint is the CLI's signed note, and it verifies with the exported key.
    got = requests.get(f"{base}/log/checkpoint", timeout=10)
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("text/plain")
    assert got.text == note
    checkpoint = parse_checkpoint(
        open_note(got.text, [Verifier.from_verifier_key(verifier_key)]).text
    )
    assert (checkpoint.origin, checkpoint.size) == (ORIGIN, 1)

    proof = requests.get(f"{base}/log/proof/inclusion", params={"seq": 0, "size": 1}, timeout=10)
    assert proof.status_code == 200 and proof.json()["root"] == checkpoint.root.hex()
    bad = requests.get(f"{base}/log/proof/inclusion", params={"seq": 5, "size": 1}, timeout=10)
    assert bad.status_code in (404, 422) and "error" in bad.json()

    # Sign in through the real form: CSRF token, production cookie flags, the village home.
    web = requests.Session()
    page = web.get(f"{base}/signin", headers=HTTPS, timeout=10)
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    refused = requests.post(
        f"{base}/signin",
        data={"username": "clerk", "password": PASSWORD},
        headers=HTTPS,
        timeout=10,
        allow_redirects=False,
    )
    assert refused.status_code == 400  # no CSRF token, no session
    _trust_secure_cookies(web)
    # Over HTTPS, Flask-WTF also checks that the Referer is this site, as a browser sends it.
    referer = {**HTTPS, "Referer": base.replace("http://", "https://") + "/signin"}
    signed_in = web.post(
        f"{base}/signin",
        data={"csrf_token": token, "username": "clerk", "password": PASSWORD},
        headers=referer,
        timeout=10,
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[-1000:]
    cookies = signed_in.headers.get("Set-Cookie", "")
    assert "Secure" in cookies and "HttpOnly" in cookies and "SameSite=Lax" in cookies
    _trust_secure_cookies(web)
    home = web.get(f"{base}/villages/350428102201", headers=HTTPS, timeout=10)
    assert home.status_code == 200 and "常口村" in home.text
    _trust_secure_cookies(web)
    other = web.get(
        f"{base}/villages/350428102299", headers=HTTPS, timeout=10, allow_redirects=False
    )
    assert other.status_code in (403, 404)

    # The JSON API is served by the same workers.
    api = requests.get(f"{base}/api/v1/log/checkpoint", timeout=10)
    assert api.status_code == 200 and api.json()["size"] == 1
    assert proc.poll() is None  # still serving


def _trust_secure_cookies(session: requests.Session) -> None:
    """Let plain-HTTP test requests carry the Secure cookies nginx would carry over TLS."""
    for cookie in session.cookies:
        cookie.secure = False
