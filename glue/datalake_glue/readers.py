"""Record readers: JSON Lines, JSON array documents and CSV, as the processor reads them.

Each reader yields, in order, one item per physical record: a parsed record (``Parsed``, with the
text ``rejected/`` would quote and, for JSON, the text the coercer reads numbers and repeated keys
from) or a record that could not be read (``Unreadable``, with its rejection). Line numbers are the
reader's own, from 1; a JSON Lines range's numbers are moved to the object's by the driver.

- JSON Lines (handlers/json-lines.ts): one JSON object per line of the line splitter (``lines``);
  blank lines (spaces and tabs only) are counted but are not records; a line that fails to parse
  and starts with a BOM is parsed again without it.
- A ``.json`` object whose first character is ``[`` (handlers/json-array.ts): one JSON array, cut
  into elements at its top-level commas, each checked against ``maxRecordBytes`` and as UTF-8, then
  parsed alone; an element's line is the LF count before its first character.
- CSV (handlers/csv-records.ts): RFC 4180 with quoted fields spanning lines; a malformed record
  rejects its first line alone and reading resumes at the next line. The first row is a header when
  it names any column, else rows are read in the dataset's column order.

Wording and limits come from the contract (``Reading``); what is ported here is the readers' logic.

Example::

    for item in read_records(chunks, "jsonl", False, contract.reading, dataset.columns):
        ...  # Parsed(line=1, record={"a": 1.0}, raw='{"a": 1}', source=JsonSource(…)), or Unreadable(…)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

from .coercion import JsonSource, Rejection
from .contract import Column, Reading
from .jsvalues import JsonSyntaxError, js_json_parse_noting_repeats, js_quote, js_trim, js_typeof, utf16_length, utf16_slice
from .lines import Lines, Piece, RejectedLine, prefix_text, split_lines, without_bom

BOM = "\ufeff"
_ENDING = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Parsed:
    """A record as an object, the raw text a rejection of it quotes, and its JSON text (None for CSV)."""

    line: int
    record: dict[str, Any]
    raw: str
    source: Optional[JsonSource]


@dataclass(frozen=True)
class Unreadable:
    """A record that could not even be parsed, with its raw text."""

    line: int
    rejection: Rejection
    raw: str


ReadItem = Union[Parsed, Unreadable]


@dataclass
class LineCount:
    """How many lines a JSON Lines reader read (blank and rejected ones included): a range's share of the object's lines."""

    lines: int = 0


def _json_kind(value: Any) -> str:
    return "an array" if isinstance(value, list) else "null" if value is None else js_typeof(value)


def visit_json_text(text: str, line: int, reading: Reading) -> ReadItem:
    """One JSON text (a line, an element of an array): a record with its text, or a rejection."""
    while True:
        try:
            parsed, repeated = js_json_parse_noting_repeats(text)
            break
        except JsonSyntaxError as error:
            # RFC 8259 §8.1: a parser may ignore a byte order mark (files concatenated after the first).
            if text.startswith(BOM):
                text = text[1:]
                continue
            return Unreadable(line, Rejection("malformed_json", str(error)), text)
    if not isinstance(parsed, dict):
        return Unreadable(line, Rejection("not_an_object", reading.message("notAnObject", kind=_json_kind(parsed))), text)
    return Parsed(line, parsed, text, JsonSource(text, repeated))


def _lines_of(text: str) -> list[str]:
    """The lines of a block of complete lines (its last line may have no ending)."""
    lines = _ENDING.split(text) if "\r" in text else text.split("\n")
    if text.endswith(("\n", "\r")):
        lines.pop()
    return lines


def read_json_lines(pieces: Iterable[Piece], reading: Reading, count: Optional[LineCount] = None) -> Iterator[ReadItem]:
    """Every record of JSON Lines line pieces; ``count`` is told how many lines were read."""
    line = 0
    for piece in pieces:
        if isinstance(piece, RejectedLine):
            line += 1
            yield Unreadable(line, piece.rejection, piece.raw)
            continue
        for content in _lines_of(piece.text):
            line += 1
            if content.strip(" \t"):
                yield visit_json_text(content, line, reading)
        if count is not None:
            count.lines = line
    if count is not None:
        count.lines = line


# --- JSON array documents -------------------------------------------------------------------------

_ARRAY_SPECIAL = re.compile(rb'[\[\]{}",\n]')
_STRING_SPECIAL = re.compile(rb'["\\]')
_NON_WHITESPACE = re.compile(rb"[^ \t\n\r]")


@dataclass
class _Element:
    """An element being cut out: its bytes (past the limit, only its first ones) and its length."""

    line: int
    parts: list[bytes]
    size: int = 0


class _ArrayReader:
    """handlers/json-array.ts ``readJsonArray``'s state machine, jumping between the bytes that matter."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.limit = reading.max_record_bytes
        self.line = 1
        self.opened = False
        self.closed = False
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.separators = 0
        self.element: Optional[_Element] = None
        self.trailing: Optional[_Element] = None

    def _grow(self, target: _Element, data: bytes) -> None:
        if not data:
            return
        if target.size <= self.limit:
            target.parts.append(data)
        target.size += len(data)

    def _emit(self, done: Optional[_Element], ends_with_separator: bool) -> Optional[ReadItem]:
        reading = self.reading
        if done is None:
            if not ends_with_separator and self.separators == 0:
                return None
            return Unreadable(self.line, Rejection("malformed_json", reading.message("elementEmpty")), "")
        data = b"".join(done.parts)
        if done.size > self.limit:
            kept = reading.too_large_kept_bytes
            detail = reading.message("elementTooLarge", bytes=done.size, limit=self.limit, kept=kept)
            return Unreadable(done.line, Rejection("record_too_large", detail), prefix_text(data, kept))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return Unreadable(done.line, Rejection("invalid_utf8", reading.message("elementNotUtf8")), js_trim(data.decode("utf-8", "replace")))
        return visit_json_text(js_trim(text), done.line, reading)

    def chunk(self, chunk: bytes) -> Iterator[ReadItem]:
        at, segment, size = 0, 0, len(chunk)
        while at < size:
            if self.closed:
                if self.trailing is None:
                    found = _NON_WHITESPACE.search(chunk, at)
                    if found is not None:
                        self.line += chunk.count(b"\n", at, found.start())
                        self.trailing, segment, at = _Element(self.line, []), found.start(), found.start()
                self.line += chunk.count(b"\n", at)
                at = size
            elif self.in_string:
                at = self._skip_string(chunk, at)
            elif not self.opened:
                bracket = chunk.find(b"[", at)
                stop = size if bracket == -1 else bracket
                self.line += chunk.count(b"\n", at, stop)
                if bracket != -1:
                    self.opened, segment = True, bracket + 1
                at = stop + 1
            else:
                at, segment, item = self._array_byte(chunk, at, segment)
                if item is not None:
                    yield item
        if self.element is not None:
            self._grow(self.element, chunk[segment:])
        if self.trailing is not None:
            self._grow(self.trailing, chunk[segment:])

    def _skip_string(self, chunk: bytes, at: int) -> int:
        """Moves past string bytes (counting LFs) to just after the string's closing quote, or the chunk's end."""
        if self.escaped:
            self.escaped = False
            self.line += chunk[at] == 0x0A
            return at + 1
        special = _STRING_SPECIAL.search(chunk, at)
        stop = len(chunk) if special is None else special.start()
        self.line += chunk.count(b"\n", at, stop)
        if special is None:
            return stop
        if chunk[stop] == 0x5C:
            self.escaped = True
        else:
            self.in_string = False
        return stop + 1

    def _array_byte(self, chunk: bytes, at: int, segment: int) -> tuple[int, int, Optional[ReadItem]]:
        """Handles the next byte that matters inside the array (an element may start before it)."""
        special = _ARRAY_SPECIAL.search(chunk, at)
        stop = len(chunk) if special is None else special.start()
        if self.element is None:
            start = _NON_WHITESPACE.search(chunk, at, stop)
            if start is not None:
                self.element, segment = _Element(self.line, []), start.start()
        if special is None:
            return stop, segment, None
        byte = chunk[stop]
        if byte == 0x0A:
            self.line += 1
            return stop + 1, segment, None
        if self.depth == 0 and byte in (0x2C, 0x5D):
            if self.element is not None:
                self._grow(self.element, chunk[segment:stop])
            item = self._emit(self.element, byte == 0x2C)
            self.element = None
            if byte == 0x2C:
                self.separators += 1
            else:
                self.closed = True
            return stop + 1, stop + 1, item
        if self.element is None:
            self.element, segment = _Element(self.line, []), stop
        if byte == 0x22:
            self.in_string = True
        elif byte in (0x7B, 0x5B):
            self.depth += 1
        elif byte in (0x7D, 0x5D):
            self.depth -= 1
        return stop + 1, segment, None

    def end(self) -> Iterator[ReadItem]:
        if self.element is not None:
            item = self._emit(self.element, False)
            if item is not None:
                yield item
        if self.trailing is not None:
            text = prefix_text(b"".join(self.trailing.parts), self.reading.too_large_kept_bytes)
            yield Unreadable(self.trailing.line, Rejection("malformed_json", self.reading.message("afterArray")), js_trim(text))


def read_json_array(chunks: Iterable[bytes], reading: Reading) -> Iterator[ReadItem]:
    """The records of a JSON array document (its first non-whitespace byte is ``[``)."""
    reader = _ArrayReader(reading)
    for chunk in chunks:
        yield from reader.chunk(chunk)
    yield from reader.end()


def first_content_byte(chunks: Iterable[bytes]) -> tuple[Optional[int], Iterator[bytes]]:
    """The first byte that is not whitespace (space, tab, LF, CR), and the stream again from its start."""
    iterator = iter(chunks)
    seen: list[bytes] = []
    byte: Optional[int] = None
    for chunk in iterator:
        seen.append(chunk)
        found = _NON_WHITESPACE.search(chunk)
        if found is not None:
            byte = chunk[found.start()]
            break

    def replay() -> Iterator[bytes]:
        yield from seen
        yield from iterator

    return byte, replay()


# --- CSV ------------------------------------------------------------------------------------------

#: The dataset's column names as a headerless file's rejection lists them (handlers/csv-records.ts joins them so).
COLUMN_NAME_SEPARATOR = ", "


@dataclass(frozen=True)
class _Layout:
    """How rows map to columns, known once the first row is read (``detail`` set: every row is unreadable)."""

    field_count: int = 0
    indexes: tuple[int, ...] = ()
    repeated: Optional[str] = None
    detail: Optional[str] = None


@dataclass(frozen=True)
class _Record:
    fields: list[str]
    end: int
    next: int
    multiline: bool


@dataclass(frozen=True)
class _Malformed:
    detail: str


_OPEN = object()


def _after_ending(text: str, end: int) -> int:
    if end >= len(text):
        return end
    return end + 2 if text[end] == "\r" and text[end + 1 : end + 2] == "\n" else end + 1


def _line_breaks(text: str, start: int, end: int) -> int:
    """Line endings (LF, CRLF, CR) in ``text[start:end]``."""
    segment = text[start:end]
    return segment.count("\n") + segment.count("\r") - segment.count("\r\n")


class _CsvReader:
    """handlers/csv-records.ts ``readCsv``: the text not read yet starts at a record boundary, on line ``line``."""

    def __init__(self, columns: Sequence[Column], reading: Reading) -> None:
        self.columns = columns
        self.reading = reading
        self.limit = reading.max_record_bytes
        self.layout: Optional[_Layout] = None
        self.buffer = ""
        self.line = 1

    def _parse_quoted(self, text: str, at: int) -> Union[_Record, _Malformed, object]:
        """The record that starts at ``at`` with quotes in it, possibly over several lines (``_OPEN``: not closed yet)."""
        fields: list[str] = []
        cursor = at
        while True:
            if text[cursor : cursor + 1] == '"':
                value: list[str] = []
                cursor += 1
                while True:
                    quote = text.find('"', cursor)
                    if quote == -1:
                        return _OPEN
                    value.append(text[cursor:quote])
                    if text[quote + 1 : quote + 2] == '"':
                        value.append('"')
                        cursor = quote + 2
                        continue
                    cursor = quote + 1
                    break
                fields.append("".join(value))
                char = text[cursor : cursor + 1]
                if char == ",":
                    cursor += 1
                    continue
                if cursor < len(text) and char not in ("\n", "\r"):
                    # JSON.stringify(text[cursor]): a character beyond U+FFFF is its first UTF-16 unit there.
                    return _Malformed(self.reading.message("csvAfterClosingQuote", character=js_quote(utf16_slice(char, 1))))
            else:
                end = cursor
                while end < len(text) and text[end] not in ",\n\r":
                    if text[end] == '"':
                        return _Malformed(self.reading.message("csvQuoteInsideField"))
                    end += 1
                fields.append(text[cursor:end])
                cursor = end
                if text[cursor : cursor + 1] == ",":
                    cursor += 1
                    continue
            return _Record(fields, cursor, _after_ending(text, cursor), _line_breaks(text, at, cursor) > 0)

    def _layout_of(self, fields: list[str]) -> tuple[_Layout, bool]:
        """The row layout from the first row, and whether that row is a header (not a record)."""
        names = [js_trim(field) for field in fields]
        columns = self.columns
        if any(column.name in names for column in columns):
            repeated = next((column.name for column in columns if names.count(column.name) > 1), None)
            indexes = tuple(names.index(column.name) if column.name in names else -1 for column in columns)
            return _Layout(field_count=len(names), indexes=indexes, repeated=repeated), True
        if len(fields) == len(columns):
            return _Layout(field_count=len(columns), indexes=tuple(range(len(columns)))), False
        detail = self.reading.message(
            "csvNoHeader", columns=COLUMN_NAME_SEPARATOR.join(column.name for column in columns), fields=len(fields), expected=len(columns)
        )
        return _Layout(detail=detail), False

    def _row(self, fields: list[str], at: int, raw: str) -> Optional[ReadItem]:
        if self.layout is None:
            self.layout, is_header = self._layout_of(fields)
            if is_header:
                return None
        layout = self.layout
        if layout.detail is not None:
            return Unreadable(at, Rejection("malformed_csv", layout.detail), raw)
        if len(fields) != layout.field_count:
            return Unreadable(at, Rejection("malformed_csv", self.reading.message("csvFieldCount", expected=layout.field_count, fields=len(fields))), raw)
        if layout.repeated is not None:
            detail = self.reading.message("csvHeaderRepeats", column=layout.repeated)
            return Unreadable(at, Rejection("duplicate_key", detail, layout.repeated), raw)
        record = {column.name: fields[index] for column, index in zip(self.columns, layout.indexes) if index >= 0}
        return Parsed(at, record, raw, None)

    def _parse_at(self, text: str, at: int, line_end: int, plain: bool, final: bool) -> Union[_Record, _Malformed, None]:
        """The record at ``at``, a malformed one, or None when it is still open and more text may close it."""
        if plain:
            return _Record(text[at:line_end].split(","), line_end, _after_ending(text, line_end), False)
        parsed = self._parse_quoted(text, at)
        if parsed is _OPEN:
            if not final and utf16_length(text[at:]) <= self.limit:
                return None
            reading = self.reading
            return _Malformed(reading.message("csvNotClosedAtEnd") if final else reading.message("csvNotClosedWithin", limit=self.limit))
        assert isinstance(parsed, (_Record, _Malformed))
        if isinstance(parsed, _Record) and parsed.multiline:
            # A record spanning lines is held whole: beyond the limit it is rejected as one still open.
            if utf16_length(text[at : parsed.end]) > self.limit:
                return _Malformed(self.reading.message("csvNotClosedWithin", limit=self.limit))
            layout = self.layout
            if layout is not None and layout.detail is None and len(parsed.fields) != layout.field_count:
                return _Malformed(self.reading.message("csvSpansIntoFields", fields=len(parsed.fields), expected=layout.field_count))
        return parsed

    def drain(self, final: bool) -> Iterator[ReadItem]:
        """Reads the records of the buffer; keeps a record still open at its end, unless ``final``."""
        text = self.buffer
        at = 0
        next_lf, next_cr, next_quote = text.find("\n"), text.find("\r"), text.find('"')
        while at < len(text):
            if next_lf != -1 and next_lf < at:
                next_lf = text.find("\n", at)
            if next_cr != -1 and next_cr < at:
                next_cr = text.find("\r", at)
            if next_quote != -1 and next_quote < at:
                next_quote = text.find('"', at)
            line_end = next_cr if next_cr != -1 and (next_lf == -1 or next_cr < next_lf) else len(text) if next_lf == -1 else next_lf
            line_next = _after_ending(text, line_end)
            if not text[at:line_end].strip(" \t"):
                self.line += 1
                at = line_next
                continue
            parsed = self._parse_at(text, at, line_end, next_quote == -1 or next_quote >= line_end, final)
            if parsed is None:
                break
            if isinstance(parsed, _Malformed):
                # Resynchronise: this line alone is rejected; reading starts again on the next one.
                yield Unreadable(self.line, Rejection("malformed_csv", parsed.detail), text[at:line_end])
                self.line += 1
                at = line_next
                continue
            item = self._row(parsed.fields, self.line, text[at : parsed.end])
            if item is not None:
                yield item
            self.line += _line_breaks(text, at, parsed.end) + 1 if parsed.multiline else 1
            at = parsed.next
        self.buffer = text[at:]

    def read(self, pieces: Iterable[Piece]) -> Iterator[ReadItem]:
        for piece in pieces:
            if isinstance(piece, Lines):
                self.buffer = piece.text if not self.buffer else self.buffer + piece.text
                yield from self.drain(False)
                continue
            # A line the splitter rejected ends any record still open before it.
            yield from self.drain(True)
            yield Unreadable(self.line, piece.rejection, piece.raw)
            self.line += 1
        yield from self.drain(True)


def read_csv(pieces: Iterable[Piece], columns: Sequence[Column], reading: Reading) -> Iterator[ReadItem]:
    """Every record of CSV line pieces (the header, when there is one, is no record)."""
    return _CsvReader(columns, reading).read(pieces)


def read_records(
    chunks: Iterable[bytes],
    format: str,
    json_document: bool,
    reading: Reading,
    columns: Sequence[Column],
    count: Optional[LineCount] = None,
) -> Iterator[ReadItem]:
    """An object's (decompressed) bytes, read whole as handlers/record-readers.ts ``readRecords`` reads them."""
    if format == "csv":
        return read_csv(split_lines(chunks, reading), columns, reading)
    if json_document:
        byte, replay = first_content_byte(without_bom(chunks))
        if byte == ord("["):
            return read_json_array(replay, reading)
        return read_json_lines(split_lines(replay, reading), reading, count)
    return read_json_lines(split_lines(chunks, reading), reading, count)
