"""Record readers: JSON Lines and CSV with a header row, as handlers/record-readers.ts reads them.

Both take the object's lines as Spark's text input gives them (split on ``\\n`` only, the ``\\n``
removed, a ``\\r`` kept) with their 1-based line numbers, and yield, in order, either a parsed record
or an unreadable one with its rejection. JSON Lines are independent lines, so any line can be read
on any executor. CSV records may span lines (quoted fields), so an object's CSV lines are read in
order by one task.

The CSV reader follows csv-parse 7 with the options the processor passes it (``bom``,
``relax_column_count``, ``skip_records_with_error``, ``skip_empty_lines``; comma, double quote,
double-quote escape, record delimiter discovered from the first line end) and the processor's own
header and field-count checks, including csv-parse's way of counting lines.

Example::

    for item in read_json_lines([(1, '{"a": 1}'), (2, "oops")]):
        ...  # Parsed(line=1, record={"a": 1.0}, raw='{"a": 1}'), then Unreadable(line=2, reason malformed_json)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Union

from .coercion import Rejection
from .jsvalues import JsonSyntaxError, js_json_parse, js_object, js_trim, js_typeof


@dataclass(frozen=True)
class Parsed:
    """A record as an object, and the raw text or value a rejection of it quotes."""

    line: int
    record: dict[str, Any]
    raw: Any


@dataclass(frozen=True)
class Unreadable:
    """A record that could not even be parsed."""

    line: int
    rejection: Rejection
    raw: Any


ReadItem = Union[Parsed, Unreadable]


def read_json_line(text: str, line: int) -> Optional[ReadItem]:
    """One JSON Lines line; None for a blank line (not a record)."""
    trimmed = text[:-1] if text.endswith("\r") else text
    if js_trim(trimmed) == "":
        return None
    try:
        parsed = js_json_parse(trimmed)
    except JsonSyntaxError as error:
        return Unreadable(line, Rejection("malformed_json", str(error)), trimmed)
    if not isinstance(parsed, dict):
        got = "an array" if isinstance(parsed, list) else "null" if parsed is None else js_typeof(parsed)
        return Unreadable(line, Rejection("not_an_object", f"expected a JSON object, got {got}"), trimmed)
    return Parsed(line, parsed, trimmed)


def read_json_lines(lines: Iterable[tuple[int, str]]) -> Iterator[ReadItem]:
    """Every record of numbered JSON Lines lines."""
    for line, text in lines:
        item = read_json_line(text, line)
        if item is not None:
            yield item


@dataclass(frozen=True)
class _CsvRecord:
    fields: list[str]
    #: csv-parse's ``info.lines`` when the record was pushed: the line it ends on.
    lines: int


@dataclass(frozen=True)
class _CsvSkip:
    lines: int
    message: str


class CsvParser:
    """csv-parse 7's state machine for the processor's options, fed one line (with its ``\\n``) at a time."""

    def __init__(self) -> None:
        self.quoting = False
        self.was_quoting = False
        self.escaping = False
        self.field: list[str] = []
        self.record: list[str] = []
        self.was_row_delimiter = False
        self.lines = 1
        self.record_delimiter: Optional[str] = None
        self.record_has_error = False
        self.bom_checked = False
        self.events: list[Union[_CsvRecord, _CsvSkip]] = []

    # csv-parse's __autoDiscoverRecordDelimiter: the first line end seen outside quotes.
    def _discover(self, buf: str, pos: int) -> int:
        for delimiter in ("\r\n", "\n", "\r"):
            if buf.startswith(delimiter, pos):
                self.record_delimiter = delimiter
                return len(delimiter)
        return 0

    def _record_delimiter_at(self, buf: str, pos: int) -> int:
        delimiter = self.record_delimiter
        return len(delimiter) if delimiter is not None and buf.startswith(delimiter, pos) else 0

    def _error(self, message: str) -> None:
        # skip_records_with_error: the record is dropped when it ends; the error is reported now.
        self.record_has_error = True
        self.events.append(_CsvSkip(self.lines, message))

    def _on_field(self) -> None:
        self.record.append("".join(self.field))
        self.field = []
        self.was_quoting = False

    def _on_record(self) -> None:
        if self.record_has_error:
            self.record = []
            self.record_has_error = False
            return
        self.events.append(_CsvRecord(self.record, self.lines))
        self.record = []

    def _plain_line(self, buf: str) -> bool:
        """The fast path: a whole line without quotes, between records, with the discovered line end
        and no other CR or LF in it, is split on commas. Same records and line counts as the loop."""
        delimiter = self.record_delimiter
        if delimiter not in ("\n", "\r\n") or self.quoting or self.escaping or self.field or self.record or self.was_quoting:
            return False
        if not buf.endswith(delimiter) or '"' in buf:
            return False
        body = buf[: -len(delimiter)]
        if "\r" in body or "\n" in body:
            return False
        if self.was_row_delimiter:
            self.lines += 1
        if body:
            self.events.append(_CsvRecord(body.split(","), self.lines))
        self.was_row_delimiter = True
        return True

    def feed(self, buf: str) -> list[Union[_CsvRecord, _CsvSkip]]:
        """Parses one chunk that ends at a line end (or the end of the input); returns what it completed."""
        if not self.bom_checked:
            self.bom_checked = True
            if buf.startswith("\ufeff"):
                buf = buf[1:]
        elif self._plain_line(buf):
            events, self.events = self.events, []
            return events
        pos, length = 0, len(buf)
        while pos < length:
            if self.was_row_delimiter:
                self.lines += 1
                self.was_row_delimiter = False
            if not self.quoting and self.record_delimiter is None:
                self._discover(buf, pos)
            char = buf[pos]
            if char in "\r\n" and not self.was_row_delimiter:
                self.was_row_delimiter = True
            if self.escaping:
                self.escaping = False
            else:
                if self.quoting and char == '"' and pos + 1 < length and buf[pos + 1] == '"':
                    self.escaping = True
                    pos += 1
                    continue
                if char == '"':
                    if self.quoting:
                        next_char = buf[pos + 1] if pos + 1 < length else None
                        ends_record = (self._discover(buf, pos + 1) if self.record_delimiter is None else self._record_delimiter_at(buf, pos + 1)) > 0
                        if next_char is None or next_char == "," or ends_record:
                            self.quoting = False
                            self.was_quoting = True
                            pos += 1
                            continue
                        # csv-parse quotes the next *byte*: the first UTF-8 byte, read as Latin-1.
                        shown = chr(next_char.encode("utf-8", "surrogatepass")[0])
                        self._error(
                            f'Invalid Closing Quote: got "{shown}" at line {self.lines} instead of delimiter, record delimiter, trimable character (if activated) or comment'
                        )
                    elif self.field:
                        value = "".join(self.field)
                        self._error(
                            f"Invalid Opening Quote: a quote is found on field {len(self.record)} at line {self.lines}, value is {_json_text(value)}"
                        )
                    else:
                        self.quoting = True
                        pos += 1
                        continue
                if not self.quoting:
                    delimiter_length = self._record_delimiter_at(buf, pos)
                    if delimiter_length:
                        if not self.was_quoting and not self.record and not self.field:
                            pos += delimiter_length  # skip_empty_lines
                            continue
                        self._on_field()
                        self._on_record()
                        pos += delimiter_length
                        continue
                    if char == ",":
                        self._on_field()
                        pos += 1
                        continue
            self.field.append(char)
            pos += 1
        events, self.events = self.events, []
        return events

    def end(self) -> list[Union[_CsvRecord, _CsvSkip]]:
        """The end of the input: an open quote is an error, a last record without a line end is pushed."""
        if self.quoting:
            self._error(f"Quote Not Closed: the parsing is finished with an opening quote at line {self.lines}")
        elif self.was_quoting or self.record or self.field:
            self._on_field()
            self._on_record()
        events, self.events = self.events, []
        return events


def _json_text(text: str) -> str:
    from .jsvalues import js_quote

    return js_quote(text)


def read_csv(chunks: Iterable[str]) -> Iterator[ReadItem]:
    """Every record of a CSV object given as consecutive chunks (e.g. its lines with their ``\\n``).

    The first record read is the header (names trimmed); a record with another number of fields than
    the header, and a record csv-parse skips, are unreadable (``malformed_csv``).
    """
    parser = CsvParser()
    header: Optional[list[str]] = None

    def items(events: list[Union[_CsvRecord, _CsvSkip]]) -> Iterator[ReadItem]:
        nonlocal header
        for event in events:
            if isinstance(event, _CsvSkip):
                yield Unreadable(event.lines, Rejection("malformed_csv", event.message), None)
                continue
            if header is None:
                header = [js_trim(name) for name in event.fields]
                continue
            line = event.lines - sum(field.count("\n") for field in event.fields)
            if len(event.fields) != len(header):
                detail = f"expected {len(header)} fields as in the header, got {len(event.fields)}"
                yield Unreadable(line, Rejection("malformed_csv", detail), event.fields)
                continue
            record = js_object(zip(header, event.fields))
            yield Parsed(line, record, record)

    for chunk in chunks:
        yield from items(parser.feed(chunk))
    yield from items(parser.end())
