"""Exact arithmetic: integers of any (bounded) size and decimals without float rounding."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import assert_never

from calculator.shared.numbers import EXACT
from lambda_http.exact_json import Number


class Operation(StrEnum):
    ADD = "add"
    MULTIPLY = "multiply"


def add(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    return EXACT.add(Decimal(a), Decimal(b))


def multiply(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    return EXACT.multiply(Decimal(a), Decimal(b))


def apply(operation: Operation, a: Number, b: Number) -> Number:
    # Exhaustive: a new Operation without a case here is a mypy error, not a silent multiply.
    match operation:
        case Operation.ADD:
            return add(a, b)
        case Operation.MULTIPLY:
            return multiply(a, b)
        case _:
            assert_never(operation)
