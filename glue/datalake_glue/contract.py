"""The conversion contract, as the program generates it from TypeScript (handlers/glue-contract.ts).

Datasets, column types, coercion patterns, bounds, the stack's limits (``processorMaxRecordKb``, the
Athena projection years) and the wording of every rejection are read from this document; nothing of
the registry is written in Python. Wording comes as templates whose ``{name}`` placeholders the
processor's own wording functions were called with (``fill`` replaces them). The loader checks the
version and the shape it relies on, so a contract from another release fails at the start of a run,
not midway.

Example::

    contract = load_contract(json.loads(Path("contract.json").read_text()))
    contract.dataset("events").columns[1].type  # "int"
    fill(contract.coercion.missing_required, column="event_id")  # "event_id is required"
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Mapping, Optional

from .jsvalues import js_pad_start

CONTRACT_VERSION = 2

#: Column types the engine implements; a contract naming another type is refused.
COLUMN_TYPES = ("string", "int", "bigint", "double", "boolean", "timestamp", "date", "map<string,string>")

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, **values: object) -> str:
    """A template with its ``{name}`` placeholders replaced (others, and any other brace, kept)."""
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]) if match.group(1) in values else match.group(0), template)


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
class Describe:
    """How a rejected value is described (handlers/coerce.ts ``describe``); lengths in UTF-16 units."""

    max_chars: int
    ellipsis: str
    array: str
    array_of_one: str
    object: str
    more_keys: str
    shown_keys: int
    key_chars: int
    key_ellipsis: str
    key_separator: str


@dataclass(frozen=True)
class Coercion:
    int32_min: int
    int32_max: int
    int64_min: int
    int64_max: int
    integer: Pattern
    json_integer: Pattern
    timestamp: Pattern
    date: Pattern
    missing_required: str
    invalid_value: str
    lone_surrogate: str
    map_key_repeated: str
    key_repeated: str
    validation_error: str
    validation_error_chars: int
    describe: Describe


@dataclass(frozen=True)
class Reading:
    """The readers' limit and rejection templates (handlers/line-splitter.ts, json-lines.ts, json-array.ts, csv-records.ts)."""

    max_record_bytes: int
    too_large_kept_bytes: int
    messages: Mapping[str, str]

    def message(self, name: str, **values: object) -> str:
        return fill(self.messages[name], **values)


@dataclass(frozen=True)
class PartitionYears:
    first: int
    last: int


@dataclass(frozen=True)
class Contract:
    datasets: Mapping[str, Dataset]
    coercion: Coercion
    reading: Reading
    partition_template: str
    partition_widths: Mapping[str, int]
    #: Years Athena's projection covers (rows dated outside are ``out_of_range``), or None.
    partition_years: Optional[PartitionYears]
    out_of_range: str
    rejected_fields: tuple[str, ...]

    def dataset(self, name: str) -> Dataset:
        try:
            return self.datasets[name]
        except KeyError:
            raise ValueError(f"dataset {name!r} is not in the contract ({', '.join(sorted(self.datasets))})") from None

    def partition(self, year: int, month: int, day: int) -> str:
        """The day's partition path, e.g. ``year=2026/month=11/day=20/`` (padded as ``padStart`` pads)."""
        widths = self.partition_widths
        return fill(
            self.partition_template,
            year=js_pad_start(str(year), widths["year"], "0"),
            month=js_pad_start(str(month), widths["month"], "0"),
            day=js_pad_start(str(day), widths["day"], "0"),
        )


#: The reading messages this job words rejections with.
READING_MESSAGES = (
    "lineTooLarge",
    "lineNotUtf8",
    "notAnObject",
    "elementEmpty",
    "elementTooLarge",
    "elementNotUtf8",
    "afterArray",
    "csvAfterClosingQuote",
    "csvQuoteInsideField",
    "csvNotClosedAtEnd",
    "csvNotClosedWithin",
    "csvSpansIntoFields",
    "csvFieldCount",
    "csvHeaderRepeats",
    "csvNoHeader",
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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _describe(raw: Mapping[str, Any]) -> Describe:
    """Every field of ``Describe`` from its camelCase key (``max_chars`` ← ``maxChars``)."""
    return Describe(**{field.name: raw[_camel(field.name)] for field in fields(Describe)})


def _coercion(raw: Mapping[str, Any]) -> Coercion:
    patterns, messages = raw["patterns"], raw["messages"]
    return Coercion(
        int32_min=int(raw["int32"]["min"]),
        int32_max=int(raw["int32"]["max"]),
        int64_min=int(raw["int64"]["min"]),
        int64_max=int(raw["int64"]["max"]),
        integer=Pattern(**patterns["integer"]),
        json_integer=Pattern(**patterns["jsonInteger"]),
        timestamp=Pattern(**patterns["timestamp"]),
        date=Pattern(**patterns["date"]),
        missing_required=messages["missingRequired"],
        invalid_value=messages["invalidValue"],
        lone_surrogate=messages["loneSurrogate"],
        map_key_repeated=messages["mapKeyRepeated"],
        key_repeated=messages["keyRepeated"],
        validation_error=messages["validationError"],
        validation_error_chars=int(messages["validationErrorChars"]),
        describe=_describe(raw["describe"]),
    )


def _reading(raw: Mapping[str, Any]) -> Reading:
    missing = [name for name in READING_MESSAGES if name not in raw["messages"]]
    if missing:
        raise ValueError(f"the contract's reading messages lack {missing}")
    return Reading(max_record_bytes=int(raw["maxRecordBytes"]), too_large_kept_bytes=int(raw["tooLargeKeptBytes"]), messages=dict(raw["messages"]))


def load_contract(document: Mapping[str, Any]) -> Contract:
    """Reads a contract document.

    Raises:
        ValueError: for another version, a column type this job does not implement, or a missing message.
    """
    if document.get("version") != CONTRACT_VERSION:
        raise ValueError(f"contract version {document.get('version')!r}; this job reads version {CONTRACT_VERSION}")
    partition = document["partition"]
    years = partition.get("years")
    return Contract(
        datasets={name: _dataset(raw) for name, raw in document["datasets"].items()},
        coercion=_coercion(document["coercion"]),
        reading=_reading(document["reading"]),
        partition_template=partition["template"],
        partition_widths=dict(partition["widths"]),
        partition_years=None if years is None else PartitionYears(first=int(years["first"]), last=int(years["last"])),
        out_of_range=partition["outOfRange"],
        rejected_fields=tuple(document["rejectedFields"]),
    )
