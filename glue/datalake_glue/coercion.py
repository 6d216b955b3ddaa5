"""Validation and coercion of parsed records against a dataset of the contract.

The same rules as handlers/coerce.ts, driven by the contract: each column's type picks its coercer,
whose patterns, bounds and wording come from the contract. A record is coerced column by column in
the dataset's order; the first column that fails decides the rejection. Timestamps become epoch
milliseconds and dates epoch days, as the processor's Parquet writer takes them.

Example::

    coerce = record_coercer(contract.dataset("events"), contract.coercion)
    values, rejection = coerce({"event_id": "e1", "user_id": "7", "event_timestamp": "2026-11-20T10:00:00Z", "event_type": "click"})
    # values == ["e1", 7, 1763632800000, "click", None], rejection is None
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Union

from .contract import Coercion, Column, Dataset
from .jsvalues import (
    JsonSyntaxError,
    compile_js_regex,
    js_json_parse,
    js_number_to_string,
    js_string_to_number,
    js_stringify,
    js_trim,
    utf16_length,
    utf16_slice,
)

#: A coerced value: str, int (int, bigint, epoch ms, epoch days), float, bool, a string map, or None.
Coerced = Union[str, int, float, bool, dict, None]


@dataclass(frozen=True)
class Rejection:
    """Why a record is rejected (handlers/coerce.ts `Rejection`)."""

    reason: str
    detail: str
    column: Optional[str] = None


class _Invalid:
    """The value does not fit its column (handlers/coerce.ts `INVALID`)."""


INVALID = _Invalid()
FieldCoercer = Callable[[Any], Union[Coerced, _Invalid]]

MILLIS_PER_DAY = 86_400_000
_CANONICAL_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{3}))?Z")
MAX_SAFE_INTEGER = 2**53 - 1


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _js_date_utc_year(year: int) -> int:
    """``Date.UTC`` reads a year from 0 to 99 as 1900 + year."""
    return 1900 + year if 0 <= year <= 99 else year


def _js_date_utc_days(year: int, month: int, day: int) -> int:
    """``Date.UTC(year, month - 1, day) / 86400000`` for a day within its month."""
    return _days_from_civil(_js_date_utc_year(year), month, day)


def _days_in_month(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def valid_calendar_day(year: int, month: int, day: int) -> bool:
    """handlers/coerce.ts `validCalendarDay`, with ``Date.UTC``'s reading of years 0 to 99."""
    if month < 1 or month > 12 or day < 1:
        return False
    return day <= _days_in_month(_js_date_utc_year(year), month)


def _coerce_string(value: Any) -> Coerced | _Invalid:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return js_number_to_string(float(value))
    return INVALID


def _coerce_boolean(value: Any) -> Coerced | _Invalid:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = js_trim(value).lower()
        if text == "true":
            return True
        if text == "false":
            return False
    return INVALID


def _coerce_double(value: Any) -> Coerced | _Invalid:
    if _is_number(value):
        number = float(value)
    elif isinstance(value, str) and js_trim(value) != "":
        number = js_string_to_number(value)
    else:
        return INVALID
    return number if math.isfinite(number) else INVALID


def _coerce_string_map(value: Any) -> Coerced | _Invalid:
    candidate = value
    if isinstance(candidate, str):
        try:
            candidate = js_json_parse(candidate)
        except JsonSyntaxError:
            return INVALID
    if not isinstance(candidate, dict):
        return INVALID
    converted: dict[str, Optional[str]] = {}
    for key, entry in candidate.items():
        if isinstance(entry, str) or entry is None:
            converted[key] = entry
        elif isinstance(entry, bool):
            converted[key] = "true" if entry else "false"
        elif _is_number(entry):
            converted[key] = js_number_to_string(float(entry))
        else:
            return INVALID
    return converted


class _Coercers:
    """The coercers whose rules come from the contract (patterns, bounds)."""

    def __init__(self, rules: Coercion) -> None:
        self.rules = rules
        self.day_starts: dict[str, int | _Invalid] = {}
        self.integer_text = compile_js_regex(rules.integer.source, rules.integer.flags)
        self.timestamp_text = compile_js_regex(rules.timestamp.source, rules.timestamp.flags)
        self.date_text = compile_js_regex(rules.date.source, rules.date.flags)

    def int32(self, value: Any) -> Coerced | _Invalid:
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

    def int64(self, value: Any) -> Coerced | _Invalid:
        if _is_number(value):
            number = float(value)
            safe = math.isfinite(number) and number.is_integer() and abs(number) <= MAX_SAFE_INTEGER
            return int(number) if safe else INVALID
        if isinstance(value, str) and self.integer_text(js_trim(value)):
            integer = _integer_text_value(js_trim(value))
            return integer if self.rules.int64_min <= integer <= self.rules.int64_max else INVALID
        return INVALID

    def timestamp(self, value: Any) -> Coerced | _Invalid:
        if not isinstance(value, str):
            return INVALID
        canonical = self._canonical_utc_timestamp(value)
        return canonical if canonical is not None else self._general_timestamp(value)

    def _canonical_utc_timestamp(self, text: str) -> Coerced | _Invalid | None:
        """handlers/coerce.ts `canonicalUtcTimestamp`: ``YYYY-MM-DDTHH:MM:SS[.sss]Z``; None for other forms
        (the general parser rejects those whose digits are not digits, as the TypeScript's fast path does).

        It computes the day with ``Date.UTC``, which reads years 0 to 99 as 1900 + year: kept, for parity.
        Days are cached (one file holds few).
        """
        match = _CANONICAL_UTC.fullmatch(text)
        if match is None:
            return None
        day_start = self.day_starts.get(text[:10])
        if day_start is None:
            year, month, day = int(match[1]), int(match[2]), int(match[3])
            day_start = _js_date_utc_days(year, month, day) * MILLIS_PER_DAY if valid_calendar_day(year, month, day) else INVALID
            if len(self.day_starts) >= 4096:
                self.day_starts.clear()
            self.day_starts[text[:10]] = day_start
        if day_start is INVALID:
            return INVALID
        hour, minute, second = int(match[4]), int(match[5]), int(match[6])
        if hour > 23 or minute > 59 or second > 59:
            return INVALID
        return day_start + hour * 3_600_000 + minute * 60_000 + second * 1000 + (int(match[7]) if match[7] else 0)  # type: ignore[operator]

    def _general_timestamp(self, value: str) -> Coerced | _Invalid:
        match = self.timestamp_text(js_trim(value))
        if match is None:
            return INVALID
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        hour, minute, second = hour or "00", minute or "00", second or "00"
        if not valid_calendar_day(int(year), int(month), int(day)):
            return INVALID
        if int(hour) > 23 or int(minute) > 59 or int(second) > 59:
            return INVALID
        offset_minutes = _offset_minutes(zone)
        if offset_minutes is None:
            return INVALID
        # Parquet TIMESTAMP_MILLIS: sub-millisecond digits are truncated.
        millis = int((fraction or ".")[1:4].ljust(3, "0"))
        days = _days_from_civil(int(year), int(month), int(day))  # Date.parse reads the year as written
        seconds = int(hour) * 3600 + int(minute) * 60 + int(second) - offset_minutes * 60
        return days * MILLIS_PER_DAY + seconds * 1000 + millis

    def date(self, value: Any) -> Coerced | _Invalid:
        if not isinstance(value, str):
            return INVALID
        match = self.date_text(js_trim(value))
        if match is None:
            return INVALID
        year, month, day = (int(group) for group in match.groups()[:3])
        if not valid_calendar_day(year, month, day):
            return INVALID
        return _js_date_utc_days(year, month, day)

    def for_type(self, column_type: str) -> FieldCoercer:
        return {
            "string": _coerce_string,
            "int": self.int32,
            "bigint": self.int64,
            "double": _coerce_double,
            "boolean": _coerce_boolean,
            "timestamp": self.timestamp,
            "date": self.date,
            "map<string,string>": _coerce_string_map,
        }[column_type]


def _integer_text_value(text: str) -> int:
    """The value of an integer text the pattern accepted; beyond 64 bits only its sign matters."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").lstrip("0") or "0"
    # Python refuses int() of very long texts; anything past 25 digits is out of every range anyway.
    return sign * (10**25 if len(digits) > 25 else int(digits))


def _offset_minutes(zone: Optional[str]) -> Optional[int]:
    """Minutes east of UTC of a zone the pattern accepted; None where ``Date.parse`` gives NaN."""
    if zone is None or zone.upper() == "Z":
        return 0
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
    if hours > 23 or minutes > 59:
        return None
    return (hours * 60 + minutes) * (-1 if zone[0] == "-" else 1)


def describe(value: Any, rules: Coercion) -> str:
    """handlers/coerce.ts `describe`: a value as a rejection quotes it, cut in UTF-16 units."""
    text = js_stringify(value) if isinstance(value, (str, dict, list)) or value is None else _coerce_string(value)
    assert isinstance(text, str)
    if utf16_length(text) > rules.describe_max_length:
        return utf16_slice(text, rules.describe_keep) + rules.describe_ellipsis
    return text


RecordCoercer = Callable[[Mapping[str, Any]], "tuple[Optional[list[Coerced]], Optional[Rejection]]"]


def record_coercer(dataset: Dataset, rules: Coercion) -> RecordCoercer:
    """The coercer of one dataset: returns the values in column order, or why the record is rejected."""
    coercers = _Coercers(rules)
    columns: tuple[Column, ...] = dataset.columns
    prepared = [(column, coercers.for_type(column.type)) for column in columns]

    def coerce(record: Mapping[str, Any]) -> tuple[Optional[list[Coerced]], Optional[Rejection]]:
        values: list[Coerced] = []
        for column, coercer in prepared:
            raw = record.get(column.name)
            if raw is None or raw == "" and isinstance(raw, str):
                if column.required:
                    return None, Rejection("missing_required", rules.missing_required.format(column=column.name), column.name)
                values.append(None)
                continue
            value = coercer(raw)
            if value is INVALID:
                detail = rules.invalid_value.format(column=column.name, expected=column.expected, value=describe(raw, rules))
                return None, Rejection("invalid_value", detail, column.name)
            values.append(value)  # type: ignore[arg-type]
        return values, None

    return coerce
