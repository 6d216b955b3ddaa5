"""The conversion contract, as the program generates it from TypeScript (handlers/glue-contract.ts).

Datasets, column types, coercion patterns, bounds and the wording of every rejection are read from
this document; nothing of the registry is written in Python. The loader checks the version and the
shape it relies on, so a contract from another release fails at the start of a run, not midway.

Example::

    contract = load_contract(json.loads(Path("contract.json").read_text()))
    contract.dataset("events").columns[1].type  # "int"
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

CONTRACT_VERSION = 1

#: Column types the engine implements; a contract naming another type is refused.
COLUMN_TYPES = ("string", "int", "bigint", "double", "boolean", "timestamp", "date", "map<string,string>")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    #: What a value must be, as a rejection's detail says it.
    expected: str


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: tuple[Column, ...]
    partition_column: str | None
    formats: tuple[str, ...]

    @property
    def partition_index(self) -> int:
        """Index of the partition column, or -1 for an unpartitioned dataset."""
        if self.partition_column is None:
            return -1
        return next(index for index, column in enumerate(self.columns) if column.name == self.partition_column)


@dataclass(frozen=True)
class Pattern:
    source: str
    flags: str


@dataclass(frozen=True)
class Coercion:
    int32_min: int
    int32_max: int
    int64_min: int
    int64_max: int
    integer: Pattern
    timestamp: Pattern
    date: Pattern
    missing_required: str
    invalid_value: str
    describe_max_length: int
    describe_keep: int
    describe_ellipsis: str


@dataclass(frozen=True)
class Contract:
    datasets: Mapping[str, Dataset]
    coercion: Coercion
    partition_template: str
    partition_widths: Mapping[str, int]
    rejected_fields: tuple[str, ...]

    def dataset(self, name: str) -> Dataset:
        try:
            return self.datasets[name]
        except KeyError:
            raise ValueError(f"dataset {name!r} is not in the contract ({', '.join(sorted(self.datasets))})") from None

    def partition(self, year: int, month: int, day: int) -> str:
        """The day's partition path, e.g. ``year=2026/month=11/day=20/``."""
        widths = self.partition_widths
        return self.partition_template.format(
            year=str(year).zfill(widths["year"]), month=str(month).zfill(widths["month"]), day=str(day).zfill(widths["day"])
        )


def _column(raw: Mapping[str, Any]) -> Column:
    if raw["type"] not in COLUMN_TYPES:
        raise ValueError(f"column {raw['name']!r} has type {raw['type']!r}, which this job does not implement")
    return Column(name=raw["name"], type=raw["type"], required=bool(raw["required"]), expected=raw["expected"])


def _dataset(raw: Mapping[str, Any]) -> Dataset:
    return Dataset(
        name=raw["name"],
        columns=tuple(_column(column) for column in raw["columns"]),
        partition_column=raw.get("partitionColumn"),
        formats=tuple(raw["formats"]),
    )


def load_contract(document: Mapping[str, Any]) -> Contract:
    """Reads a contract document.

    Raises:
        ValueError: for another version, or a column type this job does not implement.
    """
    if document.get("version") != CONTRACT_VERSION:
        raise ValueError(f"contract version {document.get('version')!r}; this job reads version {CONTRACT_VERSION}")
    coercion = document["coercion"]
    patterns = coercion["patterns"]
    return Contract(
        datasets={name: _dataset(raw) for name, raw in document["datasets"].items()},
        coercion=Coercion(
            int32_min=int(coercion["int32"]["min"]),
            int32_max=int(coercion["int32"]["max"]),
            int64_min=int(coercion["int64"]["min"]),
            int64_max=int(coercion["int64"]["max"]),
            integer=Pattern(**patterns["integer"]),
            timestamp=Pattern(**patterns["timestamp"]),
            date=Pattern(**patterns["date"]),
            missing_required=coercion["messages"]["missingRequired"],
            invalid_value=coercion["messages"]["invalidValue"],
            describe_max_length=int(coercion["describe"]["maxLength"]),
            describe_keep=int(coercion["describe"]["keep"]),
            describe_ellipsis=coercion["describe"]["ellipsis"],
        ),
        partition_template=document["partition"]["template"],
        partition_widths=dict(document["partition"]["widths"]),
        rejected_fields=tuple(document["rejectedFields"]),
    )
