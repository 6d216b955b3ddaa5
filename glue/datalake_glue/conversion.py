"""The conversion on Spark: raw objects in, staged Parquet per (object, day) and rejected lines out.

Every function here takes the ``SparkSession``; nothing imports AWS Glue, so the same code runs on
Glue 5.0 and on a local ``pyspark`` (tests, the benchmark, the local pipeline).

How the work is spread: the driver plans each object's reads (``plan_reads``). A JSON Lines object
is cut into byte ranges, one task each, every task reading the lines that start in its range from
the object's bytes (``sources``, ``lines.range_bytes``), so a multi-GB export is read by every
worker. An object read in order is one task: CSV (a quoted field may span lines), gzip (recognised
by its magic number, whatever its name; not splittable), and a ``.json`` array document. Records
are parsed and coerced in Python (``readers``, ``coercion``) with the rules and wording of the
contract, then rows are shuffled so that each (object, day) lands in one task and becomes one
Parquet file. It is one Spark pass: what the rows cannot carry (each task's line count, rows per
day, rejected records, ignored gzip bytes) goes to a small side file per task (``SideFiles``), and
the driver finishes it, turning task-local line numbers into the object's.

The processor writes a partition it had to close (more than 32 days open at once) and reopen in
``<name>-2.parquet``…; the job writes one file per (object, day), with the same rows.

Example::

    spark = local_session()
    source = SourceInput(0, "events", LocalFile("/tmp/a.jsonl", 1234), "jsonl", False, False, "raw/events/a.jsonl")
    staged = convert_sources(spark, contract, [source], "file:///tmp/stage")
    staged[0].partitions  # {"year=2026/month=11/day=20/": StagedPartition(rows=3, file="file:/tmp/stage/rows/…/part-….parquet")}
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from .coercion import Rejection, record_coercer
from .contract import Column, Contract, Dataset, fill
from .gzip_members import UnreadableObject, decoded_chunks, is_gzip_magic
from .lines import range_bytes, split_lines, without_bom
from .partitions import PartitionDays
from .readers import LineCount, Parsed, ReadItem, Unreadable, first_content_byte, read_json_lines, read_records
from .rejected import LINE_PLACEHOLDER, rejected_line
from .sources import ByteSource
from .storage import ObjectRejected

#: Spark settings the outputs depend on: the processor's Parquet types and UTC days.
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MILLIS",
    "spark.sql.parquet.compression.codec": "snappy",
    # Write dates and timestamps as the processor does (proleptic Gregorian), never rebased.
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.sources.partitionOverwriteMode": "static",
}

#: A JSON Lines object is read in ranges of at least this many bytes (smaller objects: one task)…
MIN_SPLIT_BYTES = 64 * 1024
#: …and at most this many, so that each task's read stays short.
MAX_SPLIT_BYTES = 128 * 1024 * 1024
#: What the driver reads at a time of an object's start to tell how it is read.
PROBE_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class SourceInput:
    """One raw object to convert: where its bytes are and how it was declared."""

    index: int
    dataset: str
    source: ByteSource
    format: str
    #: A `.json` object: a top-level array is read element by element.
    json_document: bool
    #: Declared gzip (name or Content-Encoding): such an object that is not gzip is unreadable.
    declared_gzip: bool
    #: The raw object's key, written with each rejected record.
    source_key: str


@dataclass(frozen=True)
class ReadTask:
    """One Spark task's read: a byte range of a JSON Lines object, or a whole object read in order."""

    input: SourceInput
    part: int
    #: Bytes ``[start, end)`` whose lines this task reads; None: the whole object, decoded (gzip).
    byte_range: Optional[tuple[int, int]]
    #: BOMs dropped at the start of the object (a `.json` document's reader drops two).
    boms: int = 1


@dataclass(frozen=True)
class StagedPartition:
    rows: int
    #: The staged Parquet file holding the partition's rows.
    file: str


@dataclass
class StagedObject:
    """What one object's conversion staged."""

    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    #: By partition path (``year=2026/month=11/day=20/``, or "" for an unpartitioned dataset).
    partitions: dict[str, StagedPartition] = field(default_factory=dict)
    #: The staged JSON Lines file of rejected records, when any.
    rejected_file: Optional[str] = None
    #: Bytes after the last gzip member, ignored as `gzip -d` ignores them.
    ignored_trailing_bytes: Optional[int] = None


def configure_session(spark: SparkSession) -> None:
    """Applies the settings the outputs depend on to a session (Glue's or a local one)."""
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)


def local_session(app: str = "datalake-glue-local", cores: int = 2, memory: str = "1g") -> SparkSession:
    """A local session bound to 127.0.0.1, configured as the job's (tests, the benchmark, the local pipeline)."""
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(max(2, cores)))
        .config("spark.default.parallelism", str(max(2, cores)))
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    configure_session(spark)
    return spark


_RAW_TYPES: dict[str, DataType] = {
    "string": StringType(),
    "int": IntegerType(),
    "bigint": LongType(),
    "double": DoubleType(),
    "boolean": BooleanType(),
    # Epoch milliseconds and epoch days as coerced; converted to Spark's types before writing.
    "timestamp": LongType(),
    "date": IntegerType(),
    # Entries in the record's key order: a dict would reach the JVM as a HashMap and lose it.
    "map<string,string>": ArrayType(StructType([StructField("key", StringType(), False), StructField("value", StringType(), True)]), False),
}


def _raw_schema(dataset: Dataset) -> StructType:
    return StructType(
        [StructField("_src", IntegerType(), False), StructField("_day", IntegerType(), False)]
        + [StructField(column.name, _RAW_TYPES[column.type], not column.required) for column in dataset.columns]
    )


def _typed(column: Column) -> Any:
    if column.type == "timestamp":
        return F.timestamp_millis(F.col(column.name)).alias(column.name)
    if column.type == "date":
        return F.date_from_unix_date(F.col(column.name)).alias(column.name)
    if column.type == "map<string,string>":
        return F.map_from_entries(F.col(column.name)).alias(column.name)
    return F.col(column.name)


class SideFiles:
    """Small files the tasks write next to Spark's output (their line counts, row counts and rejected
    records) and the driver reads back: a local folder, or an S3 prefix (boto3 on Glue's executors).
    Picklable: it holds only where, and opens its client in the process that uses it."""

    def __init__(self, root: str, region: Optional[str] = None) -> None:
        self.root = root.rstrip("/") + "/"
        self.region = region

    def _s3(self) -> Any:
        import boto3

        return boto3.client("s3", **({"region_name": self.region} if self.region else {}))

    def _bucket_prefix(self) -> tuple[str, str]:
        parsed = urlparse(self.root)
        return parsed.netloc, parsed.path.lstrip("/")

    def uri(self, name: str) -> str:
        return self.root + name

    def write(self, name: str, text: str) -> None:
        if self.root.startswith("s3://"):
            bucket, prefix = self._bucket_prefix()
            self._s3().put_object(Bucket=bucket, Key=prefix + name, Body=text.encode("utf-8"))
            return
        path = Path(urlparse(self.root).path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def read_all(self, suffix: str) -> list[str]:
        """The texts of every file whose name ends with ``suffix``."""
        if self.root.startswith("s3://"):
            bucket, prefix = self._bucket_prefix()
            client, texts = self._s3(), []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if item["Key"].endswith(suffix):
                        texts.append(client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode("utf-8"))
            return texts
        folder = Path(urlparse(self.root).path)
        return [path.read_text(encoding="utf-8") for path in sorted(folder.glob(f"*{suffix}"))] if folder.is_dir() else []


TASK_SUFFIX = ".task.json"


def _probe(source: SourceInput) -> tuple[bool, Optional[int]]:
    """Whether the object is gzip (by its magic number), and for an uncompressed `.json` document its
    first character after a BOM and whitespace (``[``: one JSON array). Reads only the object's start."""
    chunks = source.source.chunks(0, PROBE_CHUNK_BYTES)
    try:
        head = b""
        for chunk in chunks:
            head += chunk
            if len(head) >= 2:
                break
        if is_gzip_magic(head) or not source.json_document:
            return is_gzip_magic(head), None
        byte, _ = first_content_byte(without_bom(_prepend(head, chunks)))
        return False, byte
    finally:
        chunks.close()  # type: ignore[attr-defined]


def _prepend(head: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from chunks


def split_size(size: int, parallelism: int) -> int:
    """Bytes per range of a JSON Lines object: its share of the cluster's cores, within the bounds."""
    return max(MIN_SPLIT_BYTES, min(MAX_SPLIT_BYTES, math.ceil(size / max(1, parallelism))))


def plan_reads(source: SourceInput, parallelism: int) -> Union[list[ReadTask], ObjectRejected]:
    """The tasks that read an object, or why it cannot be read at all (declared gzip, not gzip)."""
    size = source.source.size
    gzip, first = _probe(source)
    if not gzip and source.declared_gzip and size > 0:
        return ObjectRejected("unreadable_object", UnreadableObject("no gzip header (the object is declared gzip)").detail)
    if gzip or source.format == "csv" or first == ord("["):
        return [ReadTask(source, 0, None)]
    step = split_size(size, parallelism)
    boms = 2 if source.json_document else 1
    return [ReadTask(source, part, (start, min(start + step, size)), boms) for part, start in enumerate(range(0, max(size, 1), step))]


def _task_items(task: ReadTask, contract: Contract, dataset: Dataset, count: LineCount, trailing: list[int]) -> Iterator[ReadItem]:
    """The records a task reads, with its own line numbers (``count`` tells how many lines it read)."""
    source, reading = task.input, contract.reading
    if task.byte_range is None:
        chunks = decoded_chunks(source.source.chunks(0), source.declared_gzip, trailing.append)
        return read_records(chunks, source.format, source.json_document, reading, dataset.columns, count)
    start, end = task.byte_range
    raw = range_bytes(source.source.chunks(max(0, start - 1)), start, end)
    return read_json_lines(split_lines(raw, reading, task.boms if start == 0 else 0), reading, count)


def _validation_error(contract: Contract, error: Exception) -> Rejection:
    """A coercion that threw (a defect of this job): the record is kept in ``rejected/`` instead of failing the file."""
    rules = contract.coercion
    return Rejection("validation_error", fill(rules.validation_error, error=str(error)[: rules.validation_error_chars]))


def _read_task(contract: Contract, dataset: Dataset, task: ReadTask, side: "SideFiles") -> Iterator[tuple[Any, ...]]:
    """Reads and coerces one task's records; yields its rows ``(src, day, *values)``.

    What only the driver can finish goes to a side file once the task's records are exhausted: the
    task's line count (line numbers are the object's only once every earlier range's count is known),
    its rows per day, its rejected records as ``[task-local line, order, JSON text with a line
    placeholder]``, bytes ignored after the last gzip member, and, for an object found unreadable
    midway (a corrupt gzip member), why: the driver then rejects it whole and publishes none of its
    rows, while the other objects of the pass go on. A retried task rewrites the same file.
    """
    coerce = record_coercer(dataset, contract.coercion)
    days = PartitionDays(contract, dataset)
    map_indices = [index for index, column in enumerate(dataset.columns) if column.type == "map<string,string>"]
    source = task.input
    count, trailing = LineCount(), []  # type: ignore[var-annotated]
    rows_per_day: dict[int, int] = {}
    rejected: list[tuple[int, int, str]] = []
    unreadable: Optional[str] = None
    try:
        for seq, item in enumerate(_task_items(task, contract, dataset, count, trailing), 1):
            rejection = item.rejection if isinstance(item, Unreadable) else None
            if isinstance(item, Parsed):
                values, rejection = _coerced(coerce, days, contract, item)
                if values is not None:
                    for index in map_indices:
                        entries = values[index]
                        if isinstance(entries, dict):
                            values[index] = list(entries.items())  # type: ignore[call-overload]
                    day = days.day_of(values)
                    rows_per_day[day] = rows_per_day.get(day, 0) + 1
                    yield (source.index, day, *values)
                    continue
            assert rejection is not None
            rejected.append((item.line, seq, rejected_line(contract, source.source_key, rejection, item.raw)))
    except UnreadableObject as error:
        unreadable = error.detail
    summary = {
        "src": source.index,
        "part": task.part,
        "lines": count.lines,
        "rows": rows_per_day,
        "rejected": rejected,
        "trailingBytes": sum(trailing),
        "unreadable": unreadable,
    }
    side.write(f"{source.index:05d}-{task.part:05d}{TASK_SUFFIX}", json.dumps(summary))


def _coerced(coerce: Any, days: PartitionDays, contract: Contract, item: Parsed) -> tuple[Optional[list[Any]], Optional[Rejection]]:
    """A parsed record's values, or why it is rejected: by the coercer, by the partition's year, or a defect."""
    try:
        values, rejection = coerce(item.record, item.source)
    except Exception as error:  # a defect of this job: the record is kept in rejected/, the file goes on
        return None, _validation_error(contract, error)
    if values is None:
        return None, rejection
    refusal = days.refusal(days.day_of(values))
    return (None, refusal) if refusal is not None else (values, None)


def _line_offsets(counts: Iterable[tuple[int, int, int]]) -> dict[tuple[int, int], int]:
    """Lines before each (object, part): part-local line numbers plus this are the object's."""
    offsets: dict[tuple[int, int], int] = {}
    running: dict[int, int] = {}
    for src, part, count in sorted(counts):
        offsets[(src, part)] = running.get(src, 0)
        running[src] = running.get(src, 0) + count
    return offsets


def _staged_files(directory: str, suffix: str) -> Iterator[tuple[dict[str, str], str]]:
    """Files Spark wrote under a partitioned directory, with their partition values (local or Hadoop paths)."""
    from pyspark.sql import SparkSession as _Session

    spark = _Session.getActiveSession()
    assert spark is not None
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    path = jvm.org.apache.hadoop.fs.Path(directory)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
    if not fs.exists(path):
        return
    files = fs.listFiles(path, True)
    root = fs.makeQualified(path).toString().rstrip("/")
    while files.hasNext():
        status = files.next()
        name = status.getPath().toString()
        if not name.endswith(suffix) or os.path.basename(name).startswith((".", "_")):
            continue
        relative = name[len(root) + 1 :]
        values = dict(part.split("=", 1) for part in relative.split("/")[:-1])
        yield values, name


def _unreadable(summaries: list[dict[str, Any]]) -> dict[int, ObjectRejected]:
    """Objects a task found unreadable midway: rejected whole, as the processor rejects them."""
    return {summary["src"]: ObjectRejected("unreadable_object", summary["unreadable"]) for summary in summaries if summary["unreadable"] is not None}


def _gather(summaries: list[dict[str, Any]], staged: dict[int, StagedObject], root: str, dataset: Dataset, region: Optional[str]) -> dict[tuple[int, int], int]:
    """Counts, rejected records (in object order, with the object's line numbers) and ignored bytes from the tasks' side files."""
    offsets = _line_offsets((summary["src"], summary["part"], summary["lines"]) for summary in summaries)
    row_counts: dict[tuple[int, int], int] = {}
    rejected: dict[int, list[tuple[int, int, str]]] = {}
    for summary in summaries:
        src, part = summary["src"], summary["part"]
        for day, count in summary["rows"].items():
            row_counts[(src, int(day))] = row_counts.get((src, int(day)), 0) + count
            staged[src].rows_written += count
        offset = offsets[(src, part)]
        for line, seq, text in summary["rejected"]:
            rejected.setdefault(src, []).append((part, seq, text.replace(LINE_PLACEHOLDER, str(line + offset))))
        if summary["trailingBytes"]:
            staged[src].ignored_trailing_bytes = (staged[src].ignored_trailing_bytes or 0) + summary["trailingBytes"]
    side = SideFiles(f"{root}/rejected/{dataset.name}", region)
    for src, entries in rejected.items():
        entries.sort()
        name = f"rejected-{src:05d}.jsonl"
        side.write(name, "".join(f"{text}\n" for _, _, text in entries))
        staged[src].rows_rejected = len(entries)
        staged[src].rejected_file = side.uri(name)
    for item in staged.values():
        item.rows_read = item.rows_written + item.rows_rejected
    return row_counts


def convert_dataset(
    spark: SparkSession, contract: Contract, dataset: Dataset, sources: Sequence[SourceInput], staging: str, region: Optional[str] = None
) -> dict[int, Union[StagedObject, ObjectRejected]]:
    """Converts objects of one dataset in one Spark pass; stages their Parquet and rejected records under ``staging``."""
    root = staging.rstrip("/")
    side = SideFiles(f"{root}/tasks/{dataset.name}", region)
    parallelism = spark.sparkContext.defaultParallelism
    outcomes: dict[int, Union[StagedObject, ObjectRejected]] = {}
    tasks: list[ReadTask] = []
    for source in sources:
        planned = plan_reads(source, parallelism)
        if isinstance(planned, ObjectRejected):
            outcomes[source.index] = planned
            continue
        outcomes[source.index] = StagedObject()
        tasks.extend(planned)
    if not tasks:
        return outcomes
    rows = spark.sparkContext.parallelize(tasks, len(tasks)).mapPartitions(
        lambda assigned: (row for task in assigned for row in _read_task(contract, dataset, task, side))
    )
    frame = spark.createDataFrame(rows, _raw_schema(dataset), verifySchema=False)
    typed = frame.select("_src", "_day", *[_typed(column) for column in dataset.columns])
    rows_dir = f"{root}/rows/{dataset.name}"
    typed.repartition("_src", "_day").write.mode("overwrite").partitionBy("_src", "_day").parquet(rows_dir)

    summaries = [json.loads(text) for text in side.read_all(TASK_SUFFIX)]
    outcomes.update(_unreadable(summaries))
    staged = {index: outcome for index, outcome in outcomes.items() if isinstance(outcome, StagedObject)}
    row_counts = _gather([summary for summary in summaries if summary["src"] in staged], staged, root, dataset, region)
    days = PartitionDays(contract, dataset)
    for values, name in _staged_files(rows_dir, ".parquet"):
        src, day = int(values["_src"]), int(values["_day"])
        if src not in staged:
            continue
        partition = days.path(day)
        if partition in staged[src].partitions:
            raise RuntimeError(f"two staged files for object {src} partition {partition!r}: the shuffle did not group them")
        staged[src].partitions[partition] = StagedPartition(rows=row_counts[(src, day)], file=name)
    return outcomes


def convert_sources(
    spark: SparkSession, contract: Contract, sources: Sequence[SourceInput], staging: str, region: Optional[str] = None
) -> dict[int, Union[StagedObject, ObjectRejected]]:
    """Converts objects of any datasets (one Spark pass per dataset); ``region`` for S3 staging."""
    outcomes: dict[int, Union[StagedObject, ObjectRejected]] = {}
    for name in sorted({source.dataset for source in sources}):
        dataset = contract.dataset(name)
        of_dataset = [source for source in sources if source.dataset == name]
        outcomes.update(convert_dataset(spark, contract, dataset, of_dataset, staging, region))
    return outcomes
