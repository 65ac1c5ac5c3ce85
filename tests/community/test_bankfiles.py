"""The bank's files: the 代发 batch as CSV and XLSX (opened with openpyxl, as a bank's or a
clerk's program would), and the bank's result file with every class of bad line."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from ledger.community.bankfiles import (
    COLUMNS,
    MESSAGES,
    REASONS,
    BankFileError,
    BankLine,
    BankResult,
    check_lines,
    export_csv,
    export_xlsx,
    parse_results,
    yuan_text,
)
from ledger.core.errors import ValidationError

PURPOSE = "2026年碳汇收益分配"
BATCH = [
    BankLine(1, "张三丰", "6222020200112233445", 123456, PURPOSE),
    BankLine(2, "欧阳修", "6222020200112233", 5, PURPOSE),
    BankLine(3, "李四", "12345678", 100_000_000_00, PURPOSE),
]


def test_yuan_text():
    assert [yuan_text(f) for f in (0, 5, 100, 123456, 10_000_000_000)] == [
        "0.00",
        "0.05",
        "1.00",
        "1234.56",
        "100000000.00",
    ]


def test_csv_batch():
    data = export_csv(BATCH)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8") == (
        "序号,户名,账号,金额,用途\r\n"
        "1,张三丰,6222020200112233445,1234.56,2026年碳汇收益分配\r\n"
        "2,欧阳修,6222020200112233,0.05,2026年碳汇收益分配\r\n"
        "3,李四,12345678,100000000.00,2026年碳汇收益分配\r\n"
    )


def test_xlsx_batch_opens_with_openpyxl():
    book = load_workbook(io.BytesIO(export_xlsx(BATCH)))
    assert book.sheetnames == ["代发明细", "汇总"]
    sheet = book["代发明细"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    assert rows[1][:3] == (1, "张三丰", "6222020200112233445")
    assert rows[1][4] == PURPOSE
    # The account stays text (Excel would round a 19-digit number), the amount a number
    # exact to the fen.
    assert sheet["C2"].data_type == "s" and sheet["C2"].number_format == "@"
    assert sheet["D2"].number_format == "0.00"
    assert [Decimal(str(r[3])) for r in rows[1:]] == [
        Decimal("1234.56"),
        Decimal("0.05"),
        Decimal("100000000"),
    ]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[0] == ("笔数", 3)
    assert summary[1][0] == "合计金额"
    assert Decimal(str(summary[1][1])) == Decimal("100001234.61")


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ([], "at least one"),
        ([BankLine(2, "a", "12345678", 1, "p")], "序号"),
        ([BankLine(1, "", "12345678", 1, "p")], "户名"),
        ([BankLine(1, "=HYPERLINK(1)", "12345678", 1, "p")], "must not start"),
        ([BankLine(1, "a", "12345678", 1, "@SUM(1)")], "must not start"),
        ([BankLine(1, "a\nb", "12345678", 1, "p")], "control"),
        ([BankLine(1, "a", "12345678", 1, "p" * 41)], "用途"),
        ([BankLine(1, "a", "1234567", 1, "p")], "账号"),
        ([BankLine(1, "a", "1234 5678", 1, "p")], "账号"),
        ([BankLine(1, "a", "12345678", 0, "p")], "金额"),
        ([BankLine(1, "a", "12345678", 1.5, "p")], "金额"),
    ],
)
def test_a_batch_a_bank_would_refuse_is_not_written(lines, said):
    with pytest.raises(ValueError, match=said):
        check_lines(lines)
    with pytest.raises(ValueError):
        export_csv(lines)
    with pytest.raises(ValueError):
        export_xlsx(lines)


# --- the result file ---------------------------------------------------------------------------


def result_csv(*lines: str, encoding: str = "utf-8", bom: bool = True) -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom and encoding == "utf-8" else b"") + text.encode(encoding)


HEAD = "序号,户名,账号,金额,用途,状态,失败原因"
GOOD = [
    HEAD,
    "1,张三丰,6222020200112233445,1234.56,2026年碳汇收益分配,成功,",
    "2,欧阳修,6222020200112233,0.05,2026年碳汇收益分配,失败,户名与账号不符",
    "3,李四,12345678,100000000.00,2026年碳汇收益分配,成功,",
]
EXPECTED = [
    BankResult(2, 1, "张三丰", "6222020200112233445", 123456, True, ""),
    BankResult(3, 2, "欧阳修", "6222020200112233", 5, False, "户名与账号不符"),
    BankResult(4, 3, "李四", "12345678", 100_000_000_00, True, ""),
]


def test_a_csv_result_file():
    assert parse_results(result_csv(*GOOD)) == EXPECTED


def test_a_gbk_result_file_as_banks_write_it():
    assert parse_results(result_csv(*GOOD, encoding="gbk")) == EXPECTED


def test_columns_in_another_order_and_extra_columns():
    data = result_csv(
        "银行流水号,状态,序号,金额,账号,户名,用途,失败原因",
        "B0001,成功,1,1234.56,6222020200112233445,张三丰,x,",
        "B0002,FAILED,2,0.05,6222-0202-0011-2233,欧阳修,x,账户已销户",
    )
    assert parse_results(data) == [
        BankResult(2, 1, "张三丰", "6222020200112233445", 123456, True, ""),
        BankResult(3, 2, "欧阳修", "6222020200112233", 5, False, "账户已销户"),
    ]
    # No 失败原因 column at all when everything was paid.
    data = result_csv(
        "序号,户名,账号,金额,用途,状态", "1,张三丰,6222020200112233445,1234.56,x,成功"
    )
    assert parse_results(data)[0].paid


def test_the_exported_batch_returned_as_xlsx():
    # The bank fills 状态/失败原因 into our own XLSX and sends it back.
    book = load_workbook(io.BytesIO(export_xlsx(BATCH)))
    sheet = book["代发明细"]
    sheet["F1"], sheet["G1"] = "状态", "失败原因"
    for row, (status, reason) in enumerate(
        [("成功", None), ("失败", "户名与账号不符"), ("成功", None)], start=2
    ):
        sheet.cell(row, 6, status)
        sheet.cell(row, 7, reason)
    out = io.BytesIO()
    book.save(out)
    assert parse_results(out.getvalue()) == EXPECTED


def xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_numbers_where_text_was_expected():
    # A spreadsheet holds numbers as doubles: a 19-digit account typed as a number is already
    # rounded (6.22202020011223e18) and is refused; an 8-digit one, or any as text, is exact.
    header = tuple(HEAD.split(","))
    data = xlsx(
        header,
        (1, "张三丰", 6222020200112233445, 1234.56, "x", "成功", None),
        (2.0, "欧阳修", 12345678, 0.05, "x", "失败", "原因"),
    )
    error = refusal(data)
    assert reasons(error) == [(2, "account")]
    fine = xlsx(
        header,
        (1, "张三丰", "6222020200112233445", 1234.56, "x", "成功", None),
        (2.0, "欧阳修", 12345678, 0.05, "x", "失败", "原因"),
    )
    assert parse_results(fine) == [
        BankResult(2, 1, "张三丰", "6222020200112233445", 123456, True, ""),
        BankResult(3, 2, "欧阳修", "12345678", 5, False, "原因"),
    ]


def refusal(data: bytes) -> BankFileError:
    with pytest.raises(BankFileError) as caught:
        parse_results(data)
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.code == "community.bank_bad_lines"
    assert error.message == MESSAGES["community.bank_bad_lines"] % error.details
    for bad in error.details["errors"]:
        assert bad["reason"] == REASONS[bad["code"]] % bad["params"]
    return error


def reasons(error: BankFileError) -> list[tuple[int, str]]:
    return [(e["line"], e["code"]) for e in error.details["errors"]]


def with_line(line: str) -> bytes:
    return result_csv(*GOOD[:2], line, *GOOD[2:])


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        ("9,王五,12345678,1.00,x,成功", ["columns"]),
        ("9,王五,12345678,1.00,x,成功,,extra", ["columns"]),
        (",王五,12345678,1.00,x,成功,", ["empty_value"]),
        ("9,王五,12345678,,x,成功,", ["empty_value"]),
        ("9,王五,12345678,1.00,x,,", ["empty_value"]),
        ("0,王五,12345678,1.00,x,成功,", ["seq"]),
        ("1.5,王五,12345678,1.00,x,成功,", ["seq"]),
        ("1,王五,12345678,1.00,x,成功,", ["seq_repeated"]),
        ('9,"王\x07五",12345678,1.00,x,成功,', ["name"]),
        ("9,王五,1234567,1.00,x,成功,", ["account"]),
        ("9,王五,6222ABCD1234,1.00,x,成功,", ["account"]),
        ("9,王五,12345678,0,x,成功,", ["amount"]),
        ("9,王五,12345678,-1.00,x,成功,", ["amount"]),
        ("9,王五,12345678,1.005,x,成功,", ["amount"]),
        ("9,王五,12345678,一元,x,成功,", ["amount"]),
        ("9,王五,12345678,1.00,x,处理中,", ["status"]),
        ("9,王五,12345678,1.00,x,失败,", ["reason_missing"]),
        ("9,王五,12345678,1.00,x,失败," + "长" * 201, ["reason_text"]),
        ("0,王五,1,x,x,?,", ["seq", "account", "amount", "status"]),
    ],
)
def test_every_class_of_bad_line(line, codes):
    error = refusal(with_line(line))
    assert reasons(error) == [(3, code) for code in codes]
    assert error.details["count"] == 1


def test_every_bad_line_is_named():
    data = result_csv(HEAD, "1,a,12345678,1,x,成功,", "1,b,12345678,1,x,成功,", "2,c,1,1,x,?,")
    error = refusal(data)
    assert reasons(error) == [(3, "seq_repeated"), (4, "account"), (4, "status")]
    assert error.details["count"] == 2
    assert error.details["errors"][0]["params"] == {"seq": 1, "first": 2}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", [(1, "no_rows")]),
        (result_csv(HEAD), [(2, "no_rows")]),
        (result_csv("序号,户名,账号,金额,用途"), [(1, "header")]),
        (result_csv(HEAD + ",状态"), [(1, "header_repeated")]),
        (b"\xff\xfe\x00\x00\x81\x30", [(1, "encoding")]),
        (b"PK\x03\x04not really a workbook", [(1, "xlsx")]),
    ],
)
def test_bad_files(data, expected):
    assert reasons(refusal(data)) == expected


def test_the_header_names_what_is_missing():
    error = refusal(result_csv("序号,户名,金额,用途,失败原因"))
    assert error.details["errors"][0]["params"]["missing"] == "账号,状态"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
        st.lists(st.lists(st.text(max_size=10), max_size=8), max_size=5).map(
            lambda rows: "\n".join([HEAD, *(",".join(r) for r in rows)]).encode(
                "utf-8", "surrogatepass"
            )
        ),
    )
)
def test_any_bytes_are_read_or_refused_with_bad_lines_never_a_crash(data):
    try:
        parse_results(data)
    except BankFileError as exc:
        assert exc.details["count"] >= 1
