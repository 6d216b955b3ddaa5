"""The conversion on Spark: raw objects in, staged Parquet per (object, day) and rejected lines out.

Every function here takes the ``SparkSession``; nothing imports AWS Glue, so the same code runs on
Glue 5.0 and on a local ``pyspark`` (tests, the benchmark, the local pipeline).

How the work is spread: each object's lines are read with Hadoop's text input, split on ``\\n``
only, as the processor splits them. JSON Lines objects are split across tasks (a line is a record);
CSV objects are read by one task each, in order (a quoted field may span lines). Records are parsed
and coerced in Python (``readers``, ``coercion``) with the rules of the contract, then rows are
shuffled so that each (object, day) lands in one task and becomes one Parquet file, as the
processor writes one file per day. It is one Spark pass: what the rows cannot carry (each task's
line count, rows per day and rejected records) goes to a small side file per task
(``SideFiles``), and the driver finishes it, turning task-local line numbers into the object's.

Example::

    spark = local_session()
    staged = convert_sources(spark, contract, [SourceInput(0, "events", "file:///tmp/a.jsonl", "jsonl", "raw/events/a.jsonl")], "file:///tmp/stage")
    staged[0].partitions  # {"year=2026/month=11/day=20/": StagedPartition(rows=3, file="file:/tmp/stage/rows/_src=0/_day=20261120/part-….parquet")}
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse
from typing import Any, Iterable, Iterator, Optional, Sequence

from pyspark.sql import DataFrame, SparkSession
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

from .coercion import MILLIS_PER_DAY, record_coercer
from .contract import Column, Contract, Dataset
from .readers import Parsed, ReadItem, read_csv, read_json_line
from .rejected import LINE_PLACEHOLDER, rejected_line

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

#: Hadoop's text input splits on this only (by default it also splits on a lone ``\\r``).
RECORD_DELIMITER = "\n"


@dataclass(frozen=True)
class SourceInput:
    """One raw object to convert: where Spark reads it and how."""

    index: int
    dataset: str
    #: A path Spark's text input reads (``file:///…``, ``s3://…``); ``.gz`` is decompressed.
    path: str
    format: str
    #: The raw object's key, written with each rejected record.
    source_key: str


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


def configure_session(spark: SparkSession) -> None:
    """Applies the settings the outputs depend on to a session (Glue's or a local one)."""
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)
    spark.sparkContext._jsc.hadoopConfiguration().set("textinputformat.record.delimiter", RECORD_DELIMITER)  # type: ignore[attr-defined]


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


def _day_key(epoch_day: int) -> int:
    """A UTC day (days since 1970-01-01) as YYYYMMDD."""
    day = date(1970, 1, 1) + timedelta(days=epoch_day)
    return day.year * 10_000 + day.month * 100 + day.day


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


def _parse_partition(
    contract: Contract, dataset: Dataset, source: SourceInput, task: int, lines: Iterable[str], side: SideFiles
) -> Iterator[tuple[Any, ...]]:
    """Parses and coerces one task's lines; yields its rows ``(src, day, *values)``.

    What only the driver can finish goes to a side file when the task's lines are exhausted: the
    task's line count (line numbers are the object's only once every earlier task's count is known),
    its rows per day, and its rejected records, as ``[task-local line, order, JSON text with a line
    placeholder]``. A retried task rewrites the same file.
    """
    coerce = record_coercer(dataset, contract.coercion)
    partition_index = dataset.partition_index
    map_indices = [index for index, column in enumerate(dataset.columns) if column.type == "map<string,string>"]
    day_cache: dict[int, int] = {}
    rows_per_day: dict[int, int] = {}
    rejected: list[tuple[int, int, str]] = []
    count = 0
    seq = 0

    def numbered() -> Iterator[tuple[int, str]]:
        nonlocal count
        for text in lines:
            count += 1
            yield count, text

    if source.format == "csv":
        items: Iterator[ReadItem] = read_csv(text + "\n" for _, text in numbered())
    else:
        items = (item for item in (read_json_line(text, line) for line, text in numbered()) if item is not None)

    for item in items:
        seq += 1
        if isinstance(item, Parsed):
            values, rejection = coerce(item.record)
            if values is not None:
                if partition_index < 0:
                    day = 0
                else:
                    epoch_day = values[partition_index] // MILLIS_PER_DAY  # type: ignore[operator]
                    day = day_cache.get(epoch_day) or day_cache.setdefault(epoch_day, _day_key(epoch_day))
                for index in map_indices:
                    entries = values[index]
                    if isinstance(entries, dict):
                        values[index] = list(entries.items())  # type: ignore[call-overload]
                rows_per_day[day] = rows_per_day.get(day, 0) + 1
                yield (source.index, day, *values)
                continue
            assert rejection is not None
            rejected.append((item.line, seq, rejected_line(contract, source.source_key, rejection, item.raw)))
        else:
            rejected.append((item.line, seq, rejected_line(contract, source.source_key, item.rejection, item.raw)))
    summary = {"src": source.index, "task": task, "lines": count, "rows": rows_per_day, "rejected": rejected}
    side.write(f"{source.index:05d}-{task:05d}{TASK_SUFFIX}", json.dumps(summary))


def _lines_rdd(spark: SparkSession, source: SourceInput) -> Any:
    lines = spark.sparkContext.textFile(source.path)
    # One task per CSV object: records may span lines, so they are read in order.
    return lines.coalesce(1) if source.format == "csv" else lines


def _line_offsets(counts: Iterable[tuple[int, int, int]]) -> dict[tuple[int, int], int]:
    """Lines before each (object, task): task-local line numbers plus this are the object's."""
    offsets: dict[tuple[int, int], int] = {}
    running: dict[int, int] = {}
    for src, task, count in sorted(counts):
        offsets[(src, task)] = running.get(src, 0)
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


def convert_dataset(
    spark: SparkSession, contract: Contract, dataset: Dataset, sources: Sequence[SourceInput], staging: str, region: Optional[str] = None
) -> dict[int, StagedObject]:
    """Converts objects of one dataset in one Spark pass; stages their Parquet and rejected records under ``staging``."""
    root = staging.rstrip("/")
    side = SideFiles(f"{root}/tasks/{dataset.name}", region)
    rdds = [
        _lines_rdd(spark, source).mapPartitionsWithIndex(
            lambda task, lines, source=source: _parse_partition(contract, dataset, source, task, lines, side)
        )
        for source in sources
    ]
    frame = spark.createDataFrame(spark.sparkContext.union(rdds), _raw_schema(dataset), verifySchema=False)
    typed = frame.select("_src", "_day", *[_typed(column) for column in dataset.columns])
    rows_dir = f"{root}/rows/{dataset.name}"
    typed.repartition("_src", "_day").write.mode("overwrite").partitionBy("_src", "_day").parquet(rows_dir)

    summaries = [json.loads(text) for text in side.read_all(TASK_SUFFIX)]
    offsets = _line_offsets((summary["src"], summary["task"], summary["lines"]) for summary in summaries)
    staged = {source.index: StagedObject() for source in sources}
    row_counts: dict[tuple[int, int], int] = {}
    rejected: dict[int, list[tuple[int, int, str]]] = {}
    for summary in summaries:
        src, task = summary["src"], summary["task"]
        for day, count in summary["rows"].items():
            row_counts[(src, int(day))] = row_counts.get((src, int(day)), 0) + count
            staged[src].rows_written += count
        offset = offsets[(src, task)]
        for line, seq, text in summary["rejected"]:
            rejected.setdefault(src, []).append((task, seq, text.replace(LINE_PLACEHOLDER, str(line + offset))))
    for src, entries in rejected.items():
        entries.sort()
        name = f"rejected-{src:05d}.jsonl"
        SideFiles(f"{root}/rejected/{dataset.name}", region).write(name, "".join(f"{text}\n" for _, _, text in entries))
        staged[src].rows_rejected = len(entries)
        staged[src].rejected_file = SideFiles(f"{root}/rejected/{dataset.name}", region).uri(name)
    for item in staged.values():
        item.rows_read = item.rows_written + item.rows_rejected
    for values, name in _staged_files(rows_dir, ".parquet"):
        src, day = int(values["_src"]), int(values["_day"])
        partition = "" if dataset.partition_index < 0 else contract.partition(day // 10_000, day // 100 % 100, day % 100)
        if partition in staged[src].partitions:
            raise RuntimeError(f"two staged files for object {src} partition {partition!r}: the shuffle did not group them")
        staged[src].partitions[partition] = StagedPartition(rows=row_counts[(src, day)], file=name)
    return staged


def convert_sources(
    spark: SparkSession, contract: Contract, sources: Sequence[SourceInput], staging: str, region: Optional[str] = None
) -> dict[int, StagedObject]:
    """Converts objects of any datasets (one Spark pass per dataset); ``region`` for S3 staging."""
    staged: dict[int, StagedObject] = {}
    for name in sorted({source.dataset for source in sources}):
        dataset = contract.dataset(name)
        of_dataset = [source for source in sources if source.dataset == name]
        staged.update(convert_dataset(spark, contract, dataset, of_dataset, staging, region))
    return staged
