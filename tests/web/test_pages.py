"""The log explorer (bureau and admin) and the public pages, through the Flask test client on
both databases: who may see what, keyset pagination and search, an entry with its checked
inclusion proof, verification on demand, idempotent document anchoring, document look-up,
the checkpoint checked with openssl exactly as the page says, and the page rules every page
keeps (Content-Security-Policy, no inline script or style, line height, print stylesheet)."""

from __future__ import annotations

import hashlib
import html
import io
import re
import subprocess
from pathlib import Path

import pytest

from ledger.core.entry import EntryDraft
from ledger.core.proof import verify_inclusion
from ledger.services.checkpoints import latest_checkpoint
from ledger.services.log import append_batch, read_entries, read_head
from ledger.storage.db import read_transaction
from ledger.web import explorer
from tests.support.module import FILLER
from tests.web.conftest import USERS, csrf_token, sign_in

REPO = Path(__file__).resolve().parents[2]
HIDDEN_KEY_RE = re.compile(
    r'name="idempotency_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="idempotency_key"'
)
ENTRY_LINK_RE = re.compile(r'href="/explorer/entries/(\d+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def english(client) -> None:
    assert client.get("/prefs/language/en").status_code == 303


def head_size(engine) -> int:
    with read_transaction(engine) as conn:
        return read_head(conn).size


def fill(engine, n: int, kind: str = FILLER) -> None:
    append_batch(engine, [EntryDraft(kind, {"n": i}, "test") for i in range(n)])


def form_key(page: str) -> str:
    match = HIDDEN_KEY_RE.search(page)
    assert match, "no idempotency key in the anchor form"
    return match.group(1) or match.group(2)


def listed_seqs(page: str) -> list[int]:
    return [int(s) for s in ENTRY_LINK_RE.findall(page)]


def href(page: str, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


# --- who may open the explorer ---------------------------------------------------------------


def test_explorer_is_for_bureaus_and_admins(app):
    response = app.test_client().get("/explorer/")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    for role, status in (("village", 403), ("court", 403), ("bureau_county", 200), ("admin", 200)):
        client = app.test_client()
        assert sign_in(client, USERS[role][0]).status_code == 302
        for path in ("/explorer/", "/explorer/entries/0", "/explorer/verify", "/explorer/anchor"):
            assert client.get(path).status_code == status, (role, path)


def test_explorer_refuses_api_tokens(app, client, world):
    from ledger.accounts import services
    from ledger.storage.db import write_transaction

    with write_transaction(app.extensions["ledger.engine"]) as conn:
        secret, _ = services.create_token(
            conn, world.orgs["county"].id, "explorer", created_by=None, actor="test"
        )
    response = client.get("/explorer/", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403


# --- entries: keyset pages, kind filter, search ------------------------------------------------


def test_entries_are_paged_newest_first_by_keyset_links(client, login, engine):
    fill(engine, 58)  # 2 seeded + 58 = 60 entries: three pages of 25
    size = head_size(engine)
    login("bureau_county")
    page = text(client.get("/explorer/"))
    seen = listed_seqs(page)
    assert seen == list(range(size - 1, size - 1 - explorer.PAGE_SIZE, -1))
    assert href(page, "prev") is None  # nothing newer than the newest
    pages = [page]
    while (older := href(page, "next")) is not None:
        assert "before=" in older
        page = text(client.get(older))
        pages.append(page)
        seen += listed_seqs(page)
    assert seen == list(range(size - 1, -1, -1))  # every entry once, newest first
    assert len(pages) == 3
    newer = href(page, "prev")  # back up from the last page
    assert newer is not None and "after=" in newer
    assert listed_seqs(text(client.get(newer))) == listed_seqs(pages[1])


def test_entries_filter_by_kind_and_search_by_seq_and_sha256(client, login, engine):
    fill(engine, 30, kind="test.filler")
    login("bureau_county")
    filtered = text(client.get("/explorer/?kind=test.sale"))
    assert listed_seqs(filtered) == [0]
    prefix = listed_seqs(text(client.get("/explorer/?kind=test")))
    assert len(prefix) == explorer.PAGE_SIZE  # test.sale, test.purchase, test.filler…
    older = href(text(client.get("/explorer/?kind=test")), "next")
    assert older is not None and "kind=test" in older
    assert listed_seqs(text(client.get(older))) == list(range(6, -1, -1))
    assert listed_seqs(text(client.get("/explorer/?kind=nothing.here"))) == []
    assert client.get("/explorer/?kind=Bad%20Kind!").status_code == 422

    response = client.get("/explorer/?q=5")
    assert response.status_code == 302 and response.headers["Location"].endswith("/entries/5")
    assert client.get("/explorer/?q=999999").status_code == 404
    assert client.get("/explorer/?q=not-a-thing").status_code == 422

    data = b"assembly resolution, page 1"
    sha = hashlib.sha256(data).hexdigest()
    seq = anchor(client, data, "村民会议决议").headers["Location"].rsplit("/", 1)[1]
    found = text(client.get(f"/explorer/?q={sha.upper()}"))
    assert listed_seqs(found) == [int(seq)]
    assert "村民会议决议" in found
    assert listed_seqs(text(client.get(f"/explorer/?q={'0' * 64}"))) == []


# --- one entry ------------------------------------------------------------------------------


def test_entry_shows_the_leaf_and_a_checked_inclusion_proof(app, client, login, engine):
    login("bureau_county")  # entry 0 is a sale to a village in its county
    english(client)
    page = text(client.get("/explorer/entries/0"))
    with read_transaction(engine) as conn:
        (entry,) = read_entries(conn, "main", 0, 1)
    signed = latest_checkpoint(engine)
    assert entry.leaf_hash.hex() in page
    assert '"ticket": "0000001"' in html.unescape(page)  # the leaf, pretty-printed
    assert "Checked: this entry is included in the tree of checkpoint" in page
    assert signed.checkpoint.root.hex() in page
    proof = [
        bytes.fromhex(h)
        for h in re.findall(r'<li><code class="hash">([0-9a-f]{64})</code></li>', page)
    ]
    verify_inclusion(entry.leaf_hash, 0, signed.checkpoint.size, proof, signed.checkpoint.root)

    # Outside the reader's scope (an admin reads no organisation's entries, a bureau of
    # another county not this one): the hash and the proof, never the contents.
    for who in ("admin", "bureau_other"):
        other = app.test_client()
        assert sign_in(other, USERS[who][0]).status_code == 302
        english(other)
        page = text(other.get("/explorer/entries/0"))
        assert entry.leaf_hash.hex() in page and signed.checkpoint.root.hex() in page
        assert "0000001" not in page and entry.body["salt"] not in page
        assert "visible only to the organisations it concerns" in page

    fill(engine, 1)
    newest = head_size(engine) - 1
    page = text(client.get(f"/explorer/entries/{newest}"))
    assert "newer than the latest signed checkpoint" in page
    assert client.get(f"/explorer/entries/{newest + 1}").status_code == 404


# --- verification on demand ---------------------------------------------------------------------


def test_verify_runs_on_post_with_csrf_and_shows_findings(client, login, engine):
    login("bureau_province")
    english(client)
    page = text(client.get("/explorer/verify"))
    assert latest_checkpoint(engine).note.splitlines()[0] in page
    assert "Verify now" in page and "problems found" not in page
    assert client.post("/explorer/verify", data={}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/explorer/verify")
    page = text(client.post("/explorer/verify", data={"csrf_token": token}))
    assert "The log verifies: no problems found." in page
    bogus = "some.other/log\n3\nAAAA\n\n— nobody AAAA\n"
    page = text(client.post("/explorer/verify", data={"csrf_token": token, "external": bogus}))
    assert "1 problem found." in page
    assert "checkpoint.external" in page


def test_a_bureau_signs_a_checkpoint_covering_new_entries(app, client, login, engine):
    login("bureau_county")
    english(client)
    before = latest_checkpoint(engine)
    append_batch(engine, [EntryDraft("test.note", {"n": 1}, "test")])
    page = text(client.get("/explorer/verify"))
    assert "1 entry is not yet covered by a signed checkpoint." in page
    assert client.post("/explorer/checkpoint/sign", data={}).status_code == 400  # no CSRF
    assert latest_checkpoint(engine) == before
    token = csrf_token(client, "/explorer/verify")
    response = client.post("/explorer/checkpoint/sign", data={"csrf_token": token})
    assert response.status_code == 302
    after = latest_checkpoint(engine)
    assert (after.number, after.checkpoint.size) == (before.number + 1, before.checkpoint.size + 1)
    page = text(client.get("/explorer/verify"))
    assert f"Checkpoint {after.number} covers {after.checkpoint.size} entries." in page
    assert "not yet covered" not in page

    village = app.test_client()
    assert sign_in(village, USERS["village"][0]).status_code == 302
    token = csrf_token(village, "/")
    assert village.post("/explorer/checkpoint/sign", data={"csrf_token": token}).status_code == 403


# --- anchoring a document -------------------------------------------------------------------------


def anchor(client, data: bytes, title: str, key: str | None = None):
    page = text(client.get("/explorer/anchor"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": token,
        "idempotency_key": key or form_key(page),
        "title": title,
        "document": (io.BytesIO(data), "resolution.pdf"),
    }
    return client.post("/explorer/anchor", data=form, content_type="multipart/form-data")


def test_anchor_appends_once_on_double_submit(client, login, engine, world):
    login("bureau_county")
    page = text(client.get("/explorer/anchor"))
    key = form_key(page)
    assert key != form_key(text(client.get("/explorer/anchor")))  # a new key per rendering
    before = head_size(engine)
    data = b"%PDF-1.4 scanned judgment"
    first = anchor(client, data, "判决书扫描件", key)
    second = anchor(client, data, "判决书扫描件", key)  # the double tap
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert head_size(engine) == before + 1
    with read_transaction(engine) as conn:
        (entry,) = read_entries(conn, "main", before, before + 1)
    assert entry.kind == "doc.anchor"
    assert entry.actor == f"user:{world.users['bureau_county'].id}"
    assert entry.body == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "title": "判决书扫描件",
    }
    assert first.headers["Location"].endswith(f"/explorer/entries/{before}")
    shown = text(client.get(first.headers["Location"]))
    assert str(before) in shown and hashlib.sha256(data).hexdigest() in shown

    # The same form sent again with another file is refused, and nothing is appended.
    conflict = anchor(client, b"another file", "判决书扫描件", key)
    assert conflict.status_code == 409
    assert head_size(engine) == before + 1
    # A fresh form anchors the same document again, as a new entry.
    assert anchor(client, data, "判决书扫描件（再次）").status_code == 303
    assert head_size(engine) == before + 2


def test_anchor_form_errors(client, login, engine):
    login("admin")
    before = head_size(engine)
    page = text(client.get("/explorer/anchor"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    no_file = {"csrf_token": token, "idempotency_key": form_key(page), "title": "x"}
    response = client.post("/explorer/anchor", data=no_file, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "请选择要存证的文件。" in text(response)
    too_long = anchor(client, b"data", "长" * 501)
    assert too_long.status_code == 422
    no_csrf = {"idempotency_key": form_key(page), "document": (io.BytesIO(b"x"), "x.txt")}
    response = client.post("/explorer/anchor", data=no_csrf, content_type="multipart/form-data")
    assert response.status_code == 400
    assert head_size(engine) == before


# --- public pages -------------------------------------------------------------------------------


def test_public_pages_need_no_sign_in(client):
    for path in ("/public/checkpoint", "/public/documents", "/public/receipts"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'lang="zh-CN"' in text(response)
    assert "<h1>核验凭证</h1>" in text(client.get("/public/receipts"))  # the receipts module


def test_checkpoint_page_checks_out_with_openssl_as_it_says(client, engine, tmp_path):
    page = text(client.get("/public/checkpoint"))
    signed = latest_checkpoint(engine)
    assert html.escape(signed.note) in page
    assert signed.checkpoint.root.hex() in page
    vkey = re.search(r'<code class="hash">([^<]+\+[0-9a-f]{8}\+[^<]+)</code>', page).group(1)
    assert vkey.startswith(signed.checkpoint.origin + "+")

    (tmp_path / "note").write_bytes(client.get("/log/checkpoint").data)
    pem = client.get("/public/checkpoint/key.pem")
    assert pem.status_code == 200 and pem.data.startswith(b"-----BEGIN PUBLIC KEY-----")
    (tmp_path / "pub.pem").write_bytes(pem.data)
    commands = html.unescape(re.search(r'<pre class="commands">(.*?)</pre>', page, re.S).group(1))
    lines = commands.splitlines()
    assert lines[0].startswith("curl -s http://localhost/log/checkpoint")
    assert lines[1].startswith("curl -s http://localhost/public/checkpoint/key.pem")
    script = "\n".join(line for line in lines if not line.startswith("curl "))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Signature Verified Successfully" in result.stdout

    # A tampered note fails the same commands.
    note = (tmp_path / "note").read_text().split("\n")
    note[1] = str(int(note[1]) + 1)
    (tmp_path / "note").write_text("\n".join(note))
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0


def test_document_lookup_by_sha256_and_by_upload(client, login, engine):
    login("bureau_county")
    data = b"village assembly minutes 2026-03"
    sha = hashlib.sha256(data).hexdigest()
    seq = int(anchor(client, data, "村民代表大会纪要").headers["Location"].rsplit("/", 1)[1])
    client.post("/signout", data={"csrf_token": csrf_token(client, "/")})
    english(client)

    page = text(client.get(f"/public/documents?sha256={sha}"))
    assert "This document was anchored once." in page
    assert f"Entry {seq}" in page and "村民代表大会纪要" in page
    assert "Not yet covered by a signed checkpoint." in page
    assert "/explorer/" not in page  # anonymous: no explorer links

    token = csrf_token(client, "/public/documents")
    upload = client.post(
        "/public/documents",
        data={"csrf_token": token, "document": (io.BytesIO(data), "minutes.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200
    assert sha in text(upload) and "This document was anchored once." in text(upload)

    missing = text(client.get(f"/public/documents?sha256={'ab' * 32}"))
    assert "This document has not been anchored in the log." in missing
    assert client.get("/public/documents?sha256=xyz").status_code == 422
    assert client.post("/public/documents", data={"csrf_token": token}).status_code == 422


# --- rules every page keeps ----------------------------------------------------------------------


INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)", re.I), "inline <script>"),
    (re.compile(r"<style", re.I), "<style>"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]
EXTERNAL = re.compile(r'(?:src|href|action)\s*=\s*"(?:https?:)?//', re.I)


def test_no_template_has_inline_script_or_style():
    templates = sorted((REPO / "templates").rglob("*.html"))
    assert len(templates) > 10
    for path in templates:
        source = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            assert not pattern.search(source), f"{path.relative_to(REPO)} has {what}"
        assert not EXTERNAL.search(source), f"{path.relative_to(REPO)} loads from another origin"


PAGES = {
    None: ["/", "/signin", "/public/checkpoint", "/public/documents", "/public/receipts"],
    "bureau_county": [
        "/home",
        "/explorer/",
        "/explorer/entries/0",
        "/explorer/verify",
        "/explorer/anchor",
        "/explorer/?q=zzz",
    ],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_rendered_pages_keep_the_content_security_policy(client, login, role):
    if role:
        login(role)
    for path in PAGES[role]:
        response = client.get(path)
        assert response.status_code in (200, 422), path
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "style-src 'self'" in csp and "unsafe-inline" not in csp
        body = text(response)
        for pattern, what in INLINE:
            assert not pattern.search(body), f"{path} has {what}"
        assert not EXTERNAL.search(body), f"{path} loads from another origin"
        assert '<link rel="stylesheet" href="/static/css/app.css">' in body
        assert 'href="/static/css/print.css" media="print"' in body


def test_stylesheets_are_served_and_keep_the_rules():
    app_css = (REPO / "static/css/app.css").read_text(encoding="utf-8")
    print_css = (REPO / "static/css/print.css").read_text(encoding="utf-8")
    for css in (app_css, print_css):
        assert "@import" not in css and "url(" not in css  # nothing fetched from anywhere
        heights = [float(v) for v in re.findall(r"line-height:\s*([0-9.]+)\s*;", css)]
        assert heights and min(heights) >= 1.3
    assert "html.text-large" in app_css
    assert "@media print" in print_css and "display: none" in print_css
    assert "attr(href)" in print_css


def test_larger_text_switch_sets_a_cookie_and_a_class(client):
    assert 'class="text-large"' not in text(client.get("/public/checkpoint"))
    response = client.get("/prefs/text/large?next=/public/checkpoint")
    assert response.status_code == 303 and response.headers["Location"] == "/public/checkpoint"
    assert "text_size=large" in response.headers["Set-Cookie"]
    assert '<html lang="zh-CN" class="text-large">' in text(client.get("/public/checkpoint"))
    client.get("/prefs/text/normal")
    assert 'class="text-large"' not in text(client.get("/public/checkpoint"))
