"""Reading a one-yuan file a column at a time (``_read_plain``) gives what reading it line by
line gives: the same purchases, the same bad lines and the same progress reports, for good
files and bad ones alike."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.units import oneyuan

SETTINGS = settings(max_examples=300, deadline=None, database=None)
NOW = "2024-06-01T00:00:00Z"
HEADER = "order_id,paid_at,buyer,amount_yuan,kg,certificate_no,project_code"


def _line(i: int) -> list[str]:
    yuan = 1 + i % 7
    return [f"WX{i:04d}", f"2024-05-0{1 + i % 9} 0{i % 10}:00:00", f"买家{i % 3}", str(yuan),
            str(10 * yuan), f"C{i}", "SC-001"]  # fmt: skip


BAD = {
    0: ["WX0001", "", "WX 1", "x" * 65, "é", "WX0000"],
    1: [
        "2024-05-01T00:00:00+08:00",
        "2024-05-01 24:00:00",
        "2024-02-30 00:00:00",
        "2024-07-01 00:00:00",
        "2024-06-01 08:00:00",
        "2024-06-01 07:59:59",
        "2024/05/01 00:00:00",
        "",
    ],
    2: ["", " 买家 ", "a\x01b", "  ", "买\u3000家"],
    3: ["0", "1.00", "1.0", "1.000", "-1", "1e2", "", "١"],
    4: ["0", "10.0", "11", "", "١٠"],
    5: ["", "C 1", "C1"],
    6: ["", "sc-001", "SC-002", "S"],
}


@st.composite
def files(draw) -> bytes:
    rows = [_line(i) for i in range(draw(st.integers(0, 8)))]
    for _ in range(draw(st.integers(0, 3))):
        if not rows:
            break
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, 6))
        rows[row][column] = draw(st.sampled_from(BAD[column]))
    if rows and draw(st.booleans()):  # a quoted value, which may hold a comma or a newline
        row, column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, 6))
        quoted = draw(st.sampled_from(["{}", "{},1", "{}\n1", '{}""']))
        rows[row][column] = '"' + quoted.format(rows[row][column]) + '"'
    lines = [HEADER, *(",".join(r) for r in rows)]
    if rows and draw(st.booleans()):
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from(["", "  ", "a,b"])))
    end = draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    return (draw(st.sampled_from(["\n", "\r\n"])).join(lines) + end).encode()


def _read(data: bytes):
    calls = []
    result = oneyuan.read_purchases(data, now=NOW, progress=lambda *a: calls.append(a))
    return result, calls


@given(files())
@SETTINGS
def test_column_at_a_time_is_line_by_line(data):
    fast = _read(data)
    plain = oneyuan._read_plain
    oneyuan._read_plain = lambda *args: None
    try:
        slow = _read(data)
    finally:
        oneyuan._read_plain = plain
    assert fast == slow


def test_a_plain_file_is_read_a_column_at_a_time():
    data = ("\n".join([HEADER, *(",".join(_line(i)) for i in range(20))]) + "\n").encode()
    text = data.decode()
    at = {name: i for i, name in enumerate(oneyuan.HEADER)}
    clock = oneyuan.datetime(2024, 6, 1)
    plain = oneyuan._read_plain(text, at, clock)
    assert plain is not None and len(plain) == 20
    assert plain[3] == oneyuan.Purchase(
        5, "WX0003", "2024-05-03T19:00:00Z", "买家0", 400, 40, "C3", "SC-001"
    )
    assert oneyuan._read_plain(text.replace("WX0003", "WX0002"), at, clock) is None
