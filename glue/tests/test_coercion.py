"""Coercion driven by the contract (handlers/coerce.ts's rules)."""
from datalake_glue.coercion import record_coercer


def test_coerces_every_type_from_text(contract) -> None:
    # Prepare
    coerce = record_coercer(contract.dataset("all_types"), contract.coercion)
    # Act
    values, rejection = coerce({"s": 42.0, "i": "-12", "b": "9007199254740993", "d": "2.5", "f": "TRUE", "t": "2026-11-20 11:30:00.1234+01:00", "day": "2026-02-28", "m": {"a": "x", "n": 1.0, "z": None}})
    # Assess
    assert rejection is None
    assert values == ["42", -12, 9007199254740993, 2.5, True, 1795170600123, 20512, {"a": "x", "n": "1", "z": None}]


def test_first_failing_column_decides_with_the_contracts_wording(contract) -> None:
    # Prepare
    coerce = record_coercer(contract.dataset("events"), contract.coercion)
    # Act
    _, missing = coerce({"user_id": "x"})
    _, invalid = coerce({"event_id": "e", "user_id": "x" * 100})
    # Assess
    assert (missing.reason, missing.column, missing.detail) == ("missing_required", "event_id", "event_id is required")
    assert invalid.reason == "invalid_value" and invalid.detail == f'user_id must be a 32-bit integer, got "{"x" * 76}...'


def test_years_below_100_read_as_date_utc_reads_them_in_the_canonical_form(contract) -> None:
    # Prepare
    coerce = record_coercer(contract.dataset("all_types"), contract.coercion)
    # Act
    canonical, _ = coerce({"s": "x", "t": "0050-06-01T00:00:00Z"})
    general, _ = coerce({"s": "x", "t": "0050-06-01 00:00:00Z"})
    # Assess
    assert canonical[5] == -618105600000  # 1950-06-01, as Date.UTC(50, 5, 1) gives it in Node
    assert general[5] == -60576249600000  # 0050-06-01, as Date.parse gives it in Node
