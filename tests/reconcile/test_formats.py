"""Reading registry exports: each format from a file with its real header and awkward rows
(thousands separators, commas, quotes, line breaks and Chinese in quoted fields, issuance rows
mixed in, ``to`` ranges, a byte-order mark, CRLF), and bad rows reported by line."""

from __future__ import annotations

import hashlib
import io

import pytest

from ledger.core.errors import ValidationError
from ledger.reconcile import formats
from ledger.reconcile.formats import LAYOUTS, read
from ledger.reconcile.mapping import load_mapping, parse_mapping
from ledger.reconcile.model import IssuanceRow, RegistryRetirement, RowError
from tests.reconcile.samples import DATA, LAYOUT_OF, layout_for


def parse(name: str, layout):
    with (DATA / name).open("rb") as fh:
        return list(read(fh, layout))


def retirements(rows):
    return [r for r in rows if isinstance(r, RegistryRetirement)]


def test_verra_current_header_bom_crlf_and_awkward_fields():
    raw = (DATA / "verra_current.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = parse("verra_current.csv", LAYOUTS["verra"])
    assert [type(r) for r in rows] == [
        RegistryRetirement,
        IssuanceRow,
        RegistryRetirement,
        RegistryRetirement,
    ]
    first = rows[0]
    assert (first.registry, first.block, first.start, first.end) == (
        "verra",
        "",
        100000001,
        100028571,
    )
    assert first.quantity == 28_571  # "28,571"
    assert first.project == "1529"
    assert first.vintage == "2019-01-01/2019-12-31"
    assert first.retired_on == "2023-06-02"  # 02/06/2023 is day/month/year
    assert first.beneficiary == "福建顺昌县林业局，碳中和"
    assert first.details == "2023年“一元碳汇”活动,\r\n为顺昌县碳中和注销"
    assert first.line == 2
    # The quoted line break makes the row two lines long: the issuance row starts at line 4.
    assert rows[1] == IssuanceRow(4)
    assert [r.line for r in rows[2:]] == [5, 6]
    assert rows[3].quantity == 1 and rows[3].start == rows[3].end == 200000501


def test_the_row_digest_is_of_the_row_as_written():
    raw = (DATA / "verra_current.csv").read_bytes().decode("utf-8-sig")
    lines = raw.split("\r\n")
    expected = hashlib.sha256(lines[4].encode()).digest()  # line 5 of the file
    rows = parse("verra_current.csv", LAYOUTS["verra"])
    assert rows[2].row_sha256 == expected
    two_lines = hashlib.sha256("\r\n".join(lines[1:3]).encode()).digest()
    assert rows[0].row_sha256 == two_lines


def test_verra_older_header_with_country_area():
    rows = parse("verra_older.csv", LAYOUTS["verra"])
    assert rows[0] == IssuanceRow(2)
    (r,) = retirements(rows)
    assert (r.start, r.end, r.quantity) == (421689508, 421704604, 15_097)
    assert r.beneficiary == "Wood & Co., Ltd."
    assert r.details == 'Retired on behalf of "Wood & Co." for FY2022'
    assert r.vintage == "2020-01-01/2020-11-19"


def test_verra_bad_rows_are_reported_by_line():
    rows = parse("verra_bad_rows.csv", LAYOUTS["verra"])
    errors = {r.line: r.code for r in rows if isinstance(r, RowError)}
    assert errors == {
        2: "row.quantity_mismatch",
        4: "row.serial",
        5: "row.date",
        6: "row.width",
        7: "row.quantity",
        8: "row.project_mismatch",
        9: "row.serial_order",
    }
    assert [r.line for r in retirements(rows)] == [3]
    mismatch = next(r for r in rows if isinstance(r, RowError) and r.line == 2)
    assert "1,000" in mismatch.reason and "999" in mismatch.reason


def test_gold_standard():
    rows = parse("gold_standard.csv", LAYOUTS["gs"])
    assert rows[1] == IssuanceRow(3)
    first, second = retirements(rows)
    assert first.block == "GS1-1-CN-GS2345-12-2016-12345"
    assert (first.start, first.end, first.quantity) == (1, 500, 500)
    assert first.retired_on == "2021-03-12" and first.vintage == "2016"
    assert first.beneficiary == "成都某科技有限公司" and first.details == "碳中和, 2020年度"
    assert second.block == "GS1-1-CN-GS2345-12-2017-12399"
    assert second.retired_on == "2022-07-14"


def test_climate_action_reserve_to_ranges():
    rows = parse("climate_action_reserve.csv", LAYOUTS["car"])
    first, second = retirements(rows)
    assert first.block == "CAR-1-US-1234-21-150-CA-2019"
    assert (first.start, first.end, first.quantity) == (1, 5000, 5000)
    assert first.retired_on == "2021-03-15"  # month/day/year
    assert first.beneficiary == "Acme, Inc."
    assert (second.start, second.end) == (5001, 5001)
    assert rows[2] == IssuanceRow(4)


def test_american_carbon_registry_to_ranges():
    rows = parse("american_carbon_registry.csv", LAYOUTS["acr"])
    (r,) = retirements(rows)
    assert r.block == "ACR-US-361-2015-1234" and (r.start, r.end) == (1, 5000)
    assert r.retired_on == "2019-10-01"  # the time after the date is ignored
    assert r.beneficiary == "三明市某企业"  # "Retired on Behalf of" before "Account Holder"
    assert rows[1] == IssuanceRow(3)


def test_haixia_through_a_json_mapping():
    rows = parse("haixia.csv", load_mapping(DATA / "haixia-mapping.json"))
    first, judicial = retirements(rows)
    assert first.registry == "haixia"
    assert (first.start, first.end, first.quantity) == (1000001, 1002000, 2000)
    assert first.retired_on == "2021-06-18"
    assert first.beneficiary == "第44届世界遗产大会，碳中和"
    assert first.details == "海峡资源环境交易中心, 注销证明 HX-2021-0618"
    assert judicial.quantity == 96 and judicial.beneficiary == "(2022)闽0627刑初123号"
    assert rows[1] == IssuanceRow(3)


def test_ccer_through_a_csv_mapping_with_a_serial_pattern():
    rows = parse("ccer.csv", load_mapping(DATA / "ccer-mapping.csv"))
    (r,) = retirements(rows)
    assert (r.registry, r.block, r.start, r.end) == ("ccer", "CCER-1234-2019", 1, 10000)
    assert r.retired_on == "2023-05-06" and r.quantity == 10_000
    assert rows[1] == IssuanceRow(3)


def test_a_file_of_another_format_is_one_error_on_the_header():
    rows = parse("gold_standard.csv", LAYOUTS["verra"])
    assert len(rows) == 1 and rows[0].line == 1 and rows[0].code == "file.header"
    assert "Serial Number" not in rows[0].reason or "Quantity Issued" in rows[0].reason


def test_an_empty_file_and_text_that_is_not_utf8():
    assert [r.code for r in read(io.BytesIO(b""), LAYOUTS["verra"])] == ["file.empty"]
    header = (DATA / "verra_current.csv").read_bytes().split(b"\r\n")[0]
    data = header + b"\r\n" + "注销".encode("gb18030") + b",x\r\n"
    (error,) = list(read(io.BytesIO(data), LAYOUTS["verra"]))
    assert (error.line, error.code) == (2, "file.encoding")


def test_an_unterminated_quote_is_reported_where_its_row_starts():
    header = (DATA / "gold_standard.csv").read_bytes().split(b"\n")[0]
    data = header + b'\n2345,"open quote,2016\n'
    (error,) = list(read(io.BytesIO(data), LAYOUTS["gs"]))
    assert (error.line, error.code) == (2, "file.csv")


def test_reading_streams_row_by_row():
    """The reader yields the first row before the stream is read to its end (it takes any
    iterable of byte lines: a file, a buffered HTTP response)."""
    header = (DATA / "climate_action_reserve.csv").read_bytes().split(b"\r\n")[0]
    row = b"2019,CAR-1-US-1-1-1-CA-2019-1 to 1,1,CAR1,P,US,A,03/15/2021,V,\r\n"

    sent = []

    def endless():
        yield header + b"\r\n"
        while True:
            sent.append(1)
            yield row

    first = next(read(endless(), LAYOUTS["car"]))
    assert first.quantity == 1 and len(sent) == 1


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (b"[]", "JSON object"),
        (b'{"registry": "X", "columns": {}}', "registry"),
        (b'{"registry": "hx", "columns": {"quantity": "q"}}', "retired_on"),
        (b'{"registry": "hx", "columns": {"quantity": "q", "retired_on": "d"}}', "start and end"),
        (
            b'{"registry": "hx", "columns": {"quantity": "q", "retired_on": "d", "serial": "s"},'
            b' "serial_pattern": "(?P<start>\\\\d+)"}',
            "start and end",
        ),
        (b'{"registry": "hx", "columns": {"colour": "c"}}', "unknown fields"),
        (b'{"registry": "hx", "encoding": "latin-1", "columns": {}}', "encoding"),
        (b'{"registry": "hx", "surprise": 1, "columns": {}}', "unknown settings"),
        (b"not json", "not JSON"),
    ],
)
def test_bad_mappings_are_refused_with_a_reason(spec, fragment):
    with pytest.raises(ValidationError) as exc:
        parse_mapping(spec)
    assert exc.value.code == "reconcile.mapping"
    assert fragment in exc.value.message


def test_a_gb18030_mapping_reads_a_gb18030_file():
    layout = parse_mapping(
        '{"registry": "hx", "encoding": "gb18030", "columns": {"start": "起", "end": "止",'
        ' "quantity": "量", "retired_on": "日期", "beneficiary": "注销方"}}'.encode()
    )
    data = "起,止,量,日期,注销方\n1,10,10,2024-01-02,顺昌县某公司\n".encode("gb18030")
    (r,) = list(read(io.BytesIO(data), layout))
    assert r.beneficiary == "顺昌县某公司" and (r.start, r.end) == (1, 10)


def test_the_verra_batch_reader_reads_what_the_row_reader_reads(tmp_path):
    """Verra rows are read many at a time when they are all plain; any other row sends its
    batch through the row-by-row reader, which names what is wrong: both give the same."""
    import dataclasses

    from bench.reconcile import write_export
    from ledger.reconcile import formats

    one_by_one = dataclasses.replace(LAYOUTS["verra"], batch=None)
    path = tmp_path / "verra.csv"
    write_export(path, 5_000)
    lines = path.read_bytes().split(b"\r\n")
    lines[4002] = lines[4002].replace(b",100,", b",99,")  # a quantity that is not the range's
    lines[4500] = lines[4500].replace(b"-1529-", b"-1530-")  # another project in the serial
    path.write_bytes(b"\r\n".join(lines))
    for name in ("verra_current.csv", "verra_older.csv", "verra_bad_rows.csv"):
        assert parse(name, LAYOUTS["verra"]) == parse(name, one_by_one)
    with path.open("rb") as fh:
        fast = list(read(fh, LAYOUTS["verra"]))
    with path.open("rb") as fh:
        slow = list(read(fh, one_by_one))
    assert fast == slow and len(fast) == 5_000
    assert [(e.line, e.code) for e in fast if isinstance(e, RowError)] == [
        (4003, "row.quantity_mismatch"),
        (4501, "row.project_mismatch"),
    ]
    assert formats.BATCH < 5_000  # more than one batch was read


def _many_rows(name: str, copies: int) -> bytes:
    """The file ``name`` with its data rows repeated ``copies`` times (enough rows for the
    reader's larger blocks)."""
    raw = (DATA / name).read_bytes()
    header, _, body = raw.partition(b"\n")
    return header + b"\n" + body.rstrip(b"\r\n") + b"\n" + body * copies


@pytest.mark.parametrize("name", list(LAYOUT_OF))
def test_every_batch_reader_reads_what_the_row_reader_reads(name):
    """Each layout's column-by-column reader gives what reading row by row gives, for good
    rows, issuance rows, bad rows and rows spanning lines, in blocks of every size."""
    import dataclasses

    fast = layout_for(name)
    slow = dataclasses.replace(fast, batch=None)
    data = _many_rows(name, 300)
    assert list(read(io.BytesIO(data), fast)) == list(read(io.BytesIO(data), slow))
    assert parse(name, fast) == parse(name, slow)


def test_a_project_written_otherwise_than_in_the_serial_is_read_row_by_row():
    header = (DATA / "gold_standard.csv").read_bytes().split(b"\n")[0]
    row = "GS2345,P,2016,GS1-1-CN-GS2345-12-2016-1-{0}-{0},1,China,VER,2021-03-12,X,\n"
    other = "2346,P,2016,GS1-1-CN-GS2345-12-2016-1-9999-9999,1,China,VER,2021-03-12,X,\n"
    data = header + b"\n" + "".join(row.format(i) for i in range(1, 1000)).encode()
    rows = list(read(io.BytesIO(data + other.encode()), LAYOUTS["gs"]))
    assert len(retirements(rows)) == 999 and rows[-1].code == "row.project_mismatch"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64])
@pytest.mark.parametrize("name", sorted(LAYOUT_OF))
def test_a_file_reads_alike_in_chunks_of_any_size(monkeypatch, name, size):
    """The stream is read a chunk at a time and split into lines: a "\\r\\n", a quoted line
    break, a BOM or a Chinese character cut by a chunk's end reads as when it is not."""
    data = _many_rows(name, 3)
    whole = list(read(io.BytesIO(data), layout_for(name)))
    monkeypatch.setattr(formats, "READ_SIZE", size)
    assert list(read(io.BytesIO(data), layout_for(name))) == whole


@pytest.mark.parametrize("name", ["verra_older.csv", "american_carbon_registry.csv", "ccer.csv"])
def test_lines_ending_in_a_carriage_return_alone_are_lines(monkeypatch, name):
    """Old Mac line ends ("\\r" alone, as Excel for Mac once wrote CSV) end lines as "\\r\\n"
    and "\\n" do: the same rows, lines and digests (a row's digest leaves out its line end)."""
    data = _many_rows(name, 3)
    lf = data.replace(b"\r\n", b"\n")
    expected = list(read(io.BytesIO(lf), layout_for(name)))
    monkeypatch.setattr(formats, "READ_SIZE", 7)
    assert list(read(io.BytesIO(lf.replace(b"\n", b"\r")), layout_for(name))) == expected
    assert len(expected) > 6
