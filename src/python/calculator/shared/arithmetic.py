"""Exact arithmetic: integers of any (bounded) size and decimals without float rounding."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from calculator.shared.numbers import EXACT, Number


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
    return add(a, b) if operation is Operation.ADD else multiply(a, b)
