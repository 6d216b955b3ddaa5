"""JavaScript's value semantics, as the processor (Node.js) applies them to raw records.

The processor parses with ``JSON.parse`` (numbers as doubles, integer-like keys first, the last value
of a repeated key, any depth: V8's parser does not recurse), trims with ``String.prototype.trim``,
converts with ``Number()`` and ``String()``, checks ``isWellFormed`` and measures and cuts text in
UTF-16 code units. The Spark conversion must produce the same values, so this module implements those
few engine rules once, in Python.
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


class _RepeatSpotter:
    """The decoder's object hook: builds objects as ``js_object`` does and notes whether any object of
    the text wrote a key twice (``JSON.parse`` keeps the last value silently; the processor rejects
    some of those, which only a scan of the text can tell: see ``json_text.duplicate_key``)."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, pairs: list[tuple[str, JsValue]]) -> dict[str, JsValue]:
        merged = js_object(pairs)
        if len(merged) != len(pairs):
            self.seen = True
        return merged


_SPOTTER = _RepeatSpotter()
_DECODER = json.JSONDecoder(object_pairs_hook=_SPOTTER, parse_int=float, parse_float=float, parse_constant=_reject_constant)


_TOKEN = re.compile(
    r'[ \t\n\r]*(?:(?P<string>"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")'
    r"|(?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<literal>true|false|null)|(?P<punct>[\[\]{},:]))"
)
_LITERALS: dict[str, JsValue] = {"true": True, "false": False, "null": None}


def _deep_parse(text: str, spotter: _RepeatSpotter) -> JsValue:
    """``JSON.parse`` without recursion, for values nested deeper than Python's decoder recurses
    (V8's parser is iterative: a 10,000-level value parses in Node). Slower, and only used then.

    ``state`` is what may come next: a value, a value or ``]`` (after ``[``), a key or ``}`` (after
    ``{``), a key (after a comma in an object), a colon, a comma or the container's close, or nothing.
    """
    # Each open container: [is_object, items, pending key].
    stack: list[list[Any]] = []
    state, at, result = "value", 0, None
    while True:
        match = _TOKEN.match(text, at)
        if match is None:
            if state == "end" and text[at:].strip(" \t\n\r") == "":
                return result
            raise JsonSyntaxError(f"Unexpected token in JSON at position {at}")
        at, kind = match.end(), match.lastgroup
        token = match.group(kind or 0)
        top = stack[-1] if stack else None
        if state == "end":
            raise JsonSyntaxError(f"Unexpected non-whitespace character after JSON at position {match.start(kind)}")
        if state == "colon":
            if token != ":":
                raise JsonSyntaxError(f"Expected ':' after property name in JSON at position {match.start(kind)}")
            state = "value"
            continue
        if state == "comma_or_close" and token == ",":
            state = "key" if top is not None and top[0] else "value"
            continue
        if token in ("]", "}") and kind == "punct" and top is not None and (token == "}") == top[0] and state in ("comma_or_close", "value_or_close", "key_or_close"):
            stack.pop()
            value: JsValue = spotter(top[1]) if top[0] else top[1]
        elif state in ("key", "key_or_close"):
            if kind != "string":
                raise JsonSyntaxError(f"Expected double-quoted property name in JSON at position {match.start(kind)}")
            top[2] = json.loads(token)  # type: ignore[index]
            state = "colon"
            continue
        elif state not in ("value", "value_or_close"):
            raise JsonSyntaxError(f"Unexpected token in JSON at position {match.start(kind)}")
        elif kind == "punct" and token in "[{":
            stack.append([token == "{", [], None])
            state = "key_or_close" if token == "{" else "value_or_close"
            continue
        elif kind == "string":
            value = json.loads(token)
        elif kind == "number":
            value = float(token)
        elif kind == "literal":
            value = _LITERALS[token]
        else:
            raise JsonSyntaxError(f"Unexpected token in JSON at position {match.start(kind)}")
        if not stack:
            result, state = value, "end"
            continue
        parent = stack[-1]
        parent[1].append((parent[2], value) if parent[0] else value)
        state = "comma_or_close"


def js_json_parse_noting_repeats(text: str) -> tuple[JsValue, bool]:
    """``JSON.parse(text)``, and whether any object in it wrote a key twice.

    Raises:
        JsonSyntaxError: where ``JSON.parse`` throws.
    """
    _SPOTTER.seen = False
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise JsonSyntaxError(str(error)) from error
    except RecursionError:
        _SPOTTER.seen = False
        value = _deep_parse(text, _SPOTTER)
    return value, _SPOTTER.seen


def js_json_parse(text: str) -> JsValue:
    """``JSON.parse(text)``: numbers become doubles, objects keep JavaScript's key order.

    Raises:
        JsonSyntaxError: where ``JSON.parse`` throws.
    """
    return js_json_parse_noting_repeats(text)[0]


def js_is_well_formed(text: str) -> bool:
    """``text.isWellFormed()``: no lone UTF-16 surrogate (``JSON.parse`` of ``"\\ud800"`` makes one)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def js_pad_start(text: str, width: int, fill: str = " ") -> str:
    """``text.padStart(width, fill)`` for a one-character fill: no sign handling (``"-1"`` → ``"00-1"``)."""
    return text.rjust(width, fill)


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
