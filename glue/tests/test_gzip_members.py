"""gzip by its magic bytes, member by member, bytes after the last member ignored (handlers/gzip-members.ts)."""
import gzip
import zlib

import pytest

from datalake_glue.gzip_members import UnreadableObject, decoded_chunks


def decoded(data: bytes, declared: bool = False, size: int = 7) -> tuple[bytes, list[int]]:
    trailing: list[int] = []
    chunks = [data[at : at + size] for at in range(0, len(data), size)]
    return b"".join(decoded_chunks(chunks, declared, trailing.append)), trailing


def test_gzip_is_read_by_its_magic_bytes_whatever_it_is_declared_as() -> None:
    # Act / Assess
    assert decoded(gzip.compress(b"a\nb\n"), declared=False) == (b"a\nb\n", [])
    assert decoded(b"plain\n", declared=False) == (b"plain\n", [])
    assert decoded(b"", declared=True) == (b"", [])


def test_members_are_concatenated_and_bytes_after_the_last_are_ignored_and_reported() -> None:
    # Prepare
    body = gzip.compress(b"one\n") + gzip.compress(b"two\n") + b"trailing garbage"
    # Act / Assess
    assert decoded(body) == (b"one\ntwo\n", [16])
    assert decoded(gzip.compress(b"x") + bytes(64)) == (b"x", [])


def test_header_fields_are_skipped() -> None:
    # Prepare: FEXTRA, FNAME, FCOMMENT and FHCRC set
    deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = deflated.compress(b"hello") + deflated.flush()
    header = b"\x1f\x8b\x08" + bytes([0x02 | 0x04 | 0x08 | 0x10]) + bytes(6) + b"\x03\x00abc" + b"name\x00" + b"comment\x00" + b"\x00\x00"
    trailer = zlib.crc32(b"hello").to_bytes(4, "little") + (5).to_bytes(4, "little")
    # Act / Assess
    assert decoded(header + data + trailer) == (b"hello", [])


@pytest.mark.parametrize(
    "body, detail",
    [
        (b"not gzip", "Object is not readable gzip: no gzip header (the object is declared gzip)"),
        (gzip.compress(b"x" * 1000)[:20], "Object is not readable gzip: unexpected end of file"),
        (gzip.compress(b"abc")[:-8] + bytes(8), "Object is not readable gzip: incorrect data check"),
    ],
)
def test_unreadable_objects(body: bytes, detail: str) -> None:
    # Act
    with pytest.raises(UnreadableObject) as raised:
        decoded(body, declared=True)
    # Assess
    assert raised.value.detail == detail
