"""The API's request and response models, validated exactly and strictly.

The response bodies are TypedDicts: the routes build them as plain dicts (no validation to pay
for), mypy checks them, and the OpenAPI document takes their schemas at build time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, ClassVar, NotRequired, TypedDict

from calculator.shared.arithmetic import Operation
from lambda_http.exact_json import MAX_DIGITS, MAX_EXPONENT, Number, OutOfBounds, check_bounds
from lambda_http.validation import Invalid, JsonSchema, field, optional_text, query_integer


def operand(value: object) -> Number:
    """An operand: a JSON number (int or Decimal, never float) within the service's bounds."""
    # bool is an int subclass and float has already lost digits: neither is an operand.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Invalid("must be a number")
    try:
        return check_bounds(value)
    except OutOfBounds as error:
        raise Invalid(str(error)) from None


# A JSON number, never a string: read and written with every digit (lambda_http.exact_json).
# JSON Schema cannot bound digits or exponents, so the bounds are stated for people and tools.
OPERAND_SCHEMA = {
    "type": "number",
    "description": (
        f"A JSON number, kept exactly: at most {MAX_DIGITS} significant digits and an "
        f"exponent between -{MAX_EXPONENT} and {MAX_EXPONENT}."
    ),
    "x-maxDigits": MAX_DIGITS,
    "x-maxExponent": MAX_EXPONENT,
}
# An operand as a response states it, and an exact result (it can have twice the digits).
Operand = Annotated[Number, JsonSchema(OPERAND_SCHEMA)]
Result = Annotated[
    Number,
    JsonSchema(
        {
            "type": "number",
            "description": (
                "The exact result, with every digit: a JSON number, which can be beyond a "
                "double's range or precision. Parse it as a decimal to keep it."
            ),
        }
    ),
]


@dataclass(frozen=True)
class Operands:
    """A calculation route's body: `{"a": <number>, "b": <number>}`."""

    ignore_other_fields: ClassVar[bool] = False

    a: Number = field(operand, OPERAND_SCHEMA)
    b: Number = field(operand, OPERAND_SCHEMA)


DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class HistoryQuery:
    """The query string: `limit` (page size) and `cursor` (a previous page's `next`)."""

    ignore_other_fields: ClassVar[bool] = True

    limit: int = field(
        query_integer(1, MAX_LIMIT),
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": "Page size."},
        default=DEFAULT_LIMIT,
    )
    cursor: str | None = field(
        optional_text(1),
        {"type": "string", "minLength": 1, "description": "Opaque: a previous page's `next`."},
        default=None,
    )


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

    def to_body(self) -> CalculationRecord:
        return {
            "id": self.id,
            "operation": self.operation,
            "a": self.a,
            "b": self.b,
            "result": self.result,
            "timestamp": self.timestamp,
        }


class CalculationResult(TypedDict):
    """A calculation route's answer: the calculation, as recorded under `id`."""

    operation: Operation
    a: Operand
    b: Operand
    result: Result
    id: str


class CalculationRecord(TypedDict):
    """One calculation in history."""

    id: str
    operation: Operation
    a: Operand
    b: Operand
    result: Result
    timestamp: str


class HistoryPage(TypedDict):
    """The history route's answer: newest first; `next`, when present, is the next page's cursor."""

    items: list[CalculationRecord]
    next: NotRequired[str]
