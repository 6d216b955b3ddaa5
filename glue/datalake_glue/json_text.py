"""Reading a JSON text that the parser already accepted, for what parsing throws away.

``JSON.parse`` (and ``jsvalues.js_json_parse``) returns ``9007199254740993``, ``1e400`` and ``1.50``
as ``…992``, ``Infinity`` and ``1.5``, and keeps the last value of a key written twice. The
processor reads the record's text again for the number as written (a number read into a text
column, a bigint beyond 2^53) and for keys written twice (handlers/json-text.ts); this module is
that scan, so the job finds the same text and the same key. It only looks at ASCII delimiters, so
Python's code-point indices and JavaScript's UTF-16 ones cut the same slices. Iterative: no depth
can overflow the stack.

Example::

    >>> member_text('{"id":9007199254740993,"m":{"n":1.50}}', ["m", "n"])
    '1.50'
    >>> duplicate_key('{"a":1,"m":{"k":"x","k":"y"}}', {"m"})
    'm.k'
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import AbstractSet, Iterator, Optional, Sequence

_WHITESPACE = " \n\r\t"


def _skip_whitespace(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at


def _string_end(text: str, at: int) -> int:
    """The index just after the string that starts (with its quote) at ``at``, or -1 when unterminated."""
    end = text.find('"', at + 1)
    while end != -1:
        backslashes = 0
        while text[end - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return end + 1
        end = text.find('"', end + 1)
    return -1


def _value_end(text: str, at: int) -> int:
    """The index just after the value that starts at ``at`` (a container is skipped to its matching end)."""
    first = text[at : at + 1]
    if first == '"':
        return _string_end(text, at)
    if first not in ("{", "["):
        end = at
        while end < len(text) and text[end] not in ",}]" and text[end] not in _WHITESPACE:
            end += 1
        return end
    depth, index = 0, at
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _string_end(text, index) - 1
            if index < 0:
                return -1
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return -1


@dataclass(frozen=True)
class JsonMember:
    """One ``"key": value`` of an object: the decoded key and where its value's text lies."""

    key: str
    value_start: int
    value_end: int


def _decode_key(raw: str) -> str:
    return json.loads(raw) if "\\" in raw else raw[1:-1]


def object_members(text: str, at: int) -> Iterator[JsonMember]:
    """The members of the object whose ``{`` is at ``at``, in text order (repeated keys included)."""
    if text[at : at + 1] != "{":
        return
    cursor = _skip_whitespace(text, at + 1)
    if text[cursor : cursor + 1] == "}":
        return
    while cursor < len(text) and text[cursor] == '"':
        key_end = _string_end(text, cursor)
        if key_end < 0:
            return
        key = _decode_key(text[cursor:key_end])
        colon = _skip_whitespace(text, key_end)
        if text[colon : colon + 1] != ":":
            return
        value_start = _skip_whitespace(text, colon + 1)
        end = _value_end(text, value_start)
        if end < 0:
            return
        yield JsonMember(key, value_start, end)
        cursor = _skip_whitespace(text, end)
        if text[cursor : cursor + 1] != ",":
            return
        cursor = _skip_whitespace(text, cursor + 1)


def member_text(text: str, path: Sequence[str]) -> Optional[str]:
    """The exact text of the value at a path of object keys, as written (the last one when a key
    repeats, as the parser keeps the last), or None when there is none."""
    at = _skip_whitespace(text, 0)
    found: Optional[JsonMember] = None
    for key in path:
        found = None
        for member in object_members(text, at):
            if member.key == key:
                found = member
        if found is None:
            return None
        at = found.value_start
    return None if found is None else text[found.value_start : found.value_end]


def number_text(text: str, path: Sequence[str]) -> Optional[str]:
    """The exact text of the JSON number at ``path``, or None when the value there is not a number."""
    found = member_text(text, path)
    return found if found and not found.startswith('"') else None


def duplicate_key(text: str, nested: AbstractSet[str] = frozenset()) -> Optional[str]:
    """The first key written twice in the top-level object, or inside the object value of one of the
    ``nested`` top-level keys (reported as ``parent.key``); None when every key is written once."""
    top: set[str] = set()
    for member in object_members(text, _skip_whitespace(text, 0)):
        if member.key in top:
            return member.key
        top.add(member.key)
        if member.key not in nested:
            continue
        inner: set[str] = set()
        for child in object_members(text, member.value_start):
            if child.key in inner:
                return f"{member.key}.{child.key}"
            inner.add(child.key)
    return None
