"""One rejected-records line, as handlers/convert.ts writes it with ``JSON.stringify``.

Fields come in the contract's order (``rejectedFields``); ``column`` is left out when the rejection
names none; ``record`` is the raw record as text, as read (a JSON Lines line, an array element, a CSV
record's lines; a line over the limit keeps its first KiB). The line number is only known once every
task has counted its lines, so the line is built with a placeholder the driver replaces
(``LINE_PLACEHOLDER``).

Example::

    rejected_line(contract, "raw/events/a.jsonl", Rejection("malformed_json", "…"), "{oops")
    # '{"source_key":"raw/events/a.jsonl","line_number":\\x00LINE\\x00,"reason":"malformed_json","detail":"…","record":"{oops"}'
"""
from __future__ import annotations

from .coercion import Rejection
from .contract import Contract
from .jsvalues import js_quote

#: Stands for the line number until it is known; JSON text never holds a raw NUL.
LINE_PLACEHOLDER = "\u0000LINE\u0000"


def rejected_line(contract: Contract, source_key: str, rejection: Rejection, raw: str, line: int | None = None) -> str:
    """The JSON text of one rejected record (with ``LINE_PLACEHOLDER`` when ``line`` is None)."""
    values: dict[str, str] = {
        "source_key": js_quote(source_key),
        "line_number": LINE_PLACEHOLDER if line is None else str(line),
        "reason": js_quote(rejection.reason),
        "detail": js_quote(rejection.detail),
        "record": js_quote(raw),
    }
    if rejection.column:
        values["column"] = js_quote(rejection.column)
    unknown = set(values) - set(contract.rejected_fields)
    if unknown:
        raise ValueError(f"the contract's rejected fields lack {sorted(unknown)}")
    return "{" + ",".join(f"{js_quote(name)}:{values[name]}" for name in contract.rejected_fields if name in values) + "}"
