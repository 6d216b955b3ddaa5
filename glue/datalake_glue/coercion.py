"""Validation and coercion of parsed records against a dataset of the contract.

The same rules as handlers/coerce.ts, driven by the contract: each column's type picks its coercer,
whose patterns, bounds and wording come from the contract. A record is coerced column by column in
the dataset's order; the first column that fails decides the rejection, and a record whose JSON text
writes a key twice (at the top level, or inside a map column) is rejected once its columns are valid.
Timestamps become epoch milliseconds and dates epoch days (years as written, 0000–0099 included), as
the processor's Parquet writer takes them.

What the coercer reads besides the parsed values is the record's JSON text (``JsonSource``): a number
read into a text column, a map value or a bigint beyond 2^53 keeps the text it was written with, as
the processor's ``memberText`` reads it (``json_text``); CSV records have no JSON text.

Example::

    coerce = record_coercer(contract.dataset("events"), contract.coercion)
    values, rejection = coerce({"event_id": "e1", "user_id": "7", "event_timestamp": "2026-11-20T10:00:00Z", "event_type": "click"}, None)
    # values == ["e1", 7, 1763632800000, "click", None], rejection is None
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Union

from .civil import MILLIS_PER_DAY, days_from_civil, is_calendar_day
from .contract import Coercion, Column, Dataset, fill
from .json_text import duplicate_key, number_text
from .jsvalues import (
    JsonSyntaxError,
    compile_js_regex,
    js_is_well_formed,
    js_json_parse_noting_repeats,
    js_number_to_string,
    js_quote,
    js_string_to_number,
    js_trim,
    utf16_length,
    utf16_slice,
)

#: A coerced value: str, int (int, bigint, epoch ms, epoch days), float, bool, a string map, or None.
Coerced = Union[str, int, float, bool, dict, None]


@dataclass(frozen=True)
class Rejection:
    """Why a record is rejected (handlers/coerce.ts ``Rejection``)."""

    reason: str
    detail: str
    column: Optional[str] = None


@dataclass(frozen=True)
class JsonSource:
    """A record's JSON text (a JSON Lines line, an element of a JSON array)."""

    text: str
    #: Whether any object of the text wrote a key twice (only then is the text scanned for one).
    repeated: bool

    @property
    def escapes(self) -> bool:
        """Whether the text may hold a ``\\u`` escape: only then can a string hold a lone surrogate."""
        return "\\u" in self.text


class _Failure:
    """Why a value does not fit its column (handlers/coerce.ts ``INVALID``, ``UNENCODABLE``, ``REPEATED_KEY``)."""

    def __init__(self, name: str) -> None:
        self.name = name


INVALID = _Failure("invalid")
#: A string that UTF-8 cannot encode (a lone surrogate).
UNENCODABLE = _Failure("unencodable")
#: A map written as JSON text with a key written twice.
REPEATED_KEY = _Failure("repeated key")


@dataclass
class _FieldState:
    """What a field coercer may read besides the value: the column and the record's JSON text."""

    column: str = ""
    source: Optional[JsonSource] = None
    #: Whether strings may hold lone surrogates (CSV fields: always checked).
    escapes: bool = True


FieldCoercer = Callable[[Any, _FieldState], Union[Coerced, _Failure]]

_CANONICAL_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{3}))?Z")
MAX_SAFE_INTEGER = 2**53 - 1
DAY_CACHE_LIMIT = 4096


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_lexeme(state: _FieldState, key: Optional[str] = None) -> Optional[str]:
    """The exact text of a JSON number read into a text target, or None when there is no source text."""
    if state.source is None:
        return None
    return number_text(state.source.text, [state.column] if key is None else [state.column, key])


def _coerce_string(value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
    if isinstance(value, str):
        return UNENCODABLE if state.escapes and not js_is_well_formed(value) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        # The number as written (`1.50` stays "1.50"); without a source, its shortest form.
        text = js_number_to_string(float(value)) if state.source is None else _number_lexeme(state)
        return INVALID if text is None else text
    return INVALID


def _coerce_boolean(value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = js_trim(value).lower()
        if text == "true":
            return True
        if text == "false":
            return False
    return INVALID


def _coerce_double(value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
    if _is_number(value):
        number = float(value)
    elif isinstance(value, str) and js_trim(value) != "":
        number = js_string_to_number(value)
    else:
        return INVALID
    return number if math.isfinite(number) else INVALID


def _integer_text_value(text: str) -> int:
    """The value of an integer text a pattern accepted; beyond 64 bits only its sign matters."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").lstrip("0") or "0"
    # Python refuses int() of very long texts; anything past 25 digits is out of every range anyway.
    return sign * (10**25 if len(digits) > 25 else int(digits))


def _map_entry(entry: Any, key: str, state: _FieldState, map_text: Optional[str]) -> Union[Optional[str], _Failure]:
    """One map value as text: strings and nulls as they are, booleans as text, numbers as written."""
    if isinstance(entry, str):
        return UNENCODABLE if state.escapes and not js_is_well_formed(entry) else entry
    if entry is None:
        return None
    if isinstance(entry, bool):
        return "true" if entry else "false"
    if not _is_number(entry):
        return INVALID
    if map_text is not None:
        text = number_text(map_text, [key])
    elif state.source is None:
        text = js_number_to_string(float(entry))
    else:
        text = _number_lexeme(state, key)
    return INVALID if text is None else text


def _map_entries(value: Any, state: _FieldState, map_text: Optional[str]) -> Union[dict[str, Optional[str]], _Failure]:
    """A parsed object as map entries, in JavaScript's key order; nested values are rejected unwalked."""
    if not isinstance(value, dict):
        return INVALID
    converted: dict[str, Optional[str]] = {}
    for key, entry in value.items():
        if state.escapes and not js_is_well_formed(key):
            return UNENCODABLE
        text = _map_entry(entry, key, state, map_text)
        if isinstance(text, _Failure):
            return text
        converted[key] = text
    return converted


def _string_map_from_text(text: str, state: _FieldState) -> Union[Coerced, _Failure]:
    """A map written as JSON text (a CSV field): numbers and repeated keys are read from that text itself."""
    try:
        parsed, repeated = js_json_parse_noting_repeats(text)
    except JsonSyntaxError:
        return INVALID
    escapes = state.escapes
    state.escapes = "\\u" in text
    read = _map_entries(parsed, state, text)
    state.escapes = escapes
    if isinstance(read, _Failure):
        return read
    if repeated and duplicate_key(text) is not None:
        return REPEATED_KEY
    return read


def _coerce_string_map(value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
    if isinstance(value, str):
        return _string_map_from_text(value, state)
    return _map_entries(value, state, None)


class _Coercers:
    """The coercers whose rules come from the contract (patterns, bounds)."""

    def __init__(self, rules: Coercion) -> None:
        self.rules = rules
        self.day_starts: dict[str, Union[int, _Failure]] = {}
        self.integer_text = compile_js_regex(rules.integer.source, rules.integer.flags)
        self.json_integer_text = compile_js_regex(rules.json_integer.source, rules.json_integer.flags)
        self.timestamp_text = compile_js_regex(rules.timestamp.source, rules.timestamp.flags)
        self.date_text = compile_js_regex(rules.date.source, rules.date.flags)

    def int32(self, value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
        if _is_number(value):
            number = float(value)
            if not (math.isfinite(number) and number.is_integer()):
                return INVALID
            integer = int(number)
        elif isinstance(value, str) and self.integer_text(js_trim(value)):
            integer = _integer_text_value(js_trim(value))
        else:
            return INVALID
        return integer if self.rules.int32_min <= integer <= self.rules.int32_max else INVALID

    def _in_int64(self, integer: int) -> Union[Coerced, _Failure]:
        return integer if self.rules.int64_min <= integer <= self.rules.int64_max else INVALID

    def int64(self, value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
        if _is_number(value):
            number = float(value)
            if math.isfinite(number) and number.is_integer() and abs(number) <= MAX_SAFE_INTEGER:
                return int(number)
            # Beyond 2^53 the parsed number is rounded: read the integer as written.
            text = _number_lexeme(state)
            return self._in_int64(_integer_text_value(text)) if text is not None and self.json_integer_text(text) else INVALID
        if isinstance(value, str) and self.integer_text(js_trim(value)):
            return self._in_int64(_integer_text_value(js_trim(value)))
        return INVALID

    def timestamp(self, value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
        if not isinstance(value, str):
            return INVALID
        canonical = self._canonical_utc_timestamp(value)
        return canonical if canonical is not None else self._general_timestamp(value)

    def _canonical_utc_timestamp(self, text: str) -> Union[Coerced, _Failure, None]:
        """handlers/coerce.ts ``canonicalUtcTimestamp``: ``YYYY-MM-DDTHH:MM:SS[.sss]Z``; None for other
        forms, which the general parser reads. Days are cached (one file holds few)."""
        match = _CANONICAL_UTC.fullmatch(text)
        if match is None:
            return None
        day_start = self.day_starts.get(text[:10])
        if day_start is None:
            year, month, day = int(match[1]), int(match[2]), int(match[3])
            day_start = days_from_civil(year, month, day) * MILLIS_PER_DAY if is_calendar_day(year, month, day) else INVALID
            if len(self.day_starts) >= DAY_CACHE_LIMIT:
                self.day_starts.clear()
            self.day_starts[text[:10]] = day_start
        if isinstance(day_start, _Failure):
            return INVALID
        hour, minute, second = int(match[4]), int(match[5]), int(match[6])
        if hour > 23 or minute > 59 or second > 59:
            return INVALID
        return day_start + hour * 3_600_000 + minute * 60_000 + second * 1000 + (int(match[7]) if match[7] else 0)

    def _general_timestamp(self, value: str) -> Union[Coerced, _Failure]:
        match = self.timestamp_text(js_trim(value))
        if match is None:
            return INVALID
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        hour, minute, second = hour or "00", minute or "00", second or "00"
        if not is_calendar_day(int(year), int(month), int(day)):
            return INVALID
        if int(hour) > 23 or int(minute) > 59 or int(second) > 59:
            return INVALID
        offset_minutes = _offset_minutes(zone)
        if offset_minutes is None:
            return INVALID
        # Parquet TIMESTAMP_MILLIS: sub-millisecond digits are truncated.
        millis = int((fraction or ".")[1:4].ljust(3, "0"))
        seconds = int(hour) * 3600 + int(minute) * 60 + int(second) - offset_minutes * 60
        return days_from_civil(int(year), int(month), int(day)) * MILLIS_PER_DAY + seconds * 1000 + millis

    def date(self, value: Any, state: _FieldState) -> Union[Coerced, _Failure]:
        if not isinstance(value, str):
            return INVALID
        match = self.date_text(js_trim(value))
        if match is None:
            return INVALID
        year, month, day = (int(group) for group in match.groups()[:3])
        return days_from_civil(year, month, day) if is_calendar_day(year, month, day) else INVALID

    def for_type(self, column_type: str) -> FieldCoercer:
        coercers: dict[str, FieldCoercer] = {
            "string": _coerce_string,
            "int": self.int32,
            "bigint": self.int64,
            "double": _coerce_double,
            "boolean": _coerce_boolean,
            "timestamp": self.timestamp,
            "date": self.date,
            "map<string,string>": _coerce_string_map,
        }
        return coercers[column_type]


def _offset_minutes(zone: Optional[str]) -> Optional[int]:
    """Minutes east of UTC of a zone the pattern accepted; None for an offset beyond 23:59."""
    if zone is None or zone.upper() == "Z":
        return 0
    digits = zone[1:].replace(":", "", 1)
    hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
    if hours > 23 or minutes > 59:
        return None
    return (hours * 60 + minutes) * (-1 if zone[0] == "-" else 1)


def _cut(text: str, units: int, ellipsis: str) -> str:
    return utf16_slice(text, units) + ellipsis if utf16_length(text) > units else text


def describe(value: Any, rules: Coercion) -> str:
    """handlers/coerce.ts ``describe``: strings cut (in UTF-16 units) before quoting, containers named."""
    wording = rules.describe
    if isinstance(value, str):
        quoted = js_quote(utf16_slice(value, wording.max_chars) if utf16_length(value) > wording.max_chars else value)
        return _cut(quoted, wording.max_chars - len(wording.ellipsis), wording.ellipsis) if utf16_length(quoted) > wording.max_chars else quoted
    if isinstance(value, list):
        return wording.array_of_one if len(value) == 1 else fill(wording.array, count=len(value))
    if isinstance(value, dict):
        keys = list(value)
        shown = wording.key_separator.join(js_quote(_cut(key, wording.key_chars, wording.key_ellipsis)) for key in keys[: wording.shown_keys])
        more = fill(wording.more_keys, count=len(keys)) if len(keys) > wording.shown_keys else ""
        return fill(wording.object, keys=shown, more=more)
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return js_number_to_string(float(value))
    return "null"


RecordCoercer = Callable[[Mapping[str, Any], Optional[JsonSource]], "tuple[Optional[list[Coerced]], Optional[Rejection]]"]


def _field_rejection(failure: _Failure, column: Column, raw: Any, rules: Coercion) -> Rejection:
    if failure is UNENCODABLE:
        return Rejection("invalid_utf8", fill(rules.lone_surrogate, column=column.name), column.name)
    if failure is REPEATED_KEY:
        return Rejection("duplicate_key", fill(rules.map_key_repeated, column=column.name), column.name)
    detail = fill(rules.invalid_value, column=column.name, expected=column.expected, value=describe(raw, rules))
    return Rejection("invalid_value", detail, column.name)


def record_coercer(dataset: Dataset, rules: Coercion) -> RecordCoercer:
    """The coercer of one dataset: returns the values in column order, or why the record is rejected.

    ``source`` is the record's JSON text, when it has one (JSON Lines, JSON arrays); None for CSV.
    """
    coercers = _Coercers(rules)
    prepared = [(column, coercers.for_type(column.type)) for column in dataset.columns]
    map_columns = frozenset(column.name for column in dataset.columns if column.type == "map<string,string>")
    state = _FieldState()

    def coerce(record: Mapping[str, Any], source: Optional[JsonSource]) -> tuple[Optional[list[Coerced]], Optional[Rejection]]:
        state.source = source
        state.escapes = source is None or source.escapes
        values: list[Coerced] = []
        for column, coercer in prepared:
            raw = record.get(column.name)
            if raw is None or (isinstance(raw, str) and raw == ""):
                if column.required:
                    return None, Rejection("missing_required", fill(rules.missing_required, column=column.name), column.name)
                values.append(None)
                continue
            state.column = column.name
            value = coercer(raw, state)
            if isinstance(value, _Failure):
                return None, _field_rejection(value, column, raw, rules)
            values.append(value)
        if source is not None and source.repeated:
            repeated = duplicate_key(source.text, map_columns)
            if repeated is not None:
                return None, Rejection("duplicate_key", fill(rules.key_repeated, key=js_quote(repeated)), repeated.split(".")[0])
        return values, None

    return coerce
