"""JavaScript's value rules as the processor's Node.js applies them (expected values from Node)."""
import math

import pytest

from datalake_glue.jsvalues import (
    JsonSyntaxError,
    compile_js_regex,
    js_is_well_formed,
    js_json_parse,
    js_json_parse_noting_repeats,
    js_pad_start,
    js_number_to_string,
    js_quote,
    js_string_to_number,
    js_trim,
    utf16_length,
    utf16_slice,
)


@pytest.mark.parametrize(
    "number, text",
    [
        (1.0, "1"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (123456789012345680000.0, "123456789012345680000"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-1.5, "-1.5"),
        (math.inf, "Infinity"),
        (math.nan, "NaN"),
    ],
)
def test_number_to_string_is_javascripts(number: float, text: str) -> None:
    # Act
    result = js_number_to_string(number)
    # Assess
    assert result == text


def test_trim_uses_javascripts_whitespace() -> None:
    # Prepare
    text = "\u00a0\ufeff x \u2028"
    # Act / Assess
    assert js_trim(text) == "x"
    assert js_trim("\x1cx") == "\x1cx"  # Python's str.strip would remove the file separator


def test_json_parse_gives_doubles_and_javascripts_key_order() -> None:
    # Act
    parsed = js_json_parse('{"b": 1, "2": 2, "a": 3, "1": 4, "b": 5, "4294967295": 6}')
    # Assess
    assert list(parsed) == ["1", "2", "b", "a", "4294967295"]
    assert parsed["b"] == 5.0 and isinstance(parsed["b"], float)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "{'a': 1}", "[1,]", "\ufeff{}", "01", "1."])
def test_json_parse_refuses_what_javascript_refuses(text: str) -> None:
    # Act / Assess
    with pytest.raises(JsonSyntaxError):
        js_json_parse(text)


def test_stringify_escapes_as_javascript() -> None:
    # Act / Assess
    assert js_quote('a"\\\n\x01\u2028') == '"a\\"\\\\\\n\\u0001\u2028"'
    assert js_quote("\ud83d") == '"\\ud83d"'


@pytest.mark.parametrize(
    "text, number",
    [("0x1F", 31.0), (" 1e5 ", 100000.0), ("-.5", -0.5), ("+7", 7.0), ("0b101", 5.0), ("0o17", 15.0), ("", 0.0), ("Infinity", math.inf)],
)
def test_string_to_number(text: str, number: float) -> None:
    # Act / Assess
    assert js_string_to_number(text) == number


@pytest.mark.parametrize("text", ["1_000", "-0x1F", "nan", "inf", "١٢", "1e", "12abc"])
def test_string_to_number_nan(text: str) -> None:
    # Act / Assess
    assert math.isnan(js_string_to_number(text))


def test_utf16_units() -> None:
    # Prepare
    text = "ab😀c"
    # Act / Assess
    assert utf16_length(text) == 5
    assert utf16_slice(text, 3).encode("utf-16-le", "surrogatepass") == "ab\ud83d".encode("utf-16-le", "surrogatepass")


def test_js_regex_classes() -> None:
    # Prepare
    search = compile_js_regex(r"^\d+\s*$", "")
    # Act / Assess
    assert search("12\u00a0") is not None
    assert search("١٢") is None
    assert search("12\n") is not None  # \s matches the newline; $ is the end of input only
    assert compile_js_regex(r"^a$", "")("a\n") is None


def test_json_parse_notes_a_key_written_twice_at_any_depth() -> None:
    # Act / Assess
    assert js_json_parse_noting_repeats('{"a":1,"b":[{"c":1,"c":2}]}') == ({"a": 1.0, "b": [{"c": 2.0}]}, True)
    assert js_json_parse_noting_repeats('{"a":{"a":1}}')[1] is False


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_json_parse_reads_any_depth_as_v8_does(depth: int) -> None:
    # Prepare
    text = '{"k":' * depth + '{"k":1,"k":2}' + "}" * depth
    # Act
    value, repeated = js_json_parse_noting_repeats(text)
    # Assess
    for _ in range(depth):
        value = value["k"]
    assert (value, repeated) == ({"k": 2.0}, True)


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 4999, "[" * 5000 + "1,]" + "]" * 4999, '{"a":' * 3000 + "}" * 3000])
def test_deep_json_parse_refuses_what_javascript_refuses(text: str) -> None:
    # Act / Assess
    with pytest.raises(JsonSyntaxError):
        js_json_parse(text)


def test_well_formed_and_pad_start_are_javascripts() -> None:
    # Act / Assess
    assert js_is_well_formed("😀é") and not js_is_well_formed("a\ud800")
    assert [js_pad_start("7", 4, "0"), js_pad_start("-1", 4, "0"), js_pad_start("12345", 4, "0")] == ["0007", "00-1", "12345"]
