"""The API's request and response models (pydantic), validated exactly and strictly.

The response bodies are TypedDicts: the routes build them as plain dicts (no validation to pay
for), mypy checks them, and the OpenAPI document takes their schemas at build time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, NotRequired, TypedDict

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from calculator.shared.arithmetic import Operation
from calculator.shared.numbers import MAX_DIGITS, MAX_EXPONENT, Number, OutOfBounds, check_bounds


def _validate_operand(value: object) -> Number:
    # bool is an int subclass and float has already lost digits: neither is an operand.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a number")
    try:
        return check_bounds(value)
    except OutOfBounds as error:
        raise ValueError(str(error)) from None


# A JSON number, never a string: read and written with every digit (calculator.shared.numbers).
# JSON Schema cannot bound digits or exponents, so the bounds are stated for people and tools.
_NUMBER_SCHEMA = WithJsonSchema(
    {
        "type": "number",
        "description": (
            f"A JSON number, kept exactly: at most {MAX_DIGITS} significant digits and an "
            f"exponent between -{MAX_EXPONENT} and {MAX_EXPONENT}."
        ),
        "x-maxDigits": MAX_DIGITS,
        "x-maxExponent": MAX_EXPONENT,
    }
)
# An exact result: it can have twice an operand's digits.
_RESULT_SCHEMA = WithJsonSchema(
    {"type": "number", "description": "The exact result, with every digit: a JSON number."}
)

# Serialised as the number itself; numbers.dumps writes it with every digit.
Operand = Annotated[
    Number,
    PlainValidator(_validate_operand),
    PlainSerializer(lambda n: n, return_type=object),
    _NUMBER_SCHEMA,
]
Result = Annotated[Number, PlainSerializer(lambda n: n, return_type=object), _RESULT_SCHEMA]


def _digits_only(value: object) -> object:
    # Query strings are text; pydantic alone would also take "+1", " 1" or "1_0".
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written with digits only")
    return value


# A whole number in a query string: `Annotated[int, Field(ge=1, ...), DIGITS_ONLY]`. The range
# goes first: pydantic then writes it as JSON Schema's `minimum`/`maximum` (the OpenAPI
# document), not as its own `ge`/`le` (what it does for a range on an already-validated alias).
DIGITS_ONLY = BeforeValidator(_digits_only)


class Operands(BaseModel):
    """`POST /add` and `POST /multiply` body: `{"a": <number>, "b": <number>}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: Operand
    b: Operand


class Calculation(BaseModel):
    """One recorded calculation, as the API returns it and history stores it."""

    model_config = ConfigDict(frozen=True)

    id: str
    operation: Operation
    a: Operand
    b: Operand
    result: Result
    timestamp: str

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
    """`POST /add` and `POST /multiply` answer: the calculation, as recorded under `id`."""

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
    """`GET /history` answer: newest first; `next`, when present, is the cursor of the next page."""

    items: list[CalculationRecord]
    next: NotRequired[str]
