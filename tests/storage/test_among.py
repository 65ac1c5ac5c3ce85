"""``among``: a long ``IN`` list written into the statement, so that PostgreSQL plans each
chunk of look-ups with its values instead of keeping a generic plan that tests every row
against the list one value at a time."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, event, insert, select

from ledger.storage.db import among

METADATA = MetaData()
NAMES = Table("among_names", METADATA, Column("name", String(40), primary_key=True))
STORED = ["o'neil", "张三", "WX0000000001", "x"]


def test_the_values_are_literals_and_find_the_rows(engine):
    METADATA.create_all(engine)
    sent: list[tuple[str, object]] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, s, p, ctx, m: sent.append((s, p)))
    with engine.begin() as conn:
        conn.execute(insert(NAMES), [{"name": n} for n in STORED])
        wanted = ["o'neil", "张三", "absent"]
        found = conn.execute(select(NAMES.c.name).where(among(NAMES.c.name, wanted))).scalars()
        assert sorted(found) == sorted(["o'neil", "张三"])
    statement, parameters = sent[-1]
    assert "'o''neil'" in statement and "'张三'" in statement  # quoted in the statement
    assert not parameters  # nothing bound: each chunk is planned with its own values
    METADATA.drop_all(engine)
