"""The line splitter and byte ranges (handlers/line-splitter.ts): endings, long lines, UTF-8, BOMs,
whatever the chunking; and every line read by exactly one range, whatever the ranges."""
import dataclasses
import random
import re

import pytest

from datalake_glue.lines import Lines, range_bytes, split_lines

LIMIT = 64


@pytest.fixture()
def reading(contract):
    return dataclasses.replace(contract.reading, max_record_bytes=LIMIT)


def chunked(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, at, index = [], 0, 0
    while at < len(data):
        size = max(1, sizes[index % len(sizes)])
        chunks.append(data[at : at + size])
        at, index = at + size, index + 1
    return chunks


def lines_of(data: bytes, reading, sizes: list[int] | None = None, boms: int = 1) -> list[tuple[str, str]]:
    """Each line as ("text", content), or (reason, raw) for a rejected one."""
    out: list[tuple[str, str]] = []
    for piece in split_lines(chunked(data, sizes or [len(data) or 1]), reading, boms):
        if isinstance(piece, Lines):
            parts = re.split(r"\r\n|\r|\n", piece.text)
            out += [("text", part) for part in (parts[:-1] if re.search(r"[\r\n]$", piece.text) else parts)]
        else:
            out.append((piece.rejection.reason, piece.raw))
    return out


def test_lines_end_at_lf_crlf_and_lone_cr_whatever_the_chunking(reading) -> None:
    # Prepare
    data = b"a\r\nb\nc\rd\r\r\ne\r"
    # Act / Assess
    for sizes in ([1], [2], [3, 1], [5], [len(data)]):
        assert lines_of(data, reading, sizes) == [("text", text) for text in ["a", "b", "c", "d", "", "e"]]


def test_a_long_line_keeps_its_first_kilobyte_cut_at_a_character_whatever_the_chunking(contract) -> None:
    # Prepare: "é" straddles the 1,024th byte; the limit is 2,000 bytes
    reading = dataclasses.replace(contract.reading, max_record_bytes=2000)
    data = ("x" * 1023 + "é" + "y" * 3000 + "\nok").encode()
    # Act / Assess
    for sizes in ([len(data)], [1500], [700, 900], [1024], [1025, 3]):
        assert lines_of(data, reading, sizes) == [("record_too_large", "x" * 1023), ("text", "ok")]


def test_a_line_not_utf8_is_rejected_with_the_processors_detail(reading) -> None:
    # Act
    pieces = list(split_lines([b"caf\xc3\xa9\na\xffb\n\xed\xa0\x80\n"], reading))
    # Assess
    assert pieces[0] == Lines("café\n")
    assert (pieces[1].rejection.detail, pieces[1].raw) == ("byte 1 of the line is not UTF-8 (ff 62); record shows invalid bytes as U+FFFD", "a\ufffdb")
    assert pieces[2].raw == "\ufffd\ufffd\ufffd"


def test_a_bom_is_dropped_at_the_start_only_even_split_across_chunks(reading) -> None:
    # Prepare
    data = '\ufeff{"a":1}\n\ufeffx\n'.encode()
    # Act / Assess
    assert lines_of(data, reading, [1, 1, 1, 100]) == [("text", '{"a":1}'), ("text", "\ufeffx")]
    assert lines_of("\ufeff\ufeffy".encode(), reading, [2], boms=2) == [("text", "y")]
    assert lines_of(b"\xef\xbb", reading, [1]) == [("invalid_utf8", "\ufffd")]


def test_any_chunking_gives_the_lines_of_one_chunk(reading) -> None:
    # Prepare
    pieces = [b"a", b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"x" * 70, b"\xff", "é".encode(), "😀".encode(), b" \t"]
    generator = random.Random(16)
    for _ in range(500):
        data = b"".join(generator.choice(pieces) for _ in range(generator.randint(0, 30)))
        sizes = [generator.randint(1, 40) for _ in range(generator.randint(1, 5))]
        # Act / Assess
        assert lines_of(data, reading, sizes) == lines_of(data, reading), data


def read_in_ranges(data: bytes, cuts: list[int], reading) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for start, end in zip(cuts, cuts[1:]):
        stream = data[max(0, start - 1) :]
        part = b"".join(range_bytes(chunked(stream, [3]), start, end))
        out += lines_of(part, reading, [5], boms=1 if start == 0 else 0)
    return out


def test_every_line_is_read_by_exactly_one_range_whatever_the_ranges(reading) -> None:
    # Prepare
    pieces = [b"a", b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"x" * 70, "é".encode(), b"\xff"]
    generator = random.Random(17)
    for _ in range(500):
        data = b"".join(generator.choice(pieces) for _ in range(generator.randint(0, 30)))
        cuts = sorted({0, len(data), *(generator.randint(0, len(data)) for _ in range(generator.randint(1, 8)))})
        # Act / Assess
        assert read_in_ranges(data, cuts, reading) == lines_of(data, reading), (data, cuts)


@pytest.mark.parametrize("cut", range(0, 9))
def test_a_range_boundary_anywhere_around_a_crlf(reading, cut: int) -> None:
    # Prepare: "ab\r\ncd\r\nef", cut at every byte
    data = b"ab\r\ncd\r\nef"
    # Act
    first = b"".join(range_bytes([data], 0, cut))
    second = b"".join(range_bytes([data[max(0, cut - 1) :]], cut, len(data)))
    # Assess
    assert lines_of(first, reading) + lines_of(second, reading, boms=0) == [("text", "ab"), ("text", "cd"), ("text", "ef")]
