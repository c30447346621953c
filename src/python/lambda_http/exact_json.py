"""JSON with exact numbers: parsed to `int` and `Decimal` (never `float`), written with every digit.

An HTTP API that answers with exact numbers needs both directions: a request's `0.1` stays
`Decimal("0.1")`, and an answer's 30-digit integer or `1E+400` is written as it is (valid JSON
that a client must parse as a decimal to keep; docs/api.md). The bounds keep the parse cheap: a
number has at most MAX_DIGITS significant digits and an exponent within +/-MAX_EXPONENT, so a
client cannot send the logic a number that is a denial of service to compute with.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

MAX_DIGITS = 1000
MAX_EXPONENT = 1000

Number = int | Decimal


class OutOfBounds(ValueError):
    """A number outside the documented bounds."""


def check_bounds(value: Number) -> Number:
    if isinstance(value, int):
        digits = len(str(abs(value)))
        exponent = 0
    else:
        _, coefficient, exponent_value = value.as_tuple()
        if not isinstance(exponent_value, int):
            raise OutOfBounds("must be a finite number")
        digits, exponent = len(coefficient), exponent_value
    if digits > MAX_DIGITS:
        raise OutOfBounds(f"must have at most {MAX_DIGITS} digits")
    if not -MAX_EXPONENT <= exponent <= MAX_EXPONENT:
        raise OutOfBounds(f"must have an exponent between -{MAX_EXPONENT} and {MAX_EXPONENT}")
    return value


def _parse_int(text: str) -> int:
    # Checked before int(): CPython refuses > 4300 digits with a ValueError, and a long digit
    # string is still quadratic to convert.
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise OutOfBounds(f"must have at most {MAX_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> Decimal:
    return Decimal(text)


def _reject_constant(name: str) -> Decimal:
    raise OutOfBounds(f"{name} is not a number JSON allows")


def loads(text: str | bytes) -> Any:
    """JSON to Python with exact numbers; OutOfBounds or json.JSONDecodeError on bad input."""
    return json.loads(
        text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_reject_constant
    )


def dumps(value: object) -> str:
    """Python to JSON in which every number, Decimal included, keeps all of its digits."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{dumps(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON representation")
        return str(value)  # e.g. "0.3", "1.5E+7": valid JSON numbers
    return json.dumps(value)
