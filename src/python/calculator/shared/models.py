"""The API's request and response models, validated exactly and strictly."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from calculator.shared.arithmetic import Operation
from calculator.shared.numbers import MAX_DIGITS, MAX_EXPONENT, Number, OutOfBounds, check_bounds
from calculator.shared.validation import Invalid, field


def operand(value: object) -> Number:
    """An operand: a JSON number (int or Decimal, never float) within the service's bounds."""
    # bool is an int subclass and float has already lost digits: neither is an operand.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Invalid("must be a number")
    try:
        return check_bounds(value)
    except OutOfBounds as error:
        raise Invalid(str(error)) from None


OPERAND_SCHEMA = {
    "type": "number",
    "description": (
        f"Exact: at most {MAX_DIGITS} significant digits, exponent within +/-{MAX_EXPONENT}."
    ),
}


@dataclass(frozen=True)
class Operands:
    """A calculation route's body: `{"a": <number>, "b": <number>}`."""

    ignore_other_fields: ClassVar[bool] = False

    a: Number = field(operand, OPERAND_SCHEMA)
    b: Number = field(operand, OPERAND_SCHEMA)


@dataclass(frozen=True)
class Calculation:
    """One recorded calculation, as the API returns it and history stores it."""

    id: str
    operation: Operation
    a: Number
    b: Number
    result: Number
    timestamp: str

    def __post_init__(self) -> None:
        # Operands read back from the store are held to the bounds they were accepted within.
        operand(self.a)
        operand(self.b)

    def to_body(self) -> dict[str, object]:
        return {
            "id": self.id,
            "operation": self.operation.value,
            "a": self.a,
            "b": self.b,
            "result": self.result,
            "timestamp": self.timestamp,
        }
