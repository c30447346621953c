"""Exact arithmetic: integers of any size and decimals without binary floating-point rounding."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

Number = int | Decimal


class Operation(str, Enum):
    ADD = "add"
    MULTIPLY = "multiply"


def add(a: Number, b: Number) -> Number:
    return a + b


def multiply(a: Number, b: Number) -> Number:
    return a * b


def apply(operation: Operation, a: Number, b: Number) -> Number:
    return add(a, b) if operation is Operation.ADD else multiply(a, b)
