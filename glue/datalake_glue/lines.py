"""Splitting an object's bytes into lines, as the processor's line splitter does (handlers/line-splitter.ts).

Lines end at LF, CRLF or a lone CR, mixed freely; a UTF-8 byte order mark at the start of the stream
is dropped. A line is checked as bytes before it is decoded: one whose bytes are not UTF-8 is rejected
(``invalid_utf8``, its text shown with U+FFFD) instead of being decoded with replacement characters,
and one longer than ``maxRecordBytes`` (its ending excluded) is rejected (``record_too_large``) with
its first KiB, cut at a character boundary, while it streams by. Wording and limits come from the
contract (``Reading``).

The splitter yields ``Lines`` (a block of complete lines with their endings, the stream's last line
possibly without one) and ``RejectedLine`` pieces, in order: a reader counts one line per rejected
piece and one per line of a block.

``range_bytes`` cuts the bytes of a byte range of an object down to the lines that *start* in it, so
that a JSON Lines object is read by many tasks, each with its own range, and every line is read by
exactly one of them (the same lines, whatever the ranges).

Example::

    for piece in split_lines(chunks, reading):
        if isinstance(piece, Lines): ...  # piece.text: "a\\r\\nb\\n"
        else: ...                          # piece.rejection.reason: "record_too_large"
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Union

from .coercion import Rejection
from .contract import Reading

LF = 0x0A
CR = 0x0D
UTF8_BOM = b"\xef\xbb\xbf"
_ENDING = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Lines:
    """Complete lines as text, each with its ending (the stream's last line may have none)."""

    text: str


@dataclass(frozen=True)
class RejectedLine:
    """One line rejected before it could be read, with what ``rejected/`` shows of it."""

    rejection: Rejection
    raw: str


Piece = Union[Lines, RejectedLine]


def without_bom(chunks: Iterable[bytes], times: int = 1) -> Iterator[bytes]:
    """The stream without a UTF-8 BOM at its start, dropped up to ``times`` times (even when split across chunks)."""
    head = b""
    iterator = iter(chunks)
    dropped = 0
    for chunk in iterator:
        head += chunk
        while dropped < times and head.startswith(UTF8_BOM):
            head, dropped = head[len(UTF8_BOM) :], dropped + 1
        if dropped < times and len(head) < len(UTF8_BOM) and UTF8_BOM.startswith(head):
            continue
        break
    if head:
        yield head
    yield from iterator


def first_invalid_utf8(data: bytes) -> int:
    """The offset of the first byte that does not belong to a UTF-8 sequence (overlongs and surrogates included)."""
    at = 0
    while at < len(data):
        lead = data[at]
        if lead < 0x80:
            at += 1
            continue
        length = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
        if length == 0 or at + length > len(data):
            return at
        low = 0xA0 if lead == 0xE0 else 0x90 if lead == 0xF0 else 0x80
        high = 0x9F if lead == 0xED else 0x8F if lead == 0xF4 else 0xBF
        if not low <= data[at + 1] <= high:
            return at
        if any(data[at + next_] & 0xC0 != 0x80 for next_ in range(2, length)):
            return at
        at += length
    return -1


def prefix_text(data: bytes, limit: int) -> str:
    """The first ``limit`` bytes as text, cut at a character boundary (lossy: it is only shown)."""
    end = min(limit, len(data))
    if end < len(data):
        while end > 0 and data[end] & 0xC0 == 0x80:
            end -= 1
    return data[:end].decode("utf-8", "replace")


def _line_spans(block: bytes) -> Iterator[tuple[int, int, int]]:
    """Each line of a block: where its content starts and ends, and where the next line starts."""
    at = 0
    for ending in _ENDING.finditer(block):
        yield at, ending.start(), ending.end()
        at = ending.end()
    if at < len(block):
        yield at, len(block), len(block)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Splitter:
    """The splitting of one stream: the line in progress, or the long line being counted."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.limit = reading.max_record_bytes
        #: Bytes of the line in progress (a CR at its end may be the first half of a CRLF).
        self.pending = b""
        #: A line already over the limit: its first bytes (one more than shown) and its length.
        self.oversize: Optional[tuple[bytes, int]] = None
        #: The long line ended with a CR at the end of a chunk: a LF opening the next one belongs to it.
        self.skip_lf = False

    def too_large(self, prefix: bytes, length: int) -> RejectedLine:
        kept = self.reading.too_large_kept_bytes
        detail = self.reading.message("lineTooLarge", bytes=length, limit=self.limit, kept=min(length, kept))
        return RejectedLine(Rejection("record_too_large", detail), prefix_text(prefix, kept))

    def not_utf8(self, line: bytes) -> RejectedLine:
        at = first_invalid_utf8(line)
        shown = " ".join(f"{byte:02x}" for byte in line[at : at + 4])
        return RejectedLine(Rejection("invalid_utf8", self.reading.message("lineNotUtf8", at=at, shown=shown)), line.decode("utf-8", "replace"))

    def block(self, block: bytes) -> Iterator[Piece]:
        """A block of complete lines: as one piece when every line is short and UTF-8, else line by line."""
        if not block:
            return
        lines = _ENDING.split(block) if b"\r" in block else block.split(b"\n")
        if len(block) <= self.limit or max(map(len, lines)) <= self.limit:
            try:
                yield Lines(block.decode("utf-8"))
                return
            except UnicodeDecodeError:
                pass
        run_start = 0
        for start, end, next_ in _line_spans(block):
            line = block[start:end]
            if len(line) <= self.limit and _is_utf8(line):
                continue
            if start > run_start:
                yield Lines(block[run_start:start].decode("utf-8"))
            yield self.too_large(line[: self.reading.too_large_kept_bytes + 1], len(line)) if len(line) > self.limit else self.not_utf8(line)
            run_start = next_
        if run_start < len(block):
            yield Lines(block[run_start:].decode("utf-8"))

    def chunk(self, chunk: bytes) -> Iterator[Piece]:
        if self.skip_lf:
            self.skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if self.oversize is not None:
            chunk = yield from self._finish_oversize(chunk)
            if chunk is None:
                return
        data = self.pending + chunk if self.pending else chunk
        # A CR at the very end may be the first half of CRLF: the line stays pending.
        search_end = len(data) - 1 if data.endswith(b"\r") else len(data)
        cut = max(data.rfind(b"\n", 0, search_end), data.rfind(b"\r", 0, search_end)) + 1
        yield from self.block(data[:cut])
        self.pending = data[cut:]
        content = len(self.pending) - (1 if self.pending.endswith(b"\r") else 0)
        if content > self.limit:
            self.oversize = (self.pending[: min(content, self.reading.too_large_kept_bytes + 1)], content)
            self.skip_lf = self.pending.endswith(b"\r")
            if self.skip_lf:
                yield self._end_oversize()
            self.pending = b""

    def _end_oversize(self) -> RejectedLine:
        assert self.oversize is not None
        prefix, length = self.oversize
        self.oversize = None
        return self.too_large(prefix, length)

    def _finish_oversize(self, chunk: bytes) -> Iterator[Piece]:
        """Counts the long line's bytes in ``chunk``; returns what follows its end (None: it goes on)."""
        assert self.oversize is not None
        lf, cr = chunk.find(b"\n"), chunk.find(b"\r")
        stops = [at for at in (lf, cr) if at != -1]
        prefix, length = self.oversize
        kept = self.reading.too_large_kept_bytes + 1
        stop = min(stops) if stops else len(chunk)
        if len(prefix) < kept:
            prefix += chunk[: min(stop, kept - len(prefix))]
        self.oversize = (prefix, length + stop)
        if not stops:
            return None
        yield self._end_oversize()
        after = stop + 1
        if chunk[stop] == CR:
            if after < len(chunk):
                after += 1 if chunk[after] == LF else 0
            else:
                self.skip_lf = True
        return chunk[after:]

    def end(self) -> Iterator[Piece]:
        if self.oversize is not None:
            yield self._end_oversize()
        elif self.pending:
            yield from self.block(self.pending)
        self.pending = b""


def split_lines(chunks: Iterable[bytes], reading: Reading, boms: int = 1) -> Iterator[Piece]:
    """The line pieces of a byte stream (see the module's docstring); ``boms``: BOMs dropped at its start."""
    splitter = _Splitter(reading)
    for chunk in without_bom(chunks, boms) if boms else chunks:
        if chunk:
            yield from splitter.chunk(chunk)
    yield from splitter.end()


class _ByteReader:
    """Buffered reading of a chunk stream, a byte at a time or up to a count."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.buffer = b""

    def _fill(self) -> bool:
        while not self.buffer:
            chunk = next(self.chunks, None)
            if chunk is None:
                return False
            self.buffer = chunk
        return True

    def peek(self) -> Optional[int]:
        return self.buffer[0] if self._fill() else None

    def take(self) -> Optional[int]:
        byte = self.peek()
        if byte is not None:
            self.buffer = self.buffer[1:]
        return byte

    def take_upto(self, count: int) -> Iterator[bytes]:
        while count > 0 and self._fill():
            part, self.buffer = self.buffer[:count], self.buffer[count:]
            count -= len(part)
            yield part

    def through_ending(self) -> Iterator[bytes]:
        """The bytes up to and including the next line ending (CRLF whole)."""
        while self._fill():
            lf, cr = self.buffer.find(b"\n"), self.buffer.find(b"\r")
            stops = [at for at in (lf, cr) if at != -1]
            if not stops:
                part, self.buffer = self.buffer, b""
                yield part
                continue
            stop = min(stops)
            part, self.buffer = self.buffer[: stop + 1], self.buffer[stop + 1 :]
            yield part
            if part.endswith(b"\r") and self.peek() == LF:
                self.take()
                yield b"\n"
            return


def range_bytes(chunks: Iterable[bytes], start: int, end: int) -> Iterator[bytes]:
    """The bytes of the lines that start in ``[start, end)``, from a stream read from ``max(0, start - 1)``.

    A line starts at 0, after a LF, and after a CR that no LF follows. The last line starting before
    ``end`` is read to its ending, past ``end``; a line that started before ``start`` is another range's.
    """
    reader = _ByteReader(chunks)
    position = start
    if start > 0:
        before = reader.take()
        if before is None:
            return
        if before == CR and reader.peek() == LF:
            reader.take()
            position += 1
        elif before not in (LF, CR):
            for part in reader.through_ending():
                position += len(part)
    if position >= end:
        return
    last = None
    for part in reader.take_upto(end - position):
        last = part[-1]
        yield part
    if last == LF:
        return
    if last == CR:
        if reader.peek() == LF:
            reader.take()
            yield b"\n"
        return
    yield from reader.through_ending()
