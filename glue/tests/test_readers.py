"""The readers (handlers/json-lines.ts, json-array.ts, csv-records.ts): records or rejections, with
the processor's line numbers and raw text (expected values are the processor's)."""
import dataclasses

import pytest

from datalake_glue.lines import split_lines
from datalake_glue.readers import LineCount, Parsed, Unreadable, read_csv, read_json_array, read_json_lines, read_records


@pytest.fixture()
def reading(contract):
    return dataclasses.replace(contract.reading, max_record_bytes=1024)


def summary(items) -> list[tuple]:
    return [(item.line, "record", item.raw) if isinstance(item, Parsed) else (item.line, item.rejection.reason, item.raw) for item in items]


def test_json_lines_count_blank_lines_read_a_later_bom_and_end_at_any_ending(reading) -> None:
    # Prepare
    data = '{"a":1}\r\n  \t\r\ufeff{"b":2}\n[1]\n{oops\n\ufeff'.encode()
    count = LineCount()
    # Act
    items = list(read_json_lines(split_lines([data], reading), reading, count))
    # Assess
    assert summary(items) == [(1, "record", '{"a":1}'), (3, "record", '{"b":2}'), (4, "not_an_object", "[1]"), (5, "malformed_json", "{oops"), (6, "malformed_json", "")]
    assert items[2].rejection.detail == "expected a JSON object, got an array"
    assert count.lines == 6


def test_a_json_record_carries_its_text_and_whether_a_key_repeats(reading) -> None:
    # Act
    items = list(read_json_lines(split_lines([b'{"a":1,"a":2}\n{"b":{"c":1}}'], reading), reading))
    # Assess
    assert [(item.record, item.source.repeated) for item in items] == [({"a": 2.0}, True), ({"b": {"c": 1.0}}, False)]


def test_a_json_array_is_read_element_by_element_with_the_line_of_each(reading) -> None:
    # Prepare
    data = b'[\n  {"a": 1},\n  [1],,\n  {"b":\n 2}\n] trailing\n'
    # Act
    items = list(read_json_array([data[at : at + 5] for at in range(0, len(data), 5)], reading))
    # Assess
    assert summary(items) == [
        (2, "record", '{"a": 1}'),
        (3, "not_an_object", "[1]"),
        (3, "malformed_json", ""),
        (4, "record", '{"b":\n 2}'),
        (6, "malformed_json", "trailing"),
    ]
    assert [items[2].rejection.detail, items[4].rejection.detail] == ["an empty element between commas of the array", "text after the array's closing bracket"]


def test_a_json_array_element_over_the_limit_or_not_utf8_is_rejected(reading) -> None:
    # Act
    items = list(read_json_array([b'[{"a":"' + b"x" * 2000 + b'"}, {"b":"\xff"}, "s\\"]"]'], reading))
    # Assess
    assert [(item.line, item.rejection.reason) for item in items] == [(1, "record_too_large"), (1, "invalid_utf8"), (1, "not_an_object")]
    assert items[0].rejection.detail == "array element of 2008 bytes is longer than the limit of 1024 bytes (processorMaxRecordKb); record holds its first 1024 bytes"
    assert items[0].raw == '{"a":"' + "x" * 1018
    assert items[1].raw == '{"b":"\ufffd"}'


def test_a_json_array_keeps_the_first_kib_of_a_long_element_and_of_text_after_it_cut_at_a_character_boundary(reading) -> None:
    # Prepare: the element's 1,024th byte is inside "é" (its 1,024th and 1,025th), the trailing
    # text's inside "😀" (its 1,023rd to 1,026th); the limit is 2 KiB
    element_head = '{"a":"' + "x" * 1017
    trailing_head = "t" * 1022
    data = f'[{element_head}é{"y" * 3000}"}},\n{{"b":1}}\n] {trailing_head}😀{"z" * 3000}'.encode()
    limited = dataclasses.replace(reading, max_record_bytes=2048)
    expected = [(1, "record_too_large", element_head), (2, "record", '{"b":1}'), (3, "malformed_json", trailing_head)]
    for size in (len(data), 1, 700, 1024, 1025):
        # Act
        items = list(read_json_array([data[at : at + size] for at in range(0, len(data), size)], limited))
        # Assess
        assert summary(items) == expected, size
        assert not any("\ufffd" in item.raw for item in items)


def test_a_json_document_that_is_no_array_is_json_lines_with_two_boms_dropped(reading, contract) -> None:
    # Act
    items = list(read_records(["\ufeff\ufeff".encode(), b'{"a":1}\n'], "jsonl", True, reading, contract.dataset("events").columns))
    # Assess
    assert summary(items) == [(1, "record", '{"a":1}')]


def csv_items(text: str, reading, contract, dataset: str = "users") -> list:
    return list(read_csv(split_lines([text.encode()], reading), contract.dataset(dataset).columns, reading))


def test_csv_quoted_fields_span_lines_with_their_exact_breaks(reading, contract) -> None:
    # Act
    items = csv_items('user_id,name\r\n1,"two\r\nlines"\n2,"one\rbreak"\n3,x\n', reading, contract)
    # Assess
    assert [(item.line, item.record) for item in items] == [(2, {"user_id": "1", "name": "two\r\nlines"}), (4, {"user_id": "2", "name": "one\rbreak"}), (6, {"user_id": "3", "name": "x"})]
    assert items[0].raw == '1,"two\r\nlines"'


def test_csv_errors_cost_their_own_line_with_the_processors_wording(reading, contract) -> None:
    # Act
    items = csv_items('user_id,name\n1,a"b\n2,"c"d\n3\n4,"😀"😀\n5,"two\nlines",x\n6,x\n', reading, contract)
    # Assess
    assert [(item.line, item.rejection.detail, item.raw) for item in items if isinstance(item, Unreadable)] == [
        (2, 'a quote (") inside a field that does not start with one; quote the whole field and double its quotes', '1,a"b'),
        (3, 'unexpected "d" after a closing quote (RFC 4180: a quoted field ends at a comma or the line\'s end)', '2,"c"d'),
        (4, "expected 2 fields as in the first row, got 1", "3"),
        (5, 'unexpected "\\ud83d" after a closing quote (RFC 4180: a quoted field ends at a comma or the line\'s end)', '4,"😀"😀'),
        (6, "a quoted field opened on this line spans lines into a record of 3 fields, not 2", '5,"two'),
        (7, 'a quote (") inside a field that does not start with one; quote the whole field and double its quotes', 'lines",x'),
    ]
    assert (items[-1].line, items[-1].record) == (8, {"user_id": "6", "name": "x"})


def test_csv_a_quoted_record_beyond_the_limit_rejects_its_first_line_and_a_quote_open_at_the_end_its_own(reading, contract) -> None:
    # Act
    items = csv_items("user_id,name\n1,\"" + "ab\n" * 400 + '"\n2,ok\n3,"open\n', reading, contract)
    # Assess
    rejected = [(item.line, item.rejection.detail) for item in items if isinstance(item, Unreadable)]
    assert rejected[0] == (2, "a quoted field opened on this line is not closed within 1024 bytes (processorMaxRecordKb)")
    assert rejected[-2:] == [
        (402, 'unexpected "o" after a closing quote (RFC 4180: a quoted field ends at a comma or the line\'s end)'),
        (404, "a quoted field opened on this line is not closed before the end of the object"),
    ]
    assert [item.line for item in items if isinstance(item, Parsed)] == [403]


def test_csv_header_trimmed_headerless_and_repeated(reading, contract) -> None:
    # Act
    header = csv_items(" user_id , email \n1,a@x\n", reading, contract)
    headerless = csv_items("1,a@x,A,FR,2026-01-01\n2,b@x\n", reading, contract)
    no_header = csv_items("a,b\n1,2\n", reading, contract)
    repeated = csv_items("user_id,email,user_id\n1,a,1\n", reading, contract)
    # Assess
    assert header[0].record == {"user_id": "1", "email": "a@x"}
    assert headerless[0].record["country"] == "FR" and headerless[1].rejection.detail == "expected 5 fields as in the first row, got 2"
    assert [item.rejection.detail for item in no_header] == [
        "no header row: the first row names none of the columns (user_id, email, name, country, signup_timestamp) and has 2 fields, not 5 to read in that order"
    ] * 2
    assert (repeated[0].rejection.reason, repeated[0].rejection.column) == ("duplicate_key", "user_id")
