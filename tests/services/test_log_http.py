"""The read-only HTTP log endpoints: the signed checkpoint, paged entries, and proofs that
verify with ``ledger.core.proof``; bad parameters are 4xx JSON errors, never a 500."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.note import open_note, parse_checkpoint
from ledger.core.proof import verify_consistency, verify_inclusion
from ledger.services.checkpoints import sign_checkpoint
from ledger.services.keys import load_signer
from ledger.services.log import ENTRY, append_batch
from ledger.web import create_app, log_views
from tests.services import ORIGIN, draft


@pytest.fixture
def app(instance, db_url):
    app = create_app({"database_url": db_url, "instance_path": str(instance), "TESTING": True})
    yield app
    app.extensions["ledger.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def engine(app):
    return app.extensions["ledger.engine"]


@pytest.fixture
def signer(instance):
    return load_signer(instance / "keys" / "checkpoint-ed25519.pem", ORIGIN)


def fill(engine, start: int, stop: int) -> None:
    append_batch(engine, [draft(i) for i in range(start, stop)])


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def checked_json(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


# -- the checkpoint ---------------------------------------------------------------------


def test_checkpoint_is_the_signed_note_as_text(client, engine, signer):
    error = checked_json(client.get("/log/checkpoint"), 404)["error"]
    assert error["code"] == "checkpoint.none"
    fill(engine, 0, 5)
    signed = sign_checkpoint(engine, signer, ORIGIN)
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert body == signed.note
    cp = parse_checkpoint(open_note(body, [signer.verifier()]).text)
    assert (cp.origin, cp.size) == (ORIGIN, 5)
    fill(engine, 5, 6)
    assert client.get("/log/checkpoint").get_data(as_text=True) == signed.note
    newer = sign_checkpoint(engine, signer, ORIGIN)
    assert client.get("/log/checkpoint").get_data(as_text=True) == newer.note


# -- entries -------------------------------------------------------------------------------


def test_entries_pages(client, engine, monkeypatch):
    fill(engine, 0, 12)
    with engine.connect() as conn:
        stored = {r.seq: (r.kind, bytes(r.leaf)) for r in conn.execute(ENTRY.select())}

    page = checked_json(client.get("/log/entries"), 200)
    assert (page["start"], page["end"], page["size"]) == (0, 12, 12)
    everything = page["entries"]
    assert [e["seq"] for e in everything] == list(range(12))
    for e in everything:
        kind, leaf = stored[e["seq"]]
        assert e["leaf_hash"] == leaf_hash(leaf).hex()
        if kind == "doc.anchor":  # a public kind: anyone reads the leaf
            assert e["kind"] == kind
            assert base64.b64decode(e["leaf"], validate=True) == leaf
        else:  # scoped (a village's sale, a note): the anonymous reader gets the hash only
            assert set(e) == {"seq", "leaf_hash"}, e

    def get(query: str) -> dict:
        return checked_json(client.get(f"/log/entries?{query}"), 200)

    assert get("start=3&end=7")["entries"] == everything[3:7]
    assert get("start=10")["entries"] == everything[10:]
    assert get("start=4&end=400")["end"] == 12
    for query in ("start=12", "start=50", "start=5&end=2", "start=5&end=5"):
        page = get(query)
        assert page["entries"] == [] and page["size"] == 12, query
        assert page["end"] >= page["start"], query

    monkeypatch.setattr(log_views, "MAX_PAGE", 5)
    walked, start, pages = [], 0, 0
    while start < 12:
        page = get(f"start={start}&end=100")
        assert len(page["entries"]) <= 5
        assert page["end"] == start + len(page["entries"])
        walked += page["entries"]
        start = page["end"]
        pages += 1
    assert walked == everything and pages == 3
    assert get("")["end"] == 5


# -- proofs --------------------------------------------------------------------------------


def test_inclusion_and_consistency_proofs_verify(client, engine, signer):
    roots = {}
    done = 0
    for stop in (1, 2, 7, 8, 11):
        fill(engine, done, stop)
        done = stop
        signed = sign_checkpoint(engine, signer, ORIGIN)
        roots[stop] = signed.checkpoint.root
    entries = checked_json(client.get("/log/entries"), 200)["entries"]
    hashes = [bytes.fromhex(e["leaf_hash"]) for e in entries]  # public, scoped or not

    for size, root in roots.items():
        for seq in range(size):
            doc = checked_json(client.get(f"/log/proof/inclusion?seq={seq}&size={size}"), 200)
            assert set(doc) == {"leaf_index", "tree_size", "leaf_hash", "root", "proof"}
            assert (doc["leaf_index"], doc["tree_size"], doc["root"]) == (seq, size, root.hex())
            assert doc["leaf_hash"] == hashes[seq].hex()
            proof = [bytes.fromhex(h) for h in doc["proof"]]
            verify_inclusion(hashes[seq], seq, size, proof, root)

    for old, old_root in roots.items():
        for new, new_root in roots.items():
            if new < old:
                continue
            doc = checked_json(client.get(f"/log/proof/consistency?old={old}&new={new}"), 200)
            assert set(doc) == {"old_size", "new_size", "old_root", "new_root", "proof"}
            assert (doc["old_root"], doc["new_root"]) == (old_root.hex(), new_root.hex())
            proof = [bytes.fromhex(h) for h in doc["proof"]]
            verify_consistency(old, new, proof, old_root, new_root)


# -- bad parameters ----------------------------------------------------------------------------

BAD = [
    # (path and query, status, error code)
    ("/log/proof/inclusion?seq=-1&size=3", 422, "request.integer"),
    ("/log/proof/inclusion?seq=abc&size=3", 422, "request.integer"),
    ("/log/proof/inclusion?seq=1.5&size=3", 422, "request.integer"),
    ("/log/proof/inclusion?seq=%C2%B2&size=3", 422, "request.integer"),  # "²".isdigit()
    ("/log/proof/inclusion?seq=%D9%A1&size=3", 422, "request.integer"),  # Arabic-Indic one
    ("/log/proof/inclusion?seq=+1&size=3", 422, "request.integer"),
    ("/log/proof/inclusion?seq=1e3&size=3", 422, "request.integer"),
    ("/log/proof/inclusion?seq=0&size=" + "9" * 30, 422, "request.integer"),
    ("/log/proof/inclusion?seq=0&size=99", 404, "tree.size_too_large"),
    ("/log/proof/inclusion?seq=0&size=999999999999999999", 404, "tree.size_too_large"),
    ("/log/proof/inclusion?seq=5&size=5", 422, "tree.index"),
    ("/log/proof/inclusion?seq=9&size=5", 422, "tree.index"),
    ("/log/proof/inclusion?seq=0&size=0", 422, "tree.index"),
    ("/log/proof/inclusion?size=3", 422, "request.missing"),
    ("/log/proof/inclusion?seq=0", 422, "request.missing"),
    ("/log/proof/inclusion?seq=&size=3", 422, "request.missing"),
    ("/log/proof/consistency?old=0&new=3", 422, "tree.old_size"),
    ("/log/proof/consistency?old=4&new=3", 422, "tree.old_size"),
    ("/log/proof/consistency?old=1&new=99", 404, "tree.size_too_large"),
    ("/log/proof/consistency?old=-1&new=3", 422, "request.integer"),
    ("/log/proof/consistency?old=1&new=x", 422, "request.integer"),
    ("/log/proof/consistency?old=1", 422, "request.missing"),
    ("/log/proof/consistency", 422, "request.missing"),
    ("/log/entries?start=-1", 422, "request.integer"),
    ("/log/entries?start=x", 422, "request.integer"),
    ("/log/entries?end=-5", 422, "request.integer"),
    ("/log/entries?start=%C2%B3", 422, "request.integer"),
    ("/log/nothing-here", 404, None),  # any code: the web shell names routing errors
]


def test_bad_parameters_are_4xx_json_errors(client, engine):
    fill(engine, 0, 5)
    for url, status, code in BAD:
        error = checked_json(client.get(url), status)["error"]
        assert set(error) == {"code", "message", "details"}, url
        assert code is None or error["code"] == code, (url, error)
        assert isinstance(error["message"], str) and error["message"], url
        assert isinstance(error["details"], dict), url


def test_no_query_string_is_a_server_error(client, engine):
    fill(engine, 0, 3)
    values = st.one_of(
        st.text(max_size=25),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["0", "1", "2", "3", "4", "²", "٣", "0x1", "1_0", "\x00", "1 "]),
    )
    names = st.sampled_from(["seq", "size", "old", "new", "start", "end"])
    paths = st.sampled_from(["/log/entries", "/log/proof/inclusion", "/log/proof/consistency"])

    @settings(max_examples=40, deadline=None, database=None)
    @given(path=paths, query=st.dictionaries(names, values, max_size=4))
    def check(path, query):
        response = client.get(path, query_string=query)
        assert response.status_code < 500, (path, query, response.get_data(as_text=True))
        if response.status_code >= 400:
            error = response.get_json()["error"]
            assert set(error) == {"code", "message", "details"}

    check()
