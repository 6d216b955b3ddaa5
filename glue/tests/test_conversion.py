"""How the driver plans an object's reads (conversion.plan_reads): by its bytes, not its name."""
import gzip

import pytest

from datalake_glue.conversion import MIN_SPLIT_BYTES, SourceInput, plan_reads, split_size
from datalake_glue.sources import LocalFile
from datalake_glue.storage import ObjectRejected


def source(tmp_path, body: bytes, format: str = "jsonl", json_document: bool = False, declared_gzip: bool = False) -> SourceInput:
    path = tmp_path / "object"
    path.write_bytes(body)
    return SourceInput(0, "events", LocalFile(str(path), len(body)), format, json_document, declared_gzip, "raw/events/object")


def test_json_lines_are_read_in_ranges_covering_the_object(tmp_path) -> None:
    # Prepare
    body = b'{"a":1}\n' * 40_000
    # Act
    tasks = plan_reads(source(tmp_path, body), parallelism=4)
    # Assess
    assert [task.byte_range for task in tasks] == [(0, 80_000), (80_000, 160_000), (160_000, 240_000), (240_000, 320_000)]
    assert {task.boms for task in tasks} == {1}


@pytest.mark.parametrize(
    "body, format, json_document, declared_gzip",
    [
        (gzip.compress(b'{"a":1}\n'), "jsonl", False, False),
        (b"a,b\n1,2\n", "csv", False, False),
        (b'\xef\xbb\xbf \n [{"a":1}]', "jsonl", True, False),
        (gzip.compress(b"[]"), "jsonl", True, True),
    ],
)
def test_gzip_csv_and_json_arrays_are_read_whole_in_order(tmp_path, body: bytes, format: str, json_document: bool, declared_gzip: bool) -> None:
    # Act
    tasks = plan_reads(source(tmp_path, body, format, json_document, declared_gzip), parallelism=4)
    # Assess
    assert [task.byte_range for task in tasks] == [None]


def test_a_json_document_that_is_no_array_is_json_lines_in_ranges_with_two_boms(tmp_path) -> None:
    # Act
    tasks = plan_reads(source(tmp_path, b'{"a":1}\n', json_document=True), parallelism=4)
    # Assess
    assert [(task.byte_range, task.boms) for task in tasks] == [((0, 8), 2)]


def test_an_object_declared_gzip_that_is_not_is_rejected_before_any_task(tmp_path) -> None:
    # Act
    planned = plan_reads(source(tmp_path, b'{"a":1}\n', declared_gzip=True), parallelism=4)
    empty = plan_reads(source(tmp_path, b"", declared_gzip=True), parallelism=4)
    # Assess
    assert isinstance(planned, ObjectRejected) and planned.reason == "unreadable_object"
    assert planned.detail == "Object is not readable gzip: no gzip header (the object is declared gzip)"
    assert [task.byte_range for task in empty] == [(0, 0)]


def test_split_size_is_a_share_of_the_cores_within_bounds() -> None:
    # Act / Assess
    assert split_size(10, 8) == MIN_SPLIT_BYTES
    assert split_size(10 * 2**30, 8) == 128 * 2**20
    assert split_size(800 * 2**20, 8) == 100 * 2**20
