"""Reading a record's JSON text again: numbers as written, keys written twice (handlers/json-text.ts)."""
from datalake_glue.json_text import duplicate_key, member_text, number_text


def test_member_text_is_the_value_as_written_the_last_when_a_key_repeats() -> None:
    # Prepare
    text = '{"id": 9007199254740993 ,"m":{"n":1.50,"s":"1","n":2e3},"q":"x\\"y"}'
    # Act / Assess
    assert member_text(text, ["id"]) == "9007199254740993"
    assert member_text(text, ["m", "n"]) == "2e3"
    assert member_text(text, ["q"]) == '"x\\"y"'
    assert number_text(text, ["m", "s"]) is None
    assert member_text(text, ["missing"]) is None


def test_duplicate_key_reports_the_first_repeat_at_the_top_or_in_a_nested_map() -> None:
    # Act / Assess
    assert duplicate_key('{"a":1,"m":{"k":"x","k":"y"},"a":2}', {"m"}) == "m.k"
    assert duplicate_key('{"a":1,"b":{"k":1,"k":2},"a":2}', {"m"}) == "a"
    assert duplicate_key('{"\\u0061":1,"a":2}') == "a"
    assert duplicate_key('{"a":[{"b":1,"b":2}]}') is None
