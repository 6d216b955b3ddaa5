"""The readers: JSON Lines lines and csv-parse's CSV, with the processor's line numbers."""
from datalake_glue.readers import CsvParser, Parsed, Unreadable, read_csv, read_json_lines


def test_json_lines_skip_blank_lines_and_strip_cr() -> None:
    # Prepare
    lines = [(1, '{"a": 1}\r'), (2, "  "), (3, "[1]"), (4, "{oops")]
    # Act
    items = list(read_json_lines(lines))
    # Assess
    assert isinstance(items[0], Parsed) and items[0].raw == '{"a": 1}'
    assert [(item.line, item.rejection.reason) for item in items[1:] if isinstance(item, Unreadable)] == [(3, "not_an_object"), (4, "malformed_json")]


def csv_items(text: str) -> list:
    return list(read_csv(line + "\n" for line in text.split("\n")[:-1]))


def test_csv_quoted_fields_span_lines_and_keep_their_first_line() -> None:
    # Act
    items = csv_items('id,name\n1,"two\nlines"\n2,x\n')
    # Assess
    assert [(item.line, item.record) for item in items] == [(2, {"id": "1", "name": "two\nlines"}), (4, {"id": "2", "name": "x"})]


def test_csv_errors_are_reported_with_csv_parse_wording() -> None:
    # Act
    items = csv_items('id,name\n1,a"b\n2,"c"d\n')
    # Assess
    assert [(item.line, item.rejection.detail) for item in items if isinstance(item, Unreadable)] == [
        (2, 'Invalid Opening Quote: a quote is found on field 1 at line 2, value is "a"'),
        (3, 'Invalid Closing Quote: got "d" at line 3 instead of delimiter, record delimiter, trimable character (if activated) or comment'),
        (3, "Quote Not Closed: the parsing is finished with an opening quote at line 3"),
    ]


def test_csv_bom_crlf_header_trim_and_field_count() -> None:
    # Act
    items = csv_items("\ufeff id ,v\r\n1,2\r\n\r\n3\r\n")
    # Assess
    assert isinstance(items[0], Parsed) and items[0].record == {"id": "1", "v": "2"}
    assert isinstance(items[1], Unreadable) and items[1].line == 4 and items[1].raw == ["3"]


class _CharByChar(CsvParser):
    """The state machine without the fast path for plain lines."""

    def _plain_line(self, buf: str) -> bool:
        return False


def test_csv_fast_path_for_plain_lines_gives_what_the_state_machine_gives() -> None:
    # Prepare
    texts = [
        "h1,h2\n1,2\n\n3,4\n",
        "h1,h2\r\n1,2\r\n\r\n3\r\n4,5\r\n",
        'h1,h2\n1,"a\nb"\n2,c\n"x"y,3\n4,5\n',
        "h1,h2\n1,a\rb\n2,c\n",
        "h1,h2\r\n1,a\nb\r\n2,c\r\n",
    ]
    for text in texts:
        lines = [line + "\n" for line in text.split("\n")[:-1]]
        # Act
        fast, slow = CsvParser(), _CharByChar()
        fast_events = [event for line in lines for event in fast.feed(line)] + fast.end()
        slow_events = [event for line in lines for event in slow.feed(line)] + slow.end()
        # Assess
        assert fast_events == slow_events, text
