"""The villager look-up throttle counts in the database: every web worker, and every app on the
same database, sees the same count (both databases). Times are given, not read from a clock."""

from __future__ import annotations

from ledger.community import throttle
from tests.web.conftest import make_app

LOOKUP = "/api/v1/community/lookup"
BODY = {"village": "350428102201", "household": "CK001", "id_last4": "0000"}


def test_ten_look_ups_then_refused_until_the_oldest_leaves_the_window(engine):
    t = 1_800_000_000
    assert [throttle.throttled(engine, "10.0.0.1", now=t + i) for i in range(10)] == [False] * 10
    # the eleventh within the window is refused, and refusals are not counted
    assert throttle.throttled(engine, "10.0.0.1", now=t + 20)
    assert throttle.throttled(engine, "10.0.0.1", now=t + 30)
    # another address has its own count
    assert not throttle.throttled(engine, "10.0.0.2", now=t + 30)
    # the oldest look-up (at t) leaves the window at t + 600: one more is allowed, then refused
    assert throttle.throttled(engine, "10.0.0.1", now=t + throttle.WINDOW - 1)
    assert not throttle.throttled(engine, "10.0.0.1", now=t + throttle.WINDOW)
    assert throttle.throttled(engine, "10.0.0.1", now=t + throttle.WINDOW)
    # old rows are dropped on the next reservation; addresses are stored as digests only
    assert not throttle.throttled(engine, "10.0.0.3", now=t + 10 * throttle.WINDOW)
    with engine.connect() as conn:
        rows = conn.execute(throttle.ATTEMPT.select()).all()
    assert [r.address_key for r in rows] == [throttle.address_key("10.0.0.3")]
    assert all("10.0.0" not in r.address_key for r in rows)


def test_two_apps_on_one_database_share_the_count(app, db_url, tmp_path):
    throttle.reset(app.extensions["ledger.engine"])
    other = make_app(db_url, tmp_path / "instance")  # a second instance (another worker)
    try:
        first, second = app.test_client(), other.test_client()

        def ask(client, n):
            return client.post(LOOKUP, headers={"Idempotency-Key": f"k{n}"}, json=BODY)

        statuses = [ask(first if n % 2 else second, n).status_code for n in range(10)]
        assert 429 not in statuses, statuses
        # ten look-ups counted across both apps: the next one is refused by either app
        assert ask(first, 10).status_code == 429
        assert ask(second, 11).status_code == 429
    finally:
        other.extensions["ledger.engine"].dispose()
