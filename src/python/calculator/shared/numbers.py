"""The service's numbers: exact integers and decimals within documented bounds, as JSON text.

JSON numbers are parsed straight to `int` and `Decimal` (never through `float`), and written
back with every digit. The bounds keep arithmetic cheap: multiplying two unbounded integers
is a denial of service, so an operand has at most MAX_DIGITS significant digits and an
exponent within +/-MAX_EXPONENT.
"""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from typing import Any

MAX_DIGITS = 1000
MAX_EXPONENT = 1000
# Wide enough that sums and products of in-bound operands are never rounded:
# exponents span at most 2 * MAX_EXPONENT + 2 * MAX_DIGITS digits.
EXACT = decimal.Context(
    prec=2 * (MAX_DIGITS + MAX_EXPONENT) + 10,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow, decimal.DivisionByZero],
)

Number = int | Decimal


class OutOfBounds(ValueError):
    """A number outside the service's documented bounds."""


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


def parse_exact(text: str) -> Number:
    """The inverse of `str()` on a Number: how history stores numbers (as strings)."""
    return int(text) if text.lstrip("-").isdigit() else Decimal(text)
