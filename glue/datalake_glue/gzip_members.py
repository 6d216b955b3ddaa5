"""The bytes of a raw object as the readers take them, as handlers/gzip-members.ts gives them.

An object is gunzipped when its bytes start with gzip's magic number, whatever its name or
``Content-Encoding`` says; an object declared gzip (``.gz``, ``Content-Encoding: gzip``) that is not
is unreadable. Each member (RFC 1952 §2.2) is inflated raw, its CRC-32 and length checked; bytes
after the last member are ignored and reported, as ``gzip -d`` does, and trailing zero bytes (tape
padding) are ignored silently. A corrupt or cut member makes the whole object unreadable
(``UnreadableObject``), as it does for the processor. Hadoop's codecs decide by the file name and
fail on trailing bytes, which is why the job reads gzip itself.

Example::

    for data in decoded_chunks(chunks, declared_gzip=True, on_trailing=lambda count: log(count)):
        ...
"""
from __future__ import annotations

import zlib
from typing import Callable, Iterable, Iterator, Optional

MAGIC = b"\x1f\x8b"
DEFLATE = 8
FHCRC, FEXTRA, FNAME, FCOMMENT = 0x02, 0x04, 0x08, 0x10
#: Output bytes inflated at once: bounds the memory a gzip bomb can take.
INFLATE_OUTPUT_BYTES = 1 << 20
#: The start of an unreadable object's detail, as the processor words it (its reason: ``unreadable_object``).
UNREADABLE_PREFIX = "Object is not readable gzip: "


class UnreadableObject(Exception):
    """The object cannot be read at all: declared gzip but not gzip, or a corrupt or cut member."""

    def __init__(self, detail: str) -> None:
        super().__init__(UNREADABLE_PREFIX + detail)
        self.detail = UNREADABLE_PREFIX + detail


def is_gzip_magic(data: bytes) -> bool:
    """Whether bytes start with gzip's magic number (RFC 1952 §2.3.1)."""
    return data[:2] == MAGIC


class _Reader:
    """Buffered reading over a chunk stream, with bytes that can be put back."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.buffered = b""

    def more(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            return False
        self.buffered += chunk
        return True

    def need(self, count: int) -> bool:
        while len(self.buffered) < count:
            if not self.more():
                return False
        return True

    def take(self) -> Optional[bytes]:
        if not self.buffered and not self.more():
            return None
        taken, self.buffered = self.buffered, b""
        return taken

    def index_of(self, byte: int, start: int) -> int:
        while True:
            at = self.buffered.find(bytes([byte]), start)
            if at != -1:
                return at
            if not self.more():
                return -1


def _read_header(reader: _Reader) -> bool:
    """Reads a member header (RFC 1952 §2.3); False when the next bytes are not one."""
    if not reader.need(10) or not is_gzip_magic(reader.buffered) or reader.buffered[2] != DEFLATE:
        return False
    flags = reader.buffered[3]
    at = 10
    if flags & FEXTRA:
        if not reader.need(at + 2):
            raise UnreadableObject("header cut short")
        at += 2 + int.from_bytes(reader.buffered[at : at + 2], "little")
    for flag in (FNAME, FCOMMENT):
        if flags & flag:
            zero = reader.index_of(0, at)
            if zero == -1:
                raise UnreadableObject("header cut short")
            at = zero + 1
    if flags & FHCRC:
        at += 2
    if not reader.need(at):
        raise UnreadableObject("header cut short")
    reader.buffered = reader.buffered[at:]
    return True


def _inflate_member(reader: _Reader) -> Iterator[bytes]:
    """Inflates one member's deflate data and checks its trailer; leaves the reader just after it."""
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    crc, length = 0, 0
    try:
        while not inflate.eof:
            chunk = reader.take()
            if chunk is None:
                raise UnreadableObject("unexpected end of file")
            data = chunk
            while data and not inflate.eof:
                output = inflate.decompress(data, INFLATE_OUTPUT_BYTES)
                data = inflate.unconsumed_tail
                if output:
                    crc, length = zlib.crc32(output, crc), length + len(output)
                    yield output
        reader.buffered = inflate.unused_data + reader.buffered
    except zlib.error as error:
        raise UnreadableObject(str(error)) from error
    if not reader.need(8):
        raise UnreadableObject("unexpected end of file")
    expected_crc = int.from_bytes(reader.buffered[0:4], "little")
    expected_length = int.from_bytes(reader.buffered[4:8], "little")
    reader.buffered = reader.buffered[8:]
    if expected_crc != crc or expected_length != length % 2**32:
        raise UnreadableObject("incorrect data check")


def _gunzip_members(reader: _Reader, on_trailing: Optional[Callable[[int], None]]) -> Iterator[bytes]:
    members = 0
    while True:
        if members > 0:
            if not reader.need(1):
                return
            if not _read_header(reader):
                rest = reader.buffered
                count = len(rest)
                all_zero = not rest.strip(b"\x00")
                for chunk in reader.chunks:
                    count += len(chunk)
                    all_zero = all_zero and not chunk.strip(b"\x00")
                if not all_zero and on_trailing is not None:
                    on_trailing(count)
                return
        elif not _read_header(reader):
            raise UnreadableObject("no gzip header")
        yield from _inflate_member(reader)
        members += 1


def decoded_chunks(chunks: Iterable[bytes], declared_gzip: bool, on_trailing: Optional[Callable[[int], None]] = None) -> Iterator[bytes]:
    """The object's bytes, gunzipped when they start with gzip's magic number.

    Raises:
        UnreadableObject: declared gzip but not gzip, or a member corrupt or cut short.
    """
    reader = _Reader(chunks)
    reader.need(2)
    if is_gzip_magic(reader.buffered):
        yield from _gunzip_members(reader, on_trailing)
        return
    if declared_gzip and reader.buffered:
        raise UnreadableObject("no gzip header (the object is declared gzip)")
    while True:
        chunk = reader.take()
        if chunk is None:
            return
        yield chunk
