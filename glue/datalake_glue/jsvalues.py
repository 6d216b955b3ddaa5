"""JavaScript's value semantics, as the processor (Node.js) applies them to raw records.

The processor parses with ``JSON.parse``, trims with ``String.prototype.trim``, converts with
``Number()`` and ``String()``, and measures and cuts text in UTF-16 code units. The Spark conversion
must produce the same values, so this module implements those few engine rules once, in Python.
Dataset rules (types, patterns, wording) do not live here: they come from the contract the program
generates from TypeScript (``contract.py``).

Example::

    >>> js_number_to_string(1e21), js_number_to_string(0.1 + 0.2)
    ('1e+21', '0.30000000000000004')
    >>> js_trim("\\u00a0 7 \\ufeff")
    '7'
"""
from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any, Callable, Iterable

#: ``String.prototype.trim``'s WhiteSpace and LineTerminator code points (ECMA-262).
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

#: A JSON value as ``JSON.parse`` returns it: numbers are always IEEE doubles.
JsValue = Any


def js_trim(text: str) -> str:
    """``text.trim()``."""
    return text.strip(JS_WHITESPACE)


def js_number_to_string(number: float) -> str:
    """``String(number)`` (ECMA-262 Number::toString, radix 10)."""
    if math.isnan(number):
        return "NaN"
    if number == 0:
        return "0"
    if number < 0:
        return "-" + js_number_to_string(-number)
    if math.isinf(number):
        return "Infinity"
    # repr gives the shortest digits that round-trip, as ECMAScript requires.
    sign, digit_tuple, exponent = Decimal(repr(float(number))).as_tuple()
    digits = "".join(str(d) for d in digit_tuple).rstrip("0") or "0"
    assert isinstance(exponent, int)
    k = len(digits)
    n = exponent + len("".join(str(d) for d in digit_tuple))
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def utf16_length(text: str) -> int:
    """``text.length``: code points above U+FFFF count twice."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def utf16_slice(text: str, end: int) -> str:
    """``text.slice(0, end)``, which may split a surrogate pair (the half is kept as a lone surrogate)."""
    if text.isascii() or utf16_length(text) <= end:
        return text[:end]
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * end]
    return units.decode("utf-16-le", "surrogatepass")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def js_quote(text: str) -> str:
    """``JSON.stringify(text)`` for a string (lone surrogates escaped, as since ES2019)."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def js_stringify(value: JsValue) -> str:
    """``JSON.stringify(value)`` for what ``js_json_parse`` returns (and plain str/int/bool/None/list/dict)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        number = float(value)
        return js_number_to_string(number) if math.isfinite(number) else "null"
    if isinstance(value, str):
        return js_quote(value)
    if isinstance(value, list):
        return "[" + ",".join(js_stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(js_quote(key) + ":" + js_stringify(item) for key, item in value.items()) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def js_typeof(value: JsValue) -> str:
    """``typeof value`` for a parsed JSON value."""
    if value is None or isinstance(value, (dict, list)):
        return "object"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MAX_ARRAY_INDEX = 2**32 - 2


def _is_array_index(key: str) -> bool:
    return _ARRAY_INDEX.fullmatch(key) is not None and int(key) <= _MAX_ARRAY_INDEX


def js_object(pairs: Iterable[tuple[str, JsValue]]) -> dict[str, JsValue]:
    """An object as JavaScript orders its keys: array indices ascending first, then insertion order.

    A repeated key keeps its first position and its last value, as ``JSON.parse`` does.
    """
    merged: dict[str, JsValue] = dict(pairs)
    # Most objects have no key starting with a digit: nothing to reorder.
    if not any("0" <= key[:1] <= "9" for key in merged):
        return merged
    indices = [key for key in merged if _is_array_index(key)]
    if not indices:
        return merged
    indices.sort(key=int)
    ordered = {key: merged[key] for key in indices}
    ordered.update((key, value) for key, value in merged.items() if not _is_array_index(key))
    return ordered


class JsonSyntaxError(ValueError):
    """``JSON.parse`` would throw a SyntaxError."""


def _reject_constant(name: str) -> float:
    raise JsonSyntaxError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=js_object, parse_int=float, parse_float=float, parse_constant=_reject_constant)


def js_json_parse(text: str) -> JsValue:
    """``JSON.parse(text)``: numbers become doubles, objects keep JavaScript's key order.

    Raises:
        JsonSyntaxError: where ``JSON.parse`` throws.
    """
    try:
        return _DECODER.decode(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise JsonSyntaxError(str(error)) from error


_DECIMAL_LITERAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_NON_DECIMAL = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
_NON_DECIMAL_DIGITS = {16: re.compile(r"[0-9a-fA-F]+"), 8: re.compile(r"[0-7]+"), 2: re.compile(r"[01]+")}


def js_string_to_number(text: str) -> float:
    """``Number(text)`` (ECMA-262 StringToNumber); NaN where JavaScript gives NaN."""
    literal = js_trim(text)
    if literal == "":
        return 0.0
    base = _NON_DECIMAL.get(literal[:2])
    if base is not None:
        digits = literal[2:]
        return float(int(digits, base)) if _NON_DECIMAL_DIGITS[base].fullmatch(digits) else math.nan
    if _DECIMAL_LITERAL.fullmatch(literal) is None:
        return math.nan
    if literal.lstrip("+-") == "Infinity":
        return -math.inf if literal.startswith("-") else math.inf
    return float(literal)


def compile_js_regex(source: str, flags: str) -> Callable[[str], re.Match[str] | None]:
    """A ``RegExp`` without the ``u`` flag, as a Python search function with JavaScript's classes.

    ``\\d`` is ASCII digits only, ``\\s`` JavaScript's whitespace set, and ``$`` only the end of input.
    """
    translated = source.replace("\\d", "[0-9]").replace("\\s", "[" + "".join(f"\\u{ord(c):04x}" for c in JS_WHITESPACE) + "]")
    if translated.endswith("$") and not translated.endswith("\\$"):
        translated = translated[:-1] + r"\Z"
    unsupported = set(flags) - {"i"}
    if unsupported:
        raise ValueError(f"unsupported RegExp flags {sorted(unsupported)}")
    compiled = re.compile(translated, re.IGNORECASE if "i" in flags else 0)
    return compiled.search
