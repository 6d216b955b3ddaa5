"""Coercion driven by the contract (handlers/coerce.ts's rules; expected values are Node's)."""
import dataclasses

import pytest

from datalake_glue.coercion import JsonSource, describe, record_coercer
from datalake_glue.contract import PartitionYears
from datalake_glue.jsvalues import js_json_parse_noting_repeats
from datalake_glue.partitions import PartitionDays


def coerce_json(contract, dataset: str, text: str):
    """Coerces a record as a JSON Lines reader hands it over: parsed, with its text."""
    record, repeated = js_json_parse_noting_repeats(text)
    return record_coercer(contract.dataset(dataset), contract.coercion)(record, JsonSource(text, repeated))


def test_coerces_every_type_from_text(contract) -> None:
    # Prepare
    coerce = record_coercer(contract.dataset("all_types"), contract.coercion)
    # Act
    values, rejection = coerce({"s": "x", "i": "-12", "b": "9007199254740993", "d": "2.5", "f": "TRUE", "t": "2026-11-20 11:30:00.1234+01:00", "day": "2026-02-28", "m": '{"a":"x","n":1.50,"z":null}'}, None)
    # Assess
    assert rejection is None
    assert values == ["x", -12, 9007199254740993, 2.5, True, 1795170600123, 20512, {"a": "x", "n": "1.50", "z": None}]


def test_numbers_in_text_targets_keep_their_text_and_years_below_100_are_as_written(contract) -> None:
    # Act
    values, rejection = coerce_json(
        contract, "all_types", '{"s":1.50,"b":9007199254740993,"t":"0001-01-01T00:00:00Z","day":"0050-06-01","m":{"n":1e400,"z":-0,"t":true,"x":null}}'
    )
    general, _ = coerce_json(contract, "all_types", '{"s":"x","t":"0099-12-31 23:59:59.9999+01:00"}')
    # Assess
    assert rejection is None
    assert values == ["1.50", None, 9007199254740993, None, None, -62135596800000, -701114, {"n": "1e400", "z": "-0", "t": "true", "x": None}]
    assert general[5] == -59011462800001


@pytest.mark.parametrize(
    "text, reason, column, detail",
    [
        ('{"s":"x","b":"-9223372036854775809","t":"2026-11-20T10:00:00Z"}', "invalid_value", "b", 'b must be a 64-bit integer, got "-9223372036854775809"'),
        ('{"s":"x","b":1e20,"t":"2026-11-20T10:00:00Z"}', "invalid_value", "b", "b must be a 64-bit integer, got 100000000000000000000"),
        ('{"s":"\\ud800","t":"2026-11-20T10:00:00Z"}', "invalid_utf8", "s", "s holds a lone UTF-16 surrogate (a \\uD800–\\uDFFF escape without its pair), which UTF-8 cannot encode"),
        ('{"s":"x","t":"2026-11-20T10:00:00Z","m":{"\\udc00":"v"}}', "invalid_utf8", "m", None),
        ('{"s":"x","t":"2026-11-20T10:00:00Z","m":"{\\"k\\":1,\\"k\\":2}"}', "duplicate_key", "m", "m writes a key twice; which value holds is ambiguous"),
        ('{"s":"x","s":"y","t":"2026-11-20T10:00:00Z"}', "duplicate_key", "s", 'key "s" is written twice; which value holds is ambiguous'),
        ('{"s":"x","t":"2026-11-20T10:00:00Z","m":{"k":"1","k":"2"}}', "duplicate_key", "m", 'key "m.k" is written twice; which value holds is ambiguous'),
        ('{"s":"x","i":[1,2],"i":3,"t":"2026-11-20T10:00:00Z"}', "duplicate_key", "i", None),
        ('{"s":"x","i":[1,2],"t":"2026-11-20T10:00:00Z","s":"y"}', "invalid_value", "i", "i must be a 32-bit integer, got an array of 2 items"),
        ('{"s":"x","t":"2026-11-20T10:00:00Z","m":{"k":{"deep":1}}}', "invalid_value", "m", 'm must be an object of string values, got an object with keys "k"'),
    ],
)
def test_rejections_with_the_contracts_wording(contract, text: str, reason: str, column: str, detail) -> None:
    # Act
    values, rejection = coerce_json(contract, "all_types", text)
    # Assess
    assert values is None
    assert (rejection.reason, rejection.column) == (reason, column)
    if detail is not None:
        assert rejection.detail == detail


def test_a_key_written_twice_outside_the_columns_and_their_maps_is_not_a_rejection(contract) -> None:
    # Act
    values, rejection = coerce_json(contract, "all_types", '{"s":"x","t":"2026-11-20T10:00:00Z","other":{"k":1,"k":2}}')
    # Assess
    assert rejection is None and values[0] == "x"


def test_first_failing_column_decides_with_the_contracts_wording(contract) -> None:
    # Prepare
    coerce = record_coercer(contract.dataset("events"), contract.coercion)
    # Act
    _, missing = coerce({"user_id": "x"}, None)
    _, invalid = coerce({"event_id": "e", "user_id": "x" * 100}, None)
    # Assess
    assert (missing.reason, missing.column, missing.detail) == ("missing_required", "event_id", "event_id is required")
    assert invalid.reason == "invalid_value" and invalid.detail == f'user_id must be a 32-bit integer, got "{"x" * 76}...'


@pytest.mark.parametrize(
    "value, described",
    [
        ([1.0], "an array of 1 item"),
        ([], "an array of 0 items"),
        ({}, "an object with keys "),
        ({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}, 'an object with keys "a", "b", "c", … (4 keys)'),
        ({"2": 0.0, "k" * 25: 1.0}, 'an object with keys "2", "kkkkkkkkkkkkkkkkkkkk…"'),
        ("😀" * 50, '"' + "😀" * 38 + "..."),
        ("a" * 79 + "😀", '"' + "a" * 76 + "..."),
        (True, "true"),
        (1e21, "1e+21"),
    ],
)
def test_describe_is_the_processors(contract, value, described: str) -> None:
    # Act / Assess
    assert describe(value, contract.coercion) == described


def test_partition_days_refuse_years_outside_the_projection_and_name_year_zero(contract) -> None:
    # Prepare
    days = PartitionDays(dataclasses.replace(contract, partition_years=PartitionYears(1, 2999)), contract.dataset("events"))
    year_zero, year_one = -719528, -719162
    # Act
    refused, kept = days.refusal(year_zero), days.refusal(year_one)
    # Assess
    assert refused.reason == "out_of_range" and refused.column == "event_timestamp"
    assert refused.detail.startswith("event_timestamp is in 0, outside the years Athena's partition projection covers (1-2999")
    assert kept is None
    assert (days.path(year_zero), days.path(year_zero - 1)) == ("year=0000/month=01/day=01/", "year=00-1/month=12/day=31/")
